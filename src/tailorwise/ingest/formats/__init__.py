"""Format loaders, by name. An explicit registry: no scanning of paths."""

from __future__ import annotations

from tailorwise.ingest.formats.base import IngestOptions, Loader, RawTable
from tailorwise.registry import LazyRegistry

# Modules are imported only when their format is used.
LOADERS: LazyRegistry[Loader] = LazyRegistry(
    "format",
    {
        "events": ("tailorwise.ingest.formats.events", "EventsLoader"),
        "movielens": ("tailorwise.ingest.formats.movielens", "MovieLensLoader"),
        "online-retail": ("tailorwise.ingest.formats.online_retail", "OnlineRetailLoader"),
        "amazon-reviews": ("tailorwise.ingest.formats.amazon", "AmazonReviewsLoader"),
        "hillstrom": ("tailorwise.ingest.formats.hillstrom", "HillstromLoader"),
        "cdnow": ("tailorwise.ingest.formats.cdnow", "CDNowLoader"),
    },
)


def loader_names() -> list[str]:
    return LOADERS.names()


def get_loader(name: str) -> Loader:
    return LOADERS.get(name)()


__all__ = ["IngestOptions", "Loader", "RawTable", "get_loader", "loader_names"]
