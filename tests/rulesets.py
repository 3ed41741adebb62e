"""Build small rulesets in a temporary directory for tests."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import numpy as np
import numpy.typing as npt

BASE_MANIFEST = """\
[ruleset]
name = "test"
include = ["rules/*.toml"]

[thresholds]
flag = 40
block = 100
"""


def write_ruleset(root: Path, rules_toml: str = "", files: dict[str, str] | None = None,
                  manifest: str = BASE_MANIFEST) -> Path:
    """Write ``ruleset.toml`` + ``rules/main.toml`` + extra files under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "ruleset.toml").write_text(textwrap.dedent(manifest), encoding="utf-8")
    (root / "rules").mkdir(exist_ok=True)
    (root / "rules" / "main.toml").write_text(textwrap.dedent(rules_toml), encoding="utf-8")
    for rel, text in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def number_list_rule(rule_id: str, action: str, file: str, applies_to: str = '"caller", "sender"',
                     score: int | None = None, shadow: bool = False) -> str:
    score_line = f"score = {score}\n" if score is not None else ""
    return (f'[[rule]]\nid = "{rule_id}"\nkind = "number_list"\naction = "{action}"\n'
            f'{score_line}file = "{file}"\napplies_to = [{applies_to}]\n'
            f'category = "test"\nshadow = {"true" if shadow else "false"}\n\n')


CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def generate_large_ruleset(root: Path, n_numbers: int, n_domains: int, n_keywords: int,
                           seed: int = 7) -> tuple[npt.NDArray[np.int64], list[str], list[str]]:
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
