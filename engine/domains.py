"""Domain lists: hosts of URLs and bare domains found in SMS text, suffix-matched.

A listed domain covers its subdomains. As with numbers, the most specific
listed suffix decides (``safe.example.com`` on the allow list carves itself out
of a deny on ``example.com``), and within one level allow beats deny. An allow
here only clears that host: other hosts and signals in the same message still
count. Look-alike hosts (``1cbc-verify.t0p``) are also looked up in their
de-confused form (``icbc-verify.top``).
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.context import EventContext
from engine.extract import deconfuse_domain
from engine.matchers import CompileInput, MatcherSpec, register_matcher
from engine.types import Match
from rules.domains import parent_domains
from rules.model import DomainListRule, RuleMeta

HOST_KINDS = frozenset({"url", "domain", "ip"})


class DomainMatcher:
    """Compiled domain lists of one snapshot (live or shadow)."""

    def __init__(self, rules: Sequence[DomainListRule]) -> None:
        self.metas: tuple[RuleMeta, ...] = tuple(r.meta for r in rules)
        listed: dict[str, list[int]] = {}
        for i, rule in enumerate(rules):
            for domain in rule.domains:
                listed.setdefault(domain, []).append(i)
        self.table: dict[str, tuple[int, ...]] = {}
        for domain, ids in listed.items():
            allowed = tuple(i for i in ids if self.metas[i].action == "allow")
            self.table[domain] = allowed or tuple(ids)

    def lookup(self, host: str) -> tuple[int, ...]:
        """Rules deciding ``host``: the most specific listed suffix, allow first."""
        for candidate in parent_domains(host):
            found = self.table.get(candidate)
            if found is not None:
                return found
        return ()

    def warm(self) -> None:
        self.lookup("warm.example.com")

    def match_batch(self, contexts: Sequence[EventContext], shadow: bool) -> None:
        for ctx in contexts:
            seen: set[str] = set()
            for item in ctx.extracted:
                if getattr(item, "kind", "") not in HOST_KINDS:
                    continue
                host: str = item.value  # type: ignore[attr-defined]
                if host in seen:
                    continue
                seen.add(host)
                rules = self.lookup(host)
                if not rules:
                    plain = deconfuse_domain(host)
                    rules = self.lookup(plain) if plain != host else ()
                sink = ctx.shadow_matches if shadow else ctx.matches
                for i in rules:
                    m = self.metas[i]
                    sink.append(Match(m.id, m.kind, m.category, "url", host, m.action,
                                      m.score, item.start, item.end))  # type: ignore[attr-defined]


def _build(inp: CompileInput) -> DomainMatcher | None:
    rules = [r for r in inp.rules if isinstance(r, DomainListRule)]
    return DomainMatcher(rules) if rules else None


register_matcher(MatcherSpec("build domain index", ("domain_list",), _build, order=20))
