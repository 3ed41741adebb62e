"""The Redis rule store and the admin CLI, against a real redis-server (tests/fixtures_redis).

Covers: round trip of a chunked bundle, atomic activation, shrink guard, rollback
(good, unknown, corrupt), retention, corruption and truncation detection, Redis
dying mid-push, password / ACL logins, and the ``rules push/status/history/rollback``
verbs with their exit codes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import msgpack
import pytest

from rules import load_ruleset
from rules.admin import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, run_admin
from rules.errors import StoreError, VersionNotFound
from rules.source import DirectorySource
from rules.store import (
    RuleStore,
    ShrinkRefused,
    StoreUnavailable,
    VersionInfo,
    redact_url,
    shrink_problems,
)
from tests.fixtures_redis import RedisServer, redis_auth_server, redis_server, write_ruleset

__all__ = ["redis_auth_server", "redis_server"]  # fixtures used here

NUMBERS = [f"1380000{i:04d}" for i in range(200)]


def publish_dir(store: RuleStore, root: Path, **kw: object) -> VersionInfo:
    return store.publish(load_ruleset(root), DirectorySource(root), **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(redis_server: RedisServer) -> RuleStore:
    return RuleStore.from_url(redis_server.url, namespace="t")


def test_publish_activates_and_round_trips(store: RuleStore, tmp_path: Path) -> None:
    root = write_ruleset(tmp_path / "a", deny_numbers=NUMBERS)
    ruleset = load_ruleset(root)
    info = publish_dir(store, root, author="alice@ops", message="first")
    assert (info.version, store.active_version(), store.versions()) == (1, 1, [1])
    got = store.info(1)
    assert got == info and got.author == "alice@ops" and got.counts["numbers"] == 200
    assert got.digest == ruleset.digest
    files = store.fetch(got)
    assert files == {rel: (root / rel).read_bytes() for rel in ruleset.files}


def test_large_bundle_is_chunked(store: RuleStore, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rules.store.CHUNK_BYTES", 1000)
    root = write_ruleset(tmp_path / "a", deny_numbers=NUMBERS)
    info = publish_dir(store, root)
    assert info.chunks == -(-info.size // 1000) > 2
    assert store.r.ttl(store.chunk_key(1, 0)) == -1  # staged TTL removed on activation
    assert store.fetch(info)["lists/deny_numbers.txt"] == (root / "lists/deny_numbers.txt"
                                                           ).read_bytes()


def test_corrupt_and_truncated_versions_are_detected(store: RuleStore, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rules.store.CHUNK_BYTES", 1000)
    info = publish_dir(store, write_ruleset(tmp_path / "a", deny_numbers=NUMBERS))
    last = store.chunk_key(1, info.chunks - 1)
    tail = store.r.get(last)
    assert isinstance(tail, bytes)
    store.r.set(last, tail[:-5])
    with pytest.raises(StoreError, match="truncated"):
        store.fetch(info)
    store.r.set(last, tail[:-1] + b"X")
    with pytest.raises(StoreError, match="sha256 mismatch"):
        store.fetch(info)
    store.r.delete(last)
    with pytest.raises(StoreError, match=f"chunk {info.chunks - 1} of {info.chunks} is missing"):
        store.fetch(info)
    store.r.hset(store.key("v", 1, "meta"), "counts", "not json")
    with pytest.raises(StoreError, match="meta is corrupt"):
        store.info(1)


def test_payload_that_is_not_a_bundle_is_refused(store: RuleStore, tmp_path: Path) -> None:
    info = publish_dir(store, write_ruleset(tmp_path / "a"))
    import hashlib

    for payload, match in ((b"\xc1garbage", "does not decode"),
                           (msgpack.packb({"format": 9}), "not a format-1"),
                           (msgpack.packb({"format": 1, "files": {"a": 1}}), "map paths")):
        store.r.set(store.chunk_key(1, 0), payload)
        store.r.hset(store.key("v", 1, "meta"), mapping={
            "chunks": 1, "size": len(payload),
            "payload_sha256": hashlib.sha256(payload).hexdigest()})
        bad = store.info(1)
        with pytest.raises(StoreError, match=match):
            store.fetch(bad)
    assert info.version == 1


def test_shrink_guard(store: RuleStore, tmp_path: Path) -> None:
    publish_dir(store, write_ruleset(tmp_path / "big", deny_numbers=NUMBERS))
    small = write_ruleset(tmp_path / "small", deny_numbers=NUMBERS[:5])
    with pytest.raises(ShrinkRefused, match=r"numbers: 200 -> 5 .*--allow-shrink"):
        publish_dir(store, small)
    assert (store.active_version(), store.versions()) == (1, [1])  # nothing written
    assert publish_dir(store, small, allow_shrink=True).version == 2  # no number was used
    assert shrink_problems({"numbers": 9}, {"numbers": 0}) == []  # tiny lists: free


def test_rollback(store: RuleStore, tmp_path: Path) -> None:
    publish_dir(store, write_ruleset(tmp_path / "a", deny_numbers=NUMBERS[:20]))
    publish_dir(store, write_ruleset(tmp_path / "b", deny_numbers=NUMBERS[:30]))
    assert store.active_version() == 2
    pubsub = store.r.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    pubsub.subscribe(store.channel)
    store.rollback(1)
    assert store.active_version() == 1
    deadline = time.monotonic() + 5.0
    msg = None
    while msg is None and time.monotonic() < deadline:  # the first call eats the subscribe ack
        msg = pubsub.get_message(timeout=1.0)
    assert msg is not None and msg["data"] == b"activated 1"
    with pytest.raises(VersionNotFound, match=r"version 9 does not exist \(kept versions: 1..2"):
        store.rollback(9)
    store.r.delete(store.chunk_key(2, 0))
    with pytest.raises(StoreError, match="chunk 0 of 1 is missing"):
        store.rollback(2)
    assert store.active_version() == 1


def test_retention_keeps_newest_and_active(store: RuleStore, tmp_path: Path) -> None:
    for i in range(5):
        publish_dir(store, write_ruleset(tmp_path / f"r{i}", deny_numbers=NUMBERS[: 20 + i]),
                    keep=3)
    assert store.versions() == [3, 4, 5]
    assert not store.r.exists(store.key("v", 1, "meta"), store.chunk_key(1, 0))
    store.rollback(3)
    assert store.prune(keep=1) == [4]
    assert store.versions() == [3, 5]  # the active one survives retention
    assert [v.version for v in store.history()] == [5, 3]


class DyingStore(RuleStore):
    """Kills the real Redis after ``after`` chunk writes (Redis going away mid-push)."""

    def __init__(self, server: RedisServer, after: int) -> None:
        super().__init__(RuleStore.from_url(server.url, "t").r, "t", server.url)
        self.server, self.after, self.written = server, after, 0

    def chunk_key(self, version: int, index: int) -> str:
        if index == self.after and self.server.proc is not None:
            self.server.stop()
        return super().chunk_key(version, index)


def test_redis_dying_mid_push_activates_nothing(redis_server: RedisServer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rules.store.CHUNK_BYTES", 500)
    store = RuleStore.from_url(redis_server.url, "t")
    publish_dir(store, write_ruleset(tmp_path / "a", deny_numbers=NUMBERS[:20]))
    with pytest.raises(StoreUnavailable, match="unreachable while writing version 2"):
        publish_dir(DyingStore(redis_server, after=3),
                    write_ruleset(tmp_path / "b", deny_numbers=NUMBERS))
    redis_server.start()
    assert (store.active_version(), store.versions()) == (1, [1])
    assert not store.r.exists(store.key("v", 2, "meta"))
    assert 0 < store.r.ttl(store.chunk_key(2, 0)) <= 3600  # staged chunks expire by themselves
    assert publish_dir(store, write_ruleset(tmp_path / "c", deny_numbers=NUMBERS)).version == 3


def test_password_and_acl_logins(redis_auth_server: RedisServer, tmp_path: Path) -> None:
    root = write_ruleset(tmp_path / "a")
    for url in (redis_auth_server.url, redis_auth_server.password_url):
        assert publish_dir(RuleStore.from_url(url, "t"), root).version >= 1
    with pytest.raises(StoreError, match="Redis") as err:
        RuleStore.from_url(redis_auth_server.anonymous_url, "t").active_version()
    assert "s3cret" not in str(err.value)


def test_unreachable_redis_is_a_clear_error(tmp_path: Path) -> None:
    with RedisServer(persist=False) as server:
        url = server.url
    with pytest.raises(StoreUnavailable, match="unreachable while reading the active version"):
        RuleStore.from_url(url, "t", timeout=1.0).active_version()


def test_redact_url() -> None:
    assert redact_url("redis://u:pw@h:1/0") == "redis://u:***@h:1/0"
    assert redact_url("redis://:pw@h/0") == "redis://:***@h/0"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"


# -- the CLI verbs ------------------------------------------------------------------------


def admin(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_admin(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_push_status_history_rollback(redis_server: RedisServer, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--redis", redis_server.url, "--namespace", "cli"]
    a = write_ruleset(tmp_path / "a", deny_numbers=NUMBERS[:20])
    code, out, _ = admin(capsys, "push", str(a), *common, "--author", "bob", "-m", "first")
    assert code == EXIT_OK and "pushed version 1 and made it active" in out
    code, out, _ = admin(capsys, "push", str(a), *common, "--json")
    pushed = json.loads(out)
    assert code == EXIT_OK and pushed["pushed"]["version"] == 2
    code, out, _ = admin(capsys, "history", *common)
    assert code == EXIT_OK and "* v2" in out and "bob" in out and "first" in out
    code, out, _ = admin(capsys, "rollback", "v1", *common)
    assert code == EXIT_OK and "version 1 is active again (was 2)" in out
    code, out, _ = admin(capsys, "status", *common, "--json")
    status = json.loads(out)
    assert code == EXIT_OK and status["active"] == 1 and status["replicas"] == []
    code, out, err = admin(capsys, "rollback", "42", *common)
    assert code == EXIT_FAILED and "version 42 does not exist" in err
    code, out, err = admin(capsys, "rollback", "latest", *common)
    assert code == EXIT_FAILED and "not a version number" in err


def test_cli_refuses_invalid_ruleset_and_writes_nothing(
        redis_server: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--redis", redis_server.url, "--namespace", "cli"]
    bad = write_ruleset(tmp_path / "bad")
    (bad / "lists" / "deny_numbers.txt").write_text("13800000001\nnot-a-number\n")
    code, _, err = admin(capsys, "push", str(bad), *common)
    assert code == EXIT_REFUSED and "lists/deny_numbers.txt:2" in err
    code, _, err = admin(capsys, "push", str(tmp_path / "missing"), *common)
    assert code == EXIT_REFUSED and "not a ruleset directory" in err
    assert redis_server.client().keys("cli:*") == []
    big = write_ruleset(tmp_path / "big", deny_numbers=NUMBERS)
    assert admin(capsys, "push", str(big), *common)[0] == EXIT_OK
    small = write_ruleset(tmp_path / "small", deny_numbers=NUMBERS[:1])
    code, _, err = admin(capsys, "push", str(small), *common)
    assert code == EXIT_REFUSED and "--allow-shrink" in err
    assert admin(capsys, "push", str(small), *common, "--allow-shrink")[0] == EXIT_OK


def test_cli_unreachable_redis(capsys: pytest.CaptureFixture[str]) -> None:
    with RedisServer(persist=False) as server:
        url = server.url
    start = time.monotonic()
    code, _, err = admin(capsys, "status", "--redis", url)
    assert code == EXIT_FAILED and "unreachable" in err
    assert time.monotonic() - start < 30
