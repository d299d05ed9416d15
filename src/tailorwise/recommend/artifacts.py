"""Versioned model artifacts: a folder with JSON metadata and arrays, no pickle.

Layout: ``model.json`` (format version, model name, parameters, library
version, creation time), ``state.npz`` (learned arrays and the training
interactions), ``items.parquet`` (the catalog the model ranks).
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import tailorwise
from tailorwise.data.idmap import IdMap
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError, TailorwiseError

FORMAT_VERSION = 1
_ARRAYS = ("user_idx", "item_idx", "weight", "timestamp", "tiebreak")


class ArtifactError(TailorwiseError):
    """A model artifact is missing, damaged or from an incompatible version."""


def save_model(model: Any, path: Path) -> Path:
    model.check_fitted()
    path.mkdir(parents=True, exist_ok=True)
    data: Interactions = model.data_
    meta = {
        "format_version": FORMAT_VERSION,
        "model": model.name,
        "params": model.get_params(),
        "tailorwise_version": tailorwise.__version__,
        "created_at": datetime.now(UTC).isoformat(),
        "n_users": data.n_users,
        "n_items": data.n_items,
    }
    (path / "model.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    arrays = {f"data.{name}": getattr(data, name) for name in _ARRAYS}
    arrays["data.users"] = data.users.external.astype(str)
    arrays.update({f"state.{k}": v for k, v in model._get_state().items()})
    np.savez_compressed(path / "state.npz", **arrays)
    data.item_meta.to_parquet(path / "items.parquet", index=False)
    return path


def _unreadable(path: str | Path, exc: Exception) -> ArtifactError:
    return ArtifactError(f"{path}: not a readable tailorwise model artifact ({exc})")


def _meta(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((path / "model.json").read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise _unreadable(path, exc) from exc


def artifact_params(path: str | Path) -> dict[str, Any]:
    """The parameters a saved model was trained with, read from its ``model.json``."""
    return dict(_meta(Path(path)).get("params", {}))


def load_model(path: str | Path, **overrides: Any) -> Any:
    """Load a saved model; ``overrides`` replace saved parameters that do not change what was
    learned, such as ``device="cpu"`` for a model trained on ``device="cuda"``."""
    from tailorwise.recommend.registry import model_class

    path = Path(path)
    meta = _meta(path)
    try:
        npz = np.load(path / "state.npz", allow_pickle=False)
        items = pd.read_parquet(path / "items.parquet")
    except (OSError, ValueError, KeyError) as exc:
        raise _unreadable(path, exc) from exc
    if meta.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: artifact format {meta.get('format_version')} is not supported "
            f"(this version reads {FORMAT_VERSION}); retrain the model"
        )
    unknown = sorted(set(overrides) - set(meta["params"]))
    if unknown:
        raise ArtifactError(f"{path}: {meta['model']} has no parameter {', '.join(unknown)}")
    model = model_class(meta["model"])(**(meta["params"] | overrides))
    arrays = {name: npz[f"data.{name}"] for name in _ARRAYS}
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
