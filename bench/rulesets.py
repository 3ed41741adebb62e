"""The benchmark ruleset: the bundled default plus large real (or generated) lists."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench import data
from rules import DEFAULT_RULESET_DIR
from rules.phone import country_code_of

EXTRA_RULES = """
[[rule]]
id = "bench.kw.lexicon"
kind = "keyword_list"
action = "score"
score = 10
file = "lists/bench_keywords.txt"
category = "lexicon"

[[rule]]
id = "bench.dom.phishing"
kind = "domain_list"
action = "block"
file = "lists/bench_domains.txt"
category = "phishing"

[[rule]]
id = "bench.num.deny"
kind = "number_list"
action = "block"
file = "lists/bench_numbers.txt"
applies_to = ["caller", "sender", "text"]
category = "reported_fraud"
"""


def build_bench_ruleset(root: Path, keywords: int | None = 50_000, domains: int = 200_000,
                        numbers: int = 1_000_000) -> Path:
    """Copy the default ruleset to ``root`` and add big keyword, domain and number lists."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(DEFAULT_RULESET_DIR, root)
    (root / "keywords" / "bench.toml").write_text(EXTRA_RULES, encoding="utf-8")
    lists = root / "lists"
    (lists / "bench_keywords.txt").write_text("\n".join(data.load_keywords(keywords)) + "\n",
                                             encoding="utf-8")
    (lists / "bench_domains.txt").write_text("\n".join(data.load_domains(domains)) + "\n")
    # Generated keys may start with digits that are no country code: the parser would
    # rightly refuse those, so only numbers with a real country code are listed.
    listed = (str(n) for n in data.load_numbers(numbers))
    (lists / "bench_numbers.txt").write_text(
        "\n".join(f"+{n}" for n in listed if country_code_of(n)) + "\n")
    return root
