"""Measured alternative to ``engine.kwscan``: hashed trie edges behind a bigram filter.

Kept only so the keyword benchmark can show why the double-array trie won:
depth 1 is a dense array, deeper ``(node, char)`` edges live in one
open-addressing hash, and a bitmap of term-start bigrams filters positions
before any hash probe.  On the real corpus a quarter of all positions pass the
bigram filter and each then pays a probe into a multi-megabyte table.
Same API and output as :class:`engine.kwscan.KeywordScanner`. Like the production
kernel, it writes a message's hits into arrays fixed for that message's scan and grows
them between messages (``_scan_message``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from numba import njit

# The shared pieces of the production scanner (same alphabet mapping, same growth helper).
from engine.kwscan import _astral, _grow32, encode_batch

__all__ = ["HashTrieScanner"]

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
UInt32Array = npt.NDArray[np.uint32]
UInt8Array = npt.NDArray[np.uint8]
UInt64Array = npt.NDArray[np.uint64]

_BMP = 0x10000
_MIX = np.uint64(0x9E3779B97F4A7C15)


# --------------------------------------------------------------------------- kernels

@njit(cache=True, nogil=True, inline="always")
def _mix(x: np.uint64) -> np.uint64:
    x = (x ^ (x >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)
    return x ^ (x >> np.uint64(32))


@njit(cache=True, nogil=True, inline="always")
def _edge(ekeys: Int64Array, evals: Int32Array, emask: np.uint64, key: np.int64) -> np.int32:
    """Child for edge ``key = node * stride + char``, -1 if none (linear probing)."""
    i = np.int64(_mix(np.uint64(key)) & emask)
    while True:
        k = ekeys[i]
        if k == key:
            return np.int32(evals[i])
        if k < 0:
            return np.int32(-1)
        i = np.int64((np.uint64(i) + np.uint64(1)) & emask)


@njit(cache=True, nogil=True)
def _translate(buf: UInt32Array, bmp: Int32Array, astral_cp: UInt32Array,
               astral_id: Int32Array) -> Int32Array:
    """Code points -> alphabet ids (0 = appears in no term)."""
    out = np.empty(buf.shape[0], dtype=np.int32)
    for i in range(buf.shape[0]):
        c = buf[i]
        out[i] = bmp[c] if c < _BMP else _astral(c, astral_cp, astral_id)
    return out


@njit(cache=True, nogil=True)
def _scan_message(ids: Int32Array, s: np.int64, e: np.int64, m: int, root: Int32Array,
                  term_at: Int32Array, has_child: UInt8Array, bigram: UInt64Array,
                  bmask: np.uint64, ekeys: Int64Array, evals: Int32Array, emask: np.uint64,
                  stride: np.int64, o_msg: Int32Array, o_term: Int32Array, o_end: Int64Array,
                  n: int) -> int:
    """Message ``m`` (``ids[s:e]``)'s hits written from row ``n``: the rows used after it,
    or -1 when the arrays ran out of room."""
    cap = o_msg.shape[0]
    for i in range(s, e):
        a = ids[i]
        if a == 0:
            continue
        node = root[a]
        if node < 0:
            continue
        t = term_at[node]
        if t >= 0:
            if n == cap:
                return -1
            o_msg[n] = m
            o_term[n] = t
            o_end[n] = i + 1
            n += 1
        if has_child[node] == 0 or i + 1 >= e:
            continue
        b = ids[i + 1]
        if b == 0:
            continue
        h = _mix(np.uint64(a) * _MIX + np.uint64(b)) & bmask
        if (bigram[h >> np.uint64(6)] >> (h & np.uint64(63))) & np.uint64(1) == 0:
            continue
        j = i + 1
        while j < e:
            c = ids[j]
            if c == 0:
                break
            child = _edge(ekeys, evals, emask, np.int64(node) * stride + c)
            if child < 0:
                break
            node = child
            j += 1
            t = term_at[node]
            if t >= 0:
                if n == cap:
                    return -1
                o_msg[n] = m
                o_term[n] = t
                o_end[n] = j
                n += 1
            if has_child[node] == 0:
                break
    return n


@njit(cache=True, nogil=True)
def _scan(buf: UInt32Array, starts: Int64Array, bmp: Int32Array, astral_cp: UInt32Array,
          astral_id: Int32Array, root: Int32Array, term_at: Int32Array, has_child: UInt8Array,
          bigram: UInt64Array, bmask: np.uint64, ekeys: Int64Array, evals: Int32Array,
          emask: np.uint64, stride: np.int64, nterms: np.int64
          ) -> tuple[Int32Array, Int32Array, Int32Array]:
    ids = _translate(buf, bmp, astral_cp, astral_id)
    cap = max(16, buf.shape[0] // 8)
    o_msg = np.empty(cap, dtype=np.int32)
    o_term = np.empty(cap, dtype=np.int32)
    o_end = np.empty(cap, dtype=np.int64)  # global end offset while scanning
    n = 0
    nmsg = starts.shape[0] - 1
    m = 0
    while m < nmsg:
        # A message's hits go into arrays fixed for its whole scan (as engine.kwscan's
        # _walk: growing them inside the scan loop slows every step); one that runs out
        # of room is scanned again into bigger ones.
        done = _scan_message(ids, starts[m], starts[m + 1], m, root, term_at, has_child,
                             bigram, bmask, ekeys, evals, emask, stride, o_msg, o_term,
                             o_end, n)
        if done < 0:
            cap *= 2
            o_msg = _grow32(o_msg, cap)
            o_term = _grow32(o_term, cap)
            o_end = _grow64(o_end, cap)
            continue
        n = done
        m += 1
    # Matches were produced by start position; the contract orders them by
    # (message, end, term).  Global end offsets already order messages.
    key = o_end[:n] * nterms + o_term[:n]
    order = np.argsort(key, kind="mergesort")
    r_msg = np.empty(n, dtype=np.int32)
    r_term = np.empty(n, dtype=np.int32)
    r_end = np.empty(n, dtype=np.int32)
    for k in range(n):
        p = order[k]
        r_msg[k] = o_msg[p]
        r_term[k] = o_term[p]
        r_end[k] = np.int32(o_end[p] - starts[o_msg[p]])
    return r_msg, r_term, r_end


@njit(cache=True, nogil=True)
def _grow64(a: Int64Array, cap: int) -> Int64Array:
    out = np.empty(cap, dtype=np.int64)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, nogil=True)
def _fill_edges(keys: Int64Array, vals: Int32Array, ekeys: Int64Array, evals: Int32Array,
                emask: np.uint64) -> None:
    for j in range(keys.shape[0]):
        i = np.int64(_mix(np.uint64(keys[j])) & emask)
        while ekeys[i] >= 0:
            i = np.int64((np.uint64(i) + np.uint64(1)) & emask)
        ekeys[i] = keys[j]
        evals[i] = vals[j]


@njit(cache=True, nogil=True)
def _fill_bigrams(a: Int64Array, b: Int64Array, bigram: UInt64Array, bmask: np.uint64) -> None:
    for j in range(a.shape[0]):
        h = _mix(np.uint64(a[j]) * _MIX + np.uint64(b[j])) & bmask
        bigram[h >> np.uint64(6)] |= np.uint64(1) << (h & np.uint64(63))


# --------------------------------------------------------------------------- API

def _pow2_at_least(x: int) -> int:
    return 1 << max(0, (x - 1).bit_length())


class HashTrieScanner:
    """Hashed-trie matcher (benchmark alternative)."""

    __slots__ = ("_args", "_n")

    def __init__(self, n: int, args: tuple[object, ...]) -> None:
        self._n = n
        self._args = args

    @classmethod
    def build(cls, terms: Sequence[str]) -> HashTrieScanner:
        """Compile ``terms`` (term id = position); terms must be non-empty and unique."""
        seen: set[str] = set()
        for i, t in enumerate(terms):
            if not isinstance(t, str) or not t:
                raise ValueError(f"term {i} must be a non-empty string, got {t!r}")
            if t in seen:
                raise ValueError(f"term {i} {t!r} is a duplicate")
            seen.add(t)
        # Alphabet: every code point used by a term, ids from 1.
        alphabet: dict[str, int] = {}
        for t in terms:
            for ch in t:
                if ch not in alphabet:
                    alphabet[ch] = len(alphabet) + 1
        stride = len(alphabet) + 1
        bmp = np.zeros(_BMP, dtype=np.int32)
        astral = sorted((ord(ch), i) for ch, i in alphabet.items() if ord(ch) >= _BMP)
        for ch, i in alphabet.items():
            if ord(ch) < _BMP:
                bmp[ord(ch)] = i
        astral_cp = np.array([c for c, _ in astral], dtype=np.uint32)
        astral_id = np.array([i for _, i in astral], dtype=np.int32)

        # Trie: node 0 is the root; edges as (parent * stride + char) -> child.
        edges: dict[int, int] = {}
        term_at_l = [-1]
        has_child_l = [0]
        first: list[int] = []  # alphabet id of the first char, per node (bigram filter)
        first.append(0)
        for tid, t in enumerate(terms):
            node = 0
            for ch in t:
                key = node * stride + alphabet[ch]
                child = edges.get(key)
                if child is None:
                    child = len(term_at_l)
                    edges[key] = child
                    term_at_l.append(-1)
                    has_child_l.append(0)
                    first.append(alphabet[ch] if node == 0 else first[node])
                    has_child_l[node] = 1
                node = child
            term_at_l[node] = tid
        term_at = np.array(term_at_l, dtype=np.int32)
        has_child = np.array(has_child_l, dtype=np.uint8)
        ek = np.fromiter(edges.keys(), dtype=np.int64, count=len(edges))
        ev = np.fromiter(edges.values(), dtype=np.int32, count=len(edges))
        parent = ek // stride
        char = ek % stride
        # Depth 1: dense array by alphabet id.
        root = np.full(stride, -1, dtype=np.int32)
        is_root = parent == 0
        root[char[is_root]] = ev[is_root]
        # Deeper edges: open addressing at load <= 0.5.
        deep_k, deep_v = ek[~is_root], ev[~is_root]
        esize = _pow2_at_least(max(2, 2 * deep_k.shape[0]))
        ekeys = np.full(esize, -1, dtype=np.int64)
        evals = np.full(esize, -1, dtype=np.int32)
        emask = np.uint64(esize - 1)
        _fill_edges(deep_k, deep_v, ekeys, evals, emask)
        # Bigram filter over (first char, second char) of every depth-2 edge.
        depth2 = np.isin(parent, ev[is_root])
        p2 = parent[depth2]
        first_arr = np.array(first, dtype=np.int64)
        nbits = _pow2_at_least(max(4096, 16 * int(p2.shape[0])))
        bigram = np.zeros(nbits // 64, dtype=np.uint64)
        bmask = np.uint64(nbits - 1)
        _fill_bigrams(first_arr[p2], char[depth2], bigram, bmask)
        args = (bmp, astral_cp, astral_id, root, term_at, has_child, bigram, bmask,
                ekeys, evals, emask, np.int64(stride), np.int64(max(1, len(terms))))
        return cls(len(terms), args)

    def scan(self, text: str) -> list[tuple[int, int]]:
        """Every occurrence in ``text`` as ``(term_id, end)``, sorted by (end, term_id)."""
        _, term, end = self.scan_batch((text,))
        return list(zip(term.tolist(), end.tolist(), strict=True))

    def scan_batch(self, texts: Sequence[str]) -> tuple[Int32Array, Int32Array, Int32Array]:
        """``(msg_index, term_id, end)`` for every occurrence in every text, one kernel call.

        Sorted by (msg_index, end, term_id); ``end`` is the exclusive end offset in
        ``str`` characters of that message.
        """
        buf, starts = encode_batch(texts)
        return _scan(buf, starts, *self._args)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"HashTrieScanner(terms={self._n})"
