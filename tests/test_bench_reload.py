"""The reload benchmark's check of decisions made during reloads (bench/bench_reload.py).

Its "0 mis-versioned" figure is only worth something if the check can see a decision
labelled with one version and made by another; these cases hold it to that.
"""

from __future__ import annotations

from bench.bench_reload import DENY_RULE, NEVER_PUSHED, ReloadLoad
from proto.interceptor.v1 import interceptor_pb2 as pb


def _reply(version: str, deny: bool) -> pb.Decision:
    matches = [pb.Match(rule_id=DENY_RULE)] if deny else [pb.Match(rule_id="call.other")]
    return pb.Decision(ruleset_version=version, matches=matches)


def test_decisions_that_agree_with_their_version_pass() -> None:
    load = ReloadLoad([], rate=1)
    load.introduce("17000000000", 3)
    load._check("17000000000", _reply("v2", deny=False))  # before the push that added it
    load._check("17000000000", _reply("v3", deny=True))
    load._check("17000000000", _reply("v9", deny=True))
    load._check(NEVER_PUSHED, _reply("v9", deny=False))
    assert load.mis_versioned == []
    assert load.versions == {"v2", "v3", "v9"}


def test_a_decision_made_by_another_version_is_counted() -> None:
    load = ReloadLoad([], rate=1)
    load.introduce("17000000000", 3)
    load._check("17000000000", _reply("v2", deny=True))  # labelled v2, decided by v3+
    load._check("17000000000", _reply("v3", deny=False))  # labelled v3, decided by v2
    load._check(NEVER_PUSHED, _reply("v4", deny=True))
    load._check(NEVER_PUSHED, _reply("default@194329a7e6e6", deny=False))  # not from Redis
    assert len(load.mis_versioned) == 4
    assert "17000000000 under v2: deny rule matched" in load.mis_versioned
