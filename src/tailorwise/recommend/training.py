"""Train a model on the whole store and keep it as a versioned artifact.

Layout under the models folder (default ``./models``)::

    models/<name>/<version>/   one artifact (model.json, state.npz, items.parquet)
    models/<name>/latest       text: the newest version of <name>
    models/latest              text: <name>/<version> of the newest model of any name
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tailorwise.columns import Table
from tailorwise.data.interactions import Interactions
from tailorwise.data.weighting import WeightingConfig
from tailorwise.errors import ConfigError, InvalidRequestError
from tailorwise.recommend.artifacts import ArtifactError, artifact_params, load_model
from tailorwise.recommend.registry import ModelConfig, model_class
from tailorwise.store.base import DataStore

# The model `tailorwise train` fits when none is named: the one with the best mean
# validation NDCG@10 (relative to the best of ours) over every data set and protocol of
# the benchmark ("The default model" in docs/BENCHMARKS.md), with its default components.
DEFAULT_MODEL = "hybrid"
DEFAULT_MODEL_DIR = Path("models")
LATEST = "latest"


class TrainConfig(BaseModel):
    """What ``tailorwise train`` reads from ``--config`` (JSON or TOML)."""

    model_config = ConfigDict(extra="forbid")

    model: ModelConfig = Field(default_factory=lambda: ModelConfig(name=DEFAULT_MODEL))
    weighting: WeightingConfig = Field(default_factory=WeightingConfig)
    seed: int = 0


@dataclass(frozen=True)
class TrainedModel:
    name: str
    version: str
    path: Path
    n_users: int
    n_items: int
    n_pairs: int
    fit_seconds: float


def load_config(path: Path) -> TrainConfig:
    """Read a JSON or TOML train config, with errors that name the file and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config ({exc.strerror})") from exc
    try:
        if path.suffix.lower() == ".toml":
            raw: Any = tomllib.loads(text)
        elif path.suffix.lower() == ".json":
            raw = json.loads(text)
        else:
            raise ConfigError(f"{path}: a config must be a .json or .toml file")
        return TrainConfig.model_validate(raw)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        detail = (
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            if isinstance(exc, ValidationError)
            else str(exc)
        )
        raise ConfigError(f"{path}: invalid train config: {detail}") from exc


def resolve_config(config: TrainConfig | None, model: str | None) -> TrainConfig:
    """``--model`` overrides the config's model; its parameters are kept only for the same name."""
    config = config or TrainConfig()
    if model is not None and model != config.model.name:
        config = config.model_copy(update={"model": ModelConfig(name=model)})
    check_model_name(config.model.name)
    return config


def check_model_name(name: str) -> None:
    try:
        model_class(name)
    except ImportError as exc:
        raise ConfigError(f"model '{name}' is registered but cannot be loaded ({exc})") from exc


def training_interactions(
    store: DataStore, weighting: WeightingConfig | None = None, seed: int = 0
) -> Interactions:
    """The store's user-item interactions under ``weighting``; when there is nothing to learn
    from, an error that says why (no events, no items in them, or no positive weight)."""
    data = Interactions.from_store(store, weighting, seed=seed)
    if (data.weight > 0).any():
        return data
    events = store.count(Table.events)
    if events == 0:
        why = _no_events(store)
    elif len(data) == 0:
        why = (
            f"none of the store's {events:,} events names an item (item_id is empty), so there "
            "is nothing to recommend from: the recommenders need events with items"
        )
    else:
        why = (
            f"none of the {len(data):,} user-item pairs has a positive weight under this "
            "weighting; check the [weighting] of the config (event_weights, rating)"
        )
    raise InvalidRequestError(why)


def _no_events(store: DataStore) -> str:
    held = {t.value: store.count(t) for t in (Table.users, Table.items, Table.exposures)}
    has = ", ".join(f"{n:,} {name}" for name, n in held.items() if n)
    if not has:
        return "the store has no events; run `tailorwise ingest` first"
    return f"the store has no events (only {has}); the recommenders learn from user-item events"


def train(
    store: DataStore,
    config: TrainConfig,
    out_dir: Path = DEFAULT_MODEL_DIR,
    step: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Fit ``config.model`` on every interaction in ``store`` and save a new version."""
    say = step or (lambda _label: None)
    say("reading interactions")
    data = training_interactions(store, config.weighting, seed=config.seed)
    say(f"fitting {config.model.name} on {len(data):,} pairs")
    model = config.model.build()
    t0 = time.perf_counter()
    model.fit(data)
    fit_seconds = time.perf_counter() - t0
    say("saving")
    name = config.model.name
    version = _new_version(out_dir / name)
    path = model.save(out_dir / name / version)
    (path / "train_config.json").write_text(config.model_dump_json(indent=2), encoding="utf-8")
    (out_dir / name / LATEST).write_text(version + "\n", encoding="utf-8")
    (out_dir / LATEST).write_text(f"{name}/{version}\n", encoding="utf-8")
    return TrainedModel(name, version, path, data.n_users, data.n_items, len(data), fit_seconds)


def _new_version(folder: Path) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    version, n = stamp, 1
    while (folder / version).exists():
        n += 1
        version = f"{stamp}-{n}"
    return version


def resolve_artifact(model_dir: Path = DEFAULT_MODEL_DIR) -> Path:
    """An artifact folder, a model's folder (its latest version) or the models folder (newest)."""
    path = model_dir
    for _ in range(3):  # models/latest -> name/version; name/latest -> version
        if (path / "model.json").is_file():
            return path
        pointer = path / LATEST
        if not pointer.is_file():
            break
        path = path / pointer.read_text(encoding="utf-8").strip()
    raise ArtifactError(
        f"no trained model in '{model_dir}'; run `tailorwise train` first "
        "(or pass --model-dir to a trained model's folder)"
    )


def load_trained(model_dir: Path = DEFAULT_MODEL_DIR) -> Any:
    """The trained model, on the device this machine has (``device="auto"`` for the models
    that take one): a model trained on a GPU serves where there is none."""
    path = resolve_artifact(model_dir)
    here = {"device": "auto"} if "device" in artifact_params(path) else {}
    return load_model(path, **here)
