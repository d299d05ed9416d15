"""The rules a typed row must keep, as SQL checks: types and presence, event types and
ratings, plausible dates, ids without control characters.

Each check is a condition on the typed ``__t_<name>`` columns and a reason written in SQL,
so that the clean path tests every rule in one pass and bad rows get a message each.
"""

from __future__ import annotations

from datetime import date

from tailorwise.columns import Columns as C
from tailorwise.columns import EventType, Table
from tailorwise.ingest.formats.base import DEFAULT_RATING_RANGE, Check, IngestOptions
from tailorwise.schema import Kind, TableSchema
from tailorwise.store.sql import quote

KIND_WORDS = {
    Kind.timestamp: "a date-time (ISO 8601 or epoch seconds)",
    Kind.double: "a number",
    Kind.integer: "a whole number",
    Kind.boolean: "true/false",
    Kind.json: "JSON",
    Kind.string_list: "a list",
    Kind.string: "text",
}
# Times of things that happen in the shop (events, exposures, campaigns) must lie in
# IngestOptions' range; other dates (a film's release, a sign-up) in this wider one.
SHOP_TIMES = {C.timestamp, C.exposed_at, "started_at", "ended_at"}
OTHER_DATES = (date(1800, 1, 1), date(2100, 1, 1))
# Identifier columns: a control character (a NUL byte, a newline) in one is a broken file.
ID_COLUMNS = (C.user, C.item, C.session, C.campaign, C.treatment, C.channel)


def shown(col: str) -> str:
    """SQL for a raw value as it is shown in a message: quoted and cut short."""
    return f"left(to_json(CAST({quote(col)} AS VARCHAR))::VARCHAR, 60)"


def present(col: str, raw_type: str) -> str:
    if raw_type == "VARCHAR":
        return f"NULLIF(trim({quote(col)}), '') IS NOT NULL"
    return f"{quote(col)} IS NOT NULL"


def field_checks(schema: TableSchema, raw_types: dict[str, str]) -> list[Check]:
    """Type and presence checks, written so the common (good) row costs little.

    Conditions test the typed value first; the raw text is looked at only
    where the typed value is NULL, which is rare outside optional columns.
    """
    checks: list[Check] = []
    for f in schema.fields:
        raw = raw_types.get(f.name)
        if raw is None:
            continue
        t = quote(f"__t_{f.name}")
        unreadable = f"'cannot read ' || {shown(f.name)} || ' as {KIND_WORDS[f.kind]}'"
        missing = f"'missing {f.name}'"
        if f.required and f.kind == Kind.string:
            checks.append(Check(f.name, f"{t} IS NULL", missing))
        elif f.required:
            reason = f"CASE WHEN {present(f.name, raw)} THEN {unreadable} ELSE {missing} END"
            checks.append(Check(f.name, f"{t} IS NULL", reason))
        elif f.kind != Kind.string:
            cond = f"{t} IS NULL AND {quote(f.name)} IS NOT NULL AND {present(f.name, raw)}"
            checks.append(Check(f.name, cond, unreadable))
    return checks


def table_checks(
    schema: TableSchema, options: IngestOptions, raw_types: dict[str, str]
) -> list[Check]:
    """Rules of one table that go beyond types."""
    if schema.table == Table.events:
        known = ", ".join(f"'{e.value}'" for e in EventType)
        lo = DEFAULT_RATING_RANGE[0] if options.rating_min is None else options.rating_min
        hi = DEFAULT_RATING_RANGE[1] if options.rating_max is None else options.rating_max
        v = quote("__t_value")
        absent = f"({v} IS NULL AND {quote(C.value)} IS NULL)" if C.value in raw_types else "true"
        checks = [
            Check(
                C.type,
                f"{quote('__t_type')} NOT IN ({known})",
                f"'unknown event type ' || {shown(C.type)} || '; expected one of: "
                + ", ".join(e.value for e in EventType)
                + "'",
            ),
            Check(
                C.value,
                f"({quote('__t_type')} = 'rating' AND ({absent} OR {v} < {lo} OR {v} > {hi}))"
                f" OR ({quote('__t_type')} = 'review' AND ({v} < {lo} OR {v} > {hi}))",
                f"coalesce('rating ' || {v} || ' is outside the scale {lo:g} to {hi:g}', "
                "'rating has no value') || ' (set the scale with --rating-min/--rating-max)'",
            ),
        ]
        return checks
    if schema.table == Table.exposures and C.propensity in raw_types:
        p = quote("__t_propensity")
        return [Check(C.propensity, f"{p} <= 0 OR {p} > 1", "'propensity must be in (0, 1]'")]
    if schema.table == Table.items and C.price in raw_types:
        return [Check(C.price, f"{quote('__t_price')} < 0", "'price is negative'")]
    return []


def value_checks(
    schema: TableSchema, options: IngestOptions, raw_types: dict[str, str]
) -> list[Check]:
    """Dates in a plausible range (a year 10000 would break every later command) and ids
    without control characters."""
    checks = []
    for f in schema.fields:
        if f.name not in raw_types:
            continue
        t = quote(f"__t_{f.name}")
        if f.kind == Kind.timestamp:
            shop = f.name in SHOP_TIMES
            lo, hi = (options.min_date, options.max_date) if shop else OTHER_DATES
            flags = " (set the range with --min-date/--max-date)" if shop else ""
            checks.append(
                Check(
                    f.name,
                    f"{t} < TIMESTAMP '{lo}' OR {t} >= TIMESTAMP '{hi}'",
                    f"'{f.name} ' || CAST({t} AS VARCHAR) || ' is outside the plausible "
                    f"range {lo} to {hi}{flags}'",
                )
            )
        elif f.name in ID_COLUMNS:
            checks.append(
                Check(
                    f.name,
                    f"regexp_matches({t}, '[\\x00-\\x1f\\x7f]')",
                    f"'{f.name} ' || {shown(f.name)} || ' contains a control character'",
                )
            )
    return checks
