"""Domain lists: hosts of URLs and bare domains found in SMS text, suffix-matched.

A listed domain covers its subdomains. As with numbers, the most specific
listed suffix decides (``safe.example.com`` on the allow list carves itself out
of a deny on ``example.com``), and within one level allow beats deny. An allow
here only clears that host: other hosts and signals in the same message still
count. Look-alike hosts (``1cbc-verify.t0p``, ``paypa1.com``) that match nothing
as written are also looked up in their de-confused readings (``icbc-verify.top``,
``paypal.com``; ``1`` may stand for ``i`` or ``l``).
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.context import EventContext
from engine.extract import deconfuse_readings
from engine.matchers import CompileInput, MatcherSpec, register_matcher
from engine.types import Match
from rules.domains import parent_domains
from rules.model import DomainListRule, RuleMeta

HOST_KINDS = frozenset({"url", "domain", "ip"})
MEMO_HOSTS = 65_536  # hosts whose rules a matcher remembers (~10 MB at most)


class DomainMatcher:
    """Compiled domain lists of one snapshot (live or shadow)."""

    def __init__(self, rules: Sequence[DomainListRule]) -> None:
        self.metas: tuple[RuleMeta, ...] = tuple(r.meta for r in rules)
        self.table: dict[str, tuple[int, ...]] = {}
        for i, rule in enumerate(rules):
            overlap = self.table.keys() & rule.domains if self.table else set()
            previous = {d: self.table[d] for d in overlap}  # listed by earlier rules: few
            self.table.update(dict.fromkeys(rule.domains, (i,)))  # bulk: 10^6 entries fast
            for domain, earlier in previous.items():
                ids = (*earlier, i)
                allowed = tuple(j for j in ids if self.metas[j].action == "allow")
                self.table[domain] = allowed or ids
        self._memo: dict[str, tuple[int, ...]] = {}

    def lookup(self, host: str) -> tuple[int, ...]:
        """Rules deciding ``host``: the most specific listed suffix, allow first."""
        for candidate in parent_domains(host):
            found = self.table.get(candidate)
            if found is not None:
                return found
        return ()

    def rules_for(self, host: str) -> tuple[int, ...]:
        """:meth:`lookup` of the host, else of its first look-alike reading that is
        listed. Memoized per matcher (hosts repeat: campaigns send one link thousands of
        times); the memo is dropped when full, so memory stays bounded."""
        found = self._memo.get(host)
        if found is None:
            found = self.lookup(host)
            for reading in () if found else deconfuse_readings(host):
                found = self.lookup(reading) if reading != host else ()
                if found:
                    break
            if len(self._memo) >= MEMO_HOSTS:
                self._memo = {}  # a new dict, not clear(): readers may hold the old one
            self._memo[host] = found
        return found

    def forget(self) -> None:
        """Drop the memo of :meth:`rules_for` (answers stay the same, only slower)."""
        self._memo = {}

    def warm(self) -> None:
        self.lookup("warm.example.com")

    def match_batch(self, contexts: Sequence[EventContext], shadow: bool) -> None:
        for ctx in contexts:
            if not ctx.extracted:
                continue  # most SMS: nothing extracted
            seen: set[str] = set()
            for item in ctx.extracted:
                if getattr(item, "kind", "") not in HOST_KINDS:
                    continue
                host: str = item.value  # type: ignore[attr-defined]
                if host in seen:
                    continue
                seen.add(host)
                rules = self.rules_for(host)
                sink = ctx.shadow_matches if shadow else ctx.matches
                for i in rules:
                    m = self.metas[i]
                    sink.append(Match(m.id, m.kind, m.category, "url", host, m.action,
                                      m.score, item.start, item.end))  # type: ignore[attr-defined]


def _build(inp: CompileInput) -> DomainMatcher | None:
    rules = [r for r in inp.rules if isinstance(r, DomainListRule)]
    return DomainMatcher(rules) if rules else None


register_matcher(MatcherSpec("build domain index", ("domain_list",), _build, order=20))
