"""Canonical domain names.

Domains in lists and hosts extracted from SMS text are compared in one form:
lower case, IDNA (punycode) ASCII, no trailing dot. A listed domain covers its
subdomains (suffix matching on whole labels), so ``normalize_domain`` keeps the
labels intact and :func:`parent_domains` walks them.

>>> normalize_domain("WWW.Example.COM.")
'www.example.com'
>>> normalize_domain("例子.测试")
'xn--fsqu00a.xn--0zwm56d'
>>> list(parent_domains("a.b.example.com"))
['a.b.example.com', 'b.example.com', 'example.com', 'com']
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# A whole valid ASCII host in one match: the fast path for list files of millions of lines.
_HOST = re.compile(r"(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)*(?!-)[a-z0-9_-]{1,63}(?<!-)")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
MAX_DOMAIN_LENGTH = 253


def plain_host_pattern() -> re.Pattern[str]:
    """The regex a lower-case ASCII host that needs no further work matches whole."""
    return _HOST


def normalize_domain(raw: str) -> str:
    """Return the canonical form of a host name or raise ``ValueError`` saying why."""
    host = raw.strip().lower()
    if _HOST.fullmatch(host) and len(host) <= MAX_DOMAIN_LENGTH:
        return host
    host = host.translate(_DOTS).rstrip(".")
    if not host:
        raise ValueError("is empty")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"{raw!r} is not a valid internationalised domain: {exc}") from None
    if len(host) > MAX_DOMAIN_LENGTH:
        raise ValueError(f"{raw!r} is longer than {MAX_DOMAIN_LENGTH} characters")
    for label in host.split("."):
        if not _LABEL.match(label):
            raise ValueError(f"{raw!r} has an invalid label {label!r}")
    return host


def parent_domains(host: str) -> Iterator[str]:
    """Yield ``host`` and each parent domain, most specific first."""
    yield host
    start = host.find(".")
    while start != -1:
        yield host[start + 1 :]
        start = host.find(".", start + 1)
