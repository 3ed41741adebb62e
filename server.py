"""The interceptor gRPC service: protobuf <-> engine wiring, health, reflection, workers.

Start it with ``interceptor serve`` or ``python server.py`` (same options); with no
options it serves the bundled default ruleset on ``127.0.0.1:50051``::

    $ python server.py --port 50051 --workers 2
    $ interceptor check sms --target 127.0.0.1:50051 --sender 95588 --text "..."

In-process (tests, embedding)::

    >>> service = serve(ServeConfig(port=0))          # doctest: +SKIP
    >>> service.port, service.holder.current.version  # doctest: +SKIP
    (40123, '...')
    >>> service.stop(grace=1.0)                       # doctest: +SKIP

Design notes (why, not what):

* Every RPC reads ``holder.current`` exactly once, so one decision (or one whole
  batch / stream chunk) is made by one ruleset version, which the reply names.
* Overload is refused, never queued: Interceptor RPCs (streams included) are
  admitted up to ``--max-concurrent``; the next one gets ``RESOURCE_EXHAUSTED`` at
  once. The thread pool has a few threads more than that limit so health checks,
  reflection and ``GetStatus`` still answer while the service is saturated.
* Concurrent unary calls (``CheckMessage``, ``CheckCall``, ``ReportCallEnded``) are
  decided together (``engine.coalesce.Coalescer``): whoever finds the engine idle yields
  its CPU once, so that requests already received can queue behind it, then decides;
  calls arriving meanwhile wait and are then decided with one ``decide_batch``, which
  costs far less per event than one ``decide`` each. No timer, so an idle server adds
  no delay; each call still gets its own decision or its own error.
* ``CheckStream`` reads requests on a helper thread into a queue and decides
  whatever is already queued with one ``decide_batch`` call (micro-batching), in
  order. When the client goes away (cancel, deadline, dead peer caught by
  keepalive) both threads end; nothing keeps deciding for nobody.
* ``--workers N`` starts N processes bound to one port with ``SO_REUSEPORT``; the
  kernel spreads connections over them. With one worker ``SO_REUSEPORT`` is off, so
  a second server on a busy port fails loudly instead of silently sharing it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from engine import Snapshot, SnapshotHolder, compile_ruleset, decide, decide_batch
from engine.affinity import (
    AUTO,
    CpuChoice,
    auto_cpus,
    check_cpus,
    parse_cpus_option,
    pin_process,
)
from engine.coalesce import Coalescer
from engine.gc_tuning import tune_gc_for_serving
from engine.textmemo import DEFAULT_MAX_CHARS
from engine.types import CallEndedEvent, CallEvent, Decision, Event, MessageEvent
from engine.velocity import VelocityState
from proto import convert
from proto.interceptor.v1 import interceptor_pb2 as pb
from proto.interceptor.v1 import interceptor_pb2_grpc as pb_grpc
from rules import DEFAULT_RULESET_DIR, load_ruleset
from rules.errors import EventError, RuleSetError

log = logging.getLogger("interceptor.server")

SERVICE_NAME: str = pb.DESCRIPTOR.services_by_name["Interceptor"].full_name
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 50051
# Threads beyond --max-concurrent, kept for health, reflection and GetStatus under overload.
_HEADROOM_THREADS = 8
# A stream decides at most this many queued events per decide_batch call.
_STREAM_CHUNK = 256
# Events a stream may have read but not yet decided.
_STREAM_QUEUE = 4 * _STREAM_CHUNK
# A --workers child that dies sooner than this after starting is not restarted.
_STARTUP_WINDOW = 60.0
# Keepalive: find clients that vanished without closing (so their streams end).
_KEEPALIVE_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
]


@dataclass(frozen=True)
class ServeConfig:
    """Everything ``serve`` needs; the command-line options map onto these fields."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    rules: str | None = None  # None: the bundled ruleset, unless redis is given
    redis: str | None = None
    redis_namespace: str = "interceptor"
    workers: int = 1
    max_concurrent: int = 64
    max_batch: int = 4096
    max_text_bytes: int = convert.DEFAULT_MAX_TEXT_BYTES
    max_message_bytes: int = 16 * 1024 * 1024
    grace: float = 10.0
    replica_id: str = ""
    metrics_port: int = 0
    reuse_port: bool = False
    # Velocity counters: "" for a table private to the process; --workers children get the
    # path of the table their supervisor shares between them (all see the same counts).
    velocity_path: str = ""
    # Characters of message text each snapshot's memo of prepared texts holds (0: none).
    text_memo_chars: int = DEFAULT_MAX_CHARS
    # CPUs to pin to (engine.affinity): "auto", one CPU per process; () not pinned; or a
    # list, which a lone server takes whole and --workers children one CPU each.
    cpus: CpuChoice = AUTO

    def worker_cpus(self, worker: int) -> tuple[int, ...]:
        """The CPUs worker ``worker`` runs on: under ``auto`` one CPU each (round robin
        over the available ones); of a list, all for a lone server and one each (round
        robin) for ``--workers`` children; () when not pinned."""
        if self.cpus == AUTO:
            return auto_cpus(worker)
        if not self.cpus or self.workers == 1:
            return self.cpus
        return (self.cpus[worker % len(self.cpus)],)


class Admission:
    """Counts running Interceptor RPCs and refuses the one over the limit.

    >>> a = Admission(1)
    >>> a.try_enter(), a.try_enter()
    (True, False)
    >>> a.leave(); a.in_flight
    0
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.open_streams = 0
        self._lock = threading.Lock()

    def try_enter(self, stream: bool = False) -> bool:
        with self._lock:
            if self.in_flight >= self.limit:
                return False
            self.in_flight += 1
            self.open_streams += stream
            return True

    def leave(self, stream: bool = False) -> None:
        with self._lock:
            self.in_flight -= 1
            self.open_streams -= stream


_END = object()  # end of a stream's request queue


class InterceptorServicer(pb_grpc.InterceptorServicer):
    """The ``interceptor.v1.Interceptor`` service over one ``SnapshotHolder``."""

    def __init__(self, holder: SnapshotHolder, config: ServeConfig) -> None:
        self.holder = holder
        self.config = config
        self.admission = Admission(config.max_concurrent)
        self.replica_id = config.replica_id or f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = time.time()
        self.coalescer = Coalescer(holder.runtime)

    # -- helpers ---------------------------------------------------------------------------

    def _enter(self, context: grpc.ServicerContext, stream: bool = False) -> None:
        if not self.admission.try_enter(stream):
            context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"server busy: {self.admission.limit} requests in flight (--max-concurrent)",
            )

    def _snapshot(self, context: grpc.ServicerContext) -> Snapshot:
        snapshot = self.holder.current
        if snapshot is None:
            context.abort(grpc.StatusCode.UNAVAILABLE, "no ruleset is active yet; retry shortly")
        return snapshot

    @staticmethod
    def _check_deadline(context: grpc.ServicerContext) -> None:
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline expired before deciding")

    def _unary(self, context: grpc.ServicerContext, convert_fn: Callable[[], Event]) -> pb.Decision:
        self._enter(context)
        try:
            self._check_deadline(context)
            snapshot = self._snapshot(context)
            return convert.decision_to_pb(self.coalescer.decide(snapshot, convert_fn()))
        except EventError as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        finally:
            self.admission.leave()

    # -- RPCs ------------------------------------------------------------------------------

    def CheckCall(self, request: pb.CallEvent, context: grpc.ServicerContext) -> pb.Decision:
        return self._unary(context, lambda: convert.call_from_pb(request))

    def CheckMessage(self, request: pb.MessageEvent, context: grpc.ServicerContext) -> pb.Decision:
        limit = self.config.max_text_bytes
        return self._unary(context, lambda: convert.message_from_pb(request, "", limit))

    def ReportCallEnded(
        self, request: pb.CallEndedEvent, context: grpc.ServicerContext
    ) -> pb.Decision:
        return self._unary(context, lambda: convert.call_ended_from_pb(request))

    def CheckBatch(
        self, request: pb.CheckBatchRequest, context: grpc.ServicerContext
    ) -> pb.CheckBatchResponse:
        self._enter(context)
        try:
            count = len(request.events)
            if count == 0:
                raise EventError("events", "is empty (send at least one event)")
            if count > self.config.max_batch:
                raise EventError(
                    "events", f"has {count} events, over the limit of {self.config.max_batch}"
                )
            events = convert.events_from_pb(request.events, self.config.max_text_bytes)
            self._check_deadline(context)
            snapshot = self._snapshot(context)
            response = pb.CheckBatchResponse()
            add, fill = response.decisions.add, convert.fill_decision
            for decision in decide_batch(snapshot, events, self.holder.runtime):
                fill(add(), decision)
            return response
        except EventError as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        finally:
            self.admission.leave()

    def CheckStream(
        self, request_iterator: Iterator[pb.Event], context: grpc.ServicerContext
    ) -> Iterator[pb.Decision]:
        self._enter(context, stream=True)
        # Bounded, so a client that sends faster than we decide is slowed by HTTP/2 flow
        # control instead of growing this queue without limit.
        inbox: queue.Queue[Any] = queue.Queue(maxsize=_STREAM_QUEUE)
        finished = threading.Event()
        try:
            context.add_callback(lambda: _offer_end(inbox))  # RPC over: wake the loop below
            threading.Thread(
                target=_pump, args=(request_iterator, inbox, finished), name="stream-reader",
                daemon=True,
            ).start()
            while True:
                chunk = [inbox.get()]
                while chunk[-1] is not _END and len(chunk) < _STREAM_CHUNK:
                    try:
                        chunk.append(inbox.get_nowait())
                    except queue.Empty:
                        break
                ended = chunk[-1] is _END
                if ended:
                    chunk.pop()
                if chunk:
                    if not context.is_active():
                        return
                    yield from self._decide_chunk(chunk, context)
                if ended:
                    return
        finally:
            finished.set()  # a reader blocked on a full inbox gives up
            self.admission.leave(stream=True)

    def _decide_chunk(
        self, chunk: list[pb.Event], context: grpc.ServicerContext
    ) -> Iterator[pb.Decision]:
        """Decide a stream chunk in order; a bad event gets an error Decision, not an abort."""
        snapshot = self._snapshot(context)
        version = snapshot.version
        converted: list[Event | str] = []
        for msg in chunk:
            try:
                converted.append(convert.event_from_pb(msg, "", self.config.max_text_bytes))
            except EventError as e:
                converted.append(str(e))
        good = [e for e in converted if not isinstance(e, str)]
        runtime = self.holder.runtime
        decisions: Iterator[Decision | str]
        try:
            decisions = iter(decide_batch(snapshot, good, runtime)) if good else iter(())
        except EventError:  # refused before any matching: decide one by one to find it
            decisions = iter([_decide_or_error(snapshot, e, runtime) for e in good])
        for msg, item in zip(chunk, converted, strict=True):
            if isinstance(item, str):
                yield convert.error_decision(_pb_event_id(msg), item, version)
                continue
            result = next(decisions)
            if isinstance(result, str):
                yield convert.error_decision(item.event_id, result, version)
            else:
                yield convert.decision_to_pb(result)

    def GetStatus(self, request: pb.GetStatusRequest, context: grpc.ServicerContext) -> pb.Status:
        return convert.status_to_pb(
            self.holder.status(),
            replica_id=self.replica_id,
            pid=os.getpid(),
            serving=self.holder.current is not None,
            in_flight=self.admission.in_flight,
            open_streams=self.admission.open_streams,
            max_concurrent=self.admission.limit,
            started_at_ms=int(self.started_at * 1000),
        )


def _pump(
    requests: Iterator[pb.Event], inbox: queue.Queue[Any], finished: threading.Event
) -> None:
    """Move a stream's requests into ``inbox``; ends when the client half-closes or goes away."""
    try:
        for msg in requests:
            while True:
                try:
                    inbox.put(msg, timeout=0.1)
                    break
                except queue.Full:
                    if finished.is_set():  # the handler is gone: nobody will read this
                        return
    except grpc.RpcError:
        pass  # cancelled, deadline exceeded or peer gone: the RPC is over
    finally:
        _offer_end(inbox)


def _offer_end(inbox: queue.Queue[Any]) -> None:
    # A full inbox needs no marker: the handler drains it and then sees the RPC is inactive.
    with contextlib.suppress(queue.Full):
        inbox.put_nowait(_END)


def _decide_or_error(snapshot: Snapshot, event: Event, runtime: object) -> Decision | str:
    try:
        return decide(snapshot, event, runtime)
    except EventError as e:
        return str(e)


def _pb_event_id(msg: pb.Event) -> str:
    kind = msg.WhichOneof("event")
    if kind == "message":
        return msg.message.message_id
    if kind in ("call", "call_ended"):
        return str(getattr(msg, kind).call_id)
    return ""


class _TextMemoCollector:
    """Prometheus collector reading the active snapshot's ``text_memo`` at scrape time."""

    def __init__(self, holder: SnapshotHolder) -> None:
        self.holder = holder

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        snapshot = self.holder.current
        if snapshot is None:
            return
        memo = snapshot.text_memo
        yield CounterMetricFamily("interceptor_text_memo_hits", "SMS texts found prepared "
                                  "in the active ruleset's memo", value=memo.hits)
        yield CounterMetricFamily("interceptor_text_memo_misses", "SMS texts the active "
                                  "ruleset prepared afresh", value=memo.misses)
        yield GaugeMetricFamily("interceptor_text_memo_entries", "texts held by the active "
                                "ruleset's memo", value=len(memo))
        yield GaugeMetricFamily("interceptor_text_memo_chars", "characters of text held "
                                "(bound: --text-memo-chars)", value=memo.chars)


class RpcMetrics(grpc.ServerInterceptor):  # type: ignore[type-arg]
    """Prometheus counters per Interceptor RPC (count by status code, latency) and per action."""

    _PREFIX = f"/{SERVICE_NAME}/"

    def __init__(self, registry: Any = None) -> None:
        import prometheus_client as prom

        self.registry = registry if registry is not None else prom.REGISTRY  # global default
        self.requests = prom.Counter(
            "interceptor_rpc_total", "Interceptor RPCs by method and status", ["rpc", "code"],
            registry=self.registry)
        self.latency = prom.Histogram(
            "interceptor_rpc_seconds", "Interceptor RPC latency", ["rpc"],
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0),
            registry=self.registry)
        self.decisions = prom.Counter(
            "interceptor_decisions_total", "Decisions by action", ["action"],
            registry=self.registry)
        # Labelled children by key, made on first use: ``labels()`` costs a lock and a
        # tuple per call, which a batch would otherwise pay once per decision. Two threads
        # racing on a new key both get the same child from ``labels()``: no count is lost.
        self._by_action: dict[int, Any] = {}
        self._by_code: dict[tuple[str, grpc.StatusCode], Any] = {}
        self._latency_of: dict[str, Any] = {}

    def watch(self, holder: SnapshotHolder) -> None:
        """Also export the active ruleset's text memo: hits, misses (both start again at 0
        with each new ruleset), entries and characters held."""
        self.registry.register(_TextMemoCollector(holder))

    def _action(self, action: int) -> Any:
        child = self._by_action.get(action)
        if child is None:
            child = self._by_action[action] = self.decisions.labels(pb.Action.Name(action))
        return child

    def _count(self, reply: Any) -> None:
        if isinstance(reply, pb.Decision):
            self._action(reply.action).inc()
        elif isinstance(reply, pb.CheckBatchResponse):
            for action, n in Counter([d.action for d in reply.decisions]).items():
                self._action(action).inc(n)

    def _done(self, rpc: str, started: float, context: grpc.ServicerContext) -> None:
        code = context.code() or grpc.StatusCode.OK  # type: ignore[attr-defined]
        key = (rpc, code)
        counter = self._by_code.get(key)
        if counter is None:
            counter = self._by_code[key] = self.requests.labels(rpc, code.name)
        counter.inc()
        latency = self._latency_of.get(rpc)
        if latency is None:
            latency = self._latency_of[rpc] = self.latency.labels(rpc)
        latency.observe(time.perf_counter() - started)

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not method.startswith(self._PREFIX):
            return handler
        rpc = method[len(self._PREFIX):]
        if handler.unary_unary is not None:
            inner = handler.unary_unary

            def unary(request: Any, context: grpc.ServicerContext) -> Any:
                started = time.perf_counter()
                try:
                    reply = inner(request, context)
                    self._count(reply)
                    return reply
                finally:
                    self._done(rpc, started, context)

            return grpc.unary_unary_rpc_method_handler(
                unary, handler.request_deserializer, handler.response_serializer)
        if handler.stream_stream is not None:
            inner_stream = handler.stream_stream

            def stream(requests: Any, context: grpc.ServicerContext) -> Iterator[Any]:
                started = time.perf_counter()
                try:
                    for reply in inner_stream(requests, context):
                        self._count(reply)
                        yield reply
                finally:
                    self._done(rpc, started, context)

            return grpc.stream_stream_rpc_method_handler(
                stream, handler.request_deserializer, handler.response_serializer)
        return handler


# -- assembling and running a server -------------------------------------------------------


@dataclass
class Service:
    """A started server: its port, holder, servicer and health servicer."""

    server: grpc.Server
    port: int
    holder: SnapshotHolder
    servicer: InterceptorServicer
    health: health.HealthServicer
    follower: Any = None

    def stop(self, grace: float | None = None) -> None:
        """Refuse new RPCs, let in-flight ones finish for up to ``grace`` seconds, then stop."""
        self.health.enter_graceful_shutdown()
        if self.follower is not None:
            self.follower.stop()
        self.server.stop(grace).wait()


def grpc_server(
    config: ServeConfig, interceptors: list[grpc.ServerInterceptor[Any, Any]] | None = None
) -> grpc.Server:
    """An unstarted ``grpc.Server`` with the service's options (``bench/noop_server.py`` too)."""
    slots = config.max_concurrent + _HEADROOM_THREADS
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.so_reuseport", 1 if config.reuse_port else 0),
        *_KEEPALIVE_OPTIONS,
    ]
    return grpc.server(
        futures.ThreadPoolExecutor(max_workers=slots, thread_name_prefix="grpc"),
        options=options,
        maximum_concurrent_rpcs=slots,
        interceptors=interceptors,
    )


def build_server(
    config: ServeConfig, holder: SnapshotHolder, metrics: RpcMetrics | None = None
) -> Service:
    """Create and start the gRPC server on ``config.host:config.port`` (port 0: any free port).

    Health is NOT_SERVING until ``holder`` has a snapshot; it flips on the first swap.
    ``metrics``: count RPCs into these (default: the global registry if ``metrics_port``).
    """
    # Metrics wrap handlers only when asked for: no cost on the hot path otherwise.
    if metrics is None and config.metrics_port:
        metrics = RpcMetrics()
    server = grpc_server(config, [metrics] if metrics is not None else None)
    if metrics is not None:
        metrics.watch(holder)
    servicer = InterceptorServicer(holder, config)
    pb_grpc.add_InterceptorServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )

    def mark(serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else (
            health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", SERVICE_NAME):
            health_servicer.set(name, status)

    mark(holder.current is not None)
    holder.add_listener(lambda *_: mark(True))
    address = f"{config.host}:{config.port}"
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as e:  # grpc raises RuntimeError when it cannot bind
        raise OSError(f"cannot listen on {address}: {e} (port in use?)") from e
    server.start()
    return Service(server, port, holder, servicer, health_servicer)


def load_local(holder: SnapshotHolder, rules_dir: str | Path) -> None:
    """Parse, compile and activate a ruleset directory (raises ``RuleSetError``)."""
    holder.swap(compile_ruleset(load_ruleset(rules_dir)))


def _velocity_state(config: ServeConfig) -> VelocityState:
    """The velocity table the decisions of this process count into (it outlives reloads)."""
    if config.velocity_path:
        return VelocityState.attach(config.velocity_path, populate=True)
    return VelocityState.create_local(populate=True)  # no page faults on the request path


def serve(config: ServeConfig, holder: SnapshotHolder | None = None) -> Service:
    """Start a server and make a ruleset active; returns once it is serving (or following Redis).

    The port is bound before the ruleset is compiled, so health checks see NOT_SERVING
    during a slow first load. A local ruleset that fails to load stops the server.
    """
    holder = holder if holder is not None else SnapshotHolder(runtime=_velocity_state(config))
    holder.text_memo_chars = config.text_memo_chars  # applied to every ruleset it activates
    tune_gc_for_serving(holder)  # no cyclic-GC pauses on the request path
    service = build_server(config, holder)
    try:
        if config.rules is not None or config.redis is None:
            load_local(holder, config.rules or DEFAULT_RULESET_DIR)
        if config.redis is not None:
            from engine.reloader import follow_redis  # only needed with --redis

            replica_id = service.servicer.replica_id
            service.follower = follow_redis(holder, config.redis, replica_id=replica_id,
                                            namespace=config.redis_namespace)
    except BaseException:
        service.server.stop(None)
        raise
    return service


def remote_check(target: str, event: Event, timeout: float = 5.0) -> Decision:
    """Ask a running server for one decision (``interceptor check ... --target HOST:PORT``).

    Raises ``grpc.RpcError`` (``.code()``, ``.details()``) if the server refuses.
    """
    with grpc.insecure_channel(target) as channel:
        stub = pb_grpc.InterceptorStub(channel)
        if isinstance(event, MessageEvent):
            reply = stub.CheckMessage(convert.message_to_pb(event), timeout=timeout)
        elif isinstance(event, CallEvent):
            reply = stub.CheckCall(convert.call_to_pb(event), timeout=timeout)
        elif isinstance(event, CallEndedEvent):
            reply = stub.ReportCallEnded(convert.call_ended_to_pb(event), timeout=timeout)
        else:
            raise TypeError(f"not an event: {event!r}")
    return convert.decision_from_pb(reply)


# -- command line ----------------------------------------------------------------------------


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``interceptor serve`` / ``python server.py``."""
    d = ServeConfig()
    parser.add_argument("--rules", metavar="DIR", help="serve this ruleset directory "
                        "(default: the bundled ruleset, unless --redis is given)")
    parser.add_argument("--redis", metavar="URL", help="follow the rulesets published in Redis")
    parser.add_argument("--redis-namespace", default="interceptor",
                        help="key prefix the rulesets were pushed under (rules push --namespace)")
    parser.add_argument("--host", default=d.host,
                        help=f"address to listen on (default {d.host}; 0.0.0.0 or [::] for all)")
    parser.add_argument("--port", type=int, default=d.port, help=f"default {d.port}; 0: any free")
    parser.add_argument("--workers", type=int, default=d.workers,
                        help="processes sharing the port via SO_REUSEPORT (default 1)")
    parser.add_argument("--max-concurrent", type=int, default=d.max_concurrent,
                        help="RPCs (streams included) per worker before RESOURCE_EXHAUSTED "
                        f"(default {d.max_concurrent})")
    parser.add_argument("--max-batch", type=int, default=d.max_batch,
                        help=f"events per CheckBatch (default {d.max_batch})")
    parser.add_argument("--max-text-bytes", type=int, default=d.max_text_bytes,
                        help=f"SMS text size limit in UTF-8 bytes (default {d.max_text_bytes})")
    parser.add_argument("--max-message-bytes", type=int, default=d.max_message_bytes,
                        help=f"gRPC message size limit (default {d.max_message_bytes})")
    parser.add_argument("--grace", type=float, default=d.grace,
                        help=f"seconds in-flight RPCs get on SIGTERM (default {d.grace:g})")
    parser.add_argument("--replica-id", default="", help="name in status (default host:pid)")
    parser.add_argument("--metrics-port", type=int, default=0,
                        help="serve Prometheus metrics on this port (worker i: port + i)")
    parser.add_argument("--text-memo-chars", type=int, default=d.text_memo_chars,
                        help="characters of repeated SMS text whose normalization, "
                        "extraction and keyword matches each ruleset remembers (default "
                        f"{d.text_memo_chars:,}, ~60 MB at most; 0: off)")
    parser.add_argument("--cpus", metavar="LIST", default=AUTO,
                        help="pin the server to these CPUs, as taskset -c takes them (0, 0-3, "
                        "0,2); with --workers, worker i runs on the i-th CPU of the list. "
                        "Keeps the interpreter's threads on one core's caches (default: "
                        "auto, one CPU per process, round robin; none: not pinned)")


def config_from_args(args: argparse.Namespace) -> ServeConfig:
    """A ``ServeConfig`` from parsed ``add_serve_arguments`` options, checked."""
    config = ServeConfig(
        host=args.host, port=args.port, rules=args.rules, redis=args.redis,
        redis_namespace=args.redis_namespace,
        workers=args.workers, max_concurrent=args.max_concurrent, max_batch=args.max_batch,
        max_text_bytes=args.max_text_bytes, max_message_bytes=args.max_message_bytes,
        grace=args.grace, replica_id=args.replica_id, metrics_port=args.metrics_port,
        text_memo_chars=args.text_memo_chars,
        cpus=parse_cpus_option(args.cpus),
    )
    if config.cpus != AUTO and config.cpus:
        check_cpus(config.cpus)
    if config.text_memo_chars < 0:
        raise ValueError("--text-memo-chars must be at least 0")
    for name in ("workers", "max_concurrent", "max_batch", "max_text_bytes", "max_message_bytes"):
        if getattr(config, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
    if config.workers > 1 and config.port == 0:
        raise ValueError("--workers > 1 needs a fixed --port (each worker binds the same port)")
    return config


def run_serve(args: argparse.Namespace) -> int:
    """Run until SIGTERM/SIGINT; returns the exit code (0 after a graceful shutdown)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
    except ValueError as e:
        log.error("%s", e)
        return 2
    if config.workers > 1:
        shared = VelocityState.create_shared(populate=True)  # one table for every worker
        try:
            return _supervise(replace(config, reuse_port=True, velocity_path=shared.path))
        finally:
            shared.unlink()
            shared.close()
    return _serve_until_signalled(config)


def _serve_until_signalled(config: ServeConfig, worker: int = 0) -> int:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    cpus = config.worker_cpus(worker)
    if cpus:
        pin_process(cpus)  # before serve(): the threads it starts inherit the set
        log.info("worker %d (pid %d) pinned to CPU %s%s", worker, os.getpid(),
                 ",".join(map(str, cpus)),
                 " (--cpus auto; --cpus none leaves it unpinned)" if config.cpus == AUTO else "")
    try:
        service = serve(config)
    except RuleSetError as e:
        where = config.rules or ("Redis" if config.redis else str(DEFAULT_RULESET_DIR))
        log.error("cannot serve the ruleset at %s: %s", where, e)
        return 1
    except OSError as e:
        log.error("%s", e)
        return 1
    if config.metrics_port:
        _start_metrics(config.metrics_port + worker)
    current = service.holder.current
    log.info("worker %d (pid %d) serving %s on %s:%d", worker, os.getpid(),
             f"ruleset {current.version}" if current else "(waiting for a ruleset)",
             config.host, service.port)
    while not stop.wait(0.5):
        pass
    log.info("pid %d: shutting down, %.1fs grace for %d in-flight RPCs", os.getpid(),
             config.grace, service.servicer.admission.in_flight)
    service.stop(config.grace)
    return 0


def _worker_main(config: ServeConfig, worker: int) -> None:
    """Entry point of a ``--workers`` child process (spawned, so no gRPC state is forked)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    sys.exit(_serve_until_signalled(config, worker))


def _supervise(config: ServeConfig) -> int:
    """Run ``config.workers`` children; forward SIGTERM/SIGINT; restart a child that crashes."""
    ctx = multiprocessing.get_context("spawn")
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())

    def start(i: int) -> Any:
        proc = ctx.Process(target=_worker_main, args=(config, i), name=f"interceptor-worker-{i}")
        proc.start()
        started_at[i] = time.monotonic()
        return proc

    started_at = [0.0] * config.workers
    procs = [start(i) for i in range(config.workers)]
    log.info("supervisor pid %d: %d workers on port %d", os.getpid(), len(procs), config.port)
    failed = False
    while not failed and not stopping.wait(0.5):
        for i, proc in enumerate(procs):
            if proc.exitcode is None or stopping.is_set():
                continue
            if time.monotonic() - started_at[i] < _STARTUP_WINDOW:
                # Dying right after start (bad ruleset, port taken): a restart would too.
                log.error("worker %d exited with %s during start-up; stopping", i, proc.exitcode)
                failed = True
                break
            log.error("worker %d (pid %s) exited with %s; restarting", i, proc.pid, proc.exitcode)
            procs[i] = start(i)
    for proc in procs:
        if proc.exitcode is None and proc.pid is not None:
            os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + config.grace + 5.0
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.exitcode is None:
            log.error("worker pid %s did not stop in time; killing it", proc.pid)
            proc.kill()
            proc.join()
    return 0 if not failed and all(p.exitcode == 0 for p in procs) else 1


def _start_metrics(port: int) -> None:
    """Prometheus exporter: process metrics plus ``RpcMetrics``."""
    import prometheus_client

    prometheus_client.start_http_server(port, addr="127.0.0.1")
    log.info("metrics on http://127.0.0.1:%d/metrics", port)


def main(argv: list[str] | None = None) -> int:
    """``python server.py [options]``: the same as ``interceptor serve``."""
    parser = argparse.ArgumentParser(prog="server.py", description="interceptor gRPC server")
    add_serve_arguments(parser)
    return run_serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
