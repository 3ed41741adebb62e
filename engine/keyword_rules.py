"""Keyword rules evaluated in numba, for a batch's scan (``engine.keywords``).

``KeywordMatcher`` evaluates a message's rules in Python when it decides one or a
few events; for a batch, :func:`fired_rules` takes the scanner's rows for every
message and evaluates every rule a present term triggers in one kernel call, so
Python runs only per rule that fires (for many messages, none). Both give the same
rules, in rule order, each with its first hit: the earliest of its positive terms'
first (earliest-ending) occurrences, ties to the lower term id.

>>> tables = RuleTables.build([1, 2], [[0], [0]], [((), (0, 1), (), 1, True)])
>>> msg, term, end = (np.array(a, dtype=np.int32) for a in ([0, 0, 1], [1, 0, 1], [2, 3, 4]))
>>> [a.tolist() for a in fired_rules(msg, term, end, tables)]
[[0, 1], [0, 0], [0, 2], [2, 4]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]

#: One rule: all_of, any_of, none_of (term ids), min_any, whether it is a keyword list.
RuleTerms = tuple[Sequence[int], Sequence[int], Sequence[int], int, bool]


class RuleTables(NamedTuple):
    """The rules and their terms as flat arrays (CSR: ``x_starts[i]:x_starts[i + 1]``)."""

    term_lengths: Int32Array
    trigger_starts: Int64Array  # term -> the rules its occurrence triggers (all_of + any_of)
    triggers: Int32Array
    all_starts: Int64Array
    all_of: Int32Array
    any_starts: Int64Array
    any_of: Int32Array
    none_starts: Int64Array
    none_of: Int32Array
    min_any: Int32Array
    is_list: npt.NDArray[np.bool_]

    @classmethod
    def build(cls, term_lengths: Sequence[int], triggers: Sequence[Sequence[int]],
              rules: Sequence[RuleTerms]) -> RuleTables:
        """``triggers[t]``: the rules whose all_of or any_of holds term ``t``, each once."""
        return cls(np.array(term_lengths, dtype=np.int32), *_csr(triggers),
                   *_csr([r[0] for r in rules]), *_csr([r[1] for r in rules]),
                   *_csr([r[2] for r in rules]),
                   np.array([r[3] for r in rules], dtype=np.int32),
                   np.array([r[4] for r in rules], dtype=np.bool_))


def _csr(rows: Sequence[Sequence[int]]) -> tuple[Int64Array, Int32Array]:
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(r) for r in rows])
    flat = np.fromiter((x for r in rows for x in r), dtype=np.int32, count=int(starts[-1]))
    return starts, flat


def fired_rules(msg: Int32Array, term: Int32Array, end: Int32Array, tables: RuleTables
                ) -> tuple[Int32Array, Int32Array, Int32Array, Int32Array]:
    """``(message, rule, start, end)`` of every rule that fires, sorted by message then
    rule; ``start, end`` is the rule's first hit in the normalized text. The input is
    ``KeywordScanner.scan_batch``'s rows, sorted by (message, end, term).

    A call costs ~5 µs before any row (its scratch arrays, one slot per term and per
    rule: 40 k terms, 20 rules; ~9 µs at 100 k terms and 10 k rules), so batches of
    up to ``SMALL_BATCH_EVENTS`` texts take the Python path instead."""
    return _fired(msg, term, end, *tables)


@njit(cache=True, nogil=True)
def _fired(msg: Int32Array, term: Int32Array, end: Int32Array, term_lengths: Int32Array,
           trigger_starts: Int64Array, triggers: Int32Array, all_starts: Int64Array,
           all_of: Int32Array, any_starts: Int64Array, any_of: Int32Array,
           none_starts: Int64Array, none_of: Int32Array, min_any: Int32Array,
           is_list: npt.NDArray[np.bool_]
           ) -> tuple[Int32Array, Int32Array, Int32Array, Int32Array]:
    n_rules = len(min_any)
    n = len(msg)
    # Stamps mark what belongs to the message at hand, with no clearing per message:
    # message + 1 in the main pass, and past every one of those in the sizing pass.
    term_stamp = np.zeros(len(term_lengths), dtype=np.int32)
    sizing = np.int32(msg[n - 1] + 2) if n else np.int32(1)
    # Output rows: at most one per rule a message's distinct terms trigger (and at most
    # one per rule). Counting every occurrence instead sized ~1 GiB for a 4,096-character
    # run of one term that 200 rules share.
    capacity = 0
    i = 0
    while i < n:
        m = msg[i]
        mark = sizing + m
        triggered = 0
        while i < n and msg[i] == m:
            t = term[i]
            i += 1
            if term_stamp[t] != mark:
                term_stamp[t] = mark
                triggered += trigger_starts[t + 1] - trigger_starts[t]
        capacity += min(triggered, n_rules)
    out_msg = np.empty(capacity, dtype=np.int32)
    out_rule = np.empty(capacity, dtype=np.int32)
    out_start = np.empty(capacity, dtype=np.int32)
    out_end = np.empty(capacity, dtype=np.int32)
    rule_stamp = np.zeros(n_rules, dtype=np.int32)
    best_start = np.zeros(n_rules, dtype=np.int32)
    best_end = np.zeros(n_rules, dtype=np.int32)
    best_term = np.zeros(n_rules, dtype=np.int32)
    candidates = np.empty(n_rules, dtype=np.int32)
    rows = 0
    i = 0
    while i < n:
        m = msg[i]
        mark = m + 1
        n_candidates = 0
        while i < n and msg[i] == m:
            t = term[i]
            e = end[i]
            i += 1
            if term_stamp[t] == mark:
                continue  # only a term's first (earliest-ending) occurrence counts
            term_stamp[t] = mark
            s = e - term_lengths[t]
            for k in range(trigger_starts[t], trigger_starts[t + 1]):
                r = triggers[k]
                if rule_stamp[r] != mark:
                    rule_stamp[r] = mark
                    candidates[n_candidates] = r
                    n_candidates += 1
                    best_start[r], best_end[r], best_term[r] = s, e, t
                elif (s, e, t) < (best_start[r], best_end[r], best_term[r]):
                    best_start[r], best_end[r], best_term[r] = s, e, t
        candidates[:n_candidates].sort()
        for c in range(n_candidates):
            r = candidates[c]
            if not is_list[r]:
                fires = True
                for k in range(all_starts[r], all_starts[r + 1]):
                    if term_stamp[all_of[k]] != mark:
                        fires = False
                        break
                if fires and any_starts[r + 1] > any_starts[r]:
                    count = 0
                    for k in range(any_starts[r], any_starts[r + 1]):
                        count += term_stamp[any_of[k]] == mark
                    fires = count >= min_any[r]
                if fires:
                    for k in range(none_starts[r], none_starts[r + 1]):
                        if term_stamp[none_of[k]] == mark:
                            fires = False
                            break
                if not fires:
                    continue
            out_msg[rows] = m
            out_rule[rows] = r
            out_start[rows] = best_start[r]
            out_end[rows] = best_end[r]
            rows += 1
    return out_msg[:rows], out_rule[:rows], out_start[:rows], out_end[:rows]


def warm() -> None:
    """Compile (or load from cache) the kernel on tiny input."""
    tables = RuleTables.build([1], [[0]], [((0,), (), (), 0, False)])
    one = np.zeros(1, dtype=np.int32)
    fired_rules(one, one, one + 1, tables)
