"""The ``interceptor`` command line.

::

    interceptor serve [--rules DIR | --redis URL] [--port 50051] [--workers N]
    interceptor check sms  --sender N --text T [--rules DIR | --target H:P]
    interceptor check call --caller N [--ingress international] [--rules DIR | --target H:P]
    interceptor rules validate DIR [--json]
    interceptor rules push DIR --redis URL | status | history | rollback VERSION

Exit codes: 0 success, 1 operational failure, 2 invalid input (bad ruleset or event).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from rules.errors import EventError, InterceptorError, RuleSetError
from rules.parse import DEFAULT_RULESET_DIR, load_ruleset

INGRESS_NAMES = ("unspecified", "domestic", "international", "inter_network", "voip", "roaming")


def _cmd_validate(args: argparse.Namespace) -> int:
    from engine import compile_ruleset

    started = time.perf_counter()
    try:
        ruleset = load_ruleset(args.dir)
        parsed = time.perf_counter()
        snapshot = compile_ruleset(ruleset)
    except RuleSetError as exc:
        if args.json:
            print(json.dumps({"ok": False, "problems": [
                {"file": p.file, "line": p.line, "rule_id": p.rule_id, "field": p.field,
                 "message": p.message} for p in exc.problems]}, ensure_ascii=False, indent=2))
        else:
            print(exc, file=sys.stderr)
        return 2
    stages = {"parse": parsed - started, **snapshot.stage_times}
    if args.json:
        print(json.dumps({"ok": True, "name": ruleset.name, "digest": ruleset.digest,
                          "version": snapshot.version, "counts": ruleset.counts(),
                          "stage_seconds": stages}, ensure_ascii=False, indent=2))
        return 0
    print(f"ruleset {ruleset.name!r} is valid: {args.dir}")
    print(f"  digest   sha256:{ruleset.digest}")
    print(f"  version  {snapshot.version}")
    for key, value in sorted(ruleset.counts().items()):
        print(f"  {key:<28} {value:>12,}")
    print("  compile stages: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in stages.items()))
    return 0


def _event_from_args(args: argparse.Namespace) -> object:
    from engine.types import CallEvent, Ingress, MessageEvent

    ingress = Ingress[args.ingress.upper()]
    if args.what == "sms":
        return MessageEvent(args.id, args.sender, args.recipient, args.text, ingress,
                            args.timestamp_ms)
    return CallEvent(args.id, args.caller, args.callee, ingress, args.caller_country,
                     args.roaming_area, args.timestamp_ms)


def _print_decision(decision: object, as_json: bool) -> None:
    from engine.types import Decision

    assert isinstance(decision, Decision)
    if as_json:
        data = asdict(decision)
        data["action"] = decision.action.name
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    print(f"{decision.action.name}  score {decision.score}  ruleset {decision.ruleset_version}")
    for title, matches in (("matched", decision.matches), ("shadow", decision.shadow_matches)):
        for m in matches:
            where = f" @{m.start}-{m.end}" if m.start >= 0 else ""
            print(f"  {title:<8} {m.rule_id:<32} {m.action:<6} {m.score:>4}  "
                  f"[{m.kind}/{m.category}] {m.field}={m.matched!r}{where}")
    if not decision.matches and not decision.shadow_matches:
        print("  no rule matched")


def _cmd_check(args: argparse.Namespace) -> int:
    event = _event_from_args(args)
    try:
        if args.target:
            from server import remote_check

            decision = remote_check(args.target, event, timeout=args.timeout)  # type: ignore[arg-type]
        else:
            from engine import compile_ruleset, decide

            snapshot = compile_ruleset(load_ruleset(args.rules))
            decision = decide(snapshot, event)  # type: ignore[arg-type]
    except EventError as exc:
        print(f"invalid event: {exc}", file=sys.stderr)
        return 2
    except RuleSetError as exc:
        print(exc, file=sys.stderr)
        return 2
    except InterceptorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _print_decision(decision, args.json)
    return 0


def _add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser("check", help="decide one call or SMS and print the decision")
    kinds = check.add_subparsers(dest="what", required=True)
    sms = kinds.add_parser("sms", help="check one SMS")
    sms.add_argument("--sender", required=True)
    sms.add_argument("--recipient", default="13800138000")
    sms.add_argument("--text", required=True)
    call = kinds.add_parser("call", help="check one call setup")
    call.add_argument("--caller", required=True)
    call.add_argument("--callee", default="13800138000")
    call.add_argument("--caller-country", default="", help="ISO country of the origin network")
    call.add_argument("--roaming-area", default="")
    for p in (sms, call):
        p.add_argument("--ingress", choices=INGRESS_NAMES, default="domestic")
        p.add_argument("--id", default="cli-1", help="event id echoed in the decision")
        p.add_argument("--timestamp-ms", type=int, default=0)
        where = p.add_mutually_exclusive_group()
        where.add_argument("--rules", type=Path, default=DEFAULT_RULESET_DIR,
                           help="decide in-process with this ruleset (default: bundled)")
        where.add_argument("--target", help="decide on a running server HOST:PORT")
        p.add_argument("--timeout", type=float, default=5.0, help="seconds, with --target")
        p.add_argument("--json", action="store_true", help="print the decision as JSON")
        p.set_defaults(func=_cmd_check)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interceptor", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gRPC server")
    from server import add_serve_arguments, run_serve

    add_serve_arguments(serve)
    serve.set_defaults(func=run_serve)

    _add_check(sub)

    rules = sub.add_parser("rules", help="validate and publish rulesets")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    validate = rules_sub.add_parser("validate", help="parse, validate and compile a ruleset")
    validate.add_argument("dir", type=Path)
    validate.add_argument("--json", action="store_true")
    validate.set_defaults(func=_cmd_validate)
    from rules.admin import add_admin_commands

    add_admin_commands(rules_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``interceptor`` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        sys.stdout.flush()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``interceptor rules history | head``): nothing is lost, so no
        # traceback; stdout goes to devnull so the interpreter's own final flush is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # what a shell reports for a command killed by SIGPIPE
    return code


if __name__ == "__main__":
    sys.exit(main())
