"""The batch normalizer agrees exactly with Normalizer.normalize (text and offsets)."""

from __future__ import annotations

import random
from dataclasses import fields, replace

import numpy as np
import pytest

from engine import t2s
from engine.extract_gate import may_extract_one
from engine.normalize import Normalized, Normalizer, NormalizeSettings
from engine.textbatch import (
    CONTEXT,
    EXACT,
    FOLDED,
    SPECIAL,
    UNCHANGED,
    BatchNormalizer,
    encode_batch,
)
from tests.evasion_table import EXTRACT_CASES, NORMALIZE_CASES, NORMALIZE_NEGATIVES
from tests.opencc_text import dictionaries, mixed_texts

ALL_ON = NormalizeSettings()

# Pieces the fuzzer glues together: every trigger of the exact path, and plenty of
# ordinary text around them.
_PIECES = [
    "今晚", "一起", "吃饭", "验证码", "刷单", "贷款", "账户", "安全", "的", "了", "我", "你",
    " ", "  ", "，", "。", "！", "、", ",", ".", "/", "*", "#", "_", "@", "+", "❤", "😀",
    "a", "b", "V", "x", "vx", "VX", "ＶＸ", "Ｖ", "abc", "1", "23", "１２", "①", "⑩", "¹",
    "一", "三", "八", "零", "壹", "贰", "〇", "幺", "刷刷刷", "好好", "哈哈哈",
    "\u200b", "\u200d", "\ufeff", "\u0332", "\u3164", "驗證", "貸款", "乾淨", "歀", "薇信",
    "V信", "扌是", "代款", "菠菜", "\n", "\t", "【", "】", "(", ")", "𝐕", "𝟏", "\U00020000",
    "全.产.权", "红、黄、蓝", "验 证 码", "a b c", "3.5 元", "ﬁ", "…", "Ⅻ",
    "這個", "電話號碼", "個人資料", "發票", "頭髮", "乾隆", "後來", "ＶＸ號", "驗 證 碼", "裡",
]

# The context rules' corner cases: separator runs of 1-4, white space around sentence
# punctuation (the merge compares stripped runs), line breaks, underscores, numeral
# runs, stutters of numerals, letters and digits right after a run.
_CONTEXT_PIECES = [
    "刷", "单", "返", "利", "验", "证", "码", "a", "b", "Z", "1", "9", "零", "一", "三", "八",
    " ", "  ", "   ", "    ", "\u3000", "\t", "\n", "\r", "_", "__", "*", "**", "* *", "#",
    " # ", "@", "+", "=", "|", "^", "&", "$", "%", "\\", "`", "❤", "♥", "😀", "🀄",
    ".", ". ", " .", "!", "! ", "?", ";", ":", "/", " / ", "-", "~", "·", "…", ",", "、",
    "，", "。", "！", "【", "】", "“", "”", "(", ")", "[", "]", "<", ">", "'", '"',
    "刷刷刷", "刷刷", "一一一", "零零零零", "aaa", "哈哈哈哈", "一三八零", "壹贰叁",
    "\u200b", "\u200d", "\ufeff", "⑩", "⑳", "ﬁ", "…", "㎏", "½", "\u3164", "\u00ad",
]


def _context_fuzz(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_CONTEXT_PIECES) for _ in range(rng.randrange(1, 16)))
            for _ in range(n)]


def _fuzz(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randrange(0, 14))) for _ in range(n)]


def _key(r: Normalized) -> tuple[str, list[int], list[int], int]:
    return r.text, list(r.origin), list(r.ends), r.original_length


def _assert_same(normalizer: Normalizer, texts: list[str]) -> None:
    batch = BatchNormalizer(normalizer)
    got = batch.normalize_many(texts)
    assert len(got) == len(texts)
    for text, result in zip(texts, got, strict=True):
        expected = _key(normalizer.normalize(text))
        assert _key(result) == expected, repr(text)
        buf = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        one, code_points = batch.normalize_one(text, buf)
        assert _key(one) == expected, repr(text)  # the single-event path, too
        if code_points is not None:  # what the keyword scan reads instead of the text
            assert code_points.tobytes().decode("utf-32-le", "surrogatepass") == one.text
        # The decision path's form: the same, and the extraction gate's answer with it.
        prepared, prepared_points, may_extract = batch.prepare_one(text, buf)
        assert _key(prepared) == expected, repr(text)
        assert may_extract == may_extract_one(buf), repr(text)
        assert (prepared_points is None) == (code_points is None), repr(text)
        if prepared_points is not None and code_points is not None:
            assert np.array_equal(prepared_points, code_points), repr(text)


def _table_texts() -> list[str]:
    return ([c[1] for c in NORMALIZE_CASES] + [c[0] for c in NORMALIZE_NEGATIVES]
            + [c[1] for c in EXTRACT_CASES])


def test_evasion_table_matches_exact_path() -> None:
    _assert_same(Normalizer(ALL_ON), _table_texts())


def test_fuzzed_text_matches_exact_path() -> None:
    _assert_same(Normalizer(ALL_ON), _fuzz(5000, seed=7))


def test_context_rules_fuzz_matches_exact_path_and_takes_the_kernel() -> None:
    normalizer = Normalizer(ALL_ON)
    texts = _context_fuzz(6000, seed=17)
    _assert_same(normalizer, texts)
    # Not a vacuous pass: most of these reach the context kernel and stay there.
    batch = BatchNormalizer(normalizer)
    _, outcome = batch.fold_batch(*encode_batch(texts))
    kinds = outcome.tolist()
    assert kinds.count(CONTEXT) + kinds.count(SPECIAL) > len(texts) // 2
    edited = 0
    for text in texts:
        buf = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        result = batch._fold_text(text, buf, batch._classes, batch._trad_safe)
        edited += result is not None and isinstance(result[0].origin, list)
    assert edited > len(texts) // 4


def test_traditional_text_takes_the_fold_unless_a_phrase_occurs() -> None:
    """Traditional text from OpenCC's own dictionaries: whole phrases and their
    prefixes, phrases written with compatibility ideographs, the characters it converts,
    among context triggers. The fold converts it character by character where OpenCC
    would, and every outcome agrees with the exact path."""
    d = dictionaries()
    phrases, compat = d.phrases, d.compat
    # Characters that are, and convert to, BMP ones (an astral character sends the text
    # to the exact path, as it does before conversion).
    converter = t2s.load()
    assert converter is not None
    astral = {c for c in {*"".join(phrases), *d.characters}
              if ord(c) >= 0x10000 or ord(converter.convert(c)) >= 0x10000}
    characters = [c for c in d.characters if c not in astral]

    def filler(rng: random.Random) -> str:  # converted characters, or a context trigger
        if rng.random() < 0.53:
            return "".join(rng.choices(characters, k=rng.randrange(1, 4)))
        return rng.choice(_CONTEXT_PIECES)

    texts = mixed_texts(4000, 29, parts=(1, 9), phrase_rate=0.15, compat_rate=0.3,
                        prefix_rate=0.5, filler=filler)
    normalizer = Normalizer(ALL_ON)
    _assert_same(normalizer, texts)
    batch = BatchNormalizer(normalizer)
    _, outcome = batch.fold_batch(*encode_batch(texts))
    # Not vacuous: text holding no phrase, no compatibility ideograph and nothing astral
    # stays on the fold (traditional characters and all); text holding a phrase and a
    # character the fold would convert goes to OpenCC.
    hidden = set(compat.values())
    plain = [kind for text, kind in zip(texts, outcome.tolist(), strict=True)
             if not any(p in text for p in phrases)
             and not any(c in hidden or c in astral or ord(c) >= 0x10000 for c in text)]
    assert len(plain) > 1000 and plain.count(EXACT) <= len(plain) // 100
    with_phrase = [kind for text, kind in zip(texts, outcome.tolist(), strict=True)
                   if any(p in text for p in phrases)
                   and any(ord(c) < 0x10000 and batch._trad_safe[ord(c)] for c in text)]
    assert len(with_phrase) > 500 and set(with_phrase) == {EXACT}


def test_traditional_and_astral_text_matches_exact_path_on_the_fast_path() -> None:
    """Texts like bench/data.py's generated SMS, or fraud text disguised with rare
    characters (random ideographs: traditional ones, astral ones from Extension B on,
    among fold and context triggers), go through OpenCC and then the second fold, not
    the Python exact path, and still agree with it."""
    rng = random.Random(23)
    ideographs = [chr(rng.randrange(0x4E00, 0x9FA6)) for _ in range(400)]
    astral = [chr(rng.randrange(0x20000, 0x2B73A)) for _ in range(200)]
    traditional = ["這", "個", "電", "話", "號", "碼", "發", "後", "裡", "乾", "驗", "證"]
    pieces = ideographs + astral + traditional + ["，", " ", "ＶＸ", "12345", "!", "一三八"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(5, 60)))
             for _ in range(3000)]
    texts = [t for t in texts if any(ord(c) >= 0x10000 for c in t)]
    normalizer = Normalizer(ALL_ON)
    _assert_same(normalizer, texts)
    batch = BatchNormalizer(normalizer)
    _, outcome = batch.fold_batch(*encode_batch(texts))
    assert set(outcome.tolist()) == {EXACT}  # every astral text goes to OpenCC first
    slow = 0
    for text in texts:
        buf = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        slow += batch.normalize_one(text, buf)[1] is None  # None: normalize_simplified's
    assert slow < len(texts) // 20, (slow, len(texts))


@pytest.mark.parametrize("step", ["separators", "collapse_repeats", "digit_variants"])
def test_context_rules_fuzz_with_a_rule_off_matches_exact_path(step: str) -> None:
    settings = replace(ALL_ON, **{step: False})
    _assert_same(Normalizer(settings), _context_fuzz(2000, seed=len(step)))


@pytest.mark.parametrize("step", NormalizeSettings.STEP_NAMES)
def test_each_step_off_matches_exact_path(step: str) -> None:
    settings = replace(ALL_ON, **{step: False})
    _assert_same(Normalizer(settings), _table_texts() + _fuzz(1500, seed=hash(step) % 1000))


def test_every_step_off_matches_exact_path() -> None:
    settings = NormalizeSettings(**{f.name: False for f in fields(NormalizeSettings)})
    _assert_same(Normalizer(settings), _fuzz(1000, seed=3))


def test_ruleset_lookalikes_match_exact_path() -> None:
    normalizer = Normalizer(ALL_ON, {"菠菜": "博彩", "歺": "餐", "Ｖ": "微"})
    texts = ["玩菠菜赢钱", "歺厅", "加Ｖ", "加v", *_fuzz(1500, seed=11)]
    _assert_same(normalizer, texts)


def test_a_lookalike_the_character_folds_settle_is_no_multi_key() -> None:
    """With a ruleset's 薇 -> 微, the built-in "薇信" -> "微信" is settled by the
    character fold alone; kept as a key it would map 微信 to itself and send every
    message with the word 微信 down the exact path."""
    normalizer = Normalizer(ALL_ON, {"薇": "微"})
    assert normalizer.normalize("加薇信").text == "加微信"
    assert "微信" not in normalizer.fold_tables().multi_keys
    _, outcome = BatchNormalizer(normalizer).fold_batch(*encode_batch(["可加官方微信查询"]))
    assert outcome.tolist() == [UNCHANGED]


def test_plain_text_takes_the_fast_path_and_disguises_the_exact_one() -> None:
    batch = BatchNormalizer(Normalizer(ALL_ON))
    texts = ["今晚一起吃饭吗", "ＶＸ加我", "验#证#码", "刷刷刷单", "一三八零", "驗證碼",
             "刷\u200b单", "加薇信", "你好，我到了。", "你好我到了", "乾隆皇帝"]
    buf, starts = encode_batch(texts)
    _, outcome = batch.fold_batch(buf, starts)
    # Context rules (noise separators, stutters, numeral runs) and a look-alike key go to
    # the context kernel, and so does a removed invisible (SPECIAL: expanded first);
    # traditional characters are folded like any other, unless an OpenCC phrase occurs
    # (乾隆 keeps its 乾): then the exact path (OpenCC's phrases first).
    assert outcome.tolist() == [UNCHANGED, FOLDED, CONTEXT, CONTEXT, CONTEXT, FOLDED, SPECIAL,
                                CONTEXT, FOLDED, UNCHANGED, EXACT]  # ， folds to ,


def test_empty_batch_and_empty_text() -> None:
    batch = BatchNormalizer(Normalizer(ALL_ON))
    assert batch.normalize_many([]) == []
    assert _key(batch.normalize_many([""])[0]) == ("", [], [], 0)


def test_many_lookalike_keys_sharing_first_characters_match_exact_path() -> None:
    # Keys are looked up by their first character: several keys per first character,
    # keys that are prefixes of others, and text made of key pieces.
    rng = random.Random(13)
    pool = "菠菜博彩刷单返利加微信代款贷"
    lookalikes = {}
    for _ in range(300):
        key = "".join(rng.choice(pool) for _ in range(rng.randrange(2, 4)))
        lookalikes[key] = rng.choice(["赌博", "刷单", "微信"])
    normalizer = Normalizer(ALL_ON, lookalikes)
    texts = ["".join(rng.choice(pool + "，的 了") for _ in range(rng.randrange(0, 16)))
             for _ in range(2000)]
    _assert_same(normalizer, texts)


def test_lookalike_keys_take_the_kernel_and_match_exact_path() -> None:
    """Keys longer, shorter and as long as their values, keys that overlap or are prefixes
    of one another, values holding other keys' characters, keys that only appear once a
    context rule has merged a run (``V 信``) or removed noise, next to expanding folds:
    the kernel agrees with the exact path, and takes every such text the fold sends it."""
    rng = random.Random(29)
    pool = "扣微信刷单返利加代款"
    lookalikes: dict[str, str] = {"扣扣": "qq", "V信": "微信", "刷单返": "返利刷单啊",
                                  "单返": "单", "代款款": "贷款", "加扣": "加"}
    for _ in range(60):
        key = "".join(rng.choice(pool) for _ in range(rng.randrange(2, 5)))
        lookalikes.setdefault(key, "".join(rng.choice(pool + "xy") for _ in
                                           range(rng.randrange(1, 6))))
    normalizer = Normalizer(ALL_ON, lookalikes)
    pieces = [*pool, "V", "v", "ｖ", " ", "  ", "*", "#", "⑩", "\u200b", "，", "的", "今晚",
              "刷刷刷", "一三八", "扣 扣", "V 信", "代*款"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 14)))
             for _ in range(4000)]
    _assert_same(normalizer, texts)
    batch = BatchNormalizer(normalizer)
    for text in texts:
        buf = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        code_points = batch.normalize_one(text, buf)[1]
        assert code_points is not None, repr(text)  # the kernel, not normalize_simplified
    keys = normalizer.fold_tables().multi_keys
    # Not vacuous: many of the texts hold a key as they are.
    assert sum(any(k in text for k in keys) for text in texts) > len(texts) // 4
