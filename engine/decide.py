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

from collections.abc import Sequence

import numpy as np

from engine.context import PARTY_FIELDS, EventContext, build_context
from engine.extract import extract, extract_many
from engine.extract_gate import may_extract_batch, may_extract_one
from engine.kwscan import encode_batch
from engine.matchers import SMALL_BATCH_EVENTS
from engine.snapshot import Snapshot
from engine.types import Action, Decision, Event
from rules.errors import EventError


def _prepare_texts(contexts: list[EventContext], snapshot: Snapshot) -> None:
    """Normalize and extract the text of every event that has some, a batch at a time.

    One UTF-32 encoding of the batch feeds both numba passes: the batch normalizer and
    the extraction gate, so ``extract`` runs only for messages that could hold a URL,
    domain, phone number or contact ID.
    """
    if not snapshot.needs_text:
        return
    with_text = [ctx for ctx in contexts if ctx.text]
    if not with_text:
        return
    if len(with_text) <= SMALL_BATCH_EVENTS:
        for ctx in with_text:
            _prepare_one(ctx, snapshot)
        return
    texts = [ctx.text for ctx in with_text]
    encoded = encode_batch(texts)
    normalized = snapshot.text_batch.normalize_many(texts, encoded)
    may_extract = may_extract_batch(buf=encoded[0], starts=encoded[1]).tolist()
    for ctx, result in zip(with_text, normalized, strict=True):
        ctx.normalized_text = result.text
        ctx.normalized = result
    to_extract = [ctx for ctx, extractable in zip(with_text, may_extract, strict=True)
                  if extractable]
    found = extract_many([ctx.text for ctx in to_extract], snapshot.default_cc)
    for ctx, items in zip(to_extract, found, strict=True):
        ctx.extracted = list(items)


def _prepare_one(ctx: EventContext, snapshot: Snapshot) -> None:
    """The single-event form of :func:`_prepare_texts`: kernels that return ints, and the
    normalized code points kept for the keyword scan (a batch's setup costs ~10 µs)."""
    buf = np.frombuffer(ctx.text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ctx.normalized, ctx.normalized_buf = snapshot.text_batch.normalize_one(ctx.text, buf)
    ctx.normalized_text = ctx.normalized.text
    if may_extract_one(buf):
        ctx.extracted = list(extract(ctx.text, snapshot.default_cc, buf))


def _assemble(ctx: EventContext, snapshot: Snapshot) -> Decision:
    event_id = ctx.event.event_id
    if not ctx.matches and not ctx.shadow_matches:  # most traffic: nothing matched
        return Decision(event_id, Action.PASS, 0, snapshot.version, (), ())
    party_allow = tuple(m for m in ctx.matches if m.action == "allow" and m.field in PARTY_FIELDS)
    shadow = tuple(ctx.shadow_matches)
    if party_allow:
        return Decision(event_id, Action.PASS, 0, snapshot.version, party_allow, shadow)
    score = 0
    counted: set[str] = set()
    blocked = flagged = False
    for m in ctx.matches:
        if m.action == "allow":
            continue  # an allow on a host or a number in the text only cleared that item
        blocked = blocked or m.action == "block"
        flagged = flagged or m.action == "flag"
        if m.rule_id not in counted:
            counted.add(m.rule_id)
            score += m.score
    if blocked or score >= snapshot.thresholds.block:
        action = Action.BLOCK
    elif flagged or score >= snapshot.thresholds.flag:
        action = Action.FLAG
    else:
        action = Action.PASS
    return Decision(event_id, action, score, snapshot.version, tuple(ctx.matches), shadow)


def _run(contexts: list[EventContext], snapshot: Snapshot) -> list[Decision]:
    _prepare_texts(contexts, snapshot)
    for matcher in snapshot.live:
        matcher.match_batch(contexts, False)
    for matcher in snapshot.shadow:
        matcher.match_batch(contexts, True)
    return [_assemble(ctx, snapshot) for ctx in contexts]


def decide(snapshot: Snapshot, event: Event, runtime: object | None = None) -> Decision:
    """Decide one event; raise :class:`rules.errors.EventError` naming a bad field."""
    ctx = build_context(event, snapshot.default_cc)
    ctx.runtime = runtime
    return _run([ctx], snapshot)[0]


def decide_batch(snapshot: Snapshot, events: Sequence[Event],
                 runtime: object | None = None) -> list[Decision]:
    """Decide many events in order; a bad event raises EventError naming ``events[i].field``.

    Validation happens before any matching, so a refused batch has no side effects.
    """
    contexts = []
    for i, event in enumerate(events):
        try:
            ctx = build_context(event, snapshot.default_cc)
        except EventError as exc:
            raise EventError(f"events[{i}].{exc.field}", exc.reason) from None
        ctx.runtime = runtime
        contexts.append(ctx)
    return _run(contexts, snapshot)
