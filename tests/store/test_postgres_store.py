"""The PostgreSQL store passes the shared store contract (issue #2).

Each test gets a new database in a throwaway cluster (see ``conftest.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tailorwise.columns import Table
from tailorwise.errors import StoreError
from tailorwise.ingest.job import ingest
from tailorwise.store import DataStore, StagedBatch, StagedTable, open_store
from tailorwise.store.duckdb import DuckDBStore
from tailorwise.store.postgres import PostgresStore, redact
from tests.contracts.store_contract import StoreContract, write_folder

pytestmark = pytest.mark.postgres


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store_url(self, pg_url: str) -> str:
        return pg_url

    def make_store(self, url: str) -> DataStore:
        return PostgresStore(url)

    def test_text_survives_quotes_commas_and_newlines(self, store: DataStore) -> None:
        """Values that CSV and array literals must escape reach PostgreSQL unchanged."""
        con = store.staging()
        tricky = ['a "quoted", item', "back\\slash", "two\nlines", "{braces}", "NULL", ""]
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _tricky AS SELECT 'i1' AS item_id, ? AS title, "
            "CAST(NULL AS VARCHAR) AS text, ?::VARCHAR[] AS categories, 1.5 AS price, "
            "CAST(NULL AS TIMESTAMP) AS created_at, true AS hidden, "
            'CAST(\'{"k": [1, "x"]}\' AS JSON) AS attributes',
            ["", tricky],
        )
        store.write(StagedBatch([], [StagedTable(Table.items, "_tricky")]))
        row = store.read(Table.items).to_pylist()[0]
        assert row["title"] == ""
        assert row["categories"] == tricky
        assert row["hidden"] is True


def test_unreachable_server_gives_a_clear_error() -> None:
    expected = r"cannot connect to PostgreSQL at 'postgresql://me:\*\*\*@127"
    with pytest.raises(StoreError, match=expected):
        open_store("postgresql://me:secret@127.0.0.1:1/nowhere")


def _source_indexes(url: str) -> dict[str, str]:
    with psycopg.connect(url) as pg:
        rows = pg.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%source_id_idx'"
        ).fetchall()
    return {str(name): str(ddl) for name, ddl in rows}


def test_source_id_index_in_new_and_older_stores(pg_url: str, tmp_path: Path) -> None:
    """Issue #2: re-ingesting a file deletes its rows through an index on source_id,
    which a store made before the index existed gets when it is opened."""
    PostgresStore(pg_url).close()
    indexes = _source_indexes(pg_url)
    assert sorted(indexes) == ["events_source_id_idx", "exposures_source_id_idx"]
    assert all(ddl.endswith("(source_id)") for ddl in indexes.values())
    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute("DROP INDEX events_source_id_idx, exposures_source_id_idx")
    events = write_folder(tmp_path) / "events.csv"
    with PostgresStore(pg_url) as store, psycopg.connect(pg_url, autocommit=True) as pg:
        assert _source_indexes(pg_url) == indexes
        pg.execute("SET enable_seqscan = off")  # five rows: only then is an index worth it
        plan = pg.execute("EXPLAIN DELETE FROM events WHERE source_id IN (%s)", ["x"]).fetchall()
        assert "events_source_id_idx" in " ".join(line for (line,) in plan)
        ingest(events, "events", store)
        pg.execute("UPDATE events SET type = 'tampered'")
        ingest(events, "events", store)  # the file's rows are replaced, not kept
        assert sorted(store.read(Table.events, ["type"]).column("type").to_pylist()) == [
            "purchase",
            "rating",
            "view",
            "view",
            "view",
        ]


def test_opening_does_not_wait_for_a_write_in_progress(pg_url: str) -> None:
    """Issue #2: the index is looked up before it is made; CREATE INDEX IF NOT EXISTS
    would lock the table, and an open would wait for another process's ingest."""
    PostgresStore(pg_url).close()
    with psycopg.connect(pg_url) as writer:  # its transaction stays open, as an ingest's does
        writer.execute(
            "INSERT INTO events (user_id, type, timestamp, source_id, source_row) "
            "VALUES ('u', 'view', now(), 's', 2)"
        )
        PostgresStore(pg_url + "?options=-c%20lock_timeout%3D2000").close()


def test_redact_hides_only_the_password() -> None:
    assert redact("postgresql://me:pw@db:5432/x") == "postgresql://me:***@db:5432/x"
    assert redact("postgresql://me@db/x") == "postgresql://me@db/x"


def _sorted_rows(store: DataStore, table: Table) -> list[dict[str, Any]]:
    keys = {Table.users: ["user_id"], Table.items: ["item_id"]}.get(
        table, ["source_id", "source_row"]
    )
    order = [(k, "ascending") for k in keys]
    found: list[dict[str, Any]] = store.read(table).sort_by(order).to_pylist()
    for row in found:
        for col in ("context", "attributes"):  # JSONB normalises spacing and key order
            if row.get(col) is not None:
                row[col] = json.loads(row[col])
    return found


def test_movielens_100k_reads_back_as_from_duckdb(
    pg_url: str, tmp_path: Path, shared_data: Callable[[str], Path]
) -> None:
    """Issue #2: a real data set stored in PostgreSQL reads back exactly as from DuckDB."""
    data = shared_data("movielens-100k")
    with PostgresStore(pg_url) as pg, DuckDBStore(tmp_path / "duck.duckdb") as duck:
        for store in (pg, duck):
            ingest(data, "movielens", store)
        assert pg.count(Table.events) == 100_000
        assert pg.summary().model_dump(exclude={"url"}) == duck.summary().model_dump(
            exclude={"url"}
        )
        for table in (Table.users, Table.items, Table.events):
            assert pg.read(table).schema.types == duck.read(table).schema.types
            assert _sorted_rows(pg, table) == _sorted_rows(duck, table), table
