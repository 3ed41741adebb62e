"""Caller-ID spoofing and high-risk origin rules on call setups.

Each rule kind (see ``rules.calls``) compiles into a small check: a function
of the event and a :class:`CallFacts` computed once per call. Checks are found
through :data:`CHECKS` (rule class -> builder), never an if-chain.

Why spoofing revokes the caller's allow entries: an ``allow`` match on a party
number decides the whole event (``engine.decide``), which is right for a real
bank hotline but exactly what a forger exploits when he shows ``95588`` on an
international trunk. When a live ``spoof_domestic_on_international`` or
``spoof_service_number`` rule fires, the caller ID is known to be forged, so
this matcher removes the ``allow`` matches on the ``caller`` field (the
decision then reports the spoof rule instead). Shadow rules never revoke.

Missing ingress (``Ingress.UNSPECIFIED``): the ingress-based checks cannot tell
a spoof from a genuine call. ``spoof_service_number`` never fires on it;
``spoof_domestic_on_international`` and ``missing_country_prefix`` fire on it
only if a rule lists ``"unspecified"`` in its ``ingresses`` (docs/velocity.md,
"Bad input").

>>> from rules.calls import SpoofServiceNumberRule
>>> from rules.model import RuleMeta
>>> meta = RuleMeta("s", "spoof_service_number", "block", 100, "spoof")
>>> check = _service_check(SpoofServiceNumberRule(meta, ("95xxx",), ("domestic",)))
>>> check(CallFacts.of(CallEvent("c", "95588", "13800138000", Ingress.INTERNATIONAL),
...                    8695588, "86"))
'95588 on international ingress'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from engine.context import EventContext
from engine.matchers import CompileInput, MatcherSpec, register_matcher
from engine.numberplan import plan_valid
from engine.types import CallEvent, Ingress, Match
from rules.calls import (
    InvalidNumberRule,
    MissingCountryPrefixRule,
    OriginRule,
    SpoofDomesticRule,
    SpoofServiceNumberRule,
)
from rules.model import Rule, RuleMeta
from rules.phone import country_code_of, fold_number_text

#: Kinds whose firing proves the caller ID forged (they revoke caller allow entries).
SPOOF_KINDS = frozenset({"spoof_domestic_on_international", "spoof_service_number"})
_INGRESS_NAMES = {int(i): i.name.lower() for i in Ingress}
CALL_KINDS = ("spoof_domestic_on_international", "spoof_service_number",
              "missing_country_prefix", "invalid_number", "origin")


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the checks need about one call, computed once."""

    event: CallEvent
    ingress: str  # "international", ...
    digits: str  # canonical caller digits
    national: str  # digits after the default country code ('' if not domestic)
    written_international: bool  # the caller as written starts with + or 00

    @classmethod
    def of(cls, event: CallEvent, caller_key: int, default_cc: str) -> CallFacts:
        digits = str(caller_key)
        domestic = digits.startswith(default_cc)
        written = fold_number_text(event.caller)
        return cls(event, _INGRESS_NAMES.get(int(event.ingress), "unspecified"), digits,
                   digits[len(default_cc):] if domestic else "",
                   written.startswith(("+", "00")))


Check = Callable[[CallFacts], str | None]  # what matched, or None


def _domestic_check(rule: SpoofDomesticRule) -> Check:
    ingresses = frozenset(rule.ingresses)

    def check(f: CallFacts) -> str | None:
        # A valid domestic number is a forged ID; an invalid one is more likely a foreign
        # number sent without its prefix (missing_country_prefix / invalid_number say so).
        if f.ingress in ingresses and f.national and number_plan_valid(f.digits):
            return f"domestic +{f.digits} on {f.ingress} ingress"
        return None
    return check


def _service_check(rule: SpoofServiceNumberRule) -> Check:
    alternatives = "|".join(re.escape(p).replace("x", r"\d") for p in rule.patterns)
    pattern = re.compile(f"(?:{alternatives})")
    legitimate = frozenset(rule.legitimate_ingresses)

    def check(f: CallFacts) -> str | None:
        if (f.national and f.ingress != "unspecified" and f.ingress not in legitimate
                and pattern.fullmatch(f.national)):
            return f"{f.national} on {f.ingress} ingress"
        return None
    return check


def _missing_prefix_check(rule: MissingCountryPrefixRule) -> Check:
    ingresses = frozenset(rule.ingresses)

    def check(f: CallFacts) -> str | None:
        if f.ingress in ingresses and not f.written_international:
            return f"{f.event.caller!r} without +/00 on {f.ingress} ingress"
        return None
    return check


@lru_cache(maxsize=1 << 16)
def number_plan_valid(digits: str) -> bool:
    """Whether ``+digits`` is a valid number (or a valid short number) of its plan.

    Cached: a new number costs phonenumbers' validity test, ~5-20 µs by country
    (``engine.numberplan``, which skips ``parse``: it took ~10 µs more); callers repeat.

    >>> number_plan_valid("8613800138000"), number_plan_valid("8695588")
    (True, True)
    >>> number_plan_valid("861380013800")
    False
    """
    return plan_valid(digits)


def _invalid_check(rule: InvalidNumberRule) -> Check:
    ingresses = frozenset(rule.ingresses)

    def check(f: CallFacts) -> str | None:
        if ingresses and f.ingress not in ingresses:
            return None
        return None if number_plan_valid(f.digits) else f"+{f.digits} invalid in its number plan"
    return check


def _origin_check(rule: OriginRule) -> Check:
    codes, countries = frozenset(rule.country_codes), frozenset(rule.countries)
    exact = frozenset(a for a in rule.roaming_areas if not a.endswith("*"))
    prefixes = tuple(a[:-1] for a in rule.roaming_areas if a.endswith("*"))

    def check(f: CallFacts) -> str | None:
        cc = country_code_of(f.digits)
        if cc in codes:
            return f"country code +{cc}"
        country = f.event.caller_country.strip().upper()
        if country in countries:
            return f"caller country {country}"
        area = f.event.roaming_area.strip().upper()
        if area and (area in exact or area.startswith(prefixes)):
            return f"roaming area {area}"
        return None
    return check


CHECKS: dict[type, Callable[[Rule], Check]] = {
    SpoofDomesticRule: _domestic_check,  # type: ignore[dict-item]
    SpoofServiceNumberRule: _service_check,  # type: ignore[dict-item]
    MissingCountryPrefixRule: _missing_prefix_check,  # type: ignore[dict-item]
    InvalidNumberRule: _invalid_check,  # type: ignore[dict-item]
    OriginRule: _origin_check,  # type: ignore[dict-item]
}


class CallRuleMatcher:
    """Compiled spoofing and origin rules of one snapshot (live or shadow)."""

    def __init__(self, rules: Sequence[Rule], default_cc: str) -> None:
        self.default_cc = default_cc
        self.checks: tuple[tuple[RuleMeta, Check], ...] = tuple(
            (r.meta, CHECKS[type(r)](r)) for r in rules)

    def warm(self) -> None:
        """Load the number-plan metadata now, not on the first call."""
        number_plan_valid("8613800138000")

    def match_batch(self, contexts: Sequence[EventContext], shadow: bool) -> None:
        for ctx in contexts:
            if ctx.kind != "call" or not isinstance(ctx.event, CallEvent):
                continue
            facts = CallFacts.of(ctx.event, ctx.numbers["caller"], self.default_cc)
            sink = ctx.shadow_matches if shadow else ctx.matches
            forged = False
            for meta, check in self.checks:
                matched = check(facts)
                if matched is not None:
                    sink.append(Match(meta.id, meta.kind, meta.category, "caller", matched,
                                      meta.action, meta.score))
                    forged = forged or meta.kind in SPOOF_KINDS
            if forged and not shadow:
                ctx.matches[:] = [m for m in ctx.matches
                                  if not (m.action == "allow" and m.field == "caller")]


def _build(inp: CompileInput) -> CallRuleMatcher | None:
    rules = [r for r in inp.rules if type(r) in CHECKS]
    return CallRuleMatcher(rules, inp.ruleset.default_country_code) if rules else None


# After the number lists (order 10): revoking a caller allow needs their matches in place.
register_matcher(MatcherSpec("build call rules", CALL_KINDS, _build, order=20))
