"""Follow the rulesets published in Redis: load, verify, compile off the request path, swap.

One background thread follows the store: it subscribes to the notification
channel and also re-reads the active pointer every ``poll_interval`` seconds, so a
missed message (or a reconnect) is caught within seconds. When the active version
differs from the one running it fetches the bundle, verifies it (chunk count,
size, sha256, content digest), parses it with the same ``load_ruleset`` as a
directory, compiles it, and swaps one reference in the :class:`SnapshotHolder`.
Requests never wait for any of it and never talk to Redis.

Last good wins: a version that fails to fetch, verify, parse or compile is recorded
as the holder's last error and the current snapshot keeps serving; the same bad
version is not retried before ``REFUSED_RETRY_AFTER`` seconds. Redis going away
means: keep serving, report ``redis_connected=false``, retry with capped
exponential backoff, and catch up on whatever became active meanwhile.

A second thread sends a heartbeat (``ns:replica:{id}``, expiring after a few
missed beats) so ``interceptor rules status`` shows which version each live
replica runs, even while the follower is busy compiling a large ruleset.

>>> follower = follow_redis(holder, "redis://127.0.0.1:6379/0", replica_id="a")  # doctest: +SKIP
>>> follower.wait_for_version(3, timeout=5.0)                                   # doctest: +SKIP
True
>>> follower.stop()                                                             # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from engine.compile import compile_ruleset
from engine.holder import SnapshotHolder
from engine.snapshot import Snapshot
from rules.parse import load_ruleset
from rules.source import BundleSource
from rules.store import (
    DEFAULT_NAMESPACE,
    REDIS_ERRORS,
    RuleStore,
    StoreUnavailable,
    connect,
    redact_url,
)

log = logging.getLogger("interceptor.reloader")

#: Backoff while Redis is unreachable: starts small, doubles, capped so a returning
#: Redis is noticed within a few seconds.
BACKOFF_START = 0.2
BACKOFF_CAP = 5.0
#: A refused version is tried again only after this long (it is immutable, so a
#: retry helps only if the failure was environmental, e.g. memory).
REFUSED_RETRY_AFTER = 300.0
HEARTBEAT_INTERVAL = 1.0
#: A replica vanishes from ``rules status`` this long after its last heartbeat.
HEARTBEAT_TTL = 10.0


def follow_redis(holder: SnapshotHolder, url: str, replica_id: str,
                 namespace: str = DEFAULT_NAMESPACE, poll_interval: float = 2.0) -> Follower:
    """Start following the active ruleset in Redis at ``url``; returns the running Follower.

    Returns at once: the first version is loaded in the background (health stays
    NOT_SERVING until a snapshot is active, unless one was loaded locally before).
    """
    return Follower(holder, url, replica_id, namespace, poll_interval).start()


class Follower:
    """Keeps ``holder`` on the version that is active in Redis. Thread-safe to stop."""

    def __init__(self, holder: SnapshotHolder, url: str, replica_id: str,
                 namespace: str = DEFAULT_NAMESPACE, poll_interval: float = 2.0,
                 heartbeat_interval: float = HEARTBEAT_INTERVAL) -> None:
        self.holder = holder
        self.replica_id = replica_id
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.url = redact_url(url)
        self.store = RuleStore(connect(url, timeout=10.0), namespace, url)
        self.started_at = time.time()
        self.running: int | None = None  # the Redis version this replica serves
        self.active: int | None = None  # the version Redis says is active
        self.loading: int | None = None
        self._refused: dict[int, float] = {}  # version -> when it may be tried again
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        holder.set_extra("replica_id", replica_id)
        holder.set_extra("redis_url", self.url)
        holder.set_extra("redis_namespace", namespace)
        self._set_connected(False, "connecting")

    def start(self) -> Follower:
        for name, target in (("redis-follower", self._follow), ("redis-heartbeat", self._beat)):
            thread = threading.Thread(target=target, name=f"{name}-{self.replica_id}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop following (the current snapshot keeps serving) and remove the heartbeat."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        with contextlib.suppress(*REDIS_ERRORS):  # else it expires on its own
            self.store.r.delete(self.store.key("replica", self.replica_id))
            self.store.r.zrem(self.store.key("replicas"), self.replica_id)
        self.store.r.close()

    def wait_for_version(self, version: int | str, timeout: float) -> bool:
        """True once the holder serves ``version`` (``3`` or ``"v3"``) within ``timeout`` s."""
        want = version if isinstance(version, str) else f"v{version}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            snap = self.holder.current
            if snap is not None and snap.version == want:
                return True
            time.sleep(0.01)
        return False

    # -- following ----------------------------------------------------------------------

    def _follow(self) -> None:
        backoff = BACKOFF_START
        while not self._stop.is_set():
            pubsub = self.store.r.pubsub(  # type: ignore[no-untyped-call, unused-ignore]
                ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.store.channel)
                self._set_connected(True)
                backoff = BACKOFF_START
                self._check()  # catch up on anything missed while disconnected
                while not self._stop.is_set():
                    pubsub.get_message(timeout=self.poll_interval)  # a message, or the poll
                    self._check()
            except (StoreUnavailable, *REDIS_ERRORS) as e:
                error = str(e) if isinstance(e, StoreUnavailable) else (
                    f"Redis at {self.url} unreachable: {e}")
                self._set_connected(False, error)
                log.warning("%s; keep serving %s, retry in %.1fs", error, self._serving(),
                            backoff)
                self._stop.wait(backoff * random.uniform(0.8, 1.2))
                backoff = min(BACKOFF_CAP, backoff * 2)
            except Exception as e:  # never let the follower die: log, pause, go on
                log.exception("redis follower error")
                self.holder.record_error(f"redis follower: {type(e).__name__}: {e}")
                self._stop.wait(self.poll_interval)
            finally:
                with contextlib.suppress(*REDIS_ERRORS):
                    pubsub.close()

    def _check(self) -> None:
        """Load the active version if it is not the one running (and not refused lately)."""
        active = self.store.active_version()
        self.active = active
        self.holder.set_extra("redis_active", f"v{active}" if active is not None else "none")
        if active is None or active == self.running:
            return
        if time.monotonic() < self._refused.get(active, 0.0):
            return
        self.loading = active
        try:
            with _short_gil_turns():
                snapshot = self._build(active)
        except StoreUnavailable:
            raise  # not the version's fault: retry after backoff
        except Exception as e:
            self._refused[active] = time.monotonic() + REFUSED_RETRY_AFTER
            message = (f"redis version {active} refused, still serving {self._serving()}: "
                       f"{type(e).__name__}: {e}")
            log.error("%s", message)
            self.holder.record_error(message)
            return
        finally:
            self.loading = None
        self.holder.swap(snapshot)
        self.running = active
        log.info("now serving redis version %d (digest %s)", active, snapshot.digest[:12])
        self._send_heartbeat()  # let administrators see convergence at once

    def _build(self, version: int) -> Snapshot:
        """Fetch, verify, parse and compile ``version`` (in this thread, never a request's)."""
        return compile_ruleset(self._parse(version), version=f"v{version}")

    def _parse(self, version: int) -> Any:
        # A separate frame so the bundle bytes are freed before compiling starts:
        # peak memory is old snapshot + parsed RuleSet + new snapshot, not + bundle.
        info = self.store.info(version)
        files = self.store.fetch(info)
        return load_ruleset(BundleSource(files, name=f"redis:v{version}"))

    def _serving(self) -> str:
        snap = self.holder.current
        return snap.version if snap is not None else "nothing"

    def _set_connected(self, connected: bool, error: str = "") -> None:
        self.holder.set_extra("redis_connected", "true" if connected else "false")
        self.holder.set_extra("redis_error", error)

    # -- heartbeat ----------------------------------------------------------------------

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_interval):
            self._send_heartbeat()

    def _send_heartbeat(self) -> None:
        snap = self.holder.current
        status = self.holder.status()
        fields: dict[Any, Any] = {
            "version": snap.version if snap is not None else "",
            "digest": snap.digest if snap is not None else "",
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": self.started_at,
            "heartbeat_at": time.time(),
            "redis_active": f"v{self.active}" if self.active is not None else "",
            "loading": f"v{self.loading}" if self.loading is not None else "",
            "last_error": status.last_error,
        }
        # On failure the follower thread reports the outage and reconnects.
        with contextlib.suppress(StoreUnavailable):
            self.store.heartbeat(self.replica_id, fields, HEARTBEAT_TTL)


#: The GIL switch interval while a reload compiles (CPython's default is 5 ms).
RELOAD_SWITCH_INTERVAL = 0.0005


@contextlib.contextmanager
def _short_gil_turns(interval: float = RELOAD_SWITCH_INTERVAL) -> Iterator[None]:
    """While the reloader compiles, let request threads take the GIL every ``interval``
    seconds instead of every 5 ms.

    Compiling is Python work that holds the GIL; a request thread waiting for it waits
    a whole switch interval each time, and a decision takes the GIL several times (its
    arrival, its handler, its answer). Measured with ``bench/bench_reload.py`` (two
    replicas, CheckCall at 200/s from another process, five small pushes), the calls'
    p99 during the pushes went from 16-21 ms to 8-9 ms, with no change in
    publish -> active (docs/distribution.md).
    """
    # The interval is process-wide and followers may compile at once (tests run several
    # in one process): the first one in saves it, the last one out puts it back.
    global _turns_holders, _turns_saved
    with _TURNS_LOCK:
        if _turns_holders == 0:
            _turns_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_turns_saved, interval))
        _turns_holders += 1
    try:
        yield
    finally:
        with _TURNS_LOCK:
            _turns_holders -= 1
            if _turns_holders == 0:
                sys.setswitchinterval(_turns_saved)


_TURNS_LOCK = threading.Lock()
_turns_holders = 0  # followers compiling now
_turns_saved = 0.0  # the interval before the first of them began
