"""EASE (Steck, 2019): a closed-form linear item-to-item model.

``B = I - P diag(1 / diag(P))`` with ``P = (X^T X + l2 I)^-1``, so that
``B`` has a zero diagonal; scores are ``X_u B``. The right ``l2`` grows with
the data's scale (more users or larger weights need a larger one).

Memory: one dense items x items float32 array (400 MB for 10k items). The
Gram matrix is built column block by column block straight into that array,
and inverted in place through LAPACK's Cholesky routines (``potrf`` and
``potri``), because ``np.linalg.inv`` or torch would hold two or three
copies at once.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from tailorwise.config.space import SearchSpace, float_range
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.recommend.base import BaseRecommender
from tailorwise.recommend.itemknn import BLOCK, because_you_took, gram_blocks


class EASERecommender(BaseRecommender):
    """Embarrassingly Shallow Autoencoder; ``l2`` is the ridge penalty lambda."""

    name = "ease"
    search_space: ClassVar[SearchSpace] = {"l2": float_range(10.0, 10_000.0, log=True)}

    def __init__(self, l2: float = 100.0) -> None:
        self.l2 = l2

    def _check_params(self) -> None:
        if isinstance(self.l2, bool) or not isinstance(self.l2, int | float) or not self.l2 > 0:
            raise ConfigError(f"ease: l2 must be a number > 0, got {self.l2!r}")

    def _fit(self, data: Interactions) -> None:
        self.liked_ = data.matrix()
        self.weights_ = ease_weights(self.liked_, float(self.l2))

    def _user_state(self, data: Interactions) -> None:
        self.liked_ = data.matrix()

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.liked_[user_idx] @ self.weights_)

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        b = self.weights_

        def weights(seen: np.ndarray, recs: np.ndarray) -> np.ndarray:
            return b[np.ix_(seen, recs)]

        return because_you_took(self.evidence(), self.liked_, user_idx, items, weights)

    def _get_state(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights_}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.weights_ = np.ascontiguousarray(state["weights"])
        self.liked_ = self.data_.matrix()


def ease_weights(x: sp.csr_matrix, l2: float) -> np.ndarray:
    """The items x items EASE matrix B (C-contiguous float32) for a users x items matrix."""
    gram = _gram(x)
    gram[np.diag_indices_from(gram)] += np.float32(l2)
    chol, info = lapack.spotrf(gram, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise ConfigError(
            f"ease: X^T X + l2 I is not positive definite (LAPACK info {info}); raise l2"
        )
    p, info = lapack.spotri(chol, lower=False, overwrite_c=True)
    if info != 0:
        raise ConfigError(f"ease: inversion failed (LAPACK info {info}); raise l2")
    _mirror_upper(p)
    b = p.T  # P is symmetric, and its transpose is the C-contiguous view of the same memory
    diag = b.diagonal().copy()
    b /= -diag[None, :]
    b[np.diag_indices_from(b)] = 0.0
    return b


def _gram(x: sp.csr_matrix) -> np.ndarray:
    """Dense X^T X in float32, Fortran order so that LAPACK works on it in place."""
    n = x.shape[1]
    gram = np.empty((n, n), dtype=np.float32, order="F")
    for start, stop, block in gram_blocks(x, np.float32):
        gram[:, start:stop] = block
    return gram


def _mirror_upper(a: np.ndarray) -> None:
    """Copy the upper triangle onto the lower one, in place and block by block."""
    n = a.shape[0]
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        a[start:stop, :start] = a[:start, start:stop].T
        d = a[start:stop, start:stop]
        a[start:stop, start:stop] = np.triu(d) + np.triu(d, 1).T
