"""numba kernels of the velocity table (see ``engine.velocity`` for the design).

The table is set-associative: a caller's key hashes to a set of :data:`WAYS`
slots; a new caller takes an empty slot of its set or evicts the slot seen
least recently. Each slot holds, per *column* (one metric over one window),
a ring of ``R`` sub-window counters (``uint16``, saturating) or 128-bit
linear-counting bitmaps (distinct callees), plus the index of the newest
sub-window written (``head``). Advancing ``head`` clears the ring positions it
passes, so old sub-windows expire without any sweeper.

Column types (``col_type``): 1 calls, 2 ended calls, 3 short ended calls
(duration below ``col_param`` ms), 4 SMS, 5 distinct callees. Event kinds
(``ev_kind``): 0 call setup, 1 call ended, 2 message, -1 nothing to record.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from engine.prefetch import prefetch

WAYS = 8  # slots per set: a caller is evicted only by 8 fresher callers of its set
SUB_WINDOWS = 4  # a window is 4 sub-windows; the ring keeps one more (the oldest, partly in)
RING = SUB_WINDOWS + 1
COUNT_MAX = 65535
T_CALLS, T_ENDED, T_SHORT, T_SMS, T_DISTINCT = 1, 2, 3, 4, 5
EV_CALL, EV_ENDED, EV_MESSAGE = 0, 1, 2

I64 = npt.NDArray[np.int64]

# Batch kernel prefetch distances, in events (measured on a 190 MiB table, 300 k callers,
# batches of 1024, four columns: 1.4-2.2 us an event without, 0.83-0.96 with 16/8,
# 24/12 or 32/16; the same events on a table that fits the cache: 0.95 us).
_SET_AHEAD = 24
_SLOT_AHEAD = 12


@njit(cache=True, nogil=True)
def _mix(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """splitmix64 finaliser: a well-spread 64-bit hash of a number key."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True)
def _popcount(x: np.uint64) -> int:  # pragma: no cover - compiled
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True, nogil=True, inline="always")
def _set_base(keys, key):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The first slot of ``key``'s set of :data:`WAYS` slots."""
    n_sets = keys.shape[0] // WAYS
    return int(_mix(np.uint64(key)) % np.uint64(n_sets)) * WAYS


@njit(cache=True, nogil=True)
def _find_slot(keys, seen, key, now_ms, insert):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The slot of ``key``; with ``insert``, claim one (empty, else least recently seen).

    Returns (slot, fresh): ``fresh`` is True when the slot was just (re)claimed
    and its counters must be cleared. -1 when not found and not inserting.
    """
    base = _set_base(keys, key)
    victim = -1
    for j in range(base, base + WAYS):
        if keys[j] == key:
            return j, False
        if keys[j] == 0 and victim < 0:
            victim = j
    if not insert:
        return -1, False
    if victim < 0:
        victim = base
        for j in range(base + 1, base + WAYS):
            if seen[j] < seen[victim]:
                victim = j
    keys[victim] = key
    seen[victim] = now_ms
    return victim, True


# Inlined: a call passing nine arrays cost ~110 ns an event, as much as the counting.
@njit(cache=True, nogil=True, inline="always")
def _event(keys, seen, cnt_head, cnt, dst_head, bits, tags,  # type: ignore[no-untyped-def]
           key, kind, aux, t, cols, record, out, i):  # pragma: no cover
    """Record one event (if ``record``) and write its value per column to ``out[i]``."""
    if key == 0:
        return
    m = cols.shape[1]
    n_bits = bits.shape[3] * 64
    slot, fresh = _find_slot(keys, seen, key, t, record and kind >= 0)
    if slot < 0:
        return
    # The slot's rows are in five arrays: ask for them together so their misses overlap.
    _prefetch_rows(seen, cnt_head, cnt, dst_head, bits, slot)
    if fresh:
        cnt_head[slot, :] = 0
        cnt[slot, :, :] = 0
        dst_head[slot, :] = 0
        bits[slot, :, :, :] = 0
    if record and kind >= 0:
        seen[slot] = max(seen[slot], t)
        for c in range(m):
            _record_one(cnt_head, cnt, dst_head, bits, slot, cols[0, c], cols[1, c],
                        t // cols[2, c], kind, aux, cols[3, c], n_bits)
            tags[cols[1, c] + (cnt.shape[1] if cols[0, c] == T_DISTINCT else 0), 3] = t
    for c in range(m):
        L = cols[2, c]
        sub = t // L
        if cols[0, c] == T_DISTINCT:
            out[i, c] = _distinct(dst_head, bits, slot, cols[1, c], sub, n_bits)
        else:
            frac = (t - sub * L) / L
            out[i, c] = _count(cnt_head, cnt, slot, cols[1, c], sub, frac)


@njit(cache=True, nogil=True)
def record_and_query(keys, seen, cnt_head, cnt, dst_head, bits, tags,  # type: ignore[no-untyped-def]
                     ev_key, ev_kind, ev_aux, ev_ms, cols, record):  # pragma: no cover
    """Record a batch of events (if ``record``) and return each event's value per column.

    ``cols`` is the columns' table, one row each for: type, index, sub-window length
    (ms), parameter. Events are processed in order, so an event's values include itself
    and the events before it in the batch. Counts are interpolated over exactly one
    window; distinct counts cover the window plus up to one sub-window.
    """
    n = ev_key.shape[0]
    out = np.zeros((n, cols.shape[1]), dtype=np.float64)
    for i in range(n):
        # A random caller's set and counters are cache misses in a 190 MiB table: ask
        # for event i+_SET_AHEAD's set line, and for the counters of event
        # i+_SLOT_AHEAD, whose set line was asked for earlier, while event i counts.
        if i + _SET_AHEAD < n and ev_key[i + _SET_AHEAD] != 0:
            prefetch(keys, _set_base(keys, ev_key[i + _SET_AHEAD]))
        if i + _SLOT_AHEAD < n and ev_key[i + _SLOT_AHEAD] != 0:
            _prefetch_counters(keys, seen, cnt_head, cnt, dst_head, bits, ev_key[i + _SLOT_AHEAD])
        _event(keys, seen, cnt_head, cnt, dst_head, bits, tags, ev_key[i], ev_kind[i],
               ev_aux[i], ev_ms[i], cols, record, out, i)
    return out


@njit(cache=True, nogil=True, inline="always")
def _prefetch_counters(keys, seen, cnt_head, cnt, dst_head, bits, key):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Prefetch the rows of ``key``'s slot if it has one now (a read: nothing is claimed)."""
    base = _set_base(keys, key)
    for j in range(base, base + WAYS):
        if keys[j] == key:
            _prefetch_rows(seen, cnt_head, cnt, dst_head, bits, j)
            return


@njit(cache=True, nogil=True, inline="always")
def _prefetch_rows(seen, cnt_head, cnt, dst_head, bits, slot):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Prefetch the first line of ``slot``'s row in each of the five per-slot arrays."""
    prefetch(seen, slot)
    prefetch(cnt_head, slot)
    prefetch(cnt, slot)
    prefetch(dst_head, slot)
    prefetch(bits, slot)


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def record_and_query_into(keys, seen, cnt_head, cnt, dst_head, bits, tags,  # type: ignore[no-untyped-def]
                          key, kind, aux, ms, cols, record, out):  # pragma: no cover
    """:func:`record_and_query` for one event given as ints, its values written into
    ``out`` (shape ``(1, columns)``).

    The single-decision path: building four one-element arrays in Python costs
    more than this event's counting, and so does an array handed back (numba looks
    up its dtype object through a Python call to box it).
    """
    out[0, :] = 0.0
    _event(keys, seen, cnt_head, cnt, dst_head, bits, tags, key, kind, aux, ms, cols, record,
           out, 0)


@njit(cache=True, nogil=True)
def _record_one(cnt_head, cnt, dst_head, bits, slot, ctype, col, sub,  # type: ignore[no-untyped-def]
                kind, aux, param, n_bits):  # pragma: no cover
    if ctype == T_DISTINCT:
        if kind != EV_CALL:
            return
        h = dst_head[slot, col]
        if sub > h:
            for b in range(max(h + 1, sub - RING + 1), sub + 1):
                bits[slot, col, b % RING, :] = 0
            dst_head[slot, col] = sub
        elif sub <= h - RING:
            return  # older than the ring: it cannot count any more
        bit = int(_mix(np.uint64(aux) ^ np.uint64(0x9E3779B97F4A7C15)) % np.uint64(n_bits))
        bits[slot, col, sub % RING, bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)
        return
    wanted = ((ctype == T_CALLS and kind == EV_CALL) or (ctype == T_SMS and kind == EV_MESSAGE)
              or (ctype == T_ENDED and kind == EV_ENDED)
              or (ctype == T_SHORT and kind == EV_ENDED and aux < param))
    if not wanted:
        return
    h = cnt_head[slot, col]
    if sub > h:
        for b in range(max(h + 1, sub - RING + 1), sub + 1):
            cnt[slot, col, b % RING] = 0
        cnt_head[slot, col] = sub
    elif sub <= h - RING:
        return
    pos = sub % RING
    if cnt[slot, col, pos] < COUNT_MAX:
        cnt[slot, col, pos] += 1


@njit(cache=True, nogil=True)
def _count(cnt_head, cnt, slot, col, sub, frac):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Sliding-window count: the last SUB_WINDOWS sub-windows, the oldest one pro rata."""
    h = cnt_head[slot, col]
    total = 0.0
    for b in range(sub - SUB_WINDOWS, sub + 1):
        if b <= h and b > h - RING:
            v = float(cnt[slot, col, b % RING])
            total += v * (1.0 - frac) if b == sub - SUB_WINDOWS else v
    return total


@njit(cache=True, nogil=True)
def _distinct(dst_head, bits, slot, col, sub, n_bits):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Linear-counting estimate of distinct callees over the ring's live sub-windows."""
    h = dst_head[slot, col]
    ones = 0
    for w in range(bits.shape[3]):
        acc = np.uint64(0)
        for b in range(sub - SUB_WINDOWS, sub + 1):
            if b <= h and b > h - RING:
                acc |= bits[slot, col, b % RING, w]
        ones += _popcount(acc)
    zeros = n_bits - ones
    if zeros == 0:
        return n_bits * math.log(n_bits)  # saturated: at least this many
    return -n_bits * math.log(zeros / n_bits)


def clear_column(cnt_head: npt.NDArray[np.int32], cnt: npt.NDArray[np.uint16],
                 dst_head: npt.NDArray[np.int32], bits: npt.NDArray[np.uint64],
                 col: int, distinct: bool) -> None:
    """Forget a column's data in every slot (a column is being reused for another metric)."""
    if distinct:
        dst_head[:, col] = 0
        bits[:, col] = 0
    else:
        cnt_head[:, col] = 0
        cnt[:, col] = 0
