"""Velocity rules on synthetic traffic: firing, expiring, bounded memory, bad input, processes."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

import engine.calls
import engine.velocity
import rules.calls  # noqa: F401  (registers the call rule kinds until rules.parse imports it)
from engine import (
    Action,
    CallEndedEvent,
    CallEvent,
    Decision,
    Event,
    Ingress,
    MessageEvent,
    SnapshotHolder,
    compile_ruleset,
    decide,
    decide_batch,
)
from engine.snapshot import Snapshot
from engine.velocity import ColumnSpec, VelocityConfig, VelocityState, replica_for
from engine.velocity_kernels import T_CALLS, T_DISTINCT
from rules import DEFAULT_RULESET_DIR, EventError, RuleSetError, load_ruleset
from tests.rulesets import write_ruleset

pytest_plugins = ["tests.fixtures_grpc"]
assert engine.calls.CALL_KINDS
SIMBOX = "13912345678"
CALL_CENTRE = "95588"  # on the default allow list (official numbers)
MIN = 60_000


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))


@pytest.fixture
def state() -> Iterator[VelocityState]:
    s = VelocityState.create_local(VelocityConfig(slots=4096))
    yield s
    s.close()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def dial(caller: str, n: int, start_ms: int, every_ms: int, talk_ms: int,
         first_callee: int = 0) -> list[Event]:
    """``n`` calls to distinct callees, each followed by its call-ended report."""
    events: list[Event] = []
    for i in range(n):
        t = start_ms + i * every_ms
        callee = f"138{first_callee + i:08d}"
        events.append(CallEvent(f"{caller}-{i}", caller, callee, Ingress.DOMESTIC, timestamp_ms=t))
        events.append(CallEndedEvent(f"{caller}-{i}", caller, callee, talk_ms,
                                     timestamp_ms=t + talk_ms))
    return events


def call_decisions(snap: Snapshot, events: Sequence[Event], runtime: object) -> list[Decision]:
    return [d for d, e in zip(decide_batch(snap, events, runtime), events, strict=True)
            if isinstance(e, CallEvent)]


def rule_ids(d: Decision) -> set[str]:
    return {m.rule_id for m in d.matches}


# -- the synthetic stream ----------------------------------------------------------------------


def test_simbox_is_blocked_and_call_centre_is_not(snap: Snapshot, state: VelocityState) -> None:
    start = now_ms() - 30 * MIN
    simbox = dial(SIMBOX, 300, start, 1_000, 5_000)
    centre = dial(CALL_CENTRE, 300, start, 1_000, 5_000, first_callee=50_000)
    stream = [e for pair in zip(simbox, centre, strict=True) for e in pair]  # interleaved
    decisions = dict(zip((id(e) for e in stream), decide_batch(snap, stream, state),
                         strict=True))
    sim = [decisions[id(e)] for e in simbox if isinstance(e, CallEvent)]
    assert all(d.action is Action.PASS for d in sim[:20])
    assert sim[20].action is Action.FLAG  # the 21st call in a minute
    assert all(d.action is not Action.BLOCK for d in sim[:24])  # within the sketch's error
    first_block = next(i for i, d in enumerate(sim) if d.action is Action.BLOCK)
    assert 26 <= first_block <= 36, first_block
    assert all(d.action is Action.BLOCK for d in sim[first_block:])
    assert "call.velocity.distinct_callees" in rule_ids(sim[-1])
    assert {"call.velocity.calls_per_minute", "call.velocity.short_calls"} <= rule_ids(sim[-1])
    reason = next(m for m in sim[-1].matches if m.rule_id == "call.velocity.distinct_callees")
    assert reason.field == "caller" and "distinct callees in 300 s" in reason.matched
    centre_calls = [decisions[id(e)] for e in centre if isinstance(e, CallEvent)]
    assert all(d.action is Action.PASS for d in centre_calls)
    assert all(rule_ids(d) == {"num.allow.official"} for d in centre_calls)


def test_velocity_fires_then_expires(snap: Snapshot, state: VelocityState) -> None:
    start = now_ms() - 60 * MIN
    decisions = call_decisions(snap, dial(SIMBOX, 60, start, 2_000, 60_000), state)
    assert decisions[-1].action is Action.BLOCK
    # 6 minutes after the burst the 5-minute distinct window is empty again
    later = start + 60 * 2_000 + 6 * MIN
    d = decide(snap, CallEvent("late", SIMBOX, "13700000000", Ingress.DOMESTIC,
                               timestamp_ms=later), runtime=state)
    assert "call.velocity.distinct_callees" not in rule_ids(d)
    assert d.action is Action.PASS


def test_normal_busy_caller_is_not_flagged(snap: Snapshot, state: VelocityState) -> None:
    # one call every 30 s with 3-minute conversations: 10 callees per 5 minutes, all long calls
    decisions = call_decisions(snap, dial(SIMBOX, 100, now_ms() - 60 * MIN, 30_000, 180_000),
                               state)
    assert all(d.action is Action.PASS and not d.matches for d in decisions)


def test_short_call_share_needs_min_calls_and_fires_on_next_call(snap: Snapshot,
                                                                  state: VelocityState) -> None:
    start = now_ms() - 30 * MIN
    # 19 short calls spread over 6 minutes: under min_calls (20)
    ended = [CallEndedEvent(f"e{i}", SIMBOX, f"1370000{i:04d}", 3_000,
                            timestamp_ms=start + i * 20_000) for i in range(19)]
    decide_batch(snap, ended, state)
    nxt = CallEvent("n", SIMBOX, "13600000000", Ingress.DOMESTIC, timestamp_ms=start + 19 * 20_000)
    assert "call.velocity.short_calls" not in rule_ids(decide(snap, nxt, runtime=state))
    decide(snap, CallEndedEvent("e19", SIMBOX, "13700009999", 3_000,
                                timestamp_ms=start + 19 * 20_000), runtime=state)
    d = decide(snap, nxt, runtime=state)
    assert d.action is Action.FLAG and "call.velocity.short_calls" in rule_ids(d)


def test_sms_per_sender(snap: Snapshot, state: VelocityState) -> None:
    t = now_ms() - 10 * MIN
    msgs = [MessageEvent(f"m{i}", SIMBOX, f"138{i:08d}", "您好", Ingress.DOMESTIC,
                         timestamp_ms=t + i * 500) for i in range(70)]
    decisions = decide_batch(snap, msgs, state)
    assert decisions[59].action is Action.PASS
    assert decisions[-1].action is Action.FLAG
    assert "sms.velocity.per_sender" in rule_ids(decisions[-1])
    # alphanumeric senders have no number key: never counted, never an error
    brand = [MessageEvent(f"b{i}", "ICBC", "13800138000", "您好", timestamp_ms=t)
             for i in range(70)]
    assert all(d.action is Action.PASS for d in decide_batch(snap, brand, state))


def test_no_runtime_means_no_velocity(snap: Snapshot) -> None:
    events = dial(SIMBOX, 100, now_ms() - 30 * MIN, 1_000, 5_000)
    assert all(d.action is Action.PASS for d in call_decisions(snap, events, None))


# -- counting exactly once, reloads ----------------------------------------------------------

VELOCITY_PAIR = """
    [[rule]]
    id = "v.live"
    kind = "velocity"
    action = "flag"
    metric = "calls"
    window_seconds = 600
    threshold = 5

    [[rule]]
    id = "v.shadow"
    kind = "velocity"
    action = "block"
    shadow = {shadow}
    metric = "calls"
    window_seconds = 600
    threshold = 5
"""


@pytest.mark.parametrize("both_shadow", [False, True])
def test_each_event_counts_once(tmp_path: Path, state: VelocityState, both_shadow: bool) -> None:
    body = VELOCITY_PAIR.format(shadow="true")
    if both_shadow:
        body = body.replace('action = "flag"', 'action = "flag"\n    shadow = true')
    s = compile_ruleset(load_ruleset(write_ruleset(tmp_path, body)))
    t = now_ms() - MIN
    calls = [CallEvent(f"c{i}", SIMBOX, f"138{i:08d}", timestamp_ms=t + i) for i in range(6)]
    decisions = [decide(s, c, runtime=state) for c in calls]
    fired = [{m.rule_id for m in (*d.matches, *d.shadow_matches)} for d in decisions]
    assert fired[:5] == [set()] * 5  # a double count would fire at the 3rd call
    assert fired[5] == {"v.live", "v.shadow"}


def test_counts_survive_a_reload(snap: Snapshot) -> None:
    holder = SnapshotHolder(runtime=VelocityState.create_local(VelocityConfig(slots=1024)))
    holder.swap(snap)
    start = now_ms() - 20 * MIN
    events = dial(SIMBOX, 25, start, 1_000, 60_000)
    decide_batch(snap, events, holder.runtime)
    holder.swap(compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR)))  # a reload
    current = holder.current
    assert current is not None and current is not snap
    more = call_decisions(current, dial(SIMBOX, 15, start + 25_000, 1_000, 60_000, 100),
                          holder.runtime)
    assert more[-1].action is Action.BLOCK  # 40 distinct: the old counts were kept


def test_too_many_windows_is_a_ruleset_error(tmp_path: Path) -> None:
    body = "".join(f'[[rule]]\nid = "d{w}"\nkind = "velocity"\naction = "flag"\n'
                   f'metric = "distinct_callees"\nwindow_seconds = {w}\nthreshold = 9\n\n'
                   for w in (60, 120, 180))
    with pytest.raises(RuleSetError) as exc:
        compile_ruleset(load_ruleset(write_ruleset(tmp_path, body)))
    assert exc.value.problems[0].rule_id == "d180"


@pytest.mark.parametrize(("body", "field"), [
    ('metric = "speed"\nwindow_seconds = 60\nthreshold = 3', "metric"),
    ('metric = "calls"\nwindow_seconds = 5\nthreshold = 3', "window_seconds"),
    ('metric = "calls"\nwindow_seconds = 60\nthreshold = 0', "threshold"),
    ('metric = "distinct_callees"\nwindow_seconds = 60\nthreshold = 500', "threshold"),
    ('metric = "short_call_share"\nwindow_seconds = 60\nthreshold = 7', "threshold"),
    ('metric = "calls"\nwindow_seconds = 60\nthreshold = 3\nmin_calls = 4', "min_calls"),
    ('metric = "short_call_share"\nwindow_seconds = 60\nthreshold = 0.5\n'
     'short_call_seconds = 0', "short_call_seconds"),
])
def test_bad_velocity_rules_name_the_field(tmp_path: Path, body: str, field: str) -> None:
    root = write_ruleset(tmp_path, f'[[rule]]\nid = "v"\nkind = "velocity"\naction = "flag"\n'
                                   f'{body}\n')
    with pytest.raises(RuleSetError) as exc:
        load_ruleset(root)
    assert (exc.value.problems[0].rule_id, exc.value.problems[0].field) == ("v", field)


# -- bad input never corrupts a counter ---------------------------------------------------------


def test_bad_timestamps_are_refused_before_any_update(snap: Snapshot,
                                                      state: VelocityState) -> None:
    good = CallEvent("ok", SIMBOX, "13800000001", timestamp_ms=now_ms())
    for bad_ts, words in ((now_ms() + 10 * MIN, "ahead of the server clock"),
                          (now_ms() - 25 * 3600_000, "h old"), (1, "h old")):
        bad = CallEvent("bad", SIMBOX, "13800000002", timestamp_ms=bad_ts)
        for batch in ([good, bad], [good] * 4 + [bad, good]):  # the few- and many-event paths
            with pytest.raises(EventError, match=words) as exc:
                decide_batch(snap, batch, state)
            assert exc.value.field.endswith("timestamp_ms") and "'bad'" in exc.value.reason
    assert state.occupancy() == 0  # the good event of the refused batches was not counted


def test_absurd_duration_is_refused(snap: Snapshot, state: VelocityState) -> None:
    for duration in (-1, 49 * 3600_000):
        with pytest.raises(EventError) as exc:
            decide(snap, CallEndedEvent("e", SIMBOX, "13800000000", duration), runtime=state)
        assert exc.value.field == "duration_ms"
    assert state.occupancy() == 0


def test_late_events_inside_the_window_still_count(snap: Snapshot, state: VelocityState) -> None:
    t = now_ms() - 10 * MIN
    events = dial(SIMBOX, 40, t, 1_000, 5_000)
    late_first = events[40:] + events[:40]  # the first 20 calls arrive after the last 20
    decide_batch(snap, late_first, state)
    d = decide(snap, CallEvent("next", SIMBOX, "13700000000", timestamp_ms=t + 41_000),
               runtime=state)
    assert "call.velocity.distinct_callees" in rule_ids(d)  # all 41 counted


# -- bounded memory ---------------------------------------------------------------------------


def test_memory_is_bounded_and_active_callers_survive(snap: Snapshot) -> None:
    state = VelocityState.create_local(VelocityConfig(slots=1024))
    size = state.nbytes
    t = now_ms() - 30 * MIN
    events: list[Event] = []
    for i in range(6_000):  # 6,000 one-off callers, and a SIM box calling every 40th event
        events.append(CallEvent(f"o{i}", f"137{i:08d}", "13800138000", timestamp_ms=t + i * 50))
        if i % 40 == 0:
            events.append(CallEvent(f"s{i}", SIMBOX, f"138{i:08d}", timestamp_ms=t + i * 50))
    decisions = decide_batch(snap, events, state)
    assert state.nbytes == size and state.occupancy() <= 1024
    last_simbox = [d for d in decisions if d.event_id.startswith("s")][-1]
    assert last_simbox.action is Action.BLOCK  # 150 distinct callees, never evicted
    state.close()


def test_distinct_estimate_error_is_small() -> None:
    state = VelocityState.create_local(VelocityConfig(slots=4096))
    cols = (ColumnSpec(T_DISTINCT, 300_000), ColumnSpec(T_CALLS, 300_000))
    t = 10**12
    errors = []
    for caller in range(1, 201):
        n = 30
        keys = np.full(n, 8613900000000 + caller, np.int64)
        aux = 8613800000000 + caller * 1000 + np.arange(n, dtype=np.int64)
        out = state.record_and_query(cols, keys, np.zeros(n, np.int64), aux,
                                     np.full(n, t, np.int64), True)
        assert out[-1, 1] == n  # counts are exact
        errors.append(out[-1, 0] / n - 1)
    assert abs(float(np.mean(errors))) < 0.03 and float(np.std(errors)) < 0.1
    state.close()


# -- several processes --------------------------------------------------------------------------


def _count_calls(path: str, worker: int, n: int, t: int) -> None:
    state = VelocityState.attach(path)
    cols = (ColumnSpec(T_CALLS, 3_600_000),)
    for _ in range(n // 50):  # many small batches, so the workers really interleave
        keys = np.full(50, 8613912345678, np.int64)
        state.record_and_query(cols, keys, np.zeros(50, np.int64), keys,
                               np.full(50, t, np.int64), True)
    state.close()


def _decide_calls(path: str, events: list[Event]) -> list[str]:
    state = VelocityState.attach(path)
    snapshot = compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))
    actions = [decide(snapshot, e, runtime=state).action.name for e in events]
    state.close()
    return actions


@pytest.mark.slow
def test_two_processes_share_one_table(snap: Snapshot) -> None:
    shared = VelocityState.create_shared(VelocityConfig(slots=4096))
    try:
        ctx = multiprocessing.get_context("spawn")
        t = now_ms() - 15 * MIN
        t -= t % 900_000  # the start of a sub-window: the count is exact, not interpolated
        procs = [ctx.Process(target=_count_calls, args=(shared.path, w, 4_000, t))
                 for w in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
            assert p.exitcode == 0
        one = np.full(1, 8613912345678, np.int64)
        out = shared.record_and_query((ColumnSpec(T_CALLS, 3_600_000),), one,
                                      np.zeros(1, np.int64), one, np.full(1, t, np.int64), False)
        assert out[0, 0] == 8_000  # no increment lost between the two processes

        start = now_ms() - 20 * MIN
        halves = [[e for e in dial("13512345678", 20, start + k * 80_000, 4_000, 5_000, k * 20)
                   if isinstance(e, CallEvent)] for k in range(2)]
        with ctx.Pool(2) as pool:  # one process decides the first 20 calls, another the rest
            first = pool.apply(_decide_calls, (shared.path, halves[0]))
            second = pool.apply(_decide_calls, (shared.path, halves[1]))
        assert first == ["PASS"] * 20
        assert second[-1] == "BLOCK"  # it saw 20 calls itself, and the other 20 in the table
        d = decide(snap, CallEvent("x", "13512345678", "13700000000",
                                   timestamp_ms=start + 161_000), runtime=shared)
        assert d.action is Action.BLOCK
    finally:
        shared.close()
        shared.unlink()


def test_attach_refuses_a_foreign_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"\0" * 4096)
    with pytest.raises(ValueError, match="not a velocity table"):
        VelocityState.attach(str(junk))


def test_replica_for_is_stable_and_moves_few_callers() -> None:
    replicas = ["a:1", "b:1", "c:1"]
    callers = [f"139{i:08d}" for i in range(3_000)]
    owner = {c: replica_for(c, replicas) for c in callers}
    assert owner["13900000007"] == replica_for("+86 139 0000 0007", list(reversed(replicas)))
    counts = [list(owner.values()).count(r) for r in replicas]
    assert min(counts) > 800  # roughly even
    after = {c: replica_for(c, replicas[:2]) for c in callers}
    moved = [c for c in callers if after[c] != owner[c]]
    assert all(owner[c] == "c:1" for c in moved)  # only the removed replica's callers move


@pytest.mark.slow
def test_grpc_workers_share_velocity(server_process, snap: Snapshot) -> None:  # type: ignore[no-untyped-def]
    import grpc

    from proto import convert
    from proto.interceptor.v1 import interceptor_pb2 as pb
    from proto.interceptor.v1 import interceptor_pb2_grpc as pb_grpc

    proc = server_process("--workers", "2")
    # The port answers once the first worker serves; on a loaded machine the second may
    # still be compiling, so wait until both serve a ruleset before counting.
    serving: set[int] = set()
    deadline = time.monotonic() + 90
    while len(serving) < 2 and time.monotonic() < deadline:
        with grpc.insecure_channel(proc.target) as channel:
            status = pb_grpc.InterceptorStub(channel).GetStatus(pb.GetStatusRequest(), timeout=5)
            if status.serving:
                serving.add(status.pid)
    pids: set[int] = set()
    action = None
    start = now_ms() - 10 * MIN
    for i in range(40):  # a new connection per call: SO_REUSEPORT spreads them over workers
        with grpc.insecure_channel(proc.target) as channel:
            stub = pb_grpc.InterceptorStub(channel)
            pids.add(stub.GetStatus(pb.GetStatusRequest(), timeout=5).pid)
            event = CallEvent(f"g{i}", "13612345678", f"138{i:08d}", Ingress.DOMESTIC,
                              timestamp_ms=start + i * 1_000)
            action = convert.decision_from_pb(stub.CheckCall(convert.call_to_pb(event),
                                                             timeout=5)).action
    assert len(pids) >= 2, "all calls reached one worker"
    assert action is Action.BLOCK


@pytest.mark.parametrize("populate_advice", ["kernel", "refused"])
def test_populated_tables_are_resident_and_count_the_same(
        monkeypatch: pytest.MonkeyPatch, populate_advice: str) -> None:
    """``populate=True`` (what the server uses) maps every page up front: a private
    table through the kernel's populate advice or, where that is refused (an older
    kernel), a write per page. Counting is unchanged, for a private table and for a
    shared one seen through ``attach``."""
    if populate_advice == "refused":
        monkeypatch.setattr(engine.velocity, "MADV_POPULATE_WRITE", 10_000)  # EINVAL
    config = VelocityConfig(slots=1 << 16)
    one = np.full(1, 8613912345678, np.int64)
    cols = (ColumnSpec(T_CALLS, 3_600_000),)
    t = np.full(1, now_ms(), np.int64)
    before = _rss()
    local = VelocityState.create_local(config, populate=True)
    assert _rss() - before >= 0.9 * config.nbytes
    shared = VelocityState.create_shared(config, populate=True)
    try:
        attached = VelocityState.attach(shared.path, populate=True)
        for _ in range(3):
            local.record_and_query(cols, one, np.zeros(1, np.int64), one, t, True)
            shared.record_and_query(cols, one, np.zeros(1, np.int64), one, t, True)
        read = np.zeros(1, np.int64)
        assert local.record_and_query(cols, one, read, one, t, False)[0, 0] == 3
        assert attached.record_and_query(cols, one, read, one, t, False)[0, 0] == 3
        assert local.record_and_query_one(cols, int(one[0]), 0, 0, int(t[0]), True) == [4.0]
        attached.close()
    finally:
        local.close()
        shared.unlink()
        shared.close()


def _rss() -> int:
    import psutil  # type: ignore[import-untyped]

    return int(psutil.Process().memory_info().rss)


def test_swap_claims_the_columns_before_the_snapshot_serves(snap: Snapshot,
                                                            state: VelocityState) -> None:
    """Claiming a column clears it (milliseconds): ``SnapshotHolder.swap`` does it for
    the new snapshot's velocity rules, so no decision changes the table's owners."""
    holder = SnapshotHolder(runtime=state)
    generation = int(state.header[engine.velocity._GEN])
    holder.swap(snap)
    claimed = int(state.header[engine.velocity._GEN])
    assert claimed > generation  # the default ruleset has velocity rules: columns claimed
    decide_batch(snap, dial(SIMBOX, 3, now_ms() - 10_000, 1_000, 5_000), state)
    decide(snap, MessageEvent("m1", SIMBOX, "13800138000", "你好"), state)
    assert int(state.header[engine.velocity._GEN]) == claimed
