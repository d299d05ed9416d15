"""Versioned model artifacts: a folder with JSON metadata and arrays, no pickle.

Layout: ``model.json`` (format version, model name, parameters, library
version, creation time), ``state.npz`` (learned arrays and the training
interactions), ``items.parquet`` (the catalog the model ranks).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from tailorwise.data.interactions import Interactions
from tailorwise.errors import ArtifactError
from tailorwise.version import __version__

FORMAT_VERSION = 1
ARRAYS = ("user_idx", "item_idx", "weight", "timestamp", "tiebreak")
OPTIONAL_ARRAYS = ("action", "rating")  # absent from artifacts saved before they existed


def save_model(model: Any, path: Path) -> Path:
    model.check_fitted()
    path.mkdir(parents=True, exist_ok=True)
    data: Interactions = model.data_
    meta = {
        "format_version": FORMAT_VERSION,
        "model": model.name,
        "params": model.get_params(),
        "tailorwise_version": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "n_users": data.n_users,
        "n_items": data.n_items,
    }
    (path / "model.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    arrays = {f"data.{name}": getattr(data, name) for name in ARRAYS}
    for name in OPTIONAL_ARRAYS:
        if getattr(data, name) is not None:
            arrays[f"data.{name}"] = getattr(data, name)
    arrays["data.users"] = data.users.external.astype(str)
    arrays.update({f"state.{k}": v for k, v in model._get_state().items()})
    np.savez_compressed(path / "state.npz", **arrays)
    data.item_meta.to_parquet(path / "items.parquet", index=False)
    return path


def unreadable(path: str | Path, exc: Exception) -> ArtifactError:
    return ArtifactError(f"{path}: not a readable tailorwise model artifact ({exc})")


def read_meta(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((path / "model.json").read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise unreadable(path, exc) from exc


def artifact_params(path: str | Path) -> dict[str, Any]:
    """The parameters a saved model was trained with, read from its ``model.json``."""
    return dict(read_meta(Path(path)).get("params", {}))
