"""Measure one ruleset compile in a fresh process: parse and compile seconds, memory.

Run by ``bench/bench_compile.py`` (one subprocess per size, so the memory figures
are this process's alone)::

    python -m bench.compile_probe --numbers 10000000 --domains 1000000 --keywords 100000
    python -m bench.compile_probe --numbers 10000000 --domains 1000000 --keywords 100000 --baseline

Prints one JSON object: parse_s, compile_s, stage seconds, rss_before_mb,
rss_steady_mb (after compile, garbage collected), peak_rss_mb (the high-water
mark, which includes transient parse buffers), counts.

``--baseline`` loads the same list files the way a home-grown blacklist service would:
a Python ``set`` of the numbers (as ints), a ``set`` of the domains and a pyahocorasick
automaton of the keywords, with no validation, canonical forms, prefixes or ranges. Same
JSON keys (its ``parse_s`` is reading the files, its ``compile_s`` building the sets and
the automaton), measured the same way, in its own fresh process.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import resource
import time
from pathlib import Path

import ahocorasick
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


def baseline_build(root: Path) -> tuple[float, float, dict[str, int]]:
    """Read and build the home-grown baseline from ``root``'s list files: seconds reading,
    seconds building, and the sizes built (the structures stay alive until the caller's
    memory reading: they are kept in a module global)."""
    t0 = time.perf_counter()
    numbers = (root / "numbers.txt").read_text().split()
    domains = (root / "domains.txt").read_text().split()
    keywords = (root / "keywords.txt").read_text(encoding="utf-8").split()
    t1 = time.perf_counter()
    number_set = set(map(int, numbers))
    domain_set = set(domains)
    automaton = ahocorasick.Automaton()
    for i, word in enumerate(keywords):
        automaton.add_word(word, i)
    automaton.make_automaton()
    t2 = time.perf_counter()
    _KEPT[:] = [number_set, domain_set, automaton]
    return t1 - t0, t2 - t1, {"numbers": len(number_set), "domains": len(domain_set),
                              "keywords": len(automaton)}


_KEPT: list[object] = []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, required=True)
    parser.add_argument("--domains", type=int, default=0)
    parser.add_argument("--keywords", type=int, default=0)
    parser.add_argument("--baseline", action="store_true",
                        help="Python sets + a pyahocorasick automaton of the same files")
    args = parser.parse_args()
    root = ruleset_dir(args.numbers, max(args.domains, 1), max(args.keywords, 1))
    proc = psutil.Process()
    if args.baseline:
        gc.collect()
        rss_before = proc.memory_info().rss
        read_s, build_s, sizes = baseline_build(root)
        gc.collect()
        print(json.dumps({
            "numbers": args.numbers, "domains": args.domains, "keywords": args.keywords,
            "baseline": True, "parse_s": read_s, "compile_s": build_s,
            "total_s": read_s + build_s, "stages": {"read files": read_s, "build": build_s},
            "rss_before_mb": rss_before / 2**20,
            "rss_steady_mb": proc.memory_info().rss / 2**20,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "counts": sizes,
        }))
        return
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
