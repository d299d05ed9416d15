"""Where trained models live: one folder per version, and pointers to the latest.

Layout under the models folder (default ``./models``)::

    models/<name>/<version>/   one artifact (model.json, state.npz, items.parquet)
    models/<name>/latest       text: the newest version of <name>
    models/latest              text: <name>/<version> of the newest model of any name
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from tailorwise.errors import ArtifactError

DEFAULT_MODEL_DIR = Path("models")
LATEST = "latest"


def new_version(models: Path, name: str) -> Path:
    """A fresh, not yet existing version folder for model ``name`` (a UTC time stamp)."""
    folder = models / name
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    version, n = stamp, 1
    while (folder / version).exists():
        n += 1
        version = f"{stamp}-{n}"
    return folder / version


def publish(models: Path, artifact: Path) -> None:
    """Point ``latest`` (of its name, and of all models) at ``artifact``, a version folder."""
    name, version = artifact.parent.name, artifact.name
    _write_atomically(models / name / LATEST, version + "\n")
    _write_atomically(models / LATEST, f"{name}/{version}\n")


def _write_atomically(path: Path, text: str) -> None:
    """A running server reads the pointer as it was or as it is, never half written."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


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
