"""Open a store by URL scheme, as gorse does: the backends behind one protocol."""

from __future__ import annotations

from pathlib import Path

from tailorwise.errors import StoreError
from tailorwise.store.base import DataStore


def open_store(url: str | Path, create: bool = True) -> DataStore:
    """Open a store by URL: a DuckDB file path (or ``duckdb://PATH``) or ``postgresql://...``.

    ``create=False`` opens only a DuckDB file that exists (for commands that only read)."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from tailorwise.store.postgres import PostgresStore
        except ModuleNotFoundError as exc:
            raise StoreError(
                f"a PostgreSQL store needs {exc.name}, which is not installed: "
                "pip install 'tailorwise[postgres]'"
            ) from exc

        return PostgresStore(text)
    if "://" in text and not text.startswith("duckdb://"):
        scheme = text.split("://", 1)[0]
        raise StoreError(
            f"unknown store URL scheme '{scheme}://' in '{text}'. Use a DuckDB file path "
            "(e.g. ./tailorwise.duckdb), duckdb://PATH, or postgresql://USER@HOST/DB."
        )
    from tailorwise.store.duckdb import DuckDBStore

    return DuckDBStore(text.removeprefix("duckdb://"), create=create)
