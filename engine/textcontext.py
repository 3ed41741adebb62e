"""The exact path's context rules as one numba pass over a folded message.

After the character fold (:mod:`engine.textbatch`), what still sends most messages
down the Python exact path (:meth:`engine.normalize.Normalizer.normalize_simplified`)
is a context rule: a noise symbol between two ideographs (``刷*单``), an
isolated-character run (``验 证 码``), a stutter (``刷刷刷``) or a run of Chinese
numerals (``一三八``). :func:`apply_context` applies those rules to a message's
folded code points in the exact path's order, with the same regex semantics
(``finditer``: leftmost match, resume after it; greedy repetition with
backtracking), and carries each character's origin span as
``engine.normalize._apply`` does.

The multi-character look-alikes (``V信`` -> ``微信``), the exact path's last step, are
applied last here too. They used to send their messages down the exact path: in
``bench/bench_decide.py``'s single decisions on the real Chinese corpus, two such
messages (``扣扣``, ``V信``) were among the slowest 50 of 5,000, their text preparation
42-50 µs (12 µs warm; 7 µs in this kernel).
``tests/test_textbatch.py`` holds both paths equal on the evasion table and on
fuzzed text built from every trigger.

>>> from engine.normalize import NormalizeSettings, Normalizer
>>> from engine.textbatch import BatchNormalizer
>>> r = BatchNormalizer(Normalizer(NormalizeSettings())).normalize_many(["验 证 码"])[0]
>>> r.text, list(r.origin)
('验证码', [0, 2, 4])
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numba import njit

from engine.kwscan import every_character
from engine.normalize import _CN_DIGITS, _ENUMERATION, _SENTENCE_PUNCT
from engine.textclasses import (
    CJK_BIT,
    CN_DIGIT_BIT,
    KEY_START_BIT,
    NOISE_BIT,
    SEP_BIT,
    TABLE_SIZE,
    TOKEN_BIT,
    WORD_BIT,
    has,
    longest_key_at,
)

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
UInt8Array = npt.NDArray[np.uint8]
UInt32Array = npt.NDArray[np.uint32]

# Per-character facts the isolated-run merge needs (``engine.normalize._merge_run``).
SENTENCE_BIT, ENUMERATION_BIT, SPACE_BIT = 1, 2, 4

# In the length-changing fold table: no replacement, but the exact path's detector fires
# (every astral character does, once some astral character expands).
DETECTED = -2

# What apply_context returns besides a length.
NO_EDIT = -1  # no rule changed the text: it is the folded text, offsets unchanged


@lru_cache(maxsize=1)
def context_tables() -> tuple[UInt8Array, UInt32Array]:
    """The merge facts per code point (``*_BIT``), and each Chinese numeral's ASCII digit
    (0 for other characters); both from the exact path's own sets."""
    facts = np.zeros(TABLE_SIZE, dtype=np.uint8)
    for c in _SENTENCE_PUNCT:
        facts[ord(c)] |= SENTENCE_BIT
    for c in _ENUMERATION:
        facts[ord(c)] |= ENUMERATION_BIT
    spaces = [ord(c) for c in every_character(TABLE_SIZE) if c.isspace()]  # what strip() strips
    facts[np.array(spaces, dtype=np.int64)] |= SPACE_BIT
    digits = np.zeros(TABLE_SIZE, dtype=np.uint32)
    for c, d in _CN_DIGITS.items():
        digits[ord(c)] = ord(d)
    return facts, digits


@njit(cache=True, nogil=True)
def _strong_separators(s: UInt32Array, so: Int64Array, se: Int64Array, n: int,
                       d: UInt32Array, do: Int64Array, de: Int64Array,
                       classes: UInt8Array) -> int:
    """``_STRONG_SEP_RE`` = ``(?<=CJK) ?[NOISE][NOISE ]{0,2}(?=CJK)``, every match deleted:
    ``s[:n]`` into ``d``; returns the new length."""
    o = 0
    p = 0
    while p < n:
        if p > 0 and has(classes, s[p - 1], CJK_BIT):
            q = p + 1 if s[p] == 32 else p
            if q < n and has(classes, s[q], NOISE_BIT):
                r = q + 1
                run = 0  # [NOISE ] characters after the first noise symbol (at most 2 fit)
                while r + run < n and run < 3 and (
                        has(classes, s[r + run], NOISE_BIT) or s[r + run] == 32):
                    run += 1
                # Greedy {0,2} backs off one by one, but a shorter run ends on a noise
                # symbol or a space, never on the ideograph the look-ahead wants.
                if run <= 2 and r + run < n and has(classes, s[r + run], CJK_BIT):
                    p = r + run  # deleted; finditer resumes at the ideograph
                    continue
        d[o], do[o], de[o] = s[p], so[p], se[p]
        o += 1
        p += 1
    return o


@njit(cache=True, nogil=True)
def _same_stripped(s: UInt32Array, a0: int, a1: int, b0: int, b1: int,
                   facts: UInt8Array) -> bool:
    """``s[a0:a1].strip() == s[b0:b1].strip()``."""
    while a0 < a1 and (facts[s[a0]] & SPACE_BIT) != 0:
        a0 += 1
    while a1 > a0 and (facts[s[a1 - 1]] & SPACE_BIT) != 0:
        a1 -= 1
    while b0 < b1 and (facts[s[b0]] & SPACE_BIT) != 0:
        b0 += 1
    while b1 > b0 and (facts[s[b1 - 1]] & SPACE_BIT) != 0:
        b1 -= 1
    if a1 - a0 != b1 - b0:
        return False
    same = True
    for k in range(a1 - a0):  # a loop: numba compiles no generator for all()
        if s[a0 + k] != s[b0 + k]:
            same = False
            break
    return same


@njit(cache=True, nogil=True)
def _merges(s: UInt32Array, start: int, end: int, classes: UInt8Array,
            facts: UInt8Array) -> bool:
    """``_merge_run(s[start:end])`` for a run of single tokens and separator runs."""
    punct = False
    enumeration = False
    for k in range(start, end):
        if has(classes, s[k], SEP_BIT):
            punct = punct or (facts[s[k]] & SENTENCE_BIT) != 0
            enumeration = enumeration or (facts[s[k]] & ENUMERATION_BIT) != 0
    if not punct:
        return True
    if enumeration:
        return False
    # 2+ separator runs, all the same once stripped of white space.
    first0 = start + 1
    first1 = first0
    while first1 < end and has(classes, s[first1], SEP_BIT):
        first1 += 1
    k = first1 + 1  # past the token after the first run
    runs = 1
    while k < end:
        k1 = k
        while k1 < end and has(classes, s[k1], SEP_BIT):
            k1 += 1
        runs += 1
        if not _same_stripped(s, first0, first1, k, k1, facts):
            return False
        k = k1 + 1
    return runs >= 2


@njit(cache=True, nogil=True)
def _isolated_runs(s: UInt32Array, so: Int64Array, se: Int64Array, n: int,
                   d: UInt32Array, do: Int64Array, de: Int64Array,
                   classes: UInt8Array, facts: UInt8Array) -> int:
    """``_ISOLATED_RUN_RE`` = ``(?<!WORD)TOKEN(?:SEP{1,3}TOKEN)+(?!WORD)``; the separator
    runs of each match that ``_merge_run`` accepts are deleted. Returns the new length."""
    o = 0
    p = 0
    while p < n:
        if has(classes, s[p], TOKEN_BIT) and (p == 0 or not has(classes, s[p - 1], WORD_BIT)):
            # The longest chain of (SEP{1,3} TOKEN): tokens and separators are disjoint
            # classes, so each repetition has exactly one way to match.
            end = p + 1
            before_last = -1  # the chain's end one repetition earlier
            reps = 0
            while True:
                k = end
                while k < n and k - end < 4 and has(classes, s[k], SEP_BIT):
                    k += 1
                if 1 <= k - end <= 3 and k < n and has(classes, s[k], TOKEN_BIT):
                    before_last = end
                    end = k + 1
                    reps += 1
                else:
                    break
            # (?!WORD): only the last token can be followed by a word character (the
            # others are followed by separators); backtracking then drops it.
            if reps > 0 and end < n and has(classes, s[end], WORD_BIT):
                reps -= 1
                end = before_last
            if reps > 0:
                merge = _merges(s, p, end, classes, facts)
                for k in range(p, end):
                    if not (merge and has(classes, s[k], SEP_BIT)):
                        d[o], do[o], de[o] = s[k], so[k], se[k]
                        o += 1
                p = end  # finditer resumes after the match, merged or not
                continue
        d[o], do[o], de[o] = s[p], so[p], se[p]
        o += 1
        p += 1
    return o


@njit(cache=True, nogil=True)
def _repeats(s: UInt32Array, so: Int64Array, se: Int64Array, n: int,
             d: UInt32Array, do: Int64Array, de: Int64Array, classes: UInt8Array) -> int:
    """``_REPEAT_RE`` = ``([CJK])\\1{2,}`` -> the character once (not for Chinese numerals,
    whose runs are numbers); the kept character spans the whole run."""
    o = 0
    p = 0
    while p < n:
        c = s[p]
        run = 1
        if has(classes, c, CJK_BIT):
            while p + run < n and s[p + run] == c:
                run += 1
        if run >= 3 and not has(classes, c, CN_DIGIT_BIT):
            d[o], do[o], de[o] = c, so[p], se[p + run - 1]
            o += 1
        else:
            for k in range(p, p + run):
                d[o], do[o], de[o] = s[k], so[k], se[k]
                o += 1
        p += run
    return o


@njit(cache=True, nogil=True)
def _numeral_runs(s: UInt32Array, n: int, classes: UInt8Array, digits: UInt32Array) -> bool:
    """``_CN_NUMBER_RE`` = ``[numerals]{3,}`` -> ASCII digits, in place (one character
    each, so every offset stays). Returns whether anything changed."""
    changed = False
    p = 0
    while p < n:
        run = 0
        while p + run < n and has(classes, s[p + run], CN_DIGIT_BIT):
            run += 1
        if run >= 3:
            for k in range(p, p + run):
                s[k] = digits[s[k]]
            changed = True
        p += run if run > 0 else 1
    return changed


@njit(cache=True, nogil=True)
def _expand(t: UInt32Array, special: Int32Array, special_buf: UInt32Array,
            special_starts: Int64Array
            ) -> tuple[UInt32Array, Int64Array, Int64Array, int, bool]:
    """The length-changing folds (``⑩`` -> ``10``, invisible -> nothing) applied to ``t``
    with their offsets, as ``_apply`` carries them: every character of a replacement
    spans the one it replaces. Returns text, origins, ends (arrays of room for the
    later steps), the length and whether any applied."""
    n = len(t)
    size = 0
    for i in range(n):
        k = special[t[i]]
        size += 1 if k < 0 else special_starts[k + 1] - special_starts[k]
    s = np.empty(max(size, n), dtype=np.uint32)
    so = np.empty(len(s), dtype=np.int64)
    se = np.empty(len(s), dtype=np.int64)
    o = 0
    expanded = False
    for i in range(n):
        k = special[t[i]]
        if k < 0:
            s[o], so[o], se[o] = t[i], i, i + 1
            o += 1
            # DETECTED: the exact path's detector fires on it and re-maps the offsets
            # (as a list) without replacing anything.
            expanded = expanded or k == DETECTED
            continue
        expanded = True
        for x in range(special_starts[k], special_starts[k + 1]):
            s[o], so[o], se[o] = special_buf[x], i, i + 1
            o += 1
    return s, so, se, o, expanded


@njit(cache=True, nogil=True)
def _lookalike_keys(s: UInt32Array, so: Int64Array, se: Int64Array, n: int,
                    classes: UInt8Array, key_buf: UInt32Array, key_starts: Int64Array,
                    value_buf: UInt32Array, value_starts: Int64Array
                    ) -> tuple[UInt32Array, Int64Array, Int64Array, int, bool]:
    """The exact path's last step: each leftmost, then longest, key in ``s[:n]`` replaced
    by its value, scanning on after it (``re.finditer`` over the keys, longest first),
    offsets carried as ``engine.normalize._apply`` carries them. Returns the text,
    origins, ends, length and whether any key was replaced (else the inputs)."""
    size, i, found = 0, 0, False
    while i < n:  # first pass: the result's length (a value may be longer than its key)
        j = longest_key_at(s, n, i, key_buf, key_starts) \
            if has(classes, s[i], KEY_START_BIT) else -1
        if j < 0:
            size += 1
            i += 1
        else:
            found = True
            size += value_starts[j + 1] - value_starts[j]
            i += key_starts[j + 1] - key_starts[j]
    if not found:
        return s, so, se, n, False
    d = np.empty(size, dtype=np.uint32)
    do = np.empty(size, dtype=np.int64)
    de = np.empty(size, dtype=np.int64)
    i = o = 0
    while i < n:
        j = longest_key_at(s, n, i, key_buf, key_starts) \
            if has(classes, s[i], KEY_START_BIT) else -1
        if j < 0:
            d[o], do[o], de[o] = s[i], so[i], se[i]
            i += 1
            o += 1
            continue
        length = key_starts[j + 1] - key_starts[j]
        v0, v1 = value_starts[j], value_starts[j + 1]
        for x in range(v1 - v0):
            d[o + x] = value_buf[v0 + x]
            if v1 - v0 == length:  # the same length: each character keeps its own span
                do[o + x], de[o + x] = so[i + x], se[i + x]
            else:  # otherwise each spans the whole key
                do[o + x], de[o + x] = so[i], se[i + length - 1]
        o += v1 - v0
        i += length
    return d, do, de, size, True


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def apply_context(t: UInt32Array, classes: UInt8Array, facts: UInt8Array, digits: UInt32Array,
                  special: Int32Array, special_buf: UInt32Array, special_starts: Int64Array,
                  key_buf: UInt32Array, key_starts: Int64Array, value_buf: UInt32Array,
                  value_starts: Int64Array, rules: npt.NDArray[np.bool_]) -> Int64Array:
    """The length-changing folds, then the context rules, then the multi-character
    look-alikes (key ``j`` -> value ``j``), on folded text ``t``.

    Returns one array (each returned array costs ~1 µs): ``[n, text (n code points),
    origins (n), ends (n)]``, or ``[NO_EDIT]``."""
    status = np.empty(1, dtype=np.int64)
    separators, repeats, numerals = rules[0], rules[1], rules[2]
    s, so, se, n, edited = _expand(t, special, special_buf, special_starts)
    d = np.empty_like(s)
    do = np.empty_like(so)
    de = np.empty_like(se)
    if separators:
        m = _strong_separators(s, so, se, n, d, do, de, classes)
        if m < n:
            s, so, se, d, do, de, n, edited = d, do, de, s, so, se, m, True
        m = _isolated_runs(s, so, se, n, d, do, de, classes, facts)
        if m < n:
            s, so, se, d, do, de, n, edited = d, do, de, s, so, se, m, True
    if repeats:
        m = _repeats(s, so, se, n, d, do, de, classes)
        # A collapse shortens the text; an edit of the same length is impossible here.
        if m < n:
            s, so, se, d, do, de, n, edited = d, do, de, s, so, se, m, True
    if numerals and _numeral_runs(s, n, classes, digits):
        edited = True
    if len(key_starts) > 1:
        s, so, se, n, replaced = _lookalike_keys(s, so, se, n, classes, key_buf, key_starts,
                                                 value_buf, value_starts)
        edited = edited or replaced
    if not edited:
        status[0] = NO_EDIT
        return status
    out = np.empty(1 + 3 * n, dtype=np.int64)
    out[0] = n
    out[1:1 + n] = s[:n]
    out[1 + n:1 + 2 * n] = so[:n]
    out[1 + 2 * n:] = se[:n]
    return out
