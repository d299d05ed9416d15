"""Model names -> classes: an explicit registry, no scanning, no eval."""

from __future__ import annotations

from tailorwise.recommend.base import BaseRecommender
from tailorwise.registry import LazyRegistry

MODELS: LazyRegistry[BaseRecommender] = LazyRegistry(
    "model",
    {
        "popular": ("tailorwise.recommend.popular", "PopularRecommender"),
        "trending": ("tailorwise.recommend.popular", "TrendingRecommender"),
        "itemknn": ("tailorwise.recommend.itemknn", "ItemKNNRecommender"),
        "ease": ("tailorwise.recommend.ease", "EASERecommender"),
        "seqknn": ("tailorwise.recommend.seqknn", "SequentialKNNRecommender"),
        "als": ("tailorwise.recommend.implicit_mf", "ALSRecommender"),
        "bpr": ("tailorwise.recommend.implicit_mf", "BPRRecommender"),
        "sasrec": ("tailorwise.recommend.neural.sequential", "SequentialRecommender"),
        "gru4rec": ("tailorwise.recommend.neural.sequential", "GRURecommender"),
        "two_tower": ("tailorwise.recommend.neural.two_tower", "TwoTowerRecommender"),
        "content": ("tailorwise.recommend.content", "ContentRecommender"),
        "hybrid": ("tailorwise.recommend.hybrid.model", "HybridRecommender"),
    },
    extras={"sasrec": "deep", "gru4rec": "deep", "two_tower": "deep"},
)


def model_names() -> list[str]:
    return MODELS.names()


def model_class(name: str) -> type[BaseRecommender]:
    return MODELS.get(name)
