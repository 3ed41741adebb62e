"""Caller-ID spoofing and high-risk origin rules: parsing, each case, precedence, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine.calls
import rules.calls  # noqa: F401  (registers the call rule kinds until rules.parse imports it)
from engine import Action, CallEvent, Ingress, compile_ruleset, decide
from engine.snapshot import Snapshot
from rules import DEFAULT_RULESET_DIR, RuleSetError, load_ruleset
from tests.rulesets import write_ruleset

assert engine.calls.CALL_KINDS  # the matcher module is loaded (registers itself)
CALLEE = "13800138000"


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))


def call(caller: str, ingress: Ingress = Ingress.DOMESTIC, caller_country: str = "",
         roaming_area: str = "") -> CallEvent:
    return CallEvent("c1", caller, CALLEE, ingress, caller_country, roaming_area)


def ids(snap: Snapshot, event: CallEvent) -> set[str]:
    return {m.rule_id for m in decide(snap, event).matches}


# -- spoofing ---------------------------------------------------------------------------------


def test_bank_hotline_from_abroad_is_blocked_despite_the_allow_list(snap: Snapshot) -> None:
    d = decide(snap, call("95588", Ingress.INTERNATIONAL))
    assert d.action is Action.BLOCK
    spoof = next(m for m in d.matches if m.rule_id == "call.spoof.service_number")
    assert spoof.kind == "spoof_service_number" and spoof.category == "caller_id_spoofing"
    assert spoof.field == "caller" and "95588" in spoof.matched
    # the forged ID's allow entry is revoked, not reported as a reason
    assert "num.allow.official" not in {m.rule_id for m in d.matches}


def test_bank_hotline_on_its_legitimate_ingress_passes(snap: Snapshot) -> None:
    for ingress in (Ingress.DOMESTIC, Ingress.INTER_NETWORK):
        d = decide(snap, call("95588", ingress))
        assert d.action is Action.PASS
        assert [m.rule_id for m in d.matches] == ["num.allow.official"]


@pytest.mark.parametrize("caller", ["110", "12381", "+86 95533", "96110", "95105"])
def test_service_number_patterns_on_voip_ingress(snap: Snapshot, caller: str) -> None:
    assert "call.spoof.service_number" in ids(snap, call(caller, Ingress.VOIP))


def test_service_pattern_needs_the_whole_national_number(snap: Snapshot) -> None:
    # a Yinchuan landline (0951...) starts with 95 but is not a 95xxx hotline
    assert "call.spoof.service_number" not in ids(snap, call("09511234567", Ingress.VOIP))


def test_domestic_number_on_international_ingress_is_blocked(snap: Snapshot) -> None:
    for caller in ("+8613912345678", "13912345678", "008613912345678"):
        d = decide(snap, call(caller, Ingress.INTERNATIONAL))
        assert d.action is Action.BLOCK
        assert "call.spoof.domestic_on_international" in {m.rule_id for m in d.matches}


def test_domestic_number_on_roaming_or_domestic_ingress_is_not_a_spoof(snap: Snapshot) -> None:
    for ingress in (Ingress.ROAMING, Ingress.DOMESTIC):
        d = decide(snap, call("+8613912345678", ingress))
        assert d.action is Action.PASS and not d.matches


def test_international_call_with_prefix_passes(snap: Snapshot) -> None:
    for caller in ("+442071234567", "00442071234567"):
        d = decide(snap, call(caller, Ingress.INTERNATIONAL))
        assert d.action is Action.PASS and not d.matches


def test_international_call_without_country_prefix_scores(snap: Snapshot) -> None:
    d = decide(snap, call("442071234567", Ingress.INTERNATIONAL))
    found = {m.rule_id: m for m in d.matches}
    assert "call.spoof.missing_country_prefix" in found
    # read as a national number it is invalid, so it is not called a domestic spoof
    assert "call.spoof.domestic_on_international" not in found
    assert "call.invalid_number" in found
    assert d.action is Action.BLOCK  # 60 + 40 reaches the block threshold


def test_invalid_number_in_number_plan(snap: Snapshot) -> None:
    assert "call.invalid_number" in ids(snap, call("1380013800", Ingress.VOIP))  # 10 digits
    assert "call.invalid_number" in ids(snap, call("+85523123456", Ingress.INTERNATIONAL))
    for valid in ("13800138001", "+442071234567", "95588", "12381", "01012345678"):
        assert "call.invalid_number" not in ids(snap, call(valid, Ingress.VOIP)), valid
    # the default rule trusts the carrier's own subscribers (domestic ingress)
    assert "call.invalid_number" not in ids(snap, call("1380013800", Ingress.DOMESTIC))


def test_missing_ingress_does_not_fire_ingress_rules(snap: Snapshot) -> None:
    for caller in ("95588", "13912345678"):
        d = decide(snap, call(caller, Ingress.UNSPECIFIED))
        assert d.action is Action.PASS, d.matches


def test_ingress_rules_can_opt_in_to_unspecified(tmp_path: Path) -> None:
    root = write_ruleset(tmp_path, """
        [[rule]]
        id = "spoof.any"
        kind = "spoof_domestic_on_international"
        action = "flag"
        ingresses = ["international", "unspecified"]
    """)
    s = compile_ruleset(load_ruleset(root))
    assert decide(s, call("13912345678", Ingress.UNSPECIFIED)).action is Action.FLAG


def test_shadow_spoof_rule_reports_but_does_not_revoke_allow(tmp_path: Path) -> None:
    root = write_ruleset(tmp_path, """
        [[rule]]
        id = "allow.bank"
        kind = "number_list"
        action = "allow"
        file = "allow.txt"
        applies_to = ["caller"]

        [[rule]]
        id = "spoof.bank"
        kind = "spoof_service_number"
        action = "block"
        shadow = true
        numbers = ["95xxx"]
    """, files={"allow.txt": "95588\n"})
    d = decide(compile_ruleset(load_ruleset(root)), call("95588", Ingress.INTERNATIONAL))
    assert d.action is Action.PASS
    assert [m.rule_id for m in d.matches] == ["allow.bank"]
    assert [m.rule_id for m in d.shadow_matches] == ["spoof.bank"]


# -- high-risk origins -----------------------------------------------------------------------


def test_roaming_area_rule_flags(snap: Snapshot) -> None:
    d = decide(snap, call("13912345678", Ingress.ROAMING, roaming_area="45601"))
    assert d.action is Action.FLAG
    assert {m.rule_id for m in d.matches} == {"call.origin.high_risk_roaming"}
    assert decide(snap, call("13912345678", Ingress.ROAMING, roaming_area="46000")).matches == ()


def test_originating_country_rule_flags(snap: Snapshot) -> None:
    d = decide(snap, call("+442071234567", Ingress.INTERNATIONAL, caller_country="kh"))
    assert d.action is Action.FLAG
    assert "caller country KH" in {m.matched for m in d.matches}


def test_origin_rule_by_country_code_can_block(tmp_path: Path) -> None:
    root = write_ruleset(tmp_path, """
        [[rule]]
        id = "origin.block"
        kind = "origin"
        action = "block"
        category = "high_risk_origin"
        country_codes = ["+855", "95"]
        roaming_areas = ["MM-YGN"]
    """)
    s = compile_ruleset(load_ruleset(root))
    assert decide(s, call("+85512345678", Ingress.INTERNATIONAL)).action is Action.BLOCK
    assert decide(s, call("+95912345678", Ingress.INTERNATIONAL)).action is Action.BLOCK
    assert decide(s, call("13912345678", Ingress.ROAMING, roaming_area="mm-ygn")).action is (
        Action.BLOCK)
    assert decide(s, call("+442071234567", Ingress.INTERNATIONAL)).action is Action.PASS


# -- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field", "words"), [
    ('kind = "spoof_service_number"\nnumbers = ["95-xxx"]', "numbers", "digit patterns"),
    ('kind = "spoof_service_number"\nnumbers = ["95xxx"]\nlegitimate_ingresses = ["moon"]',
     "legitimate_ingresses", "unknown ingress"),
    ('kind = "spoof_domestic_on_international"\ningresses = []', "ingresses", "at least one"),
    ('kind = "origin"\ncountry_codes = ["+999"]', "country_codes", "country calling codes"),
    ('kind = "origin"\ncountries = ["Cambodia"]', "countries", "alpha-2"),
    ('kind = "origin"', "country_codes", "needs"),
    ('kind = "invalid_number"\ningresses = ["sea"]', "ingresses", "unknown ingress"),
])
def test_bad_call_rules_name_the_field(tmp_path: Path, body: str, field: str, words: str) -> None:
    root = write_ruleset(tmp_path, f'[[rule]]\nid = "bad.rule"\naction = "block"\n{body}\n')
    with pytest.raises(RuleSetError) as exc:
        load_ruleset(root)
    problem = exc.value.problems[0]
    assert (problem.rule_id, problem.field) == ("bad.rule", field)
    assert problem.file == "rules/main.toml" and problem.line == 2  # the line of its id
    assert words in problem.message


def test_call_rules_cannot_allow(tmp_path: Path) -> None:
    root = write_ruleset(tmp_path, '[[rule]]\nid = "x"\nkind = "origin"\naction = "allow"\n'
                                   'countries = ["KH"]\n')
    with pytest.raises(RuleSetError, match="not allowed for kind 'origin'"):
        load_ruleset(root)


def test_default_ruleset_has_every_call_rule_kind() -> None:
    kinds = {r.meta.kind for r in load_ruleset(DEFAULT_RULESET_DIR).rules}
    assert set(engine.calls.CALL_KINDS) | {"velocity"} <= kinds
