"""Extraction of links, numbers and messenger IDs from SMS text, disguised forms included."""

from __future__ import annotations

import random

import pytest

from engine.extract import (
    SHORTLINK_HOSTS,
    Extracted,
    deconfuse_domain,
    deconfuse_readings,
    extract,
)
from rules.domains import normalize_domain
from rules.phone import canonical_number
from tests.evasion_table import EXTRACT_CASES, EXTRACT_NEGATIVES


@pytest.mark.parametrize(
    ("technique", "text", "kind", "value"),
    EXTRACT_CASES,
    ids=[f"{t}:{x}" for t, x, _, _ in EXTRACT_CASES],
)
def test_disguised_item_is_extracted(technique: str, text: str, kind: str, value: str) -> None:
    found = extract(text)
    assert (kind, value) in [(e.kind, e.value) for e in found], found
    for e in found:
        assert text[e.start : e.end] == e.raw
        assert e.raw.strip() == e.raw


@pytest.mark.parametrize(("text", "kind"), EXTRACT_NEGATIVES, ids=[t for t, _ in EXTRACT_NEGATIVES])
def test_nothing_of_that_kind_is_extracted(text: str, kind: str) -> None:
    assert [e for e in extract(text) if e.kind == kind] == []


def test_values_are_canonical_for_the_list_lookups() -> None:
    for e in extract("登录 HTTP://WWW.Evil.COM/x 或致电 +86 138 0013 8000"):
        if e.kind == "url":
            assert e.value == normalize_domain("www.evil.com") == e.host
        if e.kind == "phone":
            assert e.value == canonical_number("13800138000")


def test_offsets_point_into_the_original_text_with_invisible_characters() -> None:
    text = "请\u200b致电 1\u200b3800138000 或访问 evil\u200b.com"
    found = extract(text)
    phone = next(e for e in found if e.kind == "phone")
    assert phone.value == "8613800138000"
    assert text[phone.start : phone.end] == "1\u200b3800138000" == phone.raw
    domain = next(e for e in found if e.kind == "domain")
    assert domain.value == "evil.com" and domain.raw == "evil\u200b.com"


def test_results_are_sorted_and_deduplicated() -> None:
    found = extract("QQ:12345678 微信13800138000 http://t.cn/abc 13800138000")
    starts = [e.start for e in found]
    assert starts == sorted(starts)
    keys = [(e.kind, e.value, e.start) for e in found]
    assert len(keys) == len(set(keys))


def test_shortlinks_are_flagged() -> None:
    (link,) = [e for e in extract("详情 t.cn/R7t0CoD 。") if e.kind == "url"]
    assert link.shortlink and "t.cn" in SHORTLINK_HOSTS
    (plain,) = [e for e in extract("详情 http://evil.com/a") if e.kind == "url"]
    assert not plain.shortlink


def test_two_phones_separated_by_a_space_are_two_items() -> None:
    values = [e.value for e in extract("13800138000 13900139000") if e.kind == "phone"]
    assert values == ["8613800138000", "8613900139000"]


def test_digits_inside_a_url_are_not_phones() -> None:
    assert [e.kind for e in extract("http://evil.com/13800138000")] == ["url"]


def test_wechat_phone_id_is_also_a_phone() -> None:
    kinds = {(e.kind, e.value) for e in extract("微信 13800138000")}
    assert kinds == {("wechat", "13800138000"), ("phone", "8613800138000")}


def test_defanged_and_spaced_url_raw_is_as_written() -> None:
    (u,) = extract("hxxp://evil[.]com/x,")
    assert u == Extracted("url", "evil.com", "hxxp://evil[.]com/x", 0, 19, False, "evil.com")


def test_empty_and_plain_text() -> None:
    assert extract("") == []
    assert extract("您好，今天天气不错") == []


def test_bad_input_never_crashes() -> None:
    for text in [
        "\ud800",
        "http://",
        "http://-.com",
        "1" * 5000,
        "www." + "a" * 300 + ".com",
        "qq" * 1000,
        "一" * 2000,
        "[.]" * 100,
    ]:
        extract(text)


@pytest.mark.parametrize(
    ("host", "plain"),
    [
        ("1cbc.com", "icbc.com"),
        ("icbc.c0m", "icbc.com"),
        ("icbc-verify.t0p", "icbc-verify.top"),
        ("taoba0.com", "taobao.com"),
        ("10086.cn", "10086.cn"),
        ("1.2.3.4", "1.2.3.4"),
    ],
)
def test_deconfuse_domain(host: str, plain: str) -> None:
    assert deconfuse_domain(host) == plain


def test_deconfuse_readings_cover_both_meanings_of_one() -> None:
    assert "paypal.com" in deconfuse_readings("paypa1.com")
    assert "alipay.com" in deconfuse_readings("a1ipay.com")
    assert deconfuse_readings("evil.com") == ("evil.com",)
    assert len(deconfuse_readings("1111111111.com")) <= 8


_FUZZ_PIECES = [
    "http://", "hxxp://", "https ://", "www", ".", "点", "[.]", "(dot)", "com", "cn", "c0m",
    "icbc", "evil-pay", "xn--fiqs8s", "例子", "中国", "/x?id=1", ":8080", "qq", "QQ", "扣扣",
    "企鹅", "微信", "vx", "VX", "wx", "加v", "+v", "tg", "飞机", "纸飞机", "电报", "@", "号",
    "是", ":", "：", " ", "  ", "-", "(", ")", "+86", "0086", "138", "0013", "8000", "95588",
    "400", "1", "23", "456", "7890", "一三八", "零零", "元", "¥", "abc_123", "user_name",
    "h", "f", "ftp", "t.me/", "a", "Z", "的", "请", "登录", "您好", "\u200b", "１２３", "ｗｗｗ",
]


def test_candidate_scan_finds_exactly_what_finditer_finds() -> None:
    """``_matches_at`` over the start kernel's offsets skips positions where no
    alternative can start; it must yield the very matches ``_PATTERN.finditer`` yields,
    on any text."""
    import numpy as np

    from engine.extract import _PATTERN, _matches_at
    from engine.extract_starts import start_positions_one

    rng = random.Random(5)
    for _ in range(20_000):
        view = "".join(rng.choice(_FUZZ_PIECES) for _ in range(rng.randrange(1, 12))).lower()
        expected = [(m.span(), m.lastgroup) for m in _PATTERN.finditer(view)]
        offsets = start_positions_one(np.frombuffer(view.encode("utf-32-le", "surrogatepass"),
                                                    np.uint32)).tolist()
        assert [(m.span(), m.lastgroup) for m in _matches_at(view, offsets)] == expected, view


def test_digit_pattern_matches_like_the_whole_pattern_at_every_digit() -> None:
    """At a decimal digit ``_matches_at`` tries only the alternatives that can start
    there; at every digit offset of fuzzed views (raw text too: any ``\\d``) that must
    give the whole pattern's match: same span, same alternative, same groups."""
    from engine.extract import _DIGIT_PATTERN, _PATTERN, _view_of
    from tests.test_extract_gate import fuzz_text

    rng = random.Random(21)
    texts = ["".join(rng.choice(_FUZZ_PIECES) for _ in range(rng.randrange(1, 12)))
             for _ in range(6_000)] + [fuzz_text(rng) for _ in range(3_000)]
    tried = 0
    for view in {v for t in texts for v in (t, t.lower(), _view_of(t)[0])}:
        for p, c in enumerate(view):
            if not c.isdecimal():
                continue
            whole, digit = _PATTERN.match(view, p), _DIGIT_PATTERN.match(view, p)
            tried += 1
            if whole is None or digit is None:
                assert whole is digit, (view, p)
                continue
            assert (digit.span(), digit.lastgroup) == (whole.span(), whole.lastgroup), (view, p)
            assert digit.groupdict() == {k: whole.group(k) for k in digit.groupdict()}
    assert tried > 10_000


def test_start_kernel_keeps_every_position_where_the_pattern_matches() -> None:
    """Stronger than the finditer check: at EVERY offset where ``_PATTERN`` matches (also
    inside what finditer skips over), :mod:`engine.extract_starts` must keep the offset,
    on fuzzed views, fuzzed raw text (any ``\\d``, upper case) and the evasion table."""
    import numpy as np

    from engine.extract import _PATTERN, _view_of
    from engine.extract_starts import start_positions_batch, start_positions_one
    from engine.kwscan import encode_batch
    from tests.evasion_table import EXTRACT_CASES
    from tests.test_extract_gate import fuzz_text

    rng = random.Random(9)
    texts = ["".join(rng.choice(_FUZZ_PIECES) for _ in range(rng.randrange(1, 12)))
             for _ in range(6_000)]
    texts += [fuzz_text(rng) for _ in range(6_000)] + [t for _, t, _, _ in EXTRACT_CASES]
    views = [v for t in texts for v in (t, t.lower(), _view_of(t)[0])]
    offsets, bounds = start_positions_batch(*encode_batch(views))
    for i, view in enumerate(views):
        kept = offsets[bounds[i]:bounds[i + 1]].tolist()
        one = start_positions_one(np.frombuffer(view.encode("utf-32-le", "surrogatepass"),
                                                np.uint32)).tolist()
        assert one == kept, view
        matching = [p for p in range(len(view)) if _PATTERN.match(view, p)]
        assert set(matching) <= set(kept), (view, sorted(set(matching) - set(kept)))


def test_batch_views_equal_the_python_view() -> None:
    """The batch kernel's views, offset maps and candidate offsets are exactly
    ``_view_of``'s and ``start_positions_one``'s, text by text."""
    import numpy as np

    from engine.extract import _view_of, _view_tables
    from engine.extract_starts import start_positions_one, views_and_starts
    from engine.kwscan import encode_batch
    from tests.evasion_table import EXTRACT_CASES
    from tests.test_extract_gate import fuzz_text

    rng = random.Random(4)
    texts = [t for _, t, _, _ in EXTRACT_CASES] + [fuzz_text(rng) for _ in range(4_000)] + [
        "", "一", "1一2一3", "１一２", "一三八\u200b零零", "零一二三四五六七八九",
        "\ud800x\U0001d7cf", "\u200b\u200b", "a\U000e0041b", "壹贰叁 肆伍 陆陸柒捌玖幺"]
    view_buf, view_starts, origin, removed, offsets, bounds = views_and_starts(
        *encode_batch(texts), _view_tables())
    decoded = view_buf.tobytes().decode("utf-32-le", "surrogatepass")
    for i, text in enumerate(texts):
        view, kept = _view_of(text)
        a, b = int(view_starts[i]), int(view_starts[i + 1])
        assert decoded[a:b] == view, text
        assert (origin[a:b].tolist() if removed[i] else None) == kept, text
        one = start_positions_one(np.frombuffer(view.encode("utf-32-le", "surrogatepass"),
                                                np.uint32))
        assert offsets[bounds[i]:bounds[i + 1]].tolist() == one.tolist(), text


def test_extract_many_equals_extract() -> None:
    from engine.extract import extract_many
    from tests.evasion_table import EXTRACT_CASES
    from tests.test_extract_gate import fuzz_text

    rng = random.Random(3)
    texts = [t for _, t, _, _ in EXTRACT_CASES] + [fuzz_text(rng) for _ in range(3_000)]
    assert extract_many(texts) == [extract(t) for t in texts]
    assert extract_many([]) == []


def test_prefix_tree_tld_pattern_matches_the_flat_alternation() -> None:
    """``_TLD`` is built as a prefix tree (one step per character instead of one per TLD);
    it must match exactly the spans the flat ``a|b|c`` alternation of every TLD matches."""
    import re

    from engine.extract import _TLD, _TLDS

    flat = re.compile(rf"(?:{'|'.join(_TLDS)}|xn--[a-z0-9-]{{2,59}})(?![a-z0-9-])")
    tree = re.compile(_TLD)
    rng = random.Random(11)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-.x "
    texts = [*_TLDS, *(t + c for t in _TLDS for c in ".a-1 ")]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
              for _ in range(20_000)]
    for text in texts:
        for i in range(len(text)):
            a, b = flat.match(text, i), tree.match(text, i)
            assert (a and a.span()) == (b and b.span()), (text, i)


def _fuzz_digit_run(rng: random.Random) -> str:
    """Digit runs shaped like the ones SMS carry: phones (mobile, landline, service,
    international, with separators), amounts, dates, order numbers and mixtures."""
    starts = ["1", "13", "15", "18", "0", "010", "021", "0755", "00", "0086", "+", "+ ",
              "+86", "+1", "+855", "86", "95", "96", "400", "800", "2", "3", "5", "7", "9"]
    out = rng.choice(starts)
    for _ in range(rng.randrange(1, 5)):
        out += "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 12)))
        out += rng.choice(["", "", " ", "-", ".", " - ", "(", ")", "\u2013"])
    return out.rstrip(" -.()\u2013") or "1"


class _Everything:
    """A set holding every first character: with it, the screen turns nothing away."""

    def __contains__(self, item: object) -> bool:
        return True


def test_phone_screen_finds_what_classifying_every_candidate_finds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``_phone_spans`` skips candidates whose first character and length no phone has;
    on fuzzed digit runs it must find exactly the phones that classifying every
    candidate finds (and the screen must pass every number ``_classify`` accepts)."""
    import engine.extract as ex

    rng = random.Random(11)
    cases = [(_fuzz_digit_run(rng), rng.choice(["", "x", "¥", "电"]),
              rng.choice(["", "元", "x", "%"])) for _ in range(30_000)]
    with monkeypatch.context() as unscreened:  # every candidate goes to _classify
        unscreened.setattr(ex, "_PHONE_FIRST", _Everything())
        unscreened.setattr(ex, "_may_be_phone", lambda first, length: True)
        expected = [ex._phone_spans.__wrapped__(run, before, after, "86")
                    for run, before, after in cases]
    phones = 0
    for (run, before, after), found in zip(cases, expected, strict=True):
        assert ex._phone_spans.__wrapped__(run, before, after, "86") == found, run
        phones += len(found)
        digits = run.replace(" ", "").replace("-", "")
        if digits and ex._classify(digits, "86", "", ""):
            assert ex._may_be_phone(digits[0], len(digits)), digits
    assert phones > 5_000  # the fuzz reaches the branches that find phones
