"""Format loaders, by name. An explicit registry: no scanning of paths."""

from __future__ import annotations

import importlib

from tailorwise.data.formats.base import IngestOptions, Loader, RawTable
from tailorwise.errors import ConfigError

# name -> (module, class). Modules are imported only when their format is used.
REGISTRY: dict[str, tuple[str, str]] = {
    "events": ("tailorwise.data.formats.events", "EventsLoader"),
    "movielens": ("tailorwise.data.formats.movielens", "MovieLensLoader"),
    "online-retail": ("tailorwise.data.formats.online_retail", "OnlineRetailLoader"),
    "amazon-reviews": ("tailorwise.data.formats.amazon", "AmazonReviewsLoader"),
    "hillstrom": ("tailorwise.data.formats.hillstrom", "HillstromLoader"),
    "cdnow": ("tailorwise.data.formats.cdnow", "CDNowLoader"),
}


def loader_names() -> list[str]:
    return list(REGISTRY)


def get_loader(name: str) -> Loader:
    if name not in REGISTRY:
        raise ConfigError(f"unknown format '{name}'; choose one of: {', '.join(REGISTRY)}")
    module, cls = REGISTRY[name]
    loader: Loader = getattr(importlib.import_module(module), cls)()
    return loader


__all__ = ["IngestOptions", "Loader", "RawTable", "get_loader", "loader_names"]
