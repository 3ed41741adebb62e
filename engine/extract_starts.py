"""Where :mod:`engine.extract`'s combined pattern can start: one numba pass per batch.

``extract`` finds its items by trying the combined regex at candidate positions of
the message's *view* (lower-cased, digits folded). Trying it is the costly part:
on real SMS a message that reaches extraction has ~18 positions where a letter,
digit, ``+`` or cue character could start an item, and ~1.3 items. Each failed
attempt costs a regex call from Python. This kernel keeps only the positions
where some alternative of the pattern can get past its first few characters:

* a scheme (``h`` then ``t``/``x``/``*``; ``ftp``), ``www``, a cue word
  (``qq vx wx v信 weixin wechat tg telegram`` and the Chinese cue words);
* the first label of a host: a run of ``[a-z0-9-]`` followed by something that
  can start a dot (``.``, ``点``, or the bracket of a defanged dot such as ``[.]``,
  perhaps after a space);
* a phone-shaped run: at least five digits (``\\d``: any decimal digit, as the regex
  reads it), at most two separator characters
  ``[ -.()‐-―]`` between consecutive digits (``num``), possibly after ``+`` or
  ``(``.

Every test is a necessary condition of the regex alternative it stands for, so
the kept positions are a superset of the positions where the pattern matches,
and ``extract`` finds exactly what trying every position finds.
``tests/test_extract.py`` checks that superset on fuzzed and real text.

For a batch (:func:`engine.extract.extract_many`), :func:`views_and_starts` also
builds the views themselves in the same call (the per-character fold, ``一`` between
digits as a dash, runs of Chinese numerals as digits, invisible characters dropped
with an offset map): in Python that cost ~6 µs per message, more than the regex.
The test suite holds each view equal to ``extract._view_of``'s.

>>> import numpy as np
>>> view = "请加vx abc123 或访问 www.a.com 价格 88 元"
>>> buf = np.frombuffer(view.encode("utf-32-le"), np.uint32)
>>> [view[p:p + 3] for p in start_positions_one(buf).tolist()]
['加vx', 'vx ', 'www', 'a.c']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from engine.kwscan import every_character
from engine.utf32 import text_of

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
UInt32Array = npt.NDArray[np.uint32]


def _digit_blocks() -> Int64Array:
    """The first code point of every block of ten decimal digits that ``re``'s ``\\d``
    matches (``٠``, ``０``, ``𝟎``...): the view folds them to ASCII, but the pattern
    reads any text, so the kernel must agree with ``\\d`` everywhere."""
    digits = {ord(m.group()) for m in re.finditer(r"\d", every_character(0x20000))}
    return np.array(sorted(cp for cp in digits if cp - 1 not in digits), dtype=np.int64)


_DIGIT_BLOCKS = _digit_blocks()
_DIAN = ord("点")
# The first character of each Chinese cue word and the character that must follow it.
_CJK_CUES = {"扣": "扣", "企": "鹅", "微": "信", "威": "信", "薇": "信", "徽": "信",
             "纸": "飞", "飞": "机", "电": "报"}  # fmt: skip
_JIA = ord("加")
_XIN = ord("信")
# Per code point (all of Unicode, 1.1 MB): one load tells a character's class. A
# binary search for astral characters, even in a branch never taken, measured ~20x
# slower per character: the loops below do nothing but loads and compares.
_DIGIT_BIT, _RUN_BIT, _CUE_BIT = 1, 2, 4  # \d; [a-z0-9-] or \d; the first of a cue word


def _code_point_classes() -> npt.NDArray[np.uint8]:
    classes = np.zeros(0x110000, dtype=np.uint8)
    for first in _DIGIT_BLOCKS.tolist():
        classes[first:first + 10] |= _DIGIT_BIT | _RUN_BIT
    for c in "abcdefghijklmnopqrstuvwxyz0123456789-":
        classes[ord(c)] |= _RUN_BIT
    for c in _CJK_CUES:
        classes[ord(c)] |= _CUE_BIT
    return classes


_CLASSES = _code_point_classes()
_CUE_NEXT = np.zeros(0x10000, dtype=np.int64)  # the character a cue's first must meet
for _first, _next in _CJK_CUES.items():
    _CUE_NEXT[ord(_first)] = ord(_next)


@njit(cache=True, nogil=True, inline="always")
def _phone_sep(c: int) -> bool:  # [ \-.()\u2010-\u2015]
    return c == 32 or c == 45 or c == 46 or c == 40 or c == 41 or 0x2010 <= c <= 0x2015


@njit(cache=True, nogil=True, inline="always")
def _defanged_start(c: int) -> bool:  # [.] (.) [dot] (dot) {dot}
    return c == 91 or c == 40 or c == 123


@njit(cache=True, nogil=True)
def _message_starts(v: UInt32Array, a: int, b: int, out: Int32Array, n: int,
                    classes: npt.NDArray[np.uint8], cue_next: Int64Array, w: Int64Array,
                    cls: Int64Array, chain: Int64Array, run_end: Int64Array) -> int:
    """Append the candidate offsets of message ``v[a:b]`` to ``out[n:]``; the new count.

    ``w``, ``cls``, ``chain``, ``run_end``: scratch of at least ``b - a + 4`` entries.
    The message is copied to ``w[1:]`` with zero sentinels on both sides, so every
    look-around below is a plain load (no bounds tests, few branches).
    """
    m = b - a
    w[0] = 0
    cls[0] = 0
    for i in range(m):
        c = np.int64(v[a + i])
        w[i + 1] = c
        cls[i + 1] = classes[c]
    for i in range(m + 1, m + 4):
        w[i] = 0
        cls[i] = 0
        chain[i] = 0
    run_end[m + 1] = m + 1
    # Right to left: where each run of [a-z0-9-] / \\d ends, and how many digits follow
    # a digit with at most two separators between neighbours (capped at 5, all a phone
    # needs). The next digit of such a chain is unique, so this is exact.
    for i in range(m, 0, -1):
        k = cls[i]
        run_end[i] = run_end[i + 1] if (k & _RUN_BIT) and (cls[i + 1] & _RUN_BIT) else i + 1
        if not k & _DIGIT_BIT:
            chain[i] = 0
        elif cls[i + 1] & _DIGIT_BIT:
            chain[i] = min(5, 1 + chain[i + 1])
        elif _phone_sep(w[i + 1]) and cls[i + 2] & _DIGIT_BIT:
            chain[i] = min(5, 1 + chain[i + 2])
        elif _phone_sep(w[i + 1]) and _phone_sep(w[i + 2]) and cls[i + 3] & _DIGIT_BIT:
            chain[i] = min(5, 1 + chain[i + 3])
        else:
            chain[i] = 1
    for i in range(1, m + 1):
        c, k = w[i], cls[i]
        # Most characters of Chinese text start nothing: one class test rules them out.
        if (k == 0 and c != 43 and c != 40 and c != _JIA) or c == 45:
            continue
        n1 = w[i + 1]
        e = run_end[i]  # a host's first label must be followed by a (defanged) dot
        dot = w[e] == 46 or w[e] == _DIAN or _defanged_start(w[e]) or (
            w[e] == 32 and _defanged_start(w[e + 1]))
        if (c == 104 and (n1 == 116 or n1 == 120 or n1 == 42)) or (c == 102 and n1 == 116):
            keep = True  # a scheme: ht.. hx.. h*.. ft(p)
        elif k & _DIGIT_BIT:  # a host label or an IPv4 octet, or a phone
            keep = dot or chain[i] >= 5
        elif 97 <= c <= 122:
            if 97 <= w[i - 1] <= 122:
                keep = False  # every alternative but a scheme needs no letter before it
            else:
                keep = dot or (c == 119 and n1 == 119 and w[i + 2] == 119) \
                    or (c == 113 and n1 == 113) or (c == 118 and (n1 == 120 or n1 == _XIN)) \
                    or (c == 119 and (n1 == 120 or n1 == 101)) \
                    or (c == 116 and (n1 == 103 or n1 == 101))  # www qq vx v信 wx we. tg te.
        elif c == 43:  # + then a phone, or + v (a WeChat cue)
            q = i + 2 if n1 == 32 else i + 1
            keep = w[q] == 118 or chain[q + 1 if w[q] == 40 else q] >= 5
        elif c == 40:  # ( then a phone
            keep = chain[i + 1] >= 5
        elif c == _JIA:  # 加v, 加 v
            keep = n1 == 118 or (n1 == 32 and w[i + 2] == 118)
        else:
            keep = bool(k & _CUE_BIT) and cue_next[c] == n1
        if keep:
            out[n] = i - 1
            n += 1
    return n


@njit(cache=True, nogil=True)
def _starts_batch(v: UInt32Array, starts: Int64Array, classes: npt.NDArray[np.uint8],
                  cue_next: Int64Array) -> tuple[Int32Array, Int64Array]:
    longest = 0
    for m in range(starts.shape[0] - 1):
        longest = max(longest, starts[m + 1] - starts[m])
    w, cls = np.empty(longest + 4, np.int64), np.empty(longest + 4, np.int64)
    chain, run_end = np.empty(longest + 4, np.int64), np.empty(longest + 4, np.int64)
    out = np.empty(v.shape[0], dtype=np.int32)
    bounds = np.zeros(starts.shape[0], dtype=np.int64)
    n = 0
    for m in range(starts.shape[0] - 1):
        n = _message_starts(v, starts[m], starts[m + 1], out, n, classes, cue_next,
                            w, cls, chain, run_end)
        bounds[m + 1] = n
    return out[:n].copy(), bounds


@njit(cache=True, nogil=True)
def _starts_one(v: UInt32Array, classes: npt.NDArray[np.uint8],
                cue_next: Int64Array) -> Int32Array:
    # One message: one array comes back, not two (a returned array costs ~1 µs).
    starts = np.zeros(2, dtype=np.int64)
    starts[1] = v.shape[0]
    return _starts_batch(v, starts, classes, cue_next)[0]


# -- the view of a whole batch ---------------------------------------------------------------

_YI = ord("一")
VIEW_CN, VIEW_INVISIBLE = 1, 2  # bits of ``ViewTables.bits``


@dataclass(frozen=True)
class ViewTables:
    """``engine.extract``'s view as arrays: ``fold`` maps a code point to its view
    character (identity past its end), ``bits`` marks Chinese numerals (``VIEW_CN``)
    and invisible characters (``VIEW_INVISIBLE``) for every code point, and ``numeral``
    maps a Chinese numeral to its ASCII digit."""

    fold: Int32Array
    bits: npt.NDArray[np.uint8]
    numeral: Int32Array


@njit(cache=True, nogil=True, inline="always")
def _yi_digit(c: int) -> bool:  # [0-9０-９]: the neighbours that make 一 a dash
    return (48 <= c <= 57) or (0xFF10 <= c <= 0xFF19)


@njit(cache=True, nogil=True)
def _view_message(buf: UInt32Array, a: int, b: int, out: UInt32Array, origin: Int32Array,
                  o: int, fold: Int32Array, bits: npt.NDArray[np.uint8], numeral: Int32Array,
                  t: Int64Array) -> tuple[int, bool]:
    """Write the view of ``buf[a:b]`` to ``out[o:]`` (and each character's offset in the
    text to ``origin``), in ``extract._view_of``'s order of steps; the new ``o`` and
    whether an invisible character was removed."""
    m = b - a
    for i in range(m):  # 一 between two digits is a dash; then the per-character fold
        c = int(buf[a + i])
        if c == _YI and 0 < i < m - 1 and _yi_digit(buf[a + i - 1]) and _yi_digit(
                buf[a + i + 1]):
            c = 45
        t[i] = fold[c] if c < fold.shape[0] else c
    i = 0
    while i < m:  # runs of 3+ Chinese numerals read as digits
        if not bits[t[i]] & VIEW_CN:
            i += 1
            continue
        j = i
        while j < m and bits[t[j]] & VIEW_CN:
            j += 1
        if j - i >= 3:
            for k in range(i, j):
                t[k] = numeral[t[k]]
        i = j
    removed = False
    for i in range(m):
        if bits[t[i]] & VIEW_INVISIBLE:
            removed = True
            continue
        out[o] = t[i]
        origin[o] = i
        o += 1
    return o, removed


@njit(cache=True, nogil=True)
def _views_and_starts(buf: UInt32Array, starts: Int64Array, fold: Int32Array,
                      bits: npt.NDArray[np.uint8], numeral: Int32Array,
                      classes: npt.NDArray[np.uint8], cue_next: Int64Array
                      ) -> tuple[UInt32Array, Int64Array, Int32Array, npt.NDArray[np.bool_],
                                 Int32Array, Int64Array]:
    nmsg = starts.shape[0] - 1
    longest = 0
    for m in range(nmsg):
        longest = max(longest, starts[m + 1] - starts[m])
    t = np.empty(longest + 4, np.int64)
    w, cls = np.empty(longest + 4, np.int64), np.empty(longest + 4, np.int64)
    chain, run_end = np.empty(longest + 4, np.int64), np.empty(longest + 4, np.int64)
    view = np.empty(buf.shape[0], dtype=np.uint32)
    origin = np.empty(buf.shape[0], dtype=np.int32)
    view_starts = np.zeros(nmsg + 1, dtype=np.int64)
    removed = np.zeros(nmsg, dtype=np.bool_)
    offsets = np.empty(buf.shape[0], dtype=np.int32)
    bounds = np.zeros(nmsg + 1, dtype=np.int64)
    o = 0
    n = 0
    for m in range(nmsg):
        o, removed[m] = _view_message(buf, starts[m], starts[m + 1], view, origin, o, fold,
                                      bits, numeral, t)
        view_starts[m + 1] = o
        n = _message_starts(view, view_starts[m], o, offsets, n, classes, cue_next, w, cls,
                            chain, run_end)
        bounds[m + 1] = n
    return view[:o].copy(), view_starts, origin[:o].copy(), removed, offsets[:n].copy(), bounds


def views_and_starts(buf: UInt32Array, starts: Int64Array, tables: ViewTables
                     ) -> tuple[UInt32Array, Int64Array, Int32Array, npt.NDArray[np.bool_],
                                Int32Array, Int64Array]:
    """The views of a batch of texts (``engine.kwscan.encode_batch`` form) and their
    candidate offsets, in one kernel call: ``(view, view_starts, origin, removed,
    offsets, bounds)``. Message ``i``'s view is ``view[view_starts[i]:view_starts[i+1]]``;
    where ``removed[i]`` (an invisible character was dropped), ``origin`` over the same
    range gives each view character's offset in the text; its candidate offsets are
    ``offsets[bounds[i]:bounds[i + 1]]``."""
    return _views_and_starts(buf, starts, tables.fold, tables.bits, tables.numeral, _CLASSES,
                             _CUE_NEXT)


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def _view_and_starts_one(buf: UInt32Array, fold: Int32Array, bits: npt.NDArray[np.uint8],
                         numeral: Int32Array, classes: npt.NDArray[np.uint8],
                         cue_next: Int64Array) -> UInt32Array:
    # The batch kernel's two passes on one message, written straight into one packed
    # array (each returned array costs ~1 µs, and the batch kernel's seventeen arrays
    # ~2 µs more): [view length o, removed, offset count k, then n slots each of view,
    # origin and offsets], n the message's length. Two allocations: out and scratch.
    n = buf.shape[0]
    out = np.empty(3 + 3 * n, dtype=np.uint32)
    signed = out.view(np.int32)
    view = out[3:3 + n]
    origin = signed[3 + n:3 + 2 * n]
    offsets = signed[3 + 2 * n:3 + 3 * n]
    scratch = np.empty(5 * (n + 4), np.int64)
    t = scratch[:n + 4]
    w, cls = scratch[n + 4:2 * (n + 4)], scratch[2 * (n + 4):3 * (n + 4)]
    chain, run_end = scratch[3 * (n + 4):4 * (n + 4)], scratch[4 * (n + 4):]
    o, removed = _view_message(buf, 0, n, view, origin, 0, fold, bits, numeral, t)
    k = _message_starts(view, 0, o, offsets, 0, classes, cue_next, w, cls, chain, run_end)
    out[0], out[1], out[2] = o, removed, k
    return out


def view_and_starts_one(buf: UInt32Array, tables: ViewTables
                        ) -> tuple[str, list[int] | None, list[int]]:
    """:func:`views_and_starts` for one text given as UTF-32 code points: its view, each
    view character's offset in the text (None when no invisible character was dropped:
    the offsets are the same) and the candidate offsets.

    >>> from engine.extract import _view_tables
    >>> t = "加ＶＸ abc"
    >>> view_and_starts_one(np.frombuffer(t.encode("utf-32-le"), np.uint32), _view_tables())
    ('加vx abc', None, [0, 1])
    """
    packed = _view_and_starts_one(buf, tables.fold, tables.bits, tables.numeral, _CLASSES,
                                  _CUE_NEXT)
    o, removed, k = packed[:3].tolist()
    n = buf.shape[0]
    view = text_of(packed[3:3 + o])
    origin = packed[3 + n:3 + n + o].tolist() if removed else None
    return view, origin, packed[3 + 2 * n:3 + 2 * n + k].tolist()


def start_positions_one(view: UInt32Array) -> Int32Array:
    """Candidate offsets of one view given as UTF-32 code points: the start pass alone,
    which the tests hold against ``finditer`` (requests run it inside
    :func:`view_and_starts_one` and :func:`views_and_starts`, so it is not warmed)."""
    return _starts_one(view, _CLASSES, _CUE_NEXT)


def start_positions_batch(buf: UInt32Array, starts: Int64Array) -> tuple[Int32Array, Int64Array]:
    """Candidate offsets of a batch of views (``engine.kwscan.encode_batch`` form): the
    offsets, message after message, and ``bounds`` (message ``i``'s offsets are
    ``offsets[bounds[i]:bounds[i + 1]]``).

    >>> from engine.kwscan import encode_batch
    >>> offsets, bounds = start_positions_batch(*encode_batch(["今天 88 元", "qq 12345"]))
    >>> offsets.tolist(), bounds.tolist()
    ([0, 3], [0, 0, 2])
    """
    return _starts_batch(buf, starts, _CLASSES, _CUE_NEXT)
