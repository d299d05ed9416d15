"""The contract every DataStore passes (issue #2), whatever its backend.

A backend's test module subclasses :class:`StoreContract`, provides a
``store_url`` fixture (the URL of a new, empty store) and overrides
``make_store`` to build its store class from that URL.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tailorwise.columns import Table
from tailorwise.errors import IngestError, StoreError
from tailorwise.ingest.job import ingest
from tailorwise.schema import SCHEMAS, SOURCE_COLUMNS, Kind
from tailorwise.store import DataStore, SourceRecord, StagedBatch, StagedTable, open_store
from tailorwise.store.sql import DUCKDB_TYPES

EVENTS_CSV = """user_id,item_id,type,timestamp,value,channel,campaign_ref
u1,i1,view,2024-03-01T10:00:00Z,,web,c1
u1,i2,purchase,2024-03-01T12:30:00+02:00,,web,c2
u2,i1,rating,1709290800,4.5,app,
u3,i3,view,2024-03-02 08:00:00,,email,c3
u2,i1,view,2024-03-01T09:00:00,,app,c1
"""
USERS_CSV = "user_id,age,country\nu1,34,PT\nu2,27,\n"
ITEMS_CSV = (
    "item_id,title,categories,price,created_at\n"
    "i1,Red Shoe,shoes|red,49.9,2023-01-01\n"
    "i2,Blue Hat,hats,12.5,\n"
)
BAD_CSV = """user_id,item_id,type,timestamp
u1,i1,view,2024-03-01T10:00:00Z
,i2,view,2024-03-01T11:00:00Z
u2,i2,click,not-a-date
u4,i3,view,2024-03-01T12:00:00Z
"""
ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.string: pa.string(),
    Kind.timestamp: pa.timestamp("us"),
    Kind.double: pa.float64(),
    Kind.integer: pa.int64(),
    Kind.boolean: pa.bool_(),
    Kind.json: pa.string(),
    Kind.string_list: pa.list_(pa.string()),
}
EPOCH = datetime.fromtimestamp(1709290800, UTC).replace(tzinfo=None)


def stored_kinds(table: Table) -> dict[str, Kind]:
    if table == Table.sources:
        return dict(SOURCE_COLUMNS)
    schema = SCHEMAS[table]
    extra = {"source_id": Kind.string, "source_row": Kind.integer} if schema.appended else {}
    return {f.name: f.kind for f in schema.fields} | extra


def write_folder(root: Path) -> Path:
    folder = root / "shop"
    folder.mkdir()
    for name, text in (
        ("events.csv", EVENTS_CSV),
        ("users.csv", USERS_CSV),
        ("items.csv", ITEMS_CSV),
    ):
        (folder / name).write_text(text)
    return folder


def rows(store: DataStore, table: Table, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = store.read(table).to_pylist()
    return sorted(found, key=lambda r: r[key])


def counts(store: DataStore) -> dict[str, int]:
    return {t.value: store.count(t) for t in Table}


class StoreContract:
    """Behaviour shared by every store: ingest, read back, idempotency, atomic writes."""

    def make_store(self, url: str) -> DataStore:
        return open_store(url)

    @pytest.fixture
    def store(self, store_url: str) -> Iterator[DataStore]:
        store = self.make_store(store_url)
        yield store
        store.close()

    @pytest.fixture
    def folder(self, tmp_path: Path) -> Path:
        return write_folder(tmp_path)

    @pytest.fixture
    def loaded(self, store: DataStore, folder: Path) -> DataStore:
        ingest(folder, "events", store)
        return store

    def test_is_a_data_store_and_open_store_routes_to_it(self, store: DataStore) -> None:
        assert isinstance(store, DataStore)
        store.close()
        with open_store(store.url) as again:
            assert type(again) is type(store)

    def test_new_store_has_every_table_empty(self, store: DataStore) -> None:
        for table in Table:
            assert store.count(table) == 0
            result = store.read(table)
            assert result.num_rows == 0
            assert result.column_names == list(stored_kinds(table))
            self.assert_types(result, table)
        assert store.sources() == []

    def assert_types(self, result: pa.Table, table: Table) -> None:
        kinds = stored_kinds(table)
        for f in result.schema:
            assert f.type == ARROW_TYPES[kinds[f.name]], f"{table}.{f.name}: {f.type}"

    def test_ingest_folder_counts_and_types(self, loaded: DataStore) -> None:
        assert counts(loaded) == {
            "users": 3,
            "items": 3,
            "events": 5,
            "campaigns": 0,
            "exposures": 0,
            "sources": 3,
        }
        for table in Table:
            self.assert_types(loaded.read(table), table)
        assert loaded.read(Table.events, ["user_id", "value"]).column_names == ["user_id", "value"]

    def test_event_values_and_utc_timestamps(self, loaded: DataStore) -> None:
        events = rows(loaded, Table.events, "source_row")
        assert [e["source_row"] for e in events] == [2, 3, 4, 5, 6]
        assert [e["timestamp"] for e in events] == [
            datetime(2024, 3, 1, 10, 0),
            datetime(2024, 3, 1, 10, 30),  # 12:30+02:00
            EPOCH,  # epoch seconds
            datetime(2024, 3, 2, 8, 0),
            datetime(2024, 3, 1, 9, 0),
        ]
        assert [e["type"] for e in events] == ["view", "purchase", "rating", "view", "view"]
        assert [e["value"] for e in events] == [None, None, 4.5, None, None]
        assert [e["channel"] for e in events] == ["web", "web", "app", "email", "app"]
        contexts = [json.loads(e["context"]) for e in events]
        assert contexts[0] == {"campaign_ref": "c1"}
        assert contexts[2] == {"campaign_ref": None}
        assert len({e["source_id"] for e in events}) == 1

    def test_items_and_users_round_trip(self, loaded: DataStore) -> None:
        items = rows(loaded, Table.items, "item_id")
        assert [i["categories"] for i in items] == [["shoes", "red"], ["hats"], None]
        assert [i["title"] for i in items] == ["Red Shoe", "Blue Hat", None]
        assert [i["price"] for i in items] == [49.9, 12.5, None]
        assert items[0]["created_at"] == datetime(2023, 1, 1)
        users = rows(loaded, Table.users, "user_id")
        assert json.loads(users[0]["attributes"]) == {"age": "34", "country": "PT"}
        assert json.loads(users[1]["attributes"]) == {"age": "27", "country": None}

    def test_events_create_placeholder_users_and_items(self, loaded: DataStore) -> None:
        users = {u["user_id"]: u for u in rows(loaded, Table.users, "user_id")}
        items = {i["item_id"]: i for i in rows(loaded, Table.items, "item_id")}
        assert users["u3"]["attributes"] is None
        assert items["i3"]["title"] is None and items["i3"]["categories"] is None

    def test_reingesting_the_same_file_is_idempotent(self, loaded: DataStore, folder: Path) -> None:
        before = counts(loaded)
        ingest(folder, "events", loaded)
        ingest(folder / "events.csv", "events", loaded)
        assert counts(loaded) == before

    def test_changed_copy_adds_its_rows(self, loaded: DataStore, folder: Path) -> None:
        changed = folder.parent / "events_changed.csv"
        changed.write_text(EVENTS_CSV + "u9,i9,click,2024-03-03T00:00:00Z,,web,c9\n")
        ingest(changed, "events", loaded)
        after = counts(loaded)
        assert (after["events"], after["sources"]) == (5 + 6, 4)
        assert (after["users"], after["items"]) == (4, 4)

    def test_bad_file_names_file_row_and_column_and_writes_nothing(
        self, loaded: DataStore, tmp_path: Path
    ) -> None:
        before = counts(loaded)
        (tmp_path / "bad.csv").write_text(BAD_CSV)
        with pytest.raises(IngestError) as info:
            ingest(tmp_path / "bad.csv", "events", loaded)
        found = {(i.file, i.row, i.column) for i in info.value.issues}
        assert found == {("bad.csv", 3, "user_id"), ("bad.csv", 4, "timestamp")}
        assert "bad.csv, row 3, column 'user_id'" in str(info.value)
        assert "bad.csv, row 4, column 'timestamp'" in str(info.value)
        assert counts(loaded) == before

    def test_skip_writes_good_rows_and_the_rejects_file(
        self, store: DataStore, tmp_path: Path
    ) -> None:
        (tmp_path / "bad.csv").write_text(BAD_CSV)
        rejects = tmp_path / "out" / "rejects.csv"
        report = ingest(
            tmp_path / "bad.csv", "events", store, on_error="skip", rejects_path=rejects
        )
        assert (report.loaded, report.rejected) == (2, 2)
        assert sorted(e["user_id"] for e in store.read(Table.events).to_pylist()) == ["u1", "u4"]
        with rejects.open() as fh:
            lines = list(csv.DictReader(fh))
        assert [(r["row"], r["column"]) for r in lines] == [("3", "user_id"), ("4", "timestamp")]
        assert store.sources()[0].rejected == 2

    def test_second_users_file_updates_without_duplicates(
        self, loaded: DataStore, tmp_path: Path
    ) -> None:
        (tmp_path / "users_update.csv").write_text("user_id,age,country\nu1,35,ES\nu7,50,FR\n")
        ingest(tmp_path / "users_update.csv", "events", loaded)
        users = {u["user_id"]: u for u in rows(loaded, Table.users, "user_id")}
        assert sorted(users) == ["u1", "u2", "u3", "u7"]
        assert json.loads(users["u1"]["attributes"]) == {"age": "35", "country": "ES"}
        assert json.loads(users["u2"]["attributes"]) == {"age": "27", "country": None}

    def test_summary(self, loaded: DataStore) -> None:
        s = loaded.summary(top=2)
        assert s.counts == {"users": 3, "items": 3, "events": 5, "campaigns": 0, "exposures": 0}
        assert (s.active_users, s.active_items, s.sources) == (3, 3, 3)
        assert (s.first_event, s.last_event) == (datetime(2024, 3, 1, 9), datetime(2024, 3, 2, 8))
        assert s.sparsity == pytest.approx(1 - 4 / 9)
        assert {t.type: t.events for t in s.event_types} == {"view": 3, "purchase": 1, "rating": 1}
        assert s.event_types[0].type == "view" and s.event_types[0].share == pytest.approx(0.6)
        top = [(t.item_id, t.title, t.events, t.users) for t in s.top_items]
        assert top == [("i1", "Red Shoe", 3, 2), ("i2", "Blue Hat", 1, 1)]
        assert s.campaigns == []

    def test_failed_write_rolls_back_everything(self, loaded: DataStore, folder: Path) -> None:
        before, sources = counts(loaded), loaded.sources()
        events_source = next(s for s in sources if s.path.endswith("events.csv"))
        con = loaded.staging()
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _good_users AS "
            "SELECT 'u_new' AS user_id, CAST(NULL AS JSON) AS attributes"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _null_user AS {null_user_event_sql()}")
        batch = StagedBatch(
            [SourceRecord(events_source.source_id, "x.csv", "events", 1, 0)],
            [StagedTable(Table.users, "_good_users"), StagedTable(Table.events, "_null_user")],
        )
        with pytest.raises(StoreError, match="nothing was written"):
            loaded.write(batch)
        assert counts(loaded) == before
        assert "u_new" not in {u["user_id"] for u in loaded.read(Table.users).to_pylist()}
        assert loaded.sources() == sources
        one = folder.parent / "one.csv"  # the store is still usable after the failure
        one.write_text("user_id,item_id,type,timestamp\nu1,i1,view,1709290800\n")
        ingest(one, "events", loaded)
        assert loaded.count(Table.events) == before["events"] + 1

    def test_reopening_keeps_the_data(self, loaded: DataStore) -> None:
        before = counts(loaded)
        sources = loaded.sources()
        loaded.close()
        with self.make_store(loaded.url) as again:
            assert counts(again) == before
            assert again.sources() == sources
            assert rows(again, Table.items, "item_id")[0]["categories"] == ["shoes", "red"]

    def test_compact_gives_space_back_and_keeps_the_data(
        self, store: DataStore, tmp_path: Path
    ) -> None:
        """Issue #14: repeated replaces left a DuckDB file of 171 MiB for 96 MiB of data."""
        events = tmp_path / "many.csv"
        rows = [f"u{i % 700},i{(i * 7) % 900},view,2024-01-01" for i in range(80_000)]
        events.write_text("user_id,item_id,type,timestamp\n" + "\n".join(rows) + "\n")
        for _ in range(4):  # the same file again: each load replaces the rows of the last
            ingest(events, "events", store)
        before = counts(store)
        report = store.compact()
        assert report.after < report.before, report
        assert counts(store) == before
        ingest(events, "events", store)  # the store still works after the rewrite
        assert counts(store) == before

    def test_posted_events_append_and_read_back_by_user(self, loaded: DataStore) -> None:
        """Issue #15: events posted to the server add to the store one batch at a time,
        keep earlier ones, and are read back for one user."""
        from tailorwise.service.events import parse_events, post_events

        before = loaded.count(Table.events)
        first = parse_events({"user_id": "u9", "item_id": "i9", "type": "cart"}, 10)
        second = parse_events(
            [
                {
                    "user_id": "u9",
                    "item_id": "i1",
                    "type": "purchase",
                    "amount": 12.5,
                    "timestamp": "2024-03-05T10:00:00+01:00",
                    "coupon": "X",
                },
                {"user_id": "u1", "item_id": "i1", "type": "view"},
            ],
            10,
        )
        assert post_events(loaded, first) == 1 and post_events(loaded, second) == 2
        assert loaded.count(Table.events) == before + 3
        mine = loaded.read(
            Table.events,
            ["user_id", "item_id", "type", "timestamp", "amount", "context"],
            where={"user_id": ["u9"]},
        ).to_pylist()
        assert sorted(r["item_id"] for r in mine) == ["i1", "i9"]
        bought = next(r for r in mine if r["item_id"] == "i1")
        assert bought["type"] == "purchase" and bought["amount"] == 12.5
        assert bought["timestamp"] == datetime(2024, 3, 5, 9, 0)
        assert json.loads(bought["context"]) == {"coupon": "X"}
        assert next(r for r in mine if r["item_id"] == "i9")["type"] == "add_to_cart"
        assert "i9" in loaded.read(Table.items, ["item_id"]).column("item_id").to_pylist()
        api = [s for s in loaded.sources() if s.source_id == "api"]
        assert len(api) == 1 and api[0].rows == 3
        assert loaded.read(Table.events, ["user_id"], where={"user_id": []}).num_rows == 0


def null_user_event_sql() -> str:
    """One events row whose required user_id is NULL: the store must refuse it."""
    values = {
        "item_id": "'i1'",
        "type": "'view'",
        "timestamp": "TIMESTAMP '2024-01-01'",
        "source_id": "'broken'",
        "source_row": "2",
    }
    cols = [
        f'CAST({values.get(name, "NULL")} AS {DUCKDB_TYPES[kind]}) AS "{name}"'
        for name, kind in stored_kinds(Table.events).items()
    ]
    return "SELECT " + ", ".join(cols)
