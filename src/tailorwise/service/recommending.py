"""Recommendations from a trained model: for one user, for every user (the batch export
for e-mail and CRM tools), and the score and reason of items a caller names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tailorwise.errors import InvalidRequestError
from tailorwise.progress import ProgressCallback, report, reporting
from tailorwise.recommend.base import Filters, Recommender
from tailorwise.types import Recommendations

EXPORT_BATCH = 1000  # users per call to recommend in the batch export
EXPORT_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class ExportReport:
    path: Path
    rows: int
    users: int


def check_k(k: int) -> None:
    if k <= 0:
        raise InvalidRequestError(f"k must be a positive number of items, got {k}")


def recommend_for_user(
    model: Recommender, user: str, k: int = 10, filters: Filters | None = None
) -> Recommendations:
    """The top ``k`` items for ``user`` (an external id), each with its reason."""
    check_k(k)
    return model.recommend([str(user)], k=k, filters=filters)


def export_recommendations(
    model: Recommender,
    output: Path,
    k: int = 10,
    filters: Filters | None = None,
    progress: ProgressCallback | None = None,
) -> ExportReport:
    """Top ``k`` for every user the model knows, written to ``output`` (.csv or .parquet)
    with the columns user_id, item_id, score, rank, reason."""
    check_k(k)
    if output.suffix.lower() not in EXPORT_SUFFIXES:
        raise InvalidRequestError(f"the export must be a .csv or .parquet file, got '{output}'")
    users = [str(u) for u in model.data_.users.external]
    frames = []
    with reporting(progress):
        for start in range(0, len(users), EXPORT_BATCH):
            batch = users[start : start + EXPORT_BATCH]
            frames.append(model.recommend(batch, k=k, filters=filters).frame)
            report("recommending", start + len(batch), len(users))
    frame = pd.concat(frames, ignore_index=True) if frames else _empty()
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".parquet":
        frame.to_parquet(output, index=False)
    else:
        frame.to_csv(output, index=False)
    return ExportReport(output, len(frame), len(users))


def _empty() -> pd.DataFrame:
    none = np.array([], dtype=object)
    return Recommendations.from_arrays(none, np.empty((0, 0)), np.empty((0, 0)), []).frame


def explain(model: Recommender, user: str, items: Sequence[str]) -> Recommendations:
    """The model's score and reason for each of ``items`` for ``user``, best first (unknown
    or hidden items are left out)."""
    if not items:
        raise InvalidRequestError("name at least one item to explain")
    filters = Filters(include_items=[str(i) for i in items], exclude_seen=False)
    return model.recommend([str(user)], k=len(items), filters=filters)
