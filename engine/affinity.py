"""Pinning a serving process to CPUs (``interceptor serve --cpus``; pinned by default).

A Python gRPC server runs one interpreter thread at a time (the GIL) across some forty
threads. Left to the scheduler, those threads wake on whichever core is free, and each
move lands the decision on a core whose caches hold someone else's data. Measured with
the load generator on a 2-core machine (server on CPU 0, client on CPU 1, against both
unpinned): the unary ceiling went from ~2.0 k to ~3.6 k req/s, the no-op server's from
~5.0 k to ~7.0 k, and a decision's own CPU time in the server from ~124 to ~90 µs.

So a server pins itself unless told not to (``--cpus auto``, the default): a lone
server to one CPU, ``--workers`` children one CPU each, round robin over the CPUs the
process may use. Measured 2026-12-04 on the same machine, quiet, the load generator's
client left to the scheduler, 32 unary calls in flight: not pinned, 2.3-2.5 k req/s at
415-465 µs of server CPU a call (the no-op servicer, not pinned: 5.1-5.6 k); pinned to
one CPU, 6.6-6.9 k req/s at 144-150 µs (the no-op, pinned: 7.8 k). ``--cpus none``
leaves the threads to the scheduler.

>>> parse_cpus_option("auto"), parse_cpus_option("none"), parse_cpus_option("0,2")
('auto', (), (0, 2))
>>> parse_cpu_list("0,2-3")
(0, 2, 3)
>>> parse_cpu_list("1-0")
Traceback (most recent call last):
    ...
ValueError: --cpus: '1-0' is an empty range (write low-high)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection
from typing import Literal

#: ``--cpus auto``: one CPU per serving process, chosen by :func:`auto_cpus`.
AUTO: Literal["auto"] = "auto"
CpuChoice = tuple[int, ...] | Literal["auto"]  # () is "not pinned" (``--cpus none``)


def parse_cpus_option(text: str, option: str = "--cpus") -> CpuChoice:
    """``auto``, ``none`` (no pinning: ``()``) or a CPU list (:func:`parse_cpu_list`)."""
    word = text.strip().lower()
    if word == AUTO:
        return AUTO
    if word == "none":
        return ()
    try:
        return parse_cpu_list(text, option)
    except ValueError as e:
        raise ValueError(f"{e}; or auto (one CPU per process) or none (not pinned)") from None


def auto_cpus(worker: int) -> tuple[int, ...]:
    """The one CPU that serving process ``worker`` (0 for a lone server) pins itself to
    under ``--cpus auto``: the available CPUs round robin; () where the OS cannot pin."""
    available = available_cpus()
    return (available[worker % len(available)],) if available else ()


def parse_cpu_list(text: str, option: str = "--cpus") -> tuple[int, ...]:
    """CPU numbers from a list like ``0``, ``0-3`` or ``0,2,5-7`` (the ``taskset -c``
    form), in the order given, without repeats; a bad item raises ``ValueError``
    naming ``option`` and the item."""
    cpus: dict[int, None] = {}  # ordered, and a set for the repeats (ranges can be long)
    for item in text.split(","):
        item = item.strip()
        low, dash, high = item.partition("-")
        if not _is_number(low) or (dash and not _is_number(high)):
            raise ValueError(f"{option}: {item!r} is not a CPU number or a range like 0-3")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"{option}: {item!r} is an empty range (write low-high)")
        if last - first > _MAX_RANGE:
            raise ValueError(f"{option}: {item!r} spans more than {_MAX_RANGE:,} CPUs")
        cpus.update(dict.fromkeys(range(first, last + 1)))
    return tuple(cpus)


_MAX_RANGE = 1 << 16  # far beyond any machine: a typo like 0-1000000 is refused at once


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()  # isdigit alone takes "²" and "٣"


def available_cpus() -> tuple[int, ...]:
    """The CPUs this process may run on (empty where the OS cannot pin)."""
    if not hasattr(os, "sched_getaffinity"):
        return ()
    return tuple(sorted(os.sched_getaffinity(0)))


def check_cpus(cpus: Collection[int], option: str = "--cpus") -> None:
    """Raise ``ValueError`` naming ``option`` if any of ``cpus`` is not available here."""
    available = available_cpus()
    if not available:
        raise ValueError(f"{option}: this platform cannot pin processes to CPUs")
    missing = sorted(set(cpus) - set(available))
    if missing:
        raise ValueError(f"{option}: CPU {missing[0]} is not available to this process "
                         f"(available: {', '.join(map(str, available))})")


def pin_process(cpus: Collection[int]) -> None:
    """Run every thread of this process, and the threads they start later, on ``cpus``.

    ``os.sched_setaffinity(0, ...)`` moves only the calling thread on Linux, so each
    thread listed in ``/proc/self/task`` is moved (gRPC and numba may have started some
    already); a new thread inherits its creator's set.
    """
    check_cpus(cpus)
    wanted = set(cpus)
    tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["0"]
    for tid in tasks:
        with contextlib.suppress(ProcessLookupError):  # that thread ended meanwhile
            os.sched_setaffinity(int(tid), wanted)
