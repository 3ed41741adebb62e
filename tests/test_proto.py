"""The protobuf schema: generated modules are current and mirror ``engine/types.py``."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from engine import types
from proto.interceptor.v1 import interceptor_pb2 as pb

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
