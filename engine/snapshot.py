"""The immutable compiled form of a ruleset.

A :class:`Snapshot` is built by :func:`engine.compile_ruleset` and never
changed afterwards: requests read ``holder.current`` once and use only that
snapshot, so every decision is made by exactly one ruleset version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.matchers import Matcher
from engine.normalize import Normalizer
from engine.textbatch import BatchNormalizer
from engine.textmemo import TextMemo
from rules.model import Thresholds


@dataclass(frozen=True)
class Snapshot:
    """A compiled ruleset, ready to decide events.

    ``version`` is what every decision reports (``name@digest12`` for a local
    directory, the store's version number for a ruleset from Redis);
    ``stage_times`` gives seconds per compile stage, in order.
    """

    version: str
    name: str
    digest: str
    source: str
    built_at: float
    counts: Mapping[str, int]
    stage_times: Mapping[str, float]
    thresholds: Thresholds
    default_cc: str
    normalizer: Normalizer
    text_batch: BatchNormalizer  # the normalizer's batch form (engine.textbatch)
    live: tuple[Matcher, ...]
    shadow: tuple[Matcher, ...]
    needs_text: bool
    # Prepared texts of this snapshot (engine.textmemo): mutable, but only a cache.
    text_memo: TextMemo = field(default_factory=TextMemo, compare=False, repr=False)

    def describe(self) -> str:
        """One line for logs: ``default@1a2b3c4d5e6f (12 rules, ...)``."""
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())
                           if not k.startswith("rules."))
        return f"{self.version} [{counts}] from {self.source}"
