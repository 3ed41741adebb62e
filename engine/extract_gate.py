"""A cheap, sound pre-filter for :func:`engine.extract.extract`.

Most SMS contain no URL, domain, IP, phone number or messenger ID, yet the
regex extraction costs ~20-100 µs per message whatever it finds.  This gate is
one numba pass over a whole batch that answers, per message, *could extract
return anything?*  It is **sound**: ``may_extract(t) is False`` implies
``extract(t) == []`` for every text.  It may say True where extract then finds
nothing: a false positive costs only the extraction that would have run anyway.

Every code point is looked up in one ``uint8`` class table built at import from
extract's own view table, so the gate reads the view extract's regex reads
(full-width -> ASCII, upper -> lower case, variant digits -> ASCII digits,
``。｡․﹒`` -> ``.``, runs of 3+ Chinese numerals -> digits, ``一`` between two
digits -> ``-``).  Extract can return something only if one of these holds in
that view; each is implied by an alternative of extract's pattern (the reason
bits of :func:`reasons`):

* ``SCHEME``: ``:`` then ``//`` (with the ``]`` and spaces extract allows): every
  URL with a scheme, IDN hosts such as ``http://例子.中国`` included;
* ``HOST_DOT``: a ``.`` or ``点`` with an ASCII letter or digit before it and a
  known top-level domain (extract's TLD list, or ``xn--``) after it, up to two
  of `` []()`` in between (``a . com``, ``a [.] com``): the dot before the TLD of
  every bare or ``www.`` host;
* ``DEFANGED``: ``[dot]``, ``(dot)`` or ``{dot}``;
* ``DOTTED_QUAD``: four digit groups joined by single dots (IPv4);
* ``ID_RUN``: after a WeChat / Telegram cue word (``vx``, ``微信``, ``tg``,
  ``飞机``...) and what extract allows between (``号码 是 : = @``, at most 7
  characters), a letter starting 5+ characters of ``[a-z0-9_-]``;
* ``DIGITS``: a digit chain (digits at most two of ``[ -.()‐-―]`` apart) that
  holds a phone shape at the start of a digit group: ``9[56]``+3 digits,
  ``0``/``4``/``8`` + 9 digits, ``1[3-9]`` + 9 digits, ``+`` and 8 digits; or any
  chain of 5+ digits after a QQ / WeChat cue word, or of 26+ digits;
* ``ALWAYS``: an invisible character (extract removes them and joins the
  neighbours), a lone surrogate, or a code point past the table (``>= 0x30000``).

A message with fewer than two characters that are or may become ASCII letters
or digits is 0 without further look: every alternative of the pattern needs
two (``h**p://例子.中国``, ``a.cn``).

The phone shapes of ``DIGITS`` assume extract's number pattern meets each chain
at its first digit; only a host, IP or URL match (``HOST_DOT``, ``DEFANGED``,
``DOTTED_QUAD``, ``SCHEME``), a messenger ID after a cue word or a chain of 26+
digits (all of which answer True on their own) can make it start elsewhere.

>>> may_extract("今晚一起吃饭吗？"), may_extract("消费327.62元，订单号20191380099")
(False, False)
>>> may_extract("致电 138-0013-8000"), may_extract("访问 evil点com"), may_extract("加V：abc_12")
(True, True, True)
>>> may_extract_batch(["你好 iPhone 6", "http://例子.中国"]).tolist()
[False, True]
>>> reasons(["QQ:12345678", "hxxp://x[dot]top"]).tolist() == [DIGITS, SCHEME | DEFANGED]
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from numba import njit

from engine.extract import _CN_NUMERALS, _INVISIBLE_RE, _TLDS, _VIEW
from engine.kwscan import Int64Array, UInt32Array, encode_batch
from engine.utf32 import code_points, text_of

__all__ = [
    "ALWAYS",
    "DEFANGED",
    "DIGITS",
    "DOTTED_QUAD",
    "HOST_DOT",
    "ID_RUN",
    "SCHEME",
    "may_extract",
    "may_extract_batch",
    "reasons",
    "warm",
]

UInt8Array = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]

# Reason bits returned by reasons(): the necessary conditions a message meets.
DIGITS = 1
HOST_DOT = 2
DOTTED_QUAD = 4
DEFANGED = 8
SCHEME = 16
ID_RUN = 32
ALWAYS = 64

# ---------------------------------------------------------------- the class table
# Codes 0..127 are the ASCII character of the view; the non-ASCII characters
# the conditions look at get a code of their own; everything else is _OTHER.
_OTHER = 128
_DIAN = 130  # 点: a dot in a host
_DASH = 131  # U+2010..U+2015: a separator inside a phone number only
_WEI = 132  # 微威薇徽 (+信: WeChat)
_XIN = 133  # 信
_FEI = 134  # 飞 (+机: Telegram)
_JI = 135  # 机
_DIAN_E = 136  # 电 (+报: Telegram)
_BAO = 137  # 报
_JIA = 138  # 加 (+v: WeChat)
_KOU = 139  # 扣 (扣扣: QQ)
_QI = 140  # 企 (+鹅: QQ)
_E = 141  # 鹅
_HAO = 142  # 号, 码, 是, 为: what may follow a cue word
_CN0 = 160  # 160..169: a Chinese numeral other than 一 (its digit value added)
_YI = 170  # 一: a digit in a run of 3+ numerals, a dash between two digits
_ALWAYS = 255  # invisible, surrogate: answer True without looking further
_TABLE_SIZE = 0x30000  # extract's view table covers exactly this range

_CUE_CHARS = {"微": _WEI, "威": _WEI, "薇": _WEI, "徽": _WEI, "信": _XIN, "飞": _FEI,
              "机": _JI, "电": _DIAN_E, "报": _BAO, "加": _JIA, "扣": _KOU, "企": _QI,
              "鹅": _E, "号": _HAO, "码": _HAO, "是": _HAO, "为": _HAO}  # fmt: skip
_CUE_SPAN = 7  # most characters between a cue word and its ID: 号码 + 是 + 3 of [ :=] + @/+


def _class_table() -> UInt8Array:
    """The class code of every code point below ``_TABLE_SIZE``.

    >>> t = _class_table()
    >>> chr(t[ord("Ａ")]), chr(t[ord("１")]), chr(t[ord("。")]), int(t[ord("\\u200b")]) == _ALWAYS
    ('a', '1', '.', True)
    """
    table = np.full(_TABLE_SIZE, _OTHER, dtype=np.uint8)
    table[:128] = np.arange(128, dtype=np.uint8)
    # extract's view: every target is one ASCII character
    cps = np.fromiter(_VIEW.keys(), dtype=np.int64, count=len(_VIEW))
    targets = np.fromiter(map(ord, _VIEW.values()), dtype=np.int64, count=len(_VIEW))
    assert targets.max() < 128 and cps.max() < _TABLE_SIZE
    table[cps] = targets
    for k in range(0, len(_CN_NUMERALS), 2):
        table[ord(_CN_NUMERALS[k])] = _CN0 + int(_CN_NUMERALS[k + 1])
    table[ord("一")] = _YI
    table[ord("点")] = _DIAN
    table[0x2010:0x2016] = _DASH
    for ch, code in _CUE_CHARS.items():
        table[ord(ch)] = code
    table[0xD800:0xE000] = _ALWAYS
    scalars = np.r_[0:0xD800, 0xE000:_TABLE_SIZE].astype(np.uint32)
    every = text_of(scalars)  # every code point but the surrogates
    for m in _INVISIBLE_RE.finditer(every):
        table[ord(m.group())] = _ALWAYS
    return table


# TLDs as integers (base 38 over [a-z0-9-], digits 1..37 so lengths never collide),
# sorted for a binary search in the kernel.
_TLD_BASE = 38
_MAX_TLD = max(map(len, _TLDS))


def _tld_key(tld: str) -> int:
    key = 0
    for ch in tld:
        sym = ord(ch) - 96 if ch.isalpha() else 27 + int(ch) if ch.isdigit() else 37
        key = key * _TLD_BASE + sym
    return key


assert _MAX_TLD <= 12 and all(t.isascii() for t in _TLDS)  # the keys fit in int64
_TABLE = _class_table()
_TLD_KEYS: Int64Array = np.array(sorted(_tld_key(t) for t in _TLDS), dtype=np.int64)

# Flags of a class code, OR-ed and summed over a message in the first pass.
_F_ALWAYS, _F_NUMERAL, _F_ALNUM = 1, 2, 4  # _F_ALNUM: is or may become [a-z0-9]
_F_CUE_END = 8  # may end a cue word (the last character of vx, qq, tg, 微信, 飞机...)
_FLAGS = np.zeros(256, dtype=np.uint8)
_FLAGS[_ALWAYS] = _F_ALWAYS
_FLAGS[ord("0") : ord("9") + 1] = _F_ALNUM
_FLAGS[ord("a") : ord("z") + 1] = _F_ALNUM
_FLAGS[_CN0 : _YI + 1] = _F_NUMERAL | _F_ALNUM
for _c in (*b"xqgntmv", _XIN, _JI, _BAO, _KOU, _E):
    _FLAGS[_c] |= _F_CUE_END
#: The tables :func:`reasons_one` takes after the message: class table, flags, TLD keys.
GATE_TABLES = (_TABLE, _FLAGS, _TLD_KEYS)


# --------------------------------------------------------------------------- kernel

@njit(cache=True, nogil=True, inline="always")
def _is_digit(c: int) -> bool:
    return 48 <= c <= 57


@njit(cache=True, nogil=True, inline="always")
def _is_letter(c: int) -> bool:
    return 97 <= c <= 122


@njit(cache=True, nogil=True, inline="always")
def _is_alnum(c: int) -> bool:
    return (48 <= c <= 57) or (97 <= c <= 122)


@njit(cache=True, nogil=True, inline="always")
def _is_id(c: int) -> bool:  # [a-z0-9_-]
    return (48 <= c <= 57) or (97 <= c <= 122) or c == 95 or c == 45


@njit(cache=True, nogil=True, inline="always")
def _is_skip(c: int) -> bool:  # what may sit between a host dot and a label: ' []()'
    return c == 32 or c == 91 or c == 93 or c == 40 or c == 41


@njit(cache=True, nogil=True, inline="always")
def _is_sep(c: int) -> bool:  # extract's separators inside a phone: [ \-.()‐-―]
    return c == 32 or c == 45 or c == 46 or c == 40 or c == 41 or c == _DASH


@njit(cache=True, nogil=True, inline="always")
def _after_cue(c: int) -> bool:  # (?:号码|号|id)?(?:是|为)?[ :=]{0,3}, then @ or +
    return (c == _HAO or c == 105 or c == 100 or c == 32 or c == 58 or c == 61 or c == 64
            or c == 43)


@njit(cache=True, nogil=True, inline="always")
def _is_plain_digit(cp: int) -> bool:  # [0-9０-９] in the original text
    return (48 <= cp <= 57) or (0xFF10 <= cp <= 0xFF19)


@njit(cache=True, nogil=True, inline="always")
def _is_numeral(c: int) -> bool:  # _CN0.._CN0 + 9 or _YI
    return bool(np.uint8(c - _CN0) <= _YI - _CN0)


@njit(cache=True, nogil=True)
def _view(buf: UInt32Array, s: int, n: int, table: UInt8Array, flags: UInt8Array,
          v: UInt8Array) -> int:
    """Class codes of message ``buf[s:s+n]`` into ``v[:n]``.

    Returns ``ALWAYS`` if some character is _ALWAYS, 0 if there are fewer than two
    characters that are (or may become) ASCII letters or digits (the message is
    decided), else -1.  Chinese numerals
    are resolved the way extract resolves them: a run of 3+ becomes digits, a
    lone 一 between two digits a dash, anything else a word.
    """
    seen = np.uint8(0)  # _F_* bits of all characters
    alnum = 0
    for i in range(n):  # branch free (flags from a table: 2.5x faster than comparisons)
        cp = buf[s + i]
        c = table[cp] if cp < _TABLE_SIZE else np.uint8(_ALWAYS)
        f = flags[c]
        seen |= f
        alnum += f >> 2  # _F_ALNUM
        v[i] = c
    if seen & _F_ALWAYS:
        return ALWAYS
    if alnum < 2:
        return 0
    if not seen & _F_NUMERAL:
        return -1
    i = 0
    while i < n:
        if not _is_numeral(v[i]):
            i += 1
            continue
        j = i + 1
        while j < n and _is_numeral(v[j]):
            j += 1
        if j - i >= 3:
            for k in range(i, j):
                v[k] = 49 if v[k] == _YI else v[k] - _CN0 + 48
        elif (j - i == 1 and v[i] == _YI and i > 0 and j < n
              and _is_plain_digit(buf[s + i - 1]) and _is_plain_digit(buf[s + j])):
            v[i] = 45  # '-'
        else:
            for k in range(i, j):
                v[k] = _OTHER
        i = j
    return -1


@njit(cache=True, nogil=True)
def _is_tld_at(v: UInt8Array, n: int, k: int, tld_keys: Int64Array) -> bool:
    """Whether the maximal ``[a-z0-9-]`` run at ``k`` is a TLD of extract's list or ``xn--``."""
    if (k + 3 < n and v[k] == 120 and v[k + 1] == 110 and v[k + 2] == 45
            and v[k + 3] == 45):
        return True
    key = 0
    length = 0
    while k < n and (_is_alnum(v[k]) or v[k] == 45):
        length += 1
        if length > _MAX_TLD:
            return False
        c = v[k]
        sym = c - 96 if c >= 97 else c - 48 + 27 if c <= 57 else 37
        key = key * _TLD_BASE + sym
        k += 1
    j = np.searchsorted(tld_keys, key)
    return bool(j < tld_keys.shape[0] and tld_keys[j] == key)


@njit(cache=True, nogil=True)
def _host_dot(v: UInt8Array, n: int, p: int, tld_keys: Int64Array) -> bool:
    """Whether the dot at ``p`` can end a host label and start a top-level domain."""
    k = p - 1
    while k >= 0 and k >= p - 2 and _is_skip(v[k]):
        k -= 1
    if k < 0 or not _is_alnum(v[k]):
        return False
    k = p + 1
    while k < n and k <= p + 2 and _is_skip(v[k]):
        k += 1
    return k < n and _is_alnum(v[k]) and _is_tld_at(v, n, k, tld_keys)


@njit(cache=True, nogil=True)
def _scheme_at(v: UInt8Array, n: int, p: int) -> bool:
    """Whether the ``:`` at ``p`` starts extract's ``:\\]? ?/ ?/``."""
    k = p + 1
    if k < n and v[k] == 93:  # ]
        k += 1
    if k < n and v[k] == 32:
        k += 1
    if k >= n or v[k] != 47:  # /
        return False
    k += 1
    if k < n and v[k] == 32:
        k += 1
    return k < n and v[k] == 47


# Cue words as code tuples (numba compares them without building strings).
_VX, _WX, _QQ, _TG = (118, 120), (119, 120), (113, 113), (116, 103)
_WEIXIN = tuple(b"weixin")
_WECHAT = tuple(b"wechat")
_TELEGRAM = tuple(b"telegram")


@njit(cache=True, nogil=True)
def _word_at(v: UInt8Array, end: int, word: tuple[int, ...]) -> bool:
    """Whether ``word`` ends at ``end`` in ``v`` and is not preceded by a letter."""
    start = end - len(word) + 1
    if start < 0:
        return False
    for k in range(len(word)):
        if v[start + k] != word[k]:
            return False
    return start == 0 or not _is_letter(v[start - 1])


@njit(cache=True, nogil=True)
def _cue_ends_at(v: UInt8Array, i: int) -> bool:
    """Whether a QQ / WeChat / Telegram cue word of extract's pattern ends at ``i``."""
    c = v[i]
    p = v[i - 1] if i > 0 else np.uint8(0)
    if c == 120:
        return _word_at(v, i, _VX) or _word_at(v, i, _WX)
    if c == 113:
        return _word_at(v, i, _QQ)
    if c == 103:
        return _word_at(v, i, _TG)
    if c == 110:
        return _word_at(v, i, _WEIXIN)
    if c == 116:
        return _word_at(v, i, _WECHAT)
    if c == 109:
        return _word_at(v, i, _TELEGRAM)
    if c == 118:  # 加 ?v, + ?v
        if p == _JIA or p == 43:
            return True
        return p == 32 and i > 1 and (v[i - 2] == _JIA or v[i - 2] == 43)
    return bool((c == _XIN and (p == _WEI or p == 118)) or (c == _JI and p == _FEI)
                or (c == _BAO and p == _DIAN_E) or (c == _KOU and p == _KOU)
                or (c == _E and p == _QI))


@njit(cache=True, nogil=True)
def _id_run_from(v: UInt8Array, n: int, k: int) -> bool:
    """Whether 5+ characters of ``[a-z0-9_-]`` start at ``k``."""
    return k + 5 <= n and _is_id(v[k]) and _is_id(v[k + 1]) and _is_id(v[k + 2]) and (
        _is_id(v[k + 3]) and _is_id(v[k + 4]))


@njit(cache=True, nogil=True)
def _phone_shaped(dig: UInt8Array, grp: UInt8Array, length: int, plus: bool, cued: bool) -> bool:
    """Whether a digit chain can hold something extract reports (see the module doc)."""
    if length < 5:
        return False
    if cued or length >= 26 or (plus and length >= 8):
        return True
    for g in range(length - 4):
        if grp[g] == 0:
            continue
        rest = length - g
        d = dig[g]
        d1 = dig[g + 1]
        if d == 9 and (d1 == 5 or d1 == 6):  # 95xxx / 96xxx
            return True
        if rest >= 10 and (d == 0 or d == 4 or d == 8):  # 0 landline / 00 intl, 400, 800, 86
            return True
        if rest >= 11 and d == 1 and d1 >= 3:  # mobile
            return True
    return False


@njit(cache=True, nogil=True)
def _plus_before(v: UInt8Array, i: int) -> bool:  # (?:\+ ?)\(? before the digit at i
    k = i - 1
    while k >= 0 and k >= i - 2 and (v[k] == 32 or v[k] == 40):
        k -= 1
    return k >= 0 and v[k] == 43


@njit(cache=True, nogil=True)
def _conditions(v: UInt8Array, n: int, flags: UInt8Array, tld_keys: Int64Array,
                dig: UInt8Array, grp: UInt8Array) -> int:
    """The reason bits met by the resolved view ``v[:n]``.

    ``dig``/``grp`` are scratch arrays of 26+ entries for the digits of a chain
    and whether each starts a digit group.
    """
    out = 0
    chain = 0  # digits in the current chain
    gap = 0  # separators since its last digit
    plus = False  # a + before the chain
    cued = False  # the chain follows a QQ / WeChat cue word
    groups = 0  # digit groups in the current dotted run (1.2.3.4)
    in_group = False
    armed = -1  # last position an ID may start at after a cue word
    i = -1
    while i + 1 < n:
        i += 1
        c = v[i]
        if c == _OTHER:  # most characters (CJK): they end every run and start nothing
            armed = -1
            if chain > 0:
                if _phone_shaped(dig, grp, chain, plus, cued):
                    out |= DIGITS
                chain = 0
            groups = 0
            in_group = False
            while i + 1 < n and v[i + 1] == _OTHER:
                i += 1
            continue
        cue_digit = False
        if armed >= i:  # after a cue word: an ID may start here
            if _is_letter(c) and _id_run_from(v, n, i):
                out |= ID_RUN
            cue_digit = _is_digit(c)
            if not _after_cue(c):
                armed = -1
        if _is_digit(c):
            # DIGITS: chains of digits at most two separators apart
            if chain > 0 and gap <= 2:
                group_start = gap > 0
            else:
                if _phone_shaped(dig, grp, chain, plus, cued):
                    out |= DIGITS
                chain = 0
                plus = _plus_before(v, i)
                cued = False
                group_start = True
            if chain < dig.shape[0]:
                dig[chain] = c - 48
                grp[chain] = group_start
            chain += 1
            gap = 0
            cued |= cue_digit
            # DOTTED_QUAD: digit groups joined by single dots
            if not in_group:
                groups += 1
                in_group = True
                if groups >= 4:
                    out |= DOTTED_QUAD
            continue
        if _is_sep(c):
            gap += 1
        elif chain > 0:
            if _phone_shaped(dig, grp, chain, plus, cued):
                out |= DIGITS
            chain = 0
        if c == 46 and in_group:
            in_group = False
        else:
            groups = 0
            in_group = False
        if c == 46 or c == _DIAN:
            if _host_dot(v, n, i, tld_keys):
                out |= HOST_DOT
        elif c == 58:
            if _scheme_at(v, n, i):
                out |= SCHEME
        elif c == 100:
            if (i > 0 and i + 3 < n and v[i + 1] == 111 and v[i + 2] == 116
                    and (v[i - 1] == 91 or v[i - 1] == 40 or v[i - 1] == 123)
                    and (v[i + 3] == 93 or v[i + 3] == 41 or v[i + 3] == 125)):
                out |= DEFANGED  # [dot] (dot) {dot}
        elif flags[c] & _F_CUE_END and _cue_ends_at(v, i):
            armed = i + _CUE_SPAN + 1
    if _phone_shaped(dig, grp, chain, plus, cued):
        out |= DIGITS
    return out


@njit(cache=True, nogil=True)
def reason_bits(buf: UInt32Array, starts: Int64Array, table: UInt8Array, flags: UInt8Array,
                tld_keys: Int64Array) -> UInt8Array:
    """Each message's reason bits (:func:`reasons`), given the :data:`GATE_TABLES`; a
    kernel, for kernels that gate a batch beside their own work on it."""
    nmsg = starts.shape[0] - 1
    out = np.zeros(nmsg, dtype=np.uint8)
    longest = 0
    for m in range(nmsg):
        longest = max(longest, starts[m + 1] - starts[m])
    v = np.empty(longest, dtype=np.uint8)
    dig = np.zeros(26, dtype=np.uint8)
    grp = np.zeros(26, dtype=np.uint8)
    for m in range(nmsg):
        s = starts[m]
        n = starts[m + 1] - s
        status = _view(buf, s, n, table, flags, v)
        out[m] = _conditions(v, n, flags, tld_keys, dig, grp) if status < 0 else status
    return out


@njit(cache=True)  # holds the GIL: a per-message call (docs/architecture.md)
def reasons_one(buf: UInt32Array, table: UInt8Array, flags: UInt8Array,
                tld_keys: Int64Array) -> int:
    """One message's reason bits, given the :data:`GATE_TABLES`; a kernel, so that
    another kernel can run the gate beside its own work on one message
    (``engine.textbatch.BatchNormalizer.prepare_one``)."""
    # One message: an int comes back, not an array (a returned array costs ~1 µs).
    starts = np.zeros(2, dtype=np.int64)
    starts[1] = buf.shape[0]
    return int(reason_bits(buf, starts, table, flags, tld_keys)[0])


# --------------------------------------------------------------------------- API

def reasons(texts: Sequence[str] | None = None, *, buf: UInt32Array | None = None,
            starts: Int64Array | None = None) -> UInt8Array:
    """The reason bits (``DIGITS | HOST_DOT | ...``) of every message; 0: extract finds nothing.

    Pass ``texts``, or a batch already encoded by :func:`engine.kwscan.encode_batch`
    as ``buf``/``starts`` to share one encode with other kernels.

    >>> reasons(["没有", "www.icbc.com", "1.2.3.4", "tg: @abcde"]).tolist() == [
    ...     0, HOST_DOT, DOTTED_QUAD, ID_RUN]
    True
    """
    if buf is None or starts is None:
        if texts is None:
            raise TypeError("reasons() needs texts, or buf and starts")
        buf, starts = encode_batch(texts)
    return reason_bits(buf, starts, _TABLE, _FLAGS, _TLD_KEYS)


def may_extract_batch(texts: Sequence[str] | None = None, *, buf: UInt32Array | None = None,
                      starts: Int64Array | None = None) -> BoolArray:
    """Per message: could :func:`engine.extract.extract` find anything? (False: surely not.)

    >>> may_extract_batch(["明天见", "QQ 12345"]).tolist()
    [False, True]
    >>> buf, starts = encode_batch(["明天见", "ｗｗｗ．ｉｃｂｃ．ｃｏｍ"])
    >>> may_extract_batch(buf=buf, starts=starts).tolist()
    [False, True]
    """
    out: BoolArray = reasons(texts, buf=buf, starts=starts) != 0
    return out


def may_extract_one(buf: UInt32Array) -> bool:
    """:func:`may_extract` for one message already encoded as UTF-32 code points.

    >>> t = "致电95588"
    >>> may_extract_one(np.frombuffer(t.encode("utf-32-le"), np.uint32))
    True
    """
    return reasons_one(buf, _TABLE, _FLAGS, _TLD_KEYS) != 0


def may_extract(text: str) -> bool:
    """Could :func:`engine.extract.extract` find anything in ``text``? (False: surely not.)

    >>> may_extract("价格85000元"), may_extract("致电95588"), may_extract("一三八零零一三八零零零")
    (False, True, True)
    """
    return bool(reasons([text])[0])


def warm() -> None:
    """Compile (or load from cache) the kernel on tiny input."""
    may_extract_batch(["", "一三八 1一2 a.com [dot] x:// vx abcdef +8613800138000", "\u200b"])
    may_extract_one(code_points("a.com"))
