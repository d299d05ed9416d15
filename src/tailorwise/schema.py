"""The canonical data model: one declaration drives DDL, validation and docs.

Tables with a ``key`` are upserted by that key; the others are appended and
carry ``source_id`` and ``source_row`` so that a re-ingested file replaces
its own rows (this is what makes ingest idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tailorwise.columns import Columns as C
from tailorwise.columns import Table


class Kind(StrEnum):
    """Logical column types, mapped to each backend's SQL types."""

    string = "string"
    timestamp = "timestamp"
    double = "double"
    integer = "integer"
    boolean = "boolean"
    json = "json"
    string_list = "string_list"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class TableSchema:
    table: Table
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    doc: str = ""

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def appended(self) -> bool:
        return not self.key

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table '{self.table}' has no column '{name}'")

    @property
    def storage_names(self) -> list[str]:
        """Column names as stored, provenance columns included."""
        extra = [C.source, C.source_row] if self.appended else []
        return self.names + extra


USERS = TableSchema(
    Table.users,
    (
        Field(C.user, Kind.string, True, "external user id, as in the source"),
        Field(C.attributes, Kind.json, doc="free-form attributes: age, country, segment, ..."),
    ),
    key=(C.user,),
    doc="One row per user. Users seen only in events get a row with no attributes.",
)

ITEMS = TableSchema(
    Table.items,
    (
        Field(C.item, Kind.string, True, "external item id"),
        Field(C.title, Kind.string, doc="display title"),
        Field(C.text, Kind.string, doc="description used by content models"),
        Field(C.categories, Kind.string_list, doc="categories or genres"),
        Field(C.price, Kind.double, doc="list price"),
        Field(C.created_at, Kind.timestamp, doc="release or listing date (UTC)"),
        Field(C.hidden, Kind.boolean, doc="never recommend when true"),
        Field(C.attributes, Kind.json, doc="other attributes"),
    ),
    key=(C.item,),
    doc="One row per item. Items seen only in events get a row with no attributes.",
)

EVENTS = TableSchema(
    Table.events,
    (
        Field(C.user, Kind.string, True, "who"),
        Field(C.item, Kind.string, doc="what; empty for events about no single item"),
        Field(C.type, Kind.string, True, "view, click, add_to_cart, purchase, rating, ..."),
        Field(C.timestamp, Kind.timestamp, True, "when (UTC)"),
        Field(C.value, Kind.double, doc="rating value or event strength"),
        Field(C.quantity, Kind.double, doc="units bought or returned"),
        Field(C.amount, Kind.double, doc="money paid (negative for refunds)"),
        Field(C.text, Kind.string, doc="review or search text"),
        Field(C.session, Kind.string, doc="session or basket id"),
        Field(C.channel, Kind.string, doc="web, app, email, store, ..."),
        Field(C.context, Kind.json, doc="other columns of the source row"),
    ),
    doc="One row per user action.",
)

CAMPAIGNS = TableSchema(
    Table.campaigns,
    (
        Field(C.campaign, Kind.string, True, "campaign id"),
        Field("name", Kind.string, doc="display name"),
        Field("description", Kind.string),
        Field(C.channel, Kind.string, doc="email, push, ..."),
        Field("started_at", Kind.timestamp),
        Field("ended_at", Kind.timestamp),
        Field(C.attributes, Kind.json),
    ),
    key=(C.campaign,),
    doc="One row per campaign.",
)

EXPOSURES = TableSchema(
    Table.exposures,
    (
        Field(C.campaign, Kind.string, True, "campaign id"),
        Field(C.user, Kind.string, True, "user exposed (or held out)"),
        Field(C.treatment, Kind.string, True, "arm; 'control' for the hold-out"),
        Field(C.exposed_at, Kind.timestamp, doc="when the treatment was sent"),
        Field(C.propensity, Kind.double, doc="probability of this arm, when logged"),
        Field(C.visit, Kind.boolean, doc="outcome: visited"),
        Field(C.conversion, Kind.boolean, doc="outcome: converted"),
        Field(C.revenue, Kind.double, doc="outcome: money spent"),
        Field(C.attributes, Kind.json, doc="other columns, e.g. a synthetic true effect"),
    ),
    doc="One row per user and campaign: treatment and outcome.",
)

SCHEMAS: dict[Table, TableSchema] = {
    s.table: s for s in (USERS, ITEMS, EVENTS, CAMPAIGNS, EXPOSURES)
}

# Rows a store keeps about each ingested file, for idempotency and audit.
SOURCE_COLUMNS: tuple[tuple[str, Kind], ...] = (
    (C.source, Kind.string),
    ("path", Kind.string),
    ("format", Kind.string),
    ("loaded_at", Kind.timestamp),
    ("rows", Kind.integer),
    ("rejected", Kind.integer),
)


def schema_markdown() -> str:
    """The data model as Markdown tables (used by docs/DATA_MODEL.md)."""
    out: list[str] = []
    for s in SCHEMAS.values():
        key = ", ".join(s.key) if s.key else "appended; provenance in source_id, source_row"
        out += [f"### `{s.table}`", "", s.doc, "", f"Key: {key}", ""]
        out += ["| column | type | required | meaning |", "|---|---|---|---|"]
        for f in s.fields:
            out.append(f"| `{f.name}` | {f.kind} | {'yes' if f.required else ''} | {f.doc} |")
        out.append("")
    return "\n".join(out)
