"""Rulesets: the format administrators write, parsed and validated into a frozen RuleSet.

>>> from rules import load_ruleset, DEFAULT_RULESET_DIR
>>> ruleset = load_ruleset(DEFAULT_RULESET_DIR)
>>> ruleset.thresholds.block
100
"""

from rules.errors import (
    EventError,
    InterceptorError,
    Problem,
    RuleSetError,
    StoreError,
    VersionNotFound,
)
from rules.model import (
    ContactRule,
    DomainListRule,
    KeywordComboRule,
    KeywordListRule,
    NumberListRule,
    Rule,
    RuleMeta,
    RuleSet,
    Thresholds,
)
from rules.parse import DEFAULT_RULESET_DIR, NORMALIZE_STEPS, load_ruleset
from rules.source import BundleSource, DirectorySource, FileSource

__all__ = [
    "DEFAULT_RULESET_DIR",
    "NORMALIZE_STEPS",
    "BundleSource",
    "ContactRule",
    "DirectorySource",
    "DomainListRule",
    "EventError",
    "FileSource",
    "InterceptorError",
    "KeywordComboRule",
    "KeywordListRule",
    "NumberListRule",
    "Problem",
    "Rule",
    "RuleMeta",
    "RuleSet",
    "RuleSetError",
    "StoreError",
    "Thresholds",
    "VersionNotFound",
    "load_ruleset",
]
