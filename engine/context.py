"""Per-event working state: validated fields, canonical numbers, normalized text.

An :class:`EventContext` is built once per event (validation happens here, so a
bad field raises :class:`rules.errors.EventError` naming it) and then handed to
every matcher. Normalization and extraction are computed at most once, and only
for events that have text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.textmemo import PreparedText
from engine.types import CallEndedEvent, CallEvent, Event, Ingress, Match, MessageEvent
from rules.errors import EventError
from rules.phone import number_key

MAX_ID_CHARS = 128
MAX_NUMBER_CHARS = 40
MAX_TEXT_CHARS = 4096  # a 10-part concatenated SMS is ~700 characters; leave room
MAX_DURATION_MS = 48 * 3600 * 1000
# GSM alphanumeric sender IDs ("ICBC", "JD-Notice"): allowed for senders, matched as text.
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ._-]{1,20}$")
PARTY_FIELDS = ("caller", "callee", "sender", "recipient")


class EventContext:
    """One event being decided, with everything matchers share.

    A plain slotted class rather than a dataclass: one is built per event, and the
    dataclass ``__init__`` (keyword defaults, three default factories) cost ~0.3 µs of
    the ~0.7 µs an event's context took to make.
    """

    __slots__ = ("event", "extracted", "kind", "matches", "numbers", "prepared", "runtime",
                 "shadow_matches", "text")

    def __init__(self, event: Event, kind: str, numbers: dict[str, int], text: str = "",
                 runtime: object | None = None) -> None:
        self.event = event
        self.kind = kind  # "call" | "message" | "call_ended"
        self.numbers = numbers  # party field -> number key
        self.text = text
        # What was derived from the text (engine.textmemo: its normalized form, code
        # points, extracted items), shared by every event with this text; None: no text.
        self.prepared: PreparedText | None = None
        # ``prepared.extracted``, read by three matchers (empty for an event without text).
        self.extracted: Sequence[object] = ()
        self.matches: list[Match] = []
        self.shadow_matches: list[Match] = []
        self.runtime = runtime  # per-process mutable state (velocity counters), if any

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalized text back to the original text."""
        if self.prepared is None:
            return start, end
        return self.prepared.normalized.original_span(start, end)


def _check_id(value: str, name: str) -> None:
    if len(value) > MAX_ID_CHARS:
        raise EventError(name, f"is longer than {MAX_ID_CHARS} characters")


def _number(value: str, name: str, default_cc: str) -> int:
    if not value or not value.strip():
        raise EventError(name, "is empty")
    if len(value) > MAX_NUMBER_CHARS:
        raise EventError(name, f"is longer than {MAX_NUMBER_CHARS} characters")
    try:
        return number_key(value, default_cc)
    except ValueError as exc:
        raise EventError(name, str(exc)) from None


INGRESS_VALUES = frozenset(int(i) for i in Ingress)


def _check_ingress(value: int) -> None:
    if value not in INGRESS_VALUES:  # a set probe: Ingress(value) costs ~1 µs per event
        raise EventError("ingress", f"{value!r} is not a known ingress")


def _check_timestamp(value: int) -> None:
    if value < 0:
        raise EventError("timestamp_ms", "must not be negative")


def build_context(event: Event, default_cc: str, runtime: object | None = None
                  ) -> EventContext:
    """Validate ``event`` and canonicalise its numbers; raise EventError on a bad field.

    ``runtime`` becomes the context's (velocity counters, see ``decide``).
    """
    if type(event) is MessageEvent:
        ctx = _plain_message(event, default_cc, runtime)
        if ctx is not None:
            return ctx
    ctx = _checked_context(event, default_cc)
    ctx.runtime = runtime
    return ctx


def _plain_message(event: MessageEvent, default_cc: str, runtime: object | None
                   ) -> EventContext | None:
    """The usual SMS (every field within bounds, both parties numbers of digits) in one
    pass of checks; None sends anything else through :func:`_checked_context`, which
    names the first bad field in the documented order."""
    numbers = plain_numbers(event, default_cc)
    return None if numbers is None else EventContext(event, "message", numbers, event.text,
                                                     runtime)


def plain_numbers(event: MessageEvent, default_cc: str) -> dict[str, int] | None:
    """The party number keys of a *plain* SMS (recipient first: matchers report a
    context's numbers in this order), or None when the event is not one."""
    sender, recipient, text = event.sender, event.recipient, event.text
    if not (type(sender) is str and type(recipient) is str and type(event.message_id) is str
            and len(event.message_id) <= MAX_ID_CHARS and event.ingress in INGRESS_VALUES
            and event.timestamp_ms >= 0 and type(text) is str and len(text) <= MAX_TEXT_CHARS
            and 0 < len(sender) <= MAX_NUMBER_CHARS and 0 < len(recipient) <= MAX_NUMBER_CHARS
            and sender.isdigit() and recipient.isdigit()):
        return None
    try:
        return {"recipient": number_key(recipient, default_cc),
                "sender": number_key(sender, default_cc)}
    except ValueError:
        return None


def _checked_context(event: Event, default_cc: str) -> EventContext:
    if isinstance(event, MessageEvent):
        _check_id(event.message_id, "message_id")
        _check_ingress(event.ingress)
        _check_timestamp(event.timestamp_ms)
        numbers = {"recipient": _number(event.recipient, "recipient", default_cc)}
        if not event.sender or not event.sender.strip():
            raise EventError("sender", "is empty")
        # A sender of digits only is a number; skip the alphanumeric regex (the hot path).
        if event.sender.isdigit() or not _ALPHANUMERIC_SENDER.match(event.sender):
            numbers["sender"] = _number(event.sender, "sender", default_cc)
        if not isinstance(event.text, str):
            raise EventError("text", "must be a string")
        if len(event.text) > MAX_TEXT_CHARS:
            raise EventError("text", f"is longer than {MAX_TEXT_CHARS} characters "
                                     f"({len(event.text)})")
        return EventContext(event, "message", numbers, text=event.text)
    if isinstance(event, CallEvent):
        _check_id(event.call_id, "call_id")
        _check_ingress(event.ingress)
        _check_timestamp(event.timestamp_ms)
        numbers = {"caller": _number(event.caller, "caller", default_cc),
                   "callee": _number(event.callee, "callee", default_cc)}
        return EventContext(event, "call", numbers)
    if isinstance(event, CallEndedEvent):
        _check_id(event.call_id, "call_id")
        _check_timestamp(event.timestamp_ms)
        if not 0 <= event.duration_ms <= MAX_DURATION_MS:
            raise EventError("duration_ms", f"must be from 0 to {MAX_DURATION_MS} "
                                            f"(48 hours), not {event.duration_ms}")
        numbers = {"caller": _number(event.caller, "caller", default_cc),
                   "callee": _number(event.callee, "callee", default_cc)}
        return EventContext(event, "call_ended", numbers)
    raise EventError("event", f"unsupported event type {type(event).__name__}")
