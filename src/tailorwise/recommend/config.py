"""Typed model and train configs: JSON or TOML in, validated, round-tripped."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tailorwise.data.weighting import WeightingConfig
from tailorwise.errors import ConfigError
from tailorwise.recommend.base import BaseRecommender
from tailorwise.recommend.registry import model_class

# The model `tailorwise train` fits when none is named: the one with the best mean
# validation NDCG@10 (relative to the best of ours) over every data set and protocol of
# the benchmark ("The default model" in docs/BENCHMARKS.md), with its default components.
DEFAULT_MODEL = "hybrid"


class ModelConfig(BaseModel):
    """A model by name with its hyperparameters; round-trips through JSON or TOML."""

    model_config = ConfigDict(extra="forbid")

    name: str
    params: dict[str, Any] = {}

    def build(self) -> BaseRecommender:
        cls = model_class(self.name)
        try:
            return cls(**self.params)
        except TypeError as exc:
            allowed = ", ".join(cls._param_names())
            raise ConfigError(f"model '{self.name}': {exc}; its parameters are: {allowed}") from exc


class TrainConfig(BaseModel):
    """What ``tailorwise train`` reads from ``--config`` (JSON or TOML)."""

    model_config = ConfigDict(extra="forbid")

    model: ModelConfig = Field(default_factory=lambda: ModelConfig(name=DEFAULT_MODEL))
    weighting: WeightingConfig = Field(default_factory=WeightingConfig)
    seed: int = 0


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
