"""Call rule kinds: caller-ID spoofing, high-risk origins and velocity (behaviour).

Each kind is one ``[[rule]]`` table with its own id, action or score and
category, so administrators tune every case separately. Importing this module
registers the kinds with the parser (:func:`rules.kinds.register_kind`); the
matchers live in ``engine.calls`` and ``engine.velocity``.

=================================  ===============================================
kind                               fires when
=================================  ===============================================
``spoof_domestic_on_international``  a call on one of ``ingresses`` (default
                                   international) shows a number of the ruleset's
                                   own country
``spoof_service_number``           a caller ID matching ``numbers`` (``95xxx``,
                                   ``110`` ...) arrives on an ingress that is not
                                   one of ``legitimate_ingresses``
``missing_country_prefix``         a call on ``ingresses`` (default international)
                                   shows a caller without ``+`` or ``00``
``invalid_number``                 the caller is invalid in its number plan
                                   (``phonenumbers`` metadata; short service
                                   numbers such as 95588 are valid)
``origin``                         the caller's country code, the originating
                                   network's country or the roaming area is listed
``velocity``                       a caller's (sender's) behaviour over a sliding
                                   window crosses ``threshold`` (engine.velocity)
=================================  ===============================================

Example::

    [[rule]]
    id = "call.spoof.service_number"
    kind = "spoof_service_number"
    action = "block"
    category = "caller_id_spoofing"
    numbers = ["95xxx", "96xxx", "110", "12381"]   # x = any digit; national digits
    legitimate_ingresses = ["domestic", "inter_network"]

    [[rule]]
    id = "call.velocity.distinct_callees"
    kind = "velocity"
    action = "block"
    category = "sim_box"
    metric = "distinct_callees"
    window_seconds = 300
    threshold = 30           # fires when a caller has dialled MORE than 30 numbers
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeGuard

from rules.kinds import KindSpec, ParseContext, Table, register_kind, string_tuple
from rules.model import ActionName, Rule, RuleMeta
from rules.phone import COUNTRY_CODES, fold_number_text

#: Ingress names a rule may list (``engine.types.Ingress`` members, lower case).
INGRESSES = ("unspecified", "domestic", "international", "inter_network", "voip", "roaming")
#: What a velocity rule can measure, and which event feeds it.
VELOCITY_METRICS = ("calls", "distinct_callees", "short_call_share", "sms")
MIN_WINDOW_SECONDS = 10
MAX_WINDOW_SECONDS = 24 * 3600
#: The distinct-callee sketch (linear counting over 128 bits) is accurate to ~10 % up to here.
MAX_DISTINCT_THRESHOLD = 300
MAX_COUNT_THRESHOLD = 60_000  # per-window counters saturate at 65,535 per sub-window
_SERVICE_PATTERN = re.compile(r"^[0-9][0-9xX]{1,15}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_ROAMING = re.compile(r"^[A-Za-z0-9_.:-]{1,32}\*?$")


@dataclass(frozen=True, slots=True)
class SpoofDomesticRule:
    """A domestic caller ID on an ingress where only foreign numbers can arrive."""

    meta: RuleMeta
    ingresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SpoofServiceNumberRule:
    """Official service numbers that only ever arrive on their legitimate ingresses.

    ``patterns`` are national digit patterns, ``x`` standing for any one digit.
    """

    meta: RuleMeta
    patterns: tuple[str, ...]
    legitimate_ingresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MissingCountryPrefixRule:
    """Calls on ``ingresses`` must show the caller with a ``+`` / ``00`` country prefix."""

    meta: RuleMeta
    ingresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InvalidNumberRule:
    """The caller is not a valid number of its number plan (on ``ingresses``; empty: any)."""

    meta: RuleMeta
    ingresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OriginRule:
    """High-risk origins: caller country codes, originating countries, roaming areas.

    ``roaming_areas`` entries ending in ``*`` are prefixes (``"414*"``: every
    visited network of MCC 414).
    """

    meta: RuleMeta
    country_codes: tuple[str, ...]  # canonical digits, e.g. "855"
    countries: tuple[str, ...]  # ISO 3166 alpha-2, upper case
    roaming_areas: tuple[str, ...]  # upper case


@dataclass(frozen=True, slots=True)
class VelocityRule:
    """A behaviour threshold over a sliding window of ``window_seconds``.

    ``calls``, ``distinct_callees`` and ``sms`` fire when the count in the window
    exceeds ``threshold``; ``short_call_share`` fires when more than
    ``threshold`` (a fraction) of at least ``min_calls`` ended calls lasted less
    than ``short_call_seconds``.
    """

    meta: RuleMeta
    metric: str
    window_seconds: int
    threshold: float
    short_call_seconds: int = 30
    min_calls: int = 10


def _ingresses(table: Table, key: str, default: tuple[str, ...], meta: RuleMeta,
               ctx: ParseContext) -> tuple[str, ...] | None:
    if key not in table:
        return default
    names = tuple(n.lower() for n in string_tuple(table, key, meta, ctx))
    unknown = [n for n in names if n not in INGRESSES]
    if unknown:
        ctx.problem(meta, f"unknown ingress(es) {unknown}; use {list(INGRESSES)}", field=key)
        return None
    return names


def _build_spoof_domestic(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    ingresses = _ingresses(table, "ingresses", ("international",), meta, ctx)
    if ingresses is None:
        return None
    if not ingresses:
        ctx.problem(meta, "must name at least one ingress", field="ingresses")
        return None
    return SpoofDomesticRule(meta, ingresses)


def _build_spoof_service(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    patterns = string_tuple(table, "numbers", meta, ctx)
    bad = [p for p in patterns if not _SERVICE_PATTERN.match(p)]
    if bad or not patterns:
        ctx.problem(meta, f"needs national digit patterns such as '95xxx' or '110' "
                    f"(x = any digit), not {bad or patterns}", field="numbers")
        return None
    legit = _ingresses(table, "legitimate_ingresses", ("domestic", "inter_network"), meta, ctx)
    if legit is None:
        return None
    return SpoofServiceNumberRule(meta, tuple(p.lower() for p in patterns), legit)


def _build_missing_prefix(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    ingresses = _ingresses(table, "ingresses", ("international",), meta, ctx)
    if not ingresses:
        if ingresses is not None:
            ctx.problem(meta, "must name at least one ingress", field="ingresses")
        return None
    return MissingCountryPrefixRule(meta, ingresses)


def _build_invalid_number(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    ingresses = _ingresses(table, "ingresses", (), meta, ctx)
    return None if ingresses is None else InvalidNumberRule(meta, ingresses)


def _build_origin(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    codes = tuple(fold_number_text(c).lstrip("+") for c in
                  string_tuple(table, "country_codes", meta, ctx))
    bad_codes = [c for c in codes if c not in COUNTRY_CODES]
    countries = tuple(c.upper() for c in string_tuple(table, "countries", meta, ctx))
    bad_countries = [c for c in countries if not _COUNTRY.match(c)]
    areas = tuple(a.upper() for a in string_tuple(table, "roaming_areas", meta, ctx))
    bad_areas = [a for a in areas if not _ROAMING.match(a)]
    for field, bad, what in (("country_codes", bad_codes, "country calling codes ('+855')"),
                             ("countries", bad_countries, "ISO 3166 alpha-2 codes ('KH')"),
                             ("roaming_areas", bad_areas, "area codes, '*' allowed at the end")):
        if bad:
            ctx.problem(meta, f"{bad} are not {what}", field=field)
            return None
    if not (codes or countries or areas):
        ctx.problem(meta, "needs country_codes, countries or roaming_areas", field="country_codes")
        return None
    return OriginRule(meta, codes, countries, areas)


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _build_velocity(table: Table, meta: RuleMeta, ctx: ParseContext) -> Rule | None:
    metric = table.get("metric")
    if metric not in VELOCITY_METRICS:
        ctx.problem(meta, f"unknown metric {metric!r}; use one of {list(VELOCITY_METRICS)}",
                    field="metric")
        return None
    window = table.get("window_seconds")
    if not _whole(window) or not MIN_WINDOW_SECONDS <= window <= MAX_WINDOW_SECONDS:
        ctx.problem(meta, f"must be a whole number of seconds from {MIN_WINDOW_SECONDS} to "
                    f"{MAX_WINDOW_SECONDS}, not {window!r}", field="window_seconds")
        return None
    threshold = _threshold(metric, table.get("threshold"))
    if isinstance(threshold, str):
        ctx.problem(meta, threshold, field="threshold")
        return None
    extra = {k: table[k] for k in ("short_call_seconds", "min_calls") if k in table}
    if extra and metric != "short_call_share":
        ctx.problem(meta, "only applies to metric 'short_call_share'", field=sorted(extra)[0])
        return None
    short = table.get("short_call_seconds", 30)
    min_calls = table.get("min_calls", 10)
    if not _whole(short) or not 1 <= short <= 3600:
        ctx.problem(meta, f"must be a whole number from 1 to 3600, not {short!r}",
                    field="short_call_seconds")
        return None
    if not _whole(min_calls) or not 1 <= min_calls <= MAX_COUNT_THRESHOLD:
        ctx.problem(meta, f"must be a whole number from 1 to {MAX_COUNT_THRESHOLD}, "
                    f"not {min_calls!r}", field="min_calls")
        return None
    return VelocityRule(meta, metric, window, threshold, short, min_calls)


def _threshold(metric: str, value: object) -> float | str:
    """The threshold as a number, or the problem with it."""
    if metric == "short_call_share":
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1:
            return float(value)
        return f"must be a fraction between 0 and 1 (0.7 = 70 %), not {value!r}"
    top = MAX_DISTINCT_THRESHOLD if metric == "distinct_callees" else MAX_COUNT_THRESHOLD
    if _whole(value) and 1 <= value <= top:
        return float(value)
    return f"must be a whole number from 1 to {top}, not {value!r}"


_NO_ALLOW: tuple[ActionName, ...] = ("block", "flag", "score")
for _spec in (
    KindSpec("spoof_domestic_on_international", frozenset({"ingresses"}), _NO_ALLOW,
             _build_spoof_domestic),
    KindSpec("spoof_service_number", frozenset({"numbers", "legitimate_ingresses"}), _NO_ALLOW,
             _build_spoof_service, frozenset({"numbers"})),
    KindSpec("missing_country_prefix", frozenset({"ingresses"}), _NO_ALLOW,
             _build_missing_prefix),
    KindSpec("invalid_number", frozenset({"ingresses"}), _NO_ALLOW, _build_invalid_number),
    KindSpec("origin", frozenset({"country_codes", "countries", "roaming_areas"}), _NO_ALLOW,
             _build_origin),
    KindSpec("velocity", frozenset({"metric", "window_seconds", "threshold",
                                    "short_call_seconds", "min_calls"}), _NO_ALLOW,
             _build_velocity, frozenset({"metric", "window_seconds", "threshold"})),
):
    register_kind(_spec)
