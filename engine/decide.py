"""Decide events against a Snapshot.

Scoring and precedence (the README's table):

* An ``allow`` match on a party number (caller, callee, sender, recipient)
  decides the whole event: PASS, whatever else matched.
* Otherwise any ``block`` match blocks; any ``flag`` match flags.
* Every matched rule adds its score once; ``score >= thresholds.block`` blocks,
  ``score >= thresholds.flag`` flags; otherwise PASS.
* Shadow rules are evaluated into ``shadow_matches`` and never change the action.

``decide_batch`` validates every event first, then runs each matcher once over
the whole batch, so per-event Python work is paid once per batch where it can.

>>> from rules import load_ruleset, DEFAULT_RULESET_DIR
>>> from engine import compile_ruleset, MessageEvent
>>> snap = compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))
>>> decide(snap, MessageEvent("m1", "13912345678", "13800138000", "今晚一起吃饭吗")).action.name
'PASS'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from engine.context import PARTY_FIELDS, EventContext, build_context
from engine.extract import extract, extract_many
from engine.extract_gate import may_extract_batch
from engine.kwscan import encode_batch
from engine.matchers import LANE_MIN_EVENTS, SMALL_BATCH_EVENTS
from engine.normalize import Normalized
from engine.snapshot import Snapshot
from engine.textmemo import PreparedText
from engine.types import Action, Decision, Event, Match
from engine.utf32 import code_points
from rules.errors import EventError

#: Texts some caller folded and gated already (the SMS lane): each one's normalized
#: form and whether extraction could find anything in it.
Prefolded = Mapping[str, tuple[Normalized, bool]]


def prepare_texts(contexts: list[EventContext], snapshot: Snapshot,
                  prefolded: Prefolded | None = None) -> None:
    """Normalize and extract the text of every event that has some, once per distinct text.

    A text the snapshot prepared before comes from its memo (``engine.textmemo``);
    the rest are prepared together, each distinct text once, and remembered. A text in
    ``prefolded`` is not folded or gated again.
    """
    if not snapshot.needs_text:
        return
    memo = snapshot.text_memo
    if len(contexts) == 1:  # a single decision: no grouping, no batch bookkeeping
        ctx = contexts[0]
        if ctx.text:
            known = memo.get(ctx.text)
            if known is None:
                known = _prepare_one(ctx.text, snapshot)
                memo.put(ctx.text, known)
            ctx.prepared = known
            ctx.extracted = known.extracted
        return
    recall = memo.lookup()
    new: dict[str, list[EventContext]] = {}
    hits = 0
    for ctx in contexts:
        text = ctx.text
        if text:
            known = recall(text)
            if known is not None:
                ctx.prepared = known
                ctx.extracted = known.extracted  # a tuple, shared: matchers only read it
                hits += 1
            elif text in new:
                new[text].append(ctx)
            else:
                new[text] = [ctx]
    memo.count(hits, sum(map(len, new.values())))
    if not new:
        return
    texts = list(new)
    if prefolded:
        prepared = _prepare_prefolded(texts, snapshot, prefolded)
    elif len(texts) <= SMALL_BATCH_EVENTS:
        prepared = [_prepare_one(text, snapshot) for text in texts]
    else:
        prepared = _prepare_many(texts, snapshot)
    memo.put_many(zip(texts, prepared, strict=True))
    for waiting, result in zip(new.values(), prepared, strict=True):
        extracted = result.extracted
        for ctx in waiting:
            ctx.prepared = result
            ctx.extracted = extracted


def _prepare_many(texts: list[str], snapshot: Snapshot) -> list[PreparedText]:
    """Prepare texts a batch at a time. One UTF-32 encoding of the batch feeds both numba
    passes: the batch normalizer and the extraction gate, so ``extract`` runs only for
    messages that could hold a URL, domain, phone number or contact ID."""
    encoded = encode_batch(texts)
    normalized = snapshot.text_batch.normalize_many(texts, encoded)
    may_extract = may_extract_batch(buf=encoded[0], starts=encoded[1]).tolist()
    to_extract = [text for text, extractable in zip(texts, may_extract, strict=True)
                  if extractable]
    found = iter(extract_many(to_extract, snapshot.default_cc))
    return [PreparedText(result, None, tuple(next(found)) if extractable else ())
            for result, extractable in zip(normalized, may_extract, strict=True)]


def _prepare_prefolded(texts: list[str], snapshot: Snapshot, prefolded: Prefolded
                       ) -> list[PreparedText]:
    """:func:`_prepare_many` where ``prefolded`` has the texts' normalized forms and gate
    results already: only extraction is left (the others are prepared as usual)."""
    others = [text for text in texts if text not in prefolded]
    made = dict(zip(others, _prepare_many(others, snapshot), strict=True)) if others else {}
    to_extract = [text for text in texts if text not in made and prefolded[text][1]]
    found = dict(zip(to_extract, extract_many(to_extract, snapshot.default_cc), strict=True))
    for text in texts:
        if text not in made:
            made[text] = PreparedText(prefolded[text][0], None, tuple(found.get(text, ())))
    return [made[text] for text in texts]


def _prepare_one(text: str, snapshot: Snapshot) -> PreparedText:
    """The single-text form of :func:`_prepare_many`: kernels that return ints, and the
    normalized code points kept for the keyword scan (a batch's setup costs ~10 µs)."""
    buf = code_points(text)
    normalized, normalized_points, may_extract = snapshot.text_batch.prepare_one(text, buf)
    extracted = tuple(extract(text, snapshot.default_cc, buf)) if may_extract else ()
    return PreparedText(normalized, normalized_points, extracted)


def _assemble(ctx: EventContext, snapshot: Snapshot) -> Decision:
    """The decision for an event some rule matched (``_run`` makes the others')."""
    return assemble(ctx.event.event_id, ctx.matches, ctx.shadow_matches, snapshot)


def assemble(event_id: str, matches: Sequence[Match], shadow_matches: Sequence[Match],
             snapshot: Snapshot) -> Decision:
    """The decision for an event given its matches, in matcher order (the precedence and
    scoring of this module's docstring)."""
    if len(matches) == 1 and not shadow_matches:
        # The usual matched event (one keyword list, one number list): no bookkeeping.
        (m,) = matches
        if m.action != "allow":
            action = _action(m.action == "block", m.action == "flag", m.score, snapshot)
            return Decision(event_id, action, m.score, snapshot.version, (m,), ())
    # One pass over the matches for both outcomes (a generator for the allows cost
    # about as much as the scoring loop).
    party_allow: list[Match] = []
    score = 0
    counted: set[str] = set()
    blocked = flagged = False
    for m in matches:
        rule_action = m.action
        if rule_action == "allow":
            if m.field in PARTY_FIELDS:
                party_allow.append(m)
            continue  # an allow on a host or a number in the text only cleared that item
        if rule_action == "block":
            blocked = True
        elif rule_action == "flag":
            flagged = True
        if m.rule_id not in counted:
            counted.add(m.rule_id)
            score += m.score
    shadow = tuple(shadow_matches)
    if party_allow:
        return Decision(event_id, Action.PASS, 0, snapshot.version, tuple(party_allow), shadow)
    return Decision(event_id, _action(blocked, flagged, score, snapshot), score,
                    snapshot.version, tuple(matches), shadow)


def _action(blocked: bool, flagged: bool, score: int, snapshot: Snapshot) -> Action:
    """A block or flag match, else the score against the snapshot's thresholds."""
    if blocked or score >= snapshot.thresholds.block:
        return Action.BLOCK
    if flagged or score >= snapshot.thresholds.flag:
        return Action.FLAG
    return Action.PASS


Lap = Callable[[str], None]  # ends the stage named, starts the next (decide_batch's timing)


def _run(contexts: list[EventContext], snapshot: Snapshot, lap: Lap | None = None
         ) -> list[Decision]:
    prepare_texts(contexts, snapshot)
    if lap is not None:
        lap("prepare texts")
    for matchers, shadow in ((snapshot.live, False), (snapshot.shadow, True)):
        for matcher in matchers:
            matcher.match_batch(contexts, shadow)
            if lap is not None:
                lap(type(matcher).__name__ + (" (shadow)" if shadow else ""))
    # Most traffic matches nothing: its PASS is made here, not in a call per event.
    version, passed = snapshot.version, Action.PASS
    decisions = [Decision(ctx.event.event_id, passed, 0, version, (), ())
                 if not ctx.matches and not ctx.shadow_matches else _assemble(ctx, snapshot)
                 for ctx in contexts]
    if lap is not None:
        lap("score")
    return decisions


def decide(snapshot: Snapshot, event: Event, runtime: object | None = None) -> Decision:
    """Decide one event; raise :class:`rules.errors.EventError` naming a bad field."""
    return _run([build_context(event, snapshot.default_cc, runtime)], snapshot)[0]


def decide_batch(snapshot: Snapshot, events: Sequence[Event], runtime: object | None = None,
                 *, stage_seconds: dict[str, float] | None = None) -> list[Decision]:
    """Decide many events in order; a bad event raises EventError naming ``events[i].field``.

    Validation happens before any matching, so a refused batch has no side effects.
    ``stage_seconds``: add each stage's wall time to it (``bench/bench_decide.py`` reports
    where a batch's time goes; a few clock reads a batch, no cost per event).

    >>> from rules import load_ruleset, DEFAULT_RULESET_DIR
    >>> from engine import compile_ruleset, MessageEvent
    >>> snap = compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))
    >>> times: dict[str, float] = {}
    >>> _ = decide_batch(snap, [MessageEvent("m1", "13912345678", "13800138000", "hi")],
    ...                  stage_seconds=times)
    >>> list(times)[:3], list(times)[-1]
    (['build contexts', 'prepare texts', 'NumberMatcher'], 'score')
    """
    lap = None if stage_seconds is None else _stopwatch(stage_seconds)
    if not isinstance(events, list | tuple):
        events = list(events)  # a bad event is looked for again: the events must be re-readable
    if len(events) >= LANE_MIN_EVENTS:
        from engine.smslane import decide_sms_batch  # it builds on this module

        decided = decide_sms_batch(snapshot, events, runtime, lap)
        if decided is not None:
            return decided
    default_cc = snapshot.default_cc
    try:
        contexts = [build_context(event, default_cc, runtime) for event in events]
    except EventError:
        _raise_first_bad(events, default_cc)
        raise
    if lap is not None:
        lap("build contexts")
    return _run(contexts, snapshot, lap)


def _stopwatch(seconds: dict[str, float]) -> Lap:
    last = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal last
        now = time.perf_counter()
        seconds[stage] = seconds.get(stage, 0.0) + now - last
        last = now

    return lap


def _raise_first_bad(events: Sequence[Event], default_cc: str) -> None:
    """Raise the first bad event's ``EventError``, its field named ``events[i].field``."""
    for i, event in enumerate(events):
        try:
            build_context(event, default_cc)
        except EventError as exc:
            raise EventError(f"events[{i}].{exc.field}", exc.reason) from None
