"""Ruleset parsing and validation: every problem names its file, line and rule id."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import BundleSource, DirectorySource, RuleSetError, load_ruleset
from rules.model import KeywordComboRule, NumberListRule
from rules.parse import DEFAULT_RULESET_DIR
from tests.rulesets import number_list_rule, write_ruleset


def refused(root: Path) -> RuleSetError:
    with pytest.raises(RuleSetError) as info:
        load_ruleset(root)
    return info.value


def test_default_ruleset_is_valid_and_has_every_kind() -> None:
    rs = load_ruleset(DEFAULT_RULESET_DIR)
    kinds = {r.meta.kind for r in rs.rules}
    assert {"number_list", "domain_list", "keyword", "contact"} <= kinds
    counts = rs.counts()
    assert counts["numbers"] > 20 and counts["domains"] > 5 and counts["keywords"] > 50
    assert len(rs.digest) == 64


def test_digest_is_the_same_from_a_directory_and_a_bundle() -> None:
    rs = load_ruleset(DEFAULT_RULESET_DIR)
    src = DirectorySource(DEFAULT_RULESET_DIR)
    bundle = BundleSource({rel: src.read(rel) for rel in rs.files})
    assert load_ruleset(bundle).digest == rs.digest


def test_number_list_parses_every_form(tmp_path: Path) -> None:
    root = write_ruleset(tmp_path, number_list_rule("n", "block", "deny.txt"), {"deny.txt": """\
        # comment
        13800138000
        +86 139-0000-0000   # trailing comment
        0086 137 0000 0000
        170*
        13600000000..13600000999

        """})
    rule = load_ruleset(root).rules[0]
    assert isinstance(rule, NumberListRule)
    assert rule.exact.tolist() == [8613700000000, 8613800138000, 8613900000000]
    assert rule.prefixes.tolist() == [86170, 8613600000]
    assert not rule.exact.flags.writeable


def test_bad_number_names_file_line_and_rule(tmp_path: Path) -> None:
    root = write_ruleset(tmp_path, number_list_rule("num.deny", "block", "deny.txt"),
                         {"deny.txt": "13800138000\n13800x38000\n"})
    problem = refused(root).problems[0]
    assert (problem.file, problem.line, problem.rule_id) == ("deny.txt", 2, "num.deny")
    assert "deny.txt:2: rule 'num.deny'" in str(refused(root))


def test_bad_range_is_refused(tmp_path: Path) -> None:
    root = write_ruleset(tmp_path, number_list_rule("r", "block", "d.txt"),
                         {"d.txt": "13800138999..13800138000\n"})
    assert "larger" in str(refused(root))


def test_bad_domain(tmp_path: Path) -> None:
    rules = '[[rule]]\nid = "dom"\nkind = "domain_list"\naction = "block"\nfile = "d.txt"\n'
    root = write_ruleset(tmp_path, rules, {"d.txt": "ok.example.com\nbad domain.com\n"})
    p = refused(root).problems[0]
    assert (p.file, p.line, p.rule_id) == ("d.txt", 2, "dom")


def test_empty_keyword_and_broken_combination(tmp_path: Path) -> None:
    rules = """\
        [[rule]]
        id = "kw.empty"
        kind = "keyword"
        action = "score"
        score = 10
        any_of = ["刷单", " "]

        [[rule]]
        id = "kw.none_only"
        kind = "keyword"
        action = "score"
        score = 10
        none_of = ["x"]

        [[rule]]
        id = "kw.contradiction"
        kind = "keyword"
        action = "score"
        score = 10
        all_of = ["a"]
        none_of = ["a"]

        [[rule]]
        id = "kw.min_any"
        kind = "keyword"
        action = "score"
        score = 10
        any_of = ["a", "b"]
        min_any = 3
        """
    err = refused(write_ruleset(tmp_path, rules))
    by_rule = {p.rule_id: p for p in err.problems}
    assert set(by_rule) == {"kw.empty", "kw.none_only", "kw.contradiction", "kw.min_any"}
    assert by_rule["kw.empty"].line == 2 and by_rule["kw.empty"].file == "rules/main.toml"
    assert by_rule["kw.min_any"].field == "min_any"


def test_unknown_kind_unknown_key_and_duplicate_id(tmp_path: Path) -> None:
    rules = """\
        [[rule]]
        id = "a"
        kind = "teleport"

        [[rule]]
        id = "b"
        kind = "keyword"
        action = "block"
        any_of = ["x"]
        colour = "red"

        [[rule]]
        id = "c"
        kind = "keyword"
        action = "block"
        any_of = ["x"]

        [[rule]]
        id = "c"
        kind = "keyword"
        action = "block"
        any_of = ["y"]
        """
    err = refused(write_ruleset(tmp_path, rules))
    messages = {p.rule_id: (p.message, p.field, p.line) for p in err.problems}
    assert "unknown kind" in messages["a"][0]
    assert messages["b"][1] == "colour"
    assert "duplicate rule id" in messages["c"][0] and "rules/main.toml:13" in messages["c"][0]
    assert messages["c"][2] == 19


def test_bad_action_and_score(tmp_path: Path) -> None:
    rules = """\
        [[rule]]
        id = "x"
        kind = "keyword"
        action = "allow"
        any_of = ["x"]

        [[rule]]
        id = "y"
        kind = "keyword"
        action = "score"
        any_of = ["x"]
        """
    err = refused(write_ruleset(tmp_path, rules))
    assert {p.rule_id: p.field for p in err.problems} == {"x": "action", "y": "score"}


@pytest.mark.parametrize(("thresholds", "field"), [
    ("flag = 100\nblock = 50", "thresholds.flag"),
    ("flag = -1\nblock = 50", "thresholds.flag"),
    ('flag = "high"\nblock = 50', "thresholds.flag"),
    ("flag = 10\nblock = 50\nwarn = 5", "thresholds"),
])
def test_bad_thresholds(tmp_path: Path, thresholds: str, field: str) -> None:
    manifest = f'[ruleset]\nname = "t"\n\n[thresholds]\n{thresholds}\n'
    err = refused(write_ruleset(tmp_path, manifest=manifest))
    assert err.problems[0].field == field and err.problems[0].file == "ruleset.toml"


def test_toml_syntax_error_has_a_line(tmp_path: Path) -> None:
    err = refused(write_ruleset(tmp_path, '[[rule]]\nid = "x"\nkind = \n'))
    assert err.problems[0].file == "rules/main.toml" and err.problems[0].line == 3


def test_missing_list_file_and_unknown_normalize_step(tmp_path: Path) -> None:
    manifest = '[ruleset]\nname = "t"\ninclude = ["rules/*.toml"]\n[normalize]\nrot13 = true\n'
    err = refused(write_ruleset(tmp_path, number_list_rule("n", "block", "missing.txt"),
                                manifest=manifest))
    fields = {p.field for p in err.problems}
    assert {"file", "normalize.rot13"} <= fields


def test_disabled_rules_are_not_loaded(tmp_path: Path) -> None:
    rules = '[[rule]]\nid = "k"\nkind = "keyword"\naction = "block"\nany_of = ["x"]\n' \
            'enabled = false\n'
    assert load_ruleset(write_ruleset(tmp_path, rules)).rules == ()


def test_keyword_shorthand_and_combination(tmp_path: Path) -> None:
    rules = """\
        [[rule]]
        id = "k"
        kind = "keyword"
        action = "score"
        score = 5
        keyword = "刷单"
        any_of = ["返利", "佣金"]
        none_of = ["举报"]
        """
    rule = load_ruleset(write_ruleset(tmp_path, rules)).rules[0]
    assert isinstance(rule, KeywordComboRule)
    assert rule.all_of == ("刷单",) and rule.any_of == ("返利", "佣金")


def test_many_problems_are_reported_together(tmp_path: Path) -> None:
    lines = "\n".join(f"bad{i}" for i in range(30))
    err = refused(write_ruleset(tmp_path, number_list_rule("n", "block", "d.txt"),
                                {"d.txt": lines}))
    assert len(err.problems) == 30
    assert [p.line for p in err.problems] == list(range(1, 31))


def test_fast_number_path_equals_canonical_number() -> None:
    """The numba list kernel canonicalises plain lines exactly like canonical_number."""
    import random

    from rules.listfile import read_number_list
    from rules.phone import canonical_number

    rng = random.Random(5)
    raws = [str(rng.randrange(10 ** (n - 1), 10**n)) for n in range(3, 19) for _ in range(40)]
    raws += ["8613800138000", "861380013800", "86110", "1380013800012345678", "95555"]
    for cc in ("86", "1", "855"):
        problems: list = []  # type: ignore[type-arg]
        got = read_number_list("\n".join(raws).encode(), "n.txt", cc, problems, "r").exact
        expected = {int(canonical_number(raw, cc)) for raw in raws if _ok(raw, cc)}
        assert set(got.tolist()) == expected
        assert len(problems) == min(100, sum(not _ok(r, cc) for r in raws))  # capped


def _ok(raw: str, cc: str) -> bool:
    from rules.phone import canonical_number

    try:
        canonical_number(raw, cc)
    except ValueError:
        return False
    return True
