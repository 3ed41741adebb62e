"""Contact diversion: an SMS that steers the recipient to a phone number, QQ,
WeChat or Telegram account outside the carrier's view.

The rule fires once per message for the first contact of a kind it watches.
Senders on an allow list never get here (allow decides the whole event), and a
phone number in the text that is itself on an allow list (``call 95588``) is
not a diversion.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.context import EventContext
from engine.matchers import CompileInput, MatcherSpec, register_matcher
from engine.types import Match
from rules.model import ContactRule


class ContactMatcher:
    """Compiled contact-diversion rules of one snapshot."""

    def __init__(self, rules: Sequence[ContactRule]) -> None:
        self.rules = tuple(rules)

    def warm(self) -> None:
        """Nothing to compile."""

    def match_batch(self, contexts: Sequence[EventContext], shadow: bool) -> None:
        for ctx in contexts:
            if ctx.kind != "message" or not ctx.extracted:
                continue
            allowed_spans = {(m.start, m.end) for m in ctx.matches
                             if m.field == "text" and m.action == "allow"}
            for rule in self.rules:
                for item in ctx.extracted:
                    kind = getattr(item, "kind", "")
                    span = (getattr(item, "start", -1), getattr(item, "end", -1))
                    if kind in rule.contact_kinds and span not in allowed_spans:
                        m = rule.meta
                        sink = ctx.shadow_matches if shadow else ctx.matches
                        sink.append(Match(m.id, m.kind, m.category, "text",
                                          f"{kind}:{getattr(item, 'value', '')}", m.action,
                                          m.score, span[0], span[1]))
                        break


def _build(inp: CompileInput) -> ContactMatcher | None:
    rules = [r for r in inp.rules if isinstance(r, ContactRule)]
    return ContactMatcher(rules) if rules else None


register_matcher(MatcherSpec("build contact rules", ("contact",), _build, order=40))
