"""Load a saved model artifact back into its class (see ``artifacts`` for the layout)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tailorwise.data.idmap import IdMap
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ArtifactError, ConfigError
from tailorwise.recommend.artifacts import (
    ARRAYS,
    FORMAT_VERSION,
    OPTIONAL_ARRAYS,
    read_meta,
    unreadable,
)
from tailorwise.recommend.base import BaseRecommender
from tailorwise.recommend.registry import model_class


def load_model(path: str | Path, **overrides: Any) -> BaseRecommender:
    """Load a saved model; ``overrides`` replace saved parameters that do not change what was
    learned, such as ``device="cpu"`` for a model trained on ``device="cuda"``."""
    path = Path(path)
    meta = read_meta(path)
    try:
        npz = np.load(path / "state.npz", allow_pickle=False)
        items = pd.read_parquet(path / "items.parquet")
    except (OSError, ValueError, KeyError) as exc:
        raise unreadable(path, exc) from exc
    if meta.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: artifact format {meta.get('format_version')} is not supported "
            f"(this version reads {FORMAT_VERSION}); retrain the model"
        )
    unknown = sorted(set(overrides) - set(meta["params"]))
    if unknown:
        raise ArtifactError(f"{path}: {meta['model']} has no parameter {', '.join(unknown)}")
    model = model_class(meta["model"])(**(meta["params"] | overrides))
    arrays = {name: npz[f"data.{name}"] for name in ARRAYS}
    arrays |= {n: npz[f"data.{n}"] for n in OPTIONAL_ARRAYS if f"data.{n}" in npz.files}
    data = Interactions(
        users=IdMap(npz["data.users"].astype(object)),
        items=IdMap(items["item_id"].astype(str).to_numpy()),
        item_meta=items,
        **arrays,
    )
    assert {f.name for f in fields(Interactions)} >= set(arrays)
    model.data_ = data
    model.seen_ = data.seen()
    state = {k.removeprefix("state."): npz[k] for k in npz.files if k.startswith("state.")}
    try:
        model._set_state(state)
    except ConfigError as exc:  # e.g. saved with device="cuda", loaded where there is no GPU
        hint = "; load it with load_model(path, device='cpu')" if "device" in str(exc) else ""
        raise ArtifactError(f"{path}: {exc}{hint}") from exc
    return model
