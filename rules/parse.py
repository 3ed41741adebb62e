"""Parse and validate a ruleset directory (or bundle) into a frozen :class:`RuleSet`.

Layout of a ruleset::

    ruleset.toml        manifest: [ruleset], [thresholds], [normalize], [[rule]] ...
    keywords/*.toml     more [[rule]] tables (any files the manifest's include globs name)
    lists/*.txt         list files named by list rules, one entry per line
    lookalikes.txt      optional look-alike character map

Validation collects every problem it can find (up to a limit) before refusing
the ruleset, so an administrator fixes a file in one pass. Nothing is ever
half-loaded: either a complete RuleSet is returned or RuleSetError is raised.

>>> rs = load_ruleset(DEFAULT_RULESET_DIR)
>>> rs.name
'default'
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import rules.calls  # noqa: F401  (registers the call rule kinds)
from rules.errors import Problem, RuleSetError
from rules.kinds import COMMON_FIELDS, RULE_KINDS, ParseContext, Table
from rules.listfile import read_lookalike_list
from rules.model import ACTIONS, Rule, RuleMeta, RuleSet, Thresholds
from rules.phone import COUNTRY_CODES
from rules.source import DirectorySource, FileSource, HashingSource

MANIFEST = "ruleset.toml"
DEFAULT_RULESET_DIR = Path(__file__).resolve().parent / "default"
#: Normalization steps a manifest's [normalize] table may switch (engine.normalize runs them).
NORMALIZE_STEPS = ("nfkc", "casefold", "t2s", "strip_invisible", "separators",
                   "collapse_repeats", "digit_variants", "lookalikes")
#: Manifest sections owned by rule kinds that need ruleset-wide settings (e.g. "calls").
EXTRA_SECTIONS: set[str] = set()
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_ID_LINE = re.compile(r'^\s*id\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
_TOML_LINE = re.compile(r"at line (\d+)")


def load_ruleset(where: str | Path | FileSource) -> RuleSet:
    """Parse and validate a ruleset; raise :class:`RuleSetError` listing every problem."""
    source = HashingSource(DirectorySource(where) if isinstance(where, str | Path) else where)
    problems: list[Problem] = []
    manifest, manifest_text = _read_toml(source, MANIFEST, problems)
    if manifest is None:
        raise RuleSetError(problems)
    head = _table(manifest, "ruleset", problems)
    default_cc = str(head.get("default_country_code", "86"))
    if default_cc not in COUNTRY_CODES:
        problems.append(Problem(f"{default_cc!r} is not a country calling code", file=MANIFEST,
                                field="ruleset.default_country_code"))
    ctx = ParseContext(source, default_cc, problems, files_read=[MANIFEST])
    thresholds = _thresholds(_table(manifest, "thresholds", problems), problems)
    normalize = _normalize(_table(manifest, "normalize", problems), problems)
    lookalikes = _lookalikes(head.get("lookalikes"), ctx)
    _check_sections(manifest, problems)

    rule_tables: list[tuple[str, str, Table]] = []
    _collect_rules(manifest, MANIFEST, manifest_text, rule_tables, problems)
    for pattern in _string_list(head.get("include", []), "ruleset.include", problems):
        matched = source.glob(pattern)
        if not matched:
            problems.append(Problem(f"include pattern {pattern!r} matches no file",
                                    file=MANIFEST, field="ruleset.include"))
        for rel in matched:
            data, text = _read_toml(source, rel, problems)
            if data is not None:
                ctx.files_read.append(rel)
                unknown = set(data) - {"rule"}
                if unknown:
                    problems.append(Problem(f"unknown top-level key(s) {sorted(unknown)}; "
                                            "rule files hold only [[rule]] tables", file=rel))
                _collect_rules(data, rel, text, rule_tables, problems)
    rules = _build_rules(rule_tables, ctx, thresholds)
    if problems:
        raise RuleSetError(sorted(problems, key=lambda p: (p.file, p.line, p.rule_id)))
    return RuleSet(
        name=str(head.get("name", "")),
        description=str(head.get("description", "")),
        thresholds=thresholds,
        default_country_code=default_cc,
        normalize=normalize,
        lookalikes=lookalikes,
        rules=tuple(rules),
        digest=bundle_digest(source, ctx.files_read, source.fingerprints),
        source=source.name,
        settings={k: manifest[k] for k in EXTRA_SECTIONS if k in manifest},
        files=tuple(sorted(set(ctx.files_read))),
    )


def bundle_digest(source: FileSource, files: list[str],
                  fingerprints: Mapping[str, tuple[int, str]] | None = None) -> str:
    """sha256 over every file a ruleset is made of: path, size and sha256 of each, by path.

    The same files give the same digest whether read from a directory or from Redis.
    ``fingerprints`` (size, sha256 per path, from :class:`HashingSource`) saves reading
    the files again.
    """
    h = hashlib.sha256()
    for rel in sorted(set(files)):
        if fingerprints is not None and rel in fingerprints:
            size, file_sha = fingerprints[rel]
        else:
            data = source.read(rel)
            size, file_sha = len(data), hashlib.sha256(data).hexdigest()
        h.update(f"{rel}\0{size}\0{file_sha}\n".encode())
    return h.hexdigest()


def _read_toml(source: FileSource, rel: str, problems: list[Problem]
               ) -> tuple[dict[str, Any] | None, str]:
    """The parsed table and the text (for rule line numbers); (None, "") on a problem."""
    try:
        text = source.read(rel).decode("utf-8")
        return tomllib.loads(text), text
    except FileNotFoundError:
        problems.append(Problem("file not found", file=rel))
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"not UTF-8 text: {exc}", file=rel))
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        problems.append(Problem(f"TOML syntax error: {exc}", file=rel,
                                line=int(found.group(1)) if found else 0))
    return None, ""


def _table(manifest: Mapping[str, Any], key: str, problems: list[Problem]) -> Mapping[str, Any]:
    value = manifest.get(key, {})
    if not isinstance(value, dict):
        problems.append(Problem("must be a table", file=MANIFEST, field=key))
        return {}
    return value


def _string_list(value: object, field: str, problems: list[Problem]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem("must be a list of strings", file=MANIFEST, field=field))
        return []
    return value


def _thresholds(table: Mapping[str, Any], problems: list[Problem]) -> Thresholds:
    default = Thresholds()
    flag, block = table.get("flag", default.flag), table.get("block", default.block)
    unknown = set(table) - {"flag", "block"}
    if unknown:
        problems.append(Problem(f"unknown key(s) {sorted(unknown)}", file=MANIFEST,
                                field="thresholds"))
    for name, value in (("flag", flag), ("block", block)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(Problem(f"must be a positive whole number, not {value!r}",
                                    file=MANIFEST, field=f"thresholds.{name}"))
            return default
    if flag >= block:
        problems.append(Problem(f"flag ({flag}) must be below block ({block})", file=MANIFEST,
                                field="thresholds.flag"))
        return default
    return Thresholds(flag=flag, block=block)


def _normalize(table: Mapping[str, Any], problems: list[Problem]) -> dict[str, bool]:
    out = dict.fromkeys(NORMALIZE_STEPS, True)
    for key, value in table.items():
        if key not in out:
            problems.append(Problem(f"unknown normalization step; known: {list(NORMALIZE_STEPS)}",
                                    file=MANIFEST, field=f"normalize.{key}"))
        elif not isinstance(value, bool):
            problems.append(Problem("must be true or false", file=MANIFEST,
                                    field=f"normalize.{key}"))
        else:
            out[key] = value
    return out


def _lookalikes(rel: object, ctx: ParseContext) -> dict[str, str]:
    if rel is None:
        return {}
    if not isinstance(rel, str):
        ctx.problems.append(Problem("must be a file name", file=MANIFEST,
                                    field="ruleset.lookalikes"))
        return {}
    try:
        data = ctx.source.read(rel)
    except FileNotFoundError:
        ctx.problems.append(Problem(f"look-alike file {rel!r} not found", file=MANIFEST,
                                    field="ruleset.lookalikes"))
        return {}
    ctx.files_read.append(rel)
    return read_lookalike_list(data, rel, ctx.problems)


def _check_sections(manifest: Mapping[str, Any], problems: list[Problem]) -> None:
    known = {"ruleset", "thresholds", "normalize", "rule"} | EXTRA_SECTIONS
    for key in manifest:
        if key not in known:
            problems.append(Problem(f"unknown section; known: {sorted(known)}", file=MANIFEST,
                                    field=key))


def _collect_rules(data: Mapping[str, Any], rel: str, text: str,
                   out: list[tuple[str, str, Table]], problems: list[Problem]) -> None:
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        problems.append(Problem("'rule' must be an array of tables: [[rule]]", file=rel))
        return
    out.extend((rel, text, t) for t in tables)


def _line_of_id(text: str, rule_id: str, nth: int) -> int:
    """Line of the ``nth`` (0-based) ``id = "rule_id"`` in a TOML file; 0 if not found."""
    seen = 0
    for m in _ID_LINE.finditer(text):
        if m.group(1) == rule_id:
            if seen == nth:
                return text.count("\n", 0, m.start()) + 1
            seen += 1
    return 0


def _build_rules(tables: list[tuple[str, str, Table]], ctx: ParseContext,
                 thresholds: Thresholds) -> list[Rule]:
    rules: list[Rule] = []
    first_seen: dict[str, str] = {}
    occurrences: dict[tuple[str, object], int] = {}
    for index, (rel, text, table) in enumerate(tables):
        nth = occurrences.get((rel, table.get("id")), 0)
        occurrences[(rel, table.get("id"))] = nth + 1
        meta = _meta(table, rel, text, index, nth, ctx, thresholds)
        if meta is None:
            continue
        if meta.id in first_seen:
            ctx.problem(meta, f"duplicate rule id (first defined at {first_seen[meta.id]})",
                        field="id")
            continue
        first_seen[meta.id] = f"{meta.file}:{meta.line}"
        spec = RULE_KINDS[meta.kind]
        unknown = set(table) - COMMON_FIELDS - spec.fields
        if unknown:
            ctx.problem(meta, f"unknown key(s) {sorted(unknown)} for kind {meta.kind!r}",
                        field=sorted(unknown)[0])
            continue
        missing = spec.required - set(table)
        if missing:
            ctx.problem(meta, f"required for kind {meta.kind!r}", field=sorted(missing)[0])
            continue
        rule = spec.build(table, meta, ctx)
        if rule is not None and meta.enabled:
            rules.append(rule)
    return rules


def _meta(table: Table, rel: str, text: str, index: int, nth: int, ctx: ParseContext,
          thresholds: Thresholds) -> RuleMeta | None:
    rule_id = table.get("id")
    where = RuleMeta(id=str(rule_id or f"#{index + 1}"), kind="", action="score", score=0,
                     category="", file=rel,
                     line=_line_of_id(text, rule_id, nth) if isinstance(rule_id, str) else 0)
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        ctx.problem(where, "every rule needs an id of letters, digits and _.:- (at most 128)",
                    field="id")
        return None
    kind = table.get("kind")
    if kind not in RULE_KINDS:
        ctx.problem(where, f"unknown kind {kind!r}; known: {sorted(RULE_KINDS)}", field="kind")
        return None
    spec = RULE_KINDS[kind]
    action = table.get("action", "score")
    if action not in ACTIONS or action not in spec.actions:
        ctx.problem(where, f"action {action!r} is not allowed for kind {kind!r}; use one of "
                    f"{list(spec.actions)}", field="action")
        return None
    default_score = {"block": thresholds.block, "flag": thresholds.flag}.get(action, 0)
    score = table.get("score", default_score)
    if not isinstance(score, int) or isinstance(score, bool) or not -1000 <= score <= 1000:
        ctx.problem(where, f"must be a whole number from -1000 to 1000, not {score!r}",
                    field="score")
        return None
    if action == "score" and "score" not in table:
        ctx.problem(where, "a rule with action 'score' needs a score", field="score")
        return None
    flags = {k: table.get(k, d) for k, d in (("enabled", True), ("shadow", False))}
    for key, value in flags.items():
        if not isinstance(value, bool):
            ctx.problem(where, "must be true or false", field=key)
            return None
    category, description = table.get("category", "uncategorized"), table.get("description", "")
    if not isinstance(category, str) or not isinstance(description, str):
        ctx.problem(where, "category and description must be strings", field="category")
        return None
    return RuleMeta(id=rule_id, kind=kind, action=action, score=score, category=category,
                    description=description, enabled=flags["enabled"], shadow=flags["shadow"],
                    file=rel, line=where.line)
