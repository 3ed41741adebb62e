"""Number lists: exact entries, prefixes and ranges, for party numbers and numbers in text.

Precedence (documented in the README, tested in tests/test_precedence.py):

1. The most specific level that lists the number decides: an exact entry beats
   any prefix, a longer prefix beats a shorter one (a range is the set of
   prefixes that covers it, see ``rules.phone.range_to_prefixes``).
2. Within that level, ``allow`` beats everything; otherwise every rule listing
   the number at that level matches (a block and a score rule both report).
3. Only rules whose ``applies_to`` names the field are considered for it; a
   level with no rule for the field does not hide a less specific level that has.

All numbers of a batch go through one exact lookup and one longest-prefix
lookup per field in the numba index (:mod:`engine.numindex`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from engine.context import EventContext
from engine.matchers import SMALL_BATCH_EVENTS, CompileInput, MatcherSpec, register_matcher
from engine.numindex import NumberIndex
from engine.types import Match
from rules.model import NUMBER_FIELDS, NumberListRule, RuleMeta

Combo = tuple[int, ...]  # indexes of the rules that list one key at one level
#: Below this many keys a batch resolves prefixes in Python: a numba call costs a few µs
#: of dispatch, more than the handful of dict probes one number needs.
SMALL_BATCH = 8
_POW10 = tuple(10**i for i in range(20))  # canonical numbers have at most 18 digits
#: Prefix tables up to this size also get a dict copy for the small-batch path.
SMALL_PREFIX_TABLE = 100_000
_FIELD_CODES = {field: code for code, field in enumerate(NUMBER_FIELDS)}
_TEXT_CODE = _FIELD_CODES["text"]


class _ComboTable:
    """Distinct sets of rules, numbered; single-rule sets get the rule's own index."""

    def __init__(self, n_rules: int) -> None:
        self.combos: list[Combo] = [(i,) for i in range(n_rules)]
        self._ids: dict[Combo, int] = {c: i for i, c in enumerate(self.combos)}

    def id_of(self, combo: Combo) -> int:
        if combo not in self._ids:
            self._ids[combo] = len(self.combos)
            self.combos.append(combo)
        return self._ids[combo]


def _group(keys: npt.NDArray[np.int64], rule_ids: npt.NDArray[np.int64], table: _ComboTable
           ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Unique keys and, for each, the combo id of the rules listing it (vectorised)."""
    if keys.size == 0:
        return keys, np.empty(0, dtype=np.int32)
    if rule_ids[0] == rule_ids[-1]:  # one list: its keys are already sorted and unique
        return keys, rule_ids.astype(np.int32)
    # Rule ids ascend along the concatenation, so a stable sort by key orders by (key, rule).
    order = np.argsort(keys, kind="stable")
    k, r = keys[order], rule_ids[order]
    first = np.empty(k.size, dtype=bool)
    first[0] = True
    np.not_equal(k[1:], k[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    values = r[starts].astype(np.int32)
    sizes = np.diff(np.append(starts, k.size))
    for pos in np.flatnonzero(sizes > 1).tolist():  # keys on several lists: few
        s = int(starts[pos])
        combo = tuple(sorted(set(r[s : s + int(sizes[pos])].tolist())))
        values[pos] = table.id_of(combo)
    return k[starts], values


class NumberMatcher:
    """Compiled number lists of one snapshot (live or shadow)."""

    def __init__(self, rules: Sequence[NumberListRule]) -> None:
        self.metas: tuple[RuleMeta, ...] = tuple(r.meta for r in rules)
        self.applies: tuple[frozenset[str], ...] = tuple(frozenset(r.applies_to) for r in rules)
        self.combo_table = _ComboTable(len(rules))
        self.exact = self._build_exact(rules)
        self.prefix: dict[str, NumberIndex] = {}
        self.prefix_dict: dict[str, dict[int, int]] = {}
        for field in NUMBER_FIELDS:
            chosen = [(i, r) for i, r in enumerate(rules) if field in r.applies_to and len(
                r.prefixes)]
            pkeys = np.concatenate([r.prefixes for _, r in chosen]) if chosen else np.empty(
                0, np.int64)
            pids = np.repeat(np.array([i for i, _ in chosen], dtype=np.int64),
                             [len(r.prefixes) for _, r in chosen])
            puniq, pvalues = _group(pkeys, pids, self.combo_table)
            self.prefix[field] = NumberIndex.build(puniq, pvalues)
            if len(puniq) <= SMALL_PREFIX_TABLE:
                self.prefix_dict[field] = dict(zip(puniq.tolist(), pvalues.tolist(),
                                                   strict=True))
        self.prefix_lengths = sorted({len(str(k)) for d in self.prefix_dict.values() for k in d},
                                     reverse=True)

    def _build_exact(self, rules: Sequence[NumberListRule]) -> NumberIndex:
        """One index over every list's exact entries, valued by the combo of lists.

        Carrier rulesets have one huge list (10^7 reported numbers) beside small ones
        (official numbers, grey lists). The huge list is indexed as it is, sorted and
        unique already; only the small lists are grouped and merged into it, so a
        reload never holds several copies of the huge one (memory within 2x steady).
        """
        listing = [i for i, r in enumerate(rules) if len(r.exact)]
        if not listing:
            return NumberIndex.build(np.empty(0, np.int64), np.empty(0, np.int32))
        big = max(listing, key=lambda i: len(rules[i].exact))
        base = rules[big].exact
        base_values = np.full(len(base), big, dtype=np.int32)
        others = [i for i in listing if i != big]
        if not others:
            return NumberIndex.build(base, base_values)
        keys, values = _group(
            np.concatenate([rules[i].exact for i in others]),
            np.repeat(np.array(others, dtype=np.int64), [len(rules[i].exact) for i in others]),
            self.combo_table)
        at = np.minimum(np.searchsorted(base, keys), len(base) - 1)
        shared = base[at] == keys
        for pos, cid in zip(at[shared].tolist(), values[shared].tolist(), strict=True):
            combo = tuple(sorted({big, *self.combo_table.combos[cid]}))
            base_values[pos] = self.combo_table.id_of(combo)
        if shared.all():
            return NumberIndex.build(base, base_values)
        return NumberIndex.build_parts([(base, base_values), (keys[~shared], values[~shared])])

    @property
    def nbytes(self) -> int:
        return self.exact.nbytes + sum(p.nbytes for p in self.prefix.values())

    def warm(self) -> None:
        probe = np.array([8613800138000], dtype=np.int64)
        self.exact.lookup(probe)
        for index in self.prefix.values():
            index.lookup_longest_prefix(probe)

    def resolve(self, keys: Sequence[int] | npt.NDArray[np.int64],
                fields: Sequence[str]) -> list[Combo]:
        """For each (key, field): the rules that decide it, allow already applied."""
        if len(keys) < SMALL_BATCH:
            return [self._resolve_one(int(k), f) for k, f in zip(keys, fields, strict=True)]
        out: list[Combo] = [()] * len(fields)
        codes = np.array([_FIELD_CODES[f] for f in fields], dtype=np.int8)
        for pos, combo in self._hits(np.asarray(keys, dtype=np.int64), codes):
            out[pos] = combo
        return out

    def _hits(self, keys: npt.NDArray[np.int64], codes: npt.NDArray[np.int8]
              ) -> list[tuple[int, Combo]]:
        """The (position, combo) of every key some rule decides, in position order.

        ``codes[i]`` is the field of ``keys[i]`` (its index in ``NUMBER_FIELDS``). Numpy
        finds the few keys that hit, so Python runs per hit, not per key: an exact entry
        whose rules all skip the field leaves the key to the prefix tables, as in
        :meth:`_resolve_one`.
        """
        exact = self.exact.lookup(keys)
        need_prefix = exact < 0
        hits: dict[int, Combo] = {}
        for pos in np.flatnonzero(~need_prefix).tolist():
            combo = self._for_field(int(exact[pos]), NUMBER_FIELDS[codes[pos]])
            if combo:
                hits[pos] = combo
            else:
                need_prefix[pos] = True
        for code, field in enumerate(NUMBER_FIELDS):
            index = self.prefix[field]
            if not len(index):
                continue
            positions = np.flatnonzero(need_prefix & (codes == code))
            if not positions.size:
                continue
            if positions.size < SMALL_BATCH and field in self.prefix_dict:
                found = [self._longest_prefix_py(int(keys[p]), field) for p in positions]
            else:
                found = index.lookup_longest_prefix(keys[positions]).tolist()
            for pos, cid in zip(positions.tolist(), found, strict=True):
                if cid >= 0:
                    hits[pos] = self._with_allow_first(self.combo_table.combos[cid])
        return sorted(hits.items())

    def _resolve_one(self, key: int, field: str) -> Combo:
        """:meth:`resolve` for one key of a small batch: kernel calls that take and return
        ints, and the prefix table's dict copy where there is one (no arrays built)."""
        return self._resolve_found(key, field, self.exact.get(key))

    def _resolve_found(self, key: int, field: str, cid: int) -> Combo:
        """:meth:`_resolve_one` given ``key``'s exact-table value ``cid`` (-1: absent)."""
        combo = self._for_field(cid, field) if cid >= 0 else ()
        if combo:
            return combo
        table = self.prefix_dict.get(field)
        if table is not None:
            cid = self._longest_prefix_py(key, field) if table else -1
        else:  # a prefix table too large for a dict copy (and so not empty)
            query = np.array((key,), dtype=np.int64)
            cid = int(self.prefix[field].lookup_longest_prefix(query)[0])
        return self._with_allow_first(self.combo_table.combos[cid]) if cid >= 0 else ()

    def _longest_prefix_py(self, key: int, field: str) -> int:
        table, digits = self.prefix_dict[field], len(str(key))
        for length in self.prefix_lengths:
            if length <= digits:
                found = table.get(key // _POW10[digits - length], -1)
                if found >= 0:
                    return found
        return -1

    def _for_field(self, combo_id: int, field: str) -> Combo:
        combo = tuple(i for i in self.combo_table.combos[combo_id] if field in self.applies[i])
        return self._with_allow_first(combo)

    def _with_allow_first(self, combo: Combo) -> Combo:
        allowed = tuple(i for i in combo if self.metas[i].action == "allow")
        return allowed or combo

    def _report(self, ctx: EventContext, field: str, key: int, item: object, combo: Combo,
                shadow: bool) -> None:
        sink = ctx.shadow_matches if shadow else ctx.matches
        shown, start, end = f"+{key}", -1, -1
        if item is not None:
            shown, start, end = item.raw, item.start, item.end  # type: ignore[attr-defined]
        sink.extend(self.combo_matches(combo, field, shown, start, end))

    def combo_matches(self, combo: Combo, field: str, shown: str, start: int = -1,
                      end: int = -1) -> list[Match]:
        """The matches of ``combo``'s rules for a number in ``field``, shown as ``shown``."""
        return [Match(m.id, m.kind, m.category, field, shown, m.action, m.score, start, end)
                for m in map(self.metas.__getitem__, combo)]

    def party_hits(self, keys: list[int], codes: list[int]) -> list[tuple[int, Combo]]:
        """``(position, combo)`` of the party numbers ``keys`` some rule decides, in
        position order; ``codes[i]`` is ``keys[i]``'s field (its index in
        ``NUMBER_FIELDS``). The SMS lane's form of :meth:`match_batch` (no contexts)."""
        if not keys:
            return []
        return self._hits(np.array(keys, dtype=np.int64), np.array(codes, dtype=np.int8))

    def _match_one(self, ctx: EventContext, shadow: bool) -> None:
        """One event: each number resolved on its own (no lists of owners, keys, fields);
        an SMS's or a call's two parties with one exact-table call."""
        numbers = ctx.numbers
        found = (self.exact.get_pair(*numbers.values()) if len(numbers) == 2
                 else [self.exact.get(key) for key in numbers.values()])
        for (field, key), cid in zip(numbers.items(), found, strict=True):
            combo = self._resolve_found(key, field, cid)
            if combo:
                self._report(ctx, field, key, None, combo, shadow)
        for item in ctx.extracted:
            if getattr(item, "kind", "") == "phone":
                key = int(item.value)  # type: ignore[attr-defined]
                combo = self._resolve_one(key, "text")
                if combo:
                    self._report(ctx, "text", key, item, combo, shadow)

    def match_batch(self, contexts: Sequence[EventContext], shadow: bool) -> None:
        if len(contexts) <= SMALL_BATCH_EVENTS:
            for ctx in contexts:
                self._match_one(ctx, shadow)
            return
        # Column by column: every context's party numbers (each context's in its own
        # order), then the phone numbers found in texts (few contexts have any). Python
        # runs per key only in these comprehensions; per hit after that.
        keys = [key for ctx in contexts for key in ctx.numbers.values()]
        codes = [_FIELD_CODES[f] for ctx in contexts for f in ctx.numbers]
        owners = [i for i, ctx in enumerate(contexts) for _ in ctx.numbers]
        party = len(keys)
        items: list[object] = []
        for i, ctx in enumerate(contexts):
            for item in ctx.extracted:
                if getattr(item, "kind", "") == "phone":
                    keys.append(int(item.value))  # type: ignore[attr-defined]
                    owners.append(i)
                    items.append(item)
        if not keys:
            return
        codes += [_TEXT_CODE] * len(items)
        key_array = np.array(keys, dtype=np.int64)
        # Position order: a context's party numbers come before its texts' phones, as
        # in _match_one, so its matches are reported in the same order.
        for pos, combo in self._hits(key_array, np.array(codes, dtype=np.int8)):
            ctx = contexts[owners[pos]]
            if pos < party:
                self._report(ctx, NUMBER_FIELDS[codes[pos]], keys[pos], None, combo, shadow)
            else:
                self._report(ctx, "text", keys[pos], items[pos - party], combo, shadow)


def _build(inp: CompileInput) -> NumberMatcher | None:
    rules = [r for r in inp.rules if isinstance(r, NumberListRule)]
    return NumberMatcher(rules) if rules else None


register_matcher(MatcherSpec("build number index", ("number_list",), _build, order=10))
