"""Compact number index: an immutable open-addressing hash over int64 number keys.

Number lists (block lists, allow lists, prefix and range rules) hold up to tens of
millions of *number keys* (canonical E.164 digits read as an integer, see
``rules/phone.py``).  A Python ``set`` of 10 M ints costs about 1 GB and answers
~5 M lookups/s; this index costs ~15 bytes per entry and answers whole batches of
queries in one numba call.

Layout (why it is fast and small):

* Bucketised two-choice cuckoo hashing.  A bucket is one 64-byte cache line of
  eight int64 words: five keys, then five int32 values (and one spare int32).
  Every key lives in one of its two candidate buckets, so a lookup reads at
  most two cache lines, both addresses known up front: the loads are
  independent and overlap.  Open addressing with linear probing was measured
  first and lost (about 6 M lookups/s at 10 M keys): at the 0.8 load factor
  the memory budget needs, probe chains are long and each step is a dependent
  cache miss.
* Load factor 0.85 of five-slot buckets: 64 / (5 * 0.85) = 15.06 bytes per
  entry.  The bucket count is not a power of two (that could cost 2x memory);
  a hash is mapped to a bucket by multiply-shift range reduction.
* Batch lookups prefetch: while probing query ``j`` the kernel issues software
  prefetches (``engine/prefetch.py``) for both bucket lines of query
  ``j + 16``, so about 32 cache misses are in flight at any time.  Memory
  latency, not arithmetic, bounds random lookups into a 150 MB table.  Measured
  at 10 M keys on one thread: 22 M lookups/s when the lines were touched with
  plain loads a group of 16 queries at a time, 50 M/s with the prefetches 16
  queries ahead (8 ahead: 41 M/s; 64 ahead: 27-49 M/s).  Large batches are also
  split over the cores.

>>> import numpy as np
>>> idx = NumberIndex.build(np.array([8613800138000, 86110], dtype=np.int64),
...                         np.array([7, 3], dtype=np.int32))
>>> idx.lookup(np.array([86110, 8613800138000, 42], dtype=np.int64)).tolist()
[3, 7, -1]
>>> pfx = NumberIndex.build(np.array([86170, 861701], dtype=np.int64),
...                         np.array([0, 1], dtype=np.int32))
>>> q = np.array([8617012345678, 8617112345678, 8617099], dtype=np.int64)
>>> pfx.lookup_longest_prefix(q).tolist()
[1, -1, 0]
>>> range_to_prefixes(13800138000, 13800138999)
[13800138]
"""

from __future__ import annotations

import contextlib
import mmap
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from engine.prefetch import prefetch
from rules.phone import range_to_prefixes  # re-exported: ranges are stored as prefixes

__all__ = ["MAX_KEY_DIGITS", "NumberIndex", "range_to_prefixes", "warm"]

#: Number keys have at most 18 digits (10**18 < 2**63), see ``rules/phone.py``.
MAX_KEY_DIGITS = 18
_EMPTY = np.int64(-1)  # number keys are >= 0, so -1 marks a free slot
_LOAD = 0.85  # 64 bytes / (5 slots * 0.85) = 15.06 bytes per entry
_WORDS = 8  # int64 words per bucket (one cache line)
_SLOTS = 5  # keys per bucket; their int32 values sit in words 5..7
_VAL0 = 2 * _SLOTS  # int32 offset of the first value inside a bucket
_AHEAD = 16  # queries between a prefetch of bucket lines and their probe
_MAX_KICKS = 2000
_POW10 = np.array([10**k for k in range(MAX_KEY_DIGITS + 1)], dtype=np.int64)

Int64Array = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]


@njit(cache=True, nogil=True, inline="always")
def _buckets(key: np.int64, nb: np.uint64) -> tuple[np.int64, np.int64]:
    # splitmix64-style finaliser: phone numbers are highly structured (shared
    # prefixes, sequential blocks), so raw bits would cluster.  The high and low
    # 32 bits of one 64-bit hash give the two candidate buckets.
    h = np.uint64(key)
    h = (h ^ (h >> np.uint64(31))) * np.uint64(0x9E3779B97F4A7C15)
    h = h ^ (h >> np.uint64(29))
    a = np.int64(((h >> np.uint64(32)) * nb) >> np.uint64(32))
    b = np.int64(((h & np.uint64(0xFFFFFFFF)) * nb) >> np.uint64(32))
    return a, b


@njit(cache=True, nogil=True)
def _insert_all(keys: Int64Array, values: Int32Array, nb: np.uint64,
                t64: Int64Array, t32: Int32Array, seed: int) -> np.int64:
    """Cuckoo-insert every key; return -1, or the index of a key that found no place."""
    np.random.seed(seed)
    for j in range(keys.shape[0]):
        k = keys[j]
        v = values[j]
        placed = False
        for _kick in range(_MAX_KICKS):
            a, b = _buckets(k, nb)
            for s in range(_SLOTS):
                if t64[a * _WORDS + s] < 0:
                    t64[a * _WORDS + s] = k
                    t32[a * 2 * _WORDS + _VAL0 + s] = v
                    placed = True
                    break
            if not placed:
                for s in range(_SLOTS):
                    if t64[b * _WORDS + s] < 0:
                        t64[b * _WORDS + s] = k
                        t32[b * 2 * _WORDS + _VAL0 + s] = v
                        placed = True
                        break
            if placed:
                break
            # Both buckets full: evict a random resident and re-home it (random walk).
            bk = a if np.random.random() < 0.5 else b
            s = np.random.randint(0, _SLOTS)
            old_k = t64[bk * _WORDS + s]
            old_v = t32[bk * 2 * _WORDS + _VAL0 + s]
            t64[bk * _WORDS + s] = k
            t32[bk * 2 * _WORDS + _VAL0 + s] = v
            k = old_k
            v = old_v
        if not placed:
            return np.int64(j)
    return np.int64(-1)


@njit(cache=True, nogil=True, inline="always")
def _probe(t64: Int64Array, t32: Int32Array, nb: np.uint64, q: np.int64) -> np.int32:
    a, b = _buckets(q, nb)
    # Branch-free scan of both buckets: a mispredicted branch on loaded data
    # would stop the CPU from running ahead to the next query's loads.
    hit = np.int64(-1)
    for s in range(_SLOTS):
        hit = a * 2 * _WORDS + _VAL0 + s if t64[a * _WORDS + s] == q else hit
    for s in range(_SLOTS):
        hit = b * 2 * _WORDS + _VAL0 + s if t64[b * _WORDS + s] == q else hit
    return t32[hit] if hit >= 0 else np.int32(-1)


@njit(cache=True, nogil=True, inline="always")
def _prefetch_buckets(t64: Int64Array, nb: np.uint64, q: np.int64) -> None:
    a, b = _buckets(q, nb)
    prefetch(t64, a * _WORDS)
    prefetch(t64, b * _WORDS)


@njit(cache=True, nogil=True)
def _lookup_range(t64: Int64Array, t32: Int32Array, nb: np.uint64,
                  queries: Int64Array, out: Int32Array, lo: int, hi: int) -> None:
    for j in range(lo, min(lo + _AHEAD, hi)):
        _prefetch_buckets(t64, nb, queries[j])
    for j in range(lo, hi):
        # Fetch ahead, then probe lines that were requested _AHEAD queries ago.
        if j + _AHEAD < hi:
            _prefetch_buckets(t64, nb, queries[j + _AHEAD])
        out[j] = _probe(t64, t32, nb, queries[j])


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def _lookup_one(t64: Int64Array, t32: Int32Array, nb: np.uint64, q: np.int64) -> np.int32:
    return _probe(t64, t32, nb, q)


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def _lookup_pair(t64: Int64Array, t32: Int32Array, nb: np.uint64, a: np.int64,
                 b: np.int64) -> tuple[np.int32, np.int32]:
    return _probe(t64, t32, nb, a), _probe(t64, t32, nb, b)


@njit(cache=True, nogil=True)
def _lookup_serial(t64: Int64Array, t32: Int32Array, nb: np.uint64,
                   queries: Int64Array) -> Int32Array:
    out = np.empty(queries.shape[0], dtype=np.int32)
    _lookup_range(t64, t32, nb, queries, out, 0, queries.shape[0])
    return out


@njit(cache=True, nogil=True, parallel=True)
def _lookup_parallel(t64: Int64Array, t32: Int32Array, nb: np.uint64,
                     queries: Int64Array, nchunks: int) -> Int32Array:
    n = queries.shape[0]
    out = np.empty(n, dtype=np.int32)
    step = (n + nchunks - 1) // nchunks
    for c in prange(nchunks):
        _lookup_range(t64, t32, nb, queries, out, c * step, min(n, (c + 1) * step))
    return out


@njit(cache=True, nogil=True)
def _ndigits(q: np.int64, pow10: Int64Array) -> int:
    d = 1
    while d < pow10.shape[0] and q >= pow10[d]:
        d += 1
    return d


@njit(cache=True, nogil=True)
def _longest_prefix(t64: Int64Array, t32: Int32Array, nb: np.uint64,
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
                v = _probe(t64, t32, nb, q // pow10[nd - ln])
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

    __slots__ = ("_lengths_mask", "_max_len", "_n", "_nb", "_t32", "_t64")

    #: Batches at least this large are split over the cores (prange).
    PARALLEL_MIN = 1 << 15

    def __init__(self, t64: Int64Array, nb: int, n: int, lengths_mask: int, max_len: int) -> None:
        self._t64 = t64
        self._t32: Int32Array = t64.view(np.int32)  # same memory: the value words
        self._nb = np.uint64(nb)
        self._n = n
        self._lengths_mask = np.int64(lengths_mask)
        self._max_len = max_len

    @classmethod
    def build(cls, keys: npt.ArrayLike, values: npt.ArrayLike) -> NumberIndex:
        """Build from unique non-negative int64 ``keys`` and int32 ``values`` >= 0."""
        k, v = _checked_part(keys, values)
        if k.size:
            # The engine hands over sorted unique keys: checking that costs one pass and
            # no 80 MB copy at 10 M keys (reload memory must stay within 2x steady).
            ks = k if bool(np.all(k[1:] > k[:-1])) else np.sort(k)
            dup = ks[1:] == ks[:-1]
            if dup.any():
                raise ValueError(f"duplicate key {int(ks[1:][dup][0])}")
        return cls.build_parts([(k, v)])

    @classmethod
    def build_parts(cls, parts: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]]) -> NumberIndex:
        """Build from several (keys, values) parts whose keys are unique across all parts.

        The caller guarantees uniqueness (it is not checked): this is how a huge list
        and the few numbers of small lists go into one table without a concatenated
        copy of the huge one.
        """
        checked = [_checked_part(k, v) for k, v in parts]
        n = sum(int(k.size) for k, _ in checked)
        nb = max(1, int(np.ceil(n / (_SLOTS * _LOAD))))
        # The random walk virtually never fails at this load; if it does, a
        # little more room and another seed settle it.
        for attempt in range(8):
            t64 = _alloc_table(nb * _WORDS)
            if all(_insert_all(k, v, np.uint64(nb), t64, t64.view(np.int32), attempt) < 0
                   for k, v in checked):
                break
            nb = int(nb * 1.02) + 1
        else:  # pragma: no cover - would need an adversarial key set
            raise RuntimeError("number index: cuckoo insertion failed")
        lengths = set().union(*(_lengths_of(k) for k, _ in checked if k.size))
        mask = 0
        for ln in lengths:
            mask |= 1 << ln
        return cls(t64, nb, n, mask, max(lengths, default=0))

    def lookup(self, queries: npt.ArrayLike) -> Int32Array:
        """Value of each query key, -1 where absent: int64[n] -> int32[n], one kernel call."""
        q = np.ascontiguousarray(queries, dtype=np.int64)
        if self._n == 0:
            return np.full(q.shape[0], -1, dtype=np.int32)
        if q.shape[0] >= self.PARALLEL_MIN:
            return _lookup_parallel(
                self._t64, self._t32, self._nb, q, 8)
        return _lookup_serial(self._t64, self._t32, self._nb, q)

    def get(self, key: int) -> int:
        """Value of one key, -1 where absent: one kernel call that takes and returns ints
        (a few events' numbers: building and returning arrays would cost more).

        >>> NumberIndex.build(np.array([86110], np.int64), np.array([3], np.int32)).get(86110)
        3
        """
        if self._n == 0 or not 0 <= key < 1 << 63:
            return -1
        # A plain int types as int64, the compiled signature, and the int32 result comes
        # back as an int: wrapping them in np.int64() and int() cost 0.3 µs of 0.6.
        # (The kernel's annotations say numpy scalars; numba takes and gives these ints.)
        return _lookup_one(self._t64, self._t32, self._nb, key)  # type: ignore[arg-type,return-value]

    def get_pair(self, a: int, b: int) -> tuple[int, int]:
        """``(get(a), get(b))`` in one kernel call: an event's two party numbers. Where
        other work between decisions has evicted the caches, one :meth:`get` costs ~4 µs
        (0.4 warm), so one call instead of two is a saving.

        >>> NumberIndex.build(np.array([86110], np.int64), np.array([3], np.int32)).get_pair(
        ...     86119, 86110)
        (-1, 3)
        """
        if self._n == 0 or not (0 <= a < 1 << 63 and 0 <= b < 1 << 63):
            return self.get(a), self.get(b)
        return _lookup_pair(self._t64, self._t32, self._nb, a, b)  # type: ignore[arg-type,return-value]

    def lookup_serial(self, queries: npt.ArrayLike) -> Int32Array:
        """Like :meth:`lookup` but always on one thread (for measuring)."""
        q = np.ascontiguousarray(queries, dtype=np.int64)
        if self._n == 0:
            return np.full(q.shape[0], -1, dtype=np.int32)
        return _lookup_serial(self._t64, self._t32, self._nb, q)

    def lookup_longest_prefix(self, queries: npt.ArrayLike) -> Int32Array:
        """For each query, the value of the longest stored key that is a digit-prefix of it.

        A stored key ``p`` matches query ``q`` when ``q // 10**k == p`` for some
        ``k`` in ``0 .. ndigits(q)-1`` (``k == 0``: the whole number).  -1 if none.
        """
        q = np.ascontiguousarray(queries, dtype=np.int64)
        if self._n == 0:
            return np.full(q.shape[0], -1, dtype=np.int32)
        return _longest_prefix(self._t64, self._t32, self._nb,
                               self._lengths_mask, self._max_len, _POW10, q)

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held by the table (keys and values share one array)."""
        return int(self._t64.nbytes)

    def __repr__(self) -> str:
        return f"NumberIndex(n={self._n}, nbytes={self.nbytes})"


_HUGE_MIN = 8 << 20  # tables at least this large go on transparent huge pages


def _alloc_table(nwords: int) -> Int64Array:
    """An int64 array of free slots; big ones on 2 MB pages where the OS allows.

    Random lookups into a 150 MB table miss the TLB on almost every probe with
    4 KB pages; an anonymous mapping advised MADV_HUGEPAGE before it is first
    touched measured ~15% faster at 10 M entries.
    """
    nbytes = nwords * 8
    advise = getattr(mmap, "MADV_HUGEPAGE", None)
    if nbytes < _HUGE_MIN or advise is None:
        return np.full(nwords, _EMPTY, dtype=np.int64)
    area = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    with contextlib.suppress(OSError):  # THP disabled: plain pages, same layout
        area.madvise(advise)
    table: Int64Array = np.frombuffer(area, dtype=np.int64, count=nwords)  # keeps `area` alive
    table[:] = _EMPTY
    return table


def _checked_part(keys: npt.ArrayLike, values: npt.ArrayLike) -> tuple[Int64Array, Int32Array]:
    """Keys and values as contiguous arrays, with every per-entry rule checked."""
    k = np.ascontiguousarray(keys, dtype=np.int64)
    v = np.ascontiguousarray(values, dtype=np.int32)
    if k.ndim != 1 or v.shape != k.shape:
        raise ValueError(
            f"keys and values must be 1-D of equal length, got {k.shape} and {v.shape}")
    if k.size:
        if int(k.min()) < 0:
            raise ValueError(f"keys must be non-negative number keys, got {int(k.min())}")
        if int(k.max()) >= 10**MAX_KEY_DIGITS:
            raise ValueError(
                f"keys must have at most {MAX_KEY_DIGITS} digits, got {int(k.max())}")
        if int(v.min()) < 0:
            raise ValueError(f"values must be >= 0, got {int(v.min())}")
    return k, v


@njit(cache=True, nogil=True)
def _length_mask(keys: Int64Array) -> int:
    """Bit d set when some key has d digits (one pass, no per-key array)."""
    mask = 0
    for key in keys:
        d = 1
        while key >= 10 and d < 19:
            key //= 10
            d += 1
        mask |= 1 << d
    return mask


def _lengths_of(keys: Int64Array) -> set[int]:
    """Digit counts that occur among keys (sorted: binary searches; else one kernel pass)."""
    if keys.size < 2 or (bool(keys[0] <= keys[-1]) and bool(np.all(keys[1:] >= keys[:-1]))):
        return _lengths_present(keys)
    mask = int(_length_mask(keys))
    return {d for d in range(1, 20) if mask >> d & 1}


def _lengths_present(sorted_keys: Int64Array) -> set[int]:
    """Digit counts that occur among sorted keys: 19 binary searches, no per-key array."""
    bounds = np.searchsorted(sorted_keys, _POW10, side="left")  # first key >= 10**d
    lengths = set()
    for d in range(1, len(_POW10)):
        if bounds[d] > bounds[d - 1]:  # some key in [10**(d-1), 10**d)
            lengths.add(d)
    if bounds[0] > 0:  # the key 0
        lengths.add(1)
    if bounds[-1] < len(sorted_keys):  # keys of more digits than _POW10 covers
        lengths.add(len(_POW10))
    return lengths


def warm() -> None:
    """Compile (or load from cache) every kernel on tiny input."""
    idx = NumberIndex.build(np.array([5, 86170, 8617012], dtype=np.int64),
                            np.array([0, 1, 2], dtype=np.int32))
    q = np.array([5, 7, 8617012345], dtype=np.int64)
    idx.lookup_serial(q)
    _lookup_parallel(idx._t64, idx._t32, idx._nb, q, 2)
    idx.lookup_longest_prefix(q)
    idx.get(86170)
    idx.get_pair(86170, 5)
    _length_mask(q)
