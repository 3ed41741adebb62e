# mypy: disable-error-code="type-arg"
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_PASS: _ClassVar[Action]
    ACTION_FLAG: _ClassVar[Action]
    ACTION_BLOCK: _ClassVar[Action]

class Ingress(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INGRESS_UNSPECIFIED: _ClassVar[Ingress]
    INGRESS_DOMESTIC: _ClassVar[Ingress]
    INGRESS_INTERNATIONAL: _ClassVar[Ingress]
    INGRESS_INTER_NETWORK: _ClassVar[Ingress]
    INGRESS_VOIP: _ClassVar[Ingress]
    INGRESS_ROAMING: _ClassVar[Ingress]
ACTION_UNSPECIFIED: Action
ACTION_PASS: Action
ACTION_FLAG: Action
ACTION_BLOCK: Action
INGRESS_UNSPECIFIED: Ingress
INGRESS_DOMESTIC: Ingress
INGRESS_INTERNATIONAL: Ingress
INGRESS_INTER_NETWORK: Ingress
INGRESS_VOIP: Ingress
INGRESS_ROAMING: Ingress

class CallEvent(_message.Message):
    __slots__ = ("call_id", "caller", "callee", "ingress", "caller_country", "roaming_area", "timestamp_ms")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    CALLEE_FIELD_NUMBER: _ClassVar[int]
    INGRESS_FIELD_NUMBER: _ClassVar[int]
    CALLER_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ROAMING_AREA_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    caller: str
    callee: str
    ingress: Ingress
    caller_country: str
    roaming_area: str
    timestamp_ms: int
    def __init__(self, call_id: _Optional[str] = ..., caller: _Optional[str] = ..., callee: _Optional[str] = ..., ingress: _Optional[_Union[Ingress, str]] = ..., caller_country: _Optional[str] = ..., roaming_area: _Optional[str] = ..., timestamp_ms: _Optional[int] = ...) -> None: ...

class MessageEvent(_message.Message):
    __slots__ = ("message_id", "sender", "recipient", "text", "ingress", "timestamp_ms")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    INGRESS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    sender: str
    recipient: str
    text: str
    ingress: Ingress
    timestamp_ms: int
    def __init__(self, message_id: _Optional[str] = ..., sender: _Optional[str] = ..., recipient: _Optional[str] = ..., text: _Optional[str] = ..., ingress: _Optional[_Union[Ingress, str]] = ..., timestamp_ms: _Optional[int] = ...) -> None: ...

class CallEndedEvent(_message.Message):
    __slots__ = ("call_id", "caller", "callee", "duration_ms", "timestamp_ms")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    CALLEE_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    caller: str
    callee: str
    duration_ms: int
    timestamp_ms: int
    def __init__(self, call_id: _Optional[str] = ..., caller: _Optional[str] = ..., callee: _Optional[str] = ..., duration_ms: _Optional[int] = ..., timestamp_ms: _Optional[int] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("call", "message", "call_ended")
    CALL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CALL_ENDED_FIELD_NUMBER: _ClassVar[int]
    call: CallEvent
    message: MessageEvent
    call_ended: CallEndedEvent
    def __init__(self, call: _Optional[_Union[CallEvent, _Mapping]] = ..., message: _Optional[_Union[MessageEvent, _Mapping]] = ..., call_ended: _Optional[_Union[CallEndedEvent, _Mapping]] = ...) -> None: ...

class Match(_message.Message):
    __slots__ = ("rule_id", "kind", "category", "field", "matched", "action", "score", "start", "end")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    kind: str
    category: str
    field: str
    matched: str
    action: str
    score: int
    start: int
    end: int
    def __init__(self, rule_id: _Optional[str] = ..., kind: _Optional[str] = ..., category: _Optional[str] = ..., field: _Optional[str] = ..., matched: _Optional[str] = ..., action: _Optional[str] = ..., score: _Optional[int] = ..., start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ("event_id", "action", "score", "matches", "shadow_matches", "ruleset_version", "errors")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    SHADOW_MATCHES_FIELD_NUMBER: _ClassVar[int]
    RULESET_VERSION_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    action: Action
    score: int
    matches: _containers.RepeatedCompositeFieldContainer[Match]
    shadow_matches: _containers.RepeatedCompositeFieldContainer[Match]
    ruleset_version: str
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, event_id: _Optional[str] = ..., action: _Optional[_Union[Action, str]] = ..., score: _Optional[int] = ..., matches: _Optional[_Iterable[_Union[Match, _Mapping]]] = ..., shadow_matches: _Optional[_Iterable[_Union[Match, _Mapping]]] = ..., ruleset_version: _Optional[str] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class CheckBatchRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class CheckBatchResponse(_message.Message):
    __slots__ = ("decisions",)
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[Decision]
    def __init__(self, decisions: _Optional[_Iterable[_Union[Decision, _Mapping]]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Status(_message.Message):
    __slots__ = ("ruleset_version", "digest", "source", "loaded_at_ms", "counts", "last_error", "last_error_at_ms", "stage_times_ms", "redis_url", "redis_connected", "replica_id", "pid", "serving", "in_flight", "open_streams", "max_concurrent", "started_at_ms", "extra")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class StageTimesMsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class ExtraEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RULESET_VERSION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LOADED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_AT_MS_FIELD_NUMBER: _ClassVar[int]
    STAGE_TIMES_MS_FIELD_NUMBER: _ClassVar[int]
    REDIS_URL_FIELD_NUMBER: _ClassVar[int]
    REDIS_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    SERVING_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    OPEN_STREAMS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    ruleset_version: str
    digest: str
    source: str
    loaded_at_ms: int
    counts: _containers.ScalarMap[str, int]
    last_error: str
    last_error_at_ms: int
    stage_times_ms: _containers.ScalarMap[str, float]
    redis_url: str
    redis_connected: bool
    replica_id: str
    pid: int
    serving: bool
    in_flight: int
    open_streams: int
    max_concurrent: int
    started_at_ms: int
    extra: _containers.ScalarMap[str, str]
    def __init__(self, ruleset_version: _Optional[str] = ..., digest: _Optional[str] = ..., source: _Optional[str] = ..., loaded_at_ms: _Optional[int] = ..., counts: _Optional[_Mapping[str, int]] = ..., last_error: _Optional[str] = ..., last_error_at_ms: _Optional[int] = ..., stage_times_ms: _Optional[_Mapping[str, float]] = ..., redis_url: _Optional[str] = ..., redis_connected: _Optional[bool] = ..., replica_id: _Optional[str] = ..., pid: _Optional[int] = ..., serving: _Optional[bool] = ..., in_flight: _Optional[int] = ..., open_streams: _Optional[int] = ..., max_concurrent: _Optional[int] = ..., started_at_ms: _Optional[int] = ..., extra: _Optional[_Mapping[str, str]] = ...) -> None: ...
