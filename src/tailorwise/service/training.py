"""Train a model on the whole store and publish it as a new version; load the latest."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tailorwise.data.training import training_interactions
from tailorwise.progress import ProgressCallback, reporting, stage
from tailorwise.recommend.artifacts import artifact_params
from tailorwise.recommend.base import BaseRecommender
from tailorwise.recommend.config import TrainConfig
from tailorwise.recommend.loading import load_model
from tailorwise.store.base import DataStore
from tailorwise.store.models import DEFAULT_MODEL_DIR, new_version, publish, resolve_artifact


@dataclass(frozen=True)
class TrainedModel:
    name: str
    version: str
    path: Path
    n_users: int
    n_items: int
    n_pairs: int
    fit_seconds: float


def train(
    store: DataStore,
    config: TrainConfig,
    out_dir: Path = DEFAULT_MODEL_DIR,
    progress: ProgressCallback | None = None,
) -> TrainedModel:
    """Fit ``config.model`` on every interaction in ``store``, save it as a new version and
    make it the latest."""
    with reporting(progress):
        stage("reading interactions")
        data = training_interactions(store, config.weighting, seed=config.seed)
        stage(f"fitting {config.model.name} on {len(data):,} pairs")
        model = config.model.build()
        t0 = time.perf_counter()
        model.fit(data)
        fit_seconds = time.perf_counter() - t0
        stage("saving")
        path = model.save(new_version(out_dir, config.model.name))
        (path / "train_config.json").write_text(config.model_dump_json(indent=2), encoding="utf-8")
        publish(out_dir, path)
    return TrainedModel(
        config.model.name, path.name, path, data.n_users, data.n_items, len(data), fit_seconds
    )


def load_trained(model_dir: Path = DEFAULT_MODEL_DIR) -> BaseRecommender:
    """The trained model, on the device this machine has (``device="auto"`` for the models
    that take one): a model trained on a GPU serves where there is none."""
    path = resolve_artifact(model_dir)
    here = {"device": "auto"} if "device" in artifact_params(path) else {}
    return load_model(path, **here)
