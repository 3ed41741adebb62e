"""The precedence table from the README, one test per row.

| situation                                        | result |
|--------------------------------------------------|--------|
| allow and deny list the same number              | allow  |
| exact entry vs prefix (either direction)          | exact  |
| longer prefix vs shorter prefix                  | longer |
| allow on a party number vs any other signal      | PASS   |
| allow on a host / number in text                 | clears that item only |
| deny (block) vs score below thresholds           | BLOCK  |
| shadow rule                                      | reported, never acts |
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Action, CallEvent, Decision, Ingress, MessageEvent, compile_ruleset, decide
from engine.snapshot import Snapshot
from rules import load_ruleset
from tests.rulesets import number_list_rule, write_ruleset


def snapshot_of(root: Path) -> Snapshot:
    return compile_ruleset(load_ruleset(root))


def call(snap: Snapshot, caller: str, callee: str = "13800138000") -> Decision:
    return decide(snap, CallEvent("c1", caller, callee))


def sms(snap: Snapshot, text: str, sender: str = "13912345678") -> Decision:
    return decide(snap, MessageEvent("m1", sender, "13800138000", text))


@pytest.fixture
def numbers(tmp_path: Path) -> Snapshot:
    rules = (number_list_rule("allow", "allow", "allow.txt")
             + number_list_rule("deny", "block", "deny.txt")
             + number_list_rule("grey", "flag", "grey.txt")
             + number_list_rule("seg", "score", "seg.txt", score=20))
    return snapshot_of(write_ruleset(tmp_path, rules, {
        "allow.txt": "13800000001\n1701*\n1360000*\n",
        "deny.txt": "13800000001\n13600000001\n170*\n17015550000\n13600000500..13600000599\n",
        "grey.txt": "13700000000\n",
        "seg.txt": "165*\n",
    }))


def test_allow_beats_deny_on_the_same_entry(numbers: Snapshot) -> None:
    d = call(numbers, "13800000001")
    assert d.action is Action.PASS and [m.rule_id for m in d.matches] == ["allow"]


def test_exact_deny_beats_prefix_allow(numbers: Snapshot) -> None:
    assert call(numbers, "13600000001").action is Action.BLOCK


def test_exact_deny_beats_shorter_prefix_allow_inside_a_carve_out(numbers: Snapshot) -> None:
    assert call(numbers, "17015550000").action is Action.BLOCK


def test_longer_prefix_beats_shorter(numbers: Snapshot) -> None:
    assert call(numbers, "17012345678").action is Action.PASS  # 1701* allow inside 170* deny
    assert call(numbers, "17023456789").action is Action.BLOCK


def test_range_is_as_specific_as_its_prefixes(numbers: Snapshot) -> None:
    # 13600000500..599 is the prefix 136000005 (+86: 11 digits) inside allow 1360000* (9).
    assert call(numbers, "13600000550").action is Action.BLOCK
    assert call(numbers, "13600000700").action is Action.PASS


def test_grey_flags_and_score_adds(numbers: Snapshot) -> None:
    assert call(numbers, "13700000000").action is Action.FLAG
    d = call(numbers, "16512345678")
    assert d.action is Action.PASS and d.score == 20


def test_unlisted_number_passes(numbers: Snapshot) -> None:
    d = call(numbers, "13912345678")
    assert d.action is Action.PASS and d.matches == ()


def test_applies_to_limits_fields(tmp_path: Path) -> None:
    rules = number_list_rule("callee_only", "block", "d.txt", applies_to='"callee"')
    snap = snapshot_of(write_ruleset(tmp_path, rules, {"d.txt": "13800138000\n"}))
    assert call(snap, "13800138000", callee="13912345678").action is Action.PASS
    assert call(snap, "13912345678", callee="13800138000").action is Action.BLOCK


def test_allowed_sender_beats_fraud_text(tmp_path: Path) -> None:
    rules = number_list_rule("ok", "allow", "a.txt") + (
        '[[rule]]\nid = "kw"\nkind = "keyword"\naction = "block"\nany_of = ["安全账户"]\n')
    snap = snapshot_of(write_ruleset(tmp_path, rules, {"a.txt": "95588\n"}))
    assert sms(snap, "请把钱转到安全账户", sender="95588").action is Action.PASS
    assert sms(snap, "请把钱转到安全账户").action is Action.BLOCK


DOMAINS = """\
[[rule]]
id = "dom.allow"
kind = "domain_list"
action = "allow"
file = "allow.txt"

[[rule]]
id = "dom.deny"
kind = "domain_list"
action = "block"
file = "deny.txt"
"""


def test_domain_suffix_and_carve_out(tmp_path: Path) -> None:
    snap = snapshot_of(write_ruleset(tmp_path, DOMAINS, {
        "allow.txt": "safe.example.com\n", "deny.txt": "example.com\n"}))
    assert sms(snap, "看 http://a.example.com/x").action is Action.BLOCK
    assert sms(snap, "看 http://example.com").action is Action.BLOCK
    assert sms(snap, "看 https://safe.example.com/login").action is Action.PASS
    assert sms(snap, "看 https://notexample.com/").action is Action.PASS
    # An allowed host does not clear a denied one in the same message.
    assert sms(snap, "safe.example.com 和 evil.example.com").action is Action.BLOCK


def test_scores_add_up_to_thresholds(tmp_path: Path) -> None:
    rules = "".join(
        f'[[rule]]\nid = "k{i}"\nkind = "keyword"\naction = "score"\nscore = {s}\n'
        f'any_of = ["{w}"]\n\n' for i, (w, s) in enumerate([("甲", 30), ("乙", 30), ("丙", 50)]))
    snap = snapshot_of(write_ruleset(tmp_path, rules))
    assert sms(snap, "甲").action is Action.PASS
    assert sms(snap, "甲乙").action is Action.FLAG
    d = sms(snap, "甲乙丙甲")
    assert d.action is Action.BLOCK and d.score == 110  # each rule counts once


def test_shadow_rules_report_but_never_act(tmp_path: Path) -> None:
    rules = number_list_rule("shadow.deny", "block", "d.txt", shadow=True) + (
        '[[rule]]\nid = "kw.shadow"\nkind = "keyword"\naction = "block"\nany_of = ["刷单"]\n'
        'shadow = true\n')
    snap = snapshot_of(write_ruleset(tmp_path, rules, {"d.txt": "13912345678\n"}))
    d = sms(snap, "刷单返利")
    assert d.action is Action.PASS and d.matches == ()
    assert {m.rule_id for m in d.shadow_matches} == {"shadow.deny", "kw.shadow"}


def test_live_and_shadow_keywords_of_a_repeated_text(tmp_path: Path) -> None:
    """A repeated text takes its keyword hits from the text memo: the live and the shadow
    keyword matchers each keep their own (different terms), singly and in a batch."""
    from engine import decide_batch

    rules = (
        '[[rule]]\nid = "kw.live"\nkind = "keyword"\naction = "block"\nany_of = ["刷单"]\n\n'
        '[[rule]]\nid = "kw.shadow"\nkind = "keyword"\naction = "block"\nany_of = ["日结"]\n'
        'shadow = true\n')
    snap = snapshot_of(write_ruleset(tmp_path, rules))
    for _ in range(3):  # the first decision scans, the others use the memo
        d = sms(snap, "刷单返利，日结")
        assert [m.rule_id for m in d.matches] == ["kw.live"]
        assert [m.rule_id for m in d.shadow_matches] == ["kw.shadow"]
    assert snap.text_memo.hits == 2
    both, live, shadow, none = (["kw.live"], ["kw.shadow"]), (["kw.live"], []), (
        [], ["kw.shadow"]), ([], [])
    cases = {"刷单返利，日结": both, "只有日结": shadow, "只有刷单": live, "都没有": none,
             "日结刷单": both, "刷单日": live, "结日": none}  # more new texts than a small batch
    events = [MessageEvent(f"m{i}", "13912345678", "13800138000", t, Ingress.DOMESTIC)
              for i, t in enumerate(list(cases) * 3)]
    for _ in range(2):  # new texts, then all from the memo
        got = [([m.rule_id for m in d.matches], [m.rule_id for m in d.shadow_matches])
               for d in decide_batch(snap, events)]
        assert got == list(cases.values()) * 3


def test_small_and_large_batches_resolve_prefixes_alike(numbers: Snapshot) -> None:
    """Small batches use a Python prefix path, large ones the numba kernel: same answers."""
    import random

    import numpy as np

    from engine.numbers import SMALL_BATCH, NumberMatcher

    matcher = next(m for m in numbers.live if isinstance(m, NumberMatcher))
    rng = random.Random(3)
    keys = [int(f"86{rng.choice(['170', '1701', '136', '165', '138'])}"
                f"{rng.randrange(10**7):07d}"[:13]) for _ in range(500)]
    big = matcher.resolve(np.asarray(keys, dtype=np.int64), ["caller"] * len(keys))
    assert len(keys) >= SMALL_BATCH
    small = [matcher.resolve(np.asarray([k], dtype=np.int64), ["caller"])[0] for k in keys]
    assert big == small
    assert any(big)  # the sample does hit listed prefixes
