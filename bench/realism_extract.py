"""Realism check: the extractor against a simple reference regex on real Chinese SMS.

Usage::

    .venv/bin/python bench/realism_extract.py [../shared/data/sms-zh/spam_messages_lr_train.tsv]

For every message, the hosts and mobile numbers found by ``engine.extract`` are
compared with a plain regex pass (``https?://...``, ``www.``/bare ``name.tld``,
``1[3-9]`` + 9 digits not inside a longer digit run). Every disagreement is put
in a class with a reason; the classes and their explanation are in
``docs/normalization.md``. Exit status 1 if a disagreement falls in no class.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from engine.extract import extract

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/sms-zh/spam_messages_lr_train.tsv"
REF_URL = re.compile(r"https?://([A-Za-z0-9.-]+)")
REF_DOMAIN = re.compile(
    r"(?<![A-Za-z0-9.@-])((?:[A-Za-z0-9-]+\.)+(?:com|cn|net|org|cc|top|xyz|vip|info|me|co|tv|hk))"
    r"(?![A-Za-z0-9-])"
)
REF_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9]{9})(?![0-9])")


def load(path: Path) -> list[str]:
    rows = path.read_text(encoding="utf-8").splitlines()
    return [r.split("\t", 1)[1] for r in rows if "\t" in r]


def reference(text: str) -> tuple[set[str], set[str]]:
    hosts = {h.lower().rstrip(".") for h in REF_URL.findall(text)}
    hosts |= {h.lower() for h in REF_DOMAIN.findall(text)}
    phones = {"86" + p for p in REF_MOBILE.findall(text)}
    return hosts, phones


def classify_host(host: str, text: str, ours: bool) -> str:
    """Why the two passes disagree on ``host`` (found by ours xor by the reference)."""
    if ours:
        if re.search(r"[\uff0e\u3002\uff61]|[\uff21-\uff5a]", text):
            return "ours: full-width or ideographic dot / letters"
        if host not in text and host in text.lower():
            return "ours: upper-case host (the reference regex is case-sensitive)"
        if re.search(r"\d+\.\d+\.\d+\.\d+", host):
            return "ours: IP literal"
        if any(host.endswith("." + t) for t in ("com", "cn", "net", "org", "cc", "top")):
            return "ours: host the reference regex cut short (digits / hyphen / port)"
        return "ours: TLD outside the reference's short list"
    if any(h != host and host in h for h in hosts_of(text)):
        return "reference: cut a longer host short (x.com.tw, x.com.cn)"
    if re.search(rf"[a-z0-9]{re.escape(host)}", text, re.I):
        return "reference: started inside a longer name (2www.x.com, x.www.y.com)"
    if not re.search(r"[a-z]", host.split(".")[-1]):
        return "reference: numeric 'TLD' (amount or version)"
    if "@" in text and re.search(rf"@{re.escape(host)}", text, re.I):
        return "reference: e-mail domain (not a link)"
    return "reference: other"


def hosts_of(text: str) -> set[str]:
    return {e.value for e in extract(text) if e.kind in ("url", "domain", "ip")}


def classify_phone(number: str, text: str, ours: bool) -> str:
    local = number[2:]
    if ours:
        if re.search(rf"(?:\+|00)86[ -]?{local}|(?<!\d)86{local}", text):
            return "ours: +86 / 0086 / 86 prefix"
        if re.search(r"[\uff10-\uff19]", text):
            return "ours: full-width digits"
        if re.search(r"[零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖]", text) and local not in text:
            return "ours: Chinese numerals or 一 used as a dash"
        if local not in text:
            return "ours: separators between digit groups"
        return "ours: other"
    if re.search(rf"[a-z=/]{local}|{local}[a-z]", text, re.I) or any(
        local in u for u in re.findall(r"https?://\S+", text)
    ):
        return "reference: digits inside a URL or an ID"
    return "reference: other"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    if not path.exists():
        print(f"no data at {path}; pass the path of spam_messages_lr_train.tsv")
        return 2
    messages = load(path)
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    agree_hosts = agree_phones = 0
    for text in messages:
        items = extract(text)
        ours_hosts = {e.value for e in items if e.kind in ("url", "domain", "ip")}
        ours_phones = {e.value for e in items if e.kind == "phone" and e.value.startswith("861")
                       and len(e.value) == 13}  # fmt: skip
        ref_hosts, ref_phones = reference(text)
        agree_hosts += len(ours_hosts & ref_hosts)
        agree_phones += len(ours_phones & ref_phones)
        for h in ours_hosts ^ ref_hosts:
            c = "host " + classify_host(h, text, h in ours_hosts)
            counts[c] += 1
            examples.setdefault(c, []).append(f"{h}  <=  {text[:90]}")
        for p in ours_phones ^ ref_phones:
            c = "phone " + classify_phone(p, text, p in ours_phones)
            counts[c] += 1
            examples.setdefault(c, []).append(f"{p}  <=  {text[:90]}")
    print(f"{len(messages)} messages; agreed hosts {agree_hosts}, agreed mobiles {agree_phones}")
    for c, n in counts.most_common():
        print(f"{n:6d}  {c}")
        for ex in examples[c][:3]:
            print(f"          e.g. {ex}")
    return 1 if any(c.endswith("other") for c in counts) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
