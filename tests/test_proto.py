"""The protobuf schema: generated modules are current and mirror ``engine/types.py``."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from engine import types
from proto import convert
from proto.interceptor.v1 import interceptor_pb2 as pb
from rules.errors import EventError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _generate_module() -> Any:
    spec = importlib.util.spec_from_file_location("proto_generate", REPO_ROOT / "proto/generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_modules_are_not_stale() -> None:
    pytest.importorskip("grpc_tools")
    stale = _generate_module().stale_files()
    assert not stale, (
        f"generated modules out of date: {stale}; run `{sys.executable} proto/generate.py`"
    )


@pytest.mark.parametrize(
    ("engine_enum", "pb_enum", "prefix"),
    [(types.Action, pb.Action, "ACTION_"), (types.Ingress, pb.Ingress, "INGRESS_")],
)
def test_enums_mirror_the_engine(engine_enum: type, pb_enum: object, prefix: str) -> None:
    engine_values = {prefix + m.name: m.value for m in engine_enum}  # type: ignore[attr-defined]
    assert dict(pb_enum.items()) == engine_values  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("dataclass_", "message"),
    [
        (types.CallEvent, pb.CallEvent),
        (types.MessageEvent, pb.MessageEvent),
        (types.CallEndedEvent, pb.CallEndedEvent),
        (types.Match, pb.Match),
        (types.Decision, pb.Decision),
    ],
)
def test_messages_mirror_the_engine(dataclass_: type, message: type) -> None:
    fields = {f.name for f in dataclasses.fields(dataclass_)}
    assert set(message.DESCRIPTOR.fields_by_name) == fields  # type: ignore[attr-defined]


def test_event_oneof_covers_every_event_type() -> None:
    oneof = pb.Event.DESCRIPTOR.oneofs_by_name["event"]
    assert {f.message_type.name for f in oneof.fields if f.message_type} == {
        t.__name__ for t in (types.CallEvent, types.MessageEvent, types.CallEndedEvent)
    }


# -- conversions (proto/convert.py) ---------------------------------------------------------------

SMS_FIELDS: dict[str, Any] = {
    "message_id": "m1", "sender": "13912345678", "recipient": "13800138000", "text": "您好 hi",
    "timestamp_ms": 1_700_000_000_000,
}


def test_message_conversion_maps_every_field_by_name() -> None:
    # message_from_pb and the batch fast path build MessageEvent positionally: a reordered
    # dataclass must fail here, not swap sender and recipient in production.
    msg = pb.MessageEvent(ingress=pb.INGRESS_ROAMING, **SMS_FIELDS)
    want = types.MessageEvent(ingress=types.Ingress.ROAMING, **SMS_FIELDS)
    assert convert.message_from_pb(msg) == want
    call = pb.CallEvent(call_id="c", caller="1", callee="2")
    batch = [pb.Event(message=msg), pb.Event(call=call)]
    assert convert.events_from_pb(batch) == [
        want, types.CallEvent(call_id="c", caller="1", callee="2"),
    ]


@pytest.mark.parametrize(("bad", "field"), [
    ({"ingress": 42}, "events[1].ingress"),
    ({"text": "诈" * 3000}, "events[1].text"),  # 9,000 UTF-8 bytes
    ({"text": "诈" * 3000, "ingress": 42}, "events[1].text"),  # the text is checked first
])
def test_batch_errors_name_the_position(bad: dict[str, Any], field: str) -> None:
    good = pb.Event(message=pb.MessageEvent(**SMS_FIELDS))
    fields = {**SMS_FIELDS, **bad}
    with pytest.raises(EventError) as info:
        convert.events_from_pb([good, pb.Event(message=pb.MessageEvent(**fields))], 8192)
    assert info.value.field == field


def test_text_limit_counts_utf8_bytes() -> None:
    at_limit = pb.MessageEvent(**{**SMS_FIELDS, "text": "诈" * 10})  # 30 bytes
    assert convert.message_from_pb(at_limit, "", 30).text == "诈" * 10
    assert convert.events_from_pb([pb.Event(message=at_limit)], 30) == [
        convert.message_from_pb(at_limit, "", 30)
    ]
    with pytest.raises(EventError, match="31 bytes"):
        convert.message_from_pb(pb.MessageEvent(**{**SMS_FIELDS, "text": "诈" * 10 + "x"}), "", 30)


@pytest.mark.parametrize("score", [0, 35])
def test_decision_round_trip(score: int) -> None:
    match = types.Match("kw.1", "keyword", "bank", "text", "冻结", "score", 35, 3, 5)
    shadow = types.Match("sh.1", "domain", "phish", "url", "x.top", "block")
    decision = types.Decision("m1", types.Action.FLAG, score, "v1", (match,), (shadow,), ("why",))
    assert convert.decision_from_pb(convert.decision_to_pb(decision)) == decision
    response = pb.CheckBatchResponse()
    convert.fill_decision(response.decisions.add(), decision)
    assert convert.decision_from_pb(response.decisions[0]) == decision
