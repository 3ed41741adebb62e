"""Keyword rules: single-keyword lists and all-of / any-of / none-of combinations.

Every term of every keyword rule is normalized once at compile time with the
same :class:`engine.normalize.Normalizer` the messages go through, de-duplicated
and compiled into one :class:`engine.kwscan.KeywordScanner`. A message is
scanned once; rules are then evaluated only if one of their positive terms
occurred, so 10^5 rules cost nothing for a message that hits none of them. For a
batch, one kernel call (``engine.keyword_rules``) evaluates every message's rules.

A matching rule reports one :class:`Match` whose span is its first positive
term's occurrence mapped back to the original (disguised) text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.context import EventContext
from engine.keyword_rules import RuleTables, fired_rules
from engine.keyword_rules import warm as warm_rules
from engine.kwscan import KeywordScanner
from engine.matchers import SMALL_BATCH_EVENTS, CompileInput, MatcherSpec, register_matcher
from engine.normalize import Normalizer
from engine.textmemo import PreparedText
from engine.types import Match
from rules.errors import Problem, RuleSetError
from rules.model import KeywordComboRule, KeywordListRule, RuleMeta

Hits = dict[int, tuple[int, int]]  # a keyword scan: term id -> its first span
Fired = list[tuple[int, int, int]]  # the rules a text fires: (rule index, start, end)
_NONE_FIRED: Fired = []  # what a text with no rule fired gets (shared: nobody writes to it)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """One keyword rule over term ids."""

    meta: RuleMeta
    all_of: tuple[int, ...]
    any_of: tuple[int, ...]
    none_of: tuple[int, ...]
    min_any: int
    is_list: bool  # a keyword list: any one term fires it
    positive: frozenset[int]  # all_of + any_of: a keyword list may hold 10^5 terms

    def fires(self, present: dict[int, tuple[int, int]]) -> bool:
        if self.is_list:
            return True  # only reached when one of its terms is present
        if any(t not in present for t in self.all_of):
            return False
        if self.any_of and sum(t in present for t in self.any_of) < self.min_any:
            return False
        return not any(t in present for t in self.none_of)

    def first_hit(self, present: dict[int, tuple[int, int]]) -> tuple[int, int, int]:
        # Walk the few terms present, not the rule's terms (a list may have 10^5).
        (start, end), term = min((span, t) for t, span in present.items() if t in self.positive)
        return term, start, end


class KeywordMatcher:
    """The compiled keyword stage of one snapshot (live or shadow)."""

    def __init__(self, rules: Sequence[KeywordListRule | KeywordComboRule],
                 normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        term_ids: dict[str, int] = {}
        problems: list[Problem] = []

        def ids(terms: Sequence[str], meta: RuleMeta,
                forms: dict[str, str] | None = None) -> tuple[int, ...]:
            """The terms' ids once normalized; ``forms`` (if given) gets each term's form."""
            out = []
            for term in terms:
                folded = normalizer.normalize_keyword(term)
                if forms is not None:
                    forms[term] = folded
                if not folded:
                    problems.append(Problem(f"keyword {term!r} is empty once normalized",
                                            file=meta.file, line=meta.line, rule_id=meta.id))
                    continue
                out.append(term_ids.setdefault(folded, len(term_ids)))
            return tuple(dict.fromkeys(out))

        self.rules: list[_Compiled] = []
        for rule in rules:
            if isinstance(rule, KeywordListRule):
                terms = ids(rule.terms, rule.meta)
                self.rules.append(_Compiled(rule.meta, (), terms, (), 1, True, frozenset(terms)))
            else:
                forms: dict[str, str] = {}
                all_of = ids(rule.all_of, rule.meta, forms)
                any_of = ids(rule.any_of, rule.meta, forms)
                none_of = ids(rule.none_of, rule.meta, forms)
                problems += _never_fires(rule, forms, any_of)
                self.rules.append(_Compiled(rule.meta, all_of, any_of, none_of, rule.min_any,
                                            False, frozenset(all_of + any_of)))
        if problems:
            raise RuleSetError(problems)
        self.terms: tuple[str, ...] = tuple(term_ids)
        self.term_lengths: tuple[int, ...] = tuple(map(len, self.terms))
        # Each rule's part of a Match, read once per match (rule_match).
        self._match_parts = [(c.meta.id, c.meta.kind, c.meta.category, c.meta.action,
                              c.meta.score) for c in self.rules]
        self.scanner = KeywordScanner.build(self.terms)
        triggers: list[list[int]] = [[] for _ in self.terms]
        for index, compiled in enumerate(self.rules):
            for term in (*compiled.all_of, *compiled.any_of):
                triggers[term].append(index)
        # Each rule once per term (a term in both all_of and any_of triggers it once).
        self.triggers: tuple[tuple[int, ...], ...] = tuple(tuple(dict.fromkeys(t))
                                                           for t in triggers)
        self.tables = RuleTables.build(self.term_lengths, self.triggers, [
            (r.all_of, r.any_of, r.none_of, r.min_any, r.is_list) for r in self.rules])

    def warm(self) -> None:
        self.scanner.scan("warm")
        self.scanner.scan_batch(["warm", "up"])
        warm_rules()

    def _fired(self, present: Hits) -> Fired:
        """``(rule index, start, end)`` of each rule ``present`` fires, in rule order, with
        its first hit (what ``engine.keyword_rules.fired_rules`` gives for a batch)."""
        # The span every candidate rule's first hit is, when that is the same for all.
        only: tuple[int, int] | None = None
        if len(present) == 1:  # the common case: its rules, in order, are its triggers
            ((term, only),) = present.items()
            candidates: Sequence[int] = self.triggers[term]
        else:
            shared = set(map(self.triggers.__getitem__, present))
            if len(shared) == 1:
                # Usual too (one big keyword list): every present term triggers the same
                # rules, so each is in every candidate's terms and the rules' first hit
                # is the earliest present span (what first_hit finds).
                (candidates,) = shared
                only = min(present.values())
            else:
                candidates = sorted({r for t in present for r in self.triggers[t]})
        fired = []
        for index in candidates:
            rule = self.rules[index]
            if rule.fires(present):
                start, end = only if only is not None else rule.first_hit(present)[1:]
                fired.append((index, start, end))
        return fired

    def _matches(self, ctx: EventContext, fired: Iterable[tuple[int, int, int]]
                 ) -> tuple[Match, ...]:
        """The matches of rules fired in ``ctx``'s text, their spans (in the normalized
        text) mapped to the original text. They depend on the text alone (its rules
        fired, its offset map, its original characters), so every event with this text
        shares them, through its PreparedText."""
        found = []
        for index, start, end in fired:
            o_start, o_end = ctx.original_span(start, end)
            found.append(self.rule_match(index, ctx.text, o_start, o_end))
        return tuple(found)

    def rule_match(self, index: int, text: str, start: int, end: int) -> Match:
        """The match of rule ``index`` whose first hit is ``text[start:end]`` (the
        original text and offsets)."""
        rule_id, kind, category, action, score = self._match_parts[index]
        return Match(rule_id, kind, category, "text", text[start:end], action, score, start,
                     end)

    def fired_in_encoded(self, buf: npt.NDArray[np.uint32], starts: npt.NDArray[np.int64],
                         keep: npt.NDArray[np.bool_]) -> tuple[list[int], ...]:
        """``(message, rule, start, end)`` lists of every rule that fires in the messages
        of a batch of normalized texts (``encode_batch``'s form) that ``keep`` selects,
        sorted by message then rule (the SMS lane's form of :meth:`match_batch`)."""
        if not self.terms or not keep.any():
            return [], [], [], []
        if keep.mean() >= 0.9:  # nearly all: scan the batch, drop the others' rows
            msg, term, end = self.scanner.scan_encoded(buf, starts)
            if not keep.all():
                rows = keep[msg]
                msg, term, end = msg[rows], term[rows], end[rows]
        else:  # scan only the kept messages, packed into a buffer of their own
            kept = np.flatnonzero(keep)
            lengths = np.diff(starts)
            packed_starts = np.zeros(len(kept) + 1, dtype=np.int64)
            np.cumsum(lengths[kept], out=packed_starts[1:])
            msg, term, end = self.scanner.scan_encoded(buf[np.repeat(keep, lengths)],
                                                       packed_starts)
            msg = kept.astype(np.int32)[msg]
        return tuple(column.tolist() for column in fired_rules(msg, term, end, self.tables))

    def _present(self, hits: Iterable[tuple[int, int]]) -> dict[int, tuple[int, int]]:
        """Each term's first (earliest-ending) occurrence as a span; hits sorted by end."""
        lengths = self.term_lengths
        present: dict[int, tuple[int, int]] = {}
        for term, end in hits:
            if term not in present:
                present[term] = (end - lengths[term], end)
        return present

    def match_batch(self, contexts: Sequence[EventContext], shadow: bool) -> None:
        if not self.terms:
            return
        # A text this matcher decided before (a repeat, engine.textmemo) has its matches
        # in the text's PreparedText; the others are scanned once per distinct normalized
        # text. A snapshot has at most one live and one shadow keyword matcher: ``shadow``
        # says which of the two slots is this matcher's.
        if len(contexts) == 1:
            self._match_one(contexts[0], shadow)
            return
        pending: dict[str, list[EventContext]] = {}
        for ctx in contexts:
            prepared = ctx.prepared
            if prepared is None:
                continue  # no text
            known = _kept(prepared, shadow)
            if known is None:
                text = prepared.normalized.text
                if not text:
                    continue
                if text in pending:
                    pending[text].append(ctx)
                else:
                    pending[text] = [ctx]
            elif known:
                (ctx.shadow_matches if shadow else ctx.matches).extend(known)
        if not pending:
            return
        for fired, waiting in zip(self._scan(pending), pending.values(), strict=True):
            for ctx in waiting:
                # Texts that normalize alike share the rules fired, not the matches: those
                # quote each event's own original text.
                self._report(ctx, fired, shadow)

    def _match_one(self, ctx: EventContext, shadow: bool) -> None:
        """:meth:`match_batch` for a single decision: no grouping of texts."""
        prepared = ctx.prepared
        if prepared is None:
            return  # no text
        known = _kept(prepared, shadow)
        if known is not None:
            (ctx.shadow_matches if shadow else ctx.matches).extend(known)
            return
        text = prepared.normalized.text
        if text:
            present = self._present(self.scanner.scan(text, prepared.code_points))
            self._report(ctx, self._fired(present) if present else _NONE_FIRED, shadow)

    def _report(self, ctx: EventContext, fired: Fired, shadow: bool) -> None:
        """Add ``ctx``'s matches, given the rules its text fires. The first event with the
        text computes them and keeps them in its PreparedText for the others."""
        prepared = ctx.prepared
        assert prepared is not None  # only contexts with text are scanned
        found = _kept(prepared, shadow)
        if found is None:
            found = self._matches(ctx, fired) if fired else ()
            if shadow:
                prepared.shadow_keyword_matches = found
            else:
                prepared.live_keyword_matches = found
        if found:
            (ctx.shadow_matches if shadow else ctx.matches).extend(found)

    def _scan(self, pending: dict[str, list[EventContext]]) -> list[Fired]:
        """The rules each pending text fires (``_fired``'s form), in order."""
        if len(pending) <= SMALL_BATCH_EVENTS:
            scans = [self._present(self.scanner.scan(text, _code_points(waiting[0])))
                     for text, waiting in pending.items()]
            return [self._fired(present) if present else _NONE_FIRED for present in scans]
        # One kernel call evaluates every message's rules: Python runs per rule fired.
        fired: list[Fired] = [_NONE_FIRED] * len(pending)  # shared, never written to
        msg, rule, start, end = fired_rules(*self.scanner.scan_batch(list(pending)),
                                            self.tables)
        last, rows = -1, _NONE_FIRED
        for m, r, s, e in zip(msg.tolist(), rule.tolist(), start.tolist(), end.tolist(),
                              strict=True):
            if m != last:  # rows are sorted by message
                last, rows = m, []
                fired[m] = rows
            rows.append((r, s, e))
        return fired


def _never_fires(rule: KeywordComboRule, forms: dict[str, str], any_of: tuple[int, ...]
                 ) -> list[Problem]:
    """Why a combination rule could never fire once its terms are normalized (the parser
    checks the terms as written: ``刷单`` and ``刷 单`` differ there, not here), if it
    could not. ``forms``: each of its terms normalized; ``any_of``: its any_of terms'
    ids, normalized and de-duplicated."""
    meta, problems = rule.meta, []
    if rule.any_of and len(any_of) < rule.min_any:
        problems.append(Problem(
            f"any_of holds {len(any_of)} distinct terms once normalized, fewer than min_any "
            f"{rule.min_any}: the rule could never fire", file=meta.file, line=meta.line,
            rule_id=meta.id, field="min_any"))
    required = {*rule.all_of, *rule.any_of}
    for term in rule.none_of:
        same = sorted(t for t in required if forms[t] and forms[t] == forms[term])
        if same:
            problems.append(Problem(
                f"none_of term {term!r} is the same as required {same} once normalized: "
                f"the rule could never fire", file=meta.file, line=meta.line,
                rule_id=meta.id, field="none_of"))
    return problems


def _kept(prepared: PreparedText, shadow: bool) -> tuple[Match, ...] | None:
    """The keyword matches ``prepared`` holds for the live or the shadow matcher, or None
    when that matcher has not decided its text yet."""
    return prepared.shadow_keyword_matches if shadow else prepared.live_keyword_matches


def _code_points(ctx: EventContext) -> npt.NDArray[np.uint32] | None:
    """The normalized text's code points when the one-event path kept them (so the scan
    does not encode the text again), else None."""
    return None if ctx.prepared is None else ctx.prepared.code_points


def _build(inp: CompileInput) -> KeywordMatcher | None:
    rules = [r for r in inp.rules if isinstance(r, KeywordListRule | KeywordComboRule)]
    if not rules:
        return None
    normalizer = inp.shared["normalizer"]
    assert isinstance(normalizer, Normalizer)
    return KeywordMatcher(rules, normalizer)


register_matcher(MatcherSpec("build keyword automata", ("keyword_list", "keyword"), _build,
                             order=30))
