"""Issue #2: the online-retail format on the real UCI Online Retail file (Parquet and CSV)."""

from __future__ import annotations

import csv
import gzip
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tailorwise.columns import Table
from tailorwise.errors import IngestError
from tailorwise.ingest.job import IngestReport, ingest
from tailorwise.store.duckdb import DuckDBStore

ROWS, GUEST_ROWS, CUSTOMERS, STOCK_CODES = 541_909, 135_080, 4_372, 4_070


@dataclass
class Loaded:
    store: DuckDBStore
    report: IngestReport
    rejects: Path


def counts(store: DuckDBStore) -> dict[str, int]:
    return {t.value: store.count(t) for t in Table}


def by_type(store: DuckDBStore) -> dict[str, int]:
    rows = store.read(Table.events, ["type"]).to_pandas()["type"].value_counts()
    return {str(k): int(v) for k, v in rows.items()}


def load(path: Path, tmp: Path) -> Loaded:
    store = DuckDBStore(tmp / "store.duckdb")
    rejects = tmp / "rejects.csv"
    return Loaded(store, ingest(path, "online-retail", store, rejects_path=rejects), rejects)


@pytest.fixture(scope="module")
def retail_dir(shared_data: Callable[[str], Path]) -> Path:
    return shared_data("uci-online-retail")


@pytest.fixture(scope="module")
def from_parquet(retail_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    loaded = load(retail_dir / "online_retail.parquet", tmp_path_factory.mktemp("parquet"))
    yield loaded
    loaded.store.close()


@pytest.fixture(scope="module")
def expected(retail_dir: Path) -> dict[str, float]:
    """The same figures worked out independently with pandas."""
    df = pd.read_parquet(retail_dir / "online_retail.parquet")
    known = df[df["CustomerID"].notna()]
    is_return = known["InvoiceNo"].str.startswith("C") | (known["Quantity"] < 0)
    line = known["Quantity"] * known["UnitPrice"]
    return {
        "return": int(is_return.sum()),
        "purchase": int((~is_return).sum()),
        "amount": float(line[~is_return].sum() - line[is_return].abs().sum()),
        "quantity": float(known["Quantity"].abs().sum()),
    }


def test_parquet_counts(from_parquet: Loaded, expected: dict[str, float]) -> None:
    report, store = from_parquet.report, from_parquet.store
    loaded = {f.table: (f.loaded, f.excluded, f.rejected) for f in report.files}
    assert loaded == {
        "users": (CUSTOMERS, 0, 0),
        "items": (STOCK_CODES, 0, 0),
        "events": (ROWS - GUEST_ROWS, GUEST_ROWS, 0),
    }
    assert counts(store) == {
        "users": CUSTOMERS,
        "items": STOCK_CODES,
        "events": ROWS - GUEST_ROWS,
        "campaigns": 0,
        "exposures": 0,
        "sources": 1,
    }
    assert by_type(store) == {"purchase": expected["purchase"], "return": expected["return"]}


def test_amounts_and_quantities(from_parquet: Loaded, expected: dict[str, float]) -> None:
    events = from_parquet.store.read(Table.events).to_pandas()
    assert events["amount"].sum() == pytest.approx(expected["amount"], abs=0.01)
    assert events["quantity"].sum() == expected["quantity"]
    assert (events["quantity"] > 0).all()
    returns = events[events["type"] == "return"]
    assert (returns["amount"] <= 0).all() and returns["session"].str.startswith("C").all()


def test_first_line_and_user(from_parquet: Loaded) -> None:
    store = from_parquet.store
    events = store.read(Table.events).to_pandas().sort_values("source_row")
    first = events.iloc[0]
    assert (first["user_id"], first["item_id"], first["type"]) == ("17850", "85123A", "purchase")
    assert (first["quantity"], first["amount"], first["session"]) == (6, 15.3, "536365")
    assert str(first["timestamp"]) == "2010-12-01 08:26:00"
    assert first["context"] == '{"invoice":"536365","unit_price":2.55}'
    assert not events["user_id"].str.contains(r"\.").any()
    users = store.read(Table.users).to_pandas().set_index("user_id")
    assert users.loc["17850", "attributes"] == '{"country":"United Kingdom"}'


def test_items_from_all_rows(from_parquet: Loaded) -> None:
    items = from_parquet.store.read(Table.items).to_pandas().set_index("item_id")
    white_heart = items.loc["85123A"]
    assert white_heart["title"] == "WHITE HANGING HEART T-LIGHT HOLDER" == white_heart["text"]
    assert white_heart["price"] == 2.95  # its most frequent UnitPrice
    # 'B' (adjust bad debt) appears only on guest rows, one of them at a negative price.
    assert items.loc["B", "title"] == "Adjust bad debt"
    assert items.loc["B", "price"] == 11062.06
    assert (items["price"].dropna() > 0).all()


def test_guest_rows_go_to_rejects_file(from_parquet: Loaded) -> None:
    with from_parquet.rejects.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == GUEST_ROWS
    assert {(r["kind"], r["column"]) for r in rows} == {("excluded", "user_id")}
    assert rows[0]["row"] == "623" and "no CustomerID" in rows[0]["reason"]


def test_csv_matches_parquet(from_parquet: Loaded, retail_dir: Path, tmp_path: Path) -> None:
    from_csv = load(retail_dir / "online_retail.csv.gz", tmp_path)
    try:
        assert (from_csv.report.loaded, from_csv.report.excluded) == (
            from_parquet.report.loaded,
            from_parquet.report.excluded,
        )
        assert counts(from_csv.store) == counts(from_parquet.store)
        # Guest rows are excluded, not bad: both inputs go in one pass (issue #2).
        assert from_csv.report.one_pass and from_parquet.report.one_pass
        assert [s.rejected for s in from_csv.store.sources()] == [GUEST_ROWS]
        assert by_type(from_csv.store) == by_type(from_parquet.store)
        # CSV rows are file lines (header = line 1); Parquet rows are record numbers.
        first = from_csv.rejects.read_text(encoding="utf-8").splitlines()[1]
        assert first.startswith("online_retail.csv.gz,624,")
    finally:
        from_csv.store.close()


def test_folder_prefers_parquet_and_reingest_is_idempotent(
    from_parquet: Loaded, retail_dir: Path, tmp_path: Path
) -> None:
    before = counts(from_parquet.store)
    report = ingest(
        retail_dir, "online-retail", from_parquet.store, rejects_path=tmp_path / "again.csv"
    )
    assert report.files[-1].file == "online_retail.parquet"
    assert counts(from_parquet.store) == before


HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
GOOD = "536365,85123A,WHITE HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"


def write(path: Path, body: str) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(body)
    return path


def test_bad_rows_named_by_file_row_and_column(duck_store: DuckDBStore, tmp_path: Path) -> None:
    body = (
        HEADER
        + GOOD
        + "536366,71053,LANTERN,6,someday,3.39,17850,United Kingdom\n"
        + "536367,71053,LANTERN,six,2010-12-01 08:28:00,3.39,17850,United Kingdom\n"
        + "536368,71053,LANTERN,1,2010-12-01 08:29:00,3.39,,United Kingdom\n"
    )
    path = write(tmp_path / "retail.csv.gz", body)
    with pytest.raises(IngestError) as info:
        ingest(path, "online-retail", duck_store, rejects_path=tmp_path / "r.csv")
    found = [(i.file, i.row, i.column) for i in info.value.issues]
    assert found == [("retail.csv.gz", 3, "timestamp"), ("retail.csv.gz", 4, "quantity")]
    assert "someday" in info.value.issues[0].reason and "six" in info.value.issues[1].reason
    assert counts(duck_store)["events"] == 0

    report = ingest(
        path, "online-retail", duck_store, on_error="skip", rejects_path=tmp_path / "r.csv"
    )
    assert (report.files[-1].loaded, report.rejected, report.excluded) == (1, 2, 1)
    assert not report.one_pass and not (tmp_path / "r.csv.partial").exists()
    with (tmp_path / "r.csv").open(encoding="utf-8") as fh:
        found_rows = list(csv.DictReader(fh))
    rows = [(r["row"], r["kind"]) for r in found_rows]
    assert rows == [("3", "rejected"), ("4", "rejected"), ("5", "excluded")]
    # Issue #2: bad and excluded rows show the same raw values (the cheaper JSON).
    keys = [list(json.loads(r["raw"])) for r in found_rows]
    assert keys[0] == keys[1] == keys[2] and "channel" not in keys[2]
    assert json.loads(found_rows[2]["raw"])["timestamp"] == "2010-12-01 08:29:00"


GUEST = "536369,22632,HAND WARMER,6,2010-12-01 08:34:00,1.85,,United Kingdom\n"


def test_one_pass_writes_excluded_rows_and_counts_each_table(
    duck_store: DuckDBStore, tmp_path: Path
) -> None:
    """Issue #2: exclusions no longer force the careful path; every count stays the same."""
    second = "536370,22633,HAND WARMER UNION JACK,-2,2010-12-01 08:45:00,2.1,12583,France\n"
    path = write(tmp_path / "retail.csv.gz", HEADER + GOOD + GUEST + second)
    for _ in range(2):  # the second ingest of the same file changes nothing
        report = ingest(path, "online-retail", duck_store, rejects_path=tmp_path / "r.csv")
        assert report.one_pass
        loaded = {f.table: (f.loaded, f.excluded, f.rejected) for f in report.files}
        assert loaded == {"users": (2, 0, 0), "items": (3, 0, 0), "events": (2, 1, 0)}
        assert counts(duck_store) == {
            "users": 2,
            "items": 3,
            "events": 2,
            "campaigns": 0,
            "exposures": 0,
            "sources": 1,
        }
    assert duck_store.sources()[0].rows == 2 + 3 + 2
    assert report.rejects_path == str(tmp_path / "r.csv")
    assert not (tmp_path / "r.csv.partial").exists()
    with (tmp_path / "r.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["row"], r["column"], r["kind"]) for r in rows] == [("3", "user_id", "excluded")]
    assert "no CustomerID" in rows[0]["reason"] and '"item_id":"22632"' in rows[0]["raw"]


@pytest.mark.parametrize("first", [GOOD, GUEST], ids=["one pass", "careful"])
def test_excluded_rows_are_numbered_by_file_line(
    duck_store: DuckDBStore, tmp_path: Path, first: str
) -> None:
    """Issue #2: blank lines count in the line numbers of excluded rows, as they do for
    bad rows. With no customer at all the users table is empty: the careful path."""
    path = write(tmp_path / "retail.csv.gz", HEADER + first + "\n\n" + GUEST + "\n" + GUEST)
    report = ingest(
        path, "online-retail", duck_store, on_error="skip", rejects_path=tmp_path / "r.csv"
    )
    assert report.one_pass == (first == GOOD)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        guest_lines = [n for n, line in enumerate(fh, start=1) if line == GUEST]
    with (tmp_path / "r.csv").open(encoding="utf-8") as fh:
        rows = [int(r["row"]) for r in csv.DictReader(fh) if r["kind"] == "excluded"]
    assert rows == guest_lines == ([5, 7] if first == GOOD else [2, 5, 7])


def test_bad_row_beside_exclusions_leaves_no_trace(duck_store: DuckDBStore, tmp_path: Path) -> None:
    """Issue #2: the one-pass attempt rolls back and its rejects file is never written."""
    bad = "536371,22634,LANTERN,1,2010-12-01 08:50:00,cheap,13047,United Kingdom\n"
    path = write(tmp_path / "retail.csv.gz", HEADER + GOOD + GUEST + bad)
    with pytest.raises(IngestError) as info:
        ingest(path, "online-retail", duck_store, rejects_path=tmp_path / "r.csv")
    assert [(i.row, i.column) for i in info.value.issues] == [(4, "amount")]
    assert "cheap" in info.value.issues[0].reason
    assert sum(counts(duck_store).values()) == 0
    assert not list(tmp_path.glob("r.csv*"))


def test_broken_line_falls_back_to_the_reader_with_rejects(
    duck_store: DuckDBStore, tmp_path: Path
) -> None:
    """Issue #2: the file is read strictly first; a broken line is still reported by line."""
    path = write(tmp_path / "retail.csv.gz", HEADER + GOOD + "536372,22635\n" + GUEST)
    report = ingest(
        path, "online-retail", duck_store, on_error="skip", rejects_path=tmp_path / "r.csv"
    )
    assert not report.one_pass
    assert (report.loaded, report.rejected, report.excluded) == (1 + 1 + 2, 1, 1)
    with (tmp_path / "r.csv").open(encoding="utf-8") as fh:
        rows = [(r["row"], r["column"], r["kind"]) for r in csv.DictReader(fh)]
    assert rows == [("3", "", "rejected"), ("4", "user_id", "excluded")]


def test_mixed_line_ends_are_read(duck_store: DuckDBStore, tmp_path: Path) -> None:
    """Issue #2: a CSV read once into memory may mix '\\r\\n' and '\\n' line ends too."""
    path = write(tmp_path / "retail.csv.gz", HEADER + GOOD.replace("\n", "\r\n") + GUEST)
    report = ingest(path, "online-retail", duck_store, rejects_path=tmp_path / "r.csv")
    assert report.one_pass
    loaded = {f.table: (f.loaded, f.excluded, f.rejected) for f in report.files}
    assert loaded == {"users": (1, 0, 0), "items": (2, 0, 0), "events": (1, 1, 0)}
    users = duck_store.read(Table.users).to_pylist()
    assert [(u["user_id"], u["attributes"]) for u in users] == [
        ("17850", '{"country":"United Kingdom"}')  # no '\\r' left on the last column
    ]
    with (tmp_path / "r.csv").open(encoding="utf-8") as fh:
        assert [(r["row"], r["kind"]) for r in csv.DictReader(fh)] == [("3", "excluded")]


def test_float_customer_ids_and_excel_dates(duck_store: DuckDBStore, tmp_path: Path) -> None:
    body = HEADER + "C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527.0,United Kingdom\n"
    ingest(
        write(tmp_path / "retail.csv.gz", body),
        "online-retail",
        duck_store,
        rejects_path=tmp_path / "r.csv",
    )
    row = duck_store.read(Table.events).to_pylist()[0]
    assert (row["user_id"], row["type"], row["quantity"], row["amount"]) == (
        "14527",
        "return",
        1.0,
        -27.5,
    )
    assert str(row["timestamp"]) == "2010-12-01 09:41:00"


def test_gzipped_csv_is_read_from_a_temp_copy_that_is_removed(
    duck_store: DuckDBStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #2: a gzipped CSV is decompressed first (DuckDB reads gzip on one thread);
    the copy is gone afterwards, whether the load worked or not."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    path = write(tmp_path / "retail.csv.gz", HEADER + GOOD + GUEST)
    report = ingest(path, "online-retail", duck_store, rejects_path=tmp_path / "r.csv")
    assert (report.loaded, report.excluded) == (1 + 2 + 1, 1)  # users, items, events
    assert list(temp.iterdir()) == []

    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(path.read_bytes()[:-12])  # cut short: no gzip trailer
    with pytest.raises(IngestError, match=r"broken\.csv\.gz: cannot decompress"):
        ingest(broken, "online-retail", duck_store, rejects_path=tmp_path / "r2.csv")
    assert list(temp.iterdir()) == []
    assert counts(duck_store)["events"] == 1
