"""Software prefetch for numba kernels: ``prefetch(array, index)``.

Random lookups into tables far larger than the caches (a 150 MB number index)
are bound by memory latency, ~100 ns a miss.  Plain loads that run ahead of use
stall retirement once the reorder buffer fills; a prefetch instruction retires
at once, so a kernel can keep a dozen or more misses in flight while it works on
lines that have already arrived.  numba has no prefetch, so this is an LLVM
intrinsic (``llvm.prefetch``: read, high locality, data cache).

``index`` picks an element of a 1-D array or the first element of a row (along
the first axis) of an N-D one.  A prefetch never faults, but the index should be
in bounds to name a line of ``array``: callers pass indexes they are about to read.

>>> import numpy as np
>>> from numba import njit
>>> @njit
... def total(a):
...     s = 0
...     for i in range(a.shape[0]):
...         prefetch(a, min(i + 8, a.shape[0] - 1))
...         s += a[i]
...     return s
>>> int(total(np.arange(100, dtype=np.int64)))
4950
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from llvmlite import ir
from numba import types
from numba.core import cgutils as _cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]

cgutils: Any = _cgutils  # untyped numba internals
_I32 = ir.IntType(32)
_BYTE_POINTER = ir.IntType(8).as_pointer()
_PREFETCH_TYPE = ir.FunctionType(ir.VoidType(), [_BYTE_POINTER, _I32, _I32, _I32])
_PREFETCH_NAME = "llvm.prefetch.p0"  # opaque-pointer mangling (LLVM 17+, numba 0.68+)
_READ, _HIGH_LOCALITY, _DATA_CACHE = 0, 3, 1


@intrinsic
def _prefetch(typingctx: Any, array: Any, index: Any) -> Any:  # pragma: no cover - compiled
    if not isinstance(array, types.Array):
        return None
    if not isinstance(index, types.Integer):
        return None
    sig = types.void(array, index)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array_type = signature.args[0]
        ary = context.make_array(array_type)(context, builder, args[0])
        zero = context.get_constant(index, 0)
        where = [args[1]] + [zero] * (array_type.ndim - 1)  # row ``index``, first element
        pointer = cgutils.get_item_pointer(context, builder, array_type, ary, where)
        function = cgutils.get_or_insert_function(builder.module, _PREFETCH_TYPE, _PREFETCH_NAME)
        builder.call(function, [builder.bitcast(pointer, _BYTE_POINTER),
                                ir.Constant(_I32, _READ), ir.Constant(_I32, _HIGH_LOCALITY),
                                ir.Constant(_I32, _DATA_CACHE)])
        return context.get_dummy_value()

    return sig, codegen


#: ``prefetch(array, index)``: hint the CPU to fetch the cache line holding the first
#: element of ``array[index]`` (the element itself for 1-D arrays, the start of row
#: ``index`` for N-D ones); callable from numba code only.
prefetch = cast(Callable[[Any, Any], None], _prefetch)
