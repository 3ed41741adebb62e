"""Run the whole benchmark suite and write ``bench/RESULTS.md`` and ``bench/results/latency.png``.

    .venv/bin/python -m bench.run --data ../shared/data          # real corpora
    .venv/bin/python -m bench.run                                # generated data
    .venv/bin/python -m bench.run --quick                        # smaller sizes, no 10 M

Steps: (1) the pytest-benchmark suites in ``bench/`` (JSON in ``bench/results/pytest.json``),
(2) compile cost and memory at several ruleset sizes, each in a fresh process
(``bench/results/compile.json``), (3) the gRPC load generator against the real server and
a no-op servicer on the same stack (``bench/results/loadgen.json``), (4) push-to-active
and reload memory through a real Redis (``bench/results/reload.md``), then the report.
Every figure is measured in this run on this machine; the load average at the end of
each step is recorded because the machines are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from itertools import product
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results"
COMPILE_SIZES = [  # (numbers, domains, keywords)
    (10_000, 1_000, 1_000),
    (1_000_000, 100_000, 10_000),
    (1_000_000, 100_000, 100_000),
    (10_000_000, 1_000_000, 100_000),
]


def _run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode


def run_pytest_benchmarks(data: str | None) -> None:
    cmd = [sys.executable, "-m", "pytest", "bench", "-p", "no:cacheprovider", "--benchmark-only",
           "-q", f"--benchmark-json={OUT / 'pytest.json'}", "-o", "testpaths=bench",
           "-o", "python_files=bench_*.py",
           "--timeout=1800"]
    if data:
        cmd.append(f"--data={data}")
    _run(cmd)


def run_compile_probes(quick: bool) -> None:
    results = []
    sizes = COMPILE_SIZES[:2] if quick else COMPILE_SIZES
    # Each size twice, each in a fresh process: the engine's compile, then the baseline
    # (Python sets + a pyahocorasick automaton of the same files, compile_probe --baseline).
    for (numbers, domains, keywords), baseline in product(sizes, (False, True)):
        proc = subprocess.run(
            [sys.executable, "-m", "bench.compile_probe", "--numbers", str(numbers),
             "--domains", str(domains), "--keywords", str(keywords),
             *(["--baseline"] if baseline else [])],
            cwd=ROOT, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(proc.stderr[-2000:], file=sys.stderr)
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["loadavg_1m"] = round(os.getloadavg()[0], 2)
        results.append(row)
        print(f"compile {numbers:,} numbers{' (baseline)' if baseline else ''}: "
              f"{row['total_s']:.1f} s, steady {row['rss_steady_mb']:.0f} MB, "
              f"peak {row['peak_rss_mb']:.0f} MB")
    (OUT / "compile.json").write_text(json.dumps(results, indent=2))


def run_loadgen(data: str | None, quick: bool) -> None:
    """Twice: servers pinned to a CPU as a deployment would run them (the target rows),
    then left to the scheduler (rows marked "not pinned"), both servers alike each time."""
    cmd = [sys.executable, "bench/loadgen.py"]
    if quick:
        cmd += ["--duration", "2"]
    sms = Path(data) / "sms-zh" / "spam_messages_lr_train.tsv" if data else None
    if sms and sms.exists():
        cmd += ["--sms-file", str(sms)]
    for name, extra in (("loadgen.json", []), ("loadgen-unpinned.json", ["--no-pin"])):
        (OUT / name).unlink(missing_ok=True)  # a failed run shows no figures, not old ones
        _run([*cmd, *extra, "--out", str(OUT / name)])


def run_reload(quick: bool) -> None:
    for name in ("reload.json", "reload.md"):  # a failed run shows no figures, not old ones
        (OUT / name).unlink(missing_ok=True)
    cmd = [sys.executable, "bench/bench_reload.py", "--out", str(OUT / "reload.md")]
    if quick:
        cmd += ["--numbers", "1000000", "--repeats", "3"]
    _run(cmd)


def _load(name: str) -> Any:
    path = OUT / name
    return json.loads(path.read_text()) if path.exists() else None


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def _met(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "**no**")


def target_rows(pytest_json: Any, loadgen: Any, compiled: Any,
                unpinned: Any = None, reloaded: Any = None) -> list[str]:
    rows = ["| measure | ours | baseline (same run) | baseline figure | ratio | target | met |"
            " note |", "|---|---|---|---|---|---|---|---|"]
    for bench in (pytest_json or {}).get("benchmarks", []):
        for r in bench.get("extra_info", {}).get("results", []):
            rows.append(f"| {r['measure']} | {_fmt(r['ours'], r['unit'])} | "
                        f"{r['baseline_name']} | {_fmt(r['baseline'], r['unit'])} | "
                        f"{_fmt(r['ratio'])} | {r['target']} | {_met(r['met'])} | "
                        f"{r.get('note', '')} |")
    for run, suffix in ((loadgen, ""), (unpinned, ", servers not pinned")):
        pinned = (run or {}).get("machine", {}).get("pinned", "no")
        for name, t in (run or {}).get("targets", {}).items():
            rows.append(grpc_target_row(name + suffix, t, pinned))
        # The ceilings read as server CPU per event: steadier than throughputs on a
        # shared host, shown beside the targets (which stay the throughput ratios).
        for mode, c in (run or {}).get("cpu_ratios_vs_noop", {}).items():
            if c.get("median") is None:
                continue
            cpu, runs = c["server_cpu_us_per_event"], ", ".join(map(str, c["runs"]))
            rows.append(f"| gRPC {mode} ceiling, server CPU per event{suffix} | "
                        f"{cpu['interceptor']:.1f} µs | no-op servicer | {cpu['noop']:.1f} µs | "
                        f"{c['median']} | (no-op / ours) | - | /proc CPU time of each server "
                        f"over its closed-loop rounds; per round {runs} |")
    return rows + compile_target_rows(compiled) + reload_target_rows(reloaded)


def compile_target_rows(compiled: Any) -> list[str]:
    """The 10 M + 1 M + 100 k compile and memory targets, beside the baseline probe's
    figures for the same files (Python sets + a pyahocorasick automaton)."""
    ours = next((c for c in compiled or [] if c["numbers"] >= 10_000_000
                 and not c.get("baseline")), None)
    if ours is None:
        return []
    base = next((c for c in compiled if c["numbers"] == ours["numbers"] and c.get("baseline")),
                None)
    name = "Python sets + pyahocorasick automaton of the same files (home-grown blacklist)"
    if base is None:
        name, base = "-", {}
    secs, mb = base.get("total_s"), base.get("rss_steady_mb")
    grew = (f"; above the imports: ours {ours['rss_steady_mb'] - ours['rss_before_mb']:.0f} MB"
            f", baseline {mb - base['rss_before_mb']:.0f} MB" if mb else "")
    return [
        f"| compile 10 M numbers + 1 M domains + 100 k keywords | {_fmt(ours['total_s'], 's')} "
        f"(parse {ours['parse_s']:.1f} s) | {name} | {_fmt(secs, 's')} | "
        f"{_fmt(ours['total_s'] / secs if secs else None)} | <= 10 s | "
        f"{_met(ours['total_s'] <= 10)} | each in a fresh process; load {ours['loadavg_1m']} |",
        f"| resident memory, same ruleset | {_fmt(ours['rss_steady_mb'], 'MB')} | {name} | "
        f"{_fmt(mb, 'MB')} | {_fmt(ours['rss_steady_mb'] / mb if mb else None)} | <= 1.5 GB | "
        f"{_met(ours['rss_steady_mb'] <= 1536)} | whole process, same imports; peak "
        f"{ours['peak_rss_mb']:.0f} MB during build{grew} |",
    ]


def grpc_target_row(name: str, t: dict[str, Any], pinned: str) -> str:
    """A gRPC target: ours and the no-op servicer's figure (median of rounds) and their
    ratio. A p99 reads ours / the no-op's; a throughput target's ratio is the median of
    the per-round ratios (each round's two servers measured back to back), which is what
    the target is judged on. Figures from before loadgen kept both sides show ``-``."""
    runs = ", ".join(map(str, t.get("runs", [])))
    ours, base, unit = t.get("ours"), t.get("baseline"), t.get("unit", "")
    if unit == "ms":
        label, ratio = name.replace("_", " "), (ours / base if ours and base else None)
        shown = f"{_fmt(ours, unit)}"
    else:
        label, ratio = name.replace("_vs_noop", "").replace("_", " "), t["measured"]
        shown = _fmt(ours, unit) if ours is not None else str(t["measured"])
    return (f"| gRPC {label} | {shown} | no-op servicer, same stack | {_fmt(base, unit)} | "
            f"{_fmt(ratio)} | {t['target']} | {_met(t['met'])} | loadgen, pinned: {pinned}; "
            f"{'ratio ' if unit != 'ms' else ''}median of rounds {runs} |")


def reload_target_rows(r: Any) -> list[str]:
    """The reload targets, from ``bench_reload.py``'s figures (``reload.json``)."""
    if not r:
        return []
    times = r["push_to_active_ms"]
    worst = max(times)
    where = f"{r['replicas']} replicas, through a real Redis"
    fails = ", ".join(f"{code} {n}" for code, n in r["failed_by_code"].items())
    lat = r.get("latency_ms") or {}
    latency = (f"; their latency p50 {lat['p50']:.2f} / p99 {lat['p99']:.2f} / max "
               f"{lat['max']:.2f} ms" if lat else "")
    compile_ms = r.get("pusher_compile_median_ms")
    control = r.get("control") or {}
    c_lat = control.get("latency_ms") or {}
    p99_ratio = lat["p99"] / c_lat["p99"] if lat and c_lat else None
    ratio_note = "; ratio: their p99 over the control's" if p99_ratio else ""
    return [
        f"| reload: small change, push command start -> active on every replica | "
        f"{_fmt(r['push_to_active_median_ms'], 'ms')} median, {_fmt(worst, 'ms')} worst | "
        f"{'validate + compile alone, on the pusher (no distribution)' if compile_ms else '-'}"
        f" | {_fmt(compile_ms, 'ms')} | "
        f"{_fmt(r['push_to_active_median_ms'] / compile_ms if compile_ms else None)} | "
        f"<= 1 s | {_met(worst <= 1000)} | {where}; {r['repeats']} pushes: "
        f"{', '.join(f'{t:.0f}' for t in times)} ms |",
        f"| reload under load: failed / mis-versioned requests | {r['failed']} / "
        f"{r['mis_versioned']} of {r['requests']:,} | "
        f"{'the same calls with no reload in progress' if control else '-'} | "
        + (f"{control['failed']} / {control['mis_versioned']} of {control['requests']:,}, "
           f"p99 {c_lat['p99']:.2f} ms" if control and c_lat else "-")
        + f" | {_fmt(p99_ratio)} | 0 | "
        f"{_met(r['requests'] > 0 and r['failed'] == 0 and r['mis_versioned'] == 0)} | "
        f"CheckCall at {r['rate']:.0f}/s during the {r['repeats']} pushes; "
        f"{r['versions_seen']} versions answered{latency}{'; ' + fails if fails else ''}"
        f"{ratio_note} |",
        f"| reload peak memory, {r['numbers']:,} numbers | {r['rss_peak_mib']} MiB | the same "
        f"replica's steady resident memory | {r['rss_steady_mib']} MiB | "
        f"{r['peak_ratio']:.2f} | <= 2x | {_met(r['peak_ratio'] <= 2)} | one replica, "
        f"reloading a new version of the {r['numbers']:,}-number ruleset |",
    ]


def compile_rows(compiled: Any) -> list[str]:
    """Each size's compile beside the baseline probe's (sets + pyahocorasick, same files)."""
    rows = ["| numbers | domains | keywords | parse s | compile s | total s | steady RSS MB |"
            " peak RSS MB | slowest stage | baseline total s | baseline steady RSS MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    baselines = {(c["numbers"], c["domains"], c["keywords"]): c
                 for c in compiled or [] if c.get("baseline")}
    for c in compiled or []:
        if c.get("baseline"):
            continue
        stage, secs = max(c["stages"].items(), key=lambda kv: kv[1])
        base = baselines.get((c["numbers"], c["domains"], c["keywords"]), {})
        rows.append(f"| {c['numbers']:,} | {c['domains']:,} | {c['keywords']:,} | "
                    f"{c['parse_s']:.2f} | {c['compile_s']:.2f} | {c['total_s']:.2f} | "
                    f"{c['rss_steady_mb']:.0f} | {c['peak_rss_mb']:.0f} | {stage} "
                    f"{secs:.2f} s | "
                    + (f"{base['total_s']:.2f} | {base['rss_steady_mb']:.0f} |" if base
                       else "- | - |"))
    return rows


def stage_rows(pytest_json: Any) -> list[str]:
    """Per-message stage costs the suites report in ``extra_info`` (normalize, extract, calls)."""
    rows = ["| stage | µs per message / event | beside |", "|---|---|---|"]
    for b in (pytest_json or {}).get("benchmarks", []):
        info = b.get("extra_info", {})
        if "stage" in info and "us_per_msg" in info:
            rows.append(f"| {info['stage']} | {info['us_per_msg']:.2f} | pyahocorasick scan "
                        f"{info.get('keyword_scan_us_per_msg', 0):.2f} µs/msg |")
        elif "call_rules_us_per_event" in info:
            rows.append(f"| call rules ({info['mode']}) | {info['call_rules_us_per_event']:.2f} "
                        f"| whole decision {info['us_per_event_with_call_rules']:.2f} µs with, "
                        f"{info['us_per_event_without']:.2f} µs without |")
        elif "stage_us_per_event" in info:
            stages = info["stage_us_per_event"]
            total = sum(stages.values())
            for stage, us in stages.items():
                rows.append(f"| batch decision ({info['corpus']}): {stage} | {us:.2f} | "
                            f"{us / total:.0%} of the {total:.2f} µs an event the stages "
                            "add up to |")
        elif "table_mib" in info:
            rows.append(f"| velocity, {info['callers']:,} distinct callers | "
                        f"{info['ns_per_event'] / 1000:.2f} | table {info['table_mib']:.0f} MiB"
                        f" fixed; Python dict of counters {info['dict_rss_mib']:.0f} MiB |")
    return rows


def median_rows(pytest_json: Any) -> list[str]:
    rows = ["| benchmark | median | mean | rounds |", "|---|---|---|---|"]
    for b in (pytest_json or {}).get("benchmarks", []):
        s = b["stats"]
        rows.append(f"| {b['fullname'].removeprefix('bench/')} | {s['median'] * 1e3:.3f} ms | "
                    f"{s['mean'] * 1e3:.3f} ms | {s['rounds']} |")
    return rows


def plot_latency(loadgen: Any) -> bool:
    if not loadgen:
        return False
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    points = [p for p in loadgen["points"] if p["loop"] == "open" and not p.get("round")]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    for ax, mode in zip(axes, ("unary", "batch", "stream"), strict=True):
        for server, style in (("interceptor", "-o"), ("noop", "--s")):
            pts = sorted((p for p in points if p["mode"] == mode and p["server"] == server),
                         key=lambda p: p["offered_events_per_s"])
            if not pts:
                continue
            x = [p["offered_events_per_s"] for p in pts]
            for key, alpha in (("p50_ms", 1.0), ("p99_ms", 0.7), ("p999_ms", 0.4)):
                ax.plot(x, [p[key] for p in pts], style, alpha=alpha,
                        label=f"{server} {key.removesuffix('_ms')}")
        ax.set_title(f"gRPC {mode}")
        ax.set_xlabel("offered events/s")
        ax.set_ylabel("latency ms")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"interceptor vs no-op servicer, same stack ({loadgen['when']})")
    fig.tight_layout()
    fig.savefig(OUT / "latency.png", dpi=110)
    return True


def write_report(data: str | None, kept: Sequence[str] = ()) -> Path:
    """``kept``: the parts not run this time, whose figures are the previous run's."""
    pytest_json, loadgen, compiled = _load("pytest.json"), _load("loadgen.json"), _load(
        "compile.json")
    unpinned, reloaded = _load("loadgen-unpinned.json"), _load("reload.json")
    machine = (pytest_json or {}).get("machine_info", {})
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench.run` on {time.strftime('%Y-%m-%d %H:%M %Z')}; data: "
        f"{'real corpora from ' + data if data else 'generated'}; machine: "
        f"{machine.get('cpu', {}).get('brand_raw', '?')}, {os.cpu_count()} cores, "
        f"load average at the end {os.getloadavg()[0]:.1f}. Baselines were measured in the "
        "same run on the same data. Targets from `performance.md`; **no** marks a target "
        "not met." + (f" Not re-measured this time ({', '.join(kept)}): those figures are "
                      "the previous run's, from bench/results." if kept else ""),
        "",
        "## Targets",
        "",
        *target_rows(pytest_json, loadgen, compiled, unpinned, reloaded),
        "",
        "## Compile cost and memory (each size in a fresh process)",
        "",
        *compile_rows(compiled),
        "",
    ]
    if loadgen:
        from bench.loadgen import markdown

        lines += ["## gRPC load generator", "", markdown(loadgen), ""]
        if plot_latency(loadgen):
            lines += ["![latency](results/latency.png)", ""]
        if unpinned:
            lines += ["## gRPC load generator, servers not pinned", "", markdown(unpinned), ""]
    reload_md = OUT / "reload.md"
    if reload_md.exists():
        body = [ln for ln in reload_md.read_text(encoding="utf-8").strip().splitlines()
                if not ln.startswith("#")]  # its own heading would repeat ours
        lines += ["## Reload through Redis (push-to-active, memory)", "", *body, ""]
    lines += ["## Stage costs", "", *stage_rows(pytest_json), ""]
    lines += ["## All pytest-benchmark timings", "", *median_rows(pytest_json), ""]
    path = ROOT / "bench" / "RESULTS.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory of the real corpora (e.g. ../shared/data)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter loads")
    parser.add_argument("--only-report", action="store_true",
                        help="rewrite RESULTS.md from the JSON already in bench/results")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["pytest", "compile", "loadgen", "reload"])
    args = parser.parse_args()
    data = str(Path(args.data).resolve()) if args.data else None
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.only_report:
        if "pytest" not in args.skip:
            run_pytest_benchmarks(data)
        if "compile" not in args.skip:
            run_compile_probes(args.quick)
        if "loadgen" not in args.skip:
            run_loadgen(data, args.quick)
        if "reload" not in args.skip:
            run_reload(args.quick)
    kept = ["pytest", "compile", "loadgen", "reload"] if args.only_report else args.skip
    print(f"wrote {write_report(data, kept)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
