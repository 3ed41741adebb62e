"""One convention for benchmark results, so ``bench/run.py`` can write RESULTS.md.

A benchmark that checks a target from ``performance.md`` calls :func:`record`;
the row lands in pytest-benchmark's JSON (``extra_info["result"]``) and from there
in the results table, beside the baseline measured in the same run.

>>> row = result_row("keyword stage", 1.2e6, "msg/s", "Hyperscan", 1.0e6, ">= 1.0x", 1.0)
>>> row["ratio"], row["met"]
(1.2, True)
"""

from __future__ import annotations

from typing import Any


def result_row(measure: str, ours: float, unit: str, baseline_name: str, baseline: float | None,
               target: str, min_ratio: float | None = None, met: bool | None = None,
               note: str = "") -> dict[str, Any]:
    """A results-table row. ``met`` defaults to ``ratio >= min_ratio`` when both are known."""
    ratio = ours / baseline if baseline else None
    if met is None and min_ratio is not None and ratio is not None:
        met = ratio >= min_ratio
    return {"measure": measure, "ours": ours, "unit": unit, "baseline_name": baseline_name,
            "baseline": baseline, "ratio": None if ratio is None else round(ratio, 3),
            "target": target, "met": met, "note": note}


def record(benchmark: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Attach a :func:`result_row` to a pytest-benchmark fixture and return it."""
    row = result_row(*args, **kwargs)
    benchmark.extra_info.setdefault("results", []).append(row)
    return row
