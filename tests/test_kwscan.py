"""KeywordScanner against the pyahocorasick reference on generated text."""

from __future__ import annotations

import random
import sys

import numpy as np
import pytest

from bench.kw_hashtrie import HashTrieScanner
from engine.kwscan import KeywordScanner, reference_scan, warm

# A small alphabet makes overlaps, shared prefixes and suffixes frequent.
_CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 40)]
_ASCII = list("abcxyz019 .-")
_ASTRAL = ["\U0001f600", "\U0001f4b0", "\U00020000", "\ud800"]  # emoji, CJK ext B, lone surrogate
_ALPHABET = _CJK + _ASCII + _ASTRAL


def _random_terms(rng: random.Random, n: int) -> list[str]:
    terms: set[str] = set()
    while len(terms) < n:
        t = "".join(rng.choice(_ALPHABET) for _ in range(rng.choice([1, 1, 2, 2, 2, 3, 4, 6])))
        terms.add(t)
        if rng.random() < 0.3 and len(t) > 1:  # prefixes and suffixes of existing terms
            terms.add(t[: rng.randrange(1, len(t))])
            terms.add(t[rng.randrange(1, len(t)):])
    out = sorted(terms)
    rng.shuffle(out)
    return out


def _random_text(rng: random.Random, terms: list[str], n: int) -> str:
    parts: list[str] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.3 and terms:
            parts.append(rng.choice(terms))
        elif r < 0.35:
            parts.append(chr(rng.randrange(0x4E00, 0x9FFF)))  # a char in no term
        else:
            parts.append(rng.choice(_ALPHABET))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(6))
def test_scan_matches_reference(seed: int) -> None:
    rng = random.Random(seed)
    terms = _random_terms(rng, rng.choice([5, 60, 400]))
    sc = KeywordScanner.build(terms)
    assert len(sc) == len(terms)
    for _ in range(30):
        text = _random_text(rng, terms, rng.randrange(0, 80))
        assert sc.scan(text) == reference_scan(terms, text), text


def test_batch_equals_single_scans() -> None:
    rng = random.Random(42)
    terms = _random_terms(rng, 300)
    sc = KeywordScanner.build(terms)
    texts = [_random_text(rng, terms, rng.randrange(0, 40)) for _ in range(300)]
    texts[5] = ""
    msg, term, end = sc.scan_batch(texts)
    assert msg.dtype == term.dtype == end.dtype == np.int32
    got = list(zip(msg.tolist(), term.tolist(), end.tolist(), strict=True))
    want = [(i, t, e) for i, text in enumerate(texts) for t, e in reference_scan(terms, text)]
    assert got == want
    assert got == sorted(got, key=lambda m: (m[0], m[2], m[1]))


def test_matches_never_span_messages() -> None:
    sc = KeywordScanner.build(["ab"])
    msg, _, _ = sc.scan_batch(["xa", "by", "ab"])
    assert msg.tolist() == [2]


def test_overlapping_nested_and_repeated() -> None:
    terms = ["中奖", "中奖了", "奖", "奖了", "了", "恭喜中奖", "aa"]
    sc = KeywordScanner.build(terms)
    for text in ["恭喜中奖了中奖了", "aaaa", "奖奖奖", "恭喜恭喜中奖"]:
        assert sc.scan(text) == reference_scan(terms, text)
    assert sc.scan("aaaa") == [(6, 2), (6, 3), (6, 4)]


def test_astral_offsets_are_str_indices() -> None:
    terms = ["\U0001f4b0返现", "现"]
    sc = KeywordScanner.build(terms)
    text = "\U0001f600\U0001f4b0返现!"
    assert sc.scan(text) == [(0, 4), (1, 4)]
    assert text[4 - len(terms[0]):4] == terms[0]


def test_empty_inputs() -> None:
    empty = KeywordScanner.build([])
    assert len(empty) == 0
    assert empty.scan("任何文本") == []
    msg, term, end = empty.scan_batch(["a", ""])
    assert msg.size == term.size == end.size == 0
    sc = KeywordScanner.build(["x"])
    assert sc.scan("") == []
    assert [a.size for a in sc.scan_batch([])] == [0, 0, 0]
    assert reference_scan([], "abc") == []


def test_many_matches_grow_output() -> None:
    sc = KeywordScanner.build(["a", "aa", "aaa"])
    text = "a" * 5000
    assert sc.scan(text) == reference_scan(["a", "aa", "aaa"], text)


def test_batch_output_grows_between_walks_and_messages() -> None:
    """More hits than candidates: the batch kernel stops its walks, grows its output
    and resumes, at the start of a message or inside one, and loses or repeats nothing."""
    terms = ["a", "aa", "aaa", "ab", "b"]
    sc = KeywordScanner.build(terms)
    rng = random.Random(7)
    texts = ["a" * 40, "b", "a" * 3000, "", "ab" * 700, *("".join(rng.choice("abx") for _ in
             range(rng.randrange(0, 200))) for _ in range(200)), "a" * 9000]
    msg, term, end = sc.scan_batch(texts)
    got = list(zip(msg.tolist(), term.tolist(), end.tolist(), strict=True))
    want = [(i, t, e) for i, text in enumerate(texts) for t, e in reference_scan(terms, text)]
    assert len(want) > 3 * sum(map(len, texts)) // 2  # the output outgrew the candidates
    assert got == want
    # The benchmark's hashed-trie alternative grows its output between messages: the same.
    msg, term, end = HashTrieScanner.build(terms).scan_batch(texts)
    assert list(zip(msg.tolist(), term.tolist(), end.tolist(), strict=True)) == want


@pytest.mark.parametrize(("terms", "message"), [
    (["a", ""], "term 1 must be a non-empty string"),
    (["a", "b", "a"], "term 2 'a' is a duplicate"),
])
def test_build_rejects_bad_terms(terms: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeywordScanner.build(terms)


def test_large_term_list_realistic() -> None:
    rng = random.Random(7)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    terms = list({"".join(rng.choice(chars) for _ in range(rng.choice([2, 2, 3, 4])))
                  for _ in range(20_000)})
    sc = KeywordScanner.build(terms)
    texts = []
    for _ in range(200):
        parts = [rng.choice(terms) if rng.random() < 0.2 else rng.choice(chars)
                 for _ in range(rng.randrange(5, 40))]
        texts.append("".join(parts))
    msg, term, end = sc.scan_batch(texts)
    got = list(zip(msg.tolist(), term.tolist(), end.tolist(), strict=True))
    ref = [(i, t, e) for i, text in enumerate(texts) for t, e in reference_scan(terms, text)]
    assert got == ref


def test_single_scan_packs_few_hits_and_falls_back_for_more() -> None:
    """scan() answers none, one or two hits from an int the kernel returns, anything
    else (more hits, an end past 8,191 or a term id past 2**17) from the thread's
    scratch arrays, and more hits than those hold from the array kernel: every case
    equals the reference."""
    from engine import kwscan

    rng = random.Random(5)
    terms = _random_terms(rng, 60)
    sc = KeywordScanner.build(terms)
    seen_counts: set[int] = set()
    for _ in range(400):
        text = _random_text(rng, terms, rng.randrange(0, 12))
        want = reference_scan(terms, text)
        seen_counts.add(min(len(want), 3))
        assert sc.scan(text) == want, text
    assert seen_counts == {0, 1, 2, 3}
    far = "x" * 9000 + terms[0]  # a hit ending past what 13 bits hold
    assert sc.scan(far) == reference_scan(terms, far)
    many = [f"{i:06d}" for i in range((1 << kwscan._TERM_BITS) + 50)]
    big = KeywordScanner.build(many)
    text = f"id {many[-1]} and {many[3]}"
    assert big.scan(text) == reference_scan(many, text)
    assert big.scan(many[-1]) == [(len(many) - 1, 6)]
    single = KeywordScanner.build(["a"])
    for hits in (3, kwscan.SCRATCH_HITS, kwscan.SCRATCH_HITS + 1):  # the scratch's edge
        assert single.scan("a" * hits) == [(0, e) for e in range(1, hits + 1)]


def test_single_scans_on_threads_keep_their_own_hits() -> None:
    """Each thread writes its hits into its own scratch arrays."""
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(9)
    terms = _random_terms(rng, 40)
    sc = KeywordScanner.build(terms)
    texts = [_random_text(rng, terms, rng.randrange(3, 12)) for _ in range(2000)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads between the kernel and the read
    try:
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(sc.scan, texts))
    finally:
        sys.setswitchinterval(interval)
    assert got == [reference_scan(terms, t) for t in texts]


def test_warm_runs() -> None:
    warm()
