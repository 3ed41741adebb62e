"""The decision engine: compile a RuleSet into a Snapshot, decide events against it.

>>> from rules import load_ruleset, DEFAULT_RULESET_DIR
>>> from engine import compile_ruleset, decide, MessageEvent, Action
>>> snapshot = compile_ruleset(load_ruleset(DEFAULT_RULESET_DIR))
>>> text = "【工商银行】您的账户存在异常，请点击 http://icbc-verify.top 进行身份验证，否则将冻结"
>>> decide(snapshot, MessageEvent("m1", "13912345678", "13800138000", text)).action
<Action.BLOCK: 3>
"""

# First: it points numba's cache at this source's directory before any kernel is defined.
from engine import kernel_cache as _kernel_cache  # noqa: F401

# isort: split
from engine.compile import compile_ruleset, warm_kernels
from engine.decide import decide, decide_batch
from engine.holder import HolderStatus, SnapshotHolder
from engine.snapshot import Snapshot
from engine.types import (
    Action,
    CallEndedEvent,
    CallEvent,
    Decision,
    Event,
    Ingress,
    Match,
    MessageEvent,
)

__all__ = [
    "Action",
    "CallEndedEvent",
    "CallEvent",
    "Decision",
    "Event",
    "HolderStatus",
    "Ingress",
    "Match",
    "MessageEvent",
    "Snapshot",
    "SnapshotHolder",
    "compile_ruleset",
    "decide",
    "decide_batch",
    "warm_kernels",
]
