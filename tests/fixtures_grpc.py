"""pytest fixtures for the gRPC service: real servers on free ports, in-process and as processes.

Use from a test module by listing it as a plugin::

    pytest_plugins = ["tests.fixtures_grpc"]

    def test_health(grpc_service, grpc_channel):
        ...

* ``grpc_service``: one in-process server (thread pool) with the bundled ruleset, shared by
  a module; ``grpc_channel`` / ``grpc_stub`` talk to it.
* ``make_service(**config)``: start more in-process servers with their own ``ServeConfig``
  (and optionally an empty holder); all are stopped at teardown.
* ``server_process(*args)``: ``python server.py --port N *args`` as a child process, returned
  once it answers health checks as SERVING; killed at teardown if still running.

The test modules also import helpers from here before pytest loads it as a plugin, so it
opts out of assertion rewriting (it has no asserts): PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import server
from engine import SnapshotHolder
from proto.interceptor.v1 import interceptor_pb2_grpc as pb_grpc

REPO_ROOT = Path(__file__).resolve().parent.parent

__all__ = [
    "ServerProcess",
    "free_port",
    "grpc_channel",
    "grpc_service",
    "grpc_stub",
    "health_status",
    "make_service",
    "server_process",
    "wait_serving",
]


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1 (for servers that need it up front)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def health_status(target: str, service: str = "", timeout: float = 1.0) -> int:
    """The health status of ``service`` at ``target`` (raises ``grpc.RpcError`` if unreachable)."""
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        return int(reply.status)


def wait_serving(
    target: str, timeout: float = 60.0, proc: subprocess.Popen[Any] | None = None
) -> None:
    """Poll health until SERVING; fail early if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before serving")
        try:
            if health_status(target, timeout=0.5) == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{target} not SERVING after {timeout}s")


@pytest.fixture(scope="module")
def grpc_service() -> Iterator[server.Service]:
    service = server.serve(server.ServeConfig(port=0))
    yield service
    service.stop(grace=1.0)


@pytest.fixture(scope="module")
def grpc_channel(grpc_service: server.Service) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{grpc_service.port}") as channel:
        yield channel


@pytest.fixture(scope="module")
def grpc_stub(grpc_channel: grpc.Channel) -> pb_grpc.InterceptorStub:
    return pb_grpc.InterceptorStub(grpc_channel)


@pytest.fixture
def make_service() -> Iterator[Callable[..., server.Service]]:
    started: list[server.Service] = []

    def make(empty: bool = False, **config: Any) -> server.Service:
        config.setdefault("port", 0)
        cfg = server.ServeConfig(**config)
        service = (
            server.build_server(cfg, SnapshotHolder()) if empty else server.serve(cfg)
        )
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop(grace=0.5)


@dataclass
class ServerProcess:
    proc: subprocess.Popen[str]
    port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
def server_process() -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(*args: str, wait: bool = True) -> ServerProcess:
        port = free_port()
        pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": pythonpath}
        proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "server.py"), "--port", str(port), *args],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,  # its own process group, so teardown reaches --workers children
        )
        handle = ServerProcess(proc, port)
        started.append(handle)
        if wait:
            try:
                wait_serving(handle.target, proc=proc)
            except RuntimeError as e:
                output = proc.communicate(timeout=10)[0]
                raise RuntimeError(f"{e}; its output:\n{output}") from e
        return handle

    yield start
    for handle in started:
        if handle.proc.poll() is None:
            handle.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                handle.proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(handle.proc.pid, signal.SIGKILL)  # any worker left behind
        handle.proc.communicate(timeout=10)
