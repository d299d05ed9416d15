"""The one result type of every recommender: user, item, score, rank, reason."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tailorwise.columns import Columns as C

SCORE, RANK, REASON = "score", "rank", "reason"
RESULT_COLUMNS = [C.user, C.item, SCORE, RANK, REASON]


@dataclass(frozen=True)
class Recommendations:
    """Ranked items per user, in external ids. ``rank`` starts at 1."""

    frame: pd.DataFrame

    def __post_init__(self) -> None:
        if list(self.frame.columns) != RESULT_COLUMNS:
            raise ValueError(f"Recommendations need columns {RESULT_COLUMNS}")

    @classmethod
    def from_arrays(
        cls,
        users: np.ndarray,
        items: np.ndarray,
        scores: np.ndarray,
        reasons: list[str] | np.ndarray,
    ) -> Recommendations:
        """Build from aligned arrays of shape (n_users, k); NaN scores mark empty slots."""
        k = items.shape[1] if items.ndim == 2 else 0
        ranks = np.tile(np.arange(1, k + 1), len(users))
        frame = pd.DataFrame(
            {
                C.user: np.repeat(users, k),
                C.item: items.reshape(-1),
                SCORE: scores.reshape(-1).astype(np.float64),
                RANK: ranks,
                REASON: np.asarray(reasons, dtype=object).reshape(-1),
            }
        )
        frame = frame[frame[SCORE].notna()].reset_index(drop=True)
        return cls(frame)

    def __len__(self) -> int:
        return len(self.frame)

    def for_user(self, user: str) -> pd.DataFrame:
        return self.frame[self.frame[C.user] == user].reset_index(drop=True)

    def items_of(self, user: str) -> list[str]:
        return [str(i) for i in self.for_user(user)[C.item]]
