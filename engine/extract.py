"""Extraction of URLs, domains, IPs, phone numbers and messenger IDs from SMS text.

Every extracted item carries a canonical ``value`` that the list lookups use
(hosts via :func:`rules.domains.normalize_domain`, numbers via
:func:`rules.phone.canonical_number`) and its span in the ORIGINAL text.

The text is first folded into a *view* of the same length (full-width ASCII ->
ASCII, upper -> lower case, ``。｡．`` -> ``.``, variant digits ``①❶¹１`` and
runs of 3+ Chinese numerals ``一三八`` / ``壹贰叁`` -> ASCII digits), so offsets in the view are
offsets in the original. Zero-width and other invisible characters are the one
non 1:1 fold: when present they are removed and an offset map is kept. One
combined precompiled regex then finds every candidate in a single pass.

Forms understood:

* URLs with ``http``/``https`` or defanged ``hxxp``/``h**p``, spaces around ``://``
  and around dots, dots written ``[.] (.) [dot] (dot) 点 。``, IDN hosts (with a
  scheme), punycode, IPv4 hosts, ports and paths; ``www.`` hosts without a scheme;
* bare domains whose top-level domain is known (country codes from the number-plan
  metadata, the common generic TLDs, ``xn--`` punycode);
* phones: mobile ``1[3-9]`` + 9 digits, landlines with area code, ``+``/``00``
  international, ``95xxx``/``96xxx``/``400``/``800`` service numbers, with spaces,
  dashes, dots or brackets between digit groups, never carved out of a longer digit run;
* QQ (``QQ 扣扣 企鹅``), WeChat (``微信 VX V信 weixin wx 加V``) and Telegram
  (``TG telegram 飞机 纸飞机 电报``, or a ``t.me/`` link) IDs after their cue words.

>>> [(e.kind, e.value) for e in extract("加VX：abc_123，或致电 138-0013-8000 登录 hxxp://Evil[.]com/x")]
[('wechat', 'abc_123'), ('phone', '8613800138000'), ('url', 'evil.com')]
>>> deconfuse_domain("1cbc.c0m")
'icbc.com'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import product
from typing import Protocol

import numpy as np
import numpy.typing as npt
import phonenumbers

from engine.extract_starts import (
    VIEW_CN,
    VIEW_INVISIBLE,
    ViewTables,
    view_and_starts_one,
    views_and_starts,
)
from engine.kwscan import encode_batch, every_character
from engine.types import record
from engine.utf32 import code_points, text_of
from rules.domains import normalize_domain
from rules.phone import canonical_number, country_code_of

#: Hosts of common URL shorteners; a link through one hides its destination.
SHORTLINK_HOSTS: frozenset[str] = frozenset(
    [
        "t.cn",
        "dwz.cn",
        "url.cn",
        "w.url.cn",
        "suo.im",
        "suo.nz",
        "mrw.so",
        "985.so",
        "u.nu",
        "sohu.gg",
        "c.tb.cn",
        "m.tb.cn",
        "tb.cn",
        "s.jd.com",
        "u.jd.com",
        "3.cn",
        "j.mp",
        "bit.ly",
        "tinyurl.com",
        "goo.gl",
        "t.co",
        "is.gd",
        "ow.ly",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "rb.gy",
        "shorturl.at",
        "tiny.cc",
        "v.gd",
        "t.ly",
        "s.id",
        "lnkd.in",
        "bitly.com",
        "dwz.date",
        "0x3.me",
    ]
)
_GENERIC_TLDS = [
    "com",
    "net",
    "org",
    "info",
    "biz",
    "name",
    "pro",
    "mobi",
    "asia",
    "tel",
    "edu",
    "gov",
    "mil",
    "int",
    "top",
    "xyz",
    "vip",
    "club",
    "shop",
    "site",
    "online",
    "store",
    "tech",
    "app",
    "dev",
    "icu",
    "fun",
    "cyou",
    "work",
    "link",
    "live",
    "life",
    "world",
    "wang",
    "ren",
    "ltd",
    "group",
    "cloud",
    "love",
    "ink",
    "art",
    "pub",
    "red",
    "kim",
    "win",
    "bid",
    "loan",
    "space",
    "website",
    "press",
    "host",
    "fit",
    "run",
    "today",
    "city",
    "center",
    "email",
    "download",
    "date",
    "review",
    "trade",
    "party",
    "science",
    "stream",
    "racing",
    "men",
    "click",
    "help",
    "gdn",
    "lol",
    "best",
    "bar",
    "buzz",
    "cam",
    "rest",
    "monster",
    "sbs",
    "cfd",
    "homes",
    "beauty",
    "hair",
    "skin",
    "quest",
    "makeup",
    "bond",
    "autos",
    "boats",
    "yachts",
    "motorcycles",
    "mom",
    "lat",
    "uno",
    "guru",
    "ltd",
    "plus",
    "games",
    "game",
    "team",
    "money",
    "cash",
    "pay",
    "bet",
    "casino",
    "poker",
    "tube",
    "video",
    "news",
    "blog",
    "media",
    "zone",
    "one",
    "tokyo",
    "ooo",
]
# Country-code TLDs: the number-plan metadata lists every ISO 3166 region; "uk" and
# "eu" are TLDs without being regions there.
_REAL_TLDS = (
    {r.lower() for r in phonenumbers.SUPPORTED_REGIONS} | {"uk", "eu", "su"} | set(_GENERIC_TLDS)
)
# Look-alike spellings of the TLDs fraud links use most (c0m, t0p, v1p, 0rg), so a
# bare "1cbc.c0m" is extracted at all; deconfuse_domain() then reads it as icbc.com.
_LOOKALIKE_TLDS = {
    "".join(chars)
    for tld in ("com", "cn", "net", "org", "top", "vip", "info", "io", "club", "online", "site")
    for chars in product(*[{"o": "o0", "i": "i1", "l": "l1"}.get(c, c) for c in tld])
    if any(c.isalpha() for c in "".join(chars))  # never all digits: 12.10 is a date
} - _REAL_TLDS
_TLDS = sorted(_REAL_TLDS | _LOOKALIKE_TLDS, key=len, reverse=True)


@record
class Extracted:
    """One thing found in a message; offsets are in the original text."""

    kind: str  # "url" | "domain" | "ip" | "phone" | "qq" | "wechat" | "telegram"
    value: str  # canonical host / number / id
    raw: str  # as written
    start: int
    end: int
    shortlink: bool = False  # host is a known URL shortener
    host: str = ""  # for url: the host (== value)


# ---------------------------------------------------------------- the view

_CN_NUMERALS = "零0〇0一1二2三3四4五5六6七7八8九9幺1壹1贰2貳2叁3參3肆4伍5陆6陸6柒7捌8玖9"


def _view_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x80, 0x30000):  # every non-ASCII digit: ❶ ⓵ ¹ ٣ １ 𝟏
        d = unicodedata.digit(chr(cp), None)
        if d is not None:
            table[cp] = str(d)
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[cp] = chr(cp - 0xFEE0).lower()
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp).lower()
    for c in "\u3002\uff61\u2024\ufe52":  # ideographic / half-width / leader / small dots
        table[ord(c)] = "."
    table[0x3000] = " "
    table[0x00A0] = " "
    return table


# Chinese numerals become digits only in runs of 3+ (一三八零...): a lone 陆 in 登陆
# or 一 in 一起 stays a word, or 登陆www.x.com would read as "6www.x.com".
_CN_TABLE = str.maketrans({_CN_NUMERALS[i]: _CN_NUMERALS[i + 1]
                           for i in range(0, len(_CN_NUMERALS), 2)})  # fmt: skip
_CN_CLASS = "".join(_CN_NUMERALS[0::2])
_CN_ANY_RE = re.compile(f"[{_CN_CLASS}]")
_CN_RUN_RE = re.compile(f"[{_CN_CLASS}]{{3,}}")


_VIEW = _view_table()
# A list indexed by code point translates ~3x faster than a dict (no hashing);
# astral characters (𝟏) go through the dict only when the text has any.
_VIEW_BMP: list[int] = list(range(0x10000))
for _cp, _to in _VIEW.items():
    if _cp < 0x10000:
        _VIEW_BMP[_cp] = ord(_to)
_VIEW_ASTRAL = {cp: to for cp, to in _VIEW.items() if cp >= 0x10000}
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)

# ---------------------------------------------------------------- the combined pattern


def _trie_alternation(words: list[str]) -> str:
    """A regex matching exactly ``words`` (non-empty), factored by common prefix.

    The ``re`` engine tries the alternatives of ``a|b|c`` one after another, so a
    flat list of ~300 TLDs cost ~300 steps wherever a host could end; a prefix
    tree costs one step per character. Which word wins among several that match
    at one position is not preserved, so use it only where at most one can match
    (``_TLD``: the look-ahead after it pins the end to the end of the label).

    >>> _trie_alternation(["com", "co", "cn", "net"])
    '(?:c(?:n|o(?:m)?)|net)'
    """
    children: dict[str, list[str]] = {}
    terminal = False
    for word in words:
        if word:
            children.setdefault(word[0], []).append(word[1:])
        else:
            terminal = True
    parts = []
    for first, rests in sorted(children.items()):
        tail = _trie_alternation(rests) if any(rests) else ""
        if tail and "" in rests:
            tail += "?"
        parts.append(re.escape(first) + tail)
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 and not terminal else "(?:" + "|".join(parts) + ")"


_TLD = rf"(?:{_trie_alternation(_TLDS)}|xn--[a-z0-9-]{{2,59}})(?![a-z0-9-])"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_IDN_LABEL = r"[^\W\d_a-z]+"  # a label of non-ASCII letters (例子), only after a scheme
_IDN_TLDS = "中国|中國|公司|网络|網絡|在线|中文网|网址|商城|集团|我爱你"
_DEFANGED_DOT = r"(?:\[\.\]|\(\.\)|\[dot\]|\(dot\)|\{dot\})"
_DOT_TIGHT = rf"(?:\.|{_DEFANGED_DOT}|点)"
_DOT_LOOSE = rf"(?: ?{_DOT_TIGHT} ?)"  # spaces around a dot: only where a scheme or www says URL
_DOT_BARE = rf"(?:\.|点| ?{_DEFANGED_DOT} ?)"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}(?![\d])(?!\.\d)"
_PORT = r"(?::\d{1,5})?"
_PATH = r"(?:[/?#][!#$%&'()*+,\-./0-9:;=?@a-z_~\[\]]*)?"
_SCHEME = r"(?:h(?:tt|xx|\*\*|t t)ps?|ftp) ?\[?:\]? ?/ ?/ ?"
_CUE_SEP = r"[ :=]{0,3}"

# The pattern's alternatives in order, by the group that names them (``lastgroup``
# names the last group of each: see _HOST_OF_PATH).
_ALTERNATIVES = [
    # URL with a scheme: any TLD; an IDN host is all IDN labels (例子.中国) or ASCII
    # labels under an IDN TLD, so "x.com.联系人" stops at ".com"; spaces around dots.
    ("scheme", rf"(?P<scheme>{_SCHEME})(?P<shost>{_IPV4}"
               rf"|(?:{_IDN_LABEL}{_DOT_LOOSE})+(?:{_IDN_LABEL}|[a-z]{{2,24}}(?![a-z0-9-]))"
               rf"|(?:{_LABEL}{_DOT_LOOSE})+(?:[a-z]{{2,24}}(?![a-z0-9-])|xn--[a-z0-9-]{{2,59}}"
               rf"|{_IDN_TLDS}))"
               rf"(?P<spath>{_PORT}{_PATH})"),
    ("www", rf"(?<![a-z0-9@_-])(?<![a-z0-9-]\.)(?P<www>www{_DOT_LOOSE}(?:{_LABEL}{_DOT_LOOSE})*"
            rf"{_TLD})(?P<wpath>{_PORT}{_PATH})"),
    ("ip", rf"(?P<ip>{_IPV4})(?P<ipath>{_PORT}{_PATH})"),  # (?<![\d.]) checked in _handle
    ("bare", rf"(?<![a-z0-9@_-])(?<![a-z0-9-]\.)(?P<bare>(?:{_LABEL}{_DOT_BARE})+{_TLD})"
             rf"(?P<bpath>{_PORT}{_PATH})"),
    ("qq", rf"(?<![a-z])(?:qq|扣扣|企鹅)(?:号码|号)?(?:是|为)?{_CUE_SEP}"
           r"(?P<qq>[1-9](?:[ -]?\d){4,10})(?![\d])"),
    ("wx", rf"(?<![a-z])(?:微信|威信|薇信|徽信|v信|vx|wx|weixin|wechat|加 ?v|\+ ?v)"
           rf"(?:号码|号|id)?(?:是|为)?{_CUE_SEP}"
           r"(?P<wx>[a-z][-_a-z0-9]{5,19}(?![-_a-z0-9])|\+?\d(?:[ -]?\d){6,14}(?!\d))"),
    ("tg", rf"(?<![a-z])(?:telegram|tg|纸飞机|飞机|电报)(?:号|id)?{_CUE_SEP}@?"
           r"(?P<tg>[a-z][a-z0-9_]{4,31})(?![a-z0-9_])"),
    # No (?<!\d): the scan reaches a digit run at its first digit anyway, and a leading
    # look-behind would cost a check at every position.
    ("num", r"(?P<num>(?:\+ ?|00)?\(?\d(?:[ \-.()\u2010-\u2015]{0,2}\d){4,24})(?![\d])"),
]
_PATTERN = re.compile("|".join(regex for _, regex in _ALTERNATIVES))
# The alternatives that can match at a decimal digit (\d): an IPv4 octet, a host label
# ([a-z0-9]) and a phone number; a scheme, www and the cue words start with letters,
# CJK cue words or "+". Most tries are at digit runs (82% on the unmasked corpus), and
# this pattern finds there the same first match as _PATTERN for ~40% of the cost.
_DIGIT_FIRST = ("ip", "bare", "num")
_DIGIT_PATTERN = re.compile("|".join(regex for name, regex in _ALTERNATIVES
                                     if name in _DIGIT_FIRST))
_YI_DASH_RE = re.compile(r"(?<=[0-9\uff10-\uff19])一(?=[0-9\uff10-\uff19])")
_GROUP_SPLIT_RE = re.compile(r"[ \-.()\u2010-\u2015]+")
_TRAILING = ".,;:!?)]'*"
_AMOUNT_AFTER = frozenset("元块万千百%年月日个次倍岁")
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_LANDLINE_RE = re.compile(r"0(?:10|2\d)\d{8}|0[3-9]\d\d\d{7,8}")
_SERVICE_RE = re.compile(r"9[56]\d{3}|[48]00\d{7}")
_DEFANGED_RE = re.compile(r" ?(?:\[\.\]|\(\.\)|\[dot\]|\(dot\)|\{dot\}|点|\.) ?")


def extract(text: str, default_cc: str = "86",
            buf: npt.NDArray[np.uint32] | None = None) -> list[Extracted]:
    """Everything extractable in ``text``, sorted by start, de-duplicated.

    ``buf``: ``text`` as UTF-32 code points, when the caller has them already. The view
    and its candidate offsets come from one kernel call
    (:func:`engine.extract_starts.view_and_starts_one`); :func:`_view_of` is the Python
    reference the tests hold it to.
    """
    if buf is None:
        buf = code_points(text)
    view, origin, offsets = view_and_starts_one(buf, _view_tables())
    return _extract_view(text, view, origin, default_cc, _matches_at(view, offsets))


def extract_many(texts: Sequence[str], default_cc: str = "86") -> list[list[Extracted]]:
    """``[extract(t, default_cc) for t in texts]``, with one kernel call for the batch's
    views and candidate positions (:func:`engine.extract_starts.views_and_starts`).

    >>> [[e.value for e in found] for found in extract_many(["致电 95588", "没有"])]
    [['8695588'], []]
    """
    if not texts:
        return []
    view_buf, view_starts, origin, removed, offsets, bounds = views_and_starts(
        *encode_batch(texts), _view_tables())
    decoded = text_of(view_buf)
    vs, at, b, gaps = view_starts.tolist(), offsets.tolist(), bounds.tolist(), removed.tolist()
    out = []
    for i, text in enumerate(texts):
        view = decoded[vs[i]:vs[i + 1]]
        kept = origin[vs[i]:vs[i + 1]].tolist() if gaps[i] else None
        out.append(_extract_view(text, view, kept, default_cc,
                                 _matches_at(view, at[b[i]:b[i + 1]])))
    return out


@lru_cache(maxsize=1)
def _view_tables() -> ViewTables:
    """The view (``_view_of``) as the arrays of the batch kernel, from the same tables."""
    fold = np.arange(0x30000, dtype=np.int32)  # _VIEW covers code points below 0x30000
    for cp, to in _VIEW.items():
        fold[cp] = ord(to)
    bits = np.zeros(0x110000, dtype=np.uint8)
    numeral = np.zeros(0x10000, dtype=np.int32)
    for c in _CN_CLASS:
        bits[ord(c)] |= VIEW_CN
        numeral[ord(c)] = ord(c.translate(_CN_TABLE))
    for m in _INVISIBLE_RE.finditer(every_character()):
        bits[ord(m.group())] |= VIEW_INVISIBLE
    return ViewTables(fold, bits, numeral)


def warm() -> None:
    """Build the view tables and compile (or load) the batch and one-message kernels."""
    sample = "ｗｗｗ.a.com 一三八\u200b 1一2 +86 138 0013 8000"
    extract_many([sample, ""])
    extract(sample)


def _view_of(text: str) -> tuple[str, list[int] | None]:
    """The view of ``text`` and, when invisible characters were removed, each view
    character's offset in ``text`` (None: offsets are the same)."""
    # 137一5613一2795: 一 between two digits is a dash, not a digit.
    text_for_view = _YI_DASH_RE.sub("-", text) if "一" in text else text
    view = text_for_view.translate(_VIEW_BMP)
    if _ASTRAL_RE.search(view) is not None:
        view = view.translate(_VIEW_ASTRAL)
    if _CN_ANY_RE.search(view) is not None:
        view = _CN_RUN_RE.sub(lambda m: m.group().translate(_CN_TABLE), view)
    origin: list[int] | None = None
    if _INVISIBLE_RE.search(view) is not None:
        keep = [i for i, c in enumerate(view) if not _INVISIBLE_RE.match(c)]
        view = "".join(view[i] for i in keep)
        origin = keep
    return view, origin


def _extract_view(text: str, view: str, origin: list[int] | None, default_cc: str,
                  matches: Iterable[re.Match[str]]) -> list[Extracted]:
    out: list[Extracted] = []
    for m in matches:
        if m.lastgroup is not None:
            _handle(m, text, view, origin, default_cc, out)
    if len(out) > 1:
        seen: set[tuple[str, str, int]] = set()
        unique = []
        for e in sorted(out, key=lambda e: (e.start, e.kind)):
            if (e.kind, e.value, e.start) not in seen:
                seen.add((e.kind, e.value, e.start))
                unique.append(e)
        out = unique
    return out


def _matches_at(view: str, positions: Iterable[int]) -> Iterator[re.Match[str]]:
    """finditer's matches, given a superset of the offsets where a match can start."""
    pos = 0
    match, digit_match = _PATTERN.match, _DIGIT_PATTERN.match
    for p in positions:
        if p < pos:
            continue  # inside the previous match: finditer resumes at its end
        m = digit_match(view, p) if view[p].isdecimal() else match(view, p)
        if m is not None:
            yield m
            pos = m.end()


def _span(origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    if origin is None:
        return start, end
    return origin[start], origin[end - 1] + 1


# The last group of each alternative names it (``Match.lastgroup``): host alternatives
# end with their path group, the others with the item itself.
_HOST_OF_PATH = {"spath": "shost", "wpath": "www", "bpath": "bare"}
_SEPARATORS_RE = re.compile(r"[ -]")


def _handle(
    m: re.Match[str], text: str, view: str, origin: list[int] | None, cc: str,
    out: list[Extracted],
) -> None:  # fmt: skip
    last = m.lastgroup

    def emit(
        kind: str, value: str, vs: int, ve: int, *, host: str = "", short: bool = False
    ) -> None:
        s, e = _span(origin, vs, ve)
        out.append(Extracted(kind, value, text[s:e], s, e, short, host))

    if last == "num":
        _phones(view, m.start("num"), m.end("num"), cc, emit)
    elif last in _HOST_OF_PATH:
        host_group, path_group = _HOST_OF_PATH[last], last
        value = _host_value(m.group(host_group))
        if value is None:
            return
        path = m.group(path_group).rstrip(_TRAILING)
        end = m.end(path_group) - (len(m.group(path_group)) - len(path))
        start = m.start("scheme") if host_group == "shost" else m.start(host_group)
        is_url = host_group != "bare" or bool(path)
        kind = "url" if is_url else "ip" if _is_ipv4(value) else "domain"
        short = value in SHORTLINK_HOSTS or value.removeprefix("www.") in SHORTLINK_HOSTS
        emit(kind, value, start, end, host=value if is_url else "", short=short)
        if value in ("t.me", "telegram.me") and path.startswith("/") and len(path) > 1:
            handle = path[1:].split("/")[0].split("?")[0]
            if re.fullmatch(r"[a-z][a-z0-9_]{4,31}", handle):
                emit(
                    "telegram",
                    handle,
                    m.end(path_group) - len(m.group(path_group)) + 1,
                    m.end(path_group) - len(m.group(path_group)) + 1 + len(handle),
                )
    elif last == "ipath":
        if m.start() > 0 and view[m.start() - 1] in "0123456789.":
            return  # the tail of a longer dotted number (1.2.3.4.5)
        path = m.group("ipath").rstrip(_TRAILING)
        end = m.start("ipath") + len(path)
        kind = "url" if path else "ip"
        emit(kind, m.group("ip"), m.start("ip"), end, host=m.group("ip") if path else "")
    elif last == "qq":
        emit("qq", _SEPARATORS_RE.sub("", m.group("qq")), m.start("qq"), m.end("qq"))
    elif last == "wx":
        wx = m.group("wx")
        numeric = wx[0] in "+0123456789"
        emit("wechat", _SEPARATORS_RE.sub("", wx) if numeric else wx, m.start("wx"), m.end("wx"))
        if numeric:
            _phones(view, m.start("wx"), m.end("wx"), cc, emit)
    elif last == "tg":
        emit("telegram", m.group("tg"), m.start("tg"), m.end("tg"))


def _is_ipv4(host: str) -> bool:
    return re.fullmatch(_IPV4, host) is not None


def _phones(view: str, start: int, end: int, cc: str, emit: _Emit) -> None:
    """Split a digit run at its separators and take the longest phone-shaped groups."""
    before = view[start - 1] if start > 0 else ""
    for value, gs, ge in _phone_spans(view[start:end], before, view[end:end + 1], cc):
        emit("phone", value, start + gs, start + ge)


@lru_cache(maxsize=16_384)
def _phone_spans(run: str, before: str, after: str, cc: str) -> tuple[tuple[str, int, int], ...]:
    """The phones of a digit run: (canonical number, start, end) within ``run``, given the
    characters just before and after it. Memoized: campaigns repeat their numbers (the
    unmasked corpus has ~2 k distinct items among 22 k found).

    Each candidate, consecutive groups ``i..j`` tried longest first, is screened by its
    first character and length (:func:`_may_be_phone`) before its digits are joined
    and classified: most digit runs in SMS are amounts, dates and order numbers, often
    unique to one message, so they miss the memo (2,600 of the 3,800 digit runs in 5,000
    unmasked SMS hold no phone). Over the unmasked corpus's 15,000 runs, uncached, this
    took 2.9 µs a run when every candidate was classified, 1.8 µs with the screen."""
    groups: list[tuple[int, int]] = []  # spans of digit groups (with a leading + / 00)
    pos = 0
    for sep in _GROUP_SPLIT_RE.finditer(run):
        if sep.start() > pos:
            groups.append((pos, sep.start()))
        pos = sep.end()
    if pos < len(run):
        groups.append((pos, len(run)))
    found: list[tuple[str, int, int]] = []
    i = 0
    while i < len(groups):
        first = run[groups[i][0]]
        if first not in _PHONE_FIRST:  # no phone starts with it, whatever follows
            i += 1
            continue
        length = sum(b - a for a, b in groups[i:])  # of groups i..j, j from the last
        for j in range(len(groups) - 1, i - 1, -1):
            if j < len(groups) - 1:
                length -= groups[j + 1][1] - groups[j + 1][0]
            if not _may_be_phone(first, length):
                continue
            gs, ge = groups[i][0], groups[j][1]
            digits = "".join(run[a:b] for a, b in groups[i : j + 1])
            prev = run[gs - 1] if gs > 0 else before
            value = _classify(digits, cc, prev, run[ge] if ge < len(run) else after)
            if value:
                found.append((value, gs, ge))
                i = j + 1
                break
        else:
            i += 1
    return tuple(found)


# What _classify accepts, by a candidate's first character: its possible lengths (with
# the + or 00). Read off its patterns: 86 + mobile (13) and 800 numbers (10); a mobile
# (11); a landline (11-12) or 00 + 8-15 digits (10-17); 95xxx / 96xxx (5); 400 numbers
# (10); + and 8-15 digits (9 and up). Any other first character (2-7, a letter, a
# non-ASCII digit) starts no phone.
_PHONE_LENGTHS: dict[str, range | tuple[int, ...]] = {
    "8": (10, 13), "1": (11,), "0": range(10, 18), "9": (5,), "4": (10,), "+": range(9, 99),
}
_PHONE_FIRST = frozenset(_PHONE_LENGTHS)


def _may_be_phone(first: str, length: int) -> bool:
    """False when :func:`_classify` rejects every candidate of this first character and
    length; a quick screen, so True promises nothing."""
    return length in _PHONE_LENGTHS[first]


@lru_cache(maxsize=16_384)
def _host_value(host_raw: str) -> str | None:
    """The canonical host of a matched host (defanged dots undone), None if it is no
    valid host. Memoized like :func:`_phone_spans`: campaigns repeat their links, and
    the two steps cost ~1.5 µs a URL."""
    try:
        return normalize_domain(_DEFANGED_RE.sub(".", host_raw))
    except ValueError:
        return None


def clear_caches() -> None:
    """Empty the memos of the phones of a digit run (:func:`_phone_spans`) and of
    matched hosts (:func:`_host_value`)."""
    _phone_spans.cache_clear()
    _host_value.cache_clear()


def _classify(digits: str, cc: str, prev: str, nxt: str) -> str:
    """The canonical number if ``digits`` is shaped like a phone number, else ``''``."""
    intl = digits.startswith("+") or (digits.startswith("00") and len(digits) > 9)
    body = digits.lstrip("+")[2 if digits.startswith("00") else 0 :] if intl else digits
    if intl:
        code = country_code_of(body)
        if not code or not 8 <= len(body) <= 15:
            return ""
        if code == "86" and not (
            _MOBILE_RE.fullmatch(body[2:]) or _LANDLINE_RE.fullmatch("0" + body[2:])
        ):
            return ""
    elif (
        (digits.startswith("86") and _MOBILE_RE.fullmatch(digits[2:]))
        or _MOBILE_RE.fullmatch(digits)
        or _LANDLINE_RE.fullmatch(digits)
    ):
        pass
    elif _SERVICE_RE.fullmatch(digits):
        # A bare 95xxx followed by a unit is an amount (95000元), not a hotline.
        if nxt in _AMOUNT_AFTER or prev in ("¥", "$", "￥"):
            return ""
    else:
        return ""
    try:
        return canonical_number(("+" + body) if intl else digits, cc)
    except ValueError:
        return ""


class _Emit(Protocol):  # the signature of the emit closure, for the type checker
    def __call__(self, kind: str, value: str, vs: int, ve: int, *, host: str = "",
                 short: bool = False) -> None: ...  # fmt: skip


# ---------------------------------------------------------------- look-alike hosts

_CONFUSABLE_DIGITS = {"0": ("o",), "1": ("i", "l")}
MAX_READINGS = 8


def deconfuse_domain(host: str) -> str:
    """The host with digit look-alikes read as letters (``0`` -> ``o``, ``1`` -> ``i``),
    in labels that contain a letter (``10086.cn`` and IPs are left alone).

    >>> deconfuse_domain("icbc.c0m"), deconfuse_domain("10086.cn")
    ('icbc.com', '10086.cn')
    """
    return deconfuse_readings(host)[0]


def deconfuse_readings(host: str) -> tuple[str, ...]:
    """Every reading of a look-alike host (``1`` can stand for ``i`` or ``l``), the
    :func:`deconfuse_domain` one first; at most :data:`MAX_READINGS`.

    >>> deconfuse_readings("paypa1.c0m")
    ('paypai.com', 'paypal.com')
    """
    labels = host.split(".")
    slots: list[tuple[int, int]] = []
    for li, label in enumerate(labels):
        if any(c.isalpha() for c in label):
            slots.extend((li, ci) for ci, c in enumerate(label) if c in _CONFUSABLE_DIGITS)
    if not slots:
        return (host,)
    choices = [_CONFUSABLE_DIGITS[labels[li][ci]] for li, ci in slots]
    readings: list[str] = []
    for combo in product(*choices):
        chars = [list(label) for label in labels]
        for (li, ci), letter in zip(slots, combo, strict=True):
            chars[li][ci] = letter
        reading = ".".join("".join(c) for c in chars)
        if reading not in readings:
            readings.append(reading)
        if len(readings) >= MAX_READINGS:
            break
    return tuple(readings)
