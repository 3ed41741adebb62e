"""Reload benchmark: push-to-active time and reload peak memory on a real replica.

Starts a real redis-server and a real replica (``python server.py --redis URL``),
then pushes rulesets the way ``interceptor rules push`` does and measures:

* push: local validate + compile, then publish (upload chunks + atomic activation);
* push-to-active: from the end of publish until the replica's ``GetStatus`` reports
  the new version (fetch, verify, parse, compile, swap on the replica);
* the replica's resident memory: steady (serving the big ruleset) and the peak while
  it reloads a new version of it (sampled every 5 ms from outside with psutil).

Run::

    .venv/bin/python bench/bench_reload.py                    # small change + 10 M numbers
    .venv/bin/python bench/bench_reload.py --numbers 1000000  # quicker
    .venv/bin/python bench/bench_reload.py --out bench/results/reload.md

Targets (design/performance.md): small change active on every replica <= 1 s after
the push; reload peak <= 2x steady resident memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

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


def small_change(root: Path, i: int) -> None:
    with (root / "lists" / "deny_numbers.txt").open("a") as f:
        f.write(f"1700000{i:04d}\n")


def run(base: Path, numbers: int, repeats: int) -> list[str]:
    lines = ["| measure | figure |", "|---|---|"]
    tmp = Path(tempfile.mkdtemp(prefix="bench-reload-"))
    with RedisServer(persist=False) as redis_srv:
        store = RuleStore.from_url(redis_srv.url)
        small = tmp / "small"
        shutil.copytree(base, small)
        push(store, small)
        port = free_port()
        log = (tmp / "replica.log").open("w")
        replica = subprocess.Popen(
            [sys.executable, str(REPO / "server.py"), "--port", str(port), "--redis",
             redis_srv.url], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            wait_serving(f"127.0.0.1:{port}", timeout=120, proc=replica)
            stub = pb_grpc.InterceptorStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
            timings = []
            for i in range(repeats):
                small_change(small, i)
                version, validate, publish = push(store, small)
                timings.append((validate, publish, wait_active(stub, version)))
            med = [statistics.median(t[k] for t in timings) for k in range(3)]
            lines += [
                f"| small change ({base.name} ruleset): validate + compile on the pusher | "
                f"{med[0] * 1000:.0f} ms (median of {repeats}) |",
                f"| small change: publish (upload + atomic activate) | {med[1] * 1000:.1f} ms |",
                f"| small change: publish -> active on the replica | {med[2] * 1000:.0f} ms |",
                f"| small change: push command start -> active | "
                f"{(med[0] + med[1] + med[2]) * 1000:.0f} ms (target <= 1000 ms) |",
            ]
            rss = PeakRss(replica.pid)
            rss_small = rss.reset()
            big = big_ruleset(base, tmp / "big", numbers, seed=1)
            version, validate, publish = push(store, big)
            first = wait_active(stub, version)
            info = store.info(version)
            time.sleep(2.0)
            steady = rss.reset()
            small_change(big, 9999)
            version, validate2, publish2 = push(store, big)
            active = wait_active(stub, version)
            time.sleep(0.5)
            peak = rss.peak
            after = rss.proc.memory_info().rss
            rss.stop()
            mb = 1024 * 1024
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
            replica.terminate()
            replica.wait(30)
            log.close()
            if replica.returncode not in (0, -15):
                print((tmp / "replica.log").read_text()[-3000:], file=sys.stderr)
            shutil.rmtree(tmp, ignore_errors=True)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=DEFAULT_RULESET_DIR,
                        help="ruleset to start from (needs lists/deny_numbers.txt); "
                        "default: the bundled one")
    parser.add_argument("--numbers", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the markdown table here")
    args = parser.parse_args()
    lines = run(args.base, args.numbers, args.repeats)
    text = "\n".join(["## Reload (bench/bench_reload.py)", "", *lines, ""])
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
