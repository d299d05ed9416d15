"""The MovieLens formats: 100K, the ``::`` files of 1M/10M, and the ``latest`` CSVs.

The variant is told by the files present. The 100K and ``::`` files are read
line by line and split in SQL, so each row keeps its physical line number
(blank lines included) and a line with the wrong number of fields is named.
The CSVs are read by DuckDB's CSV reader, since their titles are quoted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import duckdb

from tailorwise.columns import Columns as C
from tailorwise.columns import Table
from tailorwise.errors import IngestError
from tailorwise.ingest.formats.base import DEFAULT_RATING_RANGE, Check, IngestOptions, RawTable
from tailorwise.ingest.formats.readers import DelimitedFile
from tailorwise.store.sql import quote, sql_literal

RATINGS = ("userId", "movieId", "rating", "timestamp")
TAGS = ("userId", "movieId", "tag", "timestamp")
MOVIES = ("movieId", "title", "genres")
LINKS = ("movieId", "imdbId", "tmdbId")
USERS_100K = ("userId", "age", "gender", "occupation", "zip")
USERS_1M = ("userId", "gender", "age", "occupation", "zip")
GENRES_100K = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
ITEMS_100K = (
    "movieId",
    "title",
    "released",
    "video_released",
    "imdb_url",
    *(f"g{i}" for i in range(len(GENRES_100K))),
)
NO_GENRES = "(no genres listed)"
# Codes of the 1M users.dat, from the data set's README.
AGE_GROUPS_1M = {
    "1": "Under 18",
    "18": "18-24",
    "25": "25-34",
    "35": "35-44",
    "45": "45-49",
    "50": "50-55",
    "56": "56+",
}
OCCUPATIONS_1M = (
    "other",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
)
SCALE_100K = (1.0, 5.0)
SCALE_HALF_STARS = (0.5, 5.0)  # 10M and the CSVs; 1M uses whole stars within it


class _Source(Protocol):
    path: Path

    def raw(
        self, table: Table, exprs: Mapping[str, str], checks: Sequence[Check] = ()
    ) -> RawTable: ...


class _Lines:
    """A text file read as whole lines, split on ``sep`` into the named fields."""

    def __init__(
        self, path: Path, sep: str, fields: Sequence[str], encoding: str = "utf-8"
    ) -> None:
        self.path, self.sep, self.fields = path, sep, tuple(fields)
        # \x01 never occurs in these files: each line arrives as one column.
        self.reader = DelimitedFile(
            path,
            delimiter="\x01",
            header=False,
            names=["_line"],
            encoding=encoding,
            quote_char=None,
        )

    def raw(self, table: Table, exprs: Mapping[str, str], checks: Sequence[Check] = ()) -> RawTable:
        lines = self.reader.select({"_line": f"rtrim({quote('_line')}, chr(13))"})
        parts = ", ".join(f"_p[{i + 1}] AS {quote(f)}" for i, f in enumerate(self.fields))
        cols = ", ".join(f"{expr} AS {quote(name)}" for name, expr in exprs.items())
        sql = (
            f"SELECT {cols}, len(_p) AS _fields, _file, _row FROM (SELECT *, {parts} FROM "
            f"(SELECT _file, _row, string_split(_line, {sql_literal(self.sep)}) AS _p "
            f"FROM ({lines}) AS l WHERE NULLIF(trim(_line), '') IS NOT NULL) AS s) AS f"
        )
        n = len(self.fields)
        count = Check(
            None,
            f"_fields <> {n}",
            f"'wrong number of fields: expected {n}, found ' || _fields || "
            f"' (fields are separated by {self.sep.encode('unicode_escape').decode()})'",
        )
        return RawTable(table, self.path, sql, [count, *checks], self.reader.structural)


class _Csv:
    """A CSV file with a header holding at least the named columns."""

    def __init__(self, path: Path, fields: Sequence[str], con: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self.reader = DelimitedFile(path, delimiter=",")
        found = self.reader.columns(con)
        missing = [f for f in fields if f not in found]
        if missing:
            raise IngestError(
                f"{path}: no column '{missing[0]}' (the file has: {', '.join(found)}); "
                f"a MovieLens {path.name} has the columns {', '.join(fields)}."
            )
        self.fields = tuple(fields)

    def raw(self, table: Table, exprs: Mapping[str, str], checks: Sequence[Check] = ()) -> RawTable:
        # A header line repeated inside the data (concatenated files) holds the column names.
        header = self.reader.repeated_header(
            {name: src for name, expr in exprs.items() for src in self.fields if expr == quote(src)}
        )
        return RawTable(
            table,
            self.path,
            self.reader.select(exprs),
            [header, *checks],
            self.reader.structural,
            header_lines=1,
        )


def scale_checks(options: IngestOptions, scale: tuple[float, float], label: str) -> list[Check]:
    """The format's own rating scale, unless the user set one.

    Values outside the engine's default range are left to the engine's check,
    so each bad rating is reported once.
    """
    if options.rating_min is not None or options.rating_max is not None:
        return []
    (lo, hi), (elo, ehi) = scale, DEFAULT_RATING_RANGE
    v = quote("__t_value")
    return [
        Check(
            C.value,
            f"({v} < {lo} OR {v} > {hi}) AND {v} >= {elo} AND {v} <= {ehi}",
            f"'rating ' || trim({quote(C.value)}::VARCHAR) || ' is outside the {label} scale "
            f"{lo:g} to {hi:g} (set another scale with --rating-min/--rating-max)'",
        )
    ]


def _ratings(
    src: _Source, options: IngestOptions, scale: tuple[float, float], label: str
) -> RawTable:
    exprs = {
        C.user: quote("userId"),
        C.item: quote("movieId"),
        C.type: "'rating'",
        C.value: quote("rating"),
        C.timestamp: quote("timestamp"),
    }
    return src.raw(Table.events, exprs, scale_checks(options, scale, label))


def _tags(src: _Source) -> RawTable:
    exprs = {
        C.user: quote("userId"),
        C.item: quote("movieId"),
        C.type: "'tag'",
        C.text: quote("tag"),
        C.timestamp: quote("timestamp"),
    }
    return src.raw(Table.events, exprs)


def _movies(src: _Source) -> RawTable:
    """Movies of 1M/10M/latest: genres split on '|', the year in the title as created_at."""
    year = f"regexp_extract({quote('title')}, '\\((\\d{{4}})\\)\\s*$', 1)"
    exprs = {
        C.item: quote("movieId"),
        C.title: f"trim({quote('title')})",
        C.categories: f"CASE WHEN trim({quote('genres')}) = {sql_literal(NO_GENRES)} THEN '' "
        f"ELSE {quote('genres')} END",
        C.created_at: f"CASE WHEN {year} <> '' THEN {year} || '-01-01' END",
    }
    return src.raw(Table.items, exprs)


def _links(src: _Source) -> RawTable:
    pairs = "imdb_id := NULLIF(trim(\"imdbId\"), ''), tmdb_id := NULLIF(trim(\"tmdbId\"), '')"
    exprs = {C.item: quote("movieId"), C.attributes: f"to_json(struct_pack({pairs}))::VARCHAR"}
    return src.raw(Table.items, exprs)


def _whole_number(column: str) -> Check:
    """A check on a helper column ``_<column>`` that the raw SQL passes through."""
    c = quote("_" + column)
    return Check(
        column,
        f"NULLIF(trim({c}), '') IS NOT NULL AND TRY_CAST(trim({c}) AS INTEGER) IS NULL",
        f"'cannot read ' || to_json({c})::VARCHAR || ' as a whole number'",
    )


def _users_100k(src: _Source) -> RawTable:
    pairs = (
        "age := TRY_CAST(trim(age) AS INTEGER), gender := NULLIF(gender, ''), "
        "occupation := NULLIF(occupation, ''), zip_code := NULLIF(zip, '')"
    )
    exprs = {
        C.user: quote("userId"),
        C.attributes: f"to_json(struct_pack({pairs}))::VARCHAR",
        "_age": quote("age"),
    }
    return src.raw(Table.users, exprs, [_whole_number("age")])


def _case(column: str, labels: Mapping[str, str]) -> str:
    whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in labels.items())
    return f"CASE trim({quote(column)}) {whens} END"


def _users_1m(src: _Source) -> RawTable:
    jobs = {str(i): name for i, name in enumerate(OCCUPATIONS_1M)}
    pairs = (
        f"gender := NULLIF(gender, ''), age_group := {_case('age', AGE_GROUPS_1M)}, "
        f"occupation := {_case('occupation', jobs)}, zip_code := NULLIF(zip, '')"
    )
    exprs = {
        C.user: quote("userId"),
        C.attributes: f"to_json(struct_pack({pairs}))::VARCHAR",
        "_age": f"{_case('age', AGE_GROUPS_1M)} IS NULL AND NULLIF(trim(age), '') IS NOT NULL",
        "_occupation": f"{_case('occupation', jobs)} IS NULL AND NULLIF(trim(occupation), '') "
        "IS NOT NULL",
    }
    checks = [
        Check(col, quote("_" + col), f"'unknown {col} code; see the README of MovieLens 1M'")
        for col in ("age", "occupation")
    ]
    return src.raw(Table.users, exprs, checks)


def genre_names(folder: Path) -> tuple[str, ...]:
    """Genre names of a 100K folder, from u.genre when present, in flag order."""
    path = folder / "u.genre"
    if not path.is_file():
        return GENRES_100K
    names: dict[int, str] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        name, _, index = line.strip().rpartition("|")
        if name and index.isdigit():
            names[int(index)] = name
    if sorted(names) != list(range(len(GENRES_100K))):
        raise IngestError(
            f"{path}: expected {len(GENRES_100K)} lines 'name|index' numbered from 0; "
            "fix the file or remove it to use the standard genre names."
        )
    return tuple(names[i] for i in range(len(GENRES_100K)))


def _items_100k(src: _Source, genres: Sequence[str]) -> RawTable:
    flags = [f"g{i}" for i in range(len(genres))]
    names = ", ".join(
        f"CASE WHEN trim({quote(g)}) = '1' THEN {sql_literal(name)} END"
        for g, name in zip(flags, genres, strict=True)
    )
    released = f"NULLIF(trim({quote('released')}), '')"
    exprs = {
        C.item: quote("movieId"),
        C.title: f"trim({quote('title')})",
        C.categories: f"concat_ws('|', {names})",
        C.created_at: f"coalesce(strftime(try_strptime({released}, '%d-%b-%Y'), '%Y-%m-%d'), "
        f"{released})",
        C.attributes: "to_json(struct_pack(imdb_url := NULLIF(trim(imdb_url), '')))::VARCHAR",
        "_bad_flags": " OR ".join(
            f"coalesce(trim({quote(g)}), '') NOT IN ('0', '1')" for g in flags
        ),
    }
    check = Check(
        "genres",
        f"_fields = {len(ITEMS_100K)} AND _bad_flags",
        f"'the {len(flags)} genre flags must each be 0 or 1'",
    )
    return src.raw(Table.items, exprs, [check])


def _utf8_or_latin1(path: Path) -> str:
    """Metadata files of 1M are ISO-8859-1, later ones UTF-8."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


Builder = Callable[[Path, duckdb.DuckDBPyConnection, IngestOptions], RawTable]

# (variant, file name) -> how to read it; the order here is the load order.
_FILES: dict[str, dict[str, Builder]] = {
    "100k": {
        "u.user": lambda p, con, o: _users_100k(_Lines(p, "|", USERS_100K, "latin-1")),
        "u.item": lambda p, con, o: _items_100k(
            _Lines(p, "|", ITEMS_100K, "latin-1"), genre_names(p.parent)
        ),
        "u.data": lambda p, con, o: _ratings(
            _Lines(p, "\t", RATINGS), o, SCALE_100K, "MovieLens 100K"
        ),
    },
    "dat": {
        "users.dat": lambda p, con, o: _users_1m(_Lines(p, "::", USERS_1M, _utf8_or_latin1(p))),
        "movies.dat": lambda p, con, o: _movies(_Lines(p, "::", MOVIES, _utf8_or_latin1(p))),
        "ratings.dat": lambda p, con, o: _ratings(
            _Lines(p, "::", RATINGS), o, SCALE_HALF_STARS, "MovieLens"
        ),
        "tags.dat": lambda p, con, o: _tags(_Lines(p, "::", TAGS, _utf8_or_latin1(p))),
    },
    "csv": {
        "movies.csv": lambda p, con, o: _movies(_Csv(p, MOVIES, con)),
        "links.csv": lambda p, con, o: _links(_Csv(p, LINKS, con)),
        "ratings.csv": lambda p, con, o: _ratings(
            _Csv(p, RATINGS, con), o, SCALE_HALF_STARS, "MovieLens"
        ),
        "tags.csv": lambda p, con, o: _tags(_Csv(p, TAGS, con)),
    },
}


def _single(path: Path) -> tuple[str, str]:
    """(variant, role) of one file: by its name, else a ratings file by its suffix."""
    for variant, files in _FILES.items():
        if path.name.lower() in files:
            return variant, path.name.lower()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv", "ratings.csv"
    if suffix == ".dat":
        return "dat", "ratings.dat"
    return "100k", "u.data"  # u.data and its splits: u1.base, ua.test, ...


class MovieLensLoader:
    name = "movielens"
    description = "MovieLens 100K, 1M/10M (::) or latest/20M/25M (CSV): a folder or a ratings file"

    def raw_tables(
        self, path: Path, con: duckdb.DuckDBPyConnection, options: IngestOptions
    ) -> list[RawTable]:
        if path.is_file():
            variant, role = _single(path)
            return [_FILES[variant][role](path, con, options)]
        for files in _FILES.values():
            present = [(name, path / name) for name in files if (path / name).is_file()]
            if present:
                return [files[name](p, con, options) for name, p in present]
        raise IngestError(
            f"{path}: no MovieLens files here; expected u.data (100K), ratings.dat (1M, 10M) "
            "or ratings.csv (latest, 20M, 25M)."
        )
