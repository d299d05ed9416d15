"""UCI Online Retail: one row per invoice line, as Parquet or CSV.

Each row becomes a ``purchase`` event, or a ``return`` (positive quantity,
negative amount) when the invoice number starts with ``C`` or the quantity
is negative; amounts are rounded to 6 decimals to drop float noise. The
invoice is the session. Rows without a CustomerID (guest checkouts, a
quarter of the file) are excluded on purpose: they are counted and written
to the rejects file, never loaded.

Users get their country (the one of their latest row; eight customers have
two). Items are built from *all* rows, guest rows included: the title is the
most frequent non-empty Description, the price the most frequent positive
UnitPrice (ties go to the one used last); an item never sold at a positive
price has no price. Online Retail II column names (``Invoice``, ``Price``,
``Customer ID``) are accepted too.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tailorwise.columns import Columns as C
from tailorwise.columns import EventType, Table
from tailorwise.errors import IngestError
from tailorwise.ingest.formats.base import Check, IngestOptions, RawTable
from tailorwise.ingest.formats.readers import (
    DelimitedFile,
    parquet_select,
    scan_columns,
)
from tailorwise.store.sql import quote, sql_literal

# Logical source column -> accepted names, compared without case, spaces or '_'.
_NAMES: dict[str, tuple[str, ...]] = {
    "invoice": ("invoiceno", "invoice"),
    "stock": ("stockcode",),
    "description": ("description",),
    "quantity": ("quantity",),
    "date": ("invoicedate",),
    "price": ("unitprice", "price"),
    "customer": ("customerid",),
    "country": ("country",),
}
_OPTIONAL = {"description", "country"}
_PARQUET = (".parquet", ".pq")
_TEXT = (".csv", ".csv.gz", ".txt", ".txt.gz")
# Stands in for the missing user id of a guest row, which is excluded before
# loading; a NULL would make the row fail the required user_id check instead.
GUEST = "guest"
# Excel exports write dates as month/day/year.
_US_DATE = r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?"


def _shown(col: str) -> str:
    return f"left(to_json({col})::VARCHAR, 60)"


def _resolve(path: Path, columns: list[str]) -> dict[str, str]:
    def norm(name: str) -> str:
        return name.lower().replace(" ", "").replace("_", "")

    found: dict[str, str] = {}
    for logical, names in _NAMES.items():
        match = next((c for c in columns if norm(c) in names), None)
        if match is not None:
            found[logical] = match
        elif logical not in _OPTIONAL:
            raise IngestError(
                f"{path}: no column '{names[0]}' (expected the Online Retail columns InvoiceNo, "
                f"StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country; "
                f"the file has: {', '.join(columns)})."
            )
    return found


def _source_exprs(found: dict[str, str]) -> dict[str, str]:
    """Every source column as trimmed text, whatever the file's own types."""
    text = {k: f"NULLIF(trim(CAST({quote(v)} AS VARCHAR)), '')" for k, v in found.items()}
    for optional in _OPTIONAL - set(found):
        text[optional] = "CAST(NULL AS VARCHAR)"
    # A float CustomerID (17850.0, NaN for none) becomes '17850' or NULL.
    cust = text["customer"]
    # (cheap tests first: regular expressions only run on the rows that need them)
    text["customer"] = (
        f"CASE WHEN lower({cust}) = 'nan' THEN NULL WHEN contains({cust}, '.') "
        f"THEN regexp_replace({cust}, '\\.0+$', '') ELSE {cust} END"
    )
    date = text["date"]
    text["date"] = (
        f"CASE WHEN contains({date}, '/') AND regexp_full_match({date}, '{_US_DATE}') THEN "
        f"strftime(try_strptime({date}, ['%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S']), "
        f"'%Y-%m-%d %H:%M:%S') ELSE {date} END"
    )
    return text


def _source_file(path: Path) -> Path:
    if not path.is_dir():
        return path
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    for suffixes in (_PARQUET, _TEXT):
        found = [p for p in files if p.name.lower().endswith(suffixes)]
        if len(found) == 1:
            return found[0]
        if found:
            raise IngestError(
                f"{path}: the folder holds several files that could be Online Retail "
                f"({', '.join(p.name for p in found)}); pass one of them."
            )
    raise IngestError(f"{path}: the folder holds no .parquet or .csv file.")


def _events_sql(src: str) -> str:
    is_return = "(upper(invoice) LIKE 'C%' OR q < 0)"
    return (
        f"SELECT coalesce(customer, '{GUEST}') AS {C.user}, stock AS {C.item}, "
        f"CASE WHEN {is_return} THEN '{EventType.return_.value}' "
        f"ELSE '{EventType.purchase.value}' END AS {C.type}, date AS {quote(C.timestamp)}, "
        f"abs(q) AS {C.quantity}, round(CASE WHEN {is_return} THEN -abs(q * p) ELSE q * p END, 6) "
        f"AS {C.amount}, invoice AS {C.session}, "
        f"to_json(struct_pack(invoice := invoice, unit_price := p)) AS {C.context}, "
        "customer AS _customer, quantity AS _quantity, price AS _price, q AS _q, p AS _p, "
        "_file, _row "
        f"FROM (SELECT *, TRY_CAST(quantity AS DOUBLE) AS q, TRY_CAST(price AS DOUBLE) AS p "
        f"FROM ({src}) AS s) AS n"
    )


def _number_checks(column: str, raw: str, number: str, source: str) -> list[Check]:
    """``raw``: the source text, trimmed and NULL when empty; ``number``: it as a DOUBLE."""
    return [
        Check(column, f"{raw} IS NULL", f"'missing {source}'"),
        Check(
            column,
            f"{number} IS NULL AND {raw} IS NOT NULL",
            f"'cannot read ' || {_shown(raw)} || ' as a number ({source})'",
        ),
    ]


def _event_checks() -> list[Check]:
    return [
        Check(C.item, f"{quote(C.item)} IS NULL", "'missing StockCode'"),
        *_number_checks(C.quantity, "_quantity", "_q", "Quantity"),
        *_number_checks(C.amount, "_price", "_p", "UnitPrice"),
        Check(C.user, "_customer IS NULL", "'no CustomerID (guest checkout); not loaded'", False),
    ]


def _users_sql(src: str) -> str:
    country = "arg_max(country, _row) FILTER (WHERE country IS NOT NULL)"
    return (
        f"SELECT customer AS {C.user}, to_json(struct_pack(country := {country})) "
        f"AS {C.attributes}, any_value(_file) AS _file, min(_row) AS _row "
        f"FROM ({src}) AS s WHERE customer IS NOT NULL GROUP BY customer"
    )


def _items_sql(src: str) -> str:
    def most_used(expr: str, where: str) -> str:
        return (
            f"SELECT stock, arg_max(v, struct_pack(n := n, last := last)) AS v FROM "
            f"(SELECT stock, {expr} AS v, count(*) AS n, max(_row) AS last FROM lines "
            f"WHERE {where} GROUP BY ALL) GROUP BY stock"
        )

    titles = most_used("description", "description IS NOT NULL")
    prices = most_used("p", "p > 0")
    # Materialized: the file is read once, not once per grouping.
    return (
        "WITH lines AS MATERIALIZED (SELECT stock, description, TRY_CAST(price AS DOUBLE) AS p, "
        f"_file, _row FROM ({src}) AS s WHERE stock IS NOT NULL) "
        f"SELECT k.stock AS {C.item}, t.v AS {C.title}, t.v AS {C.text}, p.v AS {C.price}, "
        "k._file, k._row FROM (SELECT stock, any_value(_file) AS _file, min(_row) AS _row "
        "FROM lines GROUP BY stock) AS k "
        f"LEFT JOIN ({titles}) AS t USING (stock) LEFT JOIN ({prices}) AS p USING (stock)"
    )


class OnlineRetailLoader:
    name = "online-retail"
    description = "UCI Online Retail (I or II): invoice lines as Parquet or CSV; a folder works too"

    def raw_tables(
        self, path: Path, con: duckdb.DuckDBPyConnection, options: IngestOptions
    ) -> list[RawTable]:
        file = _source_file(path)
        if file.name.lower().endswith(_PARQUET):
            scan = f"read_parquet({sql_literal(str(file))})"
            exprs = _source_exprs(_resolve(file, scan_columns(con, file, scan)))
            src = parquet_select(file, exprs)
            return _raw_tables(file, src, one_pass=True)
        if not file.name.lower().endswith(_TEXT):
            raise IngestError(
                f"{file}: the online-retail format reads .parquet or .csv (gzipped too); "
                "save an Excel workbook as CSV first."
            )
        reader = DelimitedFile(file, delimiter=options.delimiter)
        # One read of the file; the events table reports lines the reader rejected.
        read = reader.select_once(con, _source_exprs(_resolve(file, reader.columns(con))))
        tables = _raw_tables(file, read.sql, one_pass=read.clean, header_lines=1)
        tables[-1].structural = reader.structural
        tables[-1].skipped_lines = reader.blank_lines
        return tables


def _raw_tables(file: Path, src: str, *, one_pass: bool, header_lines: int = 0) -> list[RawTable]:
    """Users, items and events of one file; ``one_pass``: the rows can go straight in."""
    sqls = {
        Table.users: _users_sql(src),
        Table.items: _items_sql(src),
        Table.events: _events_sql(src),
    }
    return [
        RawTable(
            table,
            file,
            sql,
            _event_checks() if table == Table.events else [],
            header_lines=header_lines,
            fast_sql=sql if one_pass else None,
        )
        for table, sql in sqls.items()
    ]
