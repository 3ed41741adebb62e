"""The matcher registry: how each rule kind is compiled and evaluated.

Every rule kind has one module with the same shape: a ``build`` function that
turns that kind's rules into an immutable matcher, and the matcher's
``match_batch`` that adds :class:`engine.types.Match` objects to each event's
context. ``compile_ruleset`` and ``decide`` dispatch through :data:`MATCHERS`
only, so a new kind is one :func:`register_matcher` call in its own module.

A matcher is built twice per snapshot: once over the live rules and once over
the shadow (dry-run) rules; the shadow instance writes to ``shadow_matches``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from engine.context import EventContext
from rules.model import Rule, RuleSet

#: Batches of at most this many events take each stage's single-event path: up to
#: 3 events a batch's numpy setup and returned arrays cost more than they save
#: (measured on the unmasked corpus, default ruleset: 3 events 80 vs 87 µs per event,
#: 4 events 78 vs 75). The unary coalescer's batches at 32 requests in flight hold ~2.
SMALL_BATCH_EVENTS = 3
#: Batches of at least this many events may take the SMS lane (``engine.smslane``): below,
#: its per-batch setup (a few kernel calls and arrays) costs more than it saves.
LANE_MIN_EVENTS = 64


class Matcher(Protocol):
    """A compiled, immutable matcher for one or more rule kinds."""

    def match_batch(self, contexts: Sequence[EventContext], shadow: bool) -> None:
        """Append matches to ``ctx.matches`` (or ``ctx.shadow_matches``) for each context."""
        ...

    def warm(self) -> None:
        """Run once on a tiny input so no request waits for JIT compilation."""
        ...


@dataclass(frozen=True)
class CompileInput:
    """What a matcher builder gets: its rules, and the ruleset they came from."""

    rules: tuple[Rule, ...]
    ruleset: RuleSet
    shared: dict[str, object]  # objects built once per snapshot (the normalizer)


@dataclass(frozen=True)
class MatcherSpec:
    """One registered matcher: the stage name, the kinds it serves, its builder."""

    stage: str  # compile stage name, reported with its build time
    kinds: tuple[str, ...]
    build: Callable[[CompileInput], Matcher | None]  # None when it has nothing to do
    order: int = 100  # evaluation order: party numbers first, text stages later


MATCHERS: list[MatcherSpec] = []


def register_matcher(spec: MatcherSpec) -> None:
    """Add a matcher to the registry (idempotent for the same spec)."""
    if any(s.stage == spec.stage for s in MATCHERS):
        return
    MATCHERS.append(spec)
    MATCHERS.sort(key=lambda s: s.order)
