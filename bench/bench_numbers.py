"""Number lookups: Python ``set`` against :class:`engine.numindex.NumberIndex`.

At 10^4, 10^6 and 10^7 entries: batch lookups/s (random queries, half hits),
bytes per entry and build time; ``extra_info`` carries the ratio to the set
measured in the same run.

    .venv/bin/pytest bench/bench_numbers.py -p no:cacheprovider --benchmark-only
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from bench import data
from bench.results import record
from engine import numindex
from engine.numindex import NumberIndex

SIZES = [10**4, 10**6, 10**7]
QUERIES = 2_000_000


def _queries(keys: npt.NDArray[np.int64], n: int, seed: int = 5) -> npt.NDArray[np.int64]:
    """``n`` queries, half drawn from ``keys`` and half (almost surely) absent."""
    rng = np.random.default_rng(seed)
    hits = keys[rng.integers(0, keys.size, size=n // 2)]
    misses = 8613000000000 + rng.integers(0, 7 * 10**11, size=n - n // 2)
    q = np.concatenate([hits, misses])
    rng.shuffle(q)
    return q


def _set_bytes(s: set[int]) -> int:
    """The set's table plus its int objects (what a Python set of numbers really costs)."""
    return sys.getsizeof(s) + sum(sys.getsizeof(x) for x in s)


def _time(fn: Callable[[], object], rounds: int = 5) -> float:
    fn()
    ts = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n:.0e}")
def number_set(request: pytest.FixtureRequest) -> tuple[int, npt.NDArray[np.int64]]:
    n = int(request.param)
    return n, data.load_numbers(n)


def test_python_set(benchmark: Any, number_set: tuple[int, npt.NDArray[np.int64]]) -> None:
    n, keys = number_set
    t = time.perf_counter()
    s = set(keys.tolist())
    build_s = time.perf_counter() - t
    qlist = _queries(keys, QUERIES).tolist()

    def run() -> int:
        return sum(1 for q in qlist if q in s)

    hits = benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    benchmark.extra_info.update(
        impl="python-set", entries=n, queries=QUERIES, hits=hits, source=data.source(),
        lookups_per_s=QUERIES / benchmark.stats.stats.median, build_seconds=build_s,
        bytes_per_entry=_set_bytes(s) / n)


@pytest.mark.parametrize("threads", ["auto", "serial"])
def test_number_index(benchmark: Any, number_set: tuple[int, npt.NDArray[np.int64]],
                      threads: str) -> None:
    n, keys = number_set
    numindex.warm()
    values = np.arange(n, dtype=np.int32)
    t = time.perf_counter()
    idx = NumberIndex.build(keys, values)
    build_s = time.perf_counter() - t
    q = _queries(keys, QUERIES)
    lookup = idx.lookup if threads == "auto" else idx.lookup_serial
    # Exactness on this data before timing anything.
    got = lookup(q)
    pos = np.searchsorted(np.sort(keys), q)
    present = np.sort(keys)[np.minimum(pos, n - 1)] == q
    assert np.array_equal(got >= 0, present)
    assert np.array_equal(keys[got[present]], q[present])

    hits = int((got >= 0).sum())
    benchmark.pedantic(lookup, args=(q,), rounds=7, warmup_rounds=1)
    own = benchmark.stats.stats.median
    # Baseline measured in this run on the same queries (a smaller sample: it is slow).
    s = set(keys.tolist())
    sample = q[:200_000].tolist()
    set_rate = len(sample) / _time(lambda: sum(1 for x in sample if x in s), rounds=3)
    benchmark.extra_info.update(
        impl=f"numindex-{threads}", entries=n, queries=QUERIES, hits=hits,
        source=data.source(), lookups_per_s=QUERIES / own, build_seconds=build_s,
        bytes_per_entry=idx.nbytes / n, set_lookups_per_s=set_rate,
        set_bytes_per_entry=_set_bytes(s) / n, ratio_vs_set=(QUERIES / own) / set_rate)
    rate = QUERIES / own
    per_entry = idx.nbytes / n
    record(benchmark, f"number lookups, {n:,} list ({threads})", rate, "lookups/s",
           "Python set", set_rate, ">= 20 M lookups/s, <= 16 B/entry",
           met=(rate >= 20e6 and per_entry <= 16) if n >= 10**7 else None,
           note=f"{per_entry:.2f} B/entry (set {_set_bytes(s) / n:.0f}); build {build_s:.2f} s")


def test_longest_prefix(benchmark: Any) -> None:
    """Prefix rules: 100 k prefixes of mixed lengths, 2 M queries."""
    rng = np.random.default_rng(9)
    base = data.generated_numbers(100_000, seed=9)
    prefixes = np.unique(base // 10 ** rng.integers(2, 8, size=base.size))
    idx = NumberIndex.build(prefixes, np.arange(prefixes.size, dtype=np.int32))
    q = _queries(data.generated_numbers(1_000_000, seed=10), QUERIES)
    benchmark.pedantic(lambda: idx.lookup_longest_prefix(q), rounds=5, warmup_rounds=1)
    benchmark.extra_info.update(
        impl="numindex-longest-prefix", entries=int(prefixes.size), queries=QUERIES,
        lookups_per_s=QUERIES / benchmark.stats.stats.median)
