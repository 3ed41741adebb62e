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

from rules.domains import normalize_domain
from rules.errors import Problem
from rules.phone import MAX_DIGITS, canonical_number, canonical_prefix, range_to_prefixes

MAX_PROBLEMS = 100  # stop collecting after this many: the file is clearly wrong


@njit(cache=True, nogil=True)
def _scan_plain_digit_lines(
    buf: npt.NDArray[np.uint8], max_lines: int,
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int8], npt.NDArray[np.int64],
    npt.NDArray[np.int64], npt.NDArray[np.int64],
]:
    """Split ``buf`` into lines; parse lines that are only 3-18 digits (not starting with 0).

    Returns (values, ndigits, plain_line_numbers, other_starts, other_line_numbers):
    the plain entries, and the byte offset and 1-based number of every other
    non-blank, non-comment line.
    """
    n = buf.size
    values = np.empty(max_lines, np.int64)
    ndigits = np.empty(max_lines, np.int8)
    plain_lines = np.empty(max_lines, np.int64)
    other_starts = np.empty(max_lines, np.int64)
    other_lines = np.empty(max_lines, np.int64)
    nv = 0
    no = 0
    pos = 0
    line = 0
    while pos < n:
        line += 1
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
        plain = buf[i] != 48 and 3 <= j - i <= 18  # no leading '0'
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
            values[nv] = v
            ndigits[nv] = j - i
            plain_lines[nv] = line
            nv += 1
        else:
            other_starts[no] = start
            other_lines[no] = line
            no += 1
    return values[:nv], ndigits[:nv], plain_lines[:nv], other_starts[:no], other_lines[:no]


def warm() -> None:
    """Compile (or load from cache) the list-file kernel."""
    _scan_plain_digit_lines(np.frombuffer(b"123\n+1\n", dtype=np.uint8), 3)


@dataclass
class NumberEntries:
    """What a number list file holds, as sorted unique int64 keys."""

    exact: npt.NDArray[np.int64]
    prefixes: npt.NDArray[np.int64]


_POW10 = np.array([10**i for i in range(19)], dtype=np.int64)


def sorted_unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.unique`` for int64 keys via one sort (several times faster at 10 M entries)."""
    if values.size == 0:
        return values.astype(np.int64)
    # Lists are often kept sorted; checking is ~50x cheaper than sorting again.
    ordered = values if bool(np.all(values[1:] >= values[:-1])) else np.sort(values)
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _canonicalise_plain(
    values: npt.NDArray[np.int64], ndigits: npt.NDArray[np.int8], default_cc: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Vectorised ``canonical_number`` for plain digit lines; returns (keys, ok)."""
    cc = int(default_cc)
    nd = ndigits.astype(np.intp)
    head = values // _POW10[np.maximum(nd - len(default_cc), 0)]
    already_international = (head == cc) & (nd >= len(default_cc) + 9)
    total = np.where(already_international, nd, nd + len(default_cc))
    ok = total <= MAX_DIGITS
    scale = _POW10[np.where(ok, nd, 0)]
    keys = np.where(already_international, values, cc * scale + values)
    return keys, ok


def read_number_list(data: bytes, rel: str, default_cc: str, problems: list[Problem],
                     rule_id: str) -> NumberEntries:
    """Parse a number list file's bytes; every bad line goes to ``problems`` with its line."""
    buf = np.frombuffer(data, dtype=np.uint8)
    # Copies, so the kernel's line-count-sized scratch arrays are freed at once.
    scanned = _scan_plain_digit_lines(buf, data.count(b"\n") + 1)
    values, ndigits, plain_lines = scanned[0].copy(), scanned[1].copy(), scanned[2].copy()
    other_starts, other_lines = scanned[3].copy(), scanned[4].copy()
    del scanned
    keys, ok = _canonicalise_plain(values, ndigits, default_cc)
    for bad in np.flatnonzero(~ok)[:MAX_PROBLEMS].tolist():
        problems.append(Problem(f"{int(values[bad])} is too long once the country code "
                                f"{default_cc} is added (at most {MAX_DIGITS} digits)",
                                file=rel, line=int(plain_lines[bad]), rule_id=rule_id))
    exact: list[int] = []
    prefixes: list[int] = []
    for start, line_no in zip(other_starts.tolist(), other_lines.tolist(), strict=True):
        end = data.find(b"\n", start)
        raw_line = data[start : end if end != -1 else len(data)]
        try:
            text = raw_line.decode("utf-8").split(" #", 1)[0].split("\t#", 1)[0].strip()
            if not text:
                continue
            _parse_number_entry(text, default_cc, exact, prefixes)
        except (ValueError, UnicodeDecodeError) as exc:
            if len(problems) < MAX_PROBLEMS:
                problems.append(Problem(str(exc), file=rel, line=line_no, rule_id=rule_id))
    all_exact = np.concatenate([keys[ok], np.asarray(exact, dtype=np.int64)])
    return NumberEntries(exact=sorted_unique(all_exact),
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
