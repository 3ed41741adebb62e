"""Number and domain canonicalisation."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from rules.domains import normalize_domain, parent_domains
from rules.phone import (
    _canonical,
    canonical_number,
    canonical_prefix,
    number_key,
    range_to_prefixes,
)

SAME_NUMBER = ["+86 138-0013-8000", "008613800138000", "13800138000", "8613800138000",
               "+86 (138) 0013 8000",
               "１３８００１３８０００", "＋86 138 0013 8000", "138.0013.8000"]


@pytest.mark.parametrize("raw", SAME_NUMBER)
def test_forms_of_one_mobile_number_are_equal(raw: str) -> None:
    assert canonical_number(raw) == "8613800138000"


@pytest.mark.parametrize(("raw", "expected"), [
    ("95555", "8695555"), ("110", "86110"), ("010 1234 5678", "861012345678"),
    ("+855 12 345 678", "85512345678"), ("0085512345678", "85512345678"),
    ("+1 202 555 0143", "12025550143"),
])
def test_canonical_forms(raw: str, expected: str) -> None:
    assert canonical_number(raw) == expected


@pytest.mark.parametrize(("raw", "why"), [
    ("", "empty"), ("abc", "not a phone number"), ("+999 1234", "country code"),
    ("1" * 25, "too long"), ("12", "too short"), ("138-0013-800x", "not a phone number"),
])
def test_bad_numbers_say_why(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        canonical_number(raw)


def test_other_default_country() -> None:
    assert canonical_number("2025550143", default_cc="1") == "12025550143"


def _key_or_error(raw: str, default_cc: str, key_of: Callable[[str, str], int]) -> int | str:
    try:
        return key_of(raw, default_cc)
    except ValueError as error:
        return f"ValueError: {error}"


@pytest.mark.parametrize("default_cc", ["86", "1", "44", "855"])
def test_number_key_fast_path_agrees_with_canonical_form(default_cc: str) -> None:
    # number_key reads plain digit strings inline; every such string (any length,
    # any leading digit, with or without the country code) must give the key the
    # canonical form gives, and a refused one the same error.
    rng = random.Random(default_cc)
    samples = ["", "0", "00", default_cc, "0" + default_cc, "+" + default_cc + "138"]
    for _ in range(3000):
        length = rng.randint(1, 20)
        head = rng.choice(["", "0", "00", default_cc, default_cc[:1], "9"])
        samples.append((head + "".join(rng.choices("0123456789", k=length)))[:21])
    for raw in samples:
        expected = _key_or_error(raw, default_cc, lambda r, cc: int(_canonical(r, cc)))
        assert _key_or_error(raw, default_cc, number_key) == expected, raw


def test_prefixes() -> None:
    assert canonical_prefix("+855") == "855"
    assert canonical_prefix("170") == "86170"
    assert canonical_prefix("0755") == "86755"
    with pytest.raises(ValueError):
        canonical_prefix("+")


def test_range_to_prefixes_covers_exactly() -> None:
    for lo, hi in [(1000, 1999), (1234, 5678), (1000, 1000), (9990, 9999), (1001, 1998)]:
        covered: set[int] = set()
        for p in range_to_prefixes(lo, hi):
            width = 4 - len(str(p))
            covered.update(range(p * 10**width, (p + 1) * 10**width))
        assert covered == set(range(lo, hi + 1))
    with pytest.raises(ValueError):
        range_to_prefixes(10, 5)


def test_domains() -> None:
    assert normalize_domain("Sub.Example.COM.") == "sub.example.com"
    assert normalize_domain("例子.测试") == "xn--fsqu00a.xn--0zwm56d"
    assert normalize_domain("icbc。com") == "icbc.com"
    assert list(parent_domains("a.b.c")) == ["a.b.c", "b.c", "c"]
    for bad in ["", "-bad-.com", "a..b", "x" * 64 + ".com", "has space.com"]:
        with pytest.raises(ValueError):
            normalize_domain(bad)
