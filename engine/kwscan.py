"""Keyword scanner: exact multi-pattern literal matching over whole batches of messages.

pyahocorasick is the reference (``reference_scan``), but on Chinese text with tens of
thousands of terms it is slow: its trie nodes search their children linearly,
so the root alone (thousands of CJK children) costs a scan per character.
This scanner is a start-anchored trie walk over a *double-array* trie, compiled
with numba:

* Code points are first mapped to a compact *alphabet* (ids ``1..A`` for the
  characters that occur in some term, most frequent first; 0 for all others)
  through a dense table, so characters in no term cost one cached load.
* The trie is a double array: the child of node ``s`` on character ``c`` is slot
  ``base[s] + c`` if ``check[base[s] + c] == s``.  Every transition is one
  array access (no hashing, no child search), and the slots are laid out
  breadth first, so the shallow nodes, which real text visits all the time,
  sit together in a few hundred kilobytes that stay in cache.  ``check``,
  ``base`` and the term id of a slot share one 16-byte row: one cache line
  per transition.
* Two passes over the batch.  A branch-free pass marks the positions where a
  term can start (the character is a depth-1 node that ends a term or has a
  child on the next character): on real Chinese SMS three positions in four
  start a depth-1 node but only about one in four survives, and an
  unpredictable branch per position cost more than the loads themselves
  (the two-pass form measured 1.8x faster than one branchy loop).  From each
  surviving position the trie is then walked forward, reporting every node
  that ends a term.  This finds exactly the occurrences Aho-Corasick finds (all
  of them, overlapping too) without failure links.

A whole batch is translated into one buffer of alphabet ids (a 0 after every
message, so no walk crosses a message boundary) and scanned in a single numba
call; offsets are reported in Python ``str`` indices (code points).

Measured alternatives (``bench/bench_keywords.py``, real corpus, ratios to
Hyperscan in the same run): a hashed ``(node, char)`` edge table behind a
bigram bitmap filter (``bench/kw_hashtrie.py``) reached ~1.1x once it too stopped
growing its output inside its scan loop (~0.4-0.66x before), half of this kernel's
figure, because a quarter of the positions pass any bigram filter built from a
40 k-word list and each then pays a hash probe into a multi-megabyte table; the double array
walked in one branchy pass was 1.8x slower than this two-pass form, which
reaches ~2.5x (2026-12-04: 3.09 M msg/s against Hyperscan's 1.08 M, once the walk
loop stopped growing its output arrays itself: see ``_walk``).  Touching the
depth-3 rows of upcoming candidates ahead of the walks did not help (0.95x), nor
did prefetching their depth-2 rows, nor 8-byte rows (a separate term array).

>>> sc = KeywordScanner.build(["中奖", "中奖了", "奖"])
>>> sc.scan("恭喜中奖了")
[(0, 4), (2, 4), (1, 5)]
>>> reference_scan(["中奖", "中奖了", "奖"], "恭喜中奖了")
[(0, 4), (2, 4), (1, 5)]
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import accumulate

import numpy as np
import numpy.typing as npt
from numba import njit

from engine.prefetch import prefetch
from engine.utf32 import code_points, text_of

__all__ = ["KeywordScanner", "encode_batch", "every_character", "reference_scan", "warm"]

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
UInt32Array = npt.NDArray[np.uint32]

_BMP = 0x10000
_FREE = -1  # check value of an unused slot
# Columns of the double-array table (one 16-byte row per slot).
_CHECK, _BASE, _TERM = 0, 1, 2


# --------------------------------------------------------------------------- build kernel

@njit(cache=True, nogil=True)
def _place(order: Int64Array, ptr: Int64Array, child: Int64Array, char: Int64Array,
           term_of: Int32Array, nnodes: int, stride: int) -> Int32Array:
    """Lay the trie out as a double array; return the int32[slots, 4] table.

    Nodes are placed breadth first (``order``) with first-fit: the base of a
    node is the smallest one whose child slots ``base + c`` are all free.  A
    doubly linked list of free slots keeps the search off the occupied ones.
    """
    cap = 2 * nnodes + 2 * stride + 64
    check = np.full(cap, _FREE, dtype=np.int64)
    base = np.full(cap, -1, dtype=np.int64)
    nxt = np.arange(1, cap + 1, dtype=np.int64)  # free list (cap = end marker)
    prv = np.arange(-1, cap - 1, dtype=np.int64)
    slot_of = np.full(nnodes, -1, dtype=np.int64)
    slot_of[0] = 0
    check[0] = -2  # the root's slot is nobody's child
    head = 1
    nxt[0] = cap
    prv[1] = -1
    top = 0
    wide_start = 1
    for s in order:
        lo = ptr[s]
        hi = ptr[s + 1]
        if lo == hi:
            continue
        c0 = char[lo]
        wide = hi - lo > 8
        f = head
        # Free slots below c0 would give a negative base, and a node with many children
        # almost never fits among the holes a wide node left behind: such searches
        # resume where the last wide node was placed (darts-clone's heuristic), which
        # turns the build from quadratic into linear on 10^5 CJK terms. Narrow nodes
        # still fill holes first-fit from the head.
        low = max(c0, wide_start) if wide else c0
        if f < low:
            f = low
            while f < cap and check[f] != _FREE:
                f += 1
        while True:
            if f >= cap:
                return np.empty((0, 4), dtype=np.int32)  # out of room: caller retries bigger
            b = f - c0
            ok = b >= 0
            if ok:
                for k in range(lo, hi):
                    t = b + char[k]
                    if t >= cap or check[t] != _FREE:
                        ok = False
                        break
            if ok:
                break
            f = nxt[f]
        if wide:
            wide_start = f
        ss = slot_of[s]
        base[ss] = b
        for k in range(lo, hi):
            t = b + char[k]
            check[t] = ss
            slot_of[child[k]] = t
            top = max(top, t)
            # unlink t from the free list
            if prv[t] >= 0:
                nxt[prv[t]] = nxt[t]
            else:
                head = nxt[t]
            if nxt[t] < cap:
                prv[nxt[t]] = prv[t]
    # Room for base + any alphabet id past the last slot: no bounds checks when scanning.
    size = max(top, int(base.max())) + stride + 1
    table = np.zeros((size, 4), dtype=np.int32)
    for t in range(size):
        table[t, _CHECK] = check[t] if t < cap else _FREE
        table[t, _BASE] = base[t] if t < cap else -1
        table[t, _TERM] = -1
    for n in range(nnodes):
        table[slot_of[n], _TERM] = term_of[n]
    return table


# --------------------------------------------------------------------------- scan kernel

@njit(cache=True, nogil=True)
def _astral(c: np.uint32, astral_cp: UInt32Array, astral_id: Int32Array) -> np.int32:
    """Alphabet id of a code point outside the BMP (rare: emoji, CJK extensions)."""
    na = astral_cp.shape[0]
    if na == 0:
        return np.int32(0)
    j = np.searchsorted(astral_cp, c)
    return astral_id[j] if j < na and astral_cp[j] == c else np.int32(0)


@njit(cache=True, nogil=True)
def _translate(buf: UInt32Array, starts: Int64Array, bmp: Int32Array, astral_cp: UInt32Array,
               astral_id: Int32Array) -> Int32Array:
    """Code points -> alphabet ids, with a 0 after every message.

    Message ``m``'s character ``i`` lands at ``starts[m] + m + i``.  Id 0 stops
    every trie walk, so the separators keep matches inside their message without
    a bounds check in the inner loops.
    """
    nmsg = starts.shape[0] - 1
    out = np.zeros(buf.shape[0] + nmsg + 1, dtype=np.int32)
    for m in range(nmsg):
        s = starts[m]
        o = s + m
        for i in range(starts[m + 1] - s):
            c = buf[s + i]
            out[o + i] = bmp[c] if c < _BMP else _astral(c, astral_cp, astral_id)
    return out


@njit(cache=True, nogil=True)
def _grow32(a: Int32Array, cap: int) -> Int32Array:
    out = np.empty(cap, dtype=np.int32)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, nogil=True)
def _candidates(ids: Int32Array, table: Int32Array) -> tuple[Int64Array, int]:
    """Positions where a term may start, found without a data-dependent branch.

    A position is a candidate if its character is a depth-1 node that ends a
    term or has a child on the next character.  On real text about 3 positions
    in 4 start a depth-1 node but far fewer continue, and an unpredictable
    branch per position costs more than the loads: this pass only does loads
    and arithmetic (branch-free compaction), so the CPU overlaps them freely.
    Reading ``ids[p + 1]`` is safe: the translated buffer ends with a 0.
    """
    rb = table[0, _BASE]
    cand = np.empty(ids.shape[0], dtype=np.int64)
    cnt = 0
    for p in range(ids.shape[0] - 1):
        s1 = rb + ids[p]  # id 0 lands on slot rb, never a root child (ids start at 1)
        ok1 = table[s1, _CHECK] == 0
        s2 = table[s1, _BASE] + ids[p + 1]  # may be -1: wraps to the last row, a spare one
        ok2 = table[s2, _CHECK] == s1
        cand[cnt] = p
        cnt += ok1 & ((table[s1, _TERM] >= 0) | ok2)
    return cand, cnt


# The slots of _walk's ``state`` (kept between its calls by _scan).
_K, _N, _FIRST, _M, _MSTART, _MEND = range(6)
_WALK_STATE = _MEND + 1


@njit(cache=True, nogil=True)
def _scan(buf: UInt32Array, starts: Int64Array, bmp: Int32Array, astral_cp: UInt32Array,
          astral_id: Int32Array, table: Int32Array) -> tuple[Int32Array, Int32Array, Int32Array]:
    ids = _translate(buf, starts, bmp, astral_cp, astral_id)
    cand, cnt = _candidates(ids, table)
    cap = max(16, cnt)
    o_msg = np.empty(cap, dtype=np.int32)
    o_term = np.empty(cap, dtype=np.int32)
    o_end = np.empty(cap, dtype=np.int32)
    # _walk's position: next candidate, hits written, first hit of the current message,
    # the message, where it starts and ends in ``ids``.
    state = np.zeros(_WALK_STATE, dtype=np.int64)
    state[_MEND] = starts[1] if starts.shape[0] > 1 else 0
    while True:
        _walk(ids, table, cand, cnt, starts, state, o_msg, o_term, o_end)
        if state[_K] >= cnt:
            break
        cap *= 2  # the next walk might not have fitted: room for it, and as many again
        o_msg = _grow32(o_msg, cap)
        o_term = _grow32(o_term, cap)
        o_end = _grow32(o_end, cap)
    n, first = state[_N], state[_FIRST]
    if n - first > 1:
        _sort_segment(o_term, o_end, first, n)
    return o_msg[:n].copy(), o_term[:n].copy(), o_end[:n].copy()


@njit(cache=True, nogil=True)
def _walk(ids: Int32Array, table: Int32Array, cand: Int64Array, cnt: int, starts: Int64Array,
          state: Int64Array, o_msg: Int32Array, o_term: Int32Array, o_end: Int32Array) -> None:
    """Walk the trie from candidates ``state[_K]`` on, writing hits from row ``state[_N]``;
    stop before a walk that might not fit in the output arrays (one from position ``p``
    reports at most one hit a character left in its message), for ``_scan`` to grow them.

    Its own function, the arrays fixed for its whole loop: growing them inside the walk
    loop (arrays reassigned there) made the batch kernel 2.6x slower, 38.8 against
    14.8 ms over the 51 k real SMS and 41.6 k terms of ``bench/bench_keywords.py``.
    """
    k, n, first = state[_K], state[_N], state[_FIRST]
    m, mstart, mend = state[_M], state[_MSTART], state[_MEND]
    cap = o_msg.shape[0]
    rb = table[0, _BASE]
    while k < cnt:
        p = cand[k]
        if p >= mend:
            if n - first > 1:
                _sort_segment(o_term, o_end, first, n)
            first = n
            while p >= mend:  # skip to the message holding p (separators never qualify)
                m += 1
                mstart = starts[m] + m
                mend = starts[m + 1] + m
        if n + (mend - p) > cap:
            break
        node = rb + ids[p]
        j = p + 1
        while True:
            t = table[node, _TERM]
            if t >= 0:
                o_msg[n] = m
                o_term[n] = t
                o_end[n] = j - mstart
                n += 1
            b = table[node, _BASE]
            c = ids[j]
            if b < 0 or c == 0:
                break
            nxt = b + c
            if table[nxt, _CHECK] != node:
                break
            node = nxt
            j += 1
        k += 1
    state[_K], state[_N], state[_FIRST] = k, n, first
    state[_M], state[_MSTART], state[_MEND] = m, mstart, mend


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def _scan_one(buf: UInt32Array, bmp: Int32Array, astral_cp: UInt32Array, astral_id: Int32Array,
              table: Int32Array) -> Int32Array:
    """One message: ``(term, end)`` rows in one array (each returned array costs ~1 µs)."""
    starts = np.zeros(2, dtype=np.int64)
    starts[1] = buf.shape[0]
    _, term, end = _scan(buf, starts, bmp, astral_cp, astral_id, table)
    out = np.empty((term.shape[0], 2), dtype=np.int32)
    out[:, 0] = term
    out[:, 1] = end
    return out


# The one-message kernel's packed answer: low 2 bits say how many hits follow (NONE,
# ONE, TWO) or that they are in the caller's scratch arrays (MANY: more hits, or a term
# id or end too large to pack; the count is in the bits above, 0 if they did not fit).
# A hit is 30 bits: 17 of term id, 13 of end (texts are at most 4,096 characters); the
# first hit sits at bit 2, the second at bit 32.
_NONE, _ONE, _TWO, _MANY = 0, 1, 2, 3
_TERM_BITS, _END_BITS, _HIT_BITS = 17, 13, 30
# Hits a thread's scratch arrays hold; a message with more takes ``_scan_one``.
SCRATCH_HITS = 512
_scratch = threading.local()  # per thread: decisions run on many server threads


def _scratch_arrays() -> tuple[Int32Array, Int32Array]:
    """This thread's (term, end) arrays for ``_scan_one_packed`` to write hits into."""
    try:
        arrays: tuple[Int32Array, Int32Array] = _scratch.arrays
    except AttributeError:
        arrays = _scratch.arrays = (np.empty(SCRATCH_HITS, dtype=np.int32),
                                    np.empty(SCRATCH_HITS, dtype=np.int32))
    return arrays


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def _scan_one_packed(buf: UInt32Array, bmp: Int32Array, astral_cp: UInt32Array,
                     astral_id: Int32Array, table: Int32Array, o_term: Int32Array,
                     o_end: Int32Array) -> int:
    """One message's hits packed in an int (see _NONE .. _MANY), with no array built:
    none, one or two in the int itself, more written to ``o_term`` / ``o_end`` sorted
    by (end, term) (one walk: stopping at the third hit and scanning again with
    ``_scan_one``, which returns arrays, cost ~3 µs more on a message with 8 hits).

    Walks the trie from every position whose character is a root child: the walks
    ``_scan`` makes from its candidates, plus walks that report nothing (a candidate
    is a root child that ends a term or continues), so it finds the same hits. Most
    messages have none, one or two. Measured on real SMS against 40 k terms: 5.9 µs a
    message through ``_scan_one``, 4.8-5.3 with this kernel walking as it translates,
    3.6-3.8 with the translation and the root-slot prefetches first.
    """
    rb = table[0, _BASE]
    n = buf.shape[0]
    # Translate first and ask for every position's root slot: the table is megabytes,
    # so these are cache misses, and issued together they overlap.
    ids = np.empty(n + 1, dtype=np.int32)
    for p in range(n):
        c = buf[p]
        ids[p] = bmp[c] if c < _BMP else _astral(c, astral_cp, astral_id)
        prefetch(table, rb + ids[p])
    ids[n] = 0
    count = 0
    t1 = e1 = t2 = e2 = 0
    cap = o_term.shape[0]
    unpackable = False  # a term id or an end too large for the packed answer
    # The walk repeats _walk's trie step on purpose: the step as a shared inline helper
    # (child slot or -1) measured the batch kernel 2x slower (1.38x -> 0.62x Hyperscan).
    for p in range(n):
        node = rb + ids[p]
        if table[node, _CHECK] != 0:
            continue  # not a root child (id 0 lands on slot rb, never one)
        j = p + 1
        while True:
            t = table[node, _TERM]
            if t >= 0:
                if count < cap:
                    o_term[count] = t
                    o_end[count] = j
                if count == 0:
                    t1, e1 = t, j
                elif count == 1:
                    t2, e2 = t, j
                unpackable |= t >= 1 << _TERM_BITS or j >= 1 << _END_BITS
                count += 1
            b = table[node, _BASE]
            c = ids[j]
            if b < 0 or c == 0:
                break
            nxt = b + c
            if table[nxt, _CHECK] != node:
                break
            node = nxt
            j += 1
    if count > 2 or unpackable:
        if count > cap:
            return _MANY  # a count of 0: more than the scratch holds
        _sort_segment(o_term, o_end, 0, count)
        return _MANY | (count << 2)
    if count == 0:
        return _NONE
    first = t1 | (e1 << _TERM_BITS)
    if count == 1:
        return _ONE | (first << 2)
    second = t2 | (e2 << _TERM_BITS)
    if e2 < e1 or (e2 == e1 and t2 < t1):  # sorted by (end, term), as _scan sorts
        first, second = second, first
    return _TWO | (first << 2) | (second << (2 + _HIT_BITS))


def _unpack_hit(bits: int) -> tuple[int, int]:
    return bits & ((1 << _TERM_BITS) - 1), (bits >> _TERM_BITS) & ((1 << _END_BITS) - 1)


@njit(cache=True, nogil=True, inline="always")
def _sort_segment(o_term: Int32Array, o_end: Int32Array, lo: int, hi: int) -> None:
    """Insertion-sort one message's matches by (end, term).

    Walks emit matches by start position, so the segment is nearly sorted: a
    match is displaced only past matches that end later but start earlier,
    which is bounded by the term lengths.
    """
    for k in range(lo + 1, hi):
        e = o_end[k]
        t = o_term[k]
        p = k - 1
        while p >= lo and (o_end[p] > e or (o_end[p] == e and o_term[p] > t)):
            o_end[p + 1] = o_end[p]
            o_term[p + 1] = o_term[p]
            p -= 1
        o_end[p + 1] = e
        o_term[p + 1] = t
# --------------------------------------------------------------------------- API

def encode_batch(texts: Sequence[str]) -> tuple[UInt32Array, Int64Array]:
    """A batch as one UTF-32 code point buffer and the start offset of each text.

    ``starts`` has ``len(texts) + 1`` entries; text ``i`` is ``buf[starts[i]:starts[i+1]]``,
    so buffer offsets are ``str`` offsets (surrogatepass keeps a lone surrogate one unit).
    """
    if len(texts) < 16:  # single decisions: a small list beats numpy's per-call setup
        starts = np.array([0, *accumulate(map(len, texts))], dtype=np.int64)
    else:
        lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lens, out=starts[1:])
    return code_points("".join(texts)), starts


def every_character(end: int = 0x110000) -> str:
    """Every code point below ``end`` but the surrogates, as one string, for building
    per-code-point tables from regexes (through a UTF-32 buffer: a generator of ``chr``
    calls took ~0.5 s for all of Unicode).

    >>> len(every_character(0x10000)) == 0x10000 - 0x800
    True
    """
    cps = np.arange(end, dtype=np.uint32)
    cps = cps[(cps < 0xD800) | (cps >= 0xE000)]
    return text_of(cps)


class KeywordScanner:
    """Immutable multi-pattern literal matcher, exact against pyahocorasick.

    >>> sc = KeywordScanner.build(["ab", "b"])
    >>> msg, term, end = sc.scan_batch(["xab", "b"])
    >>> list(zip(msg.tolist(), term.tolist(), end.tolist()))
    [(0, 0, 3), (0, 1, 3), (1, 1, 1)]
    """

    __slots__ = ("_astral_cp", "_astral_id", "_bmp", "_n", "_table")

    def __init__(self, n: int, bmp: Int32Array, astral_cp: UInt32Array, astral_id: Int32Array,
                 table: Int32Array) -> None:
        self._n = n
        self._bmp = bmp
        self._astral_cp = astral_cp
        self._astral_id = astral_id
        self._table = table

    @classmethod
    def build(cls, terms: Sequence[str]) -> KeywordScanner:
        """Compile ``terms`` (term id = position); terms must be non-empty and unique."""
        seen: set[str] = set()
        freq: dict[str, int] = {}
        for i, t in enumerate(terms):
            if not isinstance(t, str) or not t:
                raise ValueError(f"term {i} must be a non-empty string, got {t!r}")
            if t in seen:
                raise ValueError(f"term {i} {t!r} is a duplicate")
            seen.add(t)
            for ch in t:
                freq[ch] = freq.get(ch, 0) + 1
        # Alphabet ids from 1, most frequent characters first (denser shallow slots).
        alphabet = {ch: i + 1 for i, ch in enumerate(sorted(freq, key=lambda c: (-freq[c], c)))}
        stride = len(alphabet) + 1
        bmp = np.zeros(_BMP, dtype=np.int32)
        for ch, i in alphabet.items():
            if ord(ch) < _BMP:
                bmp[ord(ch)] = i
        astral = sorted((ord(ch), i) for ch, i in alphabet.items() if ord(ch) >= _BMP)
        astral_cp = np.array([c for c, _ in astral], dtype=np.uint32)
        astral_id = np.array([i for _, i in astral], dtype=np.int32)

        # Pointer trie first (dict of edges), node 0 is the root.
        edges: dict[tuple[int, int], int] = {}
        term_of_l = [-1]
        depth_l = [0]
        for tid, t in enumerate(terms):
            node = 0
            for d, ch in enumerate(t, 1):
                key = (node, alphabet[ch])
                nxt = edges.get(key)
                if nxt is None:
                    nxt = edges[key] = len(term_of_l)
                    term_of_l.append(-1)
                    depth_l.append(d)
                node = nxt
            term_of_l[node] = tid
        nnodes = len(term_of_l)
        parent = np.fromiter((p for p, _ in edges), dtype=np.int64, count=len(edges))
        char = np.fromiter((c for _, c in edges), dtype=np.int64, count=len(edges))
        child = np.fromiter(edges.values(), dtype=np.int64, count=len(edges))
        # Children of each node as CSR sorted by char; breadth-first node order.
        by = np.lexsort((char, parent))
        parent, char, child = parent[by], char[by], child[by]
        ptr = np.zeros(nnodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(parent, minlength=nnodes), out=ptr[1:])
        order = np.argsort(np.array(depth_l, dtype=np.int64), kind="stable")
        term_of = np.array(term_of_l, dtype=np.int32)
        table = _place(order, ptr, child, char, term_of, nnodes, stride)
        if table.shape[0] == 0:  # pragma: no cover - the capacity bound is generous
            raise RuntimeError("keyword scanner: double-array placement ran out of room")
        return cls(len(terms), bmp, astral_cp, astral_id, table)

    def scan(self, text: str, buf: UInt32Array | None = None) -> list[tuple[int, int]]:
        """Every occurrence in ``text`` as ``(term_id, end)``, sorted by (end, term_id).

        ``buf``: ``text`` as UTF-32 code points, when the caller has them already.
        """
        # Same kernel as scan_batch, minus the per-batch bookkeeping (this is on
        # the single-event latency path).
        if buf is None:
            buf = code_points(text)
        # An int back for the usual none, one or two hits: a returned array costs ~1 µs
        # and the batch kernel's scratch arrays more (5.9 -> 3.6-3.8 µs a real SMS).
        o_term, o_end = _scratch_arrays()
        packed = _scan_one_packed(buf, self._bmp, self._astral_cp, self._astral_id,
                                  self._table, o_term, o_end)
        tag = packed & 3
        if tag == _NONE:
            return []
        if tag == _ONE:
            return [_unpack_hit(packed >> 2)]
        if tag == _TWO:
            return [_unpack_hit(packed >> 2), _unpack_hit(packed >> (2 + _HIT_BITS))]
        count = packed >> 2
        if count:  # read before this thread scans again: the arrays are reused
            return list(zip(o_term[:count].tolist(), o_end[:count].tolist(), strict=True))
        rows = _scan_one(buf, self._bmp, self._astral_cp, self._astral_id, self._table)
        return [(t, e) for t, e in rows.tolist()]

    def scan_batch(self, texts: Sequence[str]) -> tuple[Int32Array, Int32Array, Int32Array]:
        """``(msg_index, term_id, end)`` for every occurrence in every text, one kernel call.

        Sorted by (msg_index, end, term_id); ``end`` is the exclusive end offset in
        ``str`` characters of that message.
        """
        return self.scan_encoded(*encode_batch(texts))

    def scan_encoded(self, buf: UInt32Array, starts: Int64Array
                     ) -> tuple[Int32Array, Int32Array, Int32Array]:
        """:meth:`scan_batch` for texts already encoded (``encode_batch``'s form)."""
        return _scan(buf, starts, self._bmp, self._astral_cp, self._astral_id, self._table)

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held by the compiled tables."""
        return int(self._table.nbytes + self._bmp.nbytes + self._astral_cp.nbytes
                   + self._astral_id.nbytes)

    def __repr__(self) -> str:
        return f"KeywordScanner(terms={self._n}, nbytes={self.nbytes})"


def reference_scan(terms: Sequence[str], text: str) -> list[tuple[int, int]]:
    """pyahocorasick over ``str``: the reference the fast path is tested against."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for tid, t in enumerate(terms):
        automaton.add_word(t, tid)
    if not len(automaton):
        return []
    automaton.make_automaton()
    return sorted(((tid, last + 1) for last, tid in automaton.iter(text)),
                  key=lambda m: (m[1], m[0]))


def warm() -> None:
    """Compile (or load from cache) the kernels on tiny input."""
    sc = KeywordScanner.build(["ab", "b", "\U0001f600x"])
    sc.scan_batch(["xab", "", "\U0001f600x"])
    sc.scan("xab")
    sc.scan("xababab")  # more hits than the packed answer holds: the scratch arrays
    sc.scan("ab" * SCRATCH_HITS)  # more than those hold: the array kernel
    KeywordScanner.build([]).scan_batch([])
