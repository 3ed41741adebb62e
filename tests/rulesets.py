"""Build small rulesets in a temporary directory for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

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
