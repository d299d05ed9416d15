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
ILD_CHUNK = 256  # users per Gram matrix in intra_list_diversity


def hit_matrix(top: np.ndarray, truth: sp.csr_matrix) -> np.ndarray:
    """Boolean (n_users, K): is ``top[u, r]`` relevant for user ``u``."""
    # Vectorised: encode (user, item) pairs as one integer key and test membership
    # once, instead of a Python loop over users (issue #3: < 30 s on Online Retail).
    n_items = max(truth.shape[1], 1)
    rows = np.repeat(np.arange(truth.shape[0], dtype=np.int64), np.diff(truth.indptr))
    truth_keys = rows * n_items + truth.indices.astype(np.int64)
    top_keys = np.arange(top.shape[0], dtype=np.int64)[:, None] * n_items + np.maximum(top, 0)
    return np.isin(top_keys, truth_keys) & (top >= 0)


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
    return _row_mean(top, -np.log2(p))


def popularity_bias(top: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """Per-user average popularity (training interactions) of the recommended items (ARP)."""
    return _row_mean(top, np.asarray(popularity, dtype=np.float64))


def _row_mean(top: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Mean of ``value[item]`` over each row's valid items; NaN for an empty row, no warning."""
    valid = top >= 0
    total = np.where(valid, value[np.maximum(top, 0)], 0.0).sum(axis=1)
    n = valid.sum(axis=1)
    return np.divide(total, n, out=np.full(len(n), np.nan), where=n > 0)


def intra_list_diversity(top: np.ndarray, item_vectors: sp.csr_matrix) -> np.ndarray:
    """Per-user mean pairwise cosine distance between recommended items.

    ``item_vectors`` is items x features (e.g. the transposed training
    matrix, so that two items are alike when the same users took both).
    Items with an all-zero vector are alike to nothing (similarity 0).
    """
    vectors = sp.csr_matrix(item_vectors, dtype=np.float64)
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1))).ravel()
    unit = sp.csr_matrix(
        sp.diags(np.where(norms > 0, 1.0 / np.maximum(norms, 1e-300), 0.0)) @ vectors
    )
    valid = top >= 0
    n = valid.sum(axis=1)
    pair_sum = np.zeros(top.shape[0])
    # Vectorised by chunks of users: one Gram matrix over the items the chunk was
    # shown, then a gather of every (i, j) pair, instead of a loop over users.
    for s in range(0, top.shape[0], ILD_CHUNK):
        t = top[s : s + ILD_CHUNK]
        items, local = np.unique(np.maximum(t, 0), return_inverse=True)
        local = local.reshape(t.shape)
        gram = (unit[items] @ unit[items].T).toarray()
        sim = gram[local[:, :, None], local[:, None, :]]
        ok = valid[s : s + ILD_CHUNK]
        sim *= ok[:, :, None] & ok[:, None, :]
        pair_sum[s : s + ILD_CHUNK] = sim.sum(axis=(1, 2)) - np.einsum("ujj->u", sim)
    out = np.full(top.shape[0], np.nan)
    many = n >= 2
    out[many] = 1.0 - pair_sum[many] / (n[many] * (n[many] - 1))
    return out
