"""The SMS lane: a batch of SMS decided column by column.

``decide_batch``'s general path builds an :class:`~engine.context.EventContext` for
every event and a :class:`~engine.textmemo.PreparedText` for every text, then runs each
matcher over the contexts: on real SMS ~7 µs an event, most of it Python objects made
and read once per event. Most of an SMS gateway's traffic needs none of them: a
sender and recipient written in digits, and a text that holds nothing to extract (no
URL, domain, phone number or contact ID) and that the batch fold normalizes, alone or
with the context kernel (separators, repeats, look-alike keys), not through OpenCC's
phrases or the exact path. Such an event is *simple* (97% of the masked corpus), and
the lane decides it from columns:

* party numbers: one exact-table and prefix lookup over every simple event's keys
  (:meth:`NumberMatcher.party_hits`);
* keywords: one kernel scan over the folded texts of the batch and one kernel for the
  rules they fire (:meth:`KeywordMatcher.fired_in_encoded`); the fold kept every
  offset, so spans are the original text's. The few texts a context rule rewrote
  (~2%) are scanned as a small batch of their own, each span mapped back through its
  offset map;
* domains, contacts and call rules need extracted items or a call: nothing to do;
* velocity: one kernel call counts every event of the batch, simple or not, in order,
  as the general path does (:meth:`VelocityMatcher.fired_rows`).

Python then runs per match, not per event. Every other event of the batch (an
alphanumeric sender, a text to extract from or one for OpenCC's phrases) gets its
context, its prepared text (through the snapshot's text memo) and the general
matchers, in the same pass and in the same matcher order, so every decision equals the
general path's: ``tests/test_smslane.py`` holds the two to each other on fuzzed
batches. A batch with any other kind of event, a matcher the lane does not know, or a
field the general path would refuse is left to the general path (``None``), before
anything is counted. A text the memo holds is not folded again; simple texts go into
the memo only from a batch that repeats texts (a campaign), where that pays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from engine.calls import CallRuleMatcher
from engine.contacts import ContactMatcher
from engine.context import (
    INGRESS_VALUES,
    MAX_ID_CHARS,
    MAX_NUMBER_CHARS,
    MAX_TEXT_CHARS,
    EventContext,
    build_context,
    plain_numbers,
)
from engine.decide import assemble, prepare_texts
from engine.domains import DomainMatcher
from engine.keywords import KeywordMatcher
from engine.kwscan import encode_batch
from engine.matchers import LANE_MIN_EVENTS
from engine.normalize import Normalized
from engine.numbers import NumberMatcher
from engine.numkeys import number_keys
from engine.snapshot import Snapshot
from engine.textbatch import EXACT, FOLDED
from engine.textmemo import PreparedText
from engine.types import Action, Decision, Match, MessageEvent
from engine.velocity import VelocityMatcher, message_rows, velocity_state
from rules.errors import EventError
from rules.model import NUMBER_FIELDS

#: Matchers the lane knows how to run (any other kind of matcher: the general path).
LANE_MATCHERS = (NumberMatcher, CallRuleMatcher, DomainMatcher, KeywordMatcher, ContactMatcher,
                 VelocityMatcher)
_RECIPIENT, _SENDER = NUMBER_FIELDS.index("recipient"), NUMBER_FIELDS.index("sender")

Lap = Callable[[str], None]
Found = dict[int, list[Match]]  # event index -> its matches so far, in matcher order


def decide_sms_batch(snapshot: Snapshot, events: Sequence[object], runtime: object | None,
                     lap: Lap | None = None) -> list[Decision] | None:
    """Decide a batch of SMS through the lane, or return None for the general path."""
    if len(events) < LANE_MIN_EVENTS or set(map(type, events)) != {MessageEvent}:
        return None
    if not all(isinstance(m, LANE_MATCHERS) for m in (*snapshot.live, *snapshot.shadow)):
        return None
    sms: Sequence[MessageEvent] = events  # type: ignore[assignment]  # checked above
    cols = _columns(sms, snapshot.default_cc)
    if cols is None:
        return None
    # Every event that is not plain is checked first (its text may not even be a str).
    contexts = _contexts(sms, np.flatnonzero(~cols.plain).tolist(), snapshot, runtime)
    if contexts is None:
        return None  # the general path names the event and its field
    simple, folded = cols.plain, None
    if snapshot.needs_text:
        simple, folded = _fold(snapshot, cols)
        more = _plain_contexts(sms, np.flatnonzero(cols.plain & ~simple).tolist(), cols,
                               runtime)
        if more:
            contexts = dict(sorted({**contexts, **more}.items()))  # batch order
    keys = cols.sender_keys
    if contexts:
        keys = keys.copy()
        for i, ctx in contexts.items():
            keys[i] = ctx.numbers.get("sender", 0)  # 0: an alphanumeric sender
    velocity_rows = message_rows(keys, cols.times)
    if velocity_rows is None:
        return None  # a time out of range: the general path refuses the batch
    if lap is not None:
        lap("lane: columns")
    in_context = list(contexts.values())
    prepare_texts(in_context, snapshot, folded.prefolded if folded is not None else None)
    if lap is not None:
        lap("lane: prepare texts in context")
    found: Found = {}
    shadow_found: Found = {}
    for group, shadow in ((snapshot.live, False), (snapshot.shadow, True)):
        sink = shadow_found if shadow else found
        for matcher in group:
            if isinstance(matcher, VelocityMatcher):
                _velocity(matcher, runtime, keys, velocity_rows, contexts, sink, shadow)
            elif in_context:
                matcher.match_batch(in_context, shadow)
            if isinstance(matcher, NumberMatcher):
                _parties(matcher, simple, cols, sink)
            elif isinstance(matcher, KeywordMatcher) and folded is not None:
                _keywords(matcher, folded, sink, shadow)
            # Domains, contacts and call rules: nothing in a simple SMS (see above).
            if lap is not None:
                lap(f"lane: {type(matcher).__name__}" + (" (shadow)" if shadow else ""))
    if folded is not None:
        _remember(snapshot, folded)
    decisions = _decisions(snapshot, cols.ids, contexts, found, shadow_found)
    if lap is not None:
        lap("lane: score")
    return decisions


def _contexts(sms: Sequence[MessageEvent], indexes: list[int], snapshot: Snapshot,
              runtime: object | None) -> dict[int, EventContext] | None:
    """Contexts for the events at ``indexes`` (checked as the general path checks them),
    or None if one is refused."""
    try:
        return {i: build_context(sms[i], snapshot.default_cc, runtime) for i in indexes}
    except EventError:
        return None


class Columns(NamedTuple):
    """A batch of SMS as columns (the fields :func:`_columns` checked)."""

    ids: list[str]
    texts: list[str]
    times: list[int]
    sender_keys: list[int]  # 0 where the event is not plain
    recipient_keys: list[int]
    plain: npt.NDArray[np.bool_]


def _plain_contexts(sms: Sequence[MessageEvent], indexes: list[int], cols: Columns,
                    runtime: object | None) -> dict[int, EventContext]:
    """Contexts for plain events (checked, their keys read): what ``build_context`` makes
    of them, without reading their numbers again (~1.6 µs a number it has not seen)."""
    senders, recipients = cols.sender_keys, cols.recipient_keys
    return {i: EventContext(sms[i], "message", {"recipient": recipients[i],
                                                "sender": senders[i]}, sms[i].text, runtime)
            for i in indexes}


def _columns(sms: Sequence[MessageEvent], default_cc: str) -> Columns | None:
    """The batch as columns, with each event's sender and recipient key where the event
    is *plain* (``engine.context._plain_message``'s event: its numbers read as keys; the
    others get contexts). None when a field that the whole batch is checked for at once
    is bad: the general path then names the event."""
    ids = [e.message_id for e in sms]
    times = [e.timestamp_ms for e in sms]
    if not (_all_str(ids) and max(map(len, ids)) <= MAX_ID_CHARS
            and INGRESS_VALUES.issuperset({e.ingress for e in sms})
            and set(map(type, times)) == {int} and min(times) >= 0):
        return None
    senders = [e.sender for e in sms]
    recipients = [e.recipient for e in sms]
    texts = [e.text for e in sms]
    # The usual batch: every event plain, checked a column at a time. number_keys reads
    # plain digits in a kernel; any other form of a number goes to number_key, whose
    # refusal sends the batch event by event (a sender such as "+86 138..." that it
    # reads is decided as the general path's _checked_context decides it: same numbers).
    if (_all_str(senders) and _all_str(recipients) and _all_str(texts)
            and _lengths(texts, 0, MAX_TEXT_CHARS) and _lengths(senders, 1, MAX_NUMBER_CHARS)
            and _lengths(recipients, 1, MAX_NUMBER_CHARS)):
        try:
            keys = number_keys(senders + recipients, default_cc)
        except ValueError:
            pass
        else:
            n = len(sms)
            return Columns(ids, texts, times, keys[:n], keys[n:], np.ones(n, dtype=np.bool_))
    return Columns(ids, texts, times, *_keys_by_event(sms, default_cc))


def _all_str(values: Sequence[object]) -> bool:
    return set(map(type, values)) == {str}


def _lengths(values: list[str], least: int, most: int) -> bool:
    lengths = list(map(len, values))
    return least <= min(lengths) and max(lengths) <= most


def _keys_by_event(sms: Sequence[MessageEvent], default_cc: str
                   ) -> tuple[list[int], list[int], npt.NDArray[np.bool_]]:
    """:func:`_columns`'s keys and plain mask, event by event (``_plain_message``'s test)."""
    senders, recipients = [], []
    plain = np.zeros(len(sms), dtype=np.bool_)
    for i, event in enumerate(sms):
        numbers = plain_numbers(event, default_cc)
        plain[i] = numbers is not None
        recipients.append(numbers["recipient"] if numbers else 0)
        senders.append(numbers["sender"] if numbers else 0)
    return senders, recipients, plain


def _parties(matcher: NumberMatcher, simple: npt.NDArray[np.bool_], cols: Columns,
             sink: Found) -> None:
    """The party numbers of the simple events, recipient first (a context's order)."""
    owners = np.flatnonzero(simple).tolist()
    recipients, senders = cols.recipient_keys, cols.sender_keys
    keys = [k for i in owners for k in (recipients[i], senders[i])]
    codes = [_RECIPIENT, _SENDER] * len(owners)
    for pos, combo in matcher.party_hits(keys, codes):
        found = sink.setdefault(owners[pos >> 1], [])
        found += matcher.combo_matches(combo, NUMBER_FIELDS[codes[pos]], f"+{keys[pos]}")


@dataclass
class Folded:
    """The simple texts of a batch: the distinct texts of plain events that the lane
    folded (the memo did not hold them) and those the memo held, prepared already."""

    texts: list[str]  # folded, each once
    events: list[list[int]]  # the events with each folded text
    buf: npt.NDArray[np.uint32]  # the folded texts, encode_batch's form
    starts: npt.NDArray[np.int64]
    kinds: list[int]  # each folded text's fold outcome
    simple: npt.NDArray[np.bool_]  # per folded text: nothing to extract, no exact path
    identity: npt.NDArray[np.bool_]  # per folded text: simple, and the fold kept offsets
    rewritten: dict[int, Normalized]  # folded text index -> as a context rule rewrote it
    # The folded texts that are not simple (to extract from, or for OpenCC's phrases):
    # their normalized form and gate, for prepare_texts, which need not fold them again.
    prefolded: dict[str, tuple[Normalized, bool]]
    # Simple texts the memo held, with their events: their keyword matches are known.
    remembered: list[tuple[PreparedText, list[int]]]
    # Whether the batch repeats texts (within itself, or ones the memo holds): then the
    # simple texts are remembered too, with their keyword matches (live, shadow).
    repeats: bool
    live: dict[int, tuple[Match, ...]] = field(default_factory=dict)
    shadow: dict[int, tuple[Match, ...]] = field(default_factory=dict)


def _fold(snapshot: Snapshot, cols: Columns) -> tuple[npt.NDArray[np.bool_], Folded]:
    """Which events are simple, and their texts, each distinct text once (a campaign
    sends one text to many recipients).

    A text the snapshot's memo holds (prepared before, by either path) is not folded
    again: with nothing extracted from it and its keyword matches known, its events are
    simple and take those matches; otherwise they take the general path, where the memo
    makes them cheap. The texts a context rule rewrites (fold outcome CONTEXT or
    SPECIAL) get the context kernel one by one, as ``BatchNormalizer.normalize_many``
    applies it."""
    groups: dict[str, list[int]]
    if len(dict.fromkeys(cols.texts)) == len(cols.texts) and cols.plain.all():
        groups = {text: [i] for i, text in enumerate(cols.texts)}  # no text repeats
    else:
        groups = {}
        for i, (text, plain) in enumerate(zip(cols.texts, cols.plain.tolist(), strict=True)):
            if plain:
                groups.setdefault(text, []).append(i)
    simple = np.zeros(len(cols.texts), dtype=np.bool_)
    recall, complete = snapshot.text_memo.lookup(), _complete(snapshot)
    remembered = []
    for text in list(groups):
        prepared = recall(text)
        if prepared is not None:
            owners = groups.pop(text)
            if complete(prepared):
                remembered.append((prepared, owners))
                simple[owners] = True
    texts, events = list(groups), list(groups.values())
    buf, starts = encode_batch(texts)
    folded, outcome, may_extract = snapshot.text_batch.fold_and_gate_batch(buf, starts)
    simple_text = (outcome != EXACT) & ~may_extract
    identity = simple_text & (outcome <= FOLDED)
    for j in np.flatnonzero(simple_text).tolist():
        simple[events[j]] = True
    bounds, kinds, gated = starts.tolist(), outcome.tolist(), may_extract.tolist()
    from_fold = snapshot.text_batch.from_fold
    rewritten = {j: from_fold(texts[j], folded[bounds[j]:bounds[j + 1]], kinds[j])
                 for j in np.flatnonzero(simple_text & ~identity).tolist()}
    prefolded = {texts[j]: (from_fold(texts[j], folded[bounds[j]:bounds[j + 1]], kinds[j]),
                            gated[j])
                 for j in np.flatnonzero(~simple_text).tolist()}
    repeats = len(texts) + sum(len(e) for _, e in remembered) < int(cols.plain.sum())
    return simple, Folded(texts, events, folded, starts, kinds, simple_text, identity,
                          rewritten, prefolded, remembered, repeats)


def _complete(snapshot: Snapshot) -> Callable[[PreparedText], bool]:
    """Whether a prepared text can be decided as simple: nothing extracted from it, and
    its matches known for each keyword matcher the snapshot has."""
    live = any(isinstance(m, KeywordMatcher) for m in snapshot.live)
    shadow = any(isinstance(m, KeywordMatcher) for m in snapshot.shadow)

    def complete(prepared: PreparedText) -> bool:
        return (not prepared.extracted
                and (not live or prepared.live_keyword_matches is not None)
                and (not shadow or prepared.shadow_keyword_matches is not None))

    return complete


def _keywords(matcher: KeywordMatcher, folded: Folded, sink: Found, shadow: bool) -> None:
    """The keyword rules fired in the simple texts: the texts the fold kept every offset
    of (a first hit's span is the original text's) in the folded batch, those a context
    rule rewrote in a small batch of their own (spans mapped back), the remembered ones
    from the memo. Each text's matches go to every event with that text."""
    fired: dict[int, list[Match]] = {}  # folded text index -> its matches
    rule_match, last, found = matcher.rule_match, -1, []
    for m, r, s, e in zip(*matcher.fired_in_encoded(folded.buf, folded.starts,
                                                    folded.identity), strict=True):
        if m != last:  # rows come sorted by text
            last = m
            found = fired[m] = []
        found.append(rule_match(r, folded.texts[m], s, e))
    if folded.rewritten:
        owners, normalized = list(folded.rewritten), list(folded.rewritten.values())
        buf, starts = encode_batch([n.text for n in normalized])
        every = np.ones(len(owners), dtype=np.bool_)
        for m, r, s, e in zip(*matcher.fired_in_encoded(buf, starts, every), strict=True):
            j = owners[m]
            fired.setdefault(j, []).append(
                rule_match(r, folded.texts[j], *normalized[m].original_span(s, e)))
    kept = folded.shadow if shadow else folded.live
    for j, matches in fired.items():
        kept[j] = tuple(matches)
        for i in folded.events[j]:
            sink.setdefault(i, []).extend(matches)
    for prepared, events in folded.remembered:
        known = prepared.shadow_keyword_matches if shadow else prepared.live_keyword_matches
        if known:
            for i in events:
                sink.setdefault(i, []).extend(known)


def _remember(snapshot: Snapshot, folded: Folded) -> None:
    """Count the memo's hits and misses for the simple texts and, when the batch repeats
    texts (a campaign), put its new simple texts in the memo with their keyword matches,
    as the general path would: the campaign's next batches then skip them. Without
    repeats that costs more than it could save (~1.9 µs an event on the masked corpus)."""
    memo = snapshot.text_memo
    simple = np.flatnonzero(folded.simple).tolist()
    memo.count(sum(len(events) for _, events in folded.remembered),
               sum(len(folded.events[j]) for j in simple))
    if not simple or not folded.repeats or not memo.max_chars:
        return
    bounds, from_fold, items = folded.starts.tolist(), snapshot.text_batch.from_fold, []
    for j in simple:
        text = folded.texts[j]
        normalized = folded.rewritten.get(j) or from_fold(
            text, folded.buf[bounds[j]:bounds[j + 1]], folded.kinds[j])
        prepared = PreparedText(normalized, None, ())
        prepared.live_keyword_matches = folded.live.get(j, ())
        prepared.shadow_keyword_matches = folded.shadow.get(j, ())
        items.append((text, prepared))
    memo.put_many(items)


def _velocity(matcher: VelocityMatcher, runtime: object | None, keys: list[int],
              rows: np.ndarray, contexts: dict[int, EventContext], sink: Found,
              shadow: bool) -> None:
    """Count every event of the batch in order (the live instance records) and report
    the rules that fire, to the contexts and to the simple events alike."""
    state = velocity_state(runtime)
    if state is None:
        return  # no runtime: velocity is off, as in the general path
    kinds = ["message"] * len(keys)
    for i, compiled, matched in matcher.fired_rows(state, keys, kinds, rows):
        ctx = contexts.get(i)
        if ctx is not None:
            (ctx.shadow_matches if shadow else ctx.matches).append(
                matcher.match_of(compiled, "sender", matched))
        else:
            sink.setdefault(i, []).append(matcher.match_of(compiled, "sender", matched))


def _decisions(snapshot: Snapshot, ids: list[str], contexts: dict[int, EventContext],
               found: Found, shadow_found: Found) -> list[Decision]:
    """Each event's decision: PASS made here for the many that matched nothing."""
    version, passed, none = snapshot.version, Action.PASS, list[Match]()
    # The events some rule may have matched: one set probe for each of the others.
    touched = found.keys() | shadow_found.keys() | contexts.keys()
    out = []
    for i, event_id in enumerate(ids):
        if i in touched:
            ctx = contexts.get(i)
            if ctx is not None:
                matches, shadow = ctx.matches, ctx.shadow_matches
            else:
                matches, shadow = found.get(i, none), shadow_found.get(i, none)
            if matches or shadow:
                out.append(assemble(event_id, matches, shadow, snapshot))
                continue
        out.append(Decision(event_id, passed, 0, version, (), ()))
    return out


def warm(snapshot: Snapshot) -> None:
    """Run the lane once on a small batch, so that no request compiles its kernels (or
    their specializations for its buffers: the folded texts are writable, the encoded
    ones are not). Leaves the snapshot's text memo empty."""
    texts = ["warm 刷单 日结", "今晚一起吃饭吗", "ＶＸ加我", "刷 单 http://a.example.com 138",
             "刷*单 安 全 账 户"]
    events = [MessageEvent(f"warm{i}", "13800138000" if i % 2 else "+85512345678",
                           "13912345678", texts[i % len(texts)])
              for i in range(LANE_MIN_EVENTS)]
    decide_sms_batch(snapshot, events, None)
    snapshot.text_memo.clear()

