"""Measure one ruleset compile in a fresh process: parse and compile seconds, memory.

Run by ``bench/bench_compile.py`` (one subprocess per size, so the memory figures
are this process's alone)::

    python -m bench.compile_probe --numbers 10000000 --domains 1000000 --keywords 100000

Prints one JSON object: parse_s, compile_s, stage seconds, rss_before_mb,
rss_steady_mb (after compile, garbage collected), peak_rss_mb (the high-water
mark, which includes transient parse buffers), counts.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import resource
import time
from pathlib import Path

import psutil

from engine import compile_ruleset
from rules import load_ruleset
from tests.rulesets import generate_large_ruleset

CACHE = Path(__file__).resolve().parent / ".data"


def ruleset_dir(numbers: int, domains: int, keywords: int) -> Path:
    """Generate the ruleset once and keep it under bench/.data (not committed)."""
    root = CACHE / f"rs-{numbers}-{domains}-{keywords}"
    if not (root / "ruleset.toml").exists():
        # In a child process: what the generator leaves allocated would count in this
        # probe's RSS (a first run on a fresh clone once read 689 MB steady for the 10 M
        # ruleset, 499 MB once the files existed).
        child = multiprocessing.Process(target=generate_large_ruleset,
                                        args=(root, numbers, domains, keywords))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"generating {root} failed (exit code {child.exitcode})")
    return root


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, required=True)
    parser.add_argument("--domains", type=int, default=0)
    parser.add_argument("--keywords", type=int, default=0)
    args = parser.parse_args()
    root = ruleset_dir(args.numbers, max(args.domains, 1), max(args.keywords, 1))
    proc = psutil.Process()
    gc.collect()
    rss_before = proc.memory_info().rss
    t0 = time.perf_counter()
    ruleset = load_ruleset(root)
    t1 = time.perf_counter()
    snapshot = compile_ruleset(ruleset)
    t2 = time.perf_counter()
    counts = ruleset.counts()
    del ruleset
    gc.collect()
    print(json.dumps({
        "numbers": args.numbers, "domains": args.domains, "keywords": args.keywords,
        "parse_s": t1 - t0, "compile_s": t2 - t1, "total_s": t2 - t0,
        "stages": dict(snapshot.stage_times),
        "rss_before_mb": rss_before / 2**20,
        "rss_steady_mb": proc.memory_info().rss / 2**20,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "counts": counts,
    }))


if __name__ == "__main__":
    main()
