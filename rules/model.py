"""The validated, frozen form of a ruleset.

A :class:`RuleSet` is what ``rules.parse`` produces from a directory (or the
Redis store produces from a stored version) and what ``engine.compile_ruleset``
turns into a :class:`engine.Snapshot`. Nothing in it changes after
construction: numpy arrays are made read-only, collections are tuples.

Every rule carries a :class:`RuleMeta` (stable id, kind, action, score,
category, enabled / shadow flags, description, and where it was defined).
Large lists keep their entries in numpy arrays of number keys (see
``rules.phone``), so a 10 M-number list costs 8 bytes per entry here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

ActionName = Literal["allow", "block", "flag", "score"]
ACTIONS: tuple[ActionName, ...] = ("allow", "block", "flag", "score")
#: Event fields a number list can apply to.
NUMBER_FIELDS = ("caller", "callee", "sender", "recipient", "text")

Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What every rule has, whatever its kind."""

    id: str
    kind: str
    action: ActionName
    score: int
    category: str
    description: str = ""
    enabled: bool = True
    shadow: bool = False  # evaluated and reported, never changes the action
    file: str = ""
    line: int = 0


class Rule(Protocol):
    """Any rule: a frozen dataclass with a ``meta`` and kind-specific fields."""

    @property
    def meta(self) -> RuleMeta: ...


@dataclass(frozen=True, slots=True)
class NumberListRule:
    """A list of numbers: exact entries, prefixes, and ranges (kept as prefixes).

    ``exact`` and ``prefixes`` hold number keys (canonical digits as int64),
    sorted and unique. A range ``lo..hi`` is stored as the prefixes that cover
    exactly that range.
    """

    meta: RuleMeta
    applies_to: tuple[str, ...]
    exact: Int64Array
    prefixes: Int64Array


@dataclass(frozen=True, slots=True)
class DomainListRule:
    """Domains matched by suffix on whole labels: ``example.com`` covers ``a.example.com``."""

    meta: RuleMeta
    domains: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeywordListRule:
    """Many single keywords sharing one rule: any of them matching fires the rule once."""

    meta: RuleMeta
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeywordComboRule:
    """A combination within one message.

    Fires when every ``all_of`` term occurs, at least ``min_any`` of the
    ``any_of`` terms occur (when ``any_of`` is given) and no ``none_of`` term occurs.
    """

    meta: RuleMeta
    all_of: tuple[str, ...]
    any_of: tuple[str, ...]
    none_of: tuple[str, ...]
    min_any: int = 1


@dataclass(frozen=True, slots=True)
class ContactRule:
    """Contact diversion: an SMS from a sender not on an allow list that asks the
    recipient to get in touch elsewhere (phone number, QQ, WeChat, Telegram)."""

    meta: RuleMeta
    contact_kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score thresholds: ``score >= flag`` flags, ``score >= block`` blocks."""

    flag: int = 40
    block: int = 100


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A complete, validated ruleset. Build it with ``rules.load_ruleset``."""

    name: str
    description: str
    thresholds: Thresholds
    default_country_code: str
    normalize: Mapping[str, bool]
    lookalikes: Mapping[str, str]
    rules: tuple[Rule, ...]
    digest: str
    source: str = ""
    settings: Mapping[str, object] = field(default_factory=dict)
    files: tuple[str, ...] = ()  # every file the ruleset is made of (what a push publishes)

    def by_kind(self, kind: str) -> tuple[Rule, ...]:
        """The rules of one kind, in definition order."""
        return tuple(r for r in self.rules if r.meta.kind == kind)

    def counts(self) -> dict[str, int]:
        """Entry counts per kind, as reported by ``rules validate`` and ``GetStatus``."""
        counts: dict[str, int] = {"rules": len(self.rules)}
        for rule in self.rules:
            counts[f"rules.{rule.meta.kind}"] = counts.get(f"rules.{rule.meta.kind}", 0) + 1
            if isinstance(rule, NumberListRule):
                counts["numbers"] = counts.get("numbers", 0) + len(rule.exact)
                counts["number_prefixes"] = counts.get("number_prefixes", 0) + len(rule.prefixes)
            elif isinstance(rule, DomainListRule):
                counts["domains"] = counts.get("domains", 0) + len(rule.domains)
            elif isinstance(rule, KeywordListRule):
                counts["keywords"] = counts.get("keywords", 0) + len(rule.terms)
            elif isinstance(rule, KeywordComboRule):
                n = len(rule.all_of) + len(rule.any_of) + len(rule.none_of)
                counts["keywords"] = counts.get("keywords", 0) + n
        return counts


def frozen_array(values: Int64Array) -> Int64Array:
    """Return ``values`` as a read-only array (no copy when already contiguous)."""
    arr = np.ascontiguousarray(values, dtype=np.int64)
    arr.flags.writeable = False
    return arr
