"""Number-plan validity of canonical digits: phonenumbers' answer without ``parse``.

``phonenumbers.parse("+" + digits)`` costs ~10 µs, most of it handling what
canonical digits never hold (formatting, extensions, phone-context, IDD
prefixes), and a call setup from a new caller pays it before any rule can say
the number is invalid. :func:`parsed` builds the same ``PhoneNumber`` from the
digits with the steps ``parse`` takes for such input, through phonenumbers' own
helpers (country code extraction, national prefix stripping, the length test
that decides whether to keep the stripped form, Italian leading zeros), so its
patterns and data decide as before. The validity test itself is phonenumbers'
public ``is_valid_number`` / ``is_valid_short_number``.

phonenumbers' own cache of compiled patterns is turned on, too: without it every
pattern test calls ``re.compile``, whose bounded cache the metadata's thousands of
patterns overflow (a +44 number 13.6 -> 9.9 µs, +86 6.9 -> 5.9).

The helpers are private to phonenumbers; if a release renames them, the module
falls back to ``parse`` (same answers, the old cost). ``tests/test_numberplan.py``
holds :func:`plan_valid` to the ``parse`` path on every country code.

>>> plan_valid("8613800138000"), plan_valid("8695588"), plan_valid("861380013800")
(True, True, False)
>>> parsed("442079460000").national_number
2079460000
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, re_util, shortnumberinfo

if hasattr(re_util, "enable_pattern_cache"):  # phonenumbers >= 9: answers are the same
    re_util.enable_pattern_cache()

try:
    from phonenumbers import phonenumberutil as _pnu

    _extract_country_code = _pnu._extract_country_code
    _strip_national_prefix = _pnu._maybe_strip_national_prefix_carrier_code
    _test_number_length = _pnu._test_number_length
    _set_leading_zeros = _pnu._set_italian_leading_zeros_for_phone_number
    _MIN_NSN, _MAX_NSN = _pnu._MIN_LENGTH_FOR_NSN, _pnu._MAX_LENGTH_FOR_NSN
    # parse keeps the number as it was when stripping its national prefix leaves one
    # of these lengths.
    _KEEP_UNSTRIPPED = frozenset({_pnu.ValidationResult.TOO_SHORT,
                                  _pnu.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
                                  _pnu.ValidationResult.INVALID_LENGTH})
    FAST = True
except (ImportError, AttributeError):  # pragma: no cover - a phonenumbers without them
    FAST = False


def parsed(digits: str) -> PhoneNumber | None:
    """``phonenumbers.parse("+" + digits)`` for ASCII digits, or None where it raises.

    >>> parsed("12") is None, parsed("99912345") is None  # too short; no such country
    (True, True)
    """
    if not FAST or not (digits.isascii() and digits.isdigit()):
        return _parse_slowly(digits)  # no helpers, or not canonical digits: parse decides
    if len(digits) <= _MIN_NSN:
        return None  # "+d" and "+dd": parse raises (TOO_SHORT_AFTER_IDD)
    country_code, national = _extract_country_code(digits)
    if country_code == 0:
        return None  # INVALID_COUNTRY_CODE
    if len(national) < _MIN_NSN:
        return None  # TOO_SHORT_NSN
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(
        country_code, phonenumbers.region_code_for_country_code(country_code))
    if metadata is not None:
        _, stripped, _ = _strip_national_prefix(national, metadata)
        if _test_number_length(stripped, metadata) not in _KEEP_UNSTRIPPED:
            national = stripped
    if not _MIN_NSN <= len(national) <= _MAX_NSN:
        return None  # TOO_SHORT_NSN / TOO_LONG
    number = PhoneNumber(country_code=country_code)
    _set_leading_zeros(national, number)
    number.national_number = int(national)
    return number


def _parse_slowly(digits: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None


def plan_valid(digits: str) -> bool:
    """Whether ``+digits`` is a valid number (or a valid short number) of its plan."""
    number = parsed(digits)
    return number is not None and bool(phonenumbers.is_valid_number(number)
                                       or shortnumberinfo.is_valid_short_number(number))
