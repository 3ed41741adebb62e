"""Conversions between protobuf messages and engine types; nothing else crosses.

The server calls the ``*_from_pb`` functions on requests and ``fill_decision``
on replies; the operator client (``interceptor check --target``) and the load
generator use the reverse direction. Input checks that only the wire can get
wrong live here (an unknown enum number, an unset ``oneof``, text over the
server's size limit); everything about the *content* of a field (an empty or
malformed number ...) is checked by the engine, which raises ``EventError``.

>>> from proto.interceptor.v1 import interceptor_pb2 as pb
>>> ev = message_from_pb(pb.MessageEvent(message_id="m1", sender="10086", recipient="13800138000",
...                                      text="hi", ingress=pb.INGRESS_DOMESTIC))
>>> ev.ingress.name, ev.text
('DOMESTIC', 'hi')
>>> message_from_pb(pb.MessageEvent(message_id="m1", ingress=42))
Traceback (most recent call last):
rules.errors.EventError: ingress: unknown value 42 (expected 0..5)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.types import (
    Action,
    CallEndedEvent,
    CallEvent,
    Decision,
    Event,
    Ingress,
    Match,
    MessageEvent,
)
from proto.interceptor.v1 import interceptor_pb2 as pb
from rules.errors import EventError

# Plain dict lookups: ``Ingress(v)`` raises a ValueError we would have to translate anyway.
_INGRESS: dict[int, Ingress] = {m.value: m for m in Ingress}
_ACTION: dict[int, Action] = {m.value: m for m in Action}
_INGRESS_RANGE = f"{min(_INGRESS)}..{max(_INGRESS)}"

DEFAULT_MAX_TEXT_BYTES = 8192  # a concatenated SMS is at most ~255 x 140 bytes; 8 KiB is ample


# Field names in errors are built only when there is an error: this is the hot path.


def _ingress(value: int, prefix: str) -> Ingress:
    ingress = _INGRESS.get(value)
    if ingress is None:
        raise EventError(prefix + "ingress", f"unknown value {value} (expected {_INGRESS_RANGE})")
    return ingress


def _check_text(text: str, prefix: str, max_text_bytes: int) -> None:
    # A UTF-8 character is at most 4 bytes, so short texts never need encoding.
    if len(text) * 4 > max_text_bytes:
        size = len(text.encode("utf-8"))
        if size > max_text_bytes:
            raise EventError(
                prefix + "text", f"is {size} bytes, over the {max_text_bytes}-byte limit"
            )


def call_from_pb(msg: pb.CallEvent, prefix: str = "") -> CallEvent:
    """A ``CallEvent`` from its protobuf; ``prefix`` is prepended to field names in errors."""
    return CallEvent(
        call_id=msg.call_id,
        caller=msg.caller,
        callee=msg.callee,
        ingress=_ingress(msg.ingress, prefix),
        caller_country=msg.caller_country,
        roaming_area=msg.roaming_area,
        timestamp_ms=msg.timestamp_ms,
    )


def message_from_pb(
    msg: pb.MessageEvent, prefix: str = "", max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
) -> MessageEvent:
    """A ``MessageEvent`` from its protobuf, refusing text over ``max_text_bytes``."""
    event = _plain_message(msg, max_text_bytes)
    if event is not None:
        return event
    _check_text(msg.text, prefix, max_text_bytes)  # raises or passes: say what is wrong
    return MessageEvent(msg.message_id, msg.sender, msg.recipient, msg.text,
                        _ingress(msg.ingress, prefix), msg.timestamp_ms)


def _plain_message(msg: pb.MessageEvent, max_text_bytes: int) -> MessageEvent | None:
    """The usual SMS (a known ingress, a text that cannot be over the limit), or None."""
    text = msg.text
    ingress = _INGRESS.get(msg.ingress)
    if ingress is None or len(text) * 4 > max_text_bytes:  # rare: the caller checks
        return None
    # Positional (cheaper than keywords); tests/test_proto.py pins the field order.
    return MessageEvent(msg.message_id, msg.sender, msg.recipient, text, ingress, msg.timestamp_ms)


def call_ended_from_pb(msg: pb.CallEndedEvent, prefix: str = "") -> CallEndedEvent:
    """A ``CallEndedEvent`` from its protobuf."""
    return CallEndedEvent(
        call_id=msg.call_id,
        caller=msg.caller,
        callee=msg.callee,
        duration_ms=msg.duration_ms,
        timestamp_ms=msg.timestamp_ms,
    )


def event_from_pb(
    msg: pb.Event, prefix: str = "", max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
) -> Event:
    """The engine event inside an ``Event`` oneof; an unset oneof is an ``EventError``."""
    kind = msg.WhichOneof("event")
    if kind == "message":
        return message_from_pb(msg.message, prefix, max_text_bytes)
    if kind == "call":
        return call_from_pb(msg.call, prefix)
    if kind == "call_ended":
        return call_ended_from_pb(msg.call_ended, prefix)
    raise EventError(prefix.rstrip(".") or "event", "no event set (call, message or call_ended)")


def events_from_pb(
    msgs: Iterable[pb.Event], max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
) -> list[Event]:
    """Convert a batch; errors name the position, e.g. ``events[3].ingress``."""
    events: list[Event] = []
    append = events.append
    for msg in msgs:
        # The usual event, a plain SMS, skips the general path's dispatch: a batch pays
        # this loop per event.
        if msg.WhichOneof("event") == "message":
            event = _plain_message(msg.message, max_text_bytes)
            if event is not None:
                append(event)
                continue
        try:
            append(event_from_pb(msg, "", max_text_bytes))
        except EventError:  # convert it again, now with its position in the field names
            event_from_pb(msg, f"events[{len(events)}].", max_text_bytes)
            raise
    return events


def _add_matches(field: Any, matches: Iterable[Match]) -> None:
    add = field.add  # builds each Match in place (no intermediate message or dict)
    for m in matches:
        add(rule_id=m.rule_id, kind=m.kind, category=m.category, field=m.field,
            matched=m.matched, action=m.action, score=m.score, start=m.start, end=m.end)


def fill_decision(out: pb.Decision, decision: Decision) -> pb.Decision:
    """Write ``decision`` into a fresh ``out`` (e.g. ``response.decisions.add()``); return it.

    Filling in place avoids building a message and copying it into a repeated field.
    """
    out.event_id = decision.event_id
    out.action = decision.action  # type: ignore[assignment]  # IntEnum with the same numbers
    if decision.score:  # 0 is proto3's default: most decisions skip a field write
        out.score = decision.score
    out.ruleset_version = decision.ruleset_version
    if decision.matches:
        _add_matches(out.matches, decision.matches)
    if decision.shadow_matches:
        _add_matches(out.shadow_matches, decision.shadow_matches)
    if decision.errors:
        out.errors.extend(decision.errors)
    return out


def decision_to_pb(decision: Decision) -> pb.Decision:
    """A new protobuf ``Decision``."""
    return fill_decision(pb.Decision(), decision)


def error_decision(event_id: str, error: str, ruleset_version: str = "") -> pb.Decision:
    """The stream's answer for an event that could not be decided (the stream goes on)."""
    return pb.Decision(
        event_id=event_id,
        action=pb.ACTION_UNSPECIFIED,
        ruleset_version=ruleset_version,
        errors=[error],
    )


def _match_from_pb(m: pb.Match) -> Match:
    return Match(
        rule_id=m.rule_id, kind=m.kind, category=m.category, field=m.field, matched=m.matched,
        action=m.action, score=m.score, start=m.start, end=m.end,
    )


def decision_from_pb(msg: pb.Decision) -> Decision:
    """An engine ``Decision`` from a reply (client side). Unknown actions read as UNSPECIFIED."""
    return Decision(
        event_id=msg.event_id,
        action=_ACTION.get(msg.action, Action.UNSPECIFIED),
        score=msg.score,
        ruleset_version=msg.ruleset_version,
        matches=tuple(_match_from_pb(m) for m in msg.matches),
        shadow_matches=tuple(_match_from_pb(m) for m in msg.shadow_matches),
        errors=tuple(msg.errors),
    )


def call_to_pb(ev: CallEvent) -> pb.CallEvent:
    return pb.CallEvent(
        call_id=ev.call_id, caller=ev.caller, callee=ev.callee, ingress=int(ev.ingress),  # type: ignore[arg-type]
        caller_country=ev.caller_country, roaming_area=ev.roaming_area,
        timestamp_ms=ev.timestamp_ms,
    )


def message_to_pb(ev: MessageEvent) -> pb.MessageEvent:
    return pb.MessageEvent(
        message_id=ev.message_id, sender=ev.sender, recipient=ev.recipient, text=ev.text,
        ingress=int(ev.ingress), timestamp_ms=ev.timestamp_ms,  # type: ignore[arg-type]
    )


def call_ended_to_pb(ev: CallEndedEvent) -> pb.CallEndedEvent:
    return pb.CallEndedEvent(
        call_id=ev.call_id, caller=ev.caller, callee=ev.callee, duration_ms=ev.duration_ms,
        timestamp_ms=ev.timestamp_ms,
    )


def event_to_pb(ev: Event) -> pb.Event:
    """Wrap an engine event in the ``Event`` oneof (client side)."""
    if isinstance(ev, MessageEvent):
        return pb.Event(message=message_to_pb(ev))
    if isinstance(ev, CallEvent):
        return pb.Event(call=call_to_pb(ev))
    return pb.Event(call_ended=call_ended_to_pb(ev))


def _ms(seconds: float | None) -> int:
    return int(seconds * 1000) if seconds else 0


def status_to_pb(status: Any, **server: Any) -> pb.Status:
    """Build ``Status`` from a ``HolderStatus`` plus server-side fields (pid, in_flight ...).

    ``status.extra`` keys ``redis_url``, ``redis_connected`` and ``replica_id`` (written by
    the Redis follower) fill the typed fields; every extra key is also copied to ``extra``.
    """
    extra: Mapping[str, str] = dict(getattr(status, "extra", None) or {})
    out = pb.Status(
        ruleset_version=status.version or "",
        digest=status.digest or "",
        source=status.source or "",
        loaded_at_ms=_ms(status.loaded_at),
        last_error=status.last_error or "",
        last_error_at_ms=_ms(status.last_error_at),
        redis_url=extra.get("redis_url", ""),
        redis_connected=extra.get("redis_connected", "").lower() in ("1", "true", "yes"),
        **server,
    )
    if extra.get("replica_id"):
        out.replica_id = extra["replica_id"]
    out.counts.update({k: int(v) for k, v in (status.counts or {}).items()})
    out.stage_times_ms.update({k: float(v) * 1000.0 for k, v in (status.stage_times or {}).items()})
    out.extra.update({k: str(v) for k, v in extra.items()})
    return out
