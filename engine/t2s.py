"""OpenCC's traditional -> simplified conversion (``t2s``), exactly, in one numba kernel.

Why: OpenCC's C++ converter takes ~3 µs on a short text while its code and tables are
in the CPU caches, but a serving process touches it only for the texts that hold a
traditional character, so it runs cold: 20-40 µs a text on the 2-core development
machine, in a decision that costs ~20 µs in all. Every SMS of a Hong Kong, Macau or
Taiwan carrier is written in traditional characters. This kernel converts the same
texts in 10-20 µs in the same conditions (1-2 µs in cache).

How: the tables are the dictionaries the installed OpenCC ships, read from their
``.ocd2`` files (a marisa trie of the keys, then the values in key-id order), in the
order its ``t2s.json`` names them: a normalization dictionary (compatibility
ideographs), then one group ``TSPhrases``, ``TSCharactersExt``, ``TSCharacters``. The
conversion is OpenCC's: left to right, the longest phrase that starts at the
position (keys compared after normalization), else the character alone, through the
first dictionary of the group that has it; the first value of an entry.

Exactness is checked, not assumed: :func:`load` converts every key of every
dictionary both ways and refuses the tables (returns None: callers keep OpenCC) on
any difference, on a configuration of another shape, or on a dictionary it cannot
read. ``tests/test_t2s.py`` compares the two on generated text built from the keys.

>>> converter = load()
>>> converter is None or converter.convert("這個乾淨的電話") == "这个干净的电话"
True
"""

from __future__ import annotations

import json
import logging
import struct
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt
import opencc
from numba import njit

from engine.utf32 import code_points, text_of

try:  # a declared dependency; without it OpenCC itself converts (see load)
    import marisa_trie
except ImportError:  # pragma: no cover - the test environment has it
    marisa_trie = None

log = logging.getLogger(__name__)

U32 = npt.NDArray[np.uint32]
I32 = npt.NDArray[np.int32]
OCD2_HEADER = b"OPENCC_MARISA_0.2.5"
#: The dictionary group t2s.json is expected to name, in this order.
GROUP = ("TSPhrases.ocd2", "TSCharactersExt.ocd2", "TSCharacters.ocd2")
_SURROGATES = -1  # the kernel's answer for text OpenCC cannot take (lone surrogates)


class TablesRefused(ValueError):
    """The installed OpenCC's dictionaries are not of the shape this module emulates."""


def share_dir() -> Path:
    """Where the ``opencc`` package keeps its configurations and dictionaries."""
    return Path(opencc.__file__).parent / "clib" / "share" / "opencc"


def read_ocd2(path: Path) -> dict[str, list[str]]:
    """Every key of an OpenCC ``.ocd2`` dictionary and its values, in OpenCC's order.

    The file is the header, a marisa trie of the keys, the number of entries and the
    byte length of the value pool (uint32 each), the pool (NUL-terminated UTF-8
    values), then per entry its number of values (uint16) and each value's byte
    length with its NUL (uint16). Entry ``i`` belongs to the trie's key id ``i``.
    """
    if marisa_trie is None:
        raise TablesRefused("the marisa-trie package is not installed")
    data = path.read_bytes()
    if not data.startswith(OCD2_HEADER):
        raise TablesRefused(f"{path}: not an OpenCC marisa dictionary (header)")
    body = data[len(OCD2_HEADER):]
    trie = marisa_trie.Trie()
    try:
        trie.frombytes(body)
        pos = len(trie.tobytes())
        entries, pool_bytes = struct.unpack_from("<II", body, pos)
        pos += 8
        pool, pos = body[pos:pos + pool_bytes], pos + pool_bytes
        values: list[list[str]] = []
        cursor = 0
        for _ in range(entries):
            (count,) = struct.unpack_from("<H", body, pos)
            sizes = struct.unpack_from(f"<{count}H", body, pos + 2)
            pos += 2 + 2 * count
            entry = []
            for size in sizes:
                entry.append(pool[cursor:cursor + size - 1].decode("utf-8"))
                cursor += size
            values.append(entry)
    except (struct.error, UnicodeDecodeError, RuntimeError) as exc:
        raise TablesRefused(f"{path}: unreadable ({exc})") from None
    if pos != len(body) or cursor != pool_bytes or len(trie) != entries:
        raise TablesRefused(f"{path}: {len(body) - pos} bytes left over or counts differ")
    return {key: values[key_id] for key, key_id in trie.items()}


@dataclass(frozen=True)
class Tables:
    """The dictionaries as arrays for the kernel, paired up so that a call passes four
    arrays, not eight (numba's dispatch costs ~0.12 µs an array argument). Code points
    at or above ``limit`` appear in no key: they map to themselves, no table read."""

    limit: int
    maps: U32  # row 0: code point -> its normalization; row 1: normalized -> character value
    phrase_index: I32  # per normalized code point: row 0 first phrase (longest first), row 1 count
    key_starts: I32  # phrase i's code points: phrase_points[:, key_starts[i]:key_starts[i + 1]]
    phrase_points: U32  # row 0 the keys, row 1 the values (every value is as long as its key)

    @classmethod
    def build(cls, normalization: dict[str, str], characters: dict[str, str],
              phrases: dict[str, str]) -> Tables:
        if any(len(k) != 1 or len(v) != 1 for d in (normalization, characters)
               for k, v in d.items()):
            raise TablesRefused("a character dictionary has a key or value that is not "
                                "one character")
        if any(len(k) < 2 or len(v) != len(k) for k, v in phrases.items()):
            raise TablesRefused("a phrase is shorter than two characters or changes length")
        every = [*normalization, *normalization.values(), *characters, *phrases]
        limit = max(ord(c) for key in every for c in key) + 1
        maps = np.tile(np.arange(limit, dtype=np.uint32), (2, 1))
        for row, mapping in enumerate((normalization, characters)):
            for key, value in mapping.items():
                maps[row, ord(key)] = ord(value)
        index = np.zeros((2, limit), np.int32)
        ordered = sorted(phrases, key=lambda k: (k[0], -len(k)))  # longest first
        starts = [0]
        for i, key in enumerate(ordered):
            if not index[1, ord(key[0])]:
                index[0, ord(key[0])] = i
            index[1, ord(key[0])] += 1
            starts.append(starts[-1] + len(key))
        points = np.array([[ord(c) for k in ordered for c in k],
                           [ord(c) for k in ordered for c in phrases[k]]], dtype=np.uint32)
        return cls(limit, maps, index, np.array(starts, dtype=np.int32), points)


@njit(cache=True, nogil=True)
def _convert(buf, out, limit, maps, phrase_index, key_starts, phrase_points):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Convert ``buf`` into ``out`` (same length): 1 if anything changed, 0 if not,
    _SURROGATES if ``buf`` holds a surrogate code point (OpenCC refuses such text)."""
    n = buf.shape[0]
    for j in range(n):
        if 0xD800 <= buf[j] <= 0xDFFF:
            return _SURROGATES
    changed = 0
    i = 0
    while i < n:
        c = maps[0, buf[i]] if buf[i] < limit else buf[i]
        matched = 0
        if c < limit and phrase_index[1, c]:
            for k in range(phrase_index[0, c], phrase_index[0, c] + phrase_index[1, c]):
                a, b = key_starts[k], key_starts[k + 1]
                if i + b - a > n:
                    continue
                same = True
                for j in range(1, b - a):
                    p = buf[i + j]
                    if (maps[0, p] if p < limit else p) != phrase_points[0, a + j]:
                        same = False
                        break
                if same:
                    for j in range(b - a):
                        out[i + j] = phrase_points[1, a + j]
                    matched = b - a
                    break
        if matched:
            changed = 1
            i += matched
            continue
        o = maps[1, c] if c < limit else c
        out[i] = o
        if o != buf[i]:
            changed = 1
        i += 1
    return changed


class T2SConverter:
    """``convert(text)`` as ``opencc.OpenCC("t2s").convert(text)`` returns it."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def phrase_keys(self) -> list[str]:
        """Every phrase key, sorted by first character (longest first among equals)."""
        t = self.tables
        points, starts = t.phrase_points[0], t.key_starts.tolist()
        text = text_of(points)
        return [text[a:b] for a, b in pairwise(starts)]

    def convert(self, text: str) -> str:
        """The simplified text; ``ValueError`` for text holding a lone surrogate (where
        OpenCC raises ``UnicodeEncodeError``)."""
        buf = code_points(text)
        out = np.empty_like(buf)
        t = self.tables
        changed = _convert(buf, out, t.limit, t.maps, t.phrase_index, t.key_starts,
                           t.phrase_points)
        if changed == _SURROGATES:
            raise ValueError("text holds a lone surrogate")
        return text_of(out) if changed else text


def load_from(share: Path) -> T2SConverter:
    """The converter for the t2s dictionaries in ``share``, checked key by key against
    OpenCC itself; ``TablesRefused`` says why it cannot be used."""
    try:
        config = json.loads((share / "t2s.json").read_text(encoding="utf-8"))
        normalization = config.get("normalization", [])
        chain = config["conversion_chain"]
        norm_files = [step["dict"]["file"] for step in normalization]
        group = chain[0]["dict"]
        files = tuple(d["file"] for d in group["dicts"])
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise TablesRefused(f"{share / 't2s.json'}: {exc!r}") from None
    if len(chain) != 1 or group.get("type") != "group" or files != GROUP or len(norm_files) > 1:
        raise TablesRefused(f"t2s.json has another shape than {GROUP} after one "
                            f"normalization dictionary: {files}, {norm_files}")
    phrases, ext, chars = (read_ocd2(share / name) for name in GROUP)
    norm = read_ocd2(share / norm_files[0]) if norm_files else {}
    characters = {k: v[0] for k, v in chars.items()} | {k: v[0] for k, v in ext.items()}
    converter = T2SConverter(Tables.build({k: v[0] for k, v in norm.items()}, characters,
                                          {k: v[0] for k, v in phrases.items()}))
    reference = opencc.OpenCC("t2s")
    for key in (*norm, *ext, *chars, *phrases):
        if converter.convert(key) != reference.convert(key):
            raise TablesRefused(f"{key!r} converts to {converter.convert(key)!r}, OpenCC "
                                f"says {reference.convert(key)!r}")
    return converter


@lru_cache(maxsize=1)
def load() -> T2SConverter | None:
    """The converter for the installed OpenCC (loaded and checked once, ~0.3 s), or None
    (logged) when its dictionaries cannot be emulated: callers then use OpenCC."""
    try:
        return load_from(share_dir())
    except (TablesRefused, OSError) as exc:
        log.warning("t2s: using OpenCC itself, its dictionaries cannot be emulated: %s", exc)
        return None
