"""Velocity rules: how a caller (or SMS sender) behaves over sliding windows.

Design (details, error bounds and the multi-replica story: ``docs/velocity.md``):

* The counters are **not** in the immutable Snapshot: they live in a
  :class:`VelocityState` owned by the process (``SnapshotHolder(runtime=state)``,
  passed as ``decide(..., runtime=holder.runtime)``), so they survive reloads.
  With no runtime, velocity rules never fire.
* One fixed-size, set-associative table of callers (:mod:`engine.velocity_kernels`):
  memory is ``config.nbytes`` however many distinct callers arrive; a new caller
  evicts the least recently seen caller of its 8-slot set. Each *column* (one
  metric over one window) keeps a ring of 4+1 sub-window counters per caller;
  old sub-windows expire when the ring moves on. Distinct callees use a 128-bit
  linear-counting bitmap per sub-window.
* Every event is recorded exactly once: by the live velocity matcher, or by the
  shadow one when a ruleset has only shadow velocity rules. Rules sharing a
  metric and window share a column. The other instance only reads.
* Shared state: :meth:`VelocityState.create_shared` puts the table in a tmpfs
  file (``/dev/shm``); each worker process :meth:`VelocityState.attach` es it, so
  all workers of a node see the same counts. Updates take a process lock plus
  an ``flock`` on that file for the duration of one batch kernel call.

>>> state = VelocityState.create_local(VelocityConfig(slots=1024))
>>> state.config.slots, state.nbytes > 0
(1024, True)
>>> state.close()
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import mmap
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from engine import velocity_kernels as vk
from engine.context import EventContext
from engine.matchers import SMALL_BATCH_EVENTS, CompileInput, MatcherSpec, register_matcher
from engine.types import CallEndedEvent, Match
from rules.calls import VelocityRule
from rules.errors import EventError, Problem, RuleSetError
from rules.phone import number_key

#: Events more than this far ahead of the server clock are refused (clock skew).
MAX_FUTURE_MS = 5 * 60 * 1000
#: Events older than this are refused; younger late events count if their sub-window is live.
MAX_AGE_MS = 24 * 3600 * 1000
#: Columns one ruleset may use; the table keeps spares so a reload can change windows
#: while other workers still run the previous ruleset.
MAX_RULESET_COUNT_COLUMNS = 6
MAX_RULESET_DISTINCT_COLUMNS = 2
_MAGIC = 0x56454C4F43495459  # "VELOCITY"
_LAYOUT_VERSION = 1
_HEADER_WORDS = 16
_GEN = 7  # header word: bumped whenever a column changes owner
I64 = npt.NDArray[np.int64]


class ColumnSpec(NamedTuple):
    """One counted quantity: a column type, its window, and a parameter (short-call ms)."""

    ctype: int
    window_ms: int
    param: int = 0


@dataclass(frozen=True)
class VelocityConfig:
    """Geometry of the velocity table (fixed for the life of a :class:`VelocityState`).

    >>> VelocityConfig().nbytes // 2**20   # default: 190 MiB for 524,288 caller slots
    190
    """

    slots: int = 1 << 19
    count_columns: int = 8
    distinct_columns: int = 3
    distinct_bits: int = 128

    def __post_init__(self) -> None:
        if self.slots < vk.WAYS or self.slots & (self.slots - 1):
            raise ValueError(f"slots must be a power of two >= {vk.WAYS}, not {self.slots}")
        if self.count_columns < MAX_RULESET_COUNT_COLUMNS or (
                self.distinct_columns < MAX_RULESET_DISTINCT_COLUMNS):
            raise ValueError(f"need at least {MAX_RULESET_COUNT_COLUMNS} count and "
                             f"{MAX_RULESET_DISTINCT_COLUMNS} distinct columns")
        if self.distinct_bits not in (64, 128, 256):
            raise ValueError("distinct_bits must be 64, 128 or 256")

    def _layout(self) -> list[tuple[str, tuple[int, ...], type[np.generic]]]:
        s, cc, cd = self.slots, self.count_columns, self.distinct_columns
        return [("header", (_HEADER_WORDS,), np.int64), ("tags", (cc + cd, 4), np.int64),
                ("keys", (s,), np.int64), ("seen", (s,), np.int64),
                ("cnt_head", (s, cc), np.int32), ("dst_head", (s, cd), np.int32),
                ("cnt", (s, cc, vk.RING), np.uint16),
                ("bits", (s, cd, vk.RING, self.distinct_bits // 64), np.uint64)]

    @property
    def nbytes(self) -> int:
        """Bytes of the whole table (header included)."""
        return sum(_aligned(int(np.prod(shape)) * np.dtype(dt).itemsize)
                   for _, shape, dt in self._layout())


#: mmap flag that maps (and, for anonymous or tmpfs memory, allocates) every page at once.
POPULATE_FLAGS: int = getattr(mmap, "MAP_POPULATE", 0)  # Linux; elsewhere pages fault lazily


def _map_file(fd: int, size: int, populate: bool) -> mmap.mmap:
    flags = mmap.MAP_SHARED | (POPULATE_FLAGS if populate else 0)
    return mmap.mmap(fd, size, flags=flags)


MADV_POPULATE_WRITE = 23  # Linux >= 5.14; not among the mmap module's constants in 3.11


def _populate_with_huge_pages(buffer: mmap.mmap) -> None:
    """Back an anonymous mapping with transparent huge pages where the kernel allows
    it (advice given before the first touch), then fault every page in.

    The table is probed at random, one slot per event: with 4 KiB pages nearly every
    probe also misses the TLB. Measured on the 2-core machine, 190 MiB table, batches
    of 1,024 real SMS: the velocity stage took 1.02-1.41 µs an event with 2 MiB pages
    against 1.16-1.55 µs with 4 KiB pages (four alternating rounds). Populating takes
    ~20 ms with ``MADV_POPULATE_WRITE``, ~90 ms with ``MAP_POPULATE`` and 4 KiB pages.
    """
    hugepage = getattr(mmap, "MADV_HUGEPAGE", None)
    try:
        if hugepage is not None:
            buffer.madvise(hugepage)  # no effect where THP is off ("never")
        buffer.madvise(MADV_POPULATE_WRITE)
    except (OSError, AttributeError):  # an older kernel, or no madvise on this platform
        np.frombuffer(buffer, dtype=np.uint8)[::mmap.PAGESIZE] = 0  # a write per page


def _aligned(n: int) -> int:
    return (n + 63) // 64 * 64


@dataclass(frozen=True)
class _Binding:
    generation: int
    cols: I64  # the kernel's column table: rows type, index, sub-window ms, parameter
    # The single-event kernel's output, shape (1, columns): written and read with the
    # process lock held (VelocityState.record_and_query_one), so threads may share it.
    row: npt.NDArray[np.float64]


class VelocityState:
    """The per-node velocity table. Create it once per process (or once per node, shared).

    Use :meth:`create_local` for one process, or :meth:`create_shared` in the
    parent and :meth:`attach` in each worker. Thread-safe.
    """

    def __init__(self, buffer: mmap.mmap, config: VelocityConfig, fd: int = -1,
                 path: str = "", owner: bool = False) -> None:
        self.config, self.path, self.owner = config, path, owner
        self._buffer, self._fd = buffer, fd
        self._lock = threading.Lock()
        self._bindings: dict[tuple[ColumnSpec, ...], _Binding] = {}
        offset, views = 0, {}
        for name, shape, dtype in config._layout():
            count = int(np.prod(shape))
            views[name] = np.frombuffer(buffer, dtype=dtype, count=count,
                                        offset=offset).reshape(shape)
            offset += _aligned(count * np.dtype(dtype).itemsize)
        self.header: I64 = views["header"]
        self.tags: I64 = views["tags"]
        self.keys: I64 = views["keys"]
        self.seen: I64 = views["seen"]
        self.cnt_head: npt.NDArray[np.int32] = views["cnt_head"]
        self.dst_head: npt.NDArray[np.int32] = views["dst_head"]
        self.cnt: npt.NDArray[np.uint16] = views["cnt"]
        self.bits: npt.NDArray[np.uint64] = views["bits"]

    # -- life cycle ----------------------------------------------------------------------

    @classmethod
    def create_local(cls, config: VelocityConfig | None = None,
                     populate: bool = False) -> VelocityState:
        """A table private to this process (anonymous memory).

        ``populate``: map every page now (huge pages where the kernel allows:
        :func:`_populate_with_huge_pages`) instead of on first touch. A server wants
        this: the first event of each new caller otherwise pays page faults in the
        decision (~7 µs per event measured while a fresh table fills, ~1 µs once warm),
        and a serving table is fully touched within hours of real traffic anyway. Tests
        and tools leave it off.
        """
        config = config or VelocityConfig()
        buffer = mmap.mmap(-1, config.nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        if populate:
            _populate_with_huge_pages(buffer)
        state = cls(buffer, config)
        state._write_header()
        return state

    @classmethod
    def create_shared(cls, config: VelocityConfig | None = None,
                      path: str | None = None, populate: bool = False) -> VelocityState:
        """A table in a new tmpfs file that worker processes :meth:`attach` by ``state.path``.

        The creator owns the file: call :meth:`unlink` when the node shuts down.
        ``populate`` allocates every page now (see :meth:`create_local`).
        """
        config = config or VelocityConfig()
        if path is None:
            where = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
            path = os.path.join(where, f"interceptor-velocity-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, config.nbytes)  # sparse: zero pages cost nothing until touched
            state = cls(_map_file(fd, config.nbytes, populate), config, fd, path, owner=True)
        except BaseException:
            os.close(fd)
            os.unlink(path)
            raise
        state._write_header()
        return state

    @classmethod
    def attach(cls, path: str, populate: bool = False) -> VelocityState:
        """Open a table made by :meth:`create_shared` (in another process); checks its layout.

        ``populate`` maps every page now (see :meth:`create_local`)."""
        fd = os.open(path, os.O_RDWR)
        try:
            size = os.fstat(fd).st_size
            head = np.frombuffer(os.pread(fd, _HEADER_WORDS * 8, 0), dtype=np.int64)
            if size < _HEADER_WORDS * 8 or head[0] != _MAGIC or head[1] != _LAYOUT_VERSION:
                raise ValueError(f"{path} is not a velocity table of layout {_LAYOUT_VERSION}")
            config = VelocityConfig(slots=int(head[2]), count_columns=int(head[3]),
                                    distinct_columns=int(head[4]), distinct_bits=int(head[5]))
            if size != config.nbytes:
                raise ValueError(f"{path} has {size} bytes, its header says {config.nbytes}")
            return cls(_map_file(fd, size, populate), config, fd, path)
        except BaseException:
            os.close(fd)
            raise

    def _write_header(self) -> None:
        c = self.config
        self.header[:7] = (_MAGIC, _LAYOUT_VERSION, c.slots, c.count_columns,
                           c.distinct_columns, c.distinct_bits, vk.RING)

    def close(self) -> None:
        """Unmap the table (views become invalid). Does not delete a shared file."""
        for name in ("header", "tags", "keys", "seen", "cnt_head", "dst_head", "cnt", "bits"):
            self.__dict__.pop(name, None)
        with contextlib.suppress(BufferError):  # a caller still holds a view: GC unmaps
            self._buffer.close()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def unlink(self) -> None:
        """Delete the shared file (the creator, at shutdown); attached mappings stay valid."""
        if self.path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    @property
    def nbytes(self) -> int:
        return self.config.nbytes

    def occupancy(self) -> int:
        """How many slots hold a caller (a full scan: for status and tests, not per event)."""
        return int(np.count_nonzero(self.keys))

    # -- columns and the kernel ----------------------------------------------------------

    def _acquire(self) -> None:
        """The process lock, then (for a shared table) the file lock other workers take."""
        self._lock.acquire()
        if self._fd >= 0:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._lock.release()
                raise

    def _release(self) -> None:
        try:
            if self._fd >= 0:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            self._release()

    def bind(self, columns: tuple[ColumnSpec, ...]) -> None:
        """Claim (and clear) the table's columns for ``columns`` now, not on the first
        event that counts into them: a claim clears a whole column (~3 ms each on the
        2-core machine; the bundled ruleset's first decision took ~14 ms)."""
        with self._locked():
            self._binding(columns)

    def _binding(self, columns: tuple[ColumnSpec, ...]) -> _Binding:
        """Columns of the table for ``columns``; call with the lock held to (re)claim."""
        found = self._bound(columns)
        if found is not None:
            return found
        cc = self.config.count_columns
        taken: set[int] = set()
        index = []
        for spec in columns:
            distinct = spec.ctype == vk.T_DISTINCT
            rows = range(cc, len(self.tags)) if distinct else range(cc)
            row = next((r for r in rows if tuple(self.tags[r, :3]) == spec), -1)
            if row < 0:
                row = self._claim([r for r in rows if r not in taken], spec, distinct)
            taken.add(row)
            index.append(row - cc if distinct else row)
        cols = np.array([[s.ctype for s in columns], index,
                         [s.window_ms // vk.SUB_WINDOWS for s in columns],
                         [s.param for s in columns]], dtype=np.int64)
        binding = _Binding(int(self.header[_GEN]), cols, np.zeros((1, len(columns))))
        self._bindings[columns] = binding
        return binding

    def _claim(self, rows: list[int], spec: ColumnSpec, distinct: bool) -> int:
        """Give ``spec`` a free row, else the least recently used one (its data is cleared)."""
        free = [r for r in rows if self.tags[r, 0] == 0]
        row = free[0] if free else min(rows, key=lambda r: int(self.tags[r, 3]))
        col = row - self.config.count_columns if distinct else row
        vk.clear_column(self.cnt_head, self.cnt, self.dst_head, self.bits, col, distinct)
        self.tags[row] = (*spec, int(time.time() * 1000))
        self.header[_GEN] += 1
        return row

    def record_and_query(self, columns: tuple[ColumnSpec, ...], keys: I64, kinds: I64,
                         aux: I64, times_ms: I64, record: bool) -> npt.NDArray[np.float64]:
        """Record events (``record``) and return their value per column, shape (n, columns).

        Recording holds the locks for one kernel call; reading alone takes no
        lock (a concurrent writer can only make a read a moment stale).
        """
        if record:
            # Explicit acquire / release: this runs once per decision, and a
            # generator-based context manager costs more than the kernel call's setup.
            self._acquire()
            try:
                b = self._binding(columns)
                return self._kernel(b, keys, kinds, aux, times_ms, True)
            finally:
                self._release()
        return self._kernel(self._read_binding(columns), keys, kinds, aux, times_ms, False)

    def record_and_query_one(self, columns: tuple[ColumnSpec, ...], key: int, kind: int,
                             aux: int, time_ms: int, record: bool) -> list[float]:
        """:meth:`record_and_query` for one event given as ints: its values, one per column.

        The single-decision path, so written flat: the binding check and the kernel call
        inline, and a plain ``with`` on the process lock where no other process shares
        the table (each helper call cost ~0.3 µs of a decision's ~40).
        """
        if not record:
            return self._kernel_one(self._read_binding(columns), key, kind, aux, time_ms, False)
        if self._fd >= 0:  # a shared table: the file lock too
            self._acquire()
            try:
                return self._kernel_one(self._binding(columns), key, kind, aux, time_ms, True)
            finally:
                self._release()
        with self._lock:
            found = self._bindings.get(columns)
            if found is None or found.generation != self.header[_GEN]:
                found = self._binding(columns)
            vk.record_and_query_into(self.keys, self.seen, self.cnt_head, self.cnt,
                                     self.dst_head, self.bits, self.tags, key, kind, aux,
                                     time_ms, found.cols, True, found.row)
            row: list[float] = found.row.tolist()[0]
            return row

    def _read_binding(self, columns: tuple[ColumnSpec, ...]) -> _Binding:
        found = self._bound(columns)
        if found is None:
            with self._locked():
                found = self._binding(columns)
        return found

    def _bound(self, columns: tuple[ColumnSpec, ...]) -> _Binding | None:
        """The current binding of ``columns``, if any (none after another process
        reclaimed a column: the generation moved)."""
        found = self._bindings.get(columns)
        if found is not None and found.generation == int(self.header[_GEN]):
            return found
        return None

    def _kernel_one(self, b: _Binding, key: int, kind: int, aux: int, time_ms: int,
                    record: bool) -> list[float]:
        # Under the locks (record) the binding's own output serves; without, a fresh one.
        out = b.row if record else np.zeros(b.row.shape)
        vk.record_and_query_into(self.keys, self.seen, self.cnt_head, self.cnt, self.dst_head,
                                 self.bits, self.tags, key, kind, aux, time_ms, b.cols, record,
                                 out)
        row: list[float] = out.tolist()[0]
        return row

    def _kernel(self, b: _Binding, keys: I64, kinds: I64, aux: I64, times_ms: I64,
                record: bool) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = vk.record_and_query(
            self.keys, self.seen, self.cnt_head, self.cnt, self.dst_head, self.bits, self.tags,
            keys, kinds, aux, times_ms, b.cols, record)
        return out


def velocity_state(runtime: object | None) -> VelocityState | None:
    """The VelocityState in a runtime object (itself, or its ``velocity`` attribute)."""
    if isinstance(runtime, VelocityState):
        return runtime
    found = getattr(runtime, "velocity", None)
    return found if isinstance(found, VelocityState) else None


# -- the matcher ----------------------------------------------------------------------------

VECTOR_MIN_BATCH = 64  # below this, per-row Python beats numpy's per-call overhead
_METRIC_EVENTS = {"calls": ("call",), "distinct_callees": ("call",), "sms": ("message",),
                  "short_call_share": ("call", "call_ended")}
_EVENT_CODES = {"call": vk.EV_CALL, "call_ended": vk.EV_ENDED, "message": vk.EV_MESSAGE}


def columns_of(rule: VelocityRule) -> tuple[ColumnSpec, ...]:
    """The columns a rule reads (short_call_share reads two: ended and short calls)."""
    window = rule.window_seconds * 1000
    if rule.metric == "short_call_share":
        return (ColumnSpec(vk.T_ENDED, window),
                ColumnSpec(vk.T_SHORT, window, rule.short_call_seconds * 1000))
    ctype = {"calls": vk.T_CALLS, "distinct_callees": vk.T_DISTINCT, "sms": vk.T_SMS}
    return (ColumnSpec(ctype[rule.metric], window),)


@dataclass(frozen=True)
class _CompiledRule:
    rule: VelocityRule
    events: tuple[str, ...]
    cols: tuple[int, ...]  # positions in VelocityMatcher.columns


@dataclass(frozen=True)
class VelocityMatcher:
    """Velocity rules of one snapshot (live or shadow); state comes from ``ctx.runtime``."""

    rules: tuple[_CompiledRule, ...]
    columns: tuple[ColumnSpec, ...]  # every column of the ruleset, so both instances agree
    record: bool  # this instance counts the events (exactly one instance per snapshot does)

    def warm(self) -> None:
        warm()

    def bind(self, runtime: object | None) -> None:
        """Claim this matcher's columns in ``runtime``'s table (if it has one) before the
        snapshot serves: :meth:`VelocityState.bind`."""
        state = velocity_state(runtime)
        if state is not None and self.columns:
            state.bind(self.columns)

    @staticmethod
    def _event_row(ctx: EventContext, now: int) -> tuple[int, int, int, int]:
        """The kernel's input for one event: key, kind code, aux, time; refuses a bad time."""
        ts = ctx.event.timestamp_ms or now
        if ts > now + MAX_FUTURE_MS:
            raise EventError("timestamp_ms", f"event {ctx.event.event_id!r} is "
                             f"{(ts - now) // 1000} s ahead of the server clock (at most "
                             f"{MAX_FUTURE_MS // 1000} s; 0 means now)")
        if ts < now - MAX_AGE_MS:
            raise EventError("timestamp_ms", f"event {ctx.event.event_id!r} is "
                             f"{(now - ts) // 3_600_000} h old (at most "
                             f"{MAX_AGE_MS // 3_600_000} h; 0 means now)")
        kind = ctx.kind
        # Alphanumeric senders have no number key (0: not counted).
        key = ctx.numbers.get("sender" if kind == "message" else "caller", 0)
        if isinstance(ctx.event, CallEndedEvent):
            aux = ctx.event.duration_ms
        elif kind == "call":
            aux = ctx.numbers["callee"]
        else:
            aux = 0
        return key, _EVENT_CODES.get(kind, -1), aux, ts

    def _arrays(self, contexts: Sequence[EventContext]) -> tuple[list[int], I64]:
        """Each event's caller / sender key (a list), and the kernel's input columns:
        rows keys, kinds, aux, times. Built column by column as lists and converted once
        (numpy's per-element writes, or a call per event, cost more than the kernel)."""
        now = time.time_ns() // 1_000_000
        kinds = [ctx.kind for ctx in contexts]
        # Alphanumeric senders have no number key (0: not counted); see _event_row.
        keys = [ctx.numbers.get("sender" if kind == "message" else "caller", 0)
                for ctx, kind in zip(contexts, kinds, strict=True)]
        aux = [0 if kind == "message" else ctx.numbers["callee"] if kind == "call"
               else ctx.event.duration_ms  # type: ignore[union-attr]  # call_ended
               for ctx, kind in zip(contexts, kinds, strict=True)]
        codes = [_EVENT_CODES.get(kind, -1) for kind in kinds]
        table = _kernel_rows(keys, codes, aux, [ctx.event.timestamp_ms for ctx in contexts],
                             now)
        if table is None:
            for ctx in contexts:
                self._event_row(ctx, now)  # raises, naming the first event out of range
            raise AssertionError("a time out of range that no event has")  # pragma: no cover
        return keys, table

    def _match_few(self, contexts: Sequence[EventContext], state: VelocityState,
                   shadow: bool) -> None:
        """A few events: ints into the kernel and a list back, event by event, and only
        the rules for each event's kind. Every event is checked before any is counted,
        so a refused batch leaves the counters as they were."""
        now = time.time_ns() // 1_000_000
        rows = [self._event_row(ctx, now) for ctx in contexts]
        for ctx, row in zip(contexts, rows, strict=True):
            self._count_and_test(ctx, row, state, shadow)

    def _count_and_test(self, ctx: EventContext, event_row: tuple[int, int, int, int],
                        state: VelocityState, shadow: bool) -> None:
        """Count one checked event (its ``_event_row``) and report the rules it trips."""
        key, kind, aux, ts = event_row
        if not key:
            return  # an alphanumeric sender: nothing is counted (the kernel skips 0)
        row = state.record_and_query_one(self.columns, key, kind, aux, ts, self.record)
        for compiled in self._rules_by_kind.get(ctx.kind, ()):
            matched = _fires(compiled, row)
            if matched:  # most events: no rule fires, no call to report nothing
                self._report(ctx, compiled, matched, shadow)

    @cached_property
    def _rules_by_kind(self) -> dict[str, tuple[_CompiledRule, ...]]:
        """The rules of each event kind, in rule order (a dict read per event, not a test
        per rule)."""
        kinds = {kind for compiled in self.rules for kind in compiled.events}
        return {kind: tuple(c for c in self.rules if kind in c.events) for kind in kinds}

    @staticmethod
    def _report(ctx: EventContext, compiled: _CompiledRule, matched: str, shadow: bool) -> None:
        if matched:
            sink = ctx.shadow_matches if shadow else ctx.matches
            field_name = "sender" if ctx.kind == "message" else "caller"
            sink.append(VelocityMatcher.match_of(compiled, field_name, matched))

    @staticmethod
    def match_of(compiled: _CompiledRule, field_name: str, matched: str) -> Match:
        """The match of a fired rule: ``matched`` says what it saw (:func:`_fires`)."""
        m = compiled.rule.meta
        return Match(m.id, m.kind, m.category, field_name, matched, m.action, m.score)

    def match_batch(self, contexts: Sequence[EventContext], shadow: bool) -> None:
        state = velocity_state(contexts[0].runtime) if contexts else None
        if state is None:
            return  # no runtime: velocity is off (documented), nothing is counted
        if len(contexts) == 1:  # a single decision: no lists
            ctx = contexts[0]
            self._count_and_test(ctx, self._event_row(ctx, time.time_ns() // 1_000_000),
                                 state, shadow)
            return
        if len(contexts) <= SMALL_BATCH_EVENTS:
            self._match_few(contexts, state, shadow)
            return
        keys, table = self._arrays(contexts)  # may refuse before any update
        kinds = [ctx.kind for ctx in contexts]
        for i, compiled, matched in self.fired_rows(state, keys, kinds, table):
            self._report(contexts[i], compiled, matched, shadow)

    def fired_rows(self, state: VelocityState, keys: list[int], kinds: list[str], table: I64
                   ) -> Iterator[tuple[int, _CompiledRule, str]]:
        """Count a batch (if this instance records) and yield ``(row, rule, what it saw)``
        for every rule that fires, rule by rule, rows in order. ``table``: the kernel's
        input rows keys, kind codes, aux, times (checked already: see :meth:`_arrays`);
        ``keys`` and ``kinds`` the same keys and event kinds as lists."""
        values = state.record_and_query(self.columns, table[0], table[1], table[2], table[3],
                                        self.record)
        # A few events: plain floats read faster than numpy scalars, row by row.
        rows = values.tolist() if len(keys) < VECTOR_MIN_BATCH else values
        for compiled in self.rules:
            for i in self._candidates(compiled, kinds, keys, table, values):
                matched = _fires(compiled, rows[i])
                if matched:
                    yield i, compiled, matched

    @staticmethod
    def _candidates(compiled: _CompiledRule, kinds: list[str], keys: list[int],
                    table: I64, values: npt.NDArray[np.float64]) -> list[int]:
        """Rows the rule applies to and may fire on. Large batches are filtered with one
        vectorised threshold test (Python only for the rows over it); for a few events
        numpy's per-call cost is larger than the loop it saves."""
        if len(kinds) < VECTOR_MIN_BATCH:
            return [i for i, kind in enumerate(kinds) if keys[i] and kind in compiled.events]
        codes = [_EVENT_CODES[e] for e in compiled.events]
        # table rows 0 and 1: the keys and event kinds as arrays (see _arrays)
        mask = np.isin(table[1], codes) & (table[0] != 0) & _over(compiled, values)
        rows: list[int] = np.flatnonzero(mask).tolist()
        return rows


def message_rows(keys: list[int], times_ms: list[int]) -> I64 | None:
    """The kernel's input rows (keys, kind codes, aux, times) for a batch of SMS: their
    senders' keys (0: an alphanumeric sender, not counted) and times (0: now). None when
    a time is out of range: the general path then refuses the batch, naming the event
    (:meth:`VelocityMatcher._arrays`), before anything is counted."""
    n = len(keys)
    return _kernel_rows(keys, [vk.EV_MESSAGE] * n, [0] * n, times_ms, time.time_ns() // 1_000_000)


def _kernel_rows(keys: list[int], codes: list[int], aux: list[int], times_ms: list[int],
                 now: int) -> I64 | None:
    """The kernel's input rows from its columns, times of 0 read as ``now``; None when a
    time is out of range (more than MAX_FUTURE_MS ahead of ``now``, MAX_AGE_MS behind)."""
    times = [t or now for t in times_ms]
    if max(times) > now + MAX_FUTURE_MS or min(times) < now - MAX_AGE_MS:
        return None
    return np.array((keys, codes, aux, times), dtype=np.int64)


def _over(compiled: _CompiledRule, values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Rows over the rule's threshold (what :func:`_fires` tests, for all rows at once)."""
    r = compiled.rule
    if r.metric == "short_call_share":
        ended, short = values[:, compiled.cols[0]], values[:, compiled.cols[1]]
        with np.errstate(divide="ignore", invalid="ignore"):
            mask: npt.NDArray[np.bool_] = (ended >= r.min_calls) & (short / ended > r.threshold)
        return mask
    over: npt.NDArray[np.bool_] = values[:, compiled.cols[0]] > r.threshold
    return over


def _fires(compiled: _CompiledRule, row: Sequence[float] | npt.NDArray[np.float64]) -> str:
    """What the rule saw, if it fires; '' otherwise."""
    r = compiled.rule
    if r.metric == "short_call_share":
        ended, short = row[compiled.cols[0]], row[compiled.cols[1]]
        if ended < r.min_calls or short / ended <= r.threshold:
            return ""
        return (f"{short / ended:.0%} of {ended:.0f} calls under {r.short_call_seconds} s "
                f"in {r.window_seconds} s (> {r.threshold:.0%})")
    value = row[compiled.cols[0]]
    if value <= r.threshold:  # most events: tested before any text is formatted
        return ""
    what = {"calls": "calls", "distinct_callees": "distinct callees", "sms": "SMS"}[r.metric]
    return f"{value:.0f} {what} in {r.window_seconds} s (> {r.threshold:.0f})"


def _check_limits(rules: Sequence[VelocityRule]) -> None:
    seen: dict[bool, set[ColumnSpec]] = {True: set(), False: set()}
    for rule in rules:
        for spec in columns_of(rule):
            distinct = spec.ctype == vk.T_DISTINCT
            seen[distinct].add(spec)
            limit = MAX_RULESET_DISTINCT_COLUMNS if distinct else MAX_RULESET_COUNT_COLUMNS
            if len(seen[distinct]) > limit:
                m = rule.meta
                raise RuleSetError([Problem(
                    f"the velocity rules use more than {limit} different "
                    f"{'distinct-callee' if distinct else 'counter'} windows; share windows "
                    "between rules", file=m.file, line=m.line, rule_id=m.id,
                    field="window_seconds")])


def _build(inp: CompileInput) -> VelocityMatcher | None:
    mine = [r for r in inp.rules if isinstance(r, VelocityRule)]
    if not mine:
        return None
    every = [r for r in inp.ruleset.rules if isinstance(r, VelocityRule)]
    _check_limits(every)
    columns = tuple(sorted({c for r in every for c in columns_of(r)}))
    shadow_instance = all(r.meta.shadow for r in mine)
    has_live = any(not r.meta.shadow for r in every)
    compiled = tuple(_CompiledRule(r, _METRIC_EVENTS[r.metric],
                                   tuple(columns.index(c) for c in columns_of(r)))
                     for r in mine)
    return VelocityMatcher(compiled, columns, record=not shadow_instance or not has_live)


_WARM: list[VelocityState] = []


def warm() -> None:
    """Compile (or load from cache) the velocity kernels on a tiny private table."""
    if not _WARM:
        _WARM.append(VelocityState.create_local(VelocityConfig(slots=vk.WAYS)))
    cols = (ColumnSpec(vk.T_CALLS, 60_000), ColumnSpec(vk.T_DISTINCT, 60_000),
            ColumnSpec(vk.T_SHORT, 60_000, 30_000))
    one = np.ones(1, dtype=np.int64)
    for record in (True, False):
        _WARM[0].record_and_query(cols, one, one - 1, one, one * 10**12, record)
        _WARM[0].record_and_query_one(cols, 1, 0, 1, 10**12, record)


def replica_for(caller: str, replicas: Sequence[str], default_cc: str = "86") -> str:
    """The replica that must decide ``caller``'s events (rendezvous hashing).

    Gateways shard by caller with this, so each caller's counters live on one
    node; removing a replica moves only the callers it owned.

    >>> replica_for("13800138000", ["node-a:50051", "node-b:50051"]) in {"node-a:50051",
    ...                                                               "node-b:50051"}
    True
    """
    if not replicas:
        raise ValueError("no replicas to choose from")
    key = number_key(caller, default_cc)
    return max(replicas, key=lambda r: hashlib.blake2b(f"{r}\0{key}".encode(),
                                                       digest_size=8).digest())


# After every list and text stage: recording here keeps counting independent of them.
register_matcher(MatcherSpec("build velocity rules", ("velocity",), _build, order=90))
