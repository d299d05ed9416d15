"""tailorwise: a personalized marketing engine.

The small public API, in five lines::

    import tailorwise as tw

    store = tw.open_store("shop.duckdb")
    tw.ingest("events.csv", "events", store)
    model = tw.ModelConfig(name="hybrid").build().fit(tw.training_interactions(store))
    print(model.recommend(["u1"], k=10).frame)

Names are imported on first use, so ``import tailorwise`` is cheap and changes no
process-wide state.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tailorwise.version import __version__

if TYPE_CHECKING:
    from tailorwise.data.interactions import Interactions
    from tailorwise.data.training import training_interactions
    from tailorwise.ingest.job import ingest
    from tailorwise.recommend.base import BaseRecommender, Filters
    from tailorwise.recommend.config import ModelConfig, TrainConfig
    from tailorwise.recommend.loading import load_model
    from tailorwise.recommend.registry import model_names
    from tailorwise.store import DataStore, open_store
    from tailorwise.types import Recommendations

_EXPORTS = {
    "open_store": "tailorwise.store",
    "DataStore": "tailorwise.store",
    "ingest": "tailorwise.ingest.job",
    "Interactions": "tailorwise.data.interactions",
    "training_interactions": "tailorwise.data.training",
    "ModelConfig": "tailorwise.recommend.config",
    "TrainConfig": "tailorwise.recommend.config",
    "BaseRecommender": "tailorwise.recommend.base",
    "Filters": "tailorwise.recommend.base",
    "model_names": "tailorwise.recommend.registry",
    "load_model": "tailorwise.recommend.loading",
    "Recommendations": "tailorwise.types",
}

__all__ = [
    "BaseRecommender",
    "DataStore",
    "Filters",
    "Interactions",
    "ModelConfig",
    "Recommendations",
    "TrainConfig",
    "__version__",
    "ingest",
    "load_model",
    "model_names",
    "open_store",
    "training_interactions",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tailorwise' has no attribute {name!r}")
