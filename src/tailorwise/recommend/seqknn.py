"""Sequential item-kNN: items that users take up close in time to the ones you did.

Each user's liked items, in time order (the random tie-break of
``Interactions`` orders same-second events), are a sequence. Two items that
stand ``d`` steps apart, ``d <= window``, are linked with weight
``decay ** (d - 1)``, forwards ("b came after a") and, times ``backward``,
backwards. Summed over users this gives an items x items matrix ``T``,
normalised as ``T_ij / (deg_i deg_j) ** alpha`` so that popular items do not
link to everything. A user's score for item j is ``sum_p r_p T[s_p, j]`` over
the user's sequence, with recency weights ``r_p = recency ** (steps from the
end)``: ``recency < 1`` favours what follows the latest items (next-item
prediction), ``recency = 1`` treats the whole history alike.

Why not a library: implicit and scikit-learn have no time-ordered
co-occurrence model; this is a few sparse products (the idea of session-based
kNN, Ludewig & Jannach 2018, and of item2vec's context window).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from tailorwise.config.space import SearchSpace, float_range, int_range
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.recommend.base import BaseRecommender
from tailorwise.recommend.itemknn import because_you_took


def transition_matrix(
    users: np.ndarray,
    items: np.ndarray,
    n_items: int,
    window: int,
    decay: float,
    backward: float,
) -> sp.csr_matrix:
    """items x items weights of items ``1..window`` steps apart in the same user's sequence."""
    total = sp.csr_matrix((n_items, n_items), dtype=np.float64)
    for d in range(1, window + 1):
        same = users[d:] == users[:-d]
        if not same.any():
            break
        a, b = items[:-d][same], items[d:][same]
        step = sp.csr_matrix((np.full(len(a), decay ** (d - 1)), (a, b)), shape=(n_items, n_items))
        total = total + step + backward * step.T
    total.setdiag(0.0)
    total.eliminate_zeros()
    return total.tocsr()


def normalise(t: sp.csr_matrix, alpha: float) -> sp.csr_matrix:
    """``T_ij / (deg_i deg_j) ** alpha`` with deg the row sums (plus one)."""
    deg = np.asarray(t.sum(axis=1)).ravel() + 1.0
    scale = sp.diags(deg**-alpha)
    out = sp.csr_matrix(scale @ t @ scale, dtype=np.float32)
    out.sort_indices()
    return out


class SequentialKNNRecommender(BaseRecommender):
    """Time-ordered co-occurrence with recency-weighted history (see the module docstring)."""

    name = "seqknn"
    search_space: ClassVar[SearchSpace] = {
        "window": int_range(1, 50, log=True),
        "decay": float_range(0.3, 1.0),
        "backward": float_range(0.0, 1.0),
        "recency": float_range(0.5, 1.0),
        "alpha": float_range(0.0, 1.0),
    }

    def __init__(
        self,
        window: int = 10,
        decay: float = 0.7,
        backward: float = 1.0,
        recency: float = 0.8,
        alpha: float = 0.5,
    ) -> None:
        self.window = window
        self.decay = decay
        self.backward = backward
        self.recency = recency
        self.alpha = alpha

    def _check_params(self) -> None:
        w = self.window
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise ConfigError(f"seqknn: window must be a positive integer, got {w!r}")
        for name in ("decay", "recency"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ConfigError(f"seqknn: {name} must be in (0, 1], got {value!r}")
        if not self.backward >= 0:
            raise ConfigError(f"seqknn: backward must be >= 0, got {self.backward!r}")
        if not 0 <= self.alpha <= 1:
            raise ConfigError(f"seqknn: alpha must be in [0, 1], got {self.alpha!r}")

    def _fit(self, data: Interactions) -> None:
        users, items, from_end = data.liked_in_order()
        t = transition_matrix(users, items, data.n_items, self.window, self.decay, self.backward)
        self.transitions_ = normalise(t, self.alpha)
        self.history_ = self._history(data, users, items, from_end)

    def _history(
        self, data: Interactions, users: np.ndarray, items: np.ndarray, from_end: np.ndarray
    ) -> sp.csr_matrix:
        """users x items recency weights of each user's liked items."""
        weight = np.power(float(self.recency), from_end.astype(np.float64)).astype(np.float32)
        h = sp.csr_matrix((weight, (users, items)), shape=(data.n_users, data.n_items))
        h.sort_indices()
        return h

    def _user_state(self, data: Interactions) -> None:
        self.history_ = self._history(data, *data.liked_in_order())

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return (self.history_[user_idx] @ self.transitions_).toarray()

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        t = self.transitions_

        def weights(seen: np.ndarray, recs: np.ndarray) -> np.ndarray:
            return t[seen][:, recs].toarray()

        # Transitions count items taken within a window of each other, either way round
        # (``backward``), so the reason says "close in time", not "right after".
        return because_you_took(
            self.evidence(),
            self.history_,
            user_idx,
            items,
            weights,
            template="often taken up close in time to {title}, which you {verb}",
        )

    def _get_state(self) -> dict[str, np.ndarray]:
        t = self.transitions_
        return {"t_data": t.data, "t_indices": t.indices, "t_indptr": t.indptr}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        n = self.data_.n_items
        self.transitions_ = sp.csr_matrix(
            (state["t_data"], state["t_indices"], state["t_indptr"]), shape=(n, n)
        )
        self.history_ = self._history(self.data_, *self.data_.liked_in_order())
