"""Full-ranking metrics, per user, from top-k lists and held-out items.

Every metric is computed per user (so that differences can be bootstrapped
per user) and averaged by the caller. ``top`` holds internal item indices,
best first, padded with -1; ``truth`` is a users x items CSR of relevant
(held-out, positive) items for the same users, row for row.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

ACCURACY = ("recall", "precision", "ndcg", "hr", "mrr", "map")


def hit_matrix(top: np.ndarray, truth: sp.csr_matrix) -> np.ndarray:
    """Boolean (n_users, K): is ``top[u, r]`` relevant for user ``u``."""
    hits = np.zeros(top.shape, dtype=bool)
    for u in range(top.shape[0]):
        rel = truth.indices[truth.indptr[u] : truth.indptr[u + 1]]
        if len(rel):
            hits[u] = np.isin(top[u], rel)
    return hits & (top >= 0)


def accuracy_at(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Per-user Recall, Precision, NDCG, HR, MRR and MAP at ``k``."""
    h = hits[:, :k].astype(np.float64)
    n_hit = h.sum(axis=1)
    rel = np.maximum(n_relevant, 1).astype(np.float64)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (h * discounts[: h.shape[1]]).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k).clip(min=1) - 1]
    first = np.where(h.any(axis=1), h.argmax(axis=1) + 1, np.inf)
    precision_at_i = np.cumsum(h, axis=1) / np.arange(1, h.shape[1] + 1)
    ap = (precision_at_i * h).sum(axis=1) / np.minimum(rel, k)
    return {
        "recall": n_hit / rel,
        "precision": n_hit / k,
        "ndcg": dcg / ideal,
        "hr": (n_hit > 0).astype(np.float64),
        "mrr": 1.0 / first,
        "map": ap,
    }


def coverage(top: np.ndarray, n_items: int) -> float:
    """Share of the catalog that appears in anyone's list."""
    rec = np.unique(top[top >= 0])
    return len(rec) / n_items if n_items else 0.0


def novelty(top: np.ndarray, popularity: np.ndarray, n_users: int) -> np.ndarray:
    """Per-user mean self-information -log2(p(item)) of the recommended items."""
    p = np.clip(popularity / max(n_users, 1), 1e-12, 1.0)
    info = np.where(top >= 0, -np.log2(p[np.maximum(top, 0)]), np.nan)
    return np.nanmean(info, axis=1)


def popularity_bias(top: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """Per-user average popularity (training interactions) of the recommended items (ARP)."""
    pop = np.where(top >= 0, popularity[np.maximum(top, 0)], np.nan)
    return np.nanmean(pop, axis=1)


def intra_list_diversity(top: np.ndarray, item_vectors: sp.csr_matrix) -> np.ndarray:
    """Per-user mean pairwise cosine distance between recommended items.

    ``item_vectors`` is items x features (e.g. the transposed training
    matrix, so that two items are alike when the same users took both).
    """
    norms = np.sqrt(np.asarray(item_vectors.multiply(item_vectors).sum(axis=1))).ravel()
    unit = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ item_vectors
    unit = sp.csr_matrix(unit)
    out = np.full(top.shape[0], np.nan)
    for u in range(top.shape[0]):
        items = top[u][top[u] >= 0]
        if len(items) < 2:
            continue
        v = unit[items]
        sim = (v @ v.T).toarray()
        n = len(items)
        out[u] = 1.0 - (sim.sum() - np.trace(sim)) / (n * (n - 1))
    return out
