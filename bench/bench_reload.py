"""Reload benchmark: push-to-active time and reload peak memory on a real replica.

Starts a real redis-server and real replicas (``python server.py --redis URL``, two
by default), then pushes rulesets the way ``interceptor rules push`` does and measures:

* push: local validate + compile, then publish (upload chunks + atomic activation);
* push-to-active: from the end of publish until *every* replica's ``GetStatus``
  reports the new version (fetch, verify, parse, compile, swap on each replica);
* requests during those reloads: a client in a process of its own calls
  ``CheckCall`` on the replicas in turn at a fixed rate for the whole series of
  pushes, times the calls, and counts those that failed and the *mis-versioned*
  ones: each push adds one number to the deny list, so a decision that names version
  ``vN`` must match the deny rule for exactly the numbers added up to ``vN`` (a
  number not yet pushed, or never pushed, must not match);
* the control for those requests: the same calls, at the same rate, for about as
  long, before the first push (no reload in progress): their failures and latency
  are the baseline the figures during reloads are read against;
* a replica's resident memory: steady (serving the big ruleset) and the peak while
  it reloads a new version of it (sampled every 5 ms from outside with psutil; the
  other replicas are stopped first, so they do not compete for the CPUs).

Run::

    .venv/bin/python bench/bench_reload.py                    # small change + 10 M numbers
    .venv/bin/python bench/bench_reload.py --numbers 1000000  # quicker
    .venv/bin/python bench/bench_reload.py --out bench/results/reload.md  # + reload.json

Targets (design/performance.md): small change active on every replica <= 1 s after
the push; zero failed or mis-versioned requests during reload under load; reload peak
<= 2x steady resident memory.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import psutil  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine import compile_ruleset  # noqa: E402
from proto.interceptor.v1 import interceptor_pb2 as pb  # noqa: E402
from proto.interceptor.v1 import interceptor_pb2_grpc as pb_grpc  # noqa: E402
from rules import DEFAULT_RULESET_DIR, load_ruleset  # noqa: E402
from rules.source import DirectorySource  # noqa: E402
from rules.store import RuleStore  # noqa: E402
from tests.fixtures_grpc import free_port, wait_serving  # noqa: E402
from tests.fixtures_redis import RedisServer  # noqa: E402


def push(store: RuleStore, root: Path) -> tuple[int, float, float]:
    """(version, validate+compile seconds, publish seconds), as ``rules push`` does it."""
    t0 = time.perf_counter()
    ruleset = load_ruleset(root)
    compile_ruleset(ruleset)
    t1 = time.perf_counter()
    info = store.publish(ruleset, DirectorySource(root), allow_shrink=True)
    return info.version, t1 - t0, time.perf_counter() - t1


def wait_active(stub: pb_grpc.InterceptorStub, version: int, timeout: float = 300) -> float:
    start = time.perf_counter()
    while True:
        status = stub.GetStatus(pb.GetStatusRequest(), timeout=5)
        if status.ruleset_version == f"v{version}":
            return time.perf_counter() - start
        if status.last_error and f"version {version} refused" in status.last_error:
            raise RuntimeError(status.last_error)
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"v{version} not active after {timeout}s")
        time.sleep(0.002)


class PeakRss:
    """Samples a process's RSS every 5 ms in a thread; ``peak`` since the last reset."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def reset(self) -> int:
        now = int(self.proc.memory_info().rss)
        self.peak = now
        return now

    def stop(self) -> None:
        self._stop.set()


def big_ruleset(base: Path, root: Path, numbers: int, seed: int) -> Path:
    """A copy of ``base`` whose ``lists/deny_numbers.txt`` holds ``numbers`` mobile numbers."""
    shutil.copytree(base, root)
    rng = np.random.default_rng(seed)
    values = rng.integers(13_000_000_000, 19_999_999_999, size=numbers, dtype=np.int64)
    with (root / "lists" / "deny_numbers.txt").open("w") as f:
        for block in np.array_split(values, max(1, numbers // 1_000_000)):
            f.write("\n".join(map(str, block.tolist())))
            f.write("\n")
    return root


def small_change(root: Path, i: int) -> str:
    """Add one number to the deny list; return it."""
    number = f"1700000{i:04d}"
    with (root / "lists" / "deny_numbers.txt").open("a") as f:
        f.write(number + "\n")
    return number


#: Seconds of the no-reload control load per push: about what one push and the pause
#: after it take, so the control sees as many calls as the reloads do.
CONTROL_SECONDS_PER_PUSH = 0.8
DENY_RULE = "num.deny.reported"  # the bundled ruleset's rule over lists/deny_numbers.txt
NEVER_PUSHED = "17000009999"  # no push adds it (small_change numbers stay below 9999)


class ReloadLoad:
    """Calls ``CheckCall`` on the replicas in turn at ``rate`` per second and checks
    every answer against the version it names. :class:`LoadProcess` runs one in a
    process of its own, so the pusher's compiling in this one delays no call.

    :meth:`introduce` records the version that added a number; the calls then use it as
    the caller (or the never-pushed control number). A decision for version ``vN``
    must match :data:`DENY_RULE` exactly when the number was added in ``vN`` or before:
    anything else is *mis-versioned* (decided by one ruleset, labelled with another).
    """

    def __init__(self, targets: list[str], rate: float) -> None:
        self.targets, self.rate = targets, rate
        self.added: dict[str, int] = {}  # number -> version that added it
        self.requests = 0
        self.failed: dict[str, int] = {}  # status code -> count
        self.mis_versioned: list[str] = []
        self.versions: set[str] = set()
        self.latencies_ms: list[float] = []  # of the answered calls

    def introduce(self, number: str, version: int) -> None:
        self.added[number] = version

    def run(self, introductions: Any, stop: Any, ready: Any) -> None:
        """Call until ``stop`` is set, taking ``(number, version)`` pairs from the
        ``introductions`` queue as they come; set ``ready`` at the first answer."""
        stubs = [pb_grpc.InterceptorStub(grpc.insecure_channel(t)) for t in self.targets]
        rng = random.Random(3)
        interval, due, i = 1.0 / self.rate, time.perf_counter(), 0
        while not stop.is_set():
            while True:
                try:
                    self.introduce(*introductions.get_nowait())
                except queue.Empty:
                    break
            due += interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            numbers = list(self.added)
            if not numbers:
                caller = NEVER_PUSHED
            elif rng.random() < 0.6:  # mostly the newest: the one a reload is adding
                caller = numbers[-1]
            else:
                caller = rng.choice([*numbers, NEVER_PUSHED])
            stub = stubs[i % len(stubs)]
            i += 1
            self.requests += 1
            sent = time.perf_counter()
            try:
                reply = stub.CheckCall(pb.CallEvent(call_id=f"r{i}", caller=caller,
                                                    callee="13900000000"), timeout=5)
                self.latencies_ms.append((time.perf_counter() - sent) * 1000)
                ready.set()
            except grpc.RpcError as e:
                code = e.code().name
                self.failed[code] = self.failed.get(code, 0) + 1
                continue
            self._check(caller, reply)

    def figures(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "requests": self.requests, "failed": sum(self.failed.values()),
            "failed_by_code": self.failed, "mis_versioned": len(self.mis_versioned),
            "mis_versioned_examples": self.mis_versioned[:5],
            "versions_seen": len(self.versions),
            "latency_ms": {q: round(float(np.percentile(lat, v)), 2)
                           for q, v in (("p50", 50), ("p99", 99), ("max", 100))} if lat else {},
        }

    def _check(self, caller: str, reply: pb.Decision) -> None:
        version = reply.ruleset_version
        self.versions.add(version)
        matched = any(m.rule_id == DENY_RULE for m in reply.matches)
        number = version.removeprefix("v")
        if not (version.startswith("v") and number.isdigit()):
            self.mis_versioned.append(f"{caller} under {version!r}: not a pushed version")
            return
        added = self.added.get(caller)
        expected = added is not None and int(number) >= added
        if matched != expected:
            self.mis_versioned.append(f"{caller} under {version}: deny rule "
                                      f"{'matched' if matched else 'did not match'}")


def _load_main(targets: list[str], rate: float, introductions: Any, stop: Any, ready: Any,
               results: Any) -> None:
    load = ReloadLoad(targets, rate)
    load.run(introductions, stop, ready)
    results.put(load.figures())


class LoadProcess:
    """A :class:`ReloadLoad` in a spawned process (a forked one would inherit this
    process's gRPC state): ``introduce`` as pushes happen, ``stop`` for its figures."""

    def __init__(self, targets: list[str], rate: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._introductions, self._results = ctx.Queue(), ctx.Queue()
        self._stop, ready = ctx.Event(), ctx.Event()
        self._process = ctx.Process(target=_load_main, daemon=True, args=(
            targets, rate, self._introductions, self._stop, ready, self._results))
        self._process.start()
        if not ready.wait(120):
            raise TimeoutError("the load process got no answer in 120 s")

    def introduce(self, number: str, version: int) -> None:
        self._introductions.put((number, version))

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        figures: dict[str, Any] = self._results.get(timeout=60)
        self._process.join(30)
        return figures


def start_replica(redis_url: str, log: Any) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "server.py"), "--port", str(port), "--redis", redis_url],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(REPO)})
    return proc, f"127.0.0.1:{port}"


def run(base: Path, numbers: int, repeats: int, replicas: int = 2,
        rate: float = 200.0) -> tuple[list[str], dict[str, Any]]:
    """The markdown rows and the figures (``reload.json``) of one benchmark run."""
    lines = ["| measure | figure |", "|---|---|"]
    figures: dict[str, Any] = {"replicas": replicas, "repeats": repeats, "rate": rate}
    tmp = Path(tempfile.mkdtemp(prefix="bench-reload-"))
    procs: list[subprocess.Popen[bytes]] = []
    log = (tmp / "replicas.log").open("w")
    with RedisServer(persist=False) as redis_srv:
        store = RuleStore.from_url(redis_srv.url)
        small = tmp / "small"
        shutil.copytree(base, small)
        first_version, _, _ = push(store, small)
        try:
            targets = []
            for _ in range(replicas):
                proc, target = start_replica(redis_srv.url, log)
                procs.append(proc)
                targets.append(target)
            for proc, target in zip(procs, targets, strict=True):
                wait_serving(target, timeout=120, proc=proc)
            stubs = [pb_grpc.InterceptorStub(grpc.insecure_channel(t)) for t in targets]
            for stub in stubs:
                wait_active(stub, first_version)
            # The control: the same calls for about as long as the pushes below take,
            # with no reload in progress, so the figures during reloads have a baseline.
            control = LoadProcess(targets, rate)
            time.sleep(CONTROL_SECONDS_PER_PUSH * repeats)
            figures["control"] = control.stop()
            load = LoadProcess(targets, rate)  # returns once it has an answer
            time.sleep(0.5)  # some requests before the first push, too
            timings = []
            try:
                for i in range(repeats):
                    number = small_change(small, i)
                    version, validate, publish = push(store, small)
                    load.introduce(number, version)
                    start = time.perf_counter()
                    # Every replica: the slowest one is the figure (each waits its turn
                    # after the ones before it, so this is the time until all are active).
                    for stub in stubs:
                        wait_active(stub, version)
                    timings.append((validate, publish, time.perf_counter() - start))
                    time.sleep(0.5)  # requests on the new version before the next push
            finally:
                calls = load.stop()
            med = [statistics.median(t[k] for t in timings) for k in range(3)]
            control_figures = figures["control"]
            worst = max(t[0] + t[1] + t[2] for t in timings)
            figures.update(calls,
                           push_to_active_ms=[round((a + b + c) * 1000, 1) for a, b, c in timings],
                           push_to_active_median_ms=round(sum(med) * 1000, 1),
                           pusher_compile_median_ms=round(med[0] * 1000, 1))
            lines += [
                f"| small change ({base.name} ruleset): validate + compile on the pusher | "
                f"{med[0] * 1000:.0f} ms (median of {repeats}) |",
                f"| small change: publish (upload + atomic activate) | {med[1] * 1000:.1f} ms |",
                f"| small change: publish -> active on every replica ({replicas}) | "
                f"{med[2] * 1000:.0f} ms |",
                f"| small change: push command start -> active on every replica | "
                f"{sum(med) * 1000:.0f} ms median, {worst * 1000:.0f} ms worst (target <= "
                f"1000 ms) |",
                f"| requests during the {repeats} reloads ({rate:.0f}/s over {replicas} "
                f"replicas, from another process) | {calls['requests']:,}: {calls['failed']} "
                f"failed, {calls['mis_versioned']} mis-versioned; {calls['versions_seen']} "
                f"versions seen |",
                f"| latency of those requests, p50 / p99 / max | "
                f"{' / '.join(f'{v:.2f}' for v in figures['latency_ms'].values())} ms |",
                f"| control: the same calls with no reload in progress, for "
                f"{CONTROL_SECONDS_PER_PUSH * repeats:.0f} s | {control_figures['requests']:,}: "
                f"{control_figures['failed']} failed; latency p50 / p99 / max "
                f"{' / '.join(f'{v:.2f}' for v in control_figures['latency_ms'].values())} ms |",
            ]
            for extra in procs[1:]:  # the memory figures are one replica's, alone
                extra.terminate()
                extra.wait(30)
            stub = stubs[0]
            rss = PeakRss(procs[0].pid)
            rss_small = rss.reset()
            big = big_ruleset(base, tmp / "big", numbers, seed=1)
            version, validate, publish = push(store, big)
            first = wait_active(stub, version)
            info = store.info(version)
            time.sleep(2.0)
            steady = rss.reset()
            small_change(big, 9998)
            version, validate2, publish2 = push(store, big)
            active = wait_active(stub, version)
            time.sleep(0.5)
            peak = rss.peak
            after = rss.proc.memory_info().rss
            rss.stop()
            mb = 1024 * 1024
            figures.update(numbers=numbers, rss_steady_mib=round(steady / mb),
                           rss_peak_mib=round(peak / mb), peak_ratio=round(peak / steady, 3),
                           big_reload_s=round(active, 2))
            lines += [
                f"| {numbers:,} numbers: bundle in Redis | {info.size / mb:.0f} MiB in "
                f"{info.chunks} chunks |",
                f"| {numbers:,} numbers: validate + compile on the pusher | {validate2:.1f} s |",
                f"| {numbers:,} numbers: publish (upload + atomic activate) | {publish2:.2f} s |",
                f"| {numbers:,} numbers: publish -> active on the replica (first load / reload)"
                f" | {first:.1f} s / {active:.1f} s |",
                f"| replica RSS: {base.name} ruleset / {numbers:,} numbers steady | "
                f"{rss_small / mb:.0f} MiB / {steady / mb:.0f} MiB |",
                f"| replica RSS: reload peak / after reload | {peak / mb:.0f} MiB "
                f"({peak / steady:.2f}x steady; target <= 2x) / {after / mb:.0f} MiB |",
            ]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
                proc.wait(30)
            log.close()
            if any(proc.returncode not in (0, -15) for proc in procs):
                print((tmp / "replicas.log").read_text()[-3000:], file=sys.stderr)
            shutil.rmtree(tmp, ignore_errors=True)
    return lines, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=DEFAULT_RULESET_DIR,
                        help="ruleset to start from (needs lists/deny_numbers.txt); "
                        "default: the bundled one")
    parser.add_argument("--numbers", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--rate", type=float, default=200.0,
                        help="CheckCall requests per second during the small-change reloads")
    parser.add_argument("--out", type=Path, help="also write the markdown table here "
                        "(and the figures beside it, as .json)")
    args = parser.parse_args()
    lines, figures = run(args.base, args.numbers, args.repeats, args.replicas, args.rate)
    text = "\n".join(["## Reload (bench/bench_reload.py)", "", *lines, ""])
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
