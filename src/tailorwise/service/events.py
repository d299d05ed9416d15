"""Events posted one at a time or in small batches (by the server): checked by the rules an
ingest applies, then appended to the store in one transaction, so an acknowledged event is
durably stored."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tailorwise.columns import EVENT_ALIASES, EventType, Table
from tailorwise.columns import Columns as C
from tailorwise.errors import InvalidRequestError
from tailorwise.ingest.formats.base import IngestOptions
from tailorwise.store.base import DataStore, SourceRecord
from tailorwise.store.rows import append_rows

SOURCE = "api"  # the source every posted event is stored under
KNOWN_TYPES = {t.value for t in EventType}
ID_MAX = 256
_DATES = IngestOptions()
_TEXT_FIELDS = (C.text, C.session, C.channel)


def _check_id(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError(f"{name} is empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"{name} contains a control character")
    return value


class EventIn(BaseModel):
    """One event, with the fields of the generic ``events`` format; other fields are kept
    in ``context``."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    user_id: str = Field(max_length=ID_MAX)
    item_id: str | None = Field(default=None, max_length=ID_MAX)
    type: str = Field(max_length=64)
    timestamp: datetime | None = None
    value: float | None = None
    quantity: float | None = None
    amount: float | None = None
    text: str | None = Field(default=None, max_length=10_000)
    session: str | None = Field(default=None, max_length=ID_MAX)
    channel: str | None = Field(default=None, max_length=64)

    @field_validator("user_id", "item_id", "session", "channel")
    @classmethod
    def _ids(cls, value: str | None, info: Any) -> str | None:
        return _check_id(value, info.field_name)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        name = value.strip().lower()
        name = EVENT_ALIASES.get(name, name)
        if name not in KNOWN_TYPES:
            raise ValueError(
                f"unknown event type {value!r}; known: {', '.join(sorted(KNOWN_TYPES))}"
            )
        return name

    @field_validator("value", "quantity", "amount")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("timestamp")
    @classmethod
    def _when(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        low, high = _DATES.min_date, _DATES.max_date
        if not low <= utc.date() < high:
            raise ValueError(f"must lie in [{low}, {high}), got {value.isoformat()}")
        return utc.replace(tzinfo=None)

    @model_validator(mode="after")
    def _rating(self) -> EventIn:
        if self.type == EventType.rating.value and self.value is None:
            raise ValueError("a rating needs a value (the stars)")
        return self


def events_table(events: Sequence[EventIn], now: datetime | None = None) -> pa.Table:
    """The events as rows of the events table; no timestamp means ``now`` (UTC)."""
    when = (now or datetime.now(UTC)).replace(tzinfo=None)
    columns: dict[str, list[Any]] = {
        name: [getattr(e, name) for e in events]
        for name in (C.user, C.item, C.type, C.value, C.quantity, C.amount, *_TEXT_FIELDS)
    }
    columns[C.timestamp] = [e.timestamp or when for e in events]
    columns[C.context] = [
        json.dumps(e.model_extra, sort_keys=True, default=str) if e.model_extra else None
        for e in events
    ]
    return pa.table(columns)


def post_events(store: DataStore, events: Sequence[EventIn]) -> int:
    """Append checked events to the store in one transaction; returns how many."""
    if not events:
        return 0
    source = SourceRecord(SOURCE, "POST /events", SOURCE, len(events), 0)
    return append_rows(store, Table.events, events_table(events), source)


def parse_events(body: object, max_events: int) -> list[EventIn]:
    """Events from a request body: one event, a list of them, or ``{"events": [...]}``.
    Every bad field of every event is named in one error ("event 3: type: unknown event
    type 'zap'")."""
    if isinstance(body, dict) and set(body) == {"events"}:
        body = body["events"]
    raw = body if isinstance(body, list) else [body]
    if not raw:
        raise InvalidRequestError("no events in the body")
    if len(raw) > max_events:
        raise InvalidRequestError(f"at most {max_events:,} events per request, got {len(raw):,}")
    events, problems = [], []
    for n, item in enumerate(raw):
        try:
            events.append(EventIn.model_validate(item))
        except ValidationError as exc:
            for e in exc.errors():
                where = ".".join(str(p) for p in e["loc"]) or "event"
                problems.append(f"event {n}: {where}: {e['msg'].removeprefix('Value error, ')}")
    if problems:
        shown = "; ".join(problems[:20]) + (" ..." if len(problems) > 20 else "")
        raise InvalidRequestError(f"nothing was stored: {shown}")
    return events
