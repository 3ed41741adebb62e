"""The coalescer's first caller yields once and leads whatever queued meanwhile.

The gRPC tests (tests/test_server.py) hold a first decision to make later calls queue;
these drive the yield itself: a stand-in for it lets other callers arrive, as the
requests a server received meanwhile would.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

import engine.coalesce
from engine import compile_ruleset, decide
from engine.coalesce import Coalescer
from engine.snapshot import Snapshot
from engine.types import Decision, Event, Ingress, MessageEvent
from rules import DEFAULT_RULESET_DIR, load_ruleset
from tests.waiting import wait_until

FRAUD = "【工商银行】您的账户存在异常，请点击 http://icbc-verify.top 进行身份验证，否则将冻结"


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))


def _events(n: int) -> list[MessageEvent]:
    return [MessageEvent(f"m{i}", f"1391234{i:04d}", "13800138000",
                         FRAUD if i % 2 else "今晚一起吃饭吗", Ingress.DOMESTIC)
            for i in range(n)]


def _recording_batches(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record the event ids of every decide_batch call the coalescer makes."""
    batches: list[list[str]] = []
    real = engine.coalesce.decide_batch

    def recorded(snapshot: Snapshot, events: Sequence[Event], runtime: object = None
                 ) -> list[Decision]:
        batches.append([e.event_id for e in events])
        return real(snapshot, events, runtime)

    monkeypatch.setattr(engine.coalesce, "decide_batch", recorded)
    return batches


def test_the_first_caller_leads_the_calls_that_queued_while_it_yielded(
    snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = _events(6)
    coalescer = Coalescer(runtime=None)
    batches = _recording_batches(monkeypatch)
    results: dict[str, Decision] = {}
    threads: list[threading.Thread] = []

    def call(event: MessageEvent) -> None:
        results[event.event_id] = coalescer.decide(snapshot, event)

    def others_arrive() -> None:  # in place of os.sched_yield
        for event in events[1:]:
            threads.append(threading.Thread(target=call, args=(event,)))
            threads[-1].start()
        assert wait_until(lambda: coalescer.waiting == len(events) - 1)

    monkeypatch.setattr(engine.coalesce, "_yield_cpu", others_arrive)
    call(events[0])
    for thread in threads:
        thread.join(5)
    # One batch, in arrival order, the first caller's own event first.
    assert batches == [[e.event_id for e in events]]
    assert results == {e.event_id: decide(snapshot, e) for e in events}
    assert coalescer.waiting == 0


def test_a_caller_that_finds_nobody_queued_after_yielding_decides_alone(
    snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch,
) -> None:
    yields: list[int] = []
    monkeypatch.setattr(engine.coalesce, "_yield_cpu", lambda: yields.append(1))
    batches = _recording_batches(monkeypatch)
    coalescer = Coalescer(runtime=None)
    event = _events(2)[1]
    assert coalescer.decide(snapshot, event) == decide(snapshot, event)
    assert yields == [1] and batches == []  # decide, not a one-event batch
    # A quiet service: the next QUIET_SKIPS lone decisions skip the yield, then one probes.
    for _ in range(engine.coalesce.QUIET_SKIPS + 1):
        coalescer.decide(snapshot, event)
    assert yields == [1, 1] and batches == []


def test_without_gather_the_first_caller_does_not_yield(
    snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_yield() -> None:
        raise AssertionError("yielded")

    monkeypatch.setattr(engine.coalesce, "_yield_cpu", no_yield)
    event = _events(1)[0]
    assert Coalescer(runtime=None, gather=False).decide(snapshot, event) == decide(
        snapshot, event)


def test_a_failing_yield_leaves_the_coalescer_usable(
    snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(engine.coalesce, "_yield_cpu", interrupted)
    coalescer = Coalescer(runtime=None)
    event = _events(1)[0]
    with pytest.raises(KeyboardInterrupt):
        coalescer.decide(snapshot, event)
    monkeypatch.setattr(engine.coalesce, "_yield_cpu", lambda: None)
    assert coalescer.decide(snapshot, event) == decide(snapshot, event)  # not stuck
