"""Issue #2: bad input is reported by file, row and column, and never half-written."""

from __future__ import annotations

import csv
import gzip
import tempfile
from pathlib import Path

import pytest

from tailorwise.columns import Table
from tailorwise.errors import IngestError
from tailorwise.ingest.job import ingest
from tailorwise.store.duckdb import DuckDBStore

HEADER = "user_id,item_id,type,timestamp,value\n"
GOOD = [
    "u1,i1,rating,2024-01-01T10:00:00Z,4\n",
    "u2,i2,view,1704103200,\n",
    "u1,i2,purchase,2024-01-02 08:00:00+02:00,\n",
]


def write(path: Path, body: str | bytes) -> Path:
    if isinstance(body, str):
        path.write_text(body, encoding="utf-8")
    else:
        path.write_bytes(body)
    return path


def snapshot(store: DuckDBStore) -> dict[str, int]:
    return {t.value: store.count(t) for t in Table}


@pytest.fixture
def loaded(duck_store: DuckDBStore, tmp_path: Path) -> DuckDBStore:
    """A store that already holds some rows, so 'unchanged' means something."""
    ingest(write(tmp_path / "base.csv", HEADER + "".join(GOOD)), "events", duck_store)
    return duck_store


BAD_CASES = {
    "missing id": (
        HEADER + GOOD[0] + ",i9,view,2024-01-03T00:00:00Z,\n",
        3,
        "user_id",
        "missing user_id",
    ),
    "bad timestamp": (
        HEADER + GOOD[0] + "u3,i3,view,yesterday,\n",
        3,
        "timestamp",
        "as a date-time",
    ),
    "rating out of range": (
        HEADER + GOOD[0] + "u3,i3,rating,2024-01-03,7\n",
        3,
        "value",
        "outside the scale",
    ),
    "too many columns": (
        HEADER + GOOD[0] + "u3,i3,view,2024-01-03,,extra\n",
        3,
        None,
        "wrong number of columns",
    ),
    "too few columns": (HEADER + "u3,i3\n" + GOOD[0], 2, None, "wrong number of columns"),
    "repeated header": (HEADER + GOOD[0] + HEADER + GOOD[1], 3, None, "repeated header"),
    "unknown type": (
        HEADER + GOOD[0] + "u3,i3,purchse,2024-01-03,\n",
        3,
        "type",
        "unknown event type",
    ),
    "not a number": (HEADER + "u3,i3,rating,2024-01-03,five\n", 2, "value", "as a number"),
    # Issue #14: a year 10000 was stored, and then `tailorwise stats` crashed.
    "year 10000": (
        HEADER + GOOD[0] + "u3,i3,view,10000-01-01,\n",
        3,
        "timestamp",
        "timestamp 10000-01-01 00:00:00 is outside the plausible range 1970-01-01 to 2100-01-01",
    ),
    "year 0001": (HEADER + "u3,i3,view,0001-01-01,\n", 2, "timestamp", "plausible range"),
    "year 1900": (HEADER + GOOD[1] + "u3,i3,view,1900-06-01,\n", 3, "timestamp", "plausible"),
    "NUL in an id": (
        HEADER + GOOD[0] + "u\x003,i3,view,2024-01-03,\n",
        3,
        "user_id",
        'user_id "u\\u00003" contains a control character',
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_row_rejects_whole_file_and_names_row(
    loaded: DuckDBStore, tmp_path: Path, case: str
) -> None:
    body, row, column, reason = BAD_CASES[case]
    before = snapshot(loaded)
    path = write(tmp_path / "bad.csv", body)
    with pytest.raises(IngestError) as info:
        ingest(path, "events", loaded)
    issue = info.value.issues[0]
    assert (issue.file, issue.row, issue.column) == ("bad.csv", row, column)
    assert reason in issue.reason
    assert f"bad.csv, row {row}" in str(info.value)
    assert "nothing was written" in str(info.value)
    assert snapshot(loaded) == before


def test_non_utf8_bytes_are_reported(loaded: DuckDBStore, tmp_path: Path) -> None:
    before = snapshot(loaded)
    path = write(
        tmp_path / "latin.csv",
        (HEADER + GOOD[0]).encode() + "u9,caf\xe9,view,2024-01-03,\n".encode("latin-1"),
    )
    with pytest.raises(IngestError) as info:
        ingest(path, "events", loaded)
    issue = info.value.issues[0]
    assert (issue.row, issue.column) == (3, "item_id")
    assert "UTF-8" in issue.reason
    assert snapshot(loaded) == before


@pytest.mark.parametrize("body", ["", HEADER], ids=["zero bytes", "header only"])
def test_empty_file_is_an_error(loaded: DuckDBStore, tmp_path: Path, body: str) -> None:
    before = snapshot(loaded)
    with pytest.raises(IngestError, match=r"empty|no data rows"):
        ingest(write(tmp_path / "empty.csv", body), "events", loaded)
    assert snapshot(loaded) == before


def test_missing_required_column_names_the_column(loaded: DuckDBStore, tmp_path: Path) -> None:
    path = write(
        tmp_path / "nouser.csv", "customer,item_id,type,timestamp\nc1,i1,view,2024-01-01\n"
    )
    with pytest.raises(IngestError, match=r"no column .user_id..*--map user_id=COLUMN"):
        ingest(path, "events", loaded)


def test_skip_loads_good_rows_and_writes_rejects(duck_store: DuckDBStore, tmp_path: Path) -> None:
    body = (
        HEADER
        + GOOD[0]
        + "u3,i3,view,yesterday,\n"
        + "u4,i4\n"
        + GOOD[1]
        + ",i5,view,2024-01-01,\n"
    )
    rejects = tmp_path / "out" / "rejects.csv"
    report = ingest(
        write(tmp_path / "mixed.csv", body),
        "events",
        duck_store,
        on_error="skip",
        rejects_path=rejects,
    )
    assert report.loaded == 2 and report.rejected == 3
    assert duck_store.count(Table.events) == 2
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [(r["row"], r["column"]) for r in rows] == [
        ("3", "timestamp"),
        ("4", ""),
        ("6", "user_id"),
    ]
    assert "yesterday" in rows[0]["raw"]
    # the good rows keep their own line numbers as provenance
    assert sorted(duck_store.read(Table.events, ["source_row"]).column(0).to_pylist()) == [2, 5]


def test_same_file_twice_is_idempotent(duck_store: DuckDBStore, tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv", HEADER + "".join(GOOD))
    ingest(path, "events", duck_store)
    first = snapshot(duck_store)
    ingest(path, "events", duck_store)
    assert (
        snapshot(duck_store)
        == first
        == {"users": 2, "items": 2, "events": 3, "campaigns": 0, "exposures": 0, "sources": 1}
    )


def test_timestamps_are_utc(duck_store: DuckDBStore, tmp_path: Path) -> None:
    ingest(write(tmp_path / "events.csv", HEADER + "".join(GOOD)), "events", duck_store)
    stamps = sorted(
        str(t) for t in duck_store.read(Table.events, ["timestamp"]).column(0).to_pylist()
    )
    assert stamps == ["2024-01-01 10:00:00", "2024-01-01 10:00:00", "2024-01-02 06:00:00"]


def test_extra_columns_land_in_context(duck_store: DuckDBStore, tmp_path: Path) -> None:
    body = "user_id,item_id,type,timestamp,coupon\nu1,i1,purchase,2024-01-01,WINTER\n"
    ingest(write(tmp_path / "events.csv", body), "events", duck_store)
    assert duck_store.read(Table.events, ["context"]).column(0).to_pylist() == [
        '{"coupon":"WINTER"}'
    ]


def test_column_map_and_jsonl(duck_store: DuckDBStore, tmp_path: Path) -> None:
    from tailorwise.ingest.formats.base import IngestOptions

    body = (
        '{"customer": "c1", "sku": "s1", "type": "click", "timestamp": "2024-03-01T00:00:00"}\n' * 2
    )
    opts = IngestOptions(column_map={"user_id": "customer", "item_id": "sku"})
    report = ingest(write(tmp_path / "clicks.jsonl", body), "events", duck_store, options=opts)
    assert report.loaded == 2
    assert duck_store.read(Table.events, ["user_id"]).column(0).to_pylist() == ["c1", "c1"]


def test_blank_lines_keep_physical_row_numbers(loaded: DuckDBStore, tmp_path: Path) -> None:
    body = HEADER + GOOD[0] + "\n" + "u3,i3\n" + "\n" + "u4,i4,view,bad-date,\n"
    with pytest.raises(IngestError) as info:
        ingest(write(tmp_path / "blank.csv", body), "events", loaded)
    assert [(i.row, i.column) for i in info.value.issues] == [(4, None), (6, "timestamp")]


def test_broken_line_gets_one_reason(loaded: DuckDBStore, tmp_path: Path) -> None:
    with pytest.raises(IngestError) as info:
        ingest(write(tmp_path / "short.csv", HEADER + "u3\n"), "events", loaded)
    assert [(i.row, i.column) for i in info.value.issues] == [(2, None)]


def test_bom_and_gzip_headers_are_read(duck_store: DuckDBStore, tmp_path: Path) -> None:
    import gzip

    bom = write(tmp_path / "bom.csv", b"\xef\xbb\xbf" + (HEADER + GOOD[0]).encode())
    assert ingest(bom, "events", duck_store).loaded == 1
    packed = tmp_path / "events.tsv.gz"
    packed.write_bytes(gzip.compress((HEADER + "".join(GOOD)).replace(",", "\t").encode()))
    assert ingest(packed, "events", duck_store).loaded == 3


def test_clean_input_is_read_in_one_pass_and_bad_input_falls_back(
    duck_store: DuckDBStore, tmp_path: Path
) -> None:
    clean = ingest(write(tmp_path / "clean.csv", HEADER + "".join(GOOD)), "events", duck_store)
    assert clean.one_pass and clean.loaded == 3
    assert duck_store.sources()[0].rows == 3
    before = snapshot(duck_store)
    with pytest.raises(IngestError, match=r"bad\.csv, row 3, column 'timestamp'"):
        ingest(
            write(tmp_path / "bad.csv", HEADER + GOOD[0] + "u3,i3,view,never,\n"),
            "events",
            duck_store,
        )
    assert snapshot(duck_store) == before
    skipped = ingest(tmp_path / "bad.csv", "events", duck_store, on_error="skip")
    assert not skipped.one_pass and skipped.loaded == 1


@pytest.mark.parametrize("name", ["mixed.csv", "mixed.csv.gz"])
def test_mixed_line_ends_load_every_row(
    duck_store: DuckDBStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Issue #2: a file whose lines end some in '\\r\\n', some in '\\n' alone (DuckDB's
    sniffer fails on it) loads every row with its values, a '\\r\\n' inside quotes
    included; the copy it is read from is removed afterwards."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    # Each line's last field is filled: DuckDB lets a bare '\n' after an empty one through.
    body = (
        b"user_id,item_id,type,timestamp,value,text\r\n"
        b"u1,i1,rating,2024-01-01T10:00:00Z,4,first\n"
        b'u2,i2,view,1704103200,,"one\r\ntwo"\r\n'
        b"u3,i3,view,2024-01-02 08:00:00,,third\r\n"
        b"u4,i4,click,2024-01-03 09:00:00,,last\n"
    )
    path = write(tmp_path / name, gzip.compress(body) if name.endswith(".gz") else body)
    report = ingest(path, "events", duck_store)
    assert (report.loaded, report.rejected) == (4, 0)
    rows = sorted(duck_store.read(Table.events).to_pylist(), key=lambda r: r["source_row"])
    assert [(r["source_row"], r["user_id"], r["value"], r["text"]) for r in rows] == [
        (2, "u1", 4.0, "first"),
        (3, "u2", None, "one\r\ntwo"),
        (4, "u3", None, "third"),
        (5, "u4", None, "last"),
    ]
    assert list(temp.iterdir()) == []


@pytest.mark.parametrize("careful", [False, True], ids=["fast path", "careful path"])
def test_common_event_type_aliases_are_accepted(
    duck_store: DuckDBStore, tmp_path: Path, careful: bool
) -> None:
    """Issue #14: `cart` (as the README's "view < click < cart < purchase" says) and other
    names shops use are stored as our types; an unknown type is still named."""
    rows = "u1,i1,cart,2024-01-01,\nu1,i2, Buy ,2024-01-02,\nu2,i1,PageView,2024-01-03,\n"
    bad = "u2,i3,teleport,2024-01-04,\n" if careful else ""
    path = write(tmp_path / "aliases.csv", HEADER + rows + bad)
    if careful:
        with pytest.raises(
            IngestError, match=r'row 5, column .type.: unknown event type "teleport"'
        ):
            ingest(path, "events", duck_store)
        path = write(tmp_path / "aliases.csv", HEADER + rows)
    ingest(path, "events", duck_store)
    types = duck_store.read(Table.events, ["type"]).column("type").to_pylist()
    assert sorted(types) == ["add_to_cart", "purchase", "view"]


def test_the_plausible_date_range_is_configurable(duck_store: DuckDBStore, tmp_path: Path) -> None:
    """Issue #14: old data loads when the user widens the range; other dates (a film's
    release) have their own wide range."""
    from datetime import date

    from tailorwise.ingest.formats.base import IngestOptions

    path = write(tmp_path / "old.csv", HEADER + "u1,i1,view,1965-03-01,\n")
    with pytest.raises(IngestError, match="plausible range 1970-01-01"):
        ingest(path, "events", duck_store)
    ingest(path, "events", duck_store, options=IngestOptions(min_date=date(1950, 1, 1)))
    assert duck_store.count(Table.events) == 1
    items = write(tmp_path / "items.csv", "item_id,title,created_at\ni1,Metropolis,1927-01-10\n")
    ingest(items, "events", duck_store)
    assert duck_store.read(Table.items, ["created_at"]).column(0)[0].as_py().year == 1927


def _damaged_header(lines: list[str]) -> bytes:
    body = bytearray("".join(lines).encode("utf-8"))
    body[22], body[15] = 0x8E, 0x0D  # a byte that is not UTF-8, a stray carriage return
    return bytes(body)


ROWS = [HEADER, *GOOD * 5]
UNREADABLE = {
    # Issue #14: each of these used to give a message that named no line or the wrong cause.
    "damaged bytes": (
        _damaged_header(ROWS),
        "could not be detected: line 1 holds bytes that are not valid UTF-8 (at byte 23)",
    ),
    "utf-16": ("".join(ROWS).encode("utf-16"), "UTF-16 or UTF-32 encoded"),
    "utf-16 without a mark": ("".join(ROWS).encode("utf-16-le"), "looks UTF-16 or UTF-32"),
    "a 3 MB field": (
        "".join([*ROWS[:5], "u9,i9,view,2024-01-01," + "x" * 3_000_000 + "\n", *ROWS[1:]]).encode(),
        "line 6 is 3,000,023 bytes long",
    ),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_files_name_the_line_and_the_cause(
    loaded: DuckDBStore, tmp_path: Path, case: str
) -> None:
    body, message = UNREADABLE[case]
    before = snapshot(loaded)
    with pytest.raises(IngestError) as info:
        ingest(write(tmp_path / "bad.csv", body), "events", loaded)
    text = str(info.value)
    assert message in text
    assert len(text.splitlines()) <= 2, text  # one clear line, no dump of the CSV sniffer
    assert snapshot(loaded) == before
