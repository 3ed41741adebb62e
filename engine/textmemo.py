"""A bounded memo of prepared message texts: normalization, extraction, keyword matches.

SMS traffic repeats itself: a campaign (marketing, notices, and fraud above all)
sends one text to thousands of recipients. The benchmark corpora show it too:
the unmasked corpus has 7,770 distinct texts among its first 20,000, the load
generator's sample 2,744 among 4,096. A message's normalized text, its code
points and the items extracted from it depend only on the text and the snapshot
(its normalizer, its default country code), so each snapshot keeps them for the
texts it saw last and a repeat skips both steps, and the keyword stage as well
(its matches depend only on the text and the snapshot's keyword rules). Everything
else is decided afresh for every event: numbers, hosts, contacts, velocity and
scores.

The memo is bounded by the characters it holds (texts are at most 4,096
characters, so a count of entries alone would not bound memory); when full, the
oldest eighth of its entries is dropped. Reads take no lock; writes take one.
``interceptor serve --text-memo-chars`` sets the bound (0 turns the memo off).

>>> from engine.normalize import Normalized
>>> memo = TextMemo(max_chars=10)
>>> memo.put("hello", PreparedText(Normalized("hello", range(5)), None, ()))
>>> memo.get("hello").normalized.text, memo.get("bye")
('hello', None)
>>> memo.put("world!", PreparedText(Normalized("world!", range(6)), None, ()))
>>> memo.get("hello") is None, len(memo)   # 11 characters > 10: the oldest went
(True, 1)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from itertools import islice

import numpy as np
import numpy.typing as npt

from engine.extract import Extracted
from engine.normalize import Normalized
from engine.types import Match

__all__ = ["DEFAULT_MAX_CHARS", "PreparedText", "TextMemo"]

#: Characters of text a snapshot's memo holds: ~14 k texts of the corpora's ~70
#: characters. A held text costs ~40-60 bytes a character at most (its normalized
#: copy, code points and offset map), so this bounds the memo to ~60 MB.
DEFAULT_MAX_CHARS = 1_000_000


class PreparedText:
    """What the engine derives from a message's text before matching.

    A plain slotted class, not a ``@record``: the snapshot's keyword matchers add the
    keyword matches of the text on first use, the live one to ``live_keyword_matches``
    and the shadow one (dry-run rules) to ``shadow_keyword_matches``; None until then.
    """

    __slots__ = ("code_points", "extracted", "live_keyword_matches", "normalized",
                 "shadow_keyword_matches")

    def __init__(self, normalized: Normalized, code_points: npt.NDArray[np.uint32] | None,
                 extracted: tuple[Extracted, ...]) -> None:
        self.normalized = normalized
        self.code_points = code_points  # the normalized text's, when the fold made them
        self.extracted = extracted
        self.live_keyword_matches: tuple[Match, ...] | None = None
        self.shadow_keyword_matches: tuple[Match, ...] | None = None


class TextMemo:
    """Text -> :class:`PreparedText` for the texts seen last, at most ``max_chars`` of text."""

    def __init__(self, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.max_chars = max_chars
        self._entries: dict[str, PreparedText] = {}
        self._chars = 0
        self._write = threading.Lock()
        self.hits = 0  # counts for operators and benchmarks; a lost race only skews them
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def chars(self) -> int:
        """Characters of text held now (at most ``max_chars``)."""
        return self._chars

    def get(self, text: str) -> PreparedText | None:
        """The prepared form of ``text`` if it is held (and count a hit or a miss)."""
        found = self._entries.get(text)
        self.count(found is not None, found is None)
        return found

    def lookup(self) -> Callable[[str], PreparedText | None]:
        """``get`` for a batch's texts without the counting: the entries' own ``get``
        (callers then :meth:`count` once; per text that saves a call and two updates)."""
        return self._entries.get

    def count(self, hits: int, misses: int) -> None:
        self.hits += hits
        self.misses += misses

    def put(self, text: str, prepared: PreparedText) -> None:
        """Hold ``prepared`` for ``text``, dropping the oldest entries to stay in bounds."""
        with self._write:
            self._admit(text, prepared)

    def put_many(self, items: Iterable[tuple[str, PreparedText]]) -> None:
        """:meth:`put` for a batch's new texts, under one acquisition of the lock."""
        with self._write:
            for text, prepared in items:
                self._admit(text, prepared)

    def _admit(self, text: str, prepared: PreparedText) -> None:
        # With the write lock held.
        size, entries = len(text), self._entries
        if size > self.max_chars or text in entries:
            return
        while entries and self._chars + size > self.max_chars:
            for key in list(islice(entries, max(1, len(entries) // 8))):
                del entries[key]
                self._chars -= len(key)
        entries[text] = prepared
        self._chars += size

    def resize(self, max_chars: int) -> None:
        """Hold at most ``max_chars`` of text from now on (0: hold nothing); a memo over the
        new bound is emptied."""
        with self._write:
            self.max_chars = max_chars
            if self._chars > max_chars:
                self._entries = {}
                self._chars = 0

    def clear(self) -> None:
        """Forget every entry and reset the counts."""
        with self._write:
            self._entries = {}
            self._chars = 0
            self.hits = self.misses = 0
