"""A carrier-sized ruleset compiles: 1 M numbers + 100 k domains + 10 k keywords.

Timing and memory figures for this size (and 10 M) are measured in
``bench/bench_compile.py``; this test checks that it works and decides correctly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Action, CallEvent, MessageEvent, compile_ruleset, decide_batch
from rules import load_ruleset
from tests.rulesets import generate_large_ruleset


@pytest.mark.slow
def test_one_million_numbers_compile_and_decide(tmp_path: Path) -> None:
    numbers, domains, keywords = generate_large_ruleset(tmp_path, 1_000_000, 100_000, 10_000)
    ruleset = load_ruleset(tmp_path)
    counts = ruleset.counts()
    assert counts["numbers"] == len(numbers)
    assert counts["domains"] == len(domains) and counts["keywords"] == len(keywords)
    snap = compile_ruleset(ruleset)
    listed = [CallEvent(f"c{i}", str(n), "13800138000") for i, n in enumerate(numbers[:200])]
    unlisted = [CallEvent("u", "19912345678", "13800138000")]
    texts = [MessageEvent("k", "13912345678", "13800138000", f"你好{keywords[5]}再见"),
             MessageEvent("d", "13912345678", "13800138000", f"请访问 https://www.{domains[9]}/a")]
    decisions = decide_batch(snap, [*listed, *unlisted, *texts])
    assert all(d.action is Action.BLOCK for d in decisions[:200])
    assert decisions[200].action is Action.PASS
    assert decisions[201].score == 50
    assert decisions[202].action is Action.BLOCK
