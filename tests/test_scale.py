"""A carrier-sized ruleset compiles: 1 M numbers + 100 k domains + 10 k keywords.

Timing and memory figures for this size (and 10 M) are measured in
``bench/bench_compile.py``; this test checks that it works and decides correctly.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from engine import Action, CallEvent, MessageEvent, compile_ruleset, decide_batch
from rules import load_ruleset
from tests.rulesets import number_list_rule, write_ruleset

CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def generate_large_ruleset(root: Path, n_numbers: int, n_domains: int, n_keywords: int,
                           seed: int = 7) -> tuple[np.ndarray, list[str], list[str]]:
    """Write a ruleset of that size; return the numbers, domains and keywords used."""
    rng = np.random.default_rng(seed)
    numbers = np.unique(13_000_000_000 + rng.integers(0, 6_000_000_000, n_numbers))
    r = random.Random(seed)
    domains = sorted({f"{''.join(r.choices('abcdefghijklmnopqrstuvwxyz0123456789', k=10))}"
                      f".{r.choice(['com', 'top', 'xyz', 'cn', 'vip'])}" for _ in range(n_domains)})
    keywords = sorted({"".join(r.choices(CJK, k=r.randint(2, 5))) for _ in range(n_keywords)})
    rules = (number_list_rule("num.deny.big", "block", "numbers.txt")
             + '[[rule]]\nid = "dom.deny.big"\nkind = "domain_list"\naction = "block"\n'
               'file = "domains.txt"\n\n'
             + '[[rule]]\nid = "kw.big"\nkind = "keyword_list"\naction = "score"\nscore = 50\n'
               'file = "keywords.txt"\n')
    write_ruleset(root, rules)
    np.savetxt(root / "numbers.txt", numbers, fmt="%d")
    (root / "domains.txt").write_text("\n".join(domains) + "\n")
    (root / "keywords.txt").write_text("\n".join(keywords) + "\n", encoding="utf-8")
    return numbers, domains, keywords


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
