"""gRPC load generator: the interceptor server beside a no-op servicer, same stack, same run.

Starts ``server.py`` (bundled ruleset) and ``bench/noop_server.py`` as child processes on
127.0.0.1, then drives each from this process (a separate process from both servers):

* open loop at fixed offered loads (sends follow a clock, latency is measured from the
  *scheduled* send time so a slow server cannot hide queueing): unary ``CheckMessage`` at
  e.g. 500/1000/2000 req/s, ``CheckBatch`` and ``CheckStream`` at fixed events/s;
* closed loop (a fixed number of requests in flight) for the throughput ceilings.

Requests are serialised once up front and replies are not parsed, so the client spends as
little CPU as possible per call. With two CPUs or more, both servers run pinned to the
first CPU (``--cpus``; a server left to its default pins itself to one CPU too) and this
process to the last, so client and server do not share a core's caches (``--no-pin``:
both servers started with ``--cpus none`` and everything left to the scheduler; both
servers are always treated alike). Everything is bounded in time
(``--duration`` per point).
Writes ``bench/results/loadgen.json`` and ``bench/results/loadgen.md``::

    python bench/loadgen.py --duration 3
    python bench/loadgen.py --sms-file ../shared/data/sms-zh/spam_messages_lr_train.tsv
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout

from engine.affinity import available_cpus, pin_process  # noqa: E402
from proto.interceptor.v1 import interceptor_pb2 as pb  # noqa: E402

METHOD = "/interceptor.v1.Interceptor/"
FRAUD_TEMPLATES = [
    "【工商银行】您的账户存在异常，请点击 http://icbc-verify.top 进行身份验证，否则将冻结",
    "您的快递丢失，理赔请加QQ{n}，客服将为您办理退款",
    "恭喜您获得安全贷款额度50万，无抵押秒到账，回复Y办理 http://dai-kuan{n}.cc",
    "【公安局】您涉嫌洗钱案件，请立即联系{n}配合调查，不得告知他人",
]
BENIGN_TEMPLATES = [
    "今晚一起吃饭吗",
    "会议改到下午三点，地点不变",
    "您的验证码是{n}，5分钟内有效",
    "妈，我到家了，明天回去看你",
    "Your parcel {n} has been delivered to the front desk.",
]


# -- workload --------------------------------------------------------------------------------------


def load_texts(sms_file: str | None, count: int, seed: int) -> list[str]:
    """Real SMS texts from a ``label<TAB>text`` file, or a synthetic 20%-fraud mix."""
    rng = random.Random(seed)
    if sms_file:
        lines = Path(sms_file).read_text(encoding="utf-8", errors="replace").splitlines()
        texts = [line.split("\t", 1)[1] for line in lines if "\t" in line]
        return [rng.choice(texts) for _ in range(count)]
    out = []
    for _ in range(count):
        pool = FRAUD_TEMPLATES if rng.random() < 0.2 else BENIGN_TEMPLATES
        out.append(rng.choice(pool).format(n=rng.randint(10_000_000, 99_999_999)))
    return out


#: Events in the payload pool, each from its own sender. The pool replays, so a sender
#: comes back once a pool; at 40 k events/s (about the batch ceiling) that is 18 times a
#: minute, under the bundled ruleset's 60 SMS a minute (``sms.velocity.per_sender``). A
#: pool of 4,096 had every sender over it within seconds: every decision was a FLAG
#: with a match, a bulk-SMS storm rather than a gateway's traffic.
POOL_EVENTS = 131_072


def make_messages(texts: list[str], seed: int, count: int | None = None
                  ) -> list[pb.MessageEvent]:
    """``count`` SMS (default: one per text), the texts in turn, each from a distinct
    random mobile number to a random one."""
    rng = random.Random(seed)
    count = len(texts) if count is None else count
    senders = rng.sample(range(10**9), count)  # distinct: see POOL_EVENTS
    return [
        pb.MessageEvent(
            message_id=f"m{i}", sender=f"1{'3578'[i % 4]}{senders[i]:09d}",
            recipient=f"139{rng.randint(0, 10**8 - 1):08d}", text=texts[i % len(texts)],
            ingress=pb.INGRESS_DOMESTIC,
        )
        for i in range(count)
    ]


@dataclass
class Payloads:
    unary: list[bytes]
    batch: list[bytes]
    stream: list[bytes]
    batch_size: int


def make_payloads(messages: list[pb.MessageEvent], batch_size: int) -> Payloads:
    events = [pb.Event(message=m) for m in messages]
    batches = [
        pb.CheckBatchRequest(events=events[i : i + batch_size]).SerializeToString()
        for i in range(0, len(events) - batch_size + 1, batch_size)
    ]
    return Payloads(
        unary=[m.SerializeToString() for m in messages],
        batch=batches,
        stream=[e.SerializeToString() for e in events],
        batch_size=batch_size,
    )


# -- measurement -----------------------------------------------------------------------------------


@dataclass
class Point:
    """One measured load point."""

    server: str
    mode: str  # unary | batch | stream
    loop: str  # open (fixed offered load) | closed (ceiling)
    offered_events_per_s: float
    events_per_request: int
    round: int = 0  # target points are measured in several rounds (``--rounds``)
    duration_s: float = 0.0
    requests: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    events_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    p999_ms: float = 0.0
    max_ms: float = 0.0
    # CPU time the server process spent per event answered (user + system, every thread;
    # 0: not measured). Unlike a throughput, it leaves out time the host gave elsewhere.
    server_cpu_us_per_event: float = 0.0

    def finish(self, latencies: list[float], started: float, ended: float) -> Point:
        lat = np.array([x for x in latencies if x >= 0.0]) * 1000.0
        self.duration_s = round(ended - started, 3)
        self.ok = int(lat.size)
        self.events_per_s = round(self.ok * self.events_per_request / max(ended - started, 1e-9), 1)
        if lat.size:
            p50, p99, p999 = np.percentile(lat, [50, 99, 99.9])
            self.p50_ms, self.p99_ms = round(float(p50), 3), round(float(p99), 3)
            self.p999_ms, self.max_ms = round(float(p999), 3), round(float(lat.max()), 3)
        return self


class _Tracker:
    """Collects completions from gRPC callback threads."""

    def __init__(self, n: int) -> None:
        self.latencies = [-1.0] * n
        self.errors: dict[str, int] = {}
        self.remaining = n
        self.last = 0.0
        self.lock = threading.Lock()
        self.done = threading.Event()
        if n == 0:
            self.done.set()

    def complete(self, i: int, scheduled: float, future: grpc.Future[Any]) -> None:
        now = time.perf_counter()
        with self.lock:
            if future.exception() is None:
                self.latencies[i] = now - scheduled
            else:
                code = future.code().name  # type: ignore[attr-defined]
                self.errors[code] = self.errors.get(code, 0) + 1
            self.last = max(self.last, now)
            self.remaining -= 1
            if self.remaining == 0:
                self.done.set()


def open_loop_unary(channel: grpc.Channel, method: str, payloads: list[bytes], rate: float,
                    duration: float, point: Point) -> Point:
    """Send at ``rate`` requests/s on a fixed schedule; latency counts from the schedule."""
    call = channel.unary_unary(METHOD + method, None, None)  # bytes in, bytes out
    n = max(1, int(rate * duration))
    tracker = _Tracker(n)
    start = time.perf_counter() + 0.01
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        future = call.future(payloads[i % len(payloads)], timeout=10.0)
        future.add_done_callback(functools.partial(tracker.complete, i, scheduled))
    tracker.done.wait(30.0)
    point.requests, point.errors = n, tracker.errors
    return point.finish(tracker.latencies, start, tracker.last or time.perf_counter())


def closed_loop_unary(channel: grpc.Channel, method: str, payloads: list[bytes],
                      in_flight: int, duration: float, point: Point) -> Point:
    """Keep ``in_flight`` requests outstanding for ``duration`` seconds: the ceiling."""
    call = channel.unary_unary(METHOD + method, None, None)  # bytes in, bytes out
    cap = int(duration * 200_000 / point.events_per_request) + in_flight
    tracker = _Tracker(cap)
    counter = iter(range(cap))
    start = time.perf_counter()
    stop_at = start + duration
    issued = [0]

    def issue() -> None:
        if time.perf_counter() >= stop_at:
            return
        i = next(counter, None)
        if i is None:
            return
        with tracker.lock:
            issued[0] += 1
        future = call.future(payloads[i % len(payloads)], timeout=10.0)
        future.add_done_callback(functools.partial(completed, i, time.perf_counter()))

    def completed(i: int, sent: float, future: grpc.Future[Any]) -> None:
        tracker.complete(i, sent, future)
        issue()

    for _ in range(in_flight):
        issue()
    while time.perf_counter() < stop_at + 10.0:
        with tracker.lock:
            if tracker.remaining == cap - issued[0] and time.perf_counter() >= stop_at:
                break
        time.sleep(0.01)
    point.requests, point.errors = issued[0], tracker.errors
    return point.finish(tracker.latencies, start, tracker.last or time.perf_counter())


def stream_run(channel: grpc.Channel, payloads: list[bytes], rate: float | None,
               duration: float, point: Point) -> Point:
    """One ``CheckStream`` for ``duration`` s: events on a schedule (``rate``) or flat out (None).

    Flat out, the latency is mostly time spent queued behind earlier events; the figure
    that matters there is the throughput.
    """
    call = channel.stream_stream(METHOD + "CheckStream", None, None)
    scheduled: list[float] = []
    start = time.perf_counter() + 0.01
    stop_at = start + duration

    def requests() -> Iterator[bytes]:
        i = 0
        while True:
            if rate:
                target = start + i / rate
                if target >= stop_at:
                    return
                delay = target - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            else:
                target = time.perf_counter()
                if target >= stop_at:
                    return
            scheduled.append(target)
            yield payloads[i % len(payloads)]
            i += 1

    latencies: list[float] = []
    errors: dict[str, int] = {}
    try:
        for i, _reply in enumerate(call(requests(), timeout=duration * 3 + 30)):
            latencies.append(time.perf_counter() - scheduled[i])
    except grpc.RpcError as e:
        errors[e.code().name] = 1
    point.requests, point.errors = len(scheduled), errors
    return point.finish(latencies, start, time.perf_counter())


# -- orchestration ---------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``; else None)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_cpu(pid: int, fn: Callable[[], Point]) -> Point:
    """Run one load point and record the server's CPU time per event it answered."""
    before = process_cpu_seconds(pid)
    point = fn()
    after = process_cpu_seconds(pid)
    events = point.ok * point.events_per_request
    if before is not None and after is not None and events:
        point.server_cpu_us_per_event = round((after - before) / events * 1e6, 2)
    return point


def start_process(args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(channel: grpc.Channel, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    status = channel.unary_unary(METHOD + "GetStatus", pb.GetStatusRequest.SerializeToString,
                                 pb.Status.FromString)
    while time.monotonic() < deadline:
        try:
            if status(pb.GetStatusRequest(), timeout=1.0).serving:
                return
        except grpc.RpcError:
            pass
        time.sleep(0.2)
    raise TimeoutError("server did not become ready")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinning(pin: bool) -> tuple[list[str], int | None]:
    """The servers' ``--cpus`` arguments and this process's CPU: the first and the last
    available CPU; with ``pin`` off or one CPU, ``--cpus none`` (servers pin themselves
    by default) and no CPU for this process."""
    cpus = available_cpus()
    if not pin or len(cpus) < 2:
        return ["--cpus", "none"], None
    return ["--cpus", str(cpus[0])], cpus[-1]


def run(args: argparse.Namespace) -> dict[str, Any]:
    texts = load_texts(args.sms_file, 4096, args.seed)
    payloads = make_payloads(make_messages(texts, args.seed, args.pool), args.batch_size)
    ports = {"interceptor": free_port(), "noop": free_port()}
    server_cpus, client_cpu = pinning(args.pin)
    procs = {
        # No text memo: the pool's 4,096 texts replay, so after their first cycle every
        # text would be a memo hit, a repetition real traffic need not have. The corpus's
        # own repetition is measured in-process (bench_decide).
        "interceptor": start_process(["server.py", "--port", str(ports["interceptor"]),
                                      "--text-memo-chars", "0", *server_cpus]),
        "noop": start_process(["bench/noop_server.py", "--port", str(ports["noop"]),
                               *server_cpus]),
    }
    if client_cpu is not None:
        # After starting the servers (children inherit the set), before gRPC starts
        # its threads here.
        pin_process([client_cpu])
    channels = {k: grpc.insecure_channel(f"127.0.0.1:{p}") for k, p in ports.items()}
    points: list[Point] = []
    try:
        for channel in channels.values():
            wait_ready(channel)
        sanity = check_sanity(channels["interceptor"])
        plan = build_plan(args, payloads)
        for name, channel in channels.items():  # warm both (JIT caches, connections)
            closed_loop_unary(channel, "CheckMessage", payloads.unary, 8, 1.0,
                              Point(name, "unary", "closed", 0, 1))
        # Round 0 is every point; later rounds repeat the points the targets read, after
        # the others, so that a few seconds of a slowed machine (a shared host's
        # neighbours) weigh on one round of a target, not on its figure.
        for round_ in range(max(1, args.rounds)):
            for template, fn in plan:
                if round_ and not _is_target_point(template):
                    continue
                for name in ("noop", "interceptor"):  # back to back, baseline first
                    point = Point(**{**asdict(template), "server": name, "errors": {},
                                     "round": round_})
                    points.append(measure_cpu(procs[name].pid,
                                              functools.partial(fn, channels[name], point)))
                    print(_row(points[-1]), file=sys.stderr, flush=True)
    finally:
        for channel in channels.values():
            channel.close()
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=30)
    result = summarise(points, sanity, args)
    result["machine"]["pinned"] = (f"servers on CPU {server_cpus[1]}, client on CPU "
                                   f"{client_cpu}" if client_cpu is not None else "no")
    return result


Runner = Callable[[grpc.Channel, Point], Point]


def build_plan(args: argparse.Namespace, payloads: Payloads) -> list[tuple[Point, Runner]]:
    """Every load point, in order: unary, batch, stream; fixed loads first, then the ceiling."""
    d, b = args.duration, payloads.batch_size
    plan: list[tuple[Point, Runner]] = []

    def unary(method: str, data: list[bytes], rate: float) -> Runner:
        return lambda c, p: open_loop_unary(c, method, data, rate, d, p)

    def closed(method: str, data: list[bytes], in_flight: int) -> Runner:
        return lambda c, p: closed_loop_unary(c, method, data, in_flight, d, p)

    def stream(rate: float | None) -> Runner:
        return lambda c, p: stream_run(c, payloads.stream, rate, d, p)

    for rate in args.unary_rates:
        plan.append((Point("", "unary", "open", rate, 1),
                     unary("CheckMessage", payloads.unary, rate)))
    plan.append((Point("", "unary", "closed", 0, 1),
                 closed("CheckMessage", payloads.unary, args.in_flight)))
    for rate in args.batch_rates:
        plan.append((Point("", "batch", "open", rate, b),
                     unary("CheckBatch", payloads.batch, rate / b)))
    plan.append((Point("", "batch", "closed", 0, b),
                 closed("CheckBatch", payloads.batch, args.batch_in_flight)))
    for rate in args.stream_rates:
        plan.append((Point("", "stream", "open", rate, 1), stream(rate)))
    plan.append((Point("", "stream", "closed", 0, 1), stream(None)))
    return plan


def _is_target_point(p: Point) -> bool:
    """The points ``performance.md``'s targets are read from: unary at 1,000/s, and the
    three ceilings."""
    return p.loop == "closed" or (p.mode == "unary" and p.offered_events_per_s == 1000)


def check_sanity(channel: grpc.Channel) -> dict[str, Any]:
    """A fraud SMS must be BLOCKed over the wire before any figure means anything."""
    check = channel.unary_unary(METHOD + "CheckMessage", pb.MessageEvent.SerializeToString,
                                pb.Decision.FromString)
    reply = check(pb.MessageEvent(message_id="sanity", sender="13912345678",
                                  recipient="13800138000", text=FRAUD_TEMPLATES[0]), timeout=10)
    return {"fraud_sms_action": pb.Action.Name(reply.action),
            "ruleset_version": reply.ruleset_version}


def summarise(points: list[Point], sanity: dict[str, Any], args: argparse.Namespace
              ) -> dict[str, Any]:
    """Targets from the rounds of their points: the median, with every round's figure.
    A ceiling ratio is taken per round (ours / the no-op's, measured back to back), then
    the median of those."""
    def rounds(server: str, mode: str, loop: str, offered: float = 0) -> list[Point]:
        return sorted((p for p in points if p.server == server and p.mode == mode
                       and p.loop == loop and p.offered_events_per_s == offered),
                      key=lambda p: p.round)

    modes = ("unary", "batch", "stream")
    # each ceiling's rounds as (ours, no-op) pairs, measured back to back
    pairs = {m: list(zip(rounds("interceptor", m, "closed"), rounds("noop", m, "closed"),
                         strict=True)) for m in modes}
    per_round = {m: [round(ours.events_per_s / max(noop.events_per_s, 1e-9), 3)
                     for ours, noop in pairs[m]] for m in modes}
    # With an even number of rounds the median is the worse of the middle two, never
    # their mean: rounds of 1.5 and 2.5 ms do not make a p99 of 2.0 that meets <= 2.0.
    ratios = {m: statistics.median_low(r) if r else None for m, r in per_round.items()}
    # The same ceilings read as CPU per event: the no-op's over ours, per round. A server
    # that is CPU-bound on its one core would reach this throughput ratio if the host gave
    # it the core the whole time; it moves far less between runs than the throughputs.
    cpu_per_round = {m: [round(noop.server_cpu_us_per_event / ours.server_cpu_us_per_event, 3)
                         for ours, noop in pairs[m]
                         if ours.server_cpu_us_per_event and noop.server_cpu_us_per_event]
                     for m in modes}
    cpu_us = {m: {side: statistics.median([p.server_cpu_us_per_event
                                           for p in rounds(side, m, "closed")
                                           if p.server_cpu_us_per_event] or [0.0])
                  for side in ("interceptor", "noop")} for m in modes}
    p99s = [p.p99_ms for p in rounds("interceptor", "unary", "open", 1000)]
    p99 = statistics.median_high(p99s) if p99s else None
    noop_p99s = [p.p99_ms for p in rounds("noop", "unary", "open", 1000)]
    noop_p99 = statistics.median_high(noop_p99s) if noop_p99s else None

    def target(measured: float | None, runs: list[float], wanted: str, met: bool,
               figures: dict[str, Any]) -> dict[str, Any]:
        """``figures``: the two sides behind ``measured`` (ours and the no-op's, median of
        rounds, with their unit), for the report's "ours / baseline / ratio" columns."""
        return {"measured": None if measured is None else round(measured, 3), "runs": runs,
                "target": wanted, "met": met, **figures}

    def at_least(measured: float | None, wanted: float) -> bool:
        return measured is not None and measured >= wanted

    def ceilings(mode: str) -> dict[str, Any]:
        ours, noop = ([p.events_per_s for p in rounds(side, mode, "closed")]
                      for side in ("interceptor", "noop"))
        return {"ours": statistics.median(ours) if ours else None,
                "baseline": statistics.median(noop) if noop else None, "unit": "events/s"}

    targets = {
        "unary_p99_ms_at_1000_rps": target(
            p99, p99s, "<= 2.0", p99 is not None and p99 <= 2.0,
            {"ours": p99, "baseline": noop_p99, "unit": "ms"}),
        "unary_throughput_vs_noop": target(ratios["unary"], per_round["unary"], ">= 0.80",
                                           at_least(ratios["unary"], 0.8), ceilings("unary")),
        "batch_throughput_vs_noop": target(ratios["batch"], per_round["batch"], ">= 0.50",
                                           at_least(ratios["batch"], 0.5), ceilings("batch")),
        "stream_throughput_vs_noop": target(ratios["stream"], per_round["stream"], ">= 0.50",
                                            at_least(ratios["stream"], 0.5),
                                            ceilings("stream")),
    }
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "grpcio": grpc.__version__,
                    # Other work on the machine skews every figure: record it.
                    "loadavg_1m_at_end": round(os.getloadavg()[0], 2)},
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "sanity": sanity,
        "points": [asdict(p) for p in points],
        "ratios_vs_noop": ratios,
        "cpu_ratios_vs_noop": {m: {"median": statistics.median_low(r) if r else None,
                                   "runs": r, "server_cpu_us_per_event": cpu_us[m]}
                               for m, r in cpu_per_round.items()},
        "targets": targets,
    }


def _row(p: Point) -> str:
    offered = f"{p.offered_events_per_s:,.0f}/s" if p.loop == "open" else "ceiling"
    errors = ", ".join(f"{k} {v}" for k, v in p.errors.items()) or "-"
    return (f"| {p.mode} | {p.server} | {offered} | {p.round} | {p.events_per_request} | "
            f"{p.events_per_s:,.0f} | {p.p50_ms:.2f} | {p.p99_ms:.2f} | {p.p999_ms:.2f} | "
            f"{p.server_cpu_us_per_event or '-'} | {errors} |")


def _cpu_lines(cpu: dict[str, Any]) -> list[str]:
    """The ceilings as server CPU per event (a table after the targets'), if measured."""
    rows = [f"| {mode} | {c['server_cpu_us_per_event']['interceptor']:.1f} | "
            f"{c['server_cpu_us_per_event']['noop']:.1f} | {c['median']} | "
            f"{', '.join(map(str, c['runs']))} |"
            for mode, c in cpu.items() if c.get("median") is not None]
    if not rows:
        return []
    return ["", "Ceilings as server CPU per event (median of rounds; the ratio is the no-op's "
            "CPU per event over ours, per round):", "",
            "| mode | interceptor µs/event | no-op µs/event | no-op / ours | every round |",
            "|---|---|---|---|---|", *rows]


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| mode | server | offered events | round | events/request | achieved events/s | "
        "p50 ms | p99 ms | p99.9 ms | server CPU µs/event | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(_row(Point(**p)) for p in result["points"]),
        "",
        "| target | measured (median of rounds) | every round | wanted | met |",
        "|---|---|---|---|---|",
        *(f"| {k} | {v['measured']} | {', '.join(map(str, v.get('runs', [])))} | "
          f"{v['target']} | {'yes' if v['met'] else 'NO'} |"
          for k, v in result["targets"].items()),
        *_cpu_lines(result.get("cpu_ratios_vs_noop", {})),
        "",
        f"Sanity: fraud SMS -> {result['sanity']['fraud_sms_action']} "
        f"(ruleset {result['sanity']['ruleset_version']}). Machine: {result['machine']}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per load point")
    parser.add_argument("--unary-rates", type=float, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--batch-rates", type=float, nargs="+", default=[20_000, 50_000])
    parser.add_argument("--stream-rates", type=float, nargs="+", default=[1_000, 2_000])
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the points the targets read (median reported)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--pool", type=int, default=POOL_EVENTS,
                        help="events in the payload pool, each with its own sender")
    parser.add_argument("--in-flight", type=int, default=32, help="closed-loop unary")
    parser.add_argument("--batch-in-flight", type=int, default=4, help="closed-loop batch")
    parser.add_argument("--sms-file", help="label<TAB>text file of real SMS (default synthetic)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True,
                        help="servers on the first CPU, this client on the last (default on "
                        "with 2+ CPUs)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/loadgen.json"))
    args = parser.parse_args(argv)
    result = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md = markdown(result)
    out.with_suffix(".md").write_text(md + "\n", encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
