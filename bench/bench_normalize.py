"""Normalization and extraction cost per message, beside a keyword scan of the same SMS.

Every benchmark runs over the same messages (real Chinese SMS with ``--data``,
generated ones otherwise) and records µs/msg, msg/s and the ratio of its time to
a pyahocorasick scan of the same messages with the same keywords, measured in
the same run (``extra_info``). Each normalization step is also timed alone
(all other steps off), so a ruleset owner can see what each switch costs.

    .venv/bin/pytest bench/bench_normalize.py -p no:cacheprovider --benchmark-only \
        --data /work/shared/data

The extractor's realism check on the real corpus is ``bench/realism_extract.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import ahocorasick
import pytest

from bench import data
from bench.data import Corpus
from engine.extract import extract
from engine.extract_gate import may_extract_batch
from engine.normalize import Normalizer, NormalizeSettings
from engine.textbatch import BatchNormalizer

STEPS = NormalizeSettings.STEP_NAMES
ALL_OFF = dict.fromkeys(STEPS, False)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return data.corpus()


def _median_seconds(fn: Callable[[], object], rounds: int = 3) -> float:
    fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _keyword_automaton(corpus: Corpus) -> ahocorasick.Automaton:
    """pyahocorasick over the corpus keywords, normalized the way the engine does."""
    norm = Normalizer(NormalizeSettings())
    automaton = ahocorasick.Automaton()
    for i, term in enumerate({norm.normalize_keyword(t) for t in corpus.terms} - {""}):
        automaton.add_word(term, i)
    automaton.make_automaton()
    return automaton


@pytest.fixture(scope="module")
def scan_seconds(corpus: Corpus) -> float:
    """Baseline: a pyahocorasick scan of every message for every keyword."""
    automaton = _keyword_automaton(corpus)
    msgs = corpus.msgs
    return _median_seconds(lambda: sum(1 for m in msgs for _ in automaton.iter(m)))


def _record(benchmark: Any, corpus: Corpus, scan: float, name: str) -> None:
    own = benchmark.stats.stats.median
    n = len(corpus.msgs)
    benchmark.extra_info.update(
        stage=name,
        source=corpus.source,
        messages=n,
        avg_chars=sum(map(len, corpus.msgs)) / n,
        us_per_msg=own / n * 1e6,
        msgs_per_s=n / own,
        keyword_scan_us_per_msg=scan / n * 1e6,
        keyword_scan_msgs_per_s=n / scan,
        ratio_to_keyword_scan=own / scan,
    )


def _run_over(msgs: list[str], fn: Callable[[str], object]) -> Callable[[], int]:
    def run() -> int:
        for m in msgs:
            fn(m)
        return len(msgs)

    return run


def test_keyword_scan_baseline(benchmark: Any, corpus: Corpus, scan_seconds: float) -> None:
    automaton = _keyword_automaton(corpus)
    msgs = corpus.msgs
    benchmark.pedantic(lambda: sum(1 for m in msgs for _ in automaton.iter(m)), rounds=3,
                       warmup_rounds=1)  # fmt: skip
    _record(benchmark, corpus, scan_seconds, f"pyahocorasick scan, {len(corpus.terms)} keywords")


def test_normalize_all_steps(benchmark: Any, corpus: Corpus, scan_seconds: float) -> None:
    norm = Normalizer(NormalizeSettings())
    benchmark.pedantic(_run_over(corpus.msgs, norm.normalize), rounds=3, warmup_rounds=1)
    _record(benchmark, corpus, scan_seconds, "normalize (all steps)")


def test_normalize_no_steps(benchmark: Any, corpus: Corpus, scan_seconds: float) -> None:
    norm = Normalizer(NormalizeSettings(**ALL_OFF))
    benchmark.pedantic(_run_over(corpus.msgs, norm.normalize), rounds=3, warmup_rounds=1)
    _record(benchmark, corpus, scan_seconds, "normalize (every step off: call overhead)")


@pytest.mark.parametrize("step", STEPS)
def test_normalize_one_step(benchmark: Any, corpus: Corpus, scan_seconds: float,
                            step: str) -> None:  # fmt: skip
    norm = Normalizer(NormalizeSettings(**{**ALL_OFF, step: True}))
    benchmark.pedantic(_run_over(corpus.msgs, norm.normalize), rounds=3, warmup_rounds=1)
    _record(benchmark, corpus, scan_seconds, f"normalize ({step} only)")


def test_extract(benchmark: Any, corpus: Corpus, scan_seconds: float) -> None:
    benchmark.pedantic(_run_over(corpus.msgs, extract), rounds=3, warmup_rounds=1)
    _record(benchmark, corpus, scan_seconds, "extract")


def test_normalize_and_extract(benchmark: Any, corpus: Corpus, scan_seconds: float) -> None:
    norm = Normalizer(NormalizeSettings())

    def both(m: str) -> None:
        norm.normalize(m)
        extract(m)

    benchmark.pedantic(_run_over(corpus.msgs, both), rounds=3, warmup_rounds=1)
    _record(benchmark, corpus, scan_seconds, "normalize + extract")


BATCH = 1024


def _batches(msgs: list[str]) -> list[list[str]]:
    return [msgs[i:i + BATCH] for i in range(0, len(msgs), BATCH)]


def test_batch_normalize(benchmark: Any, corpus: Corpus, scan_seconds: float) -> None:
    """What decide_batch runs: one numba fold per batch, the exact path where needed."""
    batch = BatchNormalizer(Normalizer(NormalizeSettings()))
    batches = _batches(corpus.msgs)
    benchmark.pedantic(lambda: [batch.normalize_many(b) for b in batches], rounds=3,
                       warmup_rounds=1)
    _record(benchmark, corpus, scan_seconds, "batch normalize (numba fold + exact path)")


def test_gated_extract(benchmark: Any, corpus: Corpus, scan_seconds: float) -> None:
    """What decide_batch runs: the numba gate per batch, extract only where it says yes."""
    batches = _batches(corpus.msgs)

    def run() -> None:
        for b in batches:
            for text, maybe in zip(b, may_extract_batch(b).tolist(), strict=True):
                if maybe:
                    extract(text)

    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    _record(benchmark, corpus, scan_seconds, "extraction gate + extract where it passes")
