"""The SMS lane (engine/smslane.py) decides exactly as the general path does.

Every test here decides the same batches twice, through the lane and through the general
path (``LANE_MIN_EVENTS`` raised out of reach), each with a velocity table of its own,
and compares the decisions whole: actions, scores, matches and their order, spans,
shadow matches.
"""

from __future__ import annotations

import random
import shutil
import sys
import time
from collections.abc import Iterator

import pytest

from engine import CallEvent, Decision, Ingress, MessageEvent, compile_ruleset, decide_batch
from engine.numkeys import number_keys
from engine.snapshot import Snapshot
from engine.velocity import VelocityConfig, VelocityState
from rules import DEFAULT_RULESET_DIR, EventError, load_ruleset
from rules.phone import number_key
from tests.rulesets import number_list_rule

DECIDE = sys.modules["engine.decide"]  # the module (``engine.decide`` is also the function)

# Shadow rules of each kind the lane runs columnar, a combination rule, and a recipient
# allow: added to the bundled ruleset so every branch of the lane has something to do.
EXTRA_RULES = """
[[rule]]
id = "test.kw.combo"
kind = "keyword"
action = "flag"
all_of = ["佣金"]
any_of = ["日结", "兼职"]
category = "test"

[[rule]]
id = "test.kw.shadow"
kind = "keyword_list"
action = "block"
file = "lists/test_shadow_words.txt"
category = "test"
shadow = true

[[rule]]
id = "test.velocity.shadow"
kind = "velocity"
action = "block"
metric = "sms"
window_seconds = 60
threshold = 5
category = "test"
shadow = true
"""

EXTRA_RULES += number_list_rule("test.num.shadow", "flag", "lists/test_shadow_numbers.txt",
                                '"sender", "recipient", "text"', shadow=True)
EXTRA_RULES += number_list_rule("test.num.allow_recipient", "allow",
                                "lists/test_allow_numbers.txt", '"recipient"')

SHADOW_NUMBERS = ["13900000001", "176*"]
ALLOWED_RECIPIENT = "13700000009"
BURST_SENDER = "13911112222"  # sends enough in one batch to trip the velocity rules

TEXTS = [
    "今晚一起吃饭吗", "", "明天下午三点开会，记得带电脑", "兼职刷单日结佣金", "兼职刷 单，日结佣金",
    "刷*单 安 全 账 户", "刷單賺錢，日結傭金", "ＶＸ加我领红包", "您的验证码是123456，请勿泄露。",
    "【工商银行】您的账户存在异常，请点击 http://icbc-verify.top 进行身份验证",
    "加QQ 12345678 领取", "致电 95588 或 138-0013-8000", "www.example.com 优惠",
    "验#证#码 刷刷刷单", "退款理赔请联系客服", "公检法 安全账户 转账", "恭喜中奖😀请点击领取",
    "冒充领导 借钱 急用", "hello world", "ＡＢＣ　全角", "一三八零零一三八零零零",
    "贷款 无抵押 秒批",
]
SENDERS = ["13912345678", "17012345678", "17155550000", "17600001111", "13900000001",
           "SF-Express", "+86 139 1234 5678", "10086", "8613912345678", "+85512345678"]


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    root = tmp_path_factory.mktemp("lane") / "rules"
    shutil.copytree(DEFAULT_RULESET_DIR, root)
    (root / "keywords" / "lane_test.toml").write_text(EXTRA_RULES, encoding="utf-8")
    lists = root / "lists"
    (lists / "test_shadow_words.txt").write_text("吃饭\n开会\n红包\n", encoding="utf-8")
    (lists / "test_shadow_numbers.txt").write_text("\n".join(SHADOW_NUMBERS) + "\n")
    (lists / "test_allow_numbers.txt").write_text(ALLOWED_RECIPIENT + "\n")
    return compile_ruleset(load_ruleset(root))


def _state() -> VelocityState:
    return VelocityState.create_local(VelocityConfig(slots=4096))


@pytest.fixture
def runtimes() -> Iterator[tuple[VelocityState, VelocityState]]:
    lane, general = _state(), _state()
    yield lane, general
    lane.close()
    general.close()


def _general(snap: Snapshot, events: list[MessageEvent], runtime: object) -> list[Decision]:
    saved = DECIDE.LANE_MIN_EVENTS
    DECIDE.LANE_MIN_EVENTS = 10**9
    try:
        return decide_batch(snap, events, runtime)
    finally:
        DECIDE.LANE_MIN_EVENTS = saved


def _batch(rng: random.Random, n: int, start_ms: int) -> list[MessageEvent]:
    events = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.3:
            sender = BURST_SENDER
        elif roll < 0.6:
            sender = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        else:
            sender = rng.choice(SENDERS)
        recipient = ALLOWED_RECIPIENT if rng.random() < 0.05 else rng.choice(
            ["13800138000", "13900000001", "17012345678"])
        text = rng.choice(TEXTS)
        if rng.random() < 0.3:
            text += rng.choice(TEXTS)
        events.append(MessageEvent(f"m{start_ms}-{i}", sender, recipient, text,
                                   Ingress.DOMESTIC, start_ms + i))
    return events


def test_the_lane_decides_as_the_general_path(snap: Snapshot,
                                              runtimes: tuple[VelocityState, VelocityState]
                                              ) -> None:
    rng = random.Random(5)
    lane_state, general_state = runtimes
    start = int(time.time() * 1000) - 30_000
    lane_seen: dict[str, int] = {}
    for size in (64, 65, 100, 200, 333):
        events = _batch(rng, size, start)
        start += size
        lane = decide_batch(snap, events, lane_state)
        general = _general(snap, events, general_state)
        assert lane == general
        for d in lane:
            for m in (*d.matches, *d.shadow_matches):
                lane_seen[m.rule_id] = lane_seen.get(m.rule_id, 0) + 1
    # The batches exercised every kind of match the lane produces or hands on.
    for rule_id in ("sms.velocity.per_sender", "test.velocity.shadow", "test.kw.combo",
                    "test.kw.shadow", "test.num.shadow", "test.num.allow_recipient",
                    "dom.deny.phishing", "kw.bank.account_anomaly"):
        assert lane_seen.get(rule_id), f"no batch matched {rule_id}: {sorted(lane_seen)}"


def test_repeated_texts_and_the_text_memo_change_nothing(snap: Snapshot,
                                                         runtimes: tuple[VelocityState,
                                                                         VelocityState]
                                                         ) -> None:
    rng = random.Random(9)
    start = int(time.time() * 1000) - 10_000
    events = _batch(rng, 120, start)
    lane_state, general_state = runtimes
    snap.text_memo.clear()
    first = decide_batch(snap, events, lane_state)  # fills the memo (texts in context)
    again = decide_batch(snap, events, lane_state)  # reads it
    assert [d.matches for d in again] != [] and len(again) == len(first)
    snap.text_memo.clear()
    assert _general(snap, events, general_state) == first
    assert _general(snap, events, general_state) == again


def test_simple_texts_are_remembered_only_when_the_batch_repeats_texts(
        snap: Snapshot) -> None:
    """Without a repeated text, remembering the simple ones would cost more than it
    could save; a campaign's batch remembers them (with their keyword matches), and its
    next batch takes them from the memo."""
    plain = ["今晚一起吃饭吗", "明天见", "兼职刷单日结佣金", "会议改到三点", "刷*单 安 全 账 户"]
    unique = [MessageEvent(f"u{i}", f"139{i:08d}", "13800138000", f"{plain[i % 5]} {i}")
              for i in range(80)]
    snap.text_memo.clear()
    decide_batch(snap, unique, None)
    assert len(snap.text_memo) == 0
    campaign = [MessageEvent(f"c{i}", f"139{i:08d}", "13800138000", plain[i % 5])
                for i in range(80)]
    first = decide_batch(snap, campaign, None)
    assert sorted(snap.text_memo._entries) == sorted(plain)
    hits = snap.text_memo.hits
    assert decide_batch(snap, campaign, None) == first
    assert snap.text_memo.hits == hits + len(campaign)


def _stages(snap: Snapshot, events: list[MessageEvent] | list[object]) -> dict[str, float]:
    seconds: dict[str, float] = {}
    decide_batch(snap, events, None, stage_seconds=seconds)  # type: ignore[arg-type]
    return seconds


def test_a_batch_of_sms_takes_the_lane_and_others_do_not(snap: Snapshot) -> None:
    now = int(time.time() * 1000)
    events = _batch(random.Random(1), DECIDE.LANE_MIN_EVENTS, now)
    assert "lane: columns" in _stages(snap, events)
    assert "lane: columns" not in _stages(snap, events[:-1])  # too small for the lane
    call = CallEvent("c1", "13912345678", "13800138000")
    assert "lane: columns" not in _stages(snap, [*events, call])


@pytest.mark.parametrize(("field", "value", "where"), [
    ("sender", "", "events[7].sender"),
    ("recipient", "12", "events[7].recipient"),
    ("text", "x" * 5000, "events[7].text"),
    ("message_id", "m" * 200, "events[7].message_id"),
    ("timestamp_ms", -1, "events[7].timestamp_ms"),
])
def test_a_bad_event_is_named_and_nothing_is_counted(snap: Snapshot, field: str, value: object,
                                                     where: str) -> None:
    state = _state()
    events = _batch(random.Random(2), 80, int(time.time() * 1000))
    bad = events[7]
    fields = {f: getattr(bad, f) for f in ("message_id", "sender", "recipient", "text",
                                           "ingress", "timestamp_ms")}
    events[7] = MessageEvent(**{**fields, field: value})  # type: ignore[arg-type]
    with pytest.raises(EventError) as caught:
        decide_batch(snap, events, state)
    assert caught.value.field == where
    assert state.occupancy() == 0  # refused before any event was counted
    state.close()


def test_an_event_from_the_future_is_refused_before_anything_is_counted(snap: Snapshot) -> None:
    state = _state()
    events = _batch(random.Random(3), 80, int(time.time() * 1000))
    events[5] = MessageEvent("late", "13912345678", "13800138000", "hi", Ingress.DOMESTIC,
                             int(time.time() * 1000) + 3_600_000)
    with pytest.raises(EventError, match="ahead of the server clock"):
        decide_batch(snap, events, state)
    assert state.occupancy() == 0
    state.close()


@pytest.mark.parametrize("cc", ["86", "1", "855"])
def test_number_keys_reads_numbers_as_number_key_does(cc: str) -> None:
    rng = random.Random(int(cc))
    raws = []
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 21)))
        raws.append(rng.choice([digits, cc + digits, "+" + cc + digits, digits[:2] + "٣"
                                + digits[2:], f" {digits}"]))
    for raw in raws:
        try:
            want: int | str = number_key(raw, cc)
        except ValueError as exc:
            want = str(exc)
        try:
            got: int | str = number_keys([raw], cc)[0]
        except ValueError as exc:
            got = str(exc)
        assert got == want, raw
    readable = [r for r in raws if isinstance(_key_or_none(r, cc), int)]
    assert number_keys(readable, cc) == [number_key(r, cc) for r in readable]


def _key_or_none(raw: str, cc: str) -> int | None:
    try:
        return number_key(raw, cc)
    except ValueError:
        return None
