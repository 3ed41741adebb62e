"""The gRPC service, end to end: real servers on free ports, real clients, no mocks.

Covers every RPC, health (NOT_SERVING -> SERVING), reflection, deadlines, bad input,
overload, client disconnects, graceful shutdown on SIGTERM and ``--workers``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

import engine.coalesce
import server
from engine import SnapshotHolder, decide_batch
from engine.types import Action, MessageEvent
from proto.interceptor.v1 import interceptor_pb2 as pb
from proto.interceptor.v1 import interceptor_pb2_grpc as pb_grpc
from rules import DEFAULT_RULESET_DIR
from tests.fixtures_grpc import ServerProcess, health_status
from tests.fixtures_redis import RedisServer
from tests.waiting import wait_until

FRAUD_SMS = "【工商银行】您的账户存在异常，请点击 http://icbc-verify.top 进行身份验证，否则将冻结"
BENIGN_SMS = "今晚一起吃饭吗"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

pytest_plugins = ["tests.fixtures_grpc", "tests.fixtures_redis"]


def sms(message_id: str = "m1", text: str = BENIGN_SMS, **kw: Any) -> pb.MessageEvent:
    fields: dict[str, Any] = {
        "sender": "13800138000", "recipient": "13900139000", "ingress": pb.INGRESS_DOMESTIC,
    }
    fields.update(kw)
    return pb.MessageEvent(message_id=message_id, text=text, **fields)


def call(call_id: str = "c1", **kw: Any) -> pb.CallEvent:
    fields: dict[str, Any] = {
        "caller": "13800138000", "callee": "13900139000", "ingress": pb.INGRESS_DOMESTIC,
    }
    fields.update(kw)
    return pb.CallEvent(call_id=call_id, **fields)


def stub_for(target: str | int) -> pb_grpc.InterceptorStub:
    address = f"127.0.0.1:{target}" if isinstance(target, int) else target
    return pb_grpc.InterceptorStub(grpc.insecure_channel(address))


class Feeder:
    """A client-side request iterator we can push to, for holding streams open."""

    def __init__(self) -> None:
        self._q: queue.SimpleQueue[pb.Event | None] = queue.SimpleQueue()

    def send(self, event: pb.Event) -> None:
        self._q.put(event)

    def close(self) -> None:
        self._q.put(None)

    def __iter__(self) -> Iterator[pb.Event]:
        while (item := self._q.get()) is not None:
            yield item


# -- every RPC ----------------------------------------------------------------------------------


def test_check_message_blocks_fraud_and_passes_chat(grpc_stub: pb_grpc.InterceptorStub) -> None:
    version = grpc_stub.GetStatus(pb.GetStatusRequest()).ruleset_version
    fraud = grpc_stub.CheckMessage(sms("f1", FRAUD_SMS, sender="10690000123"), timeout=5)
    assert fraud.action == pb.ACTION_BLOCK
    assert fraud.event_id == "f1"
    assert fraud.matches and all(m.rule_id for m in fraud.matches)
    assert fraud.ruleset_version == version != ""
    chat = grpc_stub.CheckMessage(sms("b1", BENIGN_SMS), timeout=5)
    assert chat.action == pb.ACTION_PASS
    assert chat.ruleset_version == version


def test_check_call_and_report_call_ended(grpc_stub: pb_grpc.InterceptorStub) -> None:
    decision = grpc_stub.CheckCall(call("c1"), timeout=5)
    assert decision.event_id == "c1"
    assert decision.action == pb.ACTION_PASS
    assert decision.ruleset_version
    ended = grpc_stub.ReportCallEnded(
        pb.CallEndedEvent(call_id="c1", caller="13800138000", callee="13900139000",
                          duration_ms=4000), timeout=5)
    assert ended.event_id == "c1"
    assert ended.action != pb.ACTION_UNSPECIFIED


def test_velocity_counts_across_requests(grpc_stub: pb_grpc.InterceptorStub) -> None:
    # A caller dialling dozens of different numbers in minutes (the bundled ruleset's
    # distinct-callee velocity rule): early calls pass, later ones are stopped.
    actions = [
        grpc_stub.CheckCall(call(f"v{i}", caller="13700137000", callee=f"1390013{i:04d}"),
                            timeout=5).action
        for i in range(60)
    ]
    assert actions[0] == pb.ACTION_PASS
    assert actions[-1] == pb.ACTION_BLOCK


def test_check_batch_keeps_order(grpc_stub: pb_grpc.InterceptorStub) -> None:
    events = []
    for i in range(30):
        text = FRAUD_SMS if i % 3 == 0 else BENIGN_SMS
        events.append(pb.Event(message=sms(f"m{i}", text, sender="10690000123")))
    events.append(pb.Event(call=call("c-last")))
    reply = grpc_stub.CheckBatch(pb.CheckBatchRequest(events=events), timeout=5)
    assert [d.event_id for d in reply.decisions] == [f"m{i}" for i in range(30)] + ["c-last"]
    for i in range(30):
        expected = pb.ACTION_BLOCK if i % 3 == 0 else pb.ACTION_PASS
        assert reply.decisions[i].action == expected, i
    assert len({d.ruleset_version for d in reply.decisions}) == 1


def _hold_first_batch(monkeypatch: pytest.MonkeyPatch, fail_second: bool = False) -> tuple[
    list[int], threading.Event, threading.Event
]:
    """Patch the coalescer's decide and decide_batch: the first call (an idle service's
    lone event, through ``decide``) waits for ``release``; the number of events each
    call decides is recorded. Events decided one by one after a refused batch are
    neither held nor recorded."""
    real_batch, real_one = decide_batch, engine.coalesce.decide
    sizes: list[int] = []
    entered, release = threading.Event(), threading.Event()

    def hold(count: int) -> None:
        sizes.append(count)
        if len(sizes) == 1:
            entered.set()
            release.wait(10)
        elif fail_second:
            raise RuntimeError("boom")

    def held_batch(snapshot: Any, events: Any, runtime: Any = None) -> Any:
        hold(len(events))
        return real_batch(snapshot, events, runtime)

    def held_one(snapshot: Any, event: Any, runtime: Any = None) -> Any:
        if not sizes:
            hold(1)
        return real_one(snapshot, event, runtime)

    monkeypatch.setattr(engine.coalesce, "decide_batch", held_batch)
    monkeypatch.setattr(engine.coalesce, "decide", held_one)
    return sizes, entered, release


def test_concurrent_unary_calls_are_decided_together(
    grpc_service: server.Service, grpc_stub: pb_grpc.InterceptorStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes, entered, release = _hold_first_batch(monkeypatch)
    first = grpc_stub.CheckMessage.future(sms("first"), timeout=10)
    assert entered.wait(5)
    requests = [sms(f"c{i}", FRAUD_SMS if i % 2 else BENIGN_SMS, sender="10690000123")
                for i in range(8)]
    requests.insert(5, sms("bad", sender=""))
    futures = [grpc_stub.CheckMessage.future(r, timeout=10) for r in requests]
    coalescer = grpc_service.servicer.coalescer
    assert wait_until(lambda: coalescer.waiting == len(requests))
    release.set()
    assert first.result().event_id == "first"
    for request, future in zip(requests, futures, strict=True):
        if request.message_id == "bad":  # its own error, as if it had been decided alone
            assert future.exception() is not None
            assert future.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert (future.details() or "").startswith("sender")
            continue
        reply = future.result()
        assert reply.event_id == request.message_id
        expected = pb.ACTION_BLOCK if request.text == FRAUD_SMS else pb.ACTION_PASS
        assert reply.action == expected, request.message_id
    # One batch for the nine that queued; refused for the bad one, they were then decided
    # one by one (decide, not decide_batch).
    assert sizes == [1, len(requests)]


def test_a_failing_batch_wakes_every_waiting_call(
    grpc_service: server.Service, grpc_stub: pb_grpc.InterceptorStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes, entered, release = _hold_first_batch(monkeypatch, fail_second=True)
    first = grpc_stub.CheckMessage.future(sms("first"), timeout=10)
    assert entered.wait(5)
    futures = [grpc_stub.CheckMessage.future(sms(f"w{i}"), timeout=10) for i in range(4)]
    assert wait_until(lambda: grpc_service.servicer.coalescer.waiting == 4)
    release.set()
    assert first.result().event_id == "first"
    for future in futures:
        assert future.exception() is not None
        assert future.code() == grpc.StatusCode.UNKNOWN
    assert sizes == [1, 4]
    monkeypatch.undo()
    assert grpc_stub.CheckMessage(sms(), timeout=5).action == pb.ACTION_PASS  # not stuck


def test_metrics_count_rpcs_and_decisions() -> None:
    prometheus_client = pytest.importorskip("prometheus_client")
    registry = prometheus_client.CollectorRegistry()
    holder = SnapshotHolder()
    server.load_local(holder, DEFAULT_RULESET_DIR)
    service = server.build_server(server.ServeConfig(port=0), holder,
                                  server.RpcMetrics(registry=registry))
    try:
        stub = stub_for(service.port)
        fraud = sms("f", FRAUD_SMS, sender="10690000123")
        assert stub.CheckMessage(fraud, timeout=5).action == pb.ACTION_BLOCK
        assert stub.CheckMessage(sms("b"), timeout=5).action == pb.ACTION_PASS
        batch = [pb.Event(message=fraud), pb.Event(message=fraud), pb.Event(message=sms("b2"))]
        assert len(stub.CheckBatch(pb.CheckBatchRequest(events=batch), timeout=5).decisions) == 3
        with pytest.raises(grpc.RpcError):
            stub.CheckMessage(sms(sender=""), timeout=5)
    finally:
        service.stop(grace=0.5)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)  # type: ignore[no-any-return]

    assert value("interceptor_decisions_total", action="ACTION_BLOCK") == 3
    assert value("interceptor_decisions_total", action="ACTION_PASS") == 2
    assert value("interceptor_rpc_total", rpc="CheckMessage", code="OK") == 2
    assert value("interceptor_rpc_total", rpc="CheckMessage", code="INVALID_ARGUMENT") == 1
    assert value("interceptor_rpc_total", rpc="CheckBatch", code="OK") == 1
    assert value("interceptor_rpc_seconds_count", rpc="CheckMessage") == 3
    # The fraud text is decided three times, the benign one twice: each prepared once.
    assert value("interceptor_text_memo_hits_total") == 3
    assert value("interceptor_text_memo_misses_total") == 2
    assert value("interceptor_text_memo_entries") == 2
    assert value("interceptor_text_memo_chars") == len(FRAUD_SMS) + len(BENIGN_SMS)


@pytest.mark.parametrize("memo_chars", [0, 1000])
def test_text_memo_option_reaches_the_active_ruleset(
    make_service: Callable[..., server.Service], memo_chars: int
) -> None:
    """--text-memo-chars bounds each ruleset's memo of prepared texts; 0 turns it off.
    A repeated SMS is decided the same either way."""
    service = make_service(text_memo_chars=memo_chars)
    stub = stub_for(service.port)
    replies = [stub.CheckMessage(sms(f"m{i}", FRAUD_SMS), timeout=10) for i in range(3)]
    assert {r.action for r in replies} == {pb.ACTION_BLOCK}
    assert len({tuple(m.rule_id for m in r.matches) for r in replies}) == 1
    memo = service.holder.current.text_memo
    assert memo.max_chars == memo_chars
    assert (memo.hits, len(memo)) == ((2, 1) if memo_chars else (0, 0))


def test_text_memo_option_is_checked() -> None:
    parser = argparse.ArgumentParser()
    server.add_serve_arguments(parser)
    assert server.config_from_args(parser.parse_args([])).text_memo_chars == 1_000_000
    with pytest.raises(ValueError, match="--text-memo-chars"):
        server.config_from_args(parser.parse_args(["--text-memo-chars", "-1"]))


def test_check_stream_decides_in_order(grpc_stub: pb_grpc.InterceptorStub) -> None:
    events = [
        pb.Event(message=sms(f"s{i}", FRAUD_SMS if i % 2 else BENIGN_SMS, sender="10690000123"))
        for i in range(500)
    ]
    decisions = list(grpc_stub.CheckStream(iter(events), timeout=10))
    assert [d.event_id for d in decisions] == [f"s{i}" for i in range(500)]
    assert [d.action for d in decisions[:4]] == [pb.ACTION_PASS, pb.ACTION_BLOCK] * 2


def test_stream_bad_event_gets_error_decision_and_stream_goes_on(
    grpc_stub: pb_grpc.InterceptorStub,
) -> None:
    events = [
        pb.Event(message=sms("ok1")),
        pb.Event(message=sms("bad", sender="")),
        pb.Event(),
        pb.Event(message=sms("ok2")),
    ]
    decisions = list(grpc_stub.CheckStream(iter(events), timeout=10))
    assert [d.event_id for d in decisions] == ["ok1", "bad", "", "ok2"]
    assert decisions[0].action == decisions[3].action == pb.ACTION_PASS
    assert decisions[1].action == pb.ACTION_UNSPECIFIED
    assert "sender" in decisions[1].errors[0]
    assert "no event set" in decisions[2].errors[0]


def test_get_status_reports_the_active_ruleset(
    grpc_service: server.Service, grpc_stub: pb_grpc.InterceptorStub
) -> None:
    status = grpc_stub.GetStatus(pb.GetStatusRequest(), timeout=5)
    snapshot = grpc_service.holder.current
    assert snapshot is not None
    assert status.ruleset_version == snapshot.version
    assert status.digest == snapshot.digest
    assert status.source
    assert status.loaded_at_ms > 0
    assert status.counts and all(v >= 0 for v in status.counts.values())
    assert status.serving
    assert status.pid == os.getpid()
    assert status.replica_id
    assert status.last_error == ""
    assert status.max_concurrent == grpc_service.servicer.admission.limit


def test_remote_check_for_operators(grpc_service: server.Service) -> None:
    event = MessageEvent(message_id="r1", sender="10690000123", recipient="13900139000",
                         text=FRAUD_SMS)
    decision = server.remote_check(f"127.0.0.1:{grpc_service.port}", event)
    assert decision.action == Action.BLOCK
    assert grpc_service.holder.current is not None
    assert decision.ruleset_version == grpc_service.holder.current.version


# -- health and reflection ----------------------------------------------------------------------


def test_health_not_serving_until_first_snapshot(
    make_service: Callable[..., server.Service],
) -> None:
    service = make_service(empty=True)
    target = f"127.0.0.1:{service.port}"
    assert health_status(target) == NOT_SERVING
    assert health_status(target, server.SERVICE_NAME) == NOT_SERVING
    with pytest.raises(grpc.RpcError) as err:
        stub_for(target).CheckMessage(sms(), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert not stub_for(target).GetStatus(pb.GetStatusRequest(), timeout=5).serving
    server.load_local(service.holder, DEFAULT_RULESET_DIR)
    assert health_status(target) == SERVING
    assert health_status(target, server.SERVICE_NAME) == SERVING
    assert stub_for(target).CheckMessage(sms(), timeout=5).action == pb.ACTION_PASS


def test_reflection_lists_the_services(grpc_channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(grpc_channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    reply = next(iter(stub.ServerReflectionInfo(iter([request]), timeout=5)))
    names = {s.name for s in reply.list_services_response.service}
    assert {"interceptor.v1.Interceptor", "grpc.health.v1.Health"} <= names


# -- deadlines ------------------------------------------------------------------------------------


def test_unary_deadline_expiry(
    grpc_service: server.Service, grpc_stub: pb_grpc.InterceptorStub
) -> None:
    # A full batch takes tens of milliseconds to decide; 1 ms cannot be met.
    events = [pb.Event(message=sms(f"m{i}", FRAUD_SMS)) for i in range(4096)]
    with pytest.raises(grpc.RpcError) as err:
        grpc_stub.CheckBatch(pb.CheckBatchRequest(events=events), timeout=0.001)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert wait_until(lambda: grpc_service.servicer.admission.in_flight == 0)
    assert grpc_stub.CheckMessage(sms(), timeout=5).action == pb.ACTION_PASS


def test_stream_deadline_ends_server_work(
    grpc_service: server.Service, grpc_stub: pb_grpc.InterceptorStub
) -> None:
    feeder = Feeder()
    replies = grpc_stub.CheckStream(iter(feeder), timeout=0.5)
    feeder.send(pb.Event(message=sms("d1")))
    assert next(iter(replies)).event_id == "d1"
    with pytest.raises(grpc.RpcError) as err:
        next(iter(replies))  # the client never half-closes: the deadline ends the stream
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert wait_until(lambda: grpc_service.servicer.admission.open_streams == 0)
    feeder.close()


# -- bad input ----------------------------------------------------------------------------------


BAD_MESSAGES = [
    (sms(sender=""), "sender"),
    (sms(sender="not-a-number!"), "sender"),
    (sms(recipient="+86 abc"), "recipient"),
    (sms(text="诈" * 5000), "text"),  # 15,000 UTF-8 bytes, over the 8 KiB default
    (sms(ingress=42), "ingress"),
]


@pytest.mark.parametrize(("request_", "field"), BAD_MESSAGES, ids=[f for _, f in BAD_MESSAGES])
def test_bad_message_is_invalid_argument_naming_the_field(
    grpc_stub: pb_grpc.InterceptorStub, request_: pb.MessageEvent, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        grpc_stub.CheckMessage(request_, timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (err.value.details() or "")
    assert grpc_stub.CheckMessage(sms(), timeout=5).action == pb.ACTION_PASS  # still serving


def test_bad_call_fields(grpc_stub: pb_grpc.InterceptorStub) -> None:
    for request_, field in [(call(caller=""), "caller"), (call(ingress=-3), "ingress")]:
        with pytest.raises(grpc.RpcError) as err:
            grpc_stub.CheckCall(request_, timeout=5)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in (err.value.details() or "")


BAD_BATCHES = [
    ([], "events"),
    ([pb.Event(message=sms())] * 4097, "events"),
    ([pb.Event(message=sms()), pb.Event()], "events[1]"),
    ([pb.Event(message=sms()), pb.Event(message=sms(ingress=9))], "events[1].ingress"),
    ([pb.Event(call=call())] * 2 + [pb.Event(message=sms(sender=""))], "events[2].sender"),
]


@pytest.mark.parametrize(("events", "field"), BAD_BATCHES, ids=[f for _, f in BAD_BATCHES])
def test_bad_batch_is_invalid_argument_naming_the_field(
    grpc_stub: pb_grpc.InterceptorStub, events: list[pb.Event], field: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        grpc_stub.CheckBatch(pb.CheckBatchRequest(events=events), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith(field)
    ok = grpc_stub.CheckBatch(pb.CheckBatchRequest(events=[pb.Event(message=sms())]), timeout=5)
    assert len(ok.decisions) == 1


# -- overload and disconnects -------------------------------------------------------------------


def test_overload_is_refused_quickly(make_service: Callable[..., server.Service]) -> None:
    service = make_service(max_concurrent=2)
    stub = stub_for(service.port)
    feeders = [Feeder(), Feeder()]
    streams = [stub.CheckStream(iter(f), timeout=30) for f in feeders]
    for i, (feeder, replies) in enumerate(zip(feeders, streams, strict=True)):
        feeder.send(pb.Event(message=sms(f"hold{i}")))
        assert next(iter(replies)).event_id == f"hold{i}"  # both streams admitted and held open
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as err:
        stub.CheckMessage(sms(), timeout=5)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert time.monotonic() - started < 1.0
    # Health and status still answer while saturated.
    assert health_status(f"127.0.0.1:{service.port}") == SERVING
    assert stub.GetStatus(pb.GetStatusRequest(), timeout=5).in_flight == 2
    for feeder, replies in zip(feeders, streams, strict=True):
        feeder.close()
        assert list(replies) == []
    assert wait_until(lambda: service.servicer.admission.in_flight == 0)
    assert stub.CheckMessage(sms(), timeout=5).action == pb.ACTION_PASS


def test_client_disconnect_mid_stream_leaves_no_work(
    make_service: Callable[..., server.Service],
) -> None:
    service = make_service()
    stub = stub_for(service.port)
    readers_before = sum(t.name == "stream-reader" for t in threading.enumerate())
    feeder = Feeder()
    replies = stub.CheckStream(iter(feeder), timeout=30)
    for i in range(50):
        feeder.send(pb.Event(message=sms(f"x{i}")))
    assert next(iter(replies)).event_id == "x0"
    assert service.servicer.admission.open_streams == 1
    replies.cancel()  # type: ignore[no-untyped-call]  # the client goes away mid-stream
    assert wait_until(lambda: service.servicer.admission.open_streams == 0)
    assert wait_until(
        lambda: sum(t.name == "stream-reader" for t in threading.enumerate()) == readers_before
    )
    assert service.servicer.admission.in_flight == 0
    feeder.close()


# -- processes: graceful shutdown and workers ---------------------------------------------------


def test_sigterm_lets_in_flight_stream_finish(
    server_process: Callable[..., ServerProcess],
) -> None:
    handle = server_process("--grace", "10")
    stub = stub_for(handle.target)
    feeder = Feeder()
    replies = stub.CheckStream(iter(feeder), timeout=30)
    feeder.send(pb.Event(message=sms("before")))
    assert next(iter(replies)).event_id == "before"
    handle.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # the server is now draining
    for i in range(20):
        feeder.send(pb.Event(message=sms(f"after{i}", FRAUD_SMS, sender="10690000123")))
    feeder.close()
    rest = list(replies)  # the in-flight stream completes with every decision
    assert [d.event_id for d in rest] == [f"after{i}" for i in range(20)]
    assert all(d.action == pb.ACTION_BLOCK for d in rest)
    assert handle.proc.wait(timeout=15) == 0
    with pytest.raises(grpc.RpcError) as err:
        stub.CheckMessage(sms(), timeout=2)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_workers_share_one_port(server_process: Callable[..., ServerProcess]) -> None:
    handle = server_process("--workers", "2")
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while len(pids) < 2 and time.monotonic() < deadline:
        # A fresh channel (own connection) each time, so the kernel can pick either worker.
        options = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.insecure_channel(handle.target, options=options) as channel:
            try:
                status = pb_grpc.InterceptorStub(channel).GetStatus(
                    pb.GetStatusRequest(), timeout=5)
            except grpc.RpcError:
                continue
            if status.serving:
                pids.add(status.pid)
    assert len(pids) == 2, pids
    assert handle.proc.pid not in pids  # the supervisor serves nothing itself
    if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2:
        # --cpus auto (the default): one CPU each, and not the same one
        singles = [{str(cpu)} for cpu in os.sched_getaffinity(0)]
        pinned = [_allowed_cpus(pid) for pid in sorted(pids)]
        assert all(cpus in singles for cpus in pinned) and pinned[0] != pinned[1], pinned
    handle.proc.send_signal(signal.SIGTERM)
    assert handle.proc.wait(timeout=30) == 0
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def _allowed_cpus(pid: int) -> set[str]:
    """Each thread's ``Cpus_allowed_list`` of process ``pid``."""
    lists = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError), open(f"/proc/{pid}/task/{tid}/status") as f:
            lists.update(line.split(":", 1)[1].strip() for line in f
                         if line.startswith("Cpus_allowed_list"))
    return lists


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs CPU pinning and two CPUs to tell apart")
@pytest.mark.parametrize("option", ["last", "default", "none"])
def test_cpus_pins_every_thread_of_the_server(
        server_process: Callable[..., ServerProcess], option: str) -> None:
    available = sorted(os.sched_getaffinity(0))
    args, expected = {
        "last": (["--cpus", str(available[-1])], {str(available[-1])}),
        "default": ([], {str(available[0])}),  # --cpus auto: one CPU, the first
        "none": (["--cpus", "none"], None),  # whatever the scheduler allows: not one CPU
    }[option]
    handle = server_process(*args)
    assert stub_for(handle.target).CheckMessage(sms(), timeout=10).action == pb.ACTION_PASS
    allowed = _allowed_cpus(handle.proc.pid)  # gRPC's and numba's threads too
    if expected is None:
        assert len(allowed) == 1 and next(iter(allowed)) not in map(str, available)
    else:
        assert allowed == expected


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs CPU pinning")
def test_cpus_option_is_checked() -> None:
    parser = argparse.ArgumentParser()
    server.add_serve_arguments(parser)
    default = server.config_from_args(parser.parse_args([]))
    available = sorted(os.sched_getaffinity(0))
    assert default.cpus == "auto" and default.worker_cpus(0) == (available[0],)
    assert server.config_from_args(parser.parse_args(["--cpus", "none"])).worker_cpus(0) == ()
    auto_pool = server.ServeConfig(workers=3)
    assert [auto_pool.worker_cpus(i) for i in range(3)] == [
        (available[i % len(available)],) for i in range(3)]
    one = available[0]
    config = server.config_from_args(parser.parse_args(["--cpus", str(one)]))
    assert config.cpus == (one,) and config.worker_cpus(0) == (one,)
    for bad, message in (("x", "'x' is not a CPU number"), ("3-1", "'3-1' is an empty range"),
                         ("4096", "CPU 4096 is not available"), ("²", "'²' is not a CPU"),
                         ("0-1000000", "spans more than 65,536 CPUs"),
                         ("", "or auto .* or none")):
        with pytest.raises(ValueError, match=message):
            server.config_from_args(parser.parse_args(["--cpus", bad]))
    pool = server.ServeConfig(workers=3, cpus=(0, 1))
    assert [pool.worker_cpus(i) for i in range(3)] == [(0,), (1,), (0,)]
    assert server.ServeConfig(workers=1, cpus=(0, 1)).worker_cpus(0) == (0, 1)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_bad_rules_dir_exits_with_error(
    server_process: Callable[..., ServerProcess], workers: str
) -> None:
    handle = server_process("--rules", "/nonexistent/ruleset", "--workers", workers, wait=False)
    assert handle.proc.wait(timeout=60) != 0  # no restart loop, no server without rules
    output = handle.proc.communicate()[0]
    assert "/nonexistent/ruleset" in output


# -- following Redis (needs engine.reloader and a redis-server binary) --------------------------


def test_redis_without_rules_waits_for_first_version(redis_server: RedisServer) -> None:
    from rules import DirectorySource, load_ruleset
    from rules.store import RuleStore

    url = redis_server.url
    service = server.serve(server.ServeConfig(port=0, redis=url))
    try:
        target = f"127.0.0.1:{service.port}"
        assert health_status(target) == NOT_SERVING
        with pytest.raises(grpc.RpcError) as err:
            stub_for(target).CheckMessage(sms(), timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        RuleStore.from_url(url).publish(
            load_ruleset(DEFAULT_RULESET_DIR), DirectorySource(DEFAULT_RULESET_DIR)
        )
        assert wait_until(lambda: health_status(target) == SERVING, timeout=15)
        status = stub_for(target).GetStatus(pb.GetStatusRequest(), timeout=5)
        assert status.redis_url.startswith("redis://127.0.0.1")
        assert status.redis_connected
        fraud = stub_for(target).CheckMessage(sms("f", FRAUD_SMS), timeout=5)
        assert fraud.action == pb.ACTION_BLOCK
        assert fraud.ruleset_version == status.ruleset_version
    finally:
        service.stop(grace=0.5)
