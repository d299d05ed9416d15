"""Format loaders, by name. An explicit registry: no scanning of paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorwise.registry import LazyRegistry

if TYPE_CHECKING:  # the loaders' types import DuckDB; naming the formats should not
    from tailorwise.ingest.formats.base import Loader

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
