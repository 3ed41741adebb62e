"""Whole in-process decisions: single-event latency and batch throughput.

Targets (performance.md): full decision (normalize + keywords + URLs + numbers +
scoring) in batch >= 300 k SMS/s per core; a single decision p99 <= 50 µs. The
ruleset is the bundled default plus 50 k keywords, 200 k phishing domains and 1 M
numbers (real lists with ``--data``); the messages are real Chinese SMS when
available. Baseline in the same run: the pyahocorasick keyword scan alone on the
same messages (the cost everything else is added to). The process runs with the
garbage-collector settings of ``interceptor serve`` (``engine.gc_tuning``).

    .venv/bin/pytest bench/bench_decide.py --benchmark-only --data ../shared/data
"""

from __future__ import annotations

import time
from pathlib import Path

import ahocorasick
import numpy as np
import pytest

from bench import data
from bench.results import record
from bench.rulesets import build_bench_ruleset
from engine import Ingress, MessageEvent, compile_ruleset, decide, decide_batch
from engine.gc_tuning import tune_gc_for_serving
from engine.snapshot import Snapshot
from rules import load_ruleset

BATCH = 1024
N_MESSAGES = 20_000


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    root = build_bench_ruleset(tmp_path_factory.mktemp("bench") / "rules")
    snapshot = compile_ruleset(load_ruleset(root))
    tune_gc_for_serving()  # the GC settings `interceptor serve` runs with
    return snapshot


@pytest.fixture(scope="module")
def messages() -> list[MessageEvent]:
    texts = data.load_sms_zh(N_MESSAGES)
    return [MessageEvent(f"m{i}", "13912345678", "13800138000", t, Ingress.DOMESTIC)
            for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def aho_rate(messages: list[MessageEvent]) -> float:
    """pyahocorasick on str over the same keywords and messages: msg/s (baseline)."""
    automaton = ahocorasick.Automaton()
    for i, word in enumerate(data.load_keywords(50_000)):
        automaton.add_word(word.lower(), i)
    automaton.make_automaton()
    texts = [m.text for m in messages]
    start = time.perf_counter()
    for text in texts:
        for _ in automaton.iter(text):
            pass
    return len(texts) / (time.perf_counter() - start)


def test_decide_batch_throughput(benchmark: pytest.FixtureRequest, snapshot: Snapshot,
                                 messages: list[MessageEvent], aho_rate: float) -> None:
    batches = [messages[i:i + BATCH] for i in range(0, len(messages), BATCH)]

    def run() -> int:
        return sum(len(decide_batch(snapshot, b)) for b in batches)

    decided = benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    rate = decided / benchmark.stats.stats.median
    record(benchmark, "full decision, batch of 1024 (per core)", rate, "SMS/s",
           "pyahocorasick keyword scan alone (str)", aho_rate, ">= 300 k SMS/s",
           met=rate >= 300_000, note=f"source {data.source()}")


def test_decide_single_latency(benchmark: pytest.FixtureRequest, snapshot: Snapshot,
                               messages: list[MessageEvent], aho_rate: float) -> None:
    sample = messages[:5000]
    for m in sample[:200]:
        decide(snapshot, m)
    timings = np.empty(len(sample))
    for i, m in enumerate(sample):
        t0 = time.perf_counter_ns()
        decide(snapshot, m)
        timings[i] = time.perf_counter_ns() - t0
    p50, p99 = (float(np.percentile(timings, q)) / 1000 for q in (50, 99))
    benchmark.pedantic(decide, args=(snapshot, sample[0]), rounds=200, iterations=1)
    record(benchmark, "single decision p99", p99, "µs", "pyahocorasick scan alone, mean",
           1e6 / aho_rate, "<= 50 µs", met=p99 <= 50,
           note=f"p50 {p50:.1f} µs; source {data.source()}")
    benchmark.extra_info.update(p50_us=p50, p99_us=p99)


def test_compile_bench_ruleset(benchmark: pytest.FixtureRequest, tmp_path: Path) -> None:
    root = build_bench_ruleset(tmp_path / "rules")
    snap = benchmark.pedantic(lambda: compile_ruleset(load_ruleset(root)), rounds=1,
                              iterations=1)
    benchmark.extra_info["stages"] = dict(snap.stage_times)
    benchmark.extra_info["counts"] = dict(snap.counts)
