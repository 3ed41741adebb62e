"""Batch normalization: one numba pass over a whole batch, exact path only where needed.

:meth:`engine.normalize.Normalizer.normalize` costs ~8 µs per message, mostly
Python-level regex passes that find nothing: on real SMS the context rules
(separators, repeats, Chinese numeral runs, multi-character look-alikes) fire in
a few messages out of a hundred. This module folds every message of a batch in
one numba call over a UTF-32 buffer and, in the same pass, checks whether any
rule *could* change the message beyond the per-character fold:

* a code point whose fold changes the length (``⑩``, invisible characters), one
  outside the class tables, or a traditional one the fold cannot convert as OpenCC
  would (:func:`_convertible`);
* in text holding a traditional character, an OpenCC phrase (``engine.t2s``);
* a noise separator between two ideographs (the exact ``_STRONG_SEP_RE`` test);
* an isolated-character run (the exact ``_ISOLATED_RUN_RE`` test; whether the
  run would then be merged is left to the context kernel);
* three identical ideographs in a row, a run of 3+ Chinese numerals, or any
  multi-character look-alike key.

A message with none of these gets the folded text with the identity offset map,
which is what the exact path returns for it. A length-changing fold or a context
rule (outcomes SPECIAL and CONTEXT) sends the folded code points through
:func:`engine.textcontext.apply_context`; traditional text with a phrase gets OpenCC's
phrase step and a second fold; what remains (a look-alike key, a character outside the
tables) goes through :meth:`Normalizer.normalize` itself. ``tests/test_textbatch.py``
checks every path against it on the evasion table and on fuzzed text.

>>> from engine.normalize import NormalizeSettings, Normalizer
>>> n = Normalizer(NormalizeSettings())
>>> [r.text for r in BatchNormalizer(n).normalize_many(["ＶＸ加我", "验#证#码", "今晚吃饭"])]
['vx加我', '验证码', '今晚吃饭']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from numba import njit

from engine.arena import flags as arena_flags
from engine.arena import i32 as arena_i32
from engine.arena import i64 as arena_i64
from engine.arena import pack
from engine.arena import u8 as arena_u8
from engine.arena import u32 as arena_u32
from engine.extract_gate import GATE_TABLES, reasons_one
from engine.extract_gate import reason_bits as gate_reasons
from engine.kwscan import encode_batch
from engine.normalize import Normalized, Normalizer
from engine.t2s import T2SConverter
from engine.t2s import load as load_t2s
from engine.textclasses import (
    CJK_BIT,
    CN_DIGIT_BIT,
    EXACT_BIT,
    KEY_START_BIT,
    NOISE_BIT,
    SEP_BIT,
    TABLE_SIZE,
    TOKEN_BIT,
    WORD_BIT,
    has,
    longest_key_at,
    static_classes,
)
from engine.textcontext import DETECTED, NO_EDIT, apply_context, context_tables
from engine.utf32 import code_points, text_of

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
UInt8Array = npt.NDArray[np.uint8]
UInt32Array = npt.NDArray[np.uint32]

# Per-message outcome of the kernel. CONTEXT: folded, and a context rule may apply
# (engine.textcontext); EXACT: the exact path must normalize it.
# SPECIAL: CONTEXT with a length-changing fold to expand first.
UNCHANGED, FOLDED, EXACT, CONTEXT, SPECIAL = 0, 1, 2, 3, 4


class BatchNormalizer:
    """The fast batch form of one :class:`Normalizer`; immutable, shared by threads."""

    def __init__(self, normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        tables = normalizer.fold_tables()
        fold = np.arange(TABLE_SIZE, dtype=np.int32)
        for cp, to in tables.one_to_one.items():
            if cp < TABLE_SIZE:
                fold[cp] = to
        # Classes are looked up on the folded character, so a fold into a character
        # outside the tables must take the exact path: clamp it to a marked slot.
        classes = static_classes().copy()
        # Length-changing folds (index into their replacements, -1: none); the context
        # kernel applies them with offsets.
        special = np.full(TABLE_SIZE, -1, dtype=np.int32)
        expanding = sorted((cp, to) for cp, to in tables.special.items() if cp < TABLE_SIZE)
        special[[cp for cp, _ in expanding]] = np.arange(len(expanding), dtype=np.int32)
        replacements = [to for _, to in expanding]
        if any(cp >= 0x10000 for cp in tables.special):
            # Its detector then fires on every astral character (see _detector).
            astral = special[0x10000:]
            astral[astral < 0] = DETECTED
        self._special = special
        self._special_buf, self._special_starts = encode_batch(replacements)
        outside = fold >= TABLE_SIZE
        if outside.any():
            classes[np.flatnonzero(outside)] |= EXACT_BIT
            fold[outside] = np.flatnonzero(outside).astype(np.int32)
        # Sorted by first character: the kernel compares only the keys starting with the
        # character at hand, so an administrator's thousand look-alikes cost nothing
        # where their first characters do not occur.
        lookalikes = sorted(((k, v) for k, v in zip(tables.multi_keys, tables.multi_values,
                                                   strict=True) if k),
                            key=lambda kv: ord(kv[0][0]))
        keys = [k for k, _ in lookalikes]
        for key in keys:
            if ord(key[0]) < TABLE_SIZE:  # above: such text takes the exact path anyway
                classes[ord(key[0])] |= KEY_START_BIT
        self._fold = fold
        # Two class tables. The first fold (``_classes``) also sends every text that
        # OpenCC's phrase step could change to the exact path. After that step
        # (``_exact``) the text is folded with ``_simplified_classes``, which do not:
        # ``normalize_simplified`` runs no phrase step, and the traditional characters
        # left (phrases OpenCC keeps, e.g. 乾隆, astral ones) it converts one by one,
        # as the fold table does.
        self._simplified_classes = classes
        self._classes = classes.copy()
        # Traditional characters the kernel converts itself (see _convertible): a text
        # holding one takes the fast path unless an OpenCC phrase key occurs in it.
        converter = load_t2s() if tables.traditional else None
        self._trad_safe = np.zeros(TABLE_SIZE, dtype=np.uint8)
        if converter is not None:
            self._trad_safe[_convertible(converter, tables.traditional, fold, classes)] = 1
            self._phrase_buf, self._phrase_starts = encode_batch(converter.phrase_keys())
        else:
            self._phrase_buf, self._phrase_starts = encode_batch([])
        self._no_trad = np.zeros(TABLE_SIZE, dtype=np.uint8)
        for cp in tables.traditional:
            if cp < TABLE_SIZE and not self._trad_safe[cp]:
                self._classes[cp] |= EXACT_BIT
        if any(cp >= 0x10000 for cp in tables.traditional):
            # The exact path's detectors send every astral text to OpenCC when some
            # astral character converts; follow it, so phrases convert the same way.
            self._classes[0x10000:] |= EXACT_BIT
        self._facts, self._digits = context_tables()
        self._key_buf, self._key_starts = encode_batch(keys)
        self._value_buf, self._value_starts = encode_batch([v for _, v in lookalikes])
        self._rules = np.array([tables.separators, tables.collapse_repeats,
                                tables.cn_digit_runs], dtype=np.bool_)
        # The tables of the single-message kernel (_fold_and_gate), packed: it takes two
        # arrays instead of twelve (engine.arena). Every path reads the packed copy.
        self._arena = pack([self._fold, self._classes, self._special, self._key_buf,
                            self._key_starts, self._rules, self._trad_safe, self._phrase_buf,
                            self._phrase_starts, *GATE_TABLES])
        (self._fold, self._classes, self._special, self._key_buf, self._key_starts,
         self._rules, self._trad_safe, self._phrase_buf, self._phrase_starts) = (
            self._arena.views[:9])  # type: ignore[assignment]

    def fold_batch(self, buf: UInt32Array, starts: Int64Array) -> tuple[UInt32Array, UInt8Array]:
        """Fold a batch (``engine.kwscan.encode_batch`` form): the folded buffer (same
        offsets) and each message's outcome (UNCHANGED, FOLDED, CONTEXT, SPECIAL or
        EXACT)."""
        return _fold_batch(buf, starts, self._fold, self._classes, self._special,
                           self._key_buf, self._key_starts, self._rules, self._trad_safe,
                           self._phrase_buf, self._phrase_starts)

    def fold_and_gate_batch(self, buf: UInt32Array, starts: Int64Array
                            ) -> tuple[UInt32Array, UInt8Array, npt.NDArray[np.bool_]]:
        """:meth:`fold_batch` and, per message, whether extraction could find anything
        in it (``engine.extract_gate``), from one kernel call."""
        folded, outcome, reasons = _fold_and_gate_batch(buf, starts, self._arena.data,
                                                        self._arena.rows)
        return folded, outcome, reasons != 0

    def normalize_many(self, texts: Sequence[str],
                       encoded: tuple[UInt32Array, Int64Array] | None = None) -> list[Normalized]:
        """``[normalizer.normalize(t) for t in texts]``, computed a batch at a time.

        ``encoded`` is ``encode_batch(texts)`` when the caller already has it.
        """
        if not texts:
            return []
        buf, starts = encoded if encoded is not None else encode_batch(texts)
        folded, outcome = self.fold_batch(buf, starts)
        kinds = outcome.tolist()  # plain lists: numpy's per-call cost shows on single events
        decoded = ""
        if FOLDED in kinds:
            decoded = text_of(folded)
        bounds = starts.tolist()
        out: list[Normalized] = []
        for i, (text, kind) in enumerate(zip(texts, kinds, strict=True)):
            if kind == UNCHANGED:
                out.append(Normalized(text, range(len(text)), (), len(text)))
            elif kind == FOLDED:
                t = decoded[bounds[i]:bounds[i + 1]]
                out.append(Normalized(t, range(len(t)), (), len(text)))
            else:
                out.append(self.from_fold(text, folded[bounds[i]:bounds[i + 1]], kind))
        return out

    def _exact(self, text: str) -> tuple[Normalized, UInt32Array | None]:
        """A message the fold sent to the exact path. When traditional characters were
        its only reason, OpenCC's phrase step (C) and a second fold of the converted
        text finish it: ``normalize(text)`` is ``normalize_simplified(to_simplified(
        text))`` (the same length), and the second fold, with the classes that do not
        route traditional characters to OpenCC, agrees with ``normalize_simplified`` on
        any text it does not send on. Otherwise: ``Normalizer.normalize_simplified``.

        Before the second fold had its own classes, any astral character took the slow
        path below (~35 µs in Python): 1,660 of the 4,689 texts routed here in 5,000 of
        ``bench/data.py``'s generated SMS (random CJK, astral characters among them).
        The real corpora in ``../shared/data`` hold no astral text, so they gain nothing;
        disguised fraud text using rare Extension B characters does."""
        simplified = self.normalizer.to_simplified(text)
        buf = code_points(simplified)
        fast = self._fold_text(simplified, buf, self._simplified_classes, self._no_trad)
        if fast is not None:
            return fast
        return self.normalizer.normalize_simplified(simplified, len(text)), None

    def _fold_text(self, text: str, buf: UInt32Array, classes: UInt8Array,
                   trad_safe: UInt8Array) -> tuple[Normalized, UInt32Array] | None:
        """``text`` (as code points ``buf``) through the fold kernel with ``classes`` and
        the traditional characters it may convert itself (``trad_safe``): the result and
        its code points, or None when the message needs the exact path."""
        out = np.empty_like(buf)
        kind = _fold_one(buf, out, self._fold, classes, self._special, self._key_buf,
                         self._key_starts, self._rules, trad_safe, self._phrase_buf,
                         self._phrase_starts)
        return self._finish_fold(text, buf, out, kind, classes)

    def _finish_fold(self, text: str, buf: UInt32Array, out: UInt32Array, kind: int,
                     classes: UInt8Array) -> tuple[Normalized, UInt32Array] | None:
        """:meth:`_fold_text` after its kernel call: ``kind`` is ``text``'s outcome and
        ``out`` its folded code points."""
        if kind == UNCHANGED:
            return Normalized(text, range(len(text)), (), len(text)), buf
        if kind == FOLDED:
            return _same_offsets(text, out)
        if kind in (CONTEXT, SPECIAL):
            return self._context(text, out, classes)
        return None

    def from_fold(self, text: str, folded: UInt32Array, kind: int) -> Normalized:
        """What :meth:`normalize_many` makes of ``text`` given its fold: its folded code
        points and its outcome (``fold_batch``'s)."""
        fast = self._finish_fold(text, folded, folded, kind, self._classes)
        return fast[0] if fast is not None else self._exact(text)[0]

    def _context(self, text: str, folded: UInt32Array, classes: UInt8Array
                 ) -> tuple[Normalized, UInt32Array]:
        """The length-changing folds, the context rules and the multi-character look-alikes
        on ``text``'s folded code points (``apply_context``): the result and its code
        points."""
        packed = apply_context(folded, classes, self._facts, self._digits, self._special,
                               self._special_buf, self._special_starts, self._key_buf,
                               self._key_starts, self._value_buf, self._value_starts,
                               self._rules)
        m = int(packed[0])
        if m == NO_EDIT:
            return _same_offsets(text, folded)
        points = _frozen(packed[1:1 + m].astype(np.uint32))
        t = text_of(points)
        return Normalized(t, packed[1 + m:1 + 2 * m].tolist(),
                          packed[1 + 2 * m:].tolist() or (), len(text)), points

    def normalize_one(self, text: str, buf: UInt32Array) -> tuple[Normalized, UInt32Array | None]:
        """``normalizer.normalize(text)`` for one message, and the normalized text's code
        points when the fast path produced them (else None), for the keyword scan to reuse.

        ``buf`` is ``text`` as UTF-32 code points (``np.frombuffer(text.encode(
        "utf-32-le", "surrogatepass"), np.uint32)``). The single-event path: one kernel
        call that returns an int, where ``normalize_many`` costs a batch's setup.

        >>> from engine.normalize import NormalizeSettings, Normalizer
        >>> import numpy as np
        >>> bn = BatchNormalizer(Normalizer(NormalizeSettings()))
        >>> t = "ＶＸ加我"
        >>> bn.normalize_one(t, np.frombuffer(t.encode("utf-32-le"), np.uint32))[0].text
        'vx加我'
        """
        fast = self._fold_text(text, buf, self._classes, self._trad_safe)
        return fast if fast is not None else self._exact(text)

    def prepare_one(self, text: str, buf: UInt32Array
                    ) -> tuple[Normalized, UInt32Array | None, bool]:
        """:meth:`normalize_one` and :func:`engine.extract_gate.may_extract_one`, from one
        kernel call: where other work between decisions has evicted the caches, the
        gate's own call cost 5.5 µs (0.7 warm; in-process after a 32 MB pass).

        >>> from engine.normalize import NormalizeSettings, Normalizer
        >>> bn = BatchNormalizer(Normalizer(NormalizeSettings()))
        >>> text = "致电９５５８８"
        >>> normalized, _, may_extract = bn.prepare_one(text, code_points(text))
        >>> normalized.text, may_extract
        ('致电95588', True)
        """
        out = np.empty_like(buf)
        packed = _fold_and_gate(buf, out, self._arena.data, self._arena.rows)
        fast = self._finish_fold(text, buf, out, packed & 0xFF, self._classes)
        normalized, points = fast if fast is not None else self._exact(text)
        return normalized, points, packed >> 8 != 0

    def warm(self) -> None:
        self.normalize_many(["warm 刷 单", "ＶＸ", "刷*单 刷刷刷 一三八 全.产.权"])
        self.normalize_one("ＶＸ", code_points("ＶＸ"))
        self.prepare_one("ＶＸ", code_points("ＶＸ"))


def _same_offsets(text: str, points: UInt32Array) -> tuple[Normalized, UInt32Array]:
    """The result for code points that kept every offset of ``text`` (a fold, or context
    rules that changed nothing)."""
    t = text_of(points)
    return Normalized(t, range(len(t)), (), len(text)), _frozen(points)


def _frozen(code_points: UInt32Array) -> UInt32Array:
    """``code_points`` made read-only (in place), like the ``np.frombuffer`` arrays of an
    unchanged text: numba compiles a kernel once per argument type and read-only is part
    of the type, so one flag for every buffer keeps each one-message kernel to the one
    signature that warming compiled (a writable buffer once compiled four kernels on the
    first request that had one). Memoized code points are shared, too: read-only suits."""
    code_points.flags.writeable = False
    return code_points


@njit(cache=True, nogil=True)
def _beyond_fold(t: UInt32Array, classes: UInt8Array, key_buf: UInt32Array,
                 key_starts: Int64Array, rules: npt.NDArray[np.bool_]) -> int:
    """Whether a rule beyond the fold could fire on folded text ``t``: 0 (none) or CONTEXT
    (a context rule or a look-alike key, for :func:`engine.textcontext.apply_context`,
    which looks for keys again in its result)."""
    n = len(t)
    separators, repeats, cn_runs = rules[0], rules[1], rules[2]
    word, token, sep, cjk, noise = WORD_BIT, TOKEN_BIT, SEP_BIT, CJK_BIT, NOISE_BIT
    cn_run = 0
    for i in range(n):
        c = t[i]
        if has(classes, c, KEY_START_BIT) and longest_key_at(t, n, i, key_buf, key_starts) >= 0:
            return CONTEXT
        if cn_runs:
            cn_run = cn_run + 1 if has(classes, c, CN_DIGIT_BIT) else 0
            if cn_run >= 3:
                return CONTEXT
        if repeats and i >= 2 and c == t[i - 1] and c == t[i - 2] and has(classes, c, cjk) \
                and not has(classes, c, CN_DIGIT_BIT):
            return CONTEXT
        if not separators:
            continue
        # (?<=CJK) ?[NOISE][NOISE ]{0,2}(?=CJK)
        if has(classes, c, cjk) and i + 1 < n:
            q = i + 1
            if t[q] == 32:
                q += 1
            if q < n and has(classes, t[q], noise):
                for r in range(q + 1, min(q + 4, n)):
                    if has(classes, t[r], cjk):
                        return CONTEXT
                    if not (has(classes, t[r], noise) or t[r] == 32):
                        break
        # (?<!WORD)TOKEN SEP{1,3} TOKEN(?!WORD): an isolated-character run starts here.
        if has(classes, c, token) and (i == 0 or not has(classes, t[i - 1], word)):
            k = i + 1
            while k < n and k - i <= 3 and has(classes, t[k], sep):
                k += 1
            if i + 1 < k <= i + 4 and k < n and has(classes, t[k], token) \
                    and (k + 1 == n or not has(classes, t[k + 1], word)):
                return CONTEXT
    return 0


@njit(cache=True, nogil=True)
def _fold_message(buf: UInt32Array, out: UInt32Array, a: int, b: int, fold: Int32Array,
                  classes: UInt8Array, special: Int32Array, key_buf: UInt32Array,
                  key_starts: Int64Array, rules: npt.NDArray[np.bool_], trad_safe: UInt8Array,
                  phrase_buf: UInt32Array, phrase_starts: Int64Array) -> int:
    """Fold ``buf[a:b]`` into ``out[a:b]``; return the message's outcome."""
    size = len(fold)
    kind = UNCHANGED
    expands = False
    traditional = False
    for i in range(a, b):
        c = buf[i]
        if c >= size:
            kind = EXACT
            break
        f = np.uint32(fold[c])
        if (classes[c] & EXACT_BIT) != 0 or (classes[f] & EXACT_BIT) != 0:
            kind = EXACT
            break
        if trad_safe[c]:
            traditional = True
        if special[f] != -1:
            expands = True  # the exact path checks the translated character, so do we
        if f != c:
            kind = FOLDED
        out[i] = f
    if kind != EXACT and traditional:
        # The fold converts traditional characters one by one; OpenCC does so too
        # unless one of its phrases occurs (乾淨 -> 干净, where 乾 alone stays).
        text = buf[a:b]
        for i in range(b - a):
            if longest_key_at(text, b - a, i, phrase_buf, phrase_starts) >= 0:
                kind = EXACT
                break
    if kind != EXACT:
        if expands:
            kind = SPECIAL  # the context kernel expands it first, then applies every rule
        else:
            beyond = _beyond_fold(out[a:b], classes, key_buf, key_starts, rules)
            if beyond != 0:
                kind = beyond
    if kind == EXACT:
        out[a:b] = buf[a:b]  # keep the buffer decodable; the exact path redoes it
    return kind


@njit(cache=True, nogil=True)
def _fold_batch(buf: UInt32Array, starts: Int64Array, fold: Int32Array, classes: UInt8Array,
                special: Int32Array, key_buf: UInt32Array, key_starts: Int64Array,
                rules: npt.NDArray[np.bool_], trad_safe: UInt8Array, phrase_buf: UInt32Array,
                phrase_starts: Int64Array) -> tuple[UInt32Array, UInt8Array]:
    out = np.empty_like(buf)
    outcome = np.zeros(len(starts) - 1, dtype=np.uint8)
    for m in range(len(starts) - 1):
        outcome[m] = _fold_message(buf, out, starts[m], starts[m + 1], fold, classes, special,
                                   key_buf, key_starts, rules, trad_safe, phrase_buf,
                                   phrase_starts)
    return out, outcome


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def _fold_one(buf: UInt32Array, out: UInt32Array, fold: Int32Array, classes: UInt8Array,
              special: Int32Array, key_buf: UInt32Array, key_starts: Int64Array,
              rules: npt.NDArray[np.bool_], trad_safe: UInt8Array, phrase_buf: UInt32Array,
              phrase_starts: Int64Array) -> int:
    # A single message: an int comes back, not arrays (a returned array costs ~1 µs).
    return _fold_message(buf, out, 0, len(buf), fold, classes, special, key_buf, key_starts,
                         rules, trad_safe, phrase_buf, phrase_starts)


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def _fold_and_gate(buf: UInt32Array, out: UInt32Array, arena: UInt8Array,
                   index: Int64Array) -> int:
    """:func:`_fold_one` and the extraction gate's reason bits on the same message:
    the outcome in the low byte, the reason bits above it. The tables come packed
    (``BatchNormalizer._arena``, in the order it packs them): twelve arrays unboxed on
    every call cost more than a short message's fold."""
    kind = _fold_message(buf, out, 0, len(buf), arena_i32(arena, index, 0),
                         arena_u8(arena, index, 1), arena_i32(arena, index, 2),
                         arena_u32(arena, index, 3), arena_i64(arena, index, 4),
                         arena_flags(arena, index, 5), arena_u8(arena, index, 6),
                         arena_u32(arena, index, 7), arena_i64(arena, index, 8))
    return kind | (reasons_one(buf, arena_u8(arena, index, 9), arena_u8(arena, index, 10),
                               arena_i64(arena, index, 11)) << 8)


@njit(cache=True, nogil=True)
def _fold_and_gate_batch(buf: UInt32Array, starts: Int64Array, arena: UInt8Array,
                         index: Int64Array) -> tuple[UInt32Array, UInt8Array, UInt8Array]:
    """:func:`_fold_batch` and the extraction gate's reason bits of every message, with
    the tables packed as for :func:`_fold_and_gate`."""
    out, outcome = _fold_batch(buf, starts, arena_i32(arena, index, 0),
                               arena_u8(arena, index, 1), arena_i32(arena, index, 2),
                               arena_u32(arena, index, 3), arena_i64(arena, index, 4),
                               arena_flags(arena, index, 5), arena_u8(arena, index, 6),
                               arena_u32(arena, index, 7), arena_i64(arena, index, 8))
    reasons = gate_reasons(buf, starts, arena_u8(arena, index, 9), arena_u8(arena, index, 10),
                           arena_i64(arena, index, 11))
    return out, outcome, reasons


def _convertible(converter: T2SConverter, traditional: frozenset[int], fold: Int32Array,
                 classes: UInt8Array) -> list[int]:
    """The traditional characters the fold kernel may convert itself: where no OpenCC
    phrase occurs, ``normalize(text)`` is the second fold of OpenCC's character-by-
    character conversion, and for these characters the first fold gives the same.
    Each is in the Basic Multilingual Plane (astral text goes to OpenCC whole, as the
    exact path's detectors send it), untouched by OpenCC's normalization (a
    compatibility ideograph would hide a phrase from the kernel's check), and folds,
    with the same exact-path classes, as its simplified form does. None at all if
    OpenCC changes a BMP character the traditional set lacks: the exact path would
    convert it beside a traditional one, the fold would not."""
    normalized, converted = converter.tables.maps
    bmp = min(converter.tables.limit, 0x10000, TABLE_SIZE)
    changed = np.flatnonzero(converted[normalized[:bmp]] != np.arange(bmp))
    if any(int(cp) not in traditional for cp in changed):
        return []
    safe = []
    for cp in changed.tolist():
        to = int(converted[normalized[cp]])
        if normalized[cp] != cp or to >= TABLE_SIZE or fold[cp] != fold[to]:
            continue
        if ((classes[cp] | classes[fold[cp]]) & EXACT_BIT) != (
                (classes[to] | classes[fold[to]]) & EXACT_BIT):
            continue
        safe.append(cp)
    return safe
