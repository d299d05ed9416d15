"""Model names -> classes: an explicit registry, no scanning, no eval."""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel, ConfigDict

from tailorwise.errors import ConfigError

REGISTRY: dict[str, tuple[str, str]] = {
    "popular": ("tailorwise.recommend.popular", "PopularRecommender"),
    "trending": ("tailorwise.recommend.popular", "TrendingRecommender"),
    "itemknn": ("tailorwise.recommend.itemknn", "ItemKNNRecommender"),
    "ease": ("tailorwise.recommend.ease", "EASERecommender"),
    "seqknn": ("tailorwise.recommend.seqknn", "SequentialKNNRecommender"),
    "als": ("tailorwise.recommend.implicit_mf", "ALSRecommender"),
    "bpr": ("tailorwise.recommend.implicit_mf", "BPRRecommender"),
    "sasrec": ("tailorwise.recommend.sequential", "SequentialRecommender"),
    "gru4rec": ("tailorwise.recommend.sequential", "GRURecommender"),
    "two_tower": ("tailorwise.recommend.two_tower", "TwoTowerRecommender"),
    "content": ("tailorwise.recommend.content", "ContentRecommender"),
    "hybrid": ("tailorwise.recommend.hybrid", "HybridRecommender"),
}


def model_names() -> list[str]:
    return list(REGISTRY)


def model_class(name: str) -> Any:
    if name not in REGISTRY:
        raise ConfigError(f"unknown model '{name}'; choose one of: {', '.join(REGISTRY)}")
    module, cls = REGISTRY[name]
    return getattr(importlib.import_module(module), cls)


class ModelConfig(BaseModel):
    """A model by name with its hyperparameters; round-trips through JSON or TOML."""

    model_config = ConfigDict(extra="forbid")

    name: str
    params: dict[str, Any] = {}

    def build(self) -> Any:
        cls = model_class(self.name)
        try:
            return cls(**self.params)
        except TypeError as exc:
            allowed = ", ".join(cls._param_names())
            raise ConfigError(f"model '{self.name}': {exc}; its parameters are: {allowed}") from exc
