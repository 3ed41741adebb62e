"""Cost of the call rules per event, and velocity memory for 10 M distinct callers.

* ``test_decide_calls_*``: a mixed call stream (spoofs, foreign callers, a SIM
  box, ordinary callers) decided by the bundled ruleset with and without its
  call rules, single and in batches of 1,024; the difference is what the call
  rules cost per event (``extra_info``).
* ``test_velocity_10m_callers``: 10 M distinct callers (plus a SIM box) through
  the velocity table with its default geometry; resident memory and table size
  stay fixed. Baseline in the same run: a Python ``dict`` of per-caller
  counters over the same stream (count only, no window, no distinct callees --
  already far bigger).

    .venv/bin/pytest bench/bench_calls.py -p no:cacheprovider --benchmark-only -s
"""

from __future__ import annotations

import dataclasses
import random
import time
from typing import Any

import numpy as np
import pytest

import engine.calls
import engine.velocity
import rules.calls  # noqa: F401  (registers the call rule kinds)
from engine import CallEndedEvent, CallEvent, Event, Ingress, compile_ruleset, decide, decide_batch
from engine.snapshot import Snapshot
from engine.velocity import ColumnSpec, VelocityConfig, VelocityState
from engine.velocity_kernels import T_CALLS, T_DISTINCT, T_ENDED, T_SHORT
from rules import DEFAULT_RULESET_DIR, load_ruleset

CALL_KINDS = set(engine.calls.CALL_KINDS) | {"velocity"}
N_EVENTS = 20_000
BATCH = 1024


def _stream(n: int, seed: int = 5) -> list[Event]:
    r = random.Random(seed)
    now = time.time_ns() // 1_000_000 - 20 * 60_000
    out: list[Event] = []
    for i in range(n):
        t = now + i * 20
        pick = r.random()
        if pick < 0.05:
            ev: Event = CallEvent(f"c{i}", "95588", f"138{i:08d}", Ingress.INTERNATIONAL,
                                  timestamp_ms=t)
        elif pick < 0.15:
            ev = CallEvent(f"c{i}", f"+4420{r.randrange(10**8):08d}", f"138{i:08d}",
                           Ingress.INTERNATIONAL, caller_country="GB", timestamp_ms=t)
        elif pick < 0.25:
            ev = CallEvent(f"c{i}", "13912345678", f"137{i:08d}", Ingress.DOMESTIC,
                           timestamp_ms=t)
        elif pick < 0.40:
            ev = CallEndedEvent(f"c{i}", f"139{r.randrange(10**6):08d}", "13800138000",
                                r.randrange(1, 600_000), timestamp_ms=t)
        else:
            ev = CallEvent(f"c{i}", f"13{r.randrange(10**9):09d}", f"138{r.randrange(10**8):08d}",
                           Ingress.DOMESTIC, timestamp_ms=t)
        out.append(ev)
    return out


@pytest.fixture(scope="module")
def snaps() -> dict[str, Snapshot]:
    full = load_ruleset(DEFAULT_RULESET_DIR)
    without = dataclasses.replace(full, rules=tuple(r for r in full.rules
                                                    if r.meta.kind not in CALL_KINDS))
    return {"with": compile_ruleset(full), "without": compile_ruleset(without)}


@pytest.fixture(scope="module")
def stream() -> list[Event]:
    return _stream(N_EVENTS)


def _per_event(fn: Any, n: int) -> float:
    fn()
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) / n


@pytest.mark.parametrize("mode", ["single", "batch"])
def test_decide_calls(benchmark: Any, snaps: dict[str, Snapshot], stream: list[Event],
                      mode: str) -> None:
    state = VelocityState.create_local(VelocityConfig(slots=1 << 16))

    def run(snap: Snapshot, runtime: object) -> Any:
        if mode == "single":
            return lambda: [decide(snap, e, runtime=runtime) for e in stream]
        return lambda: [decide_batch(snap, stream[i:i + BATCH], runtime)
                        for i in range(0, len(stream), BATCH)]

    base = _per_event(run(snaps["without"], None), len(stream))
    benchmark.pedantic(run(snaps["with"], state), rounds=3, iterations=1)
    with_rules = benchmark.stats.stats.median / len(stream)
    benchmark.extra_info.update(
        mode=mode, us_per_event_with_call_rules=round(with_rules * 1e6, 2),
        us_per_event_without=round(base * 1e6, 2),
        call_rules_us_per_event=round((with_rules - base) * 1e6, 2),
        ratio=round(with_rules / base, 2))
    print(f"\n{mode}: {with_rules * 1e6:.2f} µs/event with call rules, "
          f"{base * 1e6:.2f} without -> call rules cost {(with_rules - base) * 1e6:.2f} µs/event")
    state.close()


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_velocity_10m_callers(benchmark: Any) -> None:
    n_callers, chunk = 10_000_000, 250_000
    cols = (ColumnSpec(T_CALLS, 60_000), ColumnSpec(T_DISTINCT, 300_000),
            ColumnSpec(T_ENDED, 600_000), ColumnSpec(T_SHORT, 600_000, 30_000))
    engine.velocity.warm()
    rss0 = _rss_mib()
    state = VelocityState.create_local()
    t0 = time.time_ns() // 1_000_000 - 3_600_000
    rng = np.random.default_rng(1)
    simbox = 8613912345678

    def run() -> float:
        elapsed = 0.0
        for start in range(0, n_callers, chunk):
            keys = 8613000000000 + np.arange(start, start + chunk, dtype=np.int64)
            keys[::1000] = simbox  # a SIM box among them, 0.1 % of the traffic
            callees = 8613800000000 + rng.integers(0, 10**8, chunk)
            times = t0 + np.arange(start, start + chunk, dtype=np.int64) * 60 // 1000
            kinds = np.zeros(chunk, np.int64)
            t = time.perf_counter()
            out = state.record_and_query(cols, keys, kinds, callees, times, True)
            elapsed += time.perf_counter() - t
        assert out[-1000, 1] > 30  # the SIM box is still tracked and over threshold
        return elapsed

    elapsed = benchmark.pedantic(run, rounds=1, iterations=1)
    rss_table = _rss_mib() - rss0
    occupancy = state.occupancy()

    # baseline: a dict of counters over the same callers (count only)
    rss1 = _rss_mib()
    t = time.perf_counter()
    counts: dict[int, int] = {}
    for start in range(0, n_callers, chunk):
        for k in range(8613000000000 + start, 8613000000000 + start + chunk):
            counts[k] = counts.get(k, 0) + 1
    dict_s = time.perf_counter() - t
    rss_dict = _rss_mib() - rss1
    benchmark.extra_info.update(
        callers=n_callers, table_mib=round(state.nbytes / 2**20, 1),
        table_rss_mib=round(rss_table, 1), slots_used=occupancy,
        ns_per_event=round(elapsed / n_callers * 1e9, 1),
        dict_rss_mib=round(rss_dict, 1), dict_ns_per_event=round(dict_s / n_callers * 1e9, 1))
    print(f"\nvelocity table: {state.nbytes / 2**20:.0f} MiB fixed ({rss_table:.0f} MiB RSS), "
          f"{occupancy} slots in use after {n_callers:,} distinct callers, "
          f"{elapsed / n_callers * 1e9:.0f} ns/event (4 columns, batches of {chunk:,})\n"
          f"dict of counters baseline: {rss_dict:.0f} MiB RSS, "
          f"{dict_s / n_callers * 1e9:.0f} ns/event (count only, no window)")
    del counts
    state.close()
