"""Reading list files: one entry per line, ``#`` comments, millions of lines.

Number lists take the bulk of a carrier ruleset (tens of millions of lines),
so they are read with a numba kernel that parses the plain lines (digits only,
the overwhelming majority) straight from the file bytes into int64 keys; only
lines with anything else in them (``+``, separators, ``*`` prefixes, ``..``
ranges, trailing comments) go through Python. Domain and keyword lists are
small enough for plain Python.

Syntax of a number list line::

    13800138000            exact number (national, +CC, 00CC, 0 trunk forms all accepted)
    +86 138-0013-8000      the same number
    170*                   prefix (number segment); +855* is a country
    13800138000..13800138999   inclusive range, same length at both ends
    # comment               whole-line comment; "entry  # note" also works
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from rules.domains import MAX_DOMAIN_LENGTH, normalize_domain, plain_host_pattern
from rules.errors import Problem
from rules.phone import MAX_DIGITS, canonical_number, canonical_prefix, range_to_prefixes

MAX_PROBLEMS = 100  # stop collecting after this many: the file is clearly wrong


@njit(cache=True, nogil=True)
def _scan_number_lines(
    buf: npt.NDArray[np.uint8], max_lines: int, cc: int, cc_digits: int, max_digits: int,
) -> npt.NDArray[np.int64]:
    """Parse a number list's bytes in one pass, canonicalising plain lines on the way.

    A plain line is 3-18 ASCII digits, not starting with ``0``, that stays within
    18 digits once the country code is added (the overwhelming majority). For it the
    result holds the canonical number key, exactly as ``canonical_number`` computes
    it; for any other non-blank, non-comment line it holds ``-(byte offset + 1)`` so
    Python can parse that line. One int64 per entry and nothing else: the reload of a
    10 M-number list must stay within twice the steady memory. ``max_digits`` is
    ``rules.phone.MAX_DIGITS``, passed in: numba freezes a global's value into the cached
    machine code and would not notice it change in another file.
    """
    n = buf.size
    out = np.empty(max_lines, np.int64)
    count = 0
    pos = 0
    while pos < n:
        start = pos
        while pos < n and buf[pos] != 10:
            pos += 1
        end = pos
        pos += 1  # past the newline
        i = start
        while i < end and (buf[i] == 32 or buf[i] == 9):
            i += 1
        j = end
        while j > i and (buf[j - 1] == 32 or buf[j - 1] == 9 or buf[j - 1] == 13):
            j -= 1
        if i == j or buf[i] == 35:  # blank or '#'
            continue
        nd = j - i
        plain = buf[i] != 48 and 3 <= nd <= max_digits  # no leading '0'
        v = 0
        k = i
        while plain and k < j:
            c = buf[k]
            if c < 48 or c > 57:
                plain = False
            else:
                v = v * 10 + (c - 48)
            k += 1
        if plain:
            head = v
            for _ in range(nd - cc_digits):
                head //= 10
            if head == cc and nd >= cc_digits + 9:
                out[count] = v  # already international: 8613800138000
            elif nd + cc_digits <= max_digits:
                scale = 1
                for _ in range(nd):
                    scale *= 10
                out[count] = cc * scale + v  # national: 13800138000 -> 8613800138000
            else:
                out[count] = -(start + 1)  # too long with the country code: Python says so
        else:
            out[count] = -(start + 1)
        count += 1
    return out[:count]


def warm() -> None:
    """Compile (or load from cache) the list-file kernel."""
    _scan_number_lines(np.frombuffer(b"123\n+1\n", dtype=np.uint8), 3, 86, 2, MAX_DIGITS)


@dataclass
class NumberEntries:
    """What a number list file holds, as sorted unique int64 keys."""

    exact: npt.NDArray[np.int64]
    prefixes: npt.NDArray[np.int64]


def sorted_unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.unique`` for int64 keys via one in-place sort (several times faster at 10 M).

    ``values`` is sorted in place: pass an array you own.
    """
    if values.size == 0:
        return values.astype(np.int64)
    # Lists are often kept sorted; checking is ~50x cheaper than sorting again. The
    # caller hands over its array, so sorting happens in place (no second copy).
    ordered = values
    if not bool(np.all(ordered[1:] >= ordered[:-1])):
        ordered.sort()
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered if bool(keep.all()) else ordered[keep]  # no copy without duplicates


def read_number_list(data: bytes, rel: str, default_cc: str, problems: list[Problem],
                     rule_id: str) -> NumberEntries:
    """Parse a number list file's bytes; every bad line goes to ``problems`` with its line."""
    buf = np.frombuffer(data, dtype=np.uint8)
    scanned = _scan_number_lines(buf, data.count(b"\n") + 1, int(default_cc), len(default_cc),
                                 MAX_DIGITS)
    exact: list[int] = []
    prefixes: list[int] = []
    for start in (-scanned[scanned < 0] - 1).tolist():  # lines that need Python (few)
        end = data.find(b"\n", start)
        raw_line = data[start : end if end != -1 else len(data)]
        try:
            text = raw_line.decode("utf-8").split(" #", 1)[0].split("\t#", 1)[0].strip()
            if text:
                _parse_number_entry(text, default_cc, exact, prefixes)
        except (ValueError, UnicodeDecodeError) as exc:
            if len(problems) < MAX_PROBLEMS:
                problems.append(Problem(str(exc), file=rel, line=data.count(b"\n", 0, start) + 1,
                                        rule_id=rule_id))
    needs_python = scanned < 0
    plain = scanned[~needs_python] if needs_python.any() else scanned  # usually no copy
    del scanned, needs_python
    if exact:
        plain = np.concatenate([plain, np.asarray(exact, dtype=np.int64)])
    return NumberEntries(exact=sorted_unique(plain),
                         prefixes=sorted_unique(np.asarray(prefixes, dtype=np.int64)))


def _parse_number_entry(text: str, default_cc: str, exact: list[int], prefixes: list[int]) -> None:
    if text.endswith("*"):
        prefixes.append(int(canonical_prefix(text[:-1], default_cc)))
    elif ".." in text:
        lo_raw, hi_raw = text.split("..", 1)
        lo, hi = canonical_number(lo_raw, default_cc), canonical_number(hi_raw, default_cc)
        if len(lo) != len(hi):
            raise ValueError(f"range {text!r}: both ends must have the same number of digits")
        if int(lo) > int(hi):
            raise ValueError(f"range {text!r}: the first number is larger than the second")
        prefixes.extend(range_to_prefixes(int(lo), int(hi)))
    else:
        exact.append(int(canonical_number(text, default_cc)))


def iter_text_lines(data: bytes, rel: str, problems: list[Problem], rule_id: str
                    ) -> Iterator[tuple[int, str]]:
    """(line number, stripped text) for every non-blank, non-comment line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"not UTF-8 text: {exc}", file=rel, rule_id=rule_id))
        return
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield line_no, stripped


def read_domain_list(data: bytes, rel: str, problems: list[Problem],
                     rule_id: str) -> tuple[str, ...]:
    """Parse a domain list: one host per line; ``*.example.com`` is the same as ``example.com``.

    Entries keep their file order (first occurrence); duplicates are dropped.
    """
    fast = _plain_hosts(data)
    if fast is not None:
        return fast
    out: dict[str, None] = {}
    for line_no, text in iter_text_lines(data, rel, problems, rule_id):
        entry = text.split(" #", 1)[0].strip().removeprefix("*.")
        try:
            out[normalize_domain(entry)] = None
        except ValueError as exc:
            if len(problems) < MAX_PROBLEMS:
                problems.append(Problem(f"bad domain: {exc}", file=rel, line=line_no,
                                        rule_id=rule_id))
    return tuple(out)


def _plain_hosts(data: bytes) -> tuple[str, ...] | None:
    """The common case in one sweep: every line a plain ASCII host (or blank / comment).

    Returns None when any line needs the per-line path (IDN, ``*.``, trailing
    comments, errors), which then also reports line numbers.
    """
    if not data.isascii():
        return None
    lines = [line.strip() for line in data.decode("ascii").lower().splitlines()]
    hosts = [h for h in lines if h and h[0] != "#"]
    plain = plain_host_pattern().fullmatch
    if all(plain(h) and len(h) <= MAX_DOMAIN_LENGTH for h in hosts):
        return tuple(dict.fromkeys(hosts))
    return None


def read_keyword_list(data: bytes, rel: str, problems: list[Problem],
                      rule_id: str) -> tuple[str, ...]:
    """Parse a keyword list: one keyword per line (whole-line ``#`` comments only,
    since a keyword may itself contain ``#``)."""
    seen: dict[str, int] = {}
    for line_no, text in iter_text_lines(data, rel, problems, rule_id):
        seen.setdefault(text, line_no)
    return tuple(seen)


def read_lookalike_list(data: bytes, rel: str, problems: list[Problem]) -> dict[str, str]:
    """Parse a look-alike map: ``variant canonical`` per line, e.g. ``歀 款``.

    Keywords and message text both pass through the map, so a rule written with
    the canonical character also catches the variant.
    """
    out: dict[str, str] = {}
    for line_no, text in iter_text_lines(data, rel, problems, ""):
        parts = text.split()
        if len(parts) != 2 or parts[0] == parts[1]:
            problems.append(Problem("expected two different strings: 'variant canonical'",
                                    file=rel, line=line_no))
            continue
        variant, canonical = parts
        if variant in out and out[variant] != canonical:
            problems.append(Problem(f"{variant!r} is already mapped to {out[variant]!r}",
                                    file=rel, line=line_no))
            continue
        out[variant] = canonical
    return out
