"""Issue #2: the hillstrom format on Kevin Hillstrom's MineThatData e-mail test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tailorwise.columns import Table
from tailorwise.errors import IngestError
from tailorwise.ingest.job import IngestReport, ingest
from tailorwise.store.duckdb import DuckDBStore

ROWS = 64_000
HEADER = (
    "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,"
    "conversion,spend\r\n"
)


@pytest.fixture(scope="module")
def loaded(
    shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DuckDBStore, IngestReport]]:
    tmp = tmp_path_factory.mktemp("hillstrom")
    store = DuckDBStore(tmp / "store.duckdb")
    path = shared_data("hillstrom") / "hillstrom.csv"
    yield store, ingest(path, "hillstrom", store, rejects_path=tmp / "rejects.csv")
    store.close()


def test_counts(loaded: tuple[DuckDBStore, IngestReport]) -> None:
    store, report = loaded
    assert {f.table: f.loaded for f in report.files} == {
        "campaigns": 1,
        "users": ROWS,
        "exposures": ROWS,
    }
    assert report.rejected == report.excluded == 0
    assert {t.value: store.count(t) for t in Table} == {
        "users": ROWS,
        "items": 0,
        "events": 0,
        "campaigns": 1,
        "exposures": ROWS,
        "sources": 1,
    }


def test_campaign(loaded: tuple[DuckDBStore, IngestReport]) -> None:
    [campaign] = loaded[0].read(Table.campaigns).to_pylist()
    assert (campaign["campaign_id"], campaign["name"], campaign["channel"]) == (
        "hillstrom-2008",
        "MineThatData E-Mail Challenge",
        "email",
    )


def test_arms_and_outcomes(loaded: tuple[DuckDBStore, IngestReport]) -> None:
    exposures = loaded[0].read(Table.exposures).to_pandas()
    assert exposures["treatment"].value_counts().to_dict() == {
        "womens_email": 21_387,
        "mens_email": 21_307,
        "control": 21_306,
    }
    assert round(exposures["visit"].mean(), 6) == 0.146781
    assert round(exposures["conversion"].mean(), 6) == 0.009031
    assert round(exposures["revenue"].mean(), 6) == 1.050908
    assert (exposures["campaign_id"] == "hillstrom-2008").all()


def test_first_row_user(loaded: tuple[DuckDBStore, IngestReport]) -> None:
    store = loaded[0]
    users = store.read(Table.users).to_pandas().set_index("user_id")
    assert users.loc["hillstrom-1", "attributes"] == (
        '{"recency":10,"history_segment":"2) $100 - $200","history":142.44,"mens":1,'
        '"womens":0,"zip_code":"Surburban","newbie":0,"channel":"Phone"}'
    )
    first = store.read(Table.exposures).to_pandas().set_index("user_id").loc["hillstrom-1"]
    assert (first["treatment"], first["visit"], first["source_row"]) == ("womens_email", False, 2)
    assert "hillstrom-64000" in users.index


def test_reingest_is_idempotent(
    loaded: tuple[DuckDBStore, IngestReport], shared_data: Callable[[str], Path], tmp_path: Path
) -> None:
    store = loaded[0]
    before = {t.value: store.count(t) for t in Table}
    ingest(shared_data("hillstrom"), "hillstrom", store, rejects_path=tmp_path / "r.csv")
    assert {t.value: store.count(t) for t in Table} == before


def test_bad_rows_are_named(duck_store: DuckDBStore, tmp_path: Path) -> None:
    path = tmp_path / "hillstrom.csv"
    path.write_text(
        HEADER
        + "10,2) $100 - $200,142.44,1,0,Surburban,0,Phone,Womens E-Mail,0,0,0\r\n"
        + "6,3) $200 - $350,329.08,1,1,Rural,1,Web,Kids E-Mail,0,0,0\r\n"
        + "7,2) $100 - $200,lots,1,0,Urban,0,Web,No E-Mail,1,0,0\r\n"
        + "2,1) $0 - $100,45.34,1,0,Urban,0,Web,Mens E-Mail,1,maybe,0\r\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as info:
        ingest(path, "hillstrom", duck_store, rejects_path=tmp_path / "r.csv")
    issues = sorted(info.value.issues, key=lambda i: i.row)
    assert [(i.row, i.column) for i in issues] == [
        (3, "treatment"),
        (4, "attributes"),
        (5, "conversion"),
    ]
    assert "Kids E-Mail" in issues[0].reason
    assert "lots" in issues[1].reason and "history" in issues[1].reason
    assert duck_store.count(Table.exposures) == 0


def test_not_a_hillstrom_file(duck_store: DuckDBStore, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(IngestError, match="not a Hillstrom file"):
        ingest(path, "hillstrom", duck_store)
