"""Reference EASE: the few lines of numpy from Steck (2019), "Embarrassingly Shallow
Autoencoders for Sparse Data", WWW '19, Algorithm 1. Kept deliberately literal, as
the independent peer our ``ease`` model is measured against.

    G = X^T X;  G[diag] += lambda;  P = G^-1;  B = P / (-diag(P));  B[diag] = 0
    scores = X B
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def ease_fit(x: sp.csr_matrix, l2: float) -> np.ndarray:
    """Item-item weights B (n_items x n_items) for the user x item matrix ``x``."""
    g = np.asarray((x.T @ x).toarray(), dtype=np.float64)
    diag = np.diag_indices(g.shape[0])
    g[diag] += l2
    p = np.linalg.inv(g)
    b = p / (-np.diag(p))
    b[diag] = 0.0
    return b


def ease_scores(x: sp.csr_matrix, b: np.ndarray) -> np.ndarray:
    """Scores of every item for the users (rows) of ``x``."""
    return np.asarray(x @ b)
