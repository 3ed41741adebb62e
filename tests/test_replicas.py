"""Real server processes (``python server.py --redis URL``) following a real redis-server.

Done-when of issue 4, end to end: a push reaches every replica (two processes) and
changes their decisions; rollback; a bad push changes nothing; killing Redis leaves
the servers serving and they resume following when it returns; a reload under
continuous load fails no request and every decision's version matches the rules
that produced it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from proto.interceptor.v1 import interceptor_pb2 as pb
from proto.interceptor.v1 import interceptor_pb2_grpc as pb_grpc
from rules.admin import EXIT_OK, EXIT_REFUSED, run_admin
from tests.fixtures_grpc import ServerProcess, server_process
from tests.fixtures_redis import RedisServer, redis_server, write_ruleset

__all__ = ["redis_server", "server_process"]  # fixtures used here

pytestmark = pytest.mark.slow
FRAUD = "13800000001"
StartServer = Callable[..., ServerProcess]


def stub(proc: ServerProcess) -> pb_grpc.InterceptorStub:
    return pb_grpc.InterceptorStub(grpc.insecure_channel(proc.target))


def check(s: pb_grpc.InterceptorStub, caller: str = FRAUD) -> tuple[int, str]:
    reply = s.CheckCall(pb.CallEvent(call_id="c", caller=caller, callee="13900000000"),
                        timeout=5)
    return reply.action, reply.ruleset_version


def wait_version(stubs: list[pb_grpc.InterceptorStub], version: str,
                 timeout: float = 15.0) -> float:
    """Seconds until every replica's GetStatus reports ``version``."""
    start = time.monotonic()
    while True:
        statuses = [s.GetStatus(pb.GetStatusRequest(), timeout=5) for s in stubs]
        if all(st.ruleset_version == version for st in statuses):
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError([(st.ruleset_version, st.last_error) for st in statuses])
        time.sleep(0.02)


def admin(*argv: str) -> int:
    return run_admin(list(argv))


def test_push_and_rollback_reach_every_replica(redis_server: RedisServer,
                                               server_process: StartServer,
                                               tmp_path: Path) -> None:
    url = redis_server.url
    assert admin("push", str(write_ruleset(tmp_path / "a", deny_numbers=[FRAUD])),
                 "--redis", url) == EXIT_OK
    replicas = [server_process("--redis", url, "--replica-id", f"r{i}") for i in range(2)]
    stubs = [stub(p) for p in replicas]
    wait_version(stubs, "v1")
    assert [check(s) for s in stubs] == [(pb.ACTION_BLOCK, "v1")] * 2

    assert admin("push", str(write_ruleset(tmp_path / "b", deny_numbers=["13800000002"])),
                 "--redis", url) == EXIT_OK
    wait_version(stubs, "v2", timeout=5)
    assert [check(s) for s in stubs] == [(pb.ACTION_PASS, "v2")] * 2

    bad = write_ruleset(tmp_path / "bad")
    (bad / "ruleset.toml").write_text("[ruleset\n")
    assert admin("push", str(bad), "--redis", url) == EXIT_REFUSED
    assert admin("rollback", "1", "--redis", url) == EXIT_OK
    wait_version(stubs, "v1", timeout=5)
    assert [check(s) for s in stubs] == [(pb.ACTION_BLOCK, "v1")] * 2

    status = _status_json(url)
    deadline = time.monotonic() + 5
    while not (status["converged"] and len(status["replicas"]) == 2):
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
        status = _status_json(url)
    assert sorted(r["replica_id"] for r in status["replicas"]) == ["r0", "r1"]


def _status_json(url: str) -> dict[str, Any]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert admin("status", "--redis", url, "--json") == EXIT_OK
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_servers_survive_redis_outage(redis_server: RedisServer, server_process: StartServer,
                                      tmp_path: Path) -> None:
    url = redis_server.url
    assert admin("push", str(write_ruleset(tmp_path / "a", deny_numbers=[FRAUD])),
                 "--redis", url) == EXIT_OK
    s = stub(server_process("--redis", url))
    wait_version([s], "v1")
    redis_server.stop()
    deadline = time.monotonic() + 10
    while s.GetStatus(pb.GetStatusRequest(), timeout=5).redis_connected:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for _ in range(20):
        assert check(s) == (pb.ACTION_BLOCK, "v1")
    redis_server.start()
    assert admin("push", str(write_ruleset(tmp_path / "b", deny_numbers=["13800000002"])),
                 "--redis", url) == EXIT_OK
    wait_version([s], "v2", timeout=15)  # backoff is capped at 5 s
    assert check(s) == (pb.ACTION_PASS, "v2")
    assert s.GetStatus(pb.GetStatusRequest(), timeout=5).redis_connected


def test_reload_under_load_fails_nothing_and_versions_match(
        redis_server: RedisServer, server_process: StartServer, tmp_path: Path) -> None:
    url = redis_server.url
    blocks = write_ruleset(tmp_path / "blocks", deny_numbers=[FRAUD, "13800000009"])
    passes = write_ruleset(tmp_path / "passes", deny_numbers=["13800000002", "13800000009"])
    assert admin("push", str(blocks), "--redis", url) == EXIT_OK
    expected = {"v1": pb.ACTION_BLOCK}
    s = stub(server_process("--redis", url))
    wait_version([s], "v1")

    seen: list[tuple[int, str]] = []
    errors: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                seen.append(check(s))
            except grpc.RpcError as e:
                errors.append(f"{e.code()}: {e.details()}")

    client = threading.Thread(target=hammer)
    client.start()
    try:
        for i in range(2, 8):
            root = passes if i % 2 == 0 else blocks
            assert admin("push", str(root), "--redis", url) == EXIT_OK
            expected[f"v{i}"] = pb.ACTION_PASS if i % 2 == 0 else pb.ACTION_BLOCK
            wait_version([s], f"v{i}", timeout=10)
            time.sleep(0.1)
    finally:
        stop.set()
        client.join()
    assert errors == []
    wrong = [(a, v) for a, v in seen if expected.get(v) != a]
    assert wrong == [] and len(seen) > 100
    assert len({v for _, v in seen}) >= 5  # decisions really spanned the reloads
