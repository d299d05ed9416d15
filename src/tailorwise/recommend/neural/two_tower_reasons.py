"""Serving helpers of the two-tower model: top-k of score rows, reasons, merged results."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import Interactions
from tailorwise.recommend.neural import utils as tu
from tailorwise.types import RANK, Recommendations

NO_HISTORY = "popular with visitors like you"


def explain(
    data: Interactions,
    item_vectors: torch.Tensor,
    history: np.ndarray,
    items: np.ndarray,
    verb: Callable[[int, int], str],
) -> np.ndarray:
    """ "similar to <title>, which you bought" (the nearest history item by cosine; ``verb(row,
    item)`` says what the row's user did with it), else a category; users with no history
    get "popular with visitors like you"."""
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
                nearest = int(hist[int(sims.argmax())])
                out[u, j] = f"similar to {names[nearest]}, which you {verb(u, nearest)}"
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
