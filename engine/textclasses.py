"""Character classes of the exact normalization path, as tables for numba kernels.

:mod:`engine.textbatch` (the fold) and :mod:`engine.textcontext` (the context rules)
look characters up here instead of running the regexes of :mod:`engine.normalize`;
the tables are computed *with* those regexes, so the two cannot disagree on what a
word, a separator or a noise symbol is.

>>> classes = static_classes()
>>> bool(classes[ord("验")] & CJK_BIT), bool(classes[ord("*")] & NOISE_BIT)
(True, True)
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numba import njit

from engine.kwscan import every_character
from engine.normalize import _CJK, _CN_DIGITS, _NOISE, _SEP, _TOKEN, _WORD

Int64Array = npt.NDArray[np.int64]
UInt8Array = npt.NDArray[np.uint8]
UInt32Array = npt.NDArray[np.uint32]

# Class tables cover every code point up to the end of the CJK extension blocks;
# anything above goes to the exact path.
TABLE_SIZE = 0x32000
WORD_BIT, TOKEN_BIT, SEP_BIT, CJK_BIT, NOISE_BIT, CN_DIGIT_BIT, EXACT_BIT = (
    1, 2, 4, 8, 16, 32, 64)  # fmt: skip
KEY_START_BIT = 128  # the first character of a multi-character look-alike


@lru_cache(maxsize=1)
def static_classes() -> UInt8Array:
    """Regex character classes per code point (``*_BIT``), from the exact path's regexes."""
    every = every_character(TABLE_SIZE)
    classes = np.zeros(TABLE_SIZE, dtype=np.uint8)
    for bit, pattern in (
        (WORD_BIT, _WORD), (TOKEN_BIT, _TOKEN), (SEP_BIT, _SEP), (CJK_BIT, f"[{_CJK}]"),
        (NOISE_BIT, f"[{_NOISE}]"),
    ):  # fmt: skip
        hits = [ord(m.group()) for m in re.finditer(pattern, every)]
        classes[np.array(hits, dtype=np.int64)] |= bit
    for c in _CN_DIGITS:
        classes[ord(c)] |= CN_DIGIT_BIT
    classes[0xD800:0xE000] = EXACT_BIT  # lone surrogates: let the exact path decide
    return classes


@njit(cache=True, nogil=True, inline="always")
def has(classes: UInt8Array, c: np.uint32, bit: int) -> bool:
    return bool((classes[c] & bit) != 0)


@njit(cache=True, nogil=True)
def longest_key_at(t: UInt32Array, n: int, i: int, key_buf: UInt32Array,
                   key_starts: Int64Array) -> int:
    """The index of the longest look-alike key that starts at ``t[i]`` and ends within
    ``t[:n]``, or -1 (keys sorted by first character). Longest, as the exact path's
    alternation of keys sorted by length, longest first, picks it."""
    c = t[i]
    lo, hi = 0, len(key_starts) - 1
    while lo < hi:  # the first key whose first character is >= c
        mid = (lo + hi) // 2
        if key_buf[key_starts[mid]] < c:
            lo = mid + 1
        else:
            hi = mid
    best, best_length = -1, 0
    for j in range(lo, len(key_starts) - 1):
        a, b = key_starts[j], key_starts[j + 1]
        if key_buf[a] != c:
            break
        if b - a <= best_length or i + (b - a) > n:
            continue
        same = True
        for x in range(1, b - a):
            if t[i + x] != key_buf[a + x]:
                same = False
                break
        if same:
            best, best_length = j, b - a
    return best
