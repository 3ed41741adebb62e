"""The registry of rule kinds: how each kind's TOML table becomes a rule.

Each kind declares the keys it accepts beyond the common ones, the actions
it allows, and a ``build`` function. The parser dispatches through
:data:`RULE_KINDS` only, so adding a kind (the call rules do) is one
:func:`register_kind` call in the kind's own module.

A rule table in any rule file looks like::

    [[rule]]
    id = "kw.police.combo"        # stable, unique: [A-Za-z0-9_.:-]
    kind = "keyword"
    action = "score"              # allow | block | flag | score (per kind)
    score = 60
    category = "impersonate_police"
    description = "..."
    enabled = true                # optional, default true
    shadow = false                # optional: report only, never change the action
    all_of = ["公安局", "安全账户"]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.errors import Problem
from rules.listfile import read_domain_list, read_keyword_list, read_number_list
from rules.model import (
    NUMBER_FIELDS,
    ActionName,
    ContactRule,
    DomainListRule,
    KeywordComboRule,
    KeywordListRule,
    NumberListRule,
    Rule,
    RuleMeta,
    frozen_array,
)
from rules.source import FileSource

Table = Mapping[str, Any]
COMMON_FIELDS = frozenset(
    {"id", "kind", "action", "score", "category", "description", "enabled", "shadow"}
)
CONTACT_KINDS = ("phone", "qq", "wechat", "telegram")


@dataclass
class ParseContext:
    """What a kind's ``build`` needs: where files come from, and where problems go."""

    source: FileSource
    default_cc: str
    problems: list[Problem]
    files_read: list[str] = field(default_factory=list)

    def problem(self, meta: RuleMeta, message: str, field: str = "") -> None:
        self.problems.append(Problem(message, file=meta.file, line=meta.line,
                                     rule_id=meta.id, field=field))

    def read_file(self, meta: RuleMeta, rel: object) -> bytes | None:
        """Read a list file named by a rule; a problem (not an exception) if missing."""
        if not isinstance(rel, str) or not rel:
            self.problem(meta, "must name a list file", field="file")
            return None
        try:
            data = self.source.read(rel)
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            self.problem(meta, f"cannot read list file {rel!r}: {exc}", field="file")
            return None
        self.files_read.append(rel)
        return data


@dataclass(frozen=True)
class KindSpec:
    """How one rule kind is parsed."""

    name: str
    fields: frozenset[str]
    actions: tuple[ActionName, ...]
    build: Callable[[Table, RuleMeta, ParseContext], Rule | None]
    required: frozenset[str] = frozenset()


RULE_KINDS: dict[str, KindSpec] = {}


def register_kind(spec: KindSpec) -> None:
    """Make a rule kind known to the parser (once per kind)."""
    if spec.name in RULE_KINDS and RULE_KINDS[spec.name] is not spec:
        raise ValueError(f"rule kind {spec.name!r} is registered twice")
    RULE_KINDS[spec.name] = spec


def string_tuple(table: Table, key: str, meta: RuleMeta, ctx: ParseContext) -> tuple[str, ...]:
    """A list of non-empty strings, or a problem naming the field."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        ctx.problem(meta, "must be a list of strings", field=key)
        return ()
    stripped = tuple(v.strip() for v in value)
    if any(not v for v in stripped):
        ctx.problem(meta, "contains an empty string", field=key)
        return ()
    return stripped


def _build_number_list(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    applies_to = string_tuple(table, "applies_to", meta, ctx) or ("caller", "sender")
    unknown = [f for f in applies_to if f not in NUMBER_FIELDS]
    if unknown:
        ctx.problem(meta, f"unknown field(s) {unknown}; use {list(NUMBER_FIELDS)}",
                    field="applies_to")
    data = ctx.read_file(meta, table.get("file"))
    if data is None:
        return None
    entries = read_number_list(data, table["file"], ctx.default_cc, ctx.problems, meta.id)
    return NumberListRule(meta, applies_to, frozen_array(entries.exact),
                          frozen_array(entries.prefixes))


def _build_domain_list(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    data = ctx.read_file(meta, table.get("file"))
    if data is None:
        return None
    return DomainListRule(meta, read_domain_list(data, table["file"], ctx.problems, meta.id))


def _build_keyword_list(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    data = ctx.read_file(meta, table.get("file"))
    if data is None:
        return None
    terms = read_keyword_list(data, table["file"], ctx.problems, meta.id)
    if not terms:
        ctx.problem(meta, f"keyword list {table['file']!r} has no keywords", field="file")
    return KeywordListRule(meta, terms)


def _build_keyword_combo(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    all_of = string_tuple(table, "all_of", meta, ctx)
    any_of = string_tuple(table, "any_of", meta, ctx)
    none_of = string_tuple(table, "none_of", meta, ctx)
    if "keyword" in table:
        single = string_tuple({"keyword": [table["keyword"]]} if isinstance(
            table["keyword"], str) else table, "keyword", meta, ctx)
        all_of = all_of + single
    min_any = table.get("min_any", 1)
    if not all_of and not any_of:
        ctx.problem(meta, "needs at least one positive term (keyword, all_of or any_of)",
                    field="all_of")
        return None
    if not isinstance(min_any, int) or isinstance(min_any, bool) or not (
            1 <= min_any <= max(1, len(any_of))):
        ctx.problem(meta, f"must be a whole number from 1 to the size of any_of "
                    f"({len(any_of)})", field="min_any")
        return None
    overlap = (set(all_of) | set(any_of)) & set(none_of)
    if overlap:
        ctx.problem(meta, f"terms {sorted(overlap)} are both required and forbidden",
                    field="none_of")
        return None
    return KeywordComboRule(meta, all_of, any_of, none_of, min_any)


def _build_contact(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    kinds = string_tuple(table, "contact_kinds", meta, ctx) or CONTACT_KINDS
    unknown = [k for k in kinds if k not in CONTACT_KINDS]
    if unknown:
        ctx.problem(meta, f"unknown contact kind(s) {unknown}; use {list(CONTACT_KINDS)}",
                    field="contact_kinds")
        return None
    return ContactRule(meta, kinds)


_ALL: tuple[ActionName, ...] = ("allow", "block", "flag", "score")
_NO_ALLOW: tuple[ActionName, ...] = ("block", "flag", "score")
for _spec in (
    KindSpec("number_list", frozenset({"file", "applies_to"}), _ALL, _build_number_list,
             frozenset({"file"})),
    KindSpec("domain_list", frozenset({"file"}), _ALL, _build_domain_list, frozenset({"file"})),
    KindSpec("keyword_list", frozenset({"file"}), _NO_ALLOW, _build_keyword_list,
             frozenset({"file"})),
    KindSpec("keyword", frozenset({"keyword", "all_of", "any_of", "none_of", "min_any"}),
             _NO_ALLOW, _build_keyword_combo),
    KindSpec("contact", frozenset({"contact_kinds"}), _NO_ALLOW, _build_contact),
):
    register_kind(_spec)
