"""Many tables as one byte array: two kernel arguments where there were a dozen.

numba unboxes every array argument on every call: ~0.13 µs each on the 2-core
development machine, before the kernel does anything. That is noise for a batch
kernel and a tax on the per-message kernels of a single decision: the fold-and-gate
kernel took fourteen arrays (3.1 µs a real SMS, 2.0 µs with them packed here; measured
in one process over 5,000 real SMS, three rounds).

An :class:`Arena` holds the tables in one ``uint8`` array (each at a 64-byte aligned
offset) and an ``int64`` index with a row per table: byte offset, byte count and up to
four dimensions. A kernel takes the tables back as typed 1-D views, for free, with the
helpers below (``i32(arena, index, 2)`` is table 2 as ``int32``); :func:`pack` copies
the tables in.

>>> import numpy as np
>>> packed = pack([np.arange(3, dtype=np.int32), np.array([7, 8], dtype=np.int64)])
>>> int(i32(packed.data, packed.rows, 0)[2]), int(i64(packed.data, packed.rows, 1)[1])
(2, 8)
>>> packed.views[1].tolist()   # the same memory, for Python and the batch kernels
[7, 8]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

ROW = 6  # index words a table: byte offset, byte count, four dimensions (1 when unused)
ALIGN = 64


class Arena(NamedTuple):
    data: npt.NDArray[np.uint8]  # every table's bytes
    rows: npt.NDArray[np.int64]  # the index: ROW words a table
    # Each table as a view of ``data`` with its own dtype and shape: hand these to
    # Python code and batch kernels so that every path reads the one copy.
    views: list[npt.NDArray[np.generic]]


def _aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _row(offset: int, table_bytes: int, shape: tuple[int, ...]) -> list[int]:
    if len(shape) > ROW - 2:
        raise ValueError(f"a table has at most {ROW - 2} dimensions, not {len(shape)}")
    return [offset, table_bytes, *shape, *[1] * (ROW - 2 - len(shape))]


def pack(tables: Sequence[npt.NDArray[np.generic]]) -> Arena:
    """Copy ``tables`` into one fresh arena (C order, each 64-byte aligned)."""
    offsets, total = [], 0
    for table in tables:
        offsets.append(total)
        total += _aligned(table.nbytes)
    # One spare alignment unit: numpy guarantees 16-byte alignment only, so the arena
    # starts at the first 64-byte boundary of the allocation.
    raw = np.zeros(total + ALIGN, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGN
    arena = raw[start:start + total]
    index, views = [], []
    for table, offset in zip(tables, offsets, strict=True):
        flat = np.ascontiguousarray(table)
        arena[offset:offset + flat.nbytes] = flat.reshape(-1).view(np.uint8)
        index += _row(offset, flat.nbytes, flat.shape)
        views.append(arena[offset:offset + flat.nbytes].view(flat.dtype).reshape(flat.shape))
    return Arena(arena, np.array(index, dtype=np.int64), views)


# -- in kernels: table ``i`` as a typed view (1-D unless the helper says otherwise) ---------

@njit(cache=True, inline="always")
def _span(arena, index, i):  # type: ignore[no-untyped-def]  # pragma: no cover
    start = index[i * ROW]
    return arena[start:start + index[i * ROW + 1]]


@njit(cache=True, inline="always")
def u8(arena, index, i):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _span(arena, index, i)


@njit(cache=True, inline="always")
def flags(arena, index, i):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _span(arena, index, i).view(np.bool_)


@njit(cache=True, inline="always")
def i32(arena, index, i):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _span(arena, index, i).view(np.int32)


@njit(cache=True, inline="always")
def u32(arena, index, i):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _span(arena, index, i).view(np.uint32)


@njit(cache=True, inline="always")
def i64(arena, index, i):  # type: ignore[no-untyped-def]  # pragma: no cover
    return _span(arena, index, i).view(np.int64)
