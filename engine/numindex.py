"""Compact number index: an immutable open-addressing hash over int64 number keys.

Number lists (block lists, allow lists, prefix and range rules) hold up to tens of
millions of *number keys* (canonical E.164 digits read as an integer, see
``rules/phone.py``).  A Python ``set`` of 10 M ints costs about 1 GB and answers
~5 M lookups/s; this index costs ~15 bytes per entry and answers whole batches of
queries in one numba call.

Layout (why it is fast and small):

* Two parallel arrays, ``keys`` (int64) and ``values`` (int32): 12 bytes per slot,
  at a load factor of 0.8 that is 15 bytes per entry.  The table size is *not* a
  power of two (that would cost up to 2x memory); a key's home slot is
  ``(hash(key) >> 32) * nslots >> 32`` (multiply-shift range reduction).
* Ordered linear probing ("Robin Hood" in its sorted form): keys are stored in
  order of their home slot, each at the first free slot at or after its home.
  A lookup scans forward from the home slot and stops at an empty slot *or* at a
  key whose home is past the query's home, so misses are as cheap as hits
  (about 2 slots, i.e. one cache line, on average).  The table has a tail of
  spare slots instead of wrapping around, which keeps the probe loop branch-light.
* Batches are processed in groups: the home slots of a group of queries are
  loaded first (independent loads the CPU overlaps), then the probes run on
  lines that are already in cache.  Memory latency, not arithmetic, is what
  bounds random lookups into an 80 MB table.

>>> import numpy as np
>>> idx = NumberIndex.build(np.array([8613800138000, 86110], dtype=np.int64),
...                         np.array([7, 3], dtype=np.int32))
>>> idx.lookup(np.array([86110, 8613800138000, 42], dtype=np.int64)).tolist()
[3, 7, -1]
>>> pfx = NumberIndex.build(np.array([86170, 861701], dtype=np.int64),
...                         np.array([0, 1], dtype=np.int32))
>>> pfx.lookup_longest_prefix(np.array([8617012345678, 8617112345678, 8617099], dtype=np.int64)).tolist()
[1, -1, 0]
>>> range_to_prefixes(13800138000, 13800138999)
[13800138]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit, prange

__all__ = ["MAX_KEY_DIGITS", "NumberIndex", "range_to_prefixes", "warm"]

#: Number keys have at most 18 digits (10**18 < 2**63), see ``rules/phone.py``.
MAX_KEY_DIGITS = 18
_EMPTY = np.int64(-1)  # number keys are >= 0, so -1 marks a free slot
_LOAD = 0.8  # 12 bytes/slot / 0.8 = 15 bytes per entry
_GROUP = 16  # queries whose home lines are touched together (memory-level parallelism)
_MUL = np.uint64(0x9E3779B97F4A7C15)
_POW10 = np.array([10**k for k in range(MAX_KEY_DIGITS + 1)], dtype=np.int64)

Int64Array = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]


@njit(cache=True, nogil=True, inline="always")
def _home(key: np.int64, nslots: np.uint64) -> np.int64:
    # splitmix64-style finaliser: phone numbers are highly structured (shared
    # prefixes, sequential blocks), so the low bits alone would cluster.
    h = np.uint64(key)
    h = (h ^ (h >> np.uint64(31))) * np.uint64(0x9E3779B97F4A7C15)
    h = h ^ (h >> np.uint64(29))
    return np.int64(((h >> np.uint64(32)) * nslots) >> np.uint64(32))


@njit(cache=True, nogil=True, inline="always")
def _probe(keys: Int64Array, values: Int32Array, nslots: np.uint64, q: np.int64) -> np.int32:
    if q < 0:
        return np.int32(-1)
    hq = _home(q, nslots)
    i = hq
    while True:
        k = keys[i]
        if k == q:
            return values[i]
        # Empty slot, or a key that belongs further right: q cannot be stored here.
        if k < 0 or _home(k, nslots) > hq:
            return np.int32(-1)
        i += 1


@njit(cache=True, nogil=True)
def _place(keys_sorted: Int64Array, homes_sorted: Int64Array, values_sorted: Int32Array,
           out_keys: Int64Array, out_values: Int32Array) -> np.int64:
    """Put keys (sorted by home slot) at the first free slot >= home; return one past the last."""
    nxt = np.int64(0)
    for j in range(keys_sorted.shape[0]):
        pos = max(homes_sorted[j], nxt)
        out_keys[pos] = keys_sorted[j]
        out_values[pos] = values_sorted[j]
        nxt = pos + 1
    return nxt


@njit(cache=True, nogil=True)
def _tail_end(homes_sorted: Int64Array) -> np.int64:
    """One past the last slot ordered placement will use."""
    nxt = np.int64(0)
    for j in range(homes_sorted.shape[0]):
        nxt = max(homes_sorted[j], nxt) + 1
    return nxt


@njit(cache=True, nogil=True)
def _homes(keys: Int64Array, nslots: np.uint64) -> Int64Array:
    out = np.empty(keys.shape[0], dtype=np.int64)
    for j in range(keys.shape[0]):
        out[j] = _home(keys[j], nslots)
    return out


@njit(cache=True, nogil=True)
def _lookup_range(keys: Int64Array, values: Int32Array, nslots: np.uint64,
                  queries: Int64Array, out: Int32Array, lo: int, hi: int) -> None:
    homes = np.empty(_GROUP, dtype=np.int64)
    g = lo
    while g < hi:
        ge = min(g + _GROUP, hi)
        # Pass 1: touch every home slot of the group.  The loads are independent,
        # so their cache misses overlap instead of being paid one after another.
        acc = np.int64(0)
        for j in range(g, ge):
            q = queries[j]
            h = _home(q, nslots) if q >= 0 else np.int64(0)
            homes[j - g] = h
            acc ^= keys[h]
        # Pass 2: the real probes, now mostly L1/L2 hits.
        for j in range(g, ge):
            out[j] = _probe(keys, values, nslots, queries[j])
        if acc == np.int64(0x7FFFFFFFFFFFFFFF):  # keeps pass 1 from being optimised away
            out[g] = out[g]
        g = ge


@njit(cache=True, nogil=True)
def _lookup_serial(keys: Int64Array, values: Int32Array, nslots: np.uint64,
                   queries: Int64Array) -> Int32Array:
    out = np.empty(queries.shape[0], dtype=np.int32)
    _lookup_range(keys, values, nslots, queries, out, 0, queries.shape[0])
    return out


@njit(cache=True, nogil=True, parallel=True)
def _lookup_parallel(keys: Int64Array, values: Int32Array, nslots: np.uint64,
                     queries: Int64Array, nchunks: int) -> Int32Array:
    n = queries.shape[0]
    out = np.empty(n, dtype=np.int32)
    step = (n + nchunks - 1) // nchunks
    for c in prange(nchunks):
        _lookup_range(keys, values, nslots, queries, out, c * step, min(n, (c + 1) * step))
    return out


@njit(cache=True, nogil=True)
def _ndigits(q: np.int64, pow10: Int64Array) -> int:
    d = 1
    while d < pow10.shape[0] and q >= pow10[d]:
        d += 1
    return d


@njit(cache=True, nogil=True)
def _longest_prefix(keys: Int64Array, values: Int32Array, nslots: np.uint64,
                    lengths_mask: np.int64, max_len: int, pow10: Int64Array,
                    queries: Int64Array) -> Int32Array:
    out = np.full(queries.shape[0], -1, dtype=np.int32)
    for j in range(queries.shape[0]):
        q = queries[j]
        if q < 0:
            continue
        nd = _ndigits(q, pow10)
        # Longest first; only lengths that some stored prefix actually has.
        for ln in range(min(nd, max_len), 0, -1):
            if (lengths_mask >> np.int64(ln)) & np.int64(1):
                v = _probe(keys, values, nslots, q // pow10[nd - ln])
                if v >= 0:
                    out[j] = v
                    break
    return out


class NumberIndex:
    """Immutable open-addressing hash over int64 keys -> int32 values (numba kernels).

    >>> import numpy as np
    >>> idx = NumberIndex.build(np.arange(10, 20, dtype=np.int64), np.arange(10, dtype=np.int32))
    >>> len(idx), idx.lookup(np.array([12, 99], dtype=np.int64)).tolist()
    (10, [2, -1])
    """

    __slots__ = ("_keys", "_lengths_mask", "_max_len", "_n", "_nslots", "_values")

    #: Batches at least this large are split over the cores (prange).
    PARALLEL_MIN = 1 << 16

    def __init__(self, keys: Int64Array, values: Int32Array, nslots: int, n: int,
                 lengths_mask: int, max_len: int) -> None:
        self._keys = keys
        self._values = values
        self._nslots = np.uint64(nslots)
        self._n = n
        self._lengths_mask = np.int64(lengths_mask)
        self._max_len = max_len

    @classmethod
    def build(cls, keys: npt.ArrayLike, values: npt.ArrayLike) -> NumberIndex:
        """Build from unique non-negative int64 ``keys`` and int32 ``values`` >= 0."""
        k = np.ascontiguousarray(keys, dtype=np.int64)
        v = np.ascontiguousarray(values, dtype=np.int32)
        if k.ndim != 1 or v.shape != k.shape:
            raise ValueError(f"keys and values must be 1-D of equal length, got {k.shape} and {v.shape}")
        n = int(k.shape[0])
        if n and int(k.min()) < 0:
            raise ValueError(f"keys must be non-negative number keys, got {int(k.min())}")
        if n and int(k.max()) >= 10**MAX_KEY_DIGITS:
            raise ValueError(f"keys must have at most {MAX_KEY_DIGITS} digits, got {int(k.max())}")
        if n and int(v.min()) < 0:
            raise ValueError(f"values must be >= 0, got {int(v.min())}")
        nslots = max(1, int(np.ceil(n / _LOAD)))
        homes = _homes(k, np.uint64(nslots))
        order = np.lexsort((k, homes))  # by home slot, then key (deterministic layout)
        ks, hs = k[order], homes[order]
        if n > 1:
            dup = ks[1:] == ks[:-1]  # equal keys share a home, so they end up adjacent
            if dup.any():
                raise ValueError(f"duplicate key {int(ks[1:][dup][0])}")
        # Ordered placement can push the last entries past the end of the table
        # (no wrap-around); the tail is sized exactly, plus one always-empty slot
        # so a probe never needs a bounds check.
        end = int(_tail_end(hs))
        size = max(nslots, end) + 1
        out_keys = np.full(size, _EMPTY, dtype=np.int64)
        out_values = np.full(size, -1, dtype=np.int32)
        _place(ks, hs, v[order], out_keys, out_values)
        lengths = {max(1, int(d)) for d in np.unique(_ndigits_np(k))}
        mask = 0
        for ln in lengths:
            mask |= 1 << ln
        return cls(out_keys, out_values, nslots, n, mask, max(lengths, default=0))

    def lookup(self, queries: npt.ArrayLike) -> Int32Array:
        """Value of each query key, -1 where absent: int64[n] -> int32[n], one kernel call."""
        q = np.ascontiguousarray(queries, dtype=np.int64)
        if self._n == 0:
            return np.full(q.shape[0], -1, dtype=np.int32)
        if q.shape[0] >= self.PARALLEL_MIN:
            return _lookup_parallel(self._keys, self._values, self._nslots, q, 8)  # type: ignore[no-any-return]
        return _lookup_serial(self._keys, self._values, self._nslots, q)  # type: ignore[no-any-return]

    def lookup_serial(self, queries: npt.ArrayLike) -> Int32Array:
        """Like :meth:`lookup` but always on one thread (for measuring)."""
        q = np.ascontiguousarray(queries, dtype=np.int64)
        if self._n == 0:
            return np.full(q.shape[0], -1, dtype=np.int32)
        return _lookup_serial(self._keys, self._values, self._nslots, q)  # type: ignore[no-any-return]

    def lookup_longest_prefix(self, queries: npt.ArrayLike) -> Int32Array:
        """For each query, the value of the longest stored key that is a digit-prefix of it.

        A stored key ``p`` matches query ``q`` when ``q // 10**k == p`` for some
        ``k`` in ``0 .. ndigits(q)-1`` (``k == 0``: the whole number).  -1 if none.
        """
        q = np.ascontiguousarray(queries, dtype=np.int64)
        if self._n == 0:
            return np.full(q.shape[0], -1, dtype=np.int32)
        return _longest_prefix(self._keys, self._values, self._nslots,  # type: ignore[no-any-return]
                               self._lengths_mask, self._max_len, _POW10, q)

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held by the table arrays."""
        return int(self._keys.nbytes + self._values.nbytes)

    def __repr__(self) -> str:
        return f"NumberIndex(n={self._n}, nbytes={self.nbytes})"


def _ndigits_np(k: Int64Array) -> Int64Array:
    """Digit count of every key (vectorised)."""
    return np.searchsorted(_POW10, k, side="right").astype(np.int64)


def range_to_prefixes(lo: int, hi: int) -> list[int]:
    """Minimal list of prefix keys covering exactly the numbers ``lo .. hi`` (inclusive).

    ``lo`` and ``hi`` must have the same number of digits.  Each prefix ``p`` stands
    for every number of that length that starts with ``p``'s digits (greedy
    decimal-aligned blocks, the decimal analogue of CIDR decomposition).

    >>> range_to_prefixes(13800138000, 13800138999)
    [13800138]
    >>> range_to_prefixes(120, 135)
    [12, 130, 131, 132, 133, 134, 135]
    """
    if lo < 0 or hi < 0:
        raise ValueError(f"range bounds must be non-negative, got {lo}-{hi}")
    if len(str(lo)) != len(str(hi)):
        raise ValueError(f"range bounds must have the same number of digits, got {lo}-{hi}")
    if lo > hi:
        raise ValueError(f"range start {lo} is greater than its end {hi}")
    if len(str(hi)) > MAX_KEY_DIGITS:
        raise ValueError(f"range bounds must have at most {MAX_KEY_DIGITS} digits")
    width = len(str(lo))
    out: list[int] = []
    cur = lo
    while cur <= hi:
        # Largest aligned block 10**k starting at cur that stays inside [cur, hi];
        # k < width keeps at least one digit in the prefix.
        k = 0
        while k + 1 < width and cur % 10 ** (k + 1) == 0 and cur + 10 ** (k + 1) - 1 <= hi:
            k += 1
        out.append(cur // 10**k)
        cur += 10**k
    return out


def warm() -> None:
    """Compile (or load from cache) every kernel on tiny input."""
    idx = NumberIndex.build(np.array([5, 86170, 8617012], dtype=np.int64),
                            np.array([0, 1, 2], dtype=np.int32))
    q = np.array([5, 7, 8617012345], dtype=np.int64)
    idx.lookup_serial(q)
    _lookup_parallel(idx._keys, idx._values, idx._nslots, q, 2)
    idx.lookup_longest_prefix(q)
