"""The extraction gate is sound: where it says no, extract finds nothing.

``gate(text) is False`` must imply ``extract(text) == []`` for every text; the gate
may say yes where extract finds nothing (that only costs the extraction).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from engine.extract import _VIEW_ASTRAL, _VIEW_BMP, extract
from engine.extract_gate import (
    _TABLE,
    ALWAYS,
    DEFANGED,
    DIGITS,
    DOTTED_QUAD,
    HOST_DOT,
    ID_RUN,
    SCHEME,
    may_extract,
    may_extract_batch,
    reasons,
    warm,
)
from engine.kwscan import encode_batch
from tests.evasion_table import EXTRACT_CASES, EXTRACT_NEGATIVES, NORMALIZE_CASES

# Pieces the fuzz strings are made of: everything the view folds or the pattern
# reads (cue words, schemes, dot forms, separators, numeral forms, invisibles),
# among ordinary Chinese words.
_CJK = list("你好的了在是为有我他这个们中来上大到说国和地也子时道出而要于就下得可过天去能对")
_CUE_CJK = ["微信", "威信", "薇信", "徽信", "v信", "V信", "加", "加 ", "号", "号码", "是", "为",
            "扣扣", "企鹅", "飞机", "纸飞机", "电报", "信", "机", "报", "微", "飞", "电", "扣"]
_WORDS = ["http", "https", "hxxp", "h**p", "h t tp", "ftp", "HTTP", "ｈｔｔｐ", "www", "WWW",
          "ｗｗｗ", "com", "cn", "top", "net", "c0m", "t0p", "xn--fiqs8s", "xn--", "me", "io",
          "jpg", "dot", "DOT", "qq", "QQ", "ＱＱ", "vx", "VX", "wx", "weixin", "wechat", "tg",
          "TG", "telegram", "id", "t.me/", "点", "元", "例子", "中国", "公司", "abc", "evil",
          "icbc", "scam_boss", "Abc-12", "x", "v", "+v", "+ v"]
_SEPS = [".", "。", "｡", "․", "﹒", "．", ":", "：", "/", "／", "//", "://", "：／／", "[", "]",
         "(", ")", "{", "}", "[.]", "(.)", "[dot]", "(dot)", "{dot}", "-", "－", "—", "‐",
         "_", "@", "+", "＋", " ", "  ", "　", "\u00a0", ",", "=", "?", "#", "\n", "¥"]
_NUMERALS = list("零〇一二三四五六七八九幺壹贰貳叁參肆伍陆陸柒捌玖")
_INVISIBLE = ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\U000e0041"]
_DIGIT_FORMS = "0123456789０１２３４５６７８９①②③⓪❶¹²³٣𝟏𝟐"


def _digits(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:  # phone-like: mobiles, landlines, service and international numbers
        body = rng.choice(["138", "139", "150", "0755", "010", "95588", "96", "400", "800",
                           "86", "0086", "+86", "+852", "00855", "1", "9"])
        return body + "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 10)))
    if r < 0.5:  # grouped with separators
        return rng.choice(["", "(", "+ "]) + "".join(
            "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 5)))
            + rng.choice([" ", "-", ".", "  ", "-.", ")", "一", "‐", ""])
            for _ in range(rng.randrange(1, 5))
        )
    if r < 0.6:  # dotted (IPs, versions, amounts)
        return ".".join(str(rng.randrange(0, 300)) for _ in range(rng.randrange(2, 6)))
    if r < 0.75:
        return "".join(rng.choice(_DIGIT_FORMS) for _ in range(rng.randrange(1, 12)))
    if r < 0.85:
        return "".join(rng.choice(_NUMERALS) for _ in range(rng.randrange(1, 12)))
    return str(rng.randrange(0, 10 ** rng.randrange(1, 30)))


def _letters(rng: random.Random) -> str:
    alphabet = rng.choice(["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-",
                           "abcxyz0123456789_-", "ａｂｃｘｙｚＡＢＣ"])
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 9)))


def fuzz_text(rng: random.Random) -> str:
    """A random string of the pieces above, 1-14 pieces long."""
    parts = []
    for _ in range(rng.randrange(1, 15)):
        r = rng.random()
        if r < 0.22:
            parts.append(rng.choice(_CJK))
        elif r < 0.32:
            parts.append(rng.choice(_CUE_CJK))
        elif r < 0.50:
            parts.append(rng.choice(_WORDS))
        elif r < 0.68:
            parts.append(rng.choice(_SEPS))
        elif r < 0.84:
            parts.append(_digits(rng))
        elif r < 0.97:
            parts.append(_letters(rng))
        else:
            parts.append(rng.choice(_INVISIBLE))
    return "".join(parts)


def _assert_sound(texts: list[str]) -> None:
    gate = may_extract_batch(texts)
    misses = [(t, extract(t)) for t, g in zip(texts, gate, strict=True) if not g and extract(t)]
    assert misses == [], misses[:5]


# ------------------------------------------------------------------ soundness

def test_class_table_is_extracts_view() -> None:
    """Every code point the gate reads as an ASCII character is that character in
    extract's view, and every one extract's view makes ASCII, the gate does too."""
    for cp in [*range(0xD800), *range(0xE000, 0x30000)]:
        view = _VIEW_BMP[cp] if cp < 0x10000 else ord(_VIEW_ASTRAL.get(cp, chr(cp)))
        code = int(_TABLE[cp])
        if code < 128 or view < 128:
            assert code == view, hex(cp)
    assert all(int(_TABLE[ord(c)]) == 255 for c in "\u200b\u2060\ufeff\u00ad")


def test_every_evasion_table_case_passes_the_gate() -> None:
    texts = [text for _, text, _, _ in EXTRACT_CASES]
    assert all(extract(t) for t in texts)
    assert may_extract_batch(texts).all()
    negatives = [t for t, _ in EXTRACT_NEGATIVES] + [d for _, d, _ in NORMALIZE_CASES]
    _assert_sound(negatives)


@pytest.mark.parametrize("seed", range(4))
def test_fuzz_extract_implies_gate(seed: int) -> None:
    rng = random.Random(seed)
    texts = [fuzz_text(rng) for _ in range(1500)]
    _assert_sound(texts)
    # the fuzz is not trivial: both answers occur, and extract finds things
    found = sum(1 for t in texts if extract(t))
    passed = int(may_extract_batch(texts).sum())
    assert 0.1 * len(texts) < found <= passed < len(texts)


@pytest.mark.parametrize(
    "text",
    [
        "137一5613一2795",  # 一 between digits is a dash
        "一三八零零一三八零零零",  # numeral run
        "壹叁捌零零壹叁捌零零零",
        "①③⑧⓪⓪①③⑧⓪⓪⓪",
        "𝟏𝟑𝟖𝟎𝟎𝟏𝟑𝟖𝟎𝟎𝟎",  # astral digits
        "致电9 5588",  # a service number split across groups
        "+ (852) 2345 6789",
        "00 855 12 345 678",
        "(0755)88888888",
        "QQ号码是 12345",
        "扣扣:1-2345",
        "加 v：scam_1",
        "+V abcdef",
        "wxid abcdef",
        "纸飞机 @abcde",
        "电报号: user_1",
        "http://例子.中国",
        "ｈｔｔｐ：／／ｅｖｉｌ．ｃｏｍ",
        "http ]:/ / evil . com",
        "h t tps://a.b",
        "www . evil . top",
        "evil [.] com",
        "evil [dot] com",
        "evil(DOT)com",
        "abc点com",
        "abc 点 com",
        "x.xn--fiqs8s",
        "1cbc.c0m",
        "t.me/another_one",
        "1.2.3.4",
        "1。2。3。4",
        "13800138000" + "1" * 20,  # a chain past the pattern's 25 digits
        "e\u200bvil.com",
        "\U000e0041",
    ],
)
def test_hard_forms_pass_the_gate(text: str) -> None:
    assert may_extract(text), (text, extract(text))


# ------------------------------------------------------------------ not trivially True

@pytest.mark.parametrize(
    "text",
    [
        "",
        "今晚一起吃饭吗？",
        "恭喜您获得一等奖，请尽快领取。",
        "价格xx元，欢迎光临。",
        "消费人民币327.62元",
        "日期2019.05.01",
        "订单号20191380099已发货",  # 11 digits, but no phone shape
        "您尾号7544卡29日16:39ATM支出(ATM取款)2,000元。",
        "文件 photo.jpg 已发送",
        "版本 v1.2.3",
        "3.5G网络",
        "iPhone 6 和 Google Play",
        "微信支付成功",
        "QQ群很热闹",
        "坐飞机去北京",
        "登陆网站领取",
        "一二 三四",
        "时间：2019/05/01",
        "价格85000元",
    ],
)
def test_ordinary_text_does_not_pass(text: str) -> None:
    assert extract(text) == []
    assert not may_extract(text)
    assert reasons([text]).tolist() == [0]


# ------------------------------------------------------------------ API

def test_reason_bits() -> None:
    cases = {
        "致电 138-0013-8000": DIGITS,
        "访问 evil.com": HOST_DOT,
        "服务器 45.76.1.2": DOTTED_QUAD,
        "x[dot]y": DEFANGED,
        "见 hp:// 后": SCHEME,
        "VX: scam_boss": ID_RUN,
        "a\u200bb": ALWAYS,
    }
    assert reasons(list(cases)).tolist() == list(cases.values())


def test_batch_forms_agree() -> None:
    rng = random.Random(99)
    texts = [fuzz_text(rng) for _ in range(300)] + ["", "a"]
    buf, starts = encode_batch(texts)
    batch = may_extract_batch(texts)
    assert batch.dtype == np.bool_ and batch.shape == (len(texts),)
    assert (may_extract_batch(buf=buf, starts=starts) == batch).all()
    assert [may_extract(t) for t in texts] == batch.tolist()
    assert may_extract_batch([]).shape == (0,)
    with pytest.raises(TypeError):
        reasons()


def test_lone_surrogates_and_far_code_points_pass() -> None:
    assert may_extract("\ud800") and may_extract("你\U00030000好")


def test_warm_runs() -> None:
    warm()
