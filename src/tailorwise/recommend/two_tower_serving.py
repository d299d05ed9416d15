"""Serving helpers of the two-tower model: top-k of score rows, reasons, merged results."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import Interactions
from tailorwise.recommend import torch_utils as tu
from tailorwise.types import RANK, Recommendations

NO_HISTORY = "popular with visitors like you"


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` columns per row and their scores; -1 / NaN where fewer are finite."""
    kk = min(k, scores.shape[1])
    part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1)
    top_s = np.take_along_axis(scores, top, axis=1)
    ok = np.isfinite(top_s)
    items = np.full((len(scores), k), -1, dtype=np.int64)
    out = np.full((len(scores), k), np.nan)
    items[:, :kk] = np.where(ok, top, -1)
    out[:, :kk] = np.where(ok, top_s, np.nan)
    return items, out


def explain(
    data: Interactions, item_vectors: torch.Tensor, history: np.ndarray, items: np.ndarray
) -> np.ndarray:
    """ "similar to <title> you viewed" (nearest history item by cosine), else a category;
    users with no history get "popular with visitors like you"."""
    vec = nn.functional.normalize(item_vectors, dim=1).cpu().numpy()
    names, cats = tu.titles(data), data.item_meta[C.categories].to_numpy()
    out = np.full(items.shape, NO_HISTORY, dtype=object)
    for u in range(len(history)):
        hist = history[u][history[u] > 0] - 1
        if not len(hist):
            continue
        liked: dict[str, int] = {}
        for h in hist:
            for cat in _cats(cats[h]):
                liked[cat] = liked.get(cat, 0) + 1
        for j, item in enumerate(items[u]):
            if item < 0:
                continue
            sims = vec[hist] @ vec[item]
            shared = [c for c in _cats(cats[item]) if c in liked]
            if sims.max() < 0.3 and shared:
                out[u, j] = f"matches your interests in {max(shared, key=liked.__getitem__)}"
            else:
                out[u, j] = f"similar to {names[hist[int(sims.argmax())]]} you viewed"
    return out


def merge_in_order(users: Sequence[str], parts: Sequence[Recommendations]) -> Recommendations:
    """One result from several, with users in the order asked for."""
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    if frame.empty:
        return Recommendations(frame)
    place = {u: i for i, u in enumerate(users)}
    key = frame[C.user].map(place).to_numpy() * (frame[RANK].max() + 1) + frame[RANK].to_numpy()
    return Recommendations(frame.iloc[np.argsort(key, kind="stable")].reset_index(drop=True))


def _cats(value: object) -> list[str]:
    if value is None or isinstance(value, float | str):
        return [value] if isinstance(value, str) else []
    return [str(c) for c in value]  # type: ignore[attr-defined]
