"""Evasion-resistant text normalization for SMS keyword matching.

Fraudsters write around keyword lists (``刷 单``, ``验#证#码``, ``ＶＸ``, ``貸歀``,
zero-width characters, ``①③⑧``...). Every message is folded into one canonical
form before keyword matching, and every rule keyword is folded the same way at
compile time (:meth:`Normalizer.normalize_keyword`), so a keyword written once
catches its disguised forms. The pipeline, in order (:attr:`NormalizeSettings.STEP_NAMES`):

1. ``nfkc``            per-character NFKC: full-width -> ASCII, ``①`` -> ``1``, ``ﬁ`` -> ``fi``
2. ``casefold``        ``ＶＸ`` -> ``vx``
3. ``t2s``             traditional -> simplified with OpenCC (phrase-aware when the text
                       holds a character OpenCC changes)
4. ``strip_invisible`` zero-width, format, control, combining and filler characters removed
5. ``separators``      separators inserted between characters removed (see below)
6. ``collapse_repeats`` runs of 3+ identical characters (not digits) -> one character
7. ``digit_variants``  ``❶ ⓵ ¹ ٣`` -> ASCII digits; runs of 3+ Chinese numerals
                       (``一三八``, ``壹贰叁``, ``二〇二四``) -> ASCII digits
8. ``lookalikes``      administrator look-alike map (``歀`` -> ``款``, ``薇信`` -> ``微信``)

The per-character parts of steps 1-4, 7 and 8 are fused into one ``str.translate``
table built once per settings; the context-dependent parts (OpenCC phrases,
separators, repeats, Chinese numeral runs, multi-character look-alikes) run only
when a precompiled regex says the text needs them. ``docs/normalization.md``
documents every rule and its trade-offs.

Separators are removed in two situations only, so that ordinary punctuation never
glues unrelated words together:

* *noise symbols* (``* # _ ^ + = @ & $ % \\ | ` `` and emoji/pictographs), 1-3 of
  them possibly with spaces, **between two CJK ideographs**: ``快来刷*单`` -> ``快来刷单``;
* any separator run (1-3 non-word characters, not a line break) inside a run of
  **isolated single characters** (each CJK ideograph or letter stands alone between
  separators): ``验 证 码`` -> ``验证码``, while ``我要刷卡，单位报销`` is untouched.

Matches are reported against the original text: :class:`Normalized` keeps, for
every normalized character, the span of original text it came from.

>>> n = Normalizer(NormalizeSettings())
>>> r = n.normalize("加 薇 信，代歀 验#证#码")
>>> r.text
'加微信,贷款 验证码'
>>> start = r.text.index("验证码")
>>> r.span_in_original(start, start + 3)
(9, 14)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

import opencc

from engine.t2s import load as load_t2s
from engine.types import record
from rules.errors import Problem, RuleSetError

# ---------------------------------------------------------------- settings / results


@dataclass(frozen=True)
class NormalizeSettings:
    """Which normalization steps run. Every step is on by default.

    >>> NormalizeSettings(t2s=False).t2s
    False
    >>> NormalizeSettings.STEP_NAMES[0]
    'nfkc'
    """

    nfkc: bool = True  # per-character NFKC + width folding
    casefold: bool = True
    t2s: bool = True  # traditional -> simplified via OpenCC
    strip_invisible: bool = True  # zero-width / invisible / format characters
    separators: bool = True  # separators inserted between characters
    collapse_repeats: bool = True
    digit_variants: bool = True  # circled / superscript / Chinese numerals -> ASCII digits
    lookalikes: bool = True  # the look-alike map
    STEP_NAMES: ClassVar[tuple[str, ...]] = (
        "nfkc",
        "casefold",
        "t2s",
        "strip_invisible",
        "separators",
        "collapse_repeats",
        "digit_variants",
        "lookalikes",
    )


assert tuple(f.name for f in fields(NormalizeSettings)) == NormalizeSettings.STEP_NAMES


@record
class Normalized:
    """A normalized text and where each of its characters came from.

    ``origin[i]`` is the index in the original text of normalized character ``i``;
    ``ends[i]`` (when given) is the end of the original run it stands for (a collapsed
    ``刷刷刷`` or a look-alike ``扌是`` covers several original characters).

    >>> r = Normalized("ab", range(2))
    >>> r.span_in_original(0, 2)
    (0, 2)
    """

    text: str
    origin: Sequence[int]
    ends: Sequence[int] = ()
    original_length: int = -1

    def span_in_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalized span ``[start, end)`` to a span of the original text."""
        if not 0 <= start <= end <= len(self.text):
            raise IndexError(f"span [{start}, {end}) outside normalized text of {len(self.text)}")
        if start == end:
            if start < len(self.origin):
                return self.origin[start], self.origin[start]
            tail = self.original_length if self.original_length >= 0 else self._end_of(end - 1)
            return tail, tail
        return self.origin[start], self._end_of(end - 1)

    def _end_of(self, i: int) -> int:
        if i < 0:
            return 0
        return self.ends[i] if self.ends else self.origin[i] + 1

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """:meth:`span_in_original`, at once for most text: normalizing kept every
        offset (``origin`` a ``range``, no ``ends``)."""
        if type(self.origin) is range and not self.ends and end <= len(self.text):
            return start, end
        return self.span_in_original(start, end)


@dataclass(frozen=True)
class FoldTables:
    """What a :class:`Normalizer` does, as data (see :meth:`Normalizer.fold_tables`).

    ``one_to_one`` maps code points that fold to exactly one other code point;
    ``special`` those whose fold changes the length (``⑩`` -> ``10``, an invisible
    character -> nothing), applied with offsets before the context rules;
    ``traditional`` those OpenCC converts (phrase-aware, so the text needs OpenCC);
    ``multi_keys`` are the multi-character look-alikes and ``multi_values`` what each
    becomes (applied last, leftmost and then longest first); the flags say which context
    rules (separators, repeats, Chinese numeral runs) are on.
    """

    one_to_one: Mapping[int, int]
    special: Mapping[int, str]
    traditional: frozenset[int]
    multi_keys: tuple[str, ...]
    multi_values: tuple[str, ...]
    separators: bool
    collapse_repeats: bool
    cn_digit_runs: bool


# ---------------------------------------------------------------- character tables

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_SCAN_LIMIT = 0x30000  # BMP + SMP + SIP: every NFKC / case / CJK variant SMS text uses
# Characters that render as nothing but are letters or symbols (so not Cf/Mn).
_FILLERS = "\u115f\u1160\u3164\uffa0\u2800\u180e"
_KEEP_CONTROLS = frozenset("\t\n\r")

#: Built-in look-alike map: rare variant characters and homophone spellings used to
#: dodge keyword lists. Deliberately small and unambiguous; administrators extend it
#: per ruleset (``parse_lookalike_file``). Ambiguous characters (``薇`` is a common
#: name character, ``徽`` is in ``安徽``) are only mapped inside a two-character form.
DEFAULT_LOOKALIKES: Mapping[str, str] = MappingProxyType(
    {
        "歀": "款",
        "欵": "款",
        "茺": "充",
        "菿": "到",
        "嗳": "爱",
        "薇信": "微信",
        "徽信": "微信",
        "威芯": "微信",
        "微芯": "微信",
        "v信": "微信",
        "扌是": "提",
        "耳只": "职",
        "亻言": "信",
        "代款": "贷款",
    }
)

_CN_DIGITS = {
    "零": "0", "〇": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
    "七": "7", "八": "8", "九": "9", "幺": "1", "壹": "1", "贰": "2", "貳": "2", "叁": "3",
    "參": "3", "参": "3", "肆": "4", "伍": "5", "陆": "6", "陸": "6", "柒": "7", "捌": "8",
    "玖": "9",
}  # fmt: skip
_CN_DIGIT_CLASS = "".join(_CN_DIGITS)
_CN_DIGIT_TABLE = str.maketrans(_CN_DIGITS)


@lru_cache(maxsize=1)
def _nfkc_map() -> dict[str, str]:
    """Per-character NFKC changes. Multi-character results made only of punctuation
    (``…`` -> ``...``) keep one character: length does not matter for matching and
    keeping them 1:1 keeps messages on the fast path."""
    out: dict[str, str] = {}
    for cp in range(_SCAN_LIMIT):
        c = chr(cp)
        if unicodedata.is_normalized("NFKC", c):
            continue
        n = unicodedata.normalize("NFKC", c)
        if len(n) > 1 and not any(x.isalnum() for x in n):
            n = n.strip()[:1] or " "
        out[c] = n
    return out


@lru_cache(maxsize=1)
def _casefold_map() -> dict[str, str]:
    return {
        chr(cp): chr(cp).casefold() for cp in range(_SCAN_LIMIT) if chr(cp).casefold() != chr(cp)
    }


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _t2s_char_map() -> dict[str, str]:
    """Every CJK character OpenCC's t2s changes on its own, asked of OpenCC itself
    (one newline-separated conversion: phrases cannot span the newlines)."""
    chars = [chr(cp) for a, b in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00),
                                  (0x20000, 0x2FA20)) for cp in range(a, b)]  # fmt: skip
    converted = _converter().convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # an OpenCC release that maps newlines: no table
        return {}
    return {c: o for c, o in zip(chars, converted, strict=True) if c != o}


@lru_cache(maxsize=1)
def _invisible() -> frozenset[str]:
    out = set(_FILLERS)
    for cp in list(range(_SCAN_LIMIT)) + list(range(0xE0000, 0xE01F0)):
        c = chr(cp)
        cat = unicodedata.category(c)
        if cat in ("Cf", "Mn", "Me") or (cat == "Cc" and c not in _KEEP_CONTROLS):
            out.add(c)
    return frozenset(out)


@lru_cache(maxsize=1)
def _digit_map() -> dict[str, str]:
    """Non-ASCII digits (``❶ ⓵ ¹ ٣ 𝟏``) and enclosed numbers (``⑩ ⒇``) -> ASCII."""
    out: dict[str, str] = {}
    for cp in range(0x80, _SCAN_LIMIT):
        c = chr(cp)
        d = unicodedata.digit(c, None)
        if d is not None:
            out[c] = str(d)
        elif unicodedata.category(c) == "No" and "NUMBER" in unicodedata.name(c, ""):
            v = unicodedata.numeric(c, -1.0)
            if v >= 0 and v == int(v):
                out[c] = str(int(v))
    return out


def _char_class(chars: Sequence[str] | frozenset[str] | set[str]) -> str:
    """A regex character class body for ``chars``, with consecutive code points as ranges."""
    cps = sorted({ord(c) for c in chars})
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(parts)


# ---------------------------------------------------------------- structural patterns

_WORD = r"[^\W_]"  # letter, digit or ideograph
_TOKEN = r"[^\W\d_]"  # letter or ideograph (digits never join: 3.5 元 stays 3.5)
_SEP = r"(?:[^\w\n\r]|_)"
# Noise symbols nobody writes between two Chinese characters; ordinary punctuation
# (，。、-/~ brackets quotes) and bullets (★●■) are not in this set.
_NOISE = r"*#_^+=@&$%\\|`\u2764\u2665\u2661\U0001F000-\U0001FAFF"
_STRONG_SEP_RE = re.compile(rf"(?<=[{_CJK}]) ?[{_NOISE}][{_NOISE} ]{{0,2}}(?=[{_CJK}])")
_ISOLATED_RUN_RE = re.compile(rf"(?<!{_WORD}){_TOKEN}(?:{_SEP}{{1,3}}{_TOKEN})+(?!{_WORD})")
_SEP_CHAR_RE = re.compile(_SEP)
_REPEAT_RE = re.compile(rf"([{_CJK}])\1{{2,}}")
_CN_NUMBER_RE = re.compile(rf"[{_CN_DIGIT_CLASS}]{{3,}}")
# Sentence punctuation: a run of isolated characters separated by it is merged only
# when it has 3+ characters all separated the same way (全.产.权, 爆!爆!爆, 代/开/发/票),
# never for two characters (片,请 / 奖,中 / 元/月 are ordinary text).
_SENTENCE_PUNCT = frozenset(
    ",.!?;:'\"()[]<>/\u3001\u3002\u201c\u201d\u2018\u2019\u3010\u3011"
    "\u300a\u300b\u300c\u300d\u300e\u300f\u3008\u3009"
)
# Enumeration commas never merge: 红、黄、蓝 is a list, not a disguise.
_ENUMERATION = frozenset(",\u3001")
_SEP_RUN_RE = re.compile(rf"{_SEP}+")
_NOISE_DETECTOR = re.compile(f"[{_NOISE}]")

_Edit = tuple[int, int, str]  # replace text[start:end] by the string


class Normalizer:
    """Folds SMS text and rule keywords into one canonical form.

    Build one per ruleset (tables are computed at construction, about 0.2 s the
    first time in a process, then cached) and share it between threads: it is
    immutable after ``__init__``.

    >>> Normalizer(NormalizeSettings()).normalize_keyword("驗 證 碼")
    '验证码'
    >>> Normalizer(NormalizeSettings(), {"菠菜": "博彩"}).normalize("菠菜").text
    '博彩'
    """

    def __init__(
        self, settings: NormalizeSettings, lookalikes: Mapping[str, str] = MappingProxyType({})
    ) -> None:
        self.settings = settings
        s = settings
        per_char: list[Callable[[str], str]] = []
        if s.nfkc:
            per_char.append(_mapper(_nfkc_map()))
        if s.casefold:
            per_char.append(_mapper(_casefold_map()))
        if s.t2s:
            per_char.append(_mapper(_t2s_char_map()))
        if s.strip_invisible:
            inv = _invisible()
            per_char.append(lambda t: "".join(c for c in t if c not in inv))
        if s.digit_variants:
            per_char.append(_mapper(_digit_map()))
        candidates: set[str] = set()
        for on, table in (
            (s.nfkc, _nfkc_map()), (s.casefold, _casefold_map()), (s.t2s, _t2s_char_map()),
            (s.digit_variants, _digit_map()),
        ):  # fmt: skip
            if on:
                candidates.update(table)
        if s.strip_invisible:
            candidates.update(_invisible())

        def fold(t: str) -> str:
            for f in per_char:
                t = f(t)
            return t

        # Look-alike keys and values are folded like text, so "V信" meets "ｖ信".
        single: dict[str, str] = {}
        multi: dict[str, str] = {}
        if s.lookalikes:
            merged = {**DEFAULT_LOOKALIKES, **lookalikes}
            for key, value in merged.items():
                k, v = fold(key), fold(value)
                if not k or not v:
                    raise ValueError(f"look-alike {key!r} -> {value!r} is empty after folding")
                if k != v:
                    (single if len(k) == 1 else multi)[k] = v
            per_char.append(_mapper(single))
            candidates.update(single)
            # Keys that the single-character folds already turn into their value
            # ("薇信" -> "微信" once a ruleset maps 薇 -> 微) are dropped: an identity
            # entry would only send every message holding it down the exact path.
            folded_multi = ((fold_single(k, single), fold_single(v, single))
                            for k, v in multi.items())
            multi = {k: v for k, v in folded_multi if k != v}
        composed = {c: fold(c) for c in candidates}
        changed = {c: o for c, o in composed.items() if o != c}
        # 1:1 changes go through a list-indexed str.translate (no hashing: ~3x faster
        # than a dict table); characters outside the BMP through a small dict.
        self._bmp_table: list[int] = list(range(0x10000))
        self._astral_table: dict[int, int] = {}
        for c, o in changed.items():
            if len(o) == 1:
                if ord(c) < 0x10000:
                    self._bmp_table[ord(c)] = ord(o)
                else:
                    self._astral_table[ord(c)] = ord(o)
        self._touch = _detector(changed)
        self._astral = _detector(c for c in changed if ord(c) >= 0x10000)
        self._special: dict[str, str] = {c: o for c, o in changed.items() if len(o) != 1}
        self._special_re = _detector(self._special)
        self._trad = _detector(_t2s_char_map()) if s.t2s else None
        if s.t2s:
            load_t2s()  # tables read, checked and the kernel compiled: not on a request
        self._multi = multi
        self._multi_re = (
            re.compile("|".join(re.escape(k) for k in sorted(multi, key=len, reverse=True)))
            if multi
            else None
        )
        self._cn_digits = _detector(_CN_DIGITS) if s.digit_variants else None

    # ------------------------------------------------------------ public API

    def normalize(self, text: str) -> Normalized:
        """Normalize one message; offsets map back to ``text``."""
        return self.normalize_simplified(self.to_simplified(text), len(text))

    def normalize_simplified(self, text: str, n: int) -> Normalized:
        """:meth:`normalize` after its first step: ``text`` is ``to_simplified(original)``
        (the same length ``n``), for callers that converted it already."""
        t = text
        if self._touch is not None and self._touch.search(text) is not None:
            t = t.translate(self._bmp_table)
            if self._astral is not None and self._astral.search(text) is not None:
                t = t.translate(self._astral_table)
        origin: list[int] | None = None
        ends: list[int] | None = None
        if self._special_re is not None and self._special_re.search(t) is not None:
            special = self._special
            edits = [(i, i + 1, special[c]) for i, c in enumerate(t) if c in special]
            t, origin, ends = _apply(t, origin, ends, edits)
        s = self.settings
        if s.separators:
            if _NOISE_DETECTOR.search(t) is not None:
                edits = [(m.start(), m.end(), "") for m in _STRONG_SEP_RE.finditer(t)]
                if edits:
                    t, origin, ends = _apply(t, origin, ends, edits)
            edits = [
                (m.start(), m.end(), "")
                for run in _ISOLATED_RUN_RE.finditer(t)
                if _merge_run(run.group())
                for m in _SEP_RUN_RE.finditer(t, run.start(), run.end())
            ]
            if edits:
                t, origin, ends = _apply(t, origin, ends, edits)
        if s.collapse_repeats:
            edits = [
                (m.start(), m.end(), m.group(1))
                for m in _REPEAT_RE.finditer(t)
                if m.group(1) not in _CN_DIGITS
            ]  # 零零零 is a number, not a stutter
            if edits:
                t, origin, ends = _apply(t, origin, ends, edits)
        if self._cn_digits is not None and self._cn_digits.search(t) is not None:
            edits = [(m.start(), m.end(), m.group().translate(_CN_DIGIT_TABLE))
                     for m in _CN_NUMBER_RE.finditer(t)]  # fmt: skip
            if edits:
                t, origin, ends = _apply(t, origin, ends, edits)
        if self._multi_re is not None:
            edits = [
                (m.start(), m.end(), self._multi[m.group()]) for m in self._multi_re.finditer(t)
            ]
            if edits:
                t, origin, ends = _apply(t, origin, ends, edits)
        if origin is None:
            return Normalized(t, range(len(t)), (), n)
        return Normalized(t, origin, ends or (), n)

    def to_simplified(self, text: str) -> str:
        """The first step of :meth:`normalize` alone: OpenCC's phrase conversion when
        ``text`` holds a traditional character (``t2s`` on), else ``text`` itself.

        >>> Normalizer(NormalizeSettings()).to_simplified("這個電話")
        '这个电话'
        """
        if self._trad is not None and self._trad.search(text) is not None:
            return self._phrase_t2s(text)
        return text

    def fold_tables(self) -> FoldTables:
        """The per-character fold and the context triggers, for batch kernels
        (:mod:`engine.textbatch`) that must agree with :meth:`normalize` exactly."""
        s = self.settings
        table = dict(enumerate(self._bmp_table))
        table.update(self._astral_table)
        return FoldTables(
            one_to_one={cp: to for cp, to in table.items() if cp != to},
            special={ord(c): to for c, to in self._special.items()},
            traditional=frozenset(ord(c) for c in (_t2s_char_map() if s.t2s else ())),
            multi_keys=tuple(self._multi),
            multi_values=tuple(self._multi.values()),
            separators=s.separators,
            collapse_repeats=s.collapse_repeats,
            cn_digit_runs=self._cn_digits is not None,
        )

    def normalize_keyword(self, term: str) -> str:
        """Fold a rule keyword exactly like message text, so the two meet in one form."""
        return self.normalize(term).text

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _phrase_t2s(text: str) -> str:
        """OpenCC with phrases (``乾淨`` -> ``干净``), kept only if it is 1:1 in length so
        offsets stay exact; otherwise the per-character table alone applies. Its exact
        emulation in numba (:mod:`engine.t2s`) converts when it could be loaded: OpenCC
        runs cold in a serving process, 20-40 µs a text against 10-20."""
        fast = load_t2s()
        try:
            converted: str = (fast or _converter()).convert(text)
        except (UnicodeError, ValueError):  # lone surrogates cannot be UTF-8 encoded
            return text
        return converted if len(converted) == len(text) else text


def _detector(chars: Iterable[str]) -> re.Pattern[str] | None:
    """A regex finding any of ``chars`` fast, or None for no characters.

    A regex class over BMP characters compiles to a bitmap (~0.5 us per SMS); astral
    members would turn it into a linear scan of ranges, so the class holds the BMP
    members plus *every* astral code point: a rare astral character sends the text
    down the exact (slower) path, which is always correct.
    """
    chars = set(chars)
    if not chars:
        return None
    bmp = [c for c in chars if ord(c) < 0x10000]
    astral = "\U00010000-\U0010ffff" if len(bmp) < len(chars) else ""
    return re.compile(f"[{_char_class(bmp)}{astral}]")


def _merge_run(run: str) -> bool:
    """Whether an isolated-character run is an inserted-separator disguise."""
    seps = _SEP_RUN_RE.findall(run)
    if all(c not in _SENTENCE_PUNCT for sep in seps for c in sep):
        return True
    if any(c in _ENUMERATION for sep in seps for c in sep):
        return False
    return len(seps) >= 2 and len({sep.strip() for sep in seps}) == 1


def _mapper(table: Mapping[str, str]) -> Callable[[str], str]:
    return lambda t: "".join(table.get(c, c) for c in t)


def fold_single(text: str, single: Mapping[str, str]) -> str:
    return "".join(single.get(c, c) for c in text)


def _apply(
    t: str, origin: list[int] | None, ends: list[int] | None, edits: list[_Edit]
) -> tuple[str, list[int], list[int]]:
    """Apply sorted, non-overlapping edits to ``t`` and carry the origin spans along.

    A replacement of the same length keeps each character's own origin; any other
    replacement maps every new character to the whole replaced run.
    """
    if origin is None or ends is None:
        origin = list(range(len(t)))
        ends = list(range(1, len(t) + 1))
    out: list[str] = []
    new_origin: list[int] = []
    new_ends: list[int] = []
    last = 0
    for start, end, repl in edits:
        out.append(t[last:start])
        new_origin.extend(origin[last:start])
        new_ends.extend(ends[last:start])
        if len(repl) == end - start:
            new_origin.extend(origin[start:end])
            new_ends.extend(ends[start:end])
        elif repl:
            new_origin.extend([origin[start]] * len(repl))
            new_ends.extend([ends[end - 1]] * len(repl))
        out.append(repl)
        last = end
    out.append(t[last:])
    new_origin.extend(origin[last:])
    new_ends.extend(ends[last:])
    return "".join(out), new_origin, new_ends


# ---------------------------------------------------------------- look-alike files

MAX_LOOKALIKE_LENGTH = 8


def parse_lookalike_file(path: Path) -> dict[str, str]:
    """Read an administrator look-alike file: one ``variant canonical`` pair a line.

    ``#`` starts a comment when it begins a line or follows whitespace; blank lines
    are ignored. Every bad line is reported (file:line) in one ``RuleSetError``.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
    ...     _ = f.write("# variants\\n歀 款\\n菠菜 博彩  # gambling\\n")
    >>> parse_lookalike_file(Path(f.name))
    {'歀': '款', '菠菜': '博彩'}
    >>> os.unlink(f.name)
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError.one(f"cannot read look-alike file: {exc}", file=str(path)) from None
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for lineno, line in enumerate(lines, 1):
        body = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
        if not body:
            continue
        parts = body.split()
        message = ""
        if len(parts) != 2:
            message = f"expected 'variant canonical', got {len(parts)} field(s): {body!r}"
        elif parts[0] == parts[1]:
            message = f"variant and canonical are the same: {parts[0]!r}"
        elif max(len(parts[0]), len(parts[1])) > MAX_LOOKALIKE_LENGTH:
            message = f"entries are at most {MAX_LOOKALIKE_LENGTH} characters: {body!r}"
        elif parts[0] in out and out[parts[0]] != parts[1]:
            message = f"{parts[0]!r} already maps to {out[parts[0]]!r}"
        if message:
            problems.append(Problem(message, file=str(path), line=lineno))
        else:
            out[parts[0]] = parts[1]
    if problems:
        raise RuleSetError(problems)
    return out
