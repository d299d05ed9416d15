"""Storage behind narrow protocols, opened by URL."""

from tailorwise.store.base import DataStore, SourceRecord, StagedBatch, StagedTable
from tailorwise.store.url import open_store

__all__ = ["DataStore", "SourceRecord", "StagedBatch", "StagedTable", "open_store"]
