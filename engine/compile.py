"""Compile a RuleSet into an immutable Snapshot, stage by stage, each stage timed.

Stages, in order (names as reported in ``Snapshot.stage_times`` and GetStatus):

1. ``normalize``: build the text normalizer (look-alike map, switches).
2. one stage per registered matcher (``build number index``, ``build domain
   index``, ``build keyword automata``, ``build contact rules``, call rules...),
   once for live rules and once for shadow rules.
3. ``warm numba kernels``: every kernel is compiled (or loaded from the on-disk
   cache), every matcher is run once and so is the SMS lane (``engine.smslane``),
   before the snapshot is returned, so no request ever waits for JIT compilation.

>>> from rules import load_ruleset, DEFAULT_RULESET_DIR
>>> snap = compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))
>>> snap.version.startswith("default@")
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import engine.calls
import engine.contacts
import engine.domains
import engine.keywords
import engine.numbers
import engine.velocity  # (each of these modules registers its matcher)
from engine import extract, extract_gate, kwscan, numindex, smslane
from engine.matchers import MATCHERS, CompileInput, Matcher
from engine.normalize import Normalizer, NormalizeSettings
from engine.snapshot import Snapshot
from engine.textbatch import BatchNormalizer
from rules import listfile, phone
from rules.model import RuleSet

T = TypeVar("T")
TEXT_KINDS = frozenset({"keyword_list", "keyword", "domain_list", "contact", "number_list"})


def _timed(stages: dict[str, float], name: str, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = fn()
    stages[name] = stages.get(name, 0.0) + time.perf_counter() - start
    return result


def warm_kernels() -> None:
    """Compile or load every numba kernel the engine uses (idempotent, cheap when cached)."""
    numindex.warm()
    kwscan.warm()
    extract_gate.warm()
    extract.warm()  # the view-and-starts kernels requests use (extract_starts)
    listfile.warm()


def clear_memo_caches(snapshot: Snapshot | None = None) -> None:
    """Empty every memo cache a serving process fills (number keys, the phones of a
    digit run, and ``snapshot``'s prepared texts and host rules): for measuring traffic
    that nothing seen before helps. Answers never change, only their cost."""
    phone.clear_caches()
    extract.clear_caches()
    if snapshot is not None:
        snapshot.text_memo.clear()
        for matcher in (*snapshot.live, *snapshot.shadow):
            if isinstance(matcher, engine.domains.DomainMatcher):
                matcher.forget()


def compile_ruleset(ruleset: RuleSet, version: str | None = None) -> Snapshot:
    """Build the Snapshot for ``ruleset``; raise RuleSetError if a rule cannot compile."""
    stages: dict[str, float] = {}
    settings = NormalizeSettings(**dict(ruleset.normalize))
    normalizer = _timed(stages, "normalize",
                        lambda: Normalizer(settings, dict(ruleset.lookalikes)))
    text_batch = _timed(stages, "normalize", lambda: BatchNormalizer(normalizer))
    shared: dict[str, object] = {"normalizer": normalizer}
    live: list[Matcher] = []
    shadow: list[Matcher] = []
    needs_text = False
    for spec in MATCHERS:
        kinds = [r for r in ruleset.rules if r.meta.kind in spec.kinds]
        for dry_run, out in ((False, live), (True, shadow)):
            chosen = tuple(r for r in kinds if r.meta.shadow == dry_run)
            if not chosen:
                continue
            build = partial(spec.build, CompileInput(chosen, ruleset, shared))
            matcher = _timed(stages, spec.stage, build)
            if matcher is not None:
                out.append(matcher)
                needs_text = needs_text or any(k in TEXT_KINDS for k in spec.kinds)

    def warm() -> None:
        warm_kernels()
        text_batch.warm()
        for matcher in (*live, *shadow):
            matcher.warm()

    _timed(stages, "warm numba kernels", warm)
    snapshot = Snapshot(
        version=version or f"{ruleset.name or 'ruleset'}@{ruleset.digest[:12]}",
        name=ruleset.name,
        digest=ruleset.digest,
        source=ruleset.source,
        built_at=time.time(),
        counts=ruleset.counts(),
        stage_times=stages,
        thresholds=ruleset.thresholds,
        default_cc=ruleset.default_country_code,
        normalizer=normalizer,
        text_batch=text_batch,
        live=tuple(live),
        shadow=tuple(shadow),
        needs_text=needs_text,
    )
    # The SMS lane's kernels, on the buffers it hands them (engine.smslane builds on the
    # snapshot, so it is warmed last).
    _timed(stages, "warm numba kernels", lambda: smslane.warm(snapshot))
    return snapshot
