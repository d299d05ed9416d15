"""Store statistics computed with SQL that DuckDB and PostgreSQL both run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from tailorwise.columns import Table

Fetch = Callable[[str], Sequence[Sequence[Any]]]


class TypeShare(BaseModel):
    type: str
    events: int
    share: float


class TopItem(BaseModel):
    item_id: str
    title: str | None
    events: int
    users: int


class CampaignArm(BaseModel):
    campaign_id: str
    treatment: str
    users: int
    conversion_rate: float | None
    revenue_per_user: float | None


class StoreSummary(BaseModel):
    """What ``tailorwise stats`` shows."""

    url: str
    counts: dict[str, int]
    active_users: int
    active_items: int
    first_event: datetime | None
    last_event: datetime | None
    sparsity: float | None
    event_types: list[TypeShare]
    top_items: list[TopItem]
    campaigns: list[CampaignArm]
    sources: int


# Dates Python can hold: a row stored before ingest checked the range (a year 10000) must
# not break `stats`; it is left out of the date range instead.
PLAUSIBLE = "CASE WHEN timestamp < TIMESTAMP '9999-01-01' THEN timestamp END"


def compute_summary(url: str, fetch: Fetch, top: int = 10) -> StoreSummary:
    counts = {t.value: int(fetch(f"SELECT count(*) FROM {t.value}")[0][0]) for t in Table}
    sources = counts.pop(Table.sources.value)
    row = fetch(
        "SELECT count(DISTINCT user_id), count(DISTINCT item_id), "
        f"min({PLAUSIBLE}), max({PLAUSIBLE}) FROM events"
    )[0]
    users, items = int(row[0]), int(row[1])
    pairs = int(
        fetch(
            # count(DISTINCT (a, b)) sorts; PostgreSQL's hash plan for SELECT DISTINCT
            # spilled for over 10 minutes at 5M events once its statistics were fresh
            "SELECT count(DISTINCT (user_id, item_id)) FROM events WHERE item_id IS NOT NULL"
        )[0][0]
    )
    return StoreSummary(
        url=url,
        counts=counts,
        active_users=users,
        active_items=items,
        first_event=row[2],
        last_event=row[3],
        sparsity=1.0 - pairs / (users * items) if users and items else None,
        event_types=_event_types(fetch, counts[Table.events.value]),
        top_items=_top_items(fetch, top),
        campaigns=_campaign_arms(fetch),
        sources=sources,
    )


def _event_types(fetch: Fetch, total: int) -> list[TypeShare]:
    return [
        TypeShare(type=str(t), events=int(n), share=int(n) / total if total else 0.0)
        for t, n in fetch("SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY n DESC")
    ]


def _top_items(fetch: Fetch, top: int) -> list[TopItem]:
    rows = fetch(
        "SELECT e.item_id, i.title, count(*) AS n, count(DISTINCT e.user_id) AS u FROM events e"
        " LEFT JOIN items i ON i.item_id = e.item_id WHERE e.item_id IS NOT NULL"
        f" GROUP BY e.item_id, i.title ORDER BY n DESC, e.item_id LIMIT {int(top)}"
    )
    return [TopItem(item_id=str(i), title=t, events=int(n), users=int(u)) for i, t, n, u in rows]


def _campaign_arms(fetch: Fetch) -> list[CampaignArm]:
    rows = fetch(
        "SELECT campaign_id, treatment, count(*),"
        " avg(CASE WHEN conversion THEN 1.0 WHEN NOT conversion THEN 0.0 END), avg(revenue)"
        " FROM exposures GROUP BY campaign_id, treatment ORDER BY campaign_id, treatment"
    )
    return [
        CampaignArm(
            campaign_id=str(c),
            treatment=str(t),
            users=int(n),
            conversion_rate=None if cr is None else float(cr),
            revenue_per_user=None if rv is None else float(rv),
        )
        for c, t, n, cr, rv in rows
    ]
