"""Errors raised by interceptor.

Hierarchy::

    InterceptorError
    ├── RuleSetError        a ruleset cannot be parsed, validated or compiled
    │                       (names the file, line, rule id and field)
    ├── EventError          an event has an empty, oversized or malformed field
    │                       (names the field)
    └── StoreError          the Redis rule store refused an operation
        └── VersionNotFound a version asked for does not exist

Every message is written for a person: it says where the problem is and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class InterceptorError(Exception):
    """Base class of every error interceptor raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a ruleset, located as precisely as we can.

    >>> str(Problem("bad number 'abc'", file="numbers/deny.txt", line=3, rule_id="num.deny"))
    "numbers/deny.txt:3: rule 'num.deny': bad number 'abc'"
    """

    message: str
    file: str = ""
    line: int = 0
    rule_id: str = ""
    field: str = ""

    def __str__(self) -> str:
        where = self.file
        if where and self.line:
            where = f"{where}:{self.line}"
        parts = [where] if where else []
        if self.rule_id:
            parts.append(f"rule {self.rule_id!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        parts.append(self.message)
        return ": ".join(parts)


@dataclass
class RuleSetError(InterceptorError):
    """A ruleset was refused. ``problems`` lists every problem found (at least one)."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"ruleset refused: {len(self.problems)} problem(s)"
        shown = "\n".join(f"  {p}" for p in self.problems[:50])
        more = f"\n  ... and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        return f"{head}\n{shown}{more}"

    @classmethod
    def one(cls, message: str, **where: str | int) -> RuleSetError:
        return cls([Problem(message, **where)])  # type: ignore[arg-type]


class EventError(InterceptorError, ValueError):
    """An event field is empty, oversized or malformed.

    >>> str(EventError("sender", "is empty"))
    'sender: is empty'
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class StoreError(InterceptorError):
    """The Redis rule store could not complete an operation; nothing was half-applied."""


class VersionNotFound(StoreError):
    """A ruleset version that was asked for is not in the store."""
