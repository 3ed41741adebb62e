"""The load generator's bookkeeping: its payload pool, server CPU per event, and the ratios
read from it."""

from __future__ import annotations

import argparse
import os
import time

from bench.loadgen import (
    Point,
    load_texts,
    make_messages,
    markdown,
    measure_cpu,
    process_cpu_seconds,
    summarise,
)


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_process_cpu_seconds_counts_this_process_and_none_for_a_missing_one() -> None:
    before = process_cpu_seconds(os.getpid())
    assert before is not None
    _spin(0.3)
    after = process_cpu_seconds(os.getpid())
    assert after is not None and after - before >= 0.2
    assert process_cpu_seconds(2**22 + 12345) is None  # above Linux's largest pid


def test_measure_cpu_divides_the_server_cpu_by_the_events_answered() -> None:
    def point() -> Point:
        _spin(0.3)
        return Point("noop", "batch", "closed", 0, 10, ok=3)  # 3 requests of 10 events

    measured = measure_cpu(os.getpid(), point)
    # ~0.3 s over 30 events: ~10,000 µs each (clock ticks of 10 ms blur it a little)
    assert 8_000 <= measured.server_cpu_us_per_event <= 14_000


def _ceiling(server: str, mode: str, round_: int, per_s: float, cpu_us: float) -> Point:
    return Point(server, mode, "closed", 0, 1, round=round_, ok=100, events_per_s=per_s,
                 server_cpu_us_per_event=cpu_us)


def test_cpu_ratios_are_the_noop_cpu_over_ours_per_round_with_the_lower_median() -> None:
    points = [
        _ceiling("noop", "unary", 0, 4000, 250.0), _ceiling("interceptor", "unary", 0, 3000, 500.0),
        _ceiling("noop", "unary", 1, 4000, 240.0), _ceiling("interceptor", "unary", 1, 3000, 300.0),
        _ceiling("noop", "batch", 0, 600_000, 1.5),
        _ceiling("interceptor", "batch", 0, 40_000, 0.0),
    ]
    result = summarise(points, {"fraud_sms_action": "ACTION_BLOCK", "ruleset_version": "v"},
                       argparse.Namespace(duration=1.0))
    unary = result["cpu_ratios_vs_noop"]["unary"]
    assert unary["runs"] == [0.5, 0.8]
    assert unary["median"] == 0.5  # median_low: never better than the middle rounds
    assert unary["server_cpu_us_per_event"] == {"interceptor": 400.0, "noop": 245.0}
    # a round without a CPU figure on either side gives no ratio, not a division by zero
    assert result["cpu_ratios_vs_noop"]["batch"]["median"] is None
    text = markdown(result)
    assert "| unary | 400.0 | 245.0 | 0.5 | 0.5, 0.8 |" in text
    assert "| batch |" not in text.split("Ceilings as server CPU")[1]


def test_the_pool_gives_every_event_its_own_sender_and_cycles_the_texts() -> None:
    texts = load_texts(None, 50, seed=1)  # the synthetic mix: no data needed
    messages = make_messages(texts, seed=1, count=1000)
    assert len(messages) == 1000
    # A sender returning every 50 events would pass the velocity rule's 60 SMS a minute
    # at any load worth measuring: each sender once per pool.
    assert len({m.sender for m in messages}) == 1000
    assert all(len(m.sender) == 11 and m.sender[0] == "1" for m in messages)
    assert [m.text for m in messages[:100]] == texts + texts
    assert make_messages(texts, seed=1, count=1000) == messages  # same seed, same pool
