"""The data-store protocol.

A store holds the canonical tables. Ingestion parses and validates input in
a DuckDB *staging* connection that the store hands out, then asks the store
to ``write`` the staged tables in one transaction. The DuckDB store stages in
its own connection, so rows move table to table without leaving the engine;
other stores stage in a private in-memory DuckDB and copy rows across.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tailorwise.columns import Table

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from tailorwise.store.summary import StoreSummary


@dataclass(frozen=True)
class SourceRecord:
    """One ingested input file."""

    source_id: str
    path: str
    format: str
    rows: int  # -1: unknown before the write; the store counts what it wrote
    rejected: int
    loaded_at: datetime | None = None


@dataclass(frozen=True)
class StagedTable:
    """A validated, typed table in the staging connection, ready to write.

    ``relation`` names a temp table whose columns are the table schema's
    ``storage_names`` in order.
    """

    table: Table
    relation: str
    source_id: str | None = None


@dataclass
class StagedBatch:
    """Everything one ingest writes, in one transaction."""

    sources: list[SourceRecord]
    tables: list[StagedTable] = field(default_factory=list)
    # True: the rows add to what the sources wrote before (events posted to the server,
    # a few at a time, under one source) instead of replacing it; ``rows`` counts the new.
    append: bool = False


@dataclass(frozen=True)
class CompactReport:
    """A store's size on disk before and after ``compact``, in bytes."""

    url: str
    before: int
    after: int


@runtime_checkable
class DataStore(Protocol):
    """Users, items, events and campaigns. Opened with :func:`open_store`."""

    url: str

    def staging(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection where ingestion may build temp tables."""
        ...

    def write(self, batch: StagedBatch) -> None:
        """Write a staged batch atomically.

        Rows of appended tables from the batch's sources replace any rows
        those sources wrote before; keyed tables are upserted.
        """
        ...

    def count(self, table: Table) -> int: ...

    def read(
        self,
        table: Table,
        columns: Sequence[str] | None = None,
        where: Mapping[str, Sequence[str]] | None = None,
    ) -> pa.Table:
        """Rows of ``table`` (all, or those whose columns hold one of the texts ``where``
        lists), with ``columns`` (all when None)."""
        ...

    def sources(self) -> list[SourceRecord]: ...

    def summary(self, top: int = 10) -> StoreSummary: ...

    def compact(self) -> CompactReport:
        """Give back the space that replaced and deleted rows left; the data stays as is."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> DataStore: ...

    def __exit__(self, *exc: object) -> None: ...
