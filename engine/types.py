"""Events the engine decides on, and the decisions it returns.

These plain frozen dataclasses are the engine's whole vocabulary: ``server.py``
converts protobuf messages to and from them and nothing else crosses the
boundary.

>>> ev = MessageEvent(message_id="m1", sender="+86 138 0013 8000", recipient="10086",
...                   text="您好", ingress=Ingress.DOMESTIC)
>>> ev.event_id
'm1'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Action(IntEnum):
    """What the gateway should do. Values match the protobuf enum."""

    UNSPECIFIED = 0
    PASS = 1
    FLAG = 2  # deliver, but label the event / warn the recipient
    BLOCK = 3


class Ingress(IntEnum):
    """Where an event entered the carrier's network. Values match the protobuf enum."""

    UNSPECIFIED = 0
    DOMESTIC = 1
    INTERNATIONAL = 2
    INTER_NETWORK = 3
    VOIP = 4
    ROAMING = 5


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One call setup, as the gateway sees it before connecting the call."""

    call_id: str
    caller: str
    callee: str
    ingress: Ingress = Ingress.UNSPECIFIED
    caller_country: str = ""  # ISO 3166 alpha-2 of the originating network, if known
    roaming_area: str = ""  # roaming area / visited network code, if the caller roams
    timestamp_ms: int = 0  # 0 means "now" (the server's clock)

    @property
    def event_id(self) -> str:
        return self.call_id


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """One SMS, with its full text."""

    message_id: str
    sender: str
    recipient: str
    text: str
    ingress: Ingress = Ingress.UNSPECIFIED
    timestamp_ms: int = 0

    @property
    def event_id(self) -> str:
        return self.message_id


@dataclass(frozen=True, slots=True)
class CallEndedEvent:
    """A call has ended; its duration feeds the short-call velocity rules."""

    call_id: str
    caller: str
    callee: str
    duration_ms: int
    timestamp_ms: int = 0

    @property
    def event_id(self) -> str:
        return self.call_id


Event = CallEvent | MessageEvent | CallEndedEvent


@dataclass(frozen=True, slots=True)
class Match:
    """One rule that matched an event, and what it matched.

    ``field`` says where: ``caller``, ``callee``, ``sender``, ``recipient``,
    ``text`` (keywords), ``url`` (a domain found in the text), ``text_number``
    (a phone number found in the text) or ``call`` (call behaviour rules).
    ``start``/``end`` are offsets into the original text, or -1.
    """

    rule_id: str
    kind: str
    category: str
    field: str
    matched: str
    action: str  # allow | block | flag | score
    score: int = 0
    start: int = -1
    end: int = -1


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer for one event; ``ruleset_version`` names the snapshot that decided."""

    event_id: str
    action: Action
    score: int
    ruleset_version: str
    matches: tuple[Match, ...] = ()
    shadow_matches: tuple[Match, ...] = ()
    errors: tuple[str, ...] = field(default=())  # stream only: why an event was not decided
