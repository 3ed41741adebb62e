"""Text normalization: disguised forms meet their plain form, ordinary text stays apart."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from engine.normalize import (
    DEFAULT_LOOKALIKES,
    Normalized,
    Normalizer,
    NormalizeSettings,
    parse_lookalike_file,
)
from rules.errors import RuleSetError
from tests.evasion_table import NORMALIZE_CASES, NORMALIZE_NEGATIVES

ALL_ON = NormalizeSettings()


def _visible(s: str) -> str:
    edge = "".join(
        c for c in set(s) if c.isspace() or unicodedata.category(c) in ("Cf", "Mn", "Me", "Cc")
    )
    return s.strip(edge)


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer(ALL_ON)


def test_table_is_large_and_covers_every_technique() -> None:
    from tests.evasion_table import EXTRACT_CASES

    assert len(NORMALIZE_CASES) + len(EXTRACT_CASES) >= 100
    techniques = Counter(t for t, _, _ in NORMALIZE_CASES)
    for needed in (
        "separator",
        "width",
        "case",
        "nfkc",
        "t2s",
        "invisible",
        "repeat",
        "digits",
        "lookalike",
        "combined",
    ):
        assert techniques[needed] >= 3, needed


@pytest.mark.parametrize(
    ("technique", "disguised", "plain"),
    NORMALIZE_CASES,
    ids=[f"{t}:{d}" for t, d, _ in NORMALIZE_CASES],
)
def test_disguised_form_equals_plain_form(
    norm: Normalizer, technique: str, disguised: str, plain: str
) -> None:
    assert norm.normalize(disguised).text == norm.normalize_keyword(plain)


@pytest.mark.parametrize(
    ("technique", "disguised", "plain"),
    NORMALIZE_CASES,
    ids=[f"{t}:{d}" for t, d, _ in NORMALIZE_CASES],
)
def test_disguised_form_found_inside_a_sentence_maps_back(
    norm: Normalizer, technique: str, disguised: str, plain: str
) -> None:
    text = f"您好，{disguised}。谢谢"
    result = norm.normalize(text)
    keyword = norm.normalize_keyword(plain)
    at = result.text.find(keyword)
    assert at >= 0, (result.text, keyword)
    start, end = result.span_in_original(at, at + len(keyword))
    # The span covers the disguised form and nothing of the surrounding words (an
    # invisible character at either edge of the disguise may fall outside it).
    assert _visible(text[start:end]) == _visible(disguised), text[start:end]


@pytest.mark.parametrize(
    ("text", "keyword"), NORMALIZE_NEGATIVES, ids=[t for t, _ in NORMALIZE_NEGATIVES]
)
def test_ordinary_text_does_not_produce_the_keyword(
    norm: Normalizer, text: str, keyword: str
) -> None:
    assert norm.normalize_keyword(keyword) not in norm.normalize(text).text


def test_origin_has_one_entry_per_character_and_points_into_the_original(norm: Normalizer) -> None:
    for _, disguised, _ in NORMALIZE_CASES:
        text = f"前{disguised}后"
        r = norm.normalize(text)
        assert len(r.origin) == len(r.text)
        assert all(0 <= o < len(text) for o in r.origin)
        assert list(r.origin) == sorted(r.origin)
        assert r.text[0] == "前" and r.origin[0] == 0
        assert r.span_in_original(len(r.text) - 1, len(r.text)) == (len(text) - 1, len(text))


def test_reduplication_of_two_is_ordinary_chinese_and_kept(norm: Normalizer) -> None:
    assert norm.normalize("天天向上，爸爸妈妈").text == "天天向上,爸爸妈妈"
    assert norm.normalize("www.10000.cn").text == "www.10000.cn"


def test_span_of_a_collapsed_run_covers_the_whole_run(norm: Normalizer) -> None:
    text = "快刷刷刷单"
    r = norm.normalize(text)
    assert r.text == "快刷单"
    assert r.span_in_original(1, 3) == (1, 5)


def test_span_of_expanded_character_and_empty_spans(norm: Normalizer) -> None:
    r = norm.normalize("A⑩B")
    assert r.text == "a10b"
    assert r.span_in_original(1, 3) == (1, 2)
    assert r.span_in_original(4, 4) == (3, 3)
    with pytest.raises(IndexError):
        r.span_in_original(2, 9)


def test_clean_text_takes_the_fast_path_with_identity_offsets(norm: Normalizer) -> None:
    r = norm.normalize("您好请回电")
    assert r.text == "您好请回电"
    assert isinstance(r.origin, range)
    assert norm.normalize("").text == ""


# ------------------------------------------------------------------ switches

SWITCH_PROBES = {
    "nfkc": ("ＡＢＣ", "abc"),
    "casefold": ("ABC", "abc"),
    "t2s": ("驗證碼", "验证码"),
    "strip_invisible": ("快刷\u200b单了", "快刷单了"),
    "separators": ("刷 单", "刷单"),
    "collapse_repeats": ("刷刷刷单", "刷单"),
    "digit_variants": ("一三八零零一三八零零零", "13800138000"),
    "lookalikes": ("代歀", "贷款"),
}


def test_every_step_has_a_probe() -> None:
    assert set(SWITCH_PROBES) == set(NormalizeSettings.STEP_NAMES)


@pytest.mark.parametrize("step", NormalizeSettings.STEP_NAMES)
def test_each_switch_turns_its_step_off(step: str) -> None:
    disguised, folded = SWITCH_PROBES[step]
    assert Normalizer(ALL_ON).normalize(disguised).text == folded
    off = Normalizer(replace(ALL_ON, **{step: False})).normalize(disguised).text
    assert off != folded
    assert off == disguised or step in ("nfkc", "casefold")  # the other folds still run


def test_everything_off_is_the_identity() -> None:
    off = Normalizer(NormalizeSettings(**dict.fromkeys(NormalizeSettings.STEP_NAMES, False)))
    for _, disguised, _ in NORMALIZE_CASES:
        assert off.normalize(disguised).text == disguised


def test_keywords_fold_like_text(norm: Normalizer) -> None:
    assert norm.normalize_keyword("驗 證 碼") == "验证码"
    assert norm.normalize_keyword("ＶＸ") == "vx"
    assert norm.normalize_keyword("代歀") == "贷款"


def test_phrase_t2s_falls_back_safely_on_unencodable_text(norm: Normalizer) -> None:
    r = norm.normalize("驗\ud800證")  # lone surrogate: OpenCC cannot take it
    assert r.text == "验证"  # per-character t2s still ran; the surrogate acts as a separator


# ------------------------------------------------------------------ look-alikes


def test_administrator_lookalikes_extend_the_default_map() -> None:
    n = Normalizer(ALL_ON, {"菠菜": "博彩", "Ｖ": "微"})
    assert n.normalize("菠菜网站").text == "博彩网站"
    assert n.normalize("加v").text == "加微"
    assert n.normalize("代歀").text == "贷款"  # built-in entries still apply
    assert "歀" in DEFAULT_LOOKALIKES


def test_administrator_can_override_a_default_entry() -> None:
    assert Normalizer(ALL_ON, {"代款": "代款"}).normalize("代款").text == "代款"


def test_empty_lookalike_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Normalizer(ALL_ON, {"\u200b": "x"})


def test_parse_lookalike_file(tmp_path: Path) -> None:
    f = tmp_path / "lookalikes.txt"
    f.write_text("# variants\n歀 款\n\n菠菜 博彩   # gambling\n# 刷 单\n", encoding="utf-8")
    assert parse_lookalike_file(f) == {"歀": "款", "菠菜": "博彩"}


def test_parse_lookalike_file_reports_every_bad_line(tmp_path: Path) -> None:
    f = tmp_path / "lookalikes.txt"
    f.write_text("歀 款\n只有一列\n款 款\n歀 欵\n一二三四五六七八九 十\na b c\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        parse_lookalike_file(f)
    where = [(p.file, p.line) for p in info.value.problems]
    assert where == [(str(f), 2), (str(f), 3), (str(f), 4), (str(f), 5), (str(f), 6)]
    assert f"{f}:2:" in str(info.value)


def test_parse_lookalike_file_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00broken")
    with pytest.raises(RuleSetError) as info:
        parse_lookalike_file(bad)
    assert info.value.problems[0].file == str(bad)
    with pytest.raises(RuleSetError):
        parse_lookalike_file(tmp_path / "missing.txt")


def test_normalized_is_a_plain_value() -> None:
    r = Normalized("ab", range(2))
    assert r.span_in_original(0, 1) == (0, 1)
