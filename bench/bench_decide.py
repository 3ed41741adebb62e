"""Whole in-process decisions: single-event latency and batch throughput.

Targets (performance.md): full decision (normalize + keywords + URLs + numbers +
scoring) in batch >= 300 k SMS/s per core; a single decision p99 <= 50 µs. The
ruleset is the bundled default plus 50 k keywords, 200 k phishing domains and 1 M
numbers (real lists with ``--data``). Decisions run exactly as the server runs them:
with a velocity table (mapped up front, as ``interceptor serve`` maps it) and the
garbage-collector settings of ``interceptor serve`` (``engine.gc_tuning``); senders
vary from message to message, as on a real gateway.

Three corpora, each its own rows: the masked one (real Chinese SMS whose digits are
masked as ``x``: almost nothing to extract), the unmasked one (real SMS with their
URLs and phone numbers, so about half of them go through extraction) and the masked
one written in traditional characters (OpenCC's ``s2t``: a Hong Kong or Taiwan
carrier's traffic). Baseline in the
same run: the pyahocorasick keyword scan alone on the same messages (the cost
everything else is added to).

    .venv/bin/pytest bench/bench_decide.py --benchmark-only --data ../shared/data
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import ahocorasick
import numpy as np
import numpy.typing as npt
import pytest

from bench import data
from bench.results import record
from bench.rulesets import build_bench_ruleset
from engine import Ingress, MessageEvent, compile_ruleset, decide, decide_batch
from engine.compile import clear_memo_caches
from engine.gc_tuning import tune_gc_for_serving
from engine.snapshot import Snapshot
from engine.velocity import VelocityState
from rules import load_ruleset

BATCH = 1024
N_MESSAGES = 20_000
# corpus name -> (loader, suffix of the measure names in RESULTS.md)
CORPORA: dict[str, tuple[Callable[[int], list[str]], str]] = {
    "masked": (data.load_sms_zh, ""),
    "unmasked": (data.load_sms_zh_unmasked, ", unmasked SMS (URLs, numbers)"),
    "traditional": (data.load_sms_zh_traditional,
                    ", traditional SMS (masked corpus through OpenCC s2t)"),
}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    root = build_bench_ruleset(tmp_path_factory.mktemp("bench") / "rules")
    snapshot = compile_ruleset(load_ruleset(root))
    tune_gc_for_serving()  # the GC settings `interceptor serve` runs with
    return snapshot


@pytest.fixture(scope="module")
def runtime() -> Iterator[VelocityState]:
    state = VelocityState.create_local(populate=True)  # what `interceptor serve` makes
    yield state
    state.close()


@pytest.fixture(scope="module", params=sorted(CORPORA))
def corpus(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def messages(corpus: str) -> list[MessageEvent]:
    texts = CORPORA[corpus][0](N_MESSAGES)
    rng = random.Random(7)
    return [MessageEvent(f"m{i}", f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                         "13800138000", t, Ingress.DOMESTIC) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def aho_scan(messages: list[MessageEvent]) -> Callable[[], float]:
    """One pass of pyahocorasick on str over the same keywords and messages: msg/s (the
    baseline). A callable, so the tests measure it right after their own rounds: this
    machine's speed moves by tens of percent from one minute to the next."""
    automaton = ahocorasick.Automaton()
    for i, word in enumerate(data.load_keywords(50_000)):
        automaton.add_word(word.lower(), i)
    automaton.make_automaton()
    texts = [m.text for m in messages]

    def scan() -> float:
        start = time.perf_counter()
        for text in texts:
            for _ in automaton.iter(text):
                pass
        return len(texts) / (time.perf_counter() - start)

    return scan


def test_decide_batch_throughput(benchmark: pytest.FixtureRequest, snapshot: Snapshot,
                                 runtime: VelocityState, corpus: str,
                                 messages: list[MessageEvent],
                                 aho_scan: Callable[[], float]) -> None:
    batches = [messages[i:i + BATCH] for i in range(0, len(messages), BATCH)]

    def run() -> int:
        return sum(len(decide_batch(snapshot, b, runtime)) for b in batches)

    # The rounds below repeat the same messages, so the memo caches (numbers seen
    # before, the phones of a digit run) end up holding all of them; a first pass with
    # empty caches shows the cost when only the corpus's own repetition helps. The
    # memo of prepared texts is emptied before every round: a round gains from the
    # texts the corpus itself repeats, never from the round before it.
    clear_memo_caches(snapshot)
    start = time.perf_counter()
    first = run() / (time.perf_counter() - start)
    memo = snapshot.text_memo
    hit_rate = memo.hits / max(1, memo.hits + memo.misses)
    decided = benchmark.pedantic(run, setup=memo.clear, rounds=3, iterations=1,
                                 warmup_rounds=1)
    rate = decided / benchmark.stats.stats.median
    general = general_path_rate(run, memo.clear)
    # The baseline right after the rounds (median of three passes), not between them: a
    # pass through the 50 k-word automaton evicts the caches the next round would use.
    aho_rate = float(np.median([aho_scan() for _ in range(3)]))
    benchmark.extra_info["first_pass_per_s"] = first
    benchmark.extra_info["general_path_per_s"] = general
    record(benchmark, f"full decision, batch of 1024 (per core){CORPORA[corpus][1]}", rate,
           "SMS/s", "pyahocorasick keyword scan alone (str)", aho_rate, ">= 300 k SMS/s",
           met=rate >= 300_000,
           note=f"first pass, memo caches empty: {first:,.0f} SMS/s; the same batches "
                f"without the SMS lane (engine/smslane.py), right after: {general:,.0f} "
                f"SMS/s; repeated texts (text memo hits) {hit_rate:.0%}; source "
                f"{data.source()}")


def general_path_rate(run: Callable[[], int], clear: Callable[[], object]) -> float:
    """The same rounds through decide_batch's general path (the SMS lane off): SMS/s,
    the median of three, each with the text memo emptied first."""
    decide_module = sys.modules["engine.decide"]  # engine.decide is also the function
    saved = decide_module.LANE_MIN_EVENTS
    decide_module.LANE_MIN_EVENTS = 1 << 62
    try:
        rates = []
        for _ in range(3):
            clear()
            start = time.perf_counter()
            decided = run()
            rates.append(decided / (time.perf_counter() - start))
    finally:
        decide_module.LANE_MIN_EVENTS = saved
    return float(np.median(rates))


def test_decide_batch_stages(benchmark: pytest.FixtureRequest, snapshot: Snapshot,
                             runtime: VelocityState, corpus: str,
                             messages: list[MessageEvent]) -> None:
    """Where a batch decision's time goes: each stage's µs per event (the median of three
    passes, the text memo emptied before each, as in the throughput rows)."""
    batches = [messages[i:i + BATCH] for i in range(0, len(messages), BATCH)]
    passes: list[dict[str, float]] = []

    def run() -> None:
        seconds: dict[str, float] = {}
        for b in batches:
            decide_batch(snapshot, b, runtime, stage_seconds=seconds)
        passes.append(seconds)

    benchmark.pedantic(run, setup=snapshot.text_memo.clear, rounds=3, iterations=1,
                       warmup_rounds=1)
    measured = passes[-3:]
    benchmark.extra_info["corpus"] = corpus
    benchmark.extra_info["stage_us_per_event"] = {
        stage: float(np.median([p[stage] for p in measured])) / len(messages) * 1e6
        for stage in measured[0]}


def time_decisions(snapshot: Snapshot, runtime: VelocityState, sample: list[MessageEvent],
                   before_each: Callable[[], object] | None = None) -> npt.NDArray[np.float64]:
    """Each of ``sample`` decided alone, in order: µs per decision. ``before_each`` runs
    before each decision, outside its timing."""
    timings = np.empty(len(sample))
    for i, m in enumerate(sample):
        if before_each is not None:
            before_each()
        t0 = time.perf_counter_ns()
        decide(snapshot, m, runtime)
        timings[i] = time.perf_counter_ns() - t0
    return timings / 1000


def test_decide_single_latency(benchmark: pytest.FixtureRequest, snapshot: Snapshot,
                               runtime: VelocityState, corpus: str,
                               messages: list[MessageEvent],
                               aho_scan: Callable[[], float]) -> None:
    sample, warm_up = messages[:5000], messages[5000:5200]
    for m in warm_up:
        decide(snapshot, m, runtime)

    # Every memo cache empty (prepared texts, number keys, the phones of a digit run,
    # host rules): the pass gains from the corpus's own repeats, not from the batch
    # tests before it, which decided these very messages. The second pass, every cache
    # holding the sample, is the figure for traffic the process has seen before.
    clear_memo_caches(snapshot)
    timings = time_decisions(snapshot, runtime, sample)
    hit_rate = snapshot.text_memo.hits / len(sample)
    snapshot.text_memo.clear()
    warm = float(np.percentile(time_decisions(snapshot, runtime, sample), 99))
    p50, p99 = (float(np.percentile(timings, q)) for q in (50, 99))
    loop = time_fixed_loop(p50, len(sample))  # right after, under the same interruptions
    loop_p50, loop_p99 = (float(np.percentile(loop, q)) for q in (50, 99))
    aho_rate = aho_scan()  # right after the timed loop, for the reason given above
    fastest, over_first, over_later = fastest_of_passes(snapshot, runtime, sample, timings)
    benchmark.pedantic(decide, args=(snapshot, sample[0], runtime), rounds=200, iterations=1)
    record(benchmark, f"single decision p99{CORPORA[corpus][1]}", p99, "µs",
           "pyahocorasick scan alone, mean", 1e6 / aho_rate, "<= 50 µs", met=p99 <= 50,
           note=f"p50 {p50:.1f} µs; memo caches empty at the start; repeated texts (text "
                f"memo hits) {hit_rate:.0%}; p99 {warm:.1f} µs with the number and "
                f"extraction caches holding the sample; a fixed loop of the same median "
                f"had p99 {loop_p99:.1f} µs; source {data.source()}")
    record(benchmark, f"single decision p99 against a fixed loop{CORPORA[corpus][1]}", p99,
           "µs", "p99 of a fixed-work Python loop of the decisions' median", loop_p99,
           "- (no target: what the machine adds to any p99 of this size)",
           note=f"{len(sample)} runs of the loop right after the decisions: p50 "
                f"{loop_p50:.1f} µs, p99 {loop_p99:.1f} µs, "
                f"{np.mean(loop > loop_p50 + 25):.1%} of them over p50 + 25 µs")
    fastest_p99 = float(np.percentile(fastest, 99))
    record(benchmark, f"single decision p99, each event's fastest of {PASSES} passes"
                      f"{CORPORA[corpus][1]}", fastest_p99, "µs",
           "the same decisions' p99 in one pass", p99,
           "- (no target: the decisions' own tail, the machine's interruptions left out)",
           note=f"{PASSES} passes over the {len(sample)} decisions, memo caches emptied "
                f"before each; decisions over their event's fastest by more than 25 µs: "
                f"{over_first:.1%} of the first pass, {over_later:.1%} of the later ones")
    benchmark.extra_info.update(p50_us=p50, p99_us=p99, p99_warm_caches_us=warm,
                                fixed_loop_p50_us=loop_p50, fixed_loop_p99_us=loop_p99,
                                fastest_of_passes_p99_us=fastest_p99)


PASSES = 5  # of the single decisions, for each event's fastest


def fastest_of_passes(snapshot: Snapshot, runtime: VelocityState, sample: list[MessageEvent],
                      first: npt.NDArray[np.float64]
                      ) -> tuple[npt.NDArray[np.float64], float, float]:
    """Each event's fastest time over ``first`` and ``PASSES - 1`` more passes like it
    (memo caches emptied before each), and the share of the first pass's and of the
    later passes' decisions that ran over their event's fastest by more than 25 µs.

    Which events are slowest changes from pass to pass (of the 50 slowest of one pass,
    ~11 were among the next pass's): most of one pass's tail is interruptions that hit
    whatever decision was running (``bench/README.md``). The fastest of several passes
    leaves those out and keeps what the decisions themselves cost. The later passes find
    the senders in the velocity table already, which the first did not."""
    passes = [first]
    for _ in range(PASSES - 1):
        clear_memo_caches(snapshot)
        passes.append(time_decisions(snapshot, runtime, sample))
    fastest = np.min(np.vstack(passes), axis=0)
    over = [float(np.mean(p > fastest + 25)) for p in passes]
    return fastest, over[0], float(np.mean(over[1:]))


def _fixed_work(iterations: int) -> int:
    total = 0
    for i in range(iterations):
        total += i * i
    return total


def time_fixed_loop(median_us: float, runs: int) -> npt.NDArray[np.float64]:
    """µs of each of ``runs`` runs of a fixed pure-Python loop sized to take ``median_us``.

    Its work never varies, so its spread is the machine's: on the shared development
    machine 0.5-1.5% of runs of a ~45 µs loop took 30-50 µs longer (other guests, host
    interrupts), which alone lifts a p99 of decisions well over their median. The single
    decision rows show this loop's p99 beside theirs."""
    iterations = 2000
    for _ in range(3):  # size it, then correct it twice (the first runs are slower)
        samples = []
        for _ in range(50):
            t0 = time.perf_counter_ns()
            _fixed_work(iterations)
            samples.append(time.perf_counter_ns() - t0)
        iterations = max(1, round(iterations * median_us * 1000 / float(np.median(samples))))
    timings = np.empty(runs)
    for i in range(runs):
        t0 = time.perf_counter_ns()
        _fixed_work(iterations)
        timings[i] = time.perf_counter_ns() - t0
    return timings / 1000


EVICT_BYTES = 64 << 20  # twice this machine's 32 MB L3: every cache line and TLB entry goes


def test_decide_single_cold_caches(benchmark: pytest.FixtureRequest, snapshot: Snapshot,
                                   runtime: VelocityState, corpus: str,
                                   messages: list[MessageEvent]) -> None:
    """A single decision whose caches other work has evicted, against the same decisions
    back to back. In the gRPC server, the stack's work between two decisions evicts much
    of what a decision touches (interpreter paths, numba dispatch, tables), and a decision
    there costs several times its figure in a tight loop: this row shows that factor, so
    that work on the footprint of a decision has a figure to move."""
    sample = messages[:1000]
    evict = np.ones(EVICT_BYTES // 8)
    forget = snapshot.text_memo.clear  # each text prepared again, as on first sight

    def forget_and_evict() -> None:
        forget()
        evict.sum()

    time_decisions(snapshot, runtime, sample, forget)  # every table paged in
    warm = time_decisions(snapshot, runtime, sample, forget)
    cold = time_decisions(snapshot, runtime, sample, forget_and_evict)
    benchmark.pedantic(decide, args=(snapshot, sample[0], runtime), rounds=50, iterations=1)
    record(benchmark, f"single decision mean, caches evicted before each{CORPORA[corpus][1]}",
           float(cold.mean()), "µs", "the same decisions back to back, mean",
           float(warm.mean()), "- (no target: shows the cold-cache factor)",
           note=f"a pass over {EVICT_BYTES >> 20} MB before each decision; cold p50 "
                f"{np.percentile(cold, 50):.1f} / p99 {np.percentile(cold, 99):.1f} µs, warm p50 "
                f"{np.percentile(warm, 50):.1f} / p99 {np.percentile(warm, 99):.1f} µs; "
                f"{len(sample)} decisions, text memo emptied before each")
    benchmark.extra_info.update(cold_mean_us=float(cold.mean()), warm_mean_us=float(warm.mean()))


def test_compile_bench_ruleset(benchmark: pytest.FixtureRequest, tmp_path: Path) -> None:
    root = build_bench_ruleset(tmp_path / "rules")
    snap = benchmark.pedantic(lambda: compile_ruleset(load_ruleset(root)), rounds=1,
                              iterations=1)
    benchmark.extra_info["stages"] = dict(snap.stage_times)
    benchmark.extra_info["counts"] = dict(snap.counts)
