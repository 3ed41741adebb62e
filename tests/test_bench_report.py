"""RESULTS.md's targets table: every target shows our figure, the baseline measured in the
same run and their ratio (issue 7's "done when"), read from the suites' JSON."""

from __future__ import annotations

import argparse

from bench.loadgen import Point, summarise
from bench.run import compile_rows, compile_target_rows, grpc_target_row, reload_target_rows


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip("|").split("|")]


def _point(server: str, mode: str, loop: str, round_: int, per_s: float, p99: float = 1.0,
           offered: float = 0) -> Point:
    return Point(server, mode, loop, offered, 1, round=round_, ok=100, events_per_s=per_s,
                 p99_ms=p99)


def test_grpc_targets_carry_both_sides_and_the_rows_show_them() -> None:
    points = []
    for r, (ours, noop) in enumerate([(3000, 4000), (2000, 4000), (3600, 4000)]):
        points += [_point("interceptor", "unary", "closed", r, ours),
                   _point("noop", "unary", "closed", r, noop),
                   _point("interceptor", "unary", "open", r, 1000, p99=1.5 + r, offered=1000),
                   _point("noop", "unary", "open", r, 1000, p99=1.0, offered=1000)]
    result = summarise(points, {"fraud_sms_action": "ACTION_BLOCK", "ruleset_version": "v"},
                       argparse.Namespace(duration=1.0))
    throughput = result["targets"]["unary_throughput_vs_noop"]
    assert (throughput["ours"], throughput["baseline"]) == (3000, 4000)  # medians of rounds
    assert throughput["measured"] == 0.75  # the per-round ratios' median: 0.75, 0.5, 0.9
    p99 = result["targets"]["unary_p99_ms_at_1000_rps"]
    assert (p99["ours"], p99["baseline"], p99["unit"]) == (2.5, 1.0, "ms")

    cells = _cells(grpc_target_row("unary_throughput_vs_noop", throughput, "yes"))
    assert cells[:6] == ["gRPC unary throughput", "3,000 events/s", "no-op servicer, same stack",
                         "4,000 events/s", "0.75", ">= 0.80"]
    assert cells[6] == "**no**"
    cells = _cells(grpc_target_row("unary_p99_ms_at_1000_rps", p99, "yes"))
    assert cells[1:5] == ["2.5 ms", "no-op servicer, same stack", "1 ms", "2.5"]


def test_a_grpc_target_from_before_both_sides_were_kept_shows_no_made_up_baseline() -> None:
    old = {"measured": 0.9, "runs": [0.9], "target": ">= 0.80", "met": True}
    cells = _cells(grpc_target_row("stream_throughput_vs_noop", old, "no"))
    assert cells[1] == "0.9" and cells[3] == "-" and cells[4] == "0.9"


def _compiled(baseline: bool, total: float, rss: float) -> dict[str, object]:
    return {"numbers": 10_000_000, "domains": 1_000_000, "keywords": 100_000,
            "baseline": baseline, "parse_s": 1.0, "compile_s": total - 1.0, "total_s": total,
            "stages": {"x": total - 1.0}, "rss_before_mb": 100.0, "rss_steady_mb": rss,
            "peak_rss_mb": rss + 50, "loadavg_1m": 1.0}


def test_compile_targets_read_against_the_baseline_probe() -> None:
    compiled = [_compiled(False, 5.0, 500.0), _compiled(True, 10.0, 1000.0)]
    secs, memory = (_cells(r) for r in compile_target_rows(compiled))
    assert secs[1].startswith("5 s") and secs[3:7] == ["10.0 s", "0.5", "<= 10 s", "yes"]
    assert memory[1:2] + memory[3:7] == ["500.0 MB", "1,000 MB", "0.5", "<= 1.5 GB", "yes"]
    assert "ours 400 MB, baseline 900 MB" in memory[7]
    # the per-size table keeps the baseline beside the engine's row, not as a row of its own
    sizes = compile_rows(compiled)
    assert len(sizes) == 3 and _cells(sizes[2])[-2:] == ["10.00", "1000"]
    # without a baseline run the row says so rather than inventing one
    assert _cells(compile_target_rows(compiled[:1])[0])[2:5] == ["-", "-", "-"]


def test_reload_targets_read_against_the_pusher_compile_the_control_and_steady_memory() -> None:
    figures = {
        "replicas": 2, "repeats": 3, "rate": 200.0, "requests": 600, "failed": 0,
        "failed_by_code": {}, "mis_versioned": 0, "versions_seen": 4,
        "latency_ms": {"p50": 1.0, "p99": 12.0, "max": 30.0},
        "control": {"requests": 480, "failed": 0, "mis_versioned": 0,
                    "latency_ms": {"p50": 1.0, "p99": 2.0, "max": 4.0}},
        "push_to_active_ms": [300.0, 400.0, 350.0], "push_to_active_median_ms": 350.0,
        "pusher_compile_median_ms": 100.0, "numbers": 10_000_000, "rss_steady_mib": 500,
        "rss_peak_mib": 750, "peak_ratio": 1.5,
    }
    push, load, peak = (_cells(r) for r in reload_target_rows(figures))
    assert push[3:7] == ["100.0 ms", "3.5", "<= 1 s", "yes"]
    assert load[1] == "0 / 0 of 600" and load[3] == "0 / 0 of 480, p99 2.00 ms"
    assert load[4] == "6" and load[6] == "yes"
    assert peak[1] == "750 MiB" and peak[3:6] == ["500 MiB", "1.50", "<= 2x"]
    figures["mis_versioned"] = 1
    assert _cells(reload_target_rows(figures)[1])[6] == "**no**"
