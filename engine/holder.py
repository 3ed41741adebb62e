"""The one mutable thing on the decision path: which Snapshot is current.

Activation is one reference swap under a lock; readers take ``holder.current``
once per request without locking (a reference read is atomic in CPython), so
a reload never blocks or mixes versions inside a request. The holder also keeps
the status that ``GetStatus`` and health report: what is loaded, from where,
and the last reload error (the current snapshot keeps serving after an error).

>>> holder = SnapshotHolder()
>>> holder.current is None
True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from engine.snapshot import Snapshot
from engine.velocity import VelocityMatcher


@dataclass(frozen=True)
class HolderStatus:
    """What GetStatus reports."""

    version: str = ""
    digest: str = ""
    source: str = ""
    loaded_at: float = 0.0
    counts: Mapping[str, int] = field(default_factory=dict)
    stage_times: Mapping[str, float] = field(default_factory=dict)
    last_error: str = ""
    last_error_at: float = 0.0
    extra: Mapping[str, str] = field(default_factory=dict)


class SnapshotHolder:
    """Holds the active Snapshot; swaps it atomically; remembers the last error."""

    def __init__(self, runtime: object | None = None,
                 text_memo_chars: int | None = None) -> None:
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self._loaded_at = 0.0
        self._last_error = ""
        self._last_error_at = 0.0
        self._extra: dict[str, str] = {}
        self._listeners: list[Callable[[Snapshot], None]] = []
        #: Per-process mutable state shared by all snapshots (velocity counters).
        self.runtime = runtime
        self._text_memo_chars = text_memo_chars

    @property
    def text_memo_chars(self) -> int | None:
        """The bound, in characters, on the memo of prepared texts of every snapshot this
        holder activates (``serve --text-memo-chars``; 0: no memo); None keeps each
        snapshot's own (``engine.textmemo.DEFAULT_MAX_CHARS``). Setting it also bounds
        the active snapshot's memo."""
        return self._text_memo_chars

    @text_memo_chars.setter
    def text_memo_chars(self, max_chars: int | None) -> None:
        with self._lock:  # as in swap: a snapshot never escapes with another bound
            self._text_memo_chars = max_chars
            if self._current is not None and max_chars is not None:
                self._current.text_memo.resize(max_chars)

    @property
    def current(self) -> Snapshot | None:
        """The active snapshot; read it once per request."""
        return self._current

    def swap(self, snapshot: Snapshot) -> Snapshot | None:
        """Make ``snapshot`` current; return the previous one. Clears the last error.

        The memo bound is applied before the snapshot is published, so no request
        decides on it with another bound; so are the velocity table's columns for its
        rules (claiming one clears it, milliseconds no request should wait for).
        """
        for matcher in (*snapshot.live, *snapshot.shadow):
            if isinstance(matcher, VelocityMatcher):
                matcher.bind(self.runtime)
        with self._lock:
            if self._text_memo_chars is not None:
                snapshot.text_memo.resize(self._text_memo_chars)
            previous, self._current = self._current, snapshot
            self._loaded_at = time.time()
            self._last_error, self._last_error_at = "", 0.0
            listeners = list(self._listeners)
        for listener in listeners:
            listener(snapshot)
        return previous

    def record_error(self, message: str) -> None:
        """Remember a failed load or reload; the current snapshot keeps serving."""
        with self._lock:
            self._last_error, self._last_error_at = message, time.time()

    def set_extra(self, key: str, value: str) -> None:
        """Extra status facts (Redis connection state, replica id) for GetStatus."""
        with self._lock:
            self._extra[key] = value

    def add_listener(self, callback: Callable[[Snapshot], None]) -> None:
        """Call ``callback(snapshot)`` after every swap (and now, if one is active)."""
        with self._lock:
            self._listeners.append(callback)
            current = self._current
        if current is not None:
            callback(current)

    def status(self) -> HolderStatus:
        with self._lock:
            snap = self._current
            return HolderStatus(
                version=snap.version if snap else "",
                digest=snap.digest if snap else "",
                source=snap.source if snap else "",
                loaded_at=self._loaded_at,
                counts=dict(snap.counts) if snap else {},
                stage_times=dict(snap.stage_times) if snap else {},
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                extra=dict(self._extra),
            )
