"""engine.numberplan against phonenumbers' own parse path, on every country code."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType, shortnumberinfo
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from engine import numberplan
from engine.numberplan import parsed, plan_valid

_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
          PhoneNumberType.PREMIUM_RATE, PhoneNumberType.VOIP, PhoneNumberType.UAN)


def _parse(digits: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None


def _valid(digits: str) -> bool:
    number = _parse(digits)
    return number is not None and bool(phonenumbers.is_valid_number(number)
                                       or shortnumberinfo.is_valid_short_number(number))


def _random_numbers(rng: random.Random) -> list[str]:
    """Random national parts after every country code, some with a national prefix or
    leading zeros, and random digit strings of every length up to 18."""
    out = []
    for cc in sorted(COUNTRY_CODE_TO_REGION_CODE):
        for _ in range(25):
            head = rng.choice(["", "", "0", "00", "1", "9"])
            body = "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 15)))
            out.append(f"{cc}{head}{body}"[:18])
    out += ["".join(rng.choice("0123456789") for _ in range(n % 19)) for n in range(3000)]
    return out


def _near_valid_numbers(rng: random.Random) -> list[str]:
    """Every region's example numbers, their last digits changed, and with a national
    prefix inserted: most are valid, and the prefix exercises parse's stripping."""
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            cc = str(example.country_code)
            nsn = phonenumbers.national_significant_number(example)
            out += [cc + nsn, cc + "0" + nsn]
            for _ in range(3):
                k = rng.randrange(1, 4)
                out.append(cc + nsn[:-k] + "".join(rng.choice("0123456789") for _ in range(k)))
    return out


@pytest.mark.parametrize(("sample", "least_valid"), [(_random_numbers, 0.02),
                                                     (_near_valid_numbers, 0.4)])
def test_same_number_and_answer_as_parse(sample: object, least_valid: float) -> None:
    numbers = sample(random.Random(11))  # type: ignore[operator]
    valid = 0
    for digits in numbers:
        assert parsed(digits) == _parse(digits), digits
        answer = plan_valid(digits)
        assert answer == _valid(digits), digits
        valid += answer
    assert valid > least_valid * len(numbers)  # the sample holds valid numbers, not noise only


def test_edges() -> None:
    assert numberplan.FAST  # this phonenumbers has the helpers; else every call parses
    for digits in ("", "1", "12", "99912345", "0861380013800", "86" + "1" * 16):
        assert parsed(digits) == _parse(digits)
        assert plan_valid(digits) == _valid(digits)
    assert plan_valid("8613800138000") and plan_valid("8695588")  # mobile; short number
    assert not plan_valid("861380013800")
    # Not canonical digits: parse decides (full-width digits, a plus sign).
    assert plan_valid("８６１３８００１３８０００") == _valid("８６１３８００１３８０００")
    assert parsed("+8613800138000") == _parse("+8613800138000")
