"""Issue #2: the Amazon reviews (2014) loader: JSON lines, plain or gzipped."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tailorwise.columns import Table
from tailorwise.errors import IngestError, RowIssue
from tailorwise.ingest.job import ingest
from tailorwise.store.duckdb import DuckDBStore

REAL = "Musical_Instruments_5.json.gz"


def review(user: str, item: str, stars: float, when: int | str = 1393545600, **extra: Any) -> str:
    row = {
        "reviewerID": user,
        "asin": item,
        "reviewerName": f"name {user}",
        "helpful": [1, 2],
        "reviewText": f"text by {user}",
        "overall": stars,
        "summary": "ok",
        "unixReviewTime": when,
        "reviewTime": "02 28, 2014",
    } | extra
    return json.dumps(row)


GOOD = [review("u1", "i1", 5.0), review("u2", "i1", 3.0), review("u1", "i2", 1.0)]


def snapshot(store: DuckDBStore) -> dict[str, int]:
    return {t.value: store.count(t) for t in Table}


def rows(store: DuckDBStore, sql: str) -> list[tuple[Any, ...]]:
    return store.staging().execute(sql).fetchall()


@pytest.fixture(scope="module")
def instruments(
    shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DuckDBStore]:
    store = DuckDBStore(tmp_path_factory.mktemp("amazon") / "store.duckdb")
    path = shared_data("amazon-reviews-2014-musical-instruments-5core") / REAL
    ingest(path, "amazon-reviews", store)
    yield store
    store.close()


def test_real_file_counts(instruments: DuckDBStore) -> None:
    assert snapshot(instruments) | {"sources": 0} == {
        "users": 1429,
        "items": 900,
        "events": 10_261,
        "campaigns": 0,
        "exposures": 0,
        "sources": 0,
    }
    assert rows(instruments, "SELECT DISTINCT type FROM events") == [("review",)]
    stars = dict(rows(instruments, "SELECT value, count(*) FROM events GROUP BY value"))
    assert stars == {1.0: 217, 2.0: 250, 3.0: 772, 4.0: 2_084, 5.0: 6_938}
    first, last = rows(
        instruments, "SELECT min(timestamp)::DATE, max(timestamp)::DATE FROM events"
    )[0]
    assert (str(first), str(last)) == ("2004-09-18", "2014-07-22")


def test_real_file_text_and_context(instruments: DuckDBStore) -> None:
    (with_text,) = rows(instruments, "SELECT count(*) FROM events WHERE length(text) > 20")[0]
    assert with_text > 10_000
    text, context = rows(
        instruments,
        "SELECT text, context FROM events "
        "WHERE user_id = 'A2IBPI20UZIR0U' AND item_id = '1384719342'",
    )[0]
    assert text.startswith("Not much to write about here")
    assert json.loads(context) == {
        "summary": "good",
        "helpful": [0, 0],
        "reviewer_name": "cassandra tu \"Yeah, well, that's just like, u...",
    }


def test_plain_gzipped_and_folder_inputs(tmp_path: Path, duck_store: DuckDBStore) -> None:
    plain = tmp_path / "plain" / "reviews.json"
    plain.parent.mkdir()
    plain.write_text("\n".join(GOOD) + "\n")
    packed = tmp_path / "packed" / "reviews.json.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(("\n".join(GOOD[:2]) + "\n").encode()))
    assert ingest(plain, "amazon-reviews", duck_store).loaded == 3
    assert ingest(packed.parent, "amazon-reviews", duck_store).loaded == 2
    assert duck_store.count(Table.events) == 5
    assert snapshot(duck_store)["users"] == 2
    # Same file again: replaced, not added.
    ingest(plain, "amazon-reviews", duck_store)
    assert duck_store.count(Table.events) == 5


def test_bad_json_line_is_named_and_nothing_written(
    tmp_path: Path, duck_store: DuckDBStore
) -> None:
    good = tmp_path / "good.json"
    good.write_text("\n".join(GOOD) + "\n")
    ingest(good, "amazon-reviews", duck_store)
    before = snapshot(duck_store)
    bad = tmp_path / "bad.json"
    lines = [
        *GOOD,
        '{"reviewerID": "u9", "asin": "i9", "overall": 4.0,',
        "",
        "{'reviewerID': 'u8', 'asin': 'i8'}",
        review("u7", "i7", 2.0),
    ]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(IngestError) as info:
        ingest(bad, "amazon-reviews", duck_store)
    first: dict[int, RowIssue] = {}
    for issue in info.value.issues:
        first.setdefault(issue.row, issue)
    assert sorted(first) == [4, 6]  # line 5 is blank and skipped
    assert first[4].file == "bad.json"
    assert "bad.json, row 4: the line is not valid JSON" in str(info.value)
    assert "single quotes" in first[6].reason
    assert snapshot(duck_store) == before
    report = ingest(
        bad, "amazon-reviews", duck_store, on_error="skip", rejects_path=tmp_path / "rejects.csv"
    )
    assert report.loaded == 4
    assert rows(duck_store, "SELECT max(source_row) FROM events WHERE user_id = 'u7'") == [(7,)]


@pytest.mark.parametrize(
    ("stars", "reason"), [(9.0, "rating 9"), (0.0, "Amazon reviews scale 1 to 5")]
)
def test_rating_out_of_scale_is_rejected(
    tmp_path: Path, duck_store: DuckDBStore, stars: float, reason: str
) -> None:
    path = tmp_path / "reviews.json"
    path.write_text("\n".join([*GOOD, review("u3", "i3", stars)]) + "\n")
    with pytest.raises(IngestError) as info:
        ingest(path, "amazon-reviews", duck_store)
    (issue,) = info.value.issues
    assert (issue.file, issue.row, issue.column) == ("reviews.json", 4, "value")
    assert reason in issue.reason
    assert duck_store.count(Table.events) == 0


def test_missing_ids_and_bad_time_are_named(tmp_path: Path, duck_store: DuckDBStore) -> None:
    path = tmp_path / "reviews.json"
    lines = [GOOD[0], review("", "i1", 4.0), review("u4", "i1", 4.0, when="soon"), "[1, 2]"]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(IngestError) as info:
        ingest(path, "amazon-reviews", duck_store)
    found = {(i.row, i.column) for i in info.value.issues}
    assert {(2, "user_id"), (3, "timestamp"), (4, None)} <= found
    assert "not an object" in str(info.value)


def test_folder_without_reviews(tmp_path: Path, duck_store: DuckDBStore) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(IngestError, match="no reviews file"):
        ingest(tmp_path, "amazon-reviews", duck_store)
