"""Issue #2: the MovieLens loader (100K, the ``::`` files of 1M/10M, the latest CSVs)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tailorwise.columns import Table
from tailorwise.errors import IngestError
from tailorwise.ingest.job import ingest
from tailorwise.store.duckdb import DuckDBStore


def snapshot(store: DuckDBStore) -> dict[str, int]:
    return {t.value: store.count(t) for t in Table}


def one(store: DuckDBStore, sql: str) -> Any:
    row = store.staging().execute(sql).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def item(store: DuckDBStore, item_id: str) -> dict[str, Any]:
    title, categories, created, attributes = one(
        store,
        f"SELECT title, categories, created_at, attributes FROM items WHERE item_id = '{item_id}'",
    )
    return {
        "title": title,
        "categories": categories,
        "created_at": created,
        "attributes": json.loads(attributes) if attributes else None,
    }


@pytest.fixture(scope="module")
def ml100k(
    shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DuckDBStore]:
    store = DuckDBStore(tmp_path_factory.mktemp("ml100k") / "store.duckdb")
    ingest(shared_data("movielens-100k"), "movielens", store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def latest(
    shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DuckDBStore]:
    store = DuckDBStore(tmp_path_factory.mktemp("latest") / "store.duckdb")
    ingest(shared_data("movielens-latest-small"), "movielens", store)
    yield store
    store.close()


def test_100k_counts(ml100k: DuckDBStore) -> None:
    assert one(ml100k, "SELECT count(*) FROM events WHERE type = 'rating'") == 100_000
    assert snapshot(ml100k) | {"sources": 0} == {
        "users": 943,
        "items": 1682,
        "events": 100_000,
        "campaigns": 0,
        "exposures": 0,
        "sources": 0,
    }
    assert one(ml100k, "SELECT min(value), max(value) FROM events") == (1.0, 5.0)
    assert one(ml100k, "SELECT count(*) FROM events WHERE timestamp IS NULL") == 0


def test_100k_items_have_titles_genres_and_dates(ml100k: DuckDBStore) -> None:
    toy = item(ml100k, "1")
    assert toy["title"] == "Toy Story (1995)"
    assert {"Animation", "Children's", "Comedy"} <= set(toy["categories"])
    assert str(toy["created_at"]) == "1995-01-01 00:00:00"
    assert toy["attributes"]["imdb_url"].startswith("http://us.imdb.com/")
    assert item(ml100k, "543")["title"] == "Misérables, Les (1995)"  # u.item is latin-1
    assert one(ml100k, "SELECT count(*) FROM items WHERE title IS NULL OR len(categories) = 0") == 0


def test_100k_users_have_attributes(ml100k: DuckDBStore) -> None:
    attrs = json.loads(one(ml100k, "SELECT attributes FROM users WHERE user_id = '1'"))
    assert attrs == {"age": 24, "gender": "M", "occupation": "technician", "zip_code": "85711"}
    assert one(ml100k, "SELECT count(*) FROM users WHERE attributes IS NULL") == 0


def test_latest_small_counts(latest: DuckDBStore) -> None:
    by_type = dict(
        latest.staging().execute("SELECT type, count(*) FROM events GROUP BY type").fetchall()
    )
    assert by_type == {"rating": 100_836, "tag": 3_683}
    assert one(latest, "SELECT count(DISTINCT user_id) FROM events") == 610
    assert latest.count(Table.items) == 9_742
    stars = one(latest, "SELECT min(value), max(value) FROM events WHERE type = 'rating'")
    assert stars == (0.5, 5.0)
    assert one(latest, "SELECT count(*) FROM events WHERE type = 'tag' AND text IS NULL") == 0


def test_latest_small_movies_genres_and_links(latest: DuckDBStore) -> None:
    toy = item(latest, "1")
    assert toy["title"] == "Toy Story (1995)"
    assert toy["categories"] == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]
    assert toy["attributes"] == {"imdb_id": "0114709", "tmdb_id": "862"}
    assert str(toy["created_at"]) == "1995-01-01 00:00:00"
    assert one(latest, "SELECT count(*) FROM items WHERE attributes IS NULL OR title IS NULL") == 0
    assert (
        one(
            latest,
            "SELECT count(*) FROM items WHERE list_contains(categories, '(no genres listed)')",
        )
        == 0
    )
    assert item(latest, "182727")["categories"] == []  # "(no genres listed)"


def test_ingesting_twice_leaves_identical_counts(
    shared_data: Callable[[str], Path], duck_store: DuckDBStore
) -> None:
    ingest(shared_data("movielens-latest-small"), "movielens", duck_store)
    first = snapshot(duck_store)
    ingest(shared_data("movielens-latest-small"), "movielens", duck_store)
    assert snapshot(duck_store) == first


def test_bad_u_data_is_rejected_by_file_row_and_column(
    shared_data: Callable[[str], Path], ml100k: DuckDBStore, tmp_path: Path
) -> None:
    lines = (shared_data("movielens-100k") / "u.data").read_text().splitlines()[:30]
    lines[4] = "196\t242\t7\t881250949"  # rating out of range
    lines[9] = "196\t242\t3\tyesterday"  # unparseable timestamp
    lines[19] = "\t242\t3\t881250949"  # missing user id
    lines[24] = "196\t242\t0\t881250949"  # below the 100K scale (1..5)
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    before = snapshot(ml100k)
    with pytest.raises(IngestError) as info:
        ingest(folder, "movielens", ml100k)
    found = {(i.file, i.row, i.column) for i in info.value.issues}
    assert found == {
        ("u.data", 5, "value"),
        ("u.data", 10, "timestamp"),
        ("u.data", 20, "user_id"),
        ("u.data", 25, "value"),
    }
    message = str(info.value)
    assert "u.data, row 5, column 'value': rating 7" in message
    assert "u.data, row 25, column 'value': rating 0 is outside the MovieLens 100K scale" in message
    assert "nothing was written" in message
    assert snapshot(ml100k) == before


def test_100k_rows_keep_physical_line_numbers(tmp_path: Path, duck_store: DuckDBStore) -> None:
    path = tmp_path / "u1.base"  # a 100K split file, read like u.data
    path.write_text("1\t1\t5\t874965758\n\n1\t2\t3\n1\t3\t4\t878542960\n")
    with pytest.raises(IngestError) as info:
        ingest(path, "movielens", duck_store)
    assert {(i.row, i.column) for i in info.value.issues} == {
        (3, None)
    }  # one reason per broken line
    assert "wrong number of fields: expected 4, found 3" in str(info.value)
    report = ingest(path, "movielens", duck_store, on_error="skip", rejects_path=tmp_path / "r.csv")
    assert report.loaded == 2
    assert one(duck_store, "SELECT list(source_row ORDER BY source_row) FROM events") == [1, 4]


def test_1m_dat_files(tmp_path: Path, duck_store: DuckDBStore) -> None:
    (tmp_path / "ratings.dat").write_text("1::1193::5::978300760\n2::3408::4::978298413\n")
    (tmp_path / "movies.dat").write_bytes(
        "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
        "3408::Erin Brockovich (2000)::Drama\n"
        "3::Misérables, Les (1995)::Drama|Musical\n".encode("latin-1")
    )
    (tmp_path / "users.dat").write_text("1::F::1::10::48067\n2::M::56::16::70072\n")
    ingest(tmp_path, "movielens", duck_store)
    assert snapshot(duck_store) | {"sources": 0} == {
        "users": 2,
        "items": 3,
        "events": 2,
        "campaigns": 0,
        "exposures": 0,
        "sources": 0,
    }
    assert item(duck_store, "3")["title"] == "Misérables, Les (1995)"
    assert item(duck_store, "3")["categories"] == ["Drama", "Musical"]
    assert str(item(duck_store, "3408")["created_at"]) == "2000-01-01 00:00:00"
    attrs = json.loads(one(duck_store, "SELECT attributes FROM users WHERE user_id = '2'"))
    assert attrs == {
        "gender": "M",
        "age_group": "56+",
        "occupation": "self-employed",
        "zip_code": "70072",
    }


def test_10m_dat_files_with_tags_and_half_stars(tmp_path: Path, duck_store: DuckDBStore) -> None:
    (tmp_path / "ratings.dat").write_text("1::122::4.5::838985046\n1::185::0.5::838983525\n")
    (tmp_path / "tags.dat").write_text("15::4973::excellent!::1215184630\n")
    (tmp_path / "movies.dat").write_text(
        "122::Boomerang (1992)::Comedy|Romance\n4973::Amélie (2001)::(no genres listed)\n"
    )
    ingest(tmp_path, "movielens", duck_store)
    rows = (
        duck_store.staging()
        .execute("SELECT type, user_id, item_id, value, text FROM events ORDER BY type, value")
        .fetchall()
    )
    assert rows == [
        ("rating", "1", "185", 0.5, None),
        ("rating", "1", "122", 4.5, None),
        ("tag", "15", "4973", None, "excellent!"),
    ]
    assert item(duck_store, "4973") | {"created_at": None, "attributes": None} == {
        "title": "Amélie (2001)",
        "categories": [],
        "created_at": None,
        "attributes": None,
    }


def test_dat_scale_and_codes_are_checked(tmp_path: Path, duck_store: DuckDBStore) -> None:
    (tmp_path / "ratings.dat").write_text("1::122::0::838985046\n1::185::6::838983525\n")
    (tmp_path / "users.dat").write_text("1::F::1::10::48067\n2::M::99::16::70072\n")
    with pytest.raises(IngestError) as info:
        ingest(tmp_path, "movielens", duck_store)
    found = {(i.file, i.row, i.column) for i in info.value.issues}
    assert found == {
        ("users.dat", 2, "age"),
        ("ratings.dat", 1, "value"),
        ("ratings.dat", 2, "value"),
    }
    assert snapshot(duck_store)["events"] == 0
    # A scale the user sets replaces the format's own.
    (tmp_path / "users.dat").unlink()
    ingest(tmp_path, "movielens", duck_store, options=_scale(0, 10))
    assert duck_store.count(Table.events) == 2


def _scale(lo: float, hi: float) -> Any:
    from tailorwise.ingest.formats.base import IngestOptions

    return IngestOptions(rating_min=lo, rating_max=hi)


def test_csv_with_wrong_columns_is_explained(tmp_path: Path, duck_store: DuckDBStore) -> None:
    (tmp_path / "ratings.csv").write_text("user,movie,stars,when\n1,1,4,964982703\n")
    with pytest.raises(IngestError, match="no column 'userId'"):
        ingest(tmp_path, "movielens", duck_store)


def test_csv_bad_row_is_named(
    shared_data: Callable[[str], Path], tmp_path: Path, duck_store: DuckDBStore
) -> None:
    shutil.copy(shared_data("movielens-latest-small") / "movies.csv", tmp_path / "movies.csv")
    (tmp_path / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,0.0,964981247\n"
    )
    with pytest.raises(IngestError) as info:
        ingest(tmp_path, "movielens", duck_store)
    assert [(i.file, i.row, i.column) for i in info.value.issues] == [("ratings.csv", 3, "value")]
    assert snapshot(duck_store)["items"] == 0


def test_csv_repeated_header_is_named(tmp_path: Path, duck_store: DuckDBStore) -> None:
    header = "userId,movieId,tag,timestamp\n"
    (tmp_path / "tags.csv").write_text(header + "2,60756,funny,1445714994\n" + header)
    with pytest.raises(IngestError) as info:
        ingest(tmp_path, "movielens", duck_store)
    assert [(i.row, i.reason) for i in info.value.issues] == [(3, "repeated header line")]


def test_folder_without_movielens_files(tmp_path: Path, duck_store: DuckDBStore) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(IngestError, match="no MovieLens files"):
        ingest(tmp_path, "movielens", duck_store)
