"""Decisions on the bundled default ruleset, batch vs single, and bad events."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from engine import (
    Action,
    CallEndedEvent,
    CallEvent,
    Decision,
    Ingress,
    MessageEvent,
    compile_ruleset,
    decide,
    decide_batch,
)
from engine.context import build_context
from engine.decide import prepare_texts
from engine.keywords import KeywordMatcher
from engine.matchers import SMALL_BATCH_EVENTS
from engine.snapshot import Snapshot
from engine.textmemo import DEFAULT_MAX_CHARS
from rules import DEFAULT_RULESET_DIR, EventError, RuleSetError, load_ruleset
from tests.rulesets import write_ruleset

FRAUD = "【工商银行】您的账户存在异常，请点击 http://icbc-verify.top 进行身份验证，否则将冻结"


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))


def sms(text: str, sender: str = "13912345678", mid: str = "m") -> MessageEvent:
    return MessageEvent(mid, sender, "13800138000", text, Ingress.DOMESTIC)


def test_typical_fraud_sms_is_blocked_with_reasons(snap: Snapshot) -> None:
    d = decide(snap, sms(FRAUD, mid="m42"))
    assert d.action is Action.BLOCK and d.event_id == "m42"
    assert d.ruleset_version == snap.version
    ids = {m.rule_id for m in d.matches}
    assert {"dom.deny.phishing", "kw.bank.account_anomaly"} <= ids
    url = next(m for m in d.matches if m.rule_id == "dom.deny.phishing")
    assert url.matched == "icbc-verify.top" and FRAUD[url.start:url.end].endswith(
        "icbc-verify.top")


@pytest.mark.parametrize("text", ["今晚一起吃饭吗", "您的验证码是123456，请勿泄露给他人。",
                                  "明天下午三点开会，记得带电脑", ""])
def test_ordinary_sms_passes(snap: Snapshot, text: str) -> None:
    assert decide(snap, sms(text)).action is Action.PASS


def test_disguised_keyword_matches_and_reports_original_text(snap: Snapshot) -> None:
    text = "兼职刷 单，日结佣金，安 全 账 户"
    d = decide(snap, sms(text))
    assert d.action is Action.BLOCK
    police = next(m for m in d.matches if m.rule_id == "kw.police.safe_account")
    assert text[police.start:police.end] == police.matched == "安 全 账 户"


def test_official_sender_is_never_blocked(snap: Snapshot) -> None:
    assert decide(snap, sms(FRAUD, sender="95588")).action is Action.PASS


def test_number_in_text_on_deny_list_blocks(snap: Snapshot) -> None:
    d = decide(snap, sms("有问题请致电 170-1234-5678 联系"))
    assert d.action is Action.BLOCK
    assert any(m.field == "text" and m.rule_id == "num.deny.reported" for m in d.matches)


def test_high_risk_country_caller_is_flagged(snap: Snapshot) -> None:
    d = decide(snap, CallEvent("c1", "+855 96 123 4567", "13800138000", Ingress.INTERNATIONAL))
    assert d.action in (Action.FLAG, Action.BLOCK)
    assert any(m.rule_id == "num.flag.high_risk_country" for m in d.matches)


def test_batch_equals_single(snap: Snapshot) -> None:
    events = [sms(FRAUD, mid="a"), sms("今晚一起吃饭吗", mid="b"),
              CallEvent("c", "17012345678", "13800138000"), sms("兼职刷单日结佣金", mid="d"),
              sms("加我微信 abc12345 领取补贴", mid="e")]
    snap.text_memo.clear()  # each path prepares the texts itself (no memo hits)
    batch = decide_batch(snap, events)
    assert [d.event_id for d in batch] == ["a", "b", "c", "d", "e"]
    snap.text_memo.clear()
    assert batch == [decide(snap, e) for e in events]


def test_single_event_path_equals_the_batch_path(snap: Snapshot) -> None:
    """``decide`` takes its own single-event path (kernels that return ints, reused code
    points); over disguised texts, URLs, numbers in text, repeated senders (velocity) and
    calls it must decide exactly what ``decide_batch`` decides, state included."""
    from engine.matchers import SMALL_BATCH_EVENTS
    from engine.velocity import VelocityState
    from tests.evasion_table import EXTRACT_CASES, NORMALIZE_CASES

    texts = [t for _, t, _ in NORMALIZE_CASES] + [t for _, t, _, _ in EXTRACT_CASES] + [
        FRAUD, "有问题请致电 170-1234-5678 联系", "加我微信 abc12345 领取补贴", "",
        "兼职刷 单，日结佣金，安 全 账 户", "\U0001f600 中奖了 ｈｔｔｐ://ｅｖｉｌ．ｃｏｍ"]
    events: list[MessageEvent | CallEvent | CallEndedEvent] = [
        sms(t, sender=f"1391234{i % 7:04d}", mid=f"m{i}") for i, t in enumerate(texts)]
    events += [CallEvent(f"c{i}", "17012345678", f"1380013{i:04d}", Ingress.INTERNATIONAL)
               for i in range(40)]
    events += [CallEndedEvent(f"c{i}", "17012345678", f"1380013{i:04d}", duration_ms=3000)
               for i in range(40)]
    single_state, batch_state = VelocityState.create_local(), VelocityState.create_local()
    try:
        # Memo cleared before each path: each prepares every text itself.
        snap.text_memo.clear()
        one_by_one = [decide(snap, e, single_state) for e in events]
        snap.text_memo.clear()
        batched = decide_batch(snap, events, batch_state)
    finally:
        single_state.close()
        batch_state.close()
    assert one_by_one == batched
    assert sum(1 for d in one_by_one if d.matches) > len(events) // 3  # the corpus bites
    # Small batches (up to SMALL_BATCH_EVENTS) take each stage's single-event path: the
    # same decisions again.
    for size in range(2, SMALL_BATCH_EVENTS + 1):
        small_state = VelocityState.create_local()
        snap.text_memo.clear()
        try:
            small = [d for i in range(0, len(events), size)
                     for d in decide_batch(snap, events[i:i + size], small_state)]
        finally:
            small_state.close()
        assert small == batched, size


@pytest.mark.parametrize(("event", "field"), [
    (MessageEvent("m", "", "13800138000", "hi"), "sender"),
    (MessageEvent("m", "13912345678", "", "hi"), "recipient"),
    (MessageEvent("m", "13912345678", "13800138000", "x" * 5000), "text"),
    (MessageEvent("m", "!!!", "13800138000", "hi"), "sender"),
    (MessageEvent("m" * 200, "13912345678", "13800138000", "hi"), "message_id"),
    (CallEvent("c", "not-a-number", "13800138000"), "caller"),
    (CallEvent("c", "13912345678", "1" * 41), "callee"),
    (CallEvent("c", "13912345678", "13800138000", 99), "ingress"),  # type: ignore[arg-type]
    (CallEvent("c", "13912345678", "13800138000", timestamp_ms=-5), "timestamp_ms"),
    (CallEndedEvent("c", "13912345678", "13800138000", duration_ms=-1), "duration_ms"),
])
def test_bad_events_name_the_field(snap: Snapshot, event: object, field: str) -> None:
    with pytest.raises(EventError) as info:
        decide(snap, event)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize("event", [
    MessageEvent("m", "13912345678", "13800138000", "hi"),
    MessageEvent("m", "008613912345678", "013800138000", "hi"),
    MessageEvent("m", "１３９１２３４５６７８", "13800138000", "hi"),  # full-width digits
    MessageEvent("m", "+86 139 1234 5678", "13800138000", "hi"),
    MessageEvent("m", "SF-Express", "13800138000", "hi"),
    MessageEvent("m", "0", "13800138000", "hi"),  # digits, but not a number
    MessageEvent("m", "13912345678", "13800138000", "hi", timestamp_ms=-1),
    MessageEvent("m", "13912345678", "13800138000", "x" * 5000),
    MessageEvent("m", "13912345678", "13800138000", "hi", 42),  # type: ignore[arg-type]
    MessageEvent("m", "1" * 41, "13800138000", "hi"),
    MessageEvent("m", None, "13800138000", "hi"),  # type: ignore[arg-type]
    MessageEvent("m", "13912345678", None, "hi"),  # type: ignore[arg-type]
])
def test_plain_message_path_agrees_with_the_checked_one(event: MessageEvent) -> None:
    """build_context's one-pass path for the usual SMS gives the context, or the error,
    that the field-by-field checks give."""
    from engine.context import _checked_context, build_context

    def outcome(build: object) -> object:
        try:
            ctx = build(event, "86")  # type: ignore[operator]
        except EventError as e:
            return ("error", e.field, e.reason)
        return (ctx.kind, ctx.numbers, list(ctx.numbers), ctx.text, ctx.event is event)

    assert outcome(build_context) == outcome(_checked_context)


def test_bad_event_in_a_batch_names_its_position(snap: Snapshot) -> None:
    with pytest.raises(EventError) as info:
        decide_batch(snap, [sms("ok"), sms("ok", sender="")])
    assert info.value.field == "events[1].sender"


def test_alphanumeric_sender_is_accepted(snap: Snapshot) -> None:
    assert decide(snap, sms("您的快递已到", sender="SF-Express")).action is Action.PASS


def test_snapshot_reports_stages_and_counts(snap: Snapshot) -> None:
    assert next(iter(snap.stage_times)) == "normalize"
    assert "warm numba kernels" in snap.stage_times
    assert snap.counts["numbers"] > 0 and len(snap.digest) == 64


def test_domain_memo_is_bounded_and_changes_nothing(snap: Snapshot,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.domains
    from engine.domains import DomainMatcher

    matcher = next(m for m in snap.live if isinstance(m, DomainMatcher))
    monkeypatch.setattr(engine.domains, "MEMO_HOSTS", 8)
    monkeypatch.setattr(matcher, "_memo", {})
    hosts = ["icbc-verify.top", "1cbc-verify.t0p", "example.com", *(f"h{i}.cn" for i in range(30))]
    first = [matcher.rules_for(h) for h in hosts]
    assert len(matcher._memo) <= 8
    assert [matcher.rules_for(h) for h in hosts] == first  # memo hits give the same rules
    assert first[0] and first[1] == first[0] and not first[2]  # listed, look-alike, unlisted


@pytest.mark.parametrize("lane", [False, True])
def test_repeated_texts_are_prepared_once_and_decided_the_same(
        snap: Snapshot, lane: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A campaign repeats its text: the snapshot's text memo prepares each distinct text
    once, and a repeat (in the same batch, or later) is decided as if it were new.

    The same through the SMS lane (engine/smslane.py): a batch that repeats texts has
    its simple texts remembered with their keyword matches too."""
    if not lane:
        monkeypatch.setattr(sys.modules["engine.decide"], "LANE_MIN_EVENTS", 10**9)
    plain = ["今晚一起吃饭吗", "兼职刷 单，日结佣金", "明天见", "收到，谢谢", "会议改到三点",
             "晚上吃什么", "路上注意安全", "好的"]
    texts = [FRAUD, "有问题请致电 170-1234-5678 联系", *plain,
             "\U0001f600 中奖了 ｈｔｔｐ://ｅｖｉｌ．ｃｏｍ", "加我微信 abc12345 领取补贴"]
    events = [sms(texts[i % len(texts)], sender=f"1391234{i:04d}", mid=f"m{i}")
              for i in range(96)]  # a batch large enough for the lane, mostly simple

    def fresh(event: MessageEvent) -> object:
        snap.text_memo.clear()
        return decide(snap, event)

    expected = [fresh(e) for e in events]
    snap.text_memo.clear()
    assert decide_batch(snap, events) == expected  # duplicates within one batch
    assert sorted(snap.text_memo._entries) == sorted(texts)
    hits = snap.text_memo.hits
    assert decide_batch(snap, events) == expected  # every text from the memo
    assert [decide(snap, e) for e in events] == expected
    assert snap.text_memo.hits == hits + 2 * len(events)
    assert sum(1 for d in expected if d.matches) >= len(events) // 4  # the texts bite


def test_texts_that_normalize_alike_quote_their_own_text(snap: Snapshot) -> None:
    """A simplified and a traditional SMS normalize to one text and share its keyword
    scan; each decision still quotes its own original characters, in a batch, one by
    one, and from the memo."""
    simplified, traditional = "请将资金转入安全账户配合调查", "請將資金轉入安全賬戶配合調查"
    events = [sms(simplified if i % 2 else traditional, mid=f"m{i}") for i in range(12)]
    assert len(events) > SMALL_BATCH_EVENTS  # the batch path, not the one-event one

    def quoted(decisions: list[Decision]) -> list[list[str]]:
        return [[m.matched for m in d.matches if m.field == "text"] for d in decisions]

    expected = [["安全账户", "配合调查"] if i % 2 else ["安全賬戶", "配合調查"]
                for i in range(len(events))]
    snap.text_memo.clear()
    assert quoted(decide_batch(snap, events)) == expected
    assert quoted(decide_batch(snap, events)) == expected  # every text from the memo
    snap.text_memo.clear()
    assert quoted([decide(snap, e) for e in events]) == expected


def test_text_memo_is_bounded_by_characters() -> None:
    from engine.normalize import Normalized
    from engine.textmemo import PreparedText, TextMemo

    memo = TextMemo(max_chars=1000)
    for i in range(500):
        text = f"message number {i:04d}"  # 19 characters
        memo.put(text, PreparedText(Normalized(text, range(len(text))), None, ()))
    assert sum(map(len, memo._entries)) <= 1000 and len(memo) >= 1000 // 19 * 7 // 8
    assert memo.get("message number 0499") is not None  # the newest stay
    assert memo.get("message number 0000") is None
    memo.put("x" * 1001, PreparedText(Normalized("x", range(1)), None, ()))  # too long: kept out
    assert memo.get("x" * 1001) is None


def test_holder_bounds_the_memo_before_publishing(snap: Snapshot) -> None:
    """A holder's memo bound (serve --text-memo-chars) is in place when a request can
    first see the snapshot: a listener, run after the swap, finds it applied."""
    from engine.holder import SnapshotHolder

    decide(snap, sms(FRAUD, mid="fill"))  # the memo holds a text now
    seen: list[tuple[int, int]] = []
    holder = SnapshotHolder(text_memo_chars=0)
    holder.add_listener(lambda s: seen.append((s.text_memo.max_chars, len(s.text_memo))))
    try:
        holder.swap(snap)
        assert seen == [(0, 0)]
        decide(snap, sms(FRAUD, mid="again"))
        assert len(snap.text_memo) == 0  # 0: nothing is remembered
        holder.text_memo_chars = 1000  # a bound set later reaches the active snapshot
        assert snap.text_memo.max_chars == 1000
    finally:
        snap.text_memo.resize(DEFAULT_MAX_CHARS)  # the module's snapshot serves other tests


def test_clear_memo_caches_empties_them_and_changes_no_decision(snap: Snapshot) -> None:
    from engine.compile import clear_memo_caches
    from engine.domains import DomainMatcher
    from engine.extract import _phone_spans
    from rules.phone import number_key

    events = [sms(FRAUD, mid="a"), sms("有问题请致电 170-1234-5678 联系", mid="b")]
    clear_memo_caches(snap)  # texts seen by earlier tests are prepared again
    first = decide_batch(snap, events)
    domains = next(m for m in snap.live if isinstance(m, DomainMatcher))
    assert number_key.cache_info().currsize and _phone_spans.cache_info().currsize
    assert domains._memo and len(snap.text_memo)
    clear_memo_caches(snap)
    assert not number_key.cache_info().currsize and not _phone_spans.cache_info().currsize
    assert not domains._memo and not len(snap.text_memo)
    assert decide_batch(snap, events) == first


_NO_JIT_SCRIPT = r'''
import importlib, json, pkgutil
import engine
from numba.core.registry import CPUDispatcher
from engine import (CallEndedEvent, CallEvent, Ingress, MessageEvent, compile_ruleset, decide,
                    decide_batch)
from engine.velocity import VelocityState
from rules import DEFAULT_RULESET_DIR, load_ruleset

snap = compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))

def signatures():
    out = {}
    for info in pkgutil.iter_modules(engine.__path__, "engine."):
        for name, value in vars(importlib.import_module(info.name)).items():
            if isinstance(value, CPUDispatcher):
                out[f"{info.name}.{name}"] = len(value.signatures)
    return out

texts = [FRAUD_TEXTS]
events = [MessageEvent(f"m{i}", "13912345678", "13800138000", t, Ingress.DOMESTIC)
          for i, t in enumerate(texts)]
events += [CallEvent("c", "95588", "13800138000", Ingress.INTERNATIONAL),
           CallEndedEvent("c", "17012345678", "13800138000", duration_ms=3000)]
state = VelocityState.create_local()
before = signatures()
for e in events:
    decide(snap, e, state)
snap.text_memo.clear()
decide_batch(snap, events * 3, state)
decide_batch(snap, events[:2], state)
decide_batch(snap, [e for e in events if type(e) is MessageEvent] * 8, state)  # the SMS lane
after = signatures()
print(json.dumps({k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}))
'''


def test_no_kernel_compiles_on_a_request() -> None:
    """Every kernel a decision calls was compiled (or loaded from the cache) while the
    snapshot was built, for the argument types requests bring: in a fresh process, the
    single and batch paths over texts that take every branch add no signature."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    texts = [FRAUD, "今晚一起吃饭吗", "兼职刷 单，日结佣金，安 全 账 户",
             "刷刷刷单 一三八零零一三八零零零", "恭喜您中獎了，請點擊領取",
             "加我微信 abc12345 领取补贴 ｈｔｔｐ://ｅｖｉｌ．ｃｏｍ \U0001f600",
             "有问题请致电 170-1234-5678 联系，QQ 12345678", "Your parcel has been delivered.",
             "工商银行账户异常 冻结 验证 点击 链接 安全账户 转账 公安局 涉嫌洗钱"]
    script = _NO_JIT_SCRIPT.replace("[FRAUD_TEXTS]", repr(texts))
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    compiled_on_request = json.loads(result.stdout.strip().splitlines()[-1])
    assert compiled_on_request == {}


def test_keyword_matches_equal_the_general_candidate_path(tmp_path: Path) -> None:
    """The keyword matcher's shortcut (every present term triggers the same rules: take
    them as they are, the earliest present span as their first hit) gives what the
    general path gives (the union of the terms' rules, each rule's own first hit), on a
    ruleset where both happen: a big list, combos sharing its terms, a none_of term."""
    rng = random.Random(11)
    words = sorted({"".join(rng.choice("刷单返利贷款验证码账户冻结客服") for _ in range(2))
                    for _ in range(60)})
    combos = "".join(
        f'[[rule]]\nid = "kw.c{i}"\nkind = "keyword"\naction = "score"\nscore = 5\n'
        f'category = "t"\nall_of = ["{words[i]}"]\nany_of = ["{words[i + 1]}", '
        f'"{words[i + 2]}"]\nnone_of = ["{words[-1]}"]\n\n' for i in range(0, 12, 3))
    root = write_ruleset(tmp_path, combos + (
        '[[rule]]\nid = "kw.list"\nkind = "keyword_list"\naction = "score"\nscore = 1\n'
        'category = "t"\nfile = "lists/words.txt"\n'), {"lists/words.txt": "\n".join(words[:-1])})
    snap = compile_ruleset(load_ruleset(root))
    (matcher,) = [m for m in snap.live if isinstance(m, KeywordMatcher)]
    texts = ["".join(rng.choice(words) + rng.choice(["", "，", "x"]) for _ in range(k))
             for k in rng.choices(range(1, 9), k=600)]
    shortcut = general = 0
    for i, text in enumerate(texts):
        ctx = build_context(sms(text, mid=f"m{i}"), snap.default_cc, None)
        prepare_texts([ctx], snap)
        assert ctx.prepared is not None
        present = matcher._present(matcher.scanner.scan(ctx.prepared.normalized.text))
        if not present:
            continue
        candidates = sorted({r for t in present for r in matcher.triggers[t]})
        expected = []
        for index in candidates:
            rule = matcher.rules[index]
            if rule.fires(present):
                start, end = ctx.original_span(*rule.first_hit(present)[1:])
                expected.append((rule.meta.id, text[start:end], start, end))
        got = [(m.rule_id, m.matched, m.start, m.end)
               for m in matcher._matches(ctx, matcher._fired(present))]
        assert got == expected, text
        many = len(present) > 1
        same = len({matcher.triggers[t] for t in present}) == 1
        shortcut += many and same
        general += many and not same
    assert shortcut > 50 and general > 50, (shortcut, general)


def test_the_batch_kernel_fires_the_rules_the_python_path_fires(tmp_path: Path) -> None:
    """``engine.keyword_rules`` (a batch's rules, evaluated in numba) gives every text the
    rules, order and first hits that ``KeywordMatcher._fired`` (one event's, in Python)
    gives it, on rules of every shape: keyword lists sharing terms, combos of 0-3 all_of,
    0-4 any_of (min_any 1 to all) and 0-2 none_of terms, overlapping terms of different
    lengths, repeated terms."""
    rng = random.Random(23)
    # Words of 1 to 4 characters: a longer word may start before a shorter one that ends
    # first, so a rule's first hit is not always its earliest-ending term's.
    words = sorted({"".join(rng.choice("刷单返利贷款验证码账户冻结客服") for _ in range(n))
                    for n in rng.choices((1, 2, 2, 3, 4), k=40)})
    rules = []
    for i in range(24):  # every shape: 0-3 all_of, 0-4 any_of, 0-2 none_of terms
        picked = [f'"{w}"' for w in rng.sample(words, 9)]
        n_all, n_any = rng.choice([(0, 1), (0, 3), (1, 0), (2, 0), (3, 0), (1, 2), (2, 4)])
        n_none = rng.randrange(3)
        lines = [f'[[rule]]\nid = "kw.c{i}"\nkind = "keyword"\naction = "score"\n'
                 f'score = 5\ncategory = "t"\n']
        if n_all:
            lines.append(f"all_of = [{', '.join(picked[:n_all])}]\n")
        if n_any:
            lines.append(f"any_of = [{', '.join(picked[3:3 + n_any])}]\n"
                         f"min_any = {rng.randint(1, n_any)}\n")
        if n_none:
            lines.append(f"none_of = [{', '.join(picked[7:7 + n_none])}]\n")
        rules.append("".join(lines) + "\n")
    lists = {f"lists/w{i}.txt": "\n".join(rng.sample(words, 15)) for i in range(3)}
    rules += [f'[[rule]]\nid = "kw.list{i}"\nkind = "keyword_list"\naction = "score"\n'
              f'score = 1\ncategory = "t"\nfile = "lists/w{i}.txt"\n\n' for i in range(3)]
    rng.shuffle(rules)  # lists among the combos: rule order is not kind order
    snap = compile_ruleset(load_ruleset(write_ruleset(tmp_path, "".join(rules), lists)))
    (matcher,) = [m for m in snap.live if isinstance(m, KeywordMatcher)]
    texts = list(dict.fromkeys(
        "".join(rng.choice(words) + rng.choice(["", "，", "x", "刷"]) for _ in range(k))
        for k in rng.choices(range(0, 12), k=1500)))
    pending = {text: [] for text in texts}
    assert len(pending) > SMALL_BATCH_EVENTS  # the kernel's path
    batch = matcher._scan(pending)  # type: ignore[arg-type]
    combos = empty = 0
    for text, fired in zip(texts, batch, strict=True):
        present = matcher._present(matcher.scanner.scan(text)) if text else {}
        assert fired == (matcher._fired(present) if present else []), text
        combos += any(not matcher.rules[r].is_list for r, _, _ in fired)
        empty += bool(present) and not fired  # terms present, yet no rule fired
    assert combos > 100 and empty > 3, (combos, empty)


def test_a_combination_that_normalizing_makes_unfireable_is_refused(tmp_path: Path) -> None:
    """The parser checks terms as written; normalized, 刷单 and 刷 单 are one any_of term
    (so min_any 2 is out of reach) and V信 is 微信 (required and forbidden at once). Both
    rules are refused together, each named with its file, line and field; a rule whose
    terms stay distinct compiles."""
    rule = '[[rule]]\nid = "{id}"\nkind = "keyword"\naction = "score"\nscore = 5\n{terms}\n\n'
    root = write_ruleset(tmp_path, "".join(rule.format(id=i, terms=t) for i, t in (
        ("kw.ok", 'any_of = ["刷单", "返利"]\nmin_any = 2'),
        ("kw.same_any", 'any_of = ["刷单", "刷 单"]\nmin_any = 2'),
        ("kw.same_none", 'all_of = ["V信"]\nnone_of = ["微信"]'))))
    with pytest.raises(RuleSetError) as info:
        compile_ruleset(load_ruleset(root))
    found = {(p.rule_id, p.field): p for p in info.value.problems}
    assert set(found) == {("kw.same_any", "min_any"), ("kw.same_none", "none_of")}
    assert "1 distinct terms once normalized, fewer than min_any 2" in found[
        ("kw.same_any", "min_any")].message
    assert "'微信' is the same as required ['V信']" in found[("kw.same_none", "none_of")].message
    assert all(p.file.endswith(".toml") and p.line > 0 for p in found.values())
    fine = write_ruleset(tmp_path / "fine", rule.format(id="kw.ok", terms='any_of = ["刷单", '
                                                        '"返利"]\nmin_any = 2'))
    assert decide(compile_ruleset(load_ruleset(fine)), sms("刷单返利")).score == 5


def test_a_term_in_both_all_of_and_any_of_reports_its_rule_once(tmp_path: Path) -> None:
    """The rule is one trigger of the term (it once was two: the match came out twice)."""
    root = write_ruleset(tmp_path, '[[rule]]\nid = "kw.both"\nkind = "keyword"\n'
                         'action = "score"\nscore = 5\ncategory = "t"\nall_of = ["验证"]\n'
                         'any_of = ["驗證", "码"]\n')
    snap = compile_ruleset(load_ruleset(root))
    for text in ("验证", "请验证码"):  # one present term, then two
        matches = decide(snap, sms(text)).matches
        assert [m.rule_id for m in matches] == ["kw.both"], text
