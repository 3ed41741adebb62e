"""Benchmark data: the real corpora when a data directory is available, else generated data.

The data directory (a copy of ``/work/shared/data``, see its README) is resolved from
the ``INTERCEPTOR_DATA`` environment variable or the ``--data`` pytest option
(``bench/conftest.py`` calls :func:`set_data_dir`).  Without it every loader
falls back to realistic synthetic data, so benchmarks run on a fresh clone.

>>> len(load_keywords(100)) == 100 and len(load_sms_zh(10)) == 10
True
"""

from __future__ import annotations

import csv
import os
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import opencc

__all__ = ["DATA_DIR", "data_dir", "load_domains", "load_keywords", "load_numbers",
           "load_sms_zh", "load_sms_zh_traditional", "load_sms_zh_unmasked", "set_data_dir",
           "source"]

#: Data directory from ``INTERCEPTOR_DATA`` at import time (None: generated data).
DATA_DIR: Path | None = Path(os.environ["INTERCEPTOR_DATA"]) if os.environ.get(
    "INTERCEPTOR_DATA") else None

_KEYWORDS = "keywords-zh/sensitive_lexicon_tencent.txt"
_SMS_CSV = "sms-zh/spam80w_subset_40k.csv"
_SMS_TSV = "sms-zh/spam_messages_lr_train.tsv"
_DOMAINS = ("domains/blocklistproject_phishing.txt", "domains/blocklistproject_scam.txt",
            "domains/sensitive_lexicon_illegal_sites.txt")
_NUMBERS = "numbers/ftc_dnc_complaints_90days.csv"

# Common CJK characters (frequency-ordered prefix of the unified block is not
# frequency ordered, so draw from a fixed pool with a Zipf-like weighting).
_CJK_POOL = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]


def set_data_dir(path: str | os.PathLike[str] | None) -> None:
    """Point the loaders at a data directory (or back to generated data with None)."""
    global DATA_DIR
    DATA_DIR = Path(path) if path else None
    for f in (_real_keywords, _real_sms, _real_sms_unmasked, _real_domains, _real_numbers):
        f.cache_clear()


def data_dir() -> Path | None:
    """The data directory in use, if it exists."""
    return DATA_DIR if DATA_DIR is not None and DATA_DIR.is_dir() else None


def source() -> str:
    """``'real:<dir>'`` or ``'generated'``, for benchmark reports."""
    d = data_dir()
    return f"real:{d}" if d else "generated"


def _file(rel: str) -> Path | None:
    d = data_dir()
    if d is None:
        return None
    p = d / rel
    return p if p.is_file() else None


def _take(items: list[str], n: int | None) -> list[str]:
    if n is None or n <= len(items):
        return items[:n] if n is not None else list(items)
    # Asked for more than the corpus holds: cycle it (benchmarks want volume).
    return [items[i % len(items)] for i in range(n)]


# ------------------------------------------------------------------ keywords

@lru_cache(maxsize=1)
def _real_keywords() -> list[str] | None:
    p = _file(_KEYWORDS)
    if p is None:
        return None
    seen: dict[str, None] = {}
    for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
        w = line.strip().lower()
        if w:
            seen.setdefault(w, None)
    return list(seen)


def _zipf_char(rng: random.Random) -> str:
    # Index ~ Zipf over the pool: a few hundred characters dominate, like real text.
    i = int(len(_CJK_POOL) * rng.random() ** 3)
    return _CJK_POOL[i]


def generated_keywords(n: int, seed: int = 1) -> list[str]:
    """``n`` unique CJK words of 2-4 characters (some with ASCII), Zipf-weighted chars."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        w = "".join(_zipf_char(rng) for _ in range(rng.choice([2, 2, 2, 3, 3, 4])))
        if rng.random() < 0.05:
            w += rng.choice(["qq", "vx", "app", "58"])
        out.setdefault(w, None)
    return list(out)


def load_keywords(n: int | None = None) -> list[str]:
    """Real Chinese filter words (unique, lower-cased) or generated ones; ``n`` caps the count."""
    real = _real_keywords()
    if real is not None:
        return real[:n] if n is not None else list(real)
    return generated_keywords(n if n is not None else 50_000)


# ------------------------------------------------------------------ SMS

@lru_cache(maxsize=1)
def _real_sms() -> list[str] | None:
    out: list[str] = []
    p = _file(_SMS_CSV)
    if p is not None:
        with p.open(encoding="utf-8", errors="replace", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            out.extend(row[1] for row in reader if len(row) >= 2)
    out.extend(_real_sms_unmasked() or ())
    return out or None


def generated_sms(n: int, seed: int = 2) -> list[str]:
    """Chinese-looking messages of 10-120 characters with digits, URLs and some keywords."""
    rng = random.Random(seed)
    words = generated_keywords(2000, seed=seed + 1)
    out = []
    for _ in range(n):
        parts: list[str] = []
        for _ in range(rng.randrange(10, 120)):
            r = rng.random()
            if r < 0.03:
                parts.append(rng.choice(words))
            elif r < 0.06:
                parts.append(str(rng.randrange(10, 99999)))
            elif r < 0.08:
                parts.append(rng.choice(["，", "。", "！", " ", "【", "】"]))
            else:
                parts.append(_zipf_char(rng))
        if rng.random() < 0.1:
            parts.append(f" http://t{rng.randrange(999)}.cn/{rng.randrange(10**6)}")
        out.append("".join(parts))
    return out


def load_sms_zh(n: int | None = None) -> list[str]:
    """Real Chinese SMS (40 k from the CSV then 10.9 k from the TSV) or generated ones."""
    real = _real_sms()
    if real is not None:
        return _take(real, n)
    return generated_sms(n if n is not None else 50_000)


def load_sms_zh_unmasked(n: int | None = None) -> list[str]:
    """Real Chinese SMS whose URLs and phone numbers are NOT masked (the TSV corpus:
    ~30% carry a URL or domain, ~9% a mobile number), or generated ones. The CSV
    corpus masks every digit as ``x``, so on it extraction almost never runs."""
    real = _real_sms_unmasked()
    if real is not None:
        return _take(real, n)
    return generated_sms(n if n is not None else 10_000, seed=5)


def load_sms_zh_traditional(n: int | None = None) -> list[str]:
    """:func:`load_sms_zh` written in traditional characters (OpenCC's ``s2t``): the
    traffic of a Hong Kong, Macau or Taiwan carrier, where every message takes the
    traditional-character paths that are rare in mainland traffic."""
    s2t = opencc.OpenCC("s2t")
    return [s2t.convert(text) for text in load_sms_zh(n)]


@lru_cache(maxsize=1)
def _real_sms_unmasked() -> list[str] | None:
    p = _file(_SMS_TSV)
    if p is None:
        return None
    lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
    return [text for _label, sep, text in (line.partition("\t") for line in lines) if sep] or None


# ------------------------------------------------------------------ domains

@lru_cache(maxsize=1)
def _real_domains() -> list[str] | None:
    seen: dict[str, None] = {}
    for rel in _DOMAINS:
        p = _file(rel)
        if p is None:
            continue
        for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
            d = line.strip().lower()
            if d and not d.startswith("#"):
                seen.setdefault(d, None)
    return list(seen) or None


def generated_domains(n: int, seed: int = 3) -> list[str]:
    """Unique random-looking domains (``xk3-pay.example-shop.cn`` style)."""
    rng = random.Random(seed)
    tlds = ["com", "cn", "net", "top", "xyz", "com.cn", "info", "vip"]
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    out: dict[str, None] = {}
    while len(out) < n:
        labels = ["".join(rng.choice(letters) for _ in range(rng.randrange(3, 12)))
                  for _ in range(rng.choice([1, 1, 2, 3]))]
        out.setdefault(".".join([*labels, rng.choice(tlds)]), None)
    return list(out)


def load_domains(n: int | None = None) -> list[str]:
    """Real phishing/scam domains (unique) or generated ones."""
    real = _real_domains()
    if real is not None and (n is None or n <= len(real)):
        return real[:n] if n is not None else list(real)
    if real is not None and n is not None:  # top up with generated ones
        extra = [d for d in generated_domains(n - len(real) + 1000) if d not in set(real)]
        return (real + extra)[:n]
    return generated_domains(n if n is not None else 200_000)


# ------------------------------------------------------------------ numbers

@lru_cache(maxsize=1)
def _real_numbers() -> npt.NDArray[np.int64] | None:
    p = _file(_NUMBERS)
    if p is None:
        return None
    vals: list[int] = []
    for line in p.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
        s = line.strip()
        if s.isdigit() and not s.startswith("0") and 7 <= len(s) <= 15:
            vals.append(int("1" + s))  # US numbers: canonical E.164 digits have cc 1
    return np.unique(np.array(vals, dtype=np.int64))


def generated_numbers(n: int, seed: int = 4) -> npt.NDArray[np.int64]:
    """``n`` unique Chinese mobile number keys (86 + 1[3-9]x + 8 digits), shuffled."""
    rng = np.random.default_rng(seed)
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        more = 8613000000000 + rng.integers(0, 7 * 10**11, size=int((n - out.size) * 1.05) + 16)
        out = np.unique(np.concatenate([out, more]))
    rng.shuffle(out)
    return out[:n]


def load_numbers(n: int | None = None) -> npt.NDArray[np.int64]:
    """Unique number keys: the real FTC list (cc 1), topped up with generated CN mobiles."""
    real = _real_numbers()
    if real is None:
        return generated_numbers(n if n is not None else 1_000_000)
    if n is None or n <= real.size:
        return real[:n].copy() if n is not None else real.copy()
    extra = generated_numbers(n - real.size + 1000)
    extra = extra[~np.isin(extra, real)]
    return np.concatenate([real, extra[: n - real.size]])


@dataclass(frozen=True)
class Corpus:
    """The messages and filter words a text benchmark runs over, and where they came from."""

    msgs: list[str]
    terms: list[str]
    source: str


def corpus() -> Corpus:
    """Every SMS and every filter word: real with ``--data``, generated otherwise."""
    return Corpus(load_sms_zh(), load_keywords(), source())
