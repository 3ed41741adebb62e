"""``interceptor rules push / status / history / rollback``: administer rulesets in Redis.

Every verb takes ``--redis URL`` (default ``$INTERCEPTOR_REDIS_URL``, else
``redis://127.0.0.1:6379/0``; ``redis://user:pass@host``, ``rediss://`` for TLS),
``--namespace`` and ``--json``. Exit codes: 0 done, 1 operational failure (Redis
unreachable, version not found or corrupt), 2 invalid ruleset or refused push.

::

    $ interceptor rules push rules/default --redis redis://cache:6379/0 -m "add 95xxx"
    pushed version 7 (digest 3f2a9c1b0d4e, 1,234 numbers ...) and made it active
    $ interceptor rules status
    $ interceptor rules rollback 6

A push validates and compiles locally first (the same code the servers run), so a
ruleset that a server would refuse is never published.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from rules.errors import RuleSetError, StoreError
from rules.parse import load_ruleset
from rules.source import BundleSource, DirectorySource
from rules.store import (
    DEFAULT_KEEP,
    DEFAULT_NAMESPACE,
    DEFAULT_REDIS_URL,
    RuleStore,
    ShrinkRefused,
)

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_REFUSED", "add_admin_commands", "run_admin"]

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
SubParsers = Any  # argparse._SubParsersAction[argparse.ArgumentParser] (private type)


def add_admin_commands(rules_subparsers: SubParsers) -> None:
    """Register ``push``, ``status``, ``history`` and ``rollback`` under ``interceptor rules``."""
    push = rules_subparsers.add_parser(
        "push", help="validate a ruleset directory, publish it as a new version, activate it")
    push.add_argument("dir", metavar="DIR", help="ruleset directory (with ruleset.toml)")
    push.add_argument("--author", default="", help="who pushes (default: $USER@host)")
    push.add_argument("-m", "--message", default="", help="what changed, shown in history")
    push.add_argument("--allow-shrink", action="store_true",
                      help="publish even if lists lose more than half of their entries")
    push.add_argument("--keep", type=int, default=DEFAULT_KEEP,
                      help=f"old versions to keep besides the active one (default {DEFAULT_KEEP})")
    _common(push, _cmd_push)
    _common(rules_subparsers.add_parser(
        "status", help="the active version and the version each live replica runs"), _cmd_status)
    _common(rules_subparsers.add_parser("history", help="the versions kept, newest first"),
            _cmd_history)
    rollback = rules_subparsers.add_parser("rollback", help="make a kept version active again")
    rollback.add_argument("version", metavar="VERSION", help="version number (7 or v7)")
    _common(rollback, _cmd_rollback)


def run_admin(argv: Sequence[str]) -> int:
    """Run one admin verb as if typed after ``interceptor rules`` (tests, scripts)."""
    parser = argparse.ArgumentParser(prog="interceptor rules")
    add_admin_commands(parser.add_subparsers(dest="rules_command", required=True))
    args = parser.parse_args(list(argv))
    code: int = args.func(args)
    return code


def _common(parser: argparse.ArgumentParser, func: Callable[[argparse.Namespace], int]) -> None:
    parser.add_argument("--redis", metavar="URL",
                        default=os.environ.get("INTERCEPTOR_REDIS_URL", DEFAULT_REDIS_URL),
                        help="Redis URL (default: $INTERCEPTOR_REDIS_URL or %(default)s)")
    parser.add_argument("--namespace", default=DEFAULT_NAMESPACE,
                        help="key prefix in Redis (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=lambda args: _guarded(func, args))


def _guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Turn the store's and the parser's errors into a message and an exit code."""
    try:
        return func(args)
    except RuleSetError as e:
        return _fail(args, EXIT_REFUSED, str(e))
    except ShrinkRefused as e:
        return _fail(args, EXIT_REFUSED, str(e))
    except StoreError as e:
        return _fail(args, EXIT_FAILED, str(e))


def _fail(args: argparse.Namespace, code: int, message: str) -> int:
    if args.json:
        print(json.dumps({"ok": False, "error": message}))
    else:
        print(f"error: {message}", file=sys.stderr)
    return code


def _store(args: argparse.Namespace) -> RuleStore:
    return RuleStore.from_url(args.redis, args.namespace)


# -- verbs --------------------------------------------------------------------------------


def _cmd_push(args: argparse.Namespace) -> int:
    from engine.compile import compile_ruleset  # heavy (numba); only push needs it

    source = DirectorySource(args.dir)
    if not (source.root / "ruleset.toml").is_file():
        return _fail(args, EXIT_REFUSED, f"{args.dir}: not a ruleset directory "
                                         "(no ruleset.toml)")
    started = time.perf_counter()
    ruleset = load_ruleset(source)
    compile_ruleset(ruleset)  # refuse what a server could not compile
    validated = time.perf_counter() - started
    info = _store(args).publish(ruleset, source, author=args.author, message=args.message,
                                allow_shrink=args.allow_shrink, keep=args.keep)
    if args.json:
        print(json.dumps({"ok": True, "pushed": asdict(info), "validate_seconds": validated,
                          "total_seconds": time.perf_counter() - started}))
    else:
        print(f"pushed version {info.version} and made it active "
              f"(digest {info.digest[:12]}, {_size(info.size)} in {info.chunks} chunk(s), "
              f"{_counts(info.counts)})")
    return EXIT_OK


def _cmd_rollback(args: argparse.Namespace) -> int:
    version = _version_arg(args.version)
    store = _store(args)
    previous = store.active_version()
    info = store.info(version)
    files = store.fetch(info)  # refuse missing or corrupt data before activating it
    from engine.compile import compile_ruleset

    compile_ruleset(load_ruleset(BundleSource(files, name=f"redis:v{version}")))
    del files
    store.activate(version)
    if args.json:
        print(json.dumps({"ok": True, "active": version, "previous": previous}))
    else:
        print(f"version {version} is active again (was {previous}); replicas are notified")
    return EXIT_OK


def _cmd_status(args: argparse.Namespace) -> int:
    store = _store(args)
    active = store.active_version()
    info = store.info(active) if active is not None else None
    replicas = store.replicas()
    want = f"v{active}" if active is not None else None
    if args.json:
        print(json.dumps({"active": active, "active_info": asdict(info) if info else None,
                          "replicas": [asdict(r) for r in replicas],
                          "converged": all(r.version == want for r in replicas)}))
        return EXIT_OK
    if info is None:
        print(f"no version published in {store.url} (namespace {store.ns!r})")
    else:
        print(f"active: v{info.version}  digest {info.digest[:12]}  by {info.author} at "
              f"{_when(info.created_at)}  {_counts(info.counts)}")
    print(f"{len(replicas)} live replica(s)")
    for r in replicas:
        mark = "ok" if r.version == want else ("loading" if r.extra.get("loading")
                                                else "BEHIND")
        error = f"  last error: {r.last_error}" if r.last_error else ""
        print(f"  {r.replica_id:<32} {r.version or '-':<10} {mark:<8} pid {r.pid} on "
              f"{r.host}, beat {time.time() - r.heartbeat_at:.1f}s ago{error}")
    return EXIT_OK


def _cmd_history(args: argparse.Namespace) -> int:
    store = _store(args)
    active = store.active_version()
    history = store.history()
    if args.json:
        print(json.dumps({"active": active, "versions": [asdict(v) for v in history]}))
        return EXIT_OK
    if not history:
        print("no versions stored")
    for v in history:
        mark = "*" if v.version == active else " "
        note = f"  {v.message}" if v.message else ""
        print(f"{mark} v{v.version:<5} {_when(v.created_at)}  {v.author:<24} {v.digest[:12]}  "
              f"{_counts(v.counts)}{note}")
    return EXIT_OK


# -- formatting ---------------------------------------------------------------------------


def _version_arg(text: str) -> int:
    try:
        version = int(text.removeprefix("v"))
    except ValueError:
        raise StoreError(f"{text!r} is not a version number (e.g. 7 or v7)") from None
    if version <= 0:
        raise StoreError(f"{text!r} is not a version number (versions start at 1)")
    return version


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def _counts(counts: dict[str, int]) -> str:
    keys = ("rules", "numbers", "number_prefixes", "domains", "keywords")
    return ", ".join(f"{counts[k]:,} {k.replace('_', ' ')}" for k in keys if counts.get(k))

