"""Issue #3: full-ranking metrics against hand-worked cases and independent implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import ndcg_score

from tailorwise.metrics.ranking import (
    accuracy_at,
    coverage,
    hit_matrix,
    intra_list_diversity,
    novelty,
    popularity_bias,
)


def csr(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    indptr = np.cumsum([0, *map(len, rows)])
    data = np.ones(indptr[-1], dtype=np.float32)
    indices = np.array([i for r in rows for i in sorted(r)], dtype=np.int64)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), n_items))


# User A ranks [3, 1, 7, 2, 5] and likes {1, 2, 9}: hits at ranks 2 and 4.
# User B gets a single item [4] (the rest is padding) and likes {4}.
# User C likes nothing in the held-out part.
TOP = np.array([[3, 1, 7, 2, 5], [4, -1, -1, -1, -1], [0, 1, 2, 3, 4]])
TRUTH = csr([[1, 2, 9], [4], []], 10)
N_REL = np.array([3, 1, 0])
L2, L4, L5 = math.log2(3), math.log2(4), math.log2(5)  # discounts of ranks 2, 3, 4
IDCG3 = 1 + 1 / L2 + 1 / L4  # three relevant items, ideal order

HAND: dict[int, dict[str, list[float]]] = {
    1: {
        "recall": [0, 1, 0],
        "precision": [0, 1, 0],
        "ndcg": [0, 1, 0],
        "hr": [0, 1, 0],
        "mrr": [0, 1, 0],
        "map": [0, 1, 0],
    },
    3: {
        "recall": [1 / 3, 1, 0],
        "precision": [1 / 3, 1 / 3, 0],
        "ndcg": [(1 / L2) / IDCG3, 1, 0],
        "hr": [1, 1, 0],
        "mrr": [1 / 2, 1, 0],
        "map": [(1 / 2) / 3, 1, 0],
    },
    5: {
        "recall": [2 / 3, 1, 0],
        "precision": [2 / 5, 1 / 5, 0],
        "ndcg": [(1 / L2 + 1 / L5) / IDCG3, 1, 0],
        "hr": [1, 1, 0],
        "mrr": [1 / 2, 1, 0],
        "map": [(1 / 2 + 2 / 4) / 3, 1, 0],
    },
}


def test_hit_matrix_by_hand() -> None:
    hits = hit_matrix(TOP, TRUTH)
    assert hits.tolist() == [[False, True, False, True, False], [True] + [False] * 4, [False] * 5]


@pytest.mark.parametrize("k", sorted(HAND))
def test_accuracy_by_hand(k: int) -> None:
    got = accuracy_at(hit_matrix(TOP, TRUTH), N_REL, k)
    for name, expected in HAND[k].items():
        np.testing.assert_allclose(got[name], expected, atol=1e-12, err_msg=f"{name}@{k}")


def test_ndcg_of_two_relevant_by_hand() -> None:
    # Relevant {a, b} at ranks 1 and 3 of 3: DCG = 1 + 1/2, IDCG = 1 + 1/log2(3).
    hits = np.array([[True, False, True]])
    got = accuracy_at(hits, np.array([2]), 3)["ndcg"][0]
    assert got == pytest.approx((1 + 0.5) / (1 + 1 / L2))


def reference(top: list[int], relevant: set[int], k: int) -> dict[str, float]:
    """Plain-Python textbook definitions, written apart from the library code."""
    ranked = top[:k]
    hit_ranks = [r for r, item in enumerate(ranked, start=1) if item in relevant]
    n = len(relevant)
    if n == 0:
        return dict.fromkeys(("recall", "precision", "ndcg", "hr", "mrr", "map"), 0.0)
    dcg = sum(1 / math.log2(r + 1) for r in hit_ranks)
    idcg = sum(1 / math.log2(r + 1) for r in range(1, min(n, k) + 1))
    ap = sum(len([h for h in hit_ranks if h <= r]) / r for r in hit_ranks) / min(n, k)
    return {
        "recall": len(hit_ranks) / n,
        "precision": len(hit_ranks) / k,
        "ndcg": dcg / idcg,
        "hr": float(bool(hit_ranks)),
        "mrr": 1 / hit_ranks[0] if hit_ranks else 0.0,
        "map": ap,
    }


def random_case(
    rng: np.random.Generator, n_users: int, n_items: int, width: int
) -> tuple[np.ndarray, list[set[int]]]:
    top = np.stack([rng.permutation(n_items)[:width] for _ in range(n_users)])
    short = rng.random(n_users) < 0.1  # padded at the end, as when filters leave too few items
    top[short, width // 2 :] = -1
    truth = [
        set(rng.choice(n_items, rng.integers(0, 8), replace=False).tolist()) for _ in range(n_users)
    ]
    return top, truth


@pytest.mark.parametrize("seed", range(5))
def test_accuracy_matches_plain_python_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_items = int(rng.integers(10, 60))
    top, truth = random_case(rng, 200, n_items, width=min(n_items, 25))
    truth_csr = csr([sorted(t) for t in truth], n_items)
    hits = hit_matrix(top, truth_csr)
    n_rel = np.array([len(t) for t in truth])
    for k in (1, 3, 5, 10, 20):
        got = accuracy_at(hits, n_rel, k)
        for u in range(len(top)):
            ref = reference(top[u].tolist(), truth[u], k)
            for name, value in ref.items():
                assert got[name][u] == pytest.approx(value, abs=1e-12), (name, k, u)


@pytest.mark.parametrize("seed", range(3))
def test_ndcg_matches_sklearn_on_full_rankings(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n_users, n_items = 150, 80
    scores = rng.random((n_users, n_items))  # continuous: no ties
    top = np.argsort(-scores, axis=1)  # the full ranking
    relevant = rng.random((n_users, n_items)) < rng.uniform(0.01, 0.2, size=(n_users, 1))
    relevant[np.arange(n_users), rng.integers(0, n_items, n_users)] = True  # >= 1 relevant
    hits = hit_matrix(top, sp.csr_matrix(relevant))
    for k in (1, 5, 10, 20, n_items):
        ours = accuracy_at(hits, relevant.sum(axis=1), k)["ndcg"]
        theirs = [ndcg_score(relevant[u : u + 1], scores[u : u + 1], k=k) for u in range(n_users)]
        np.testing.assert_allclose(ours, theirs, atol=1e-12, err_msg=f"ndcg@{k}")


def test_coverage_by_hand() -> None:
    top = np.array([[0, 1, -1], [1, 2, 3]])
    assert coverage(top, 8) == 4 / 8
    assert coverage(np.full((2, 3), -1), 8) == 0.0


def test_novelty_and_popularity_bias_by_hand() -> None:
    popularity = np.array([8.0, 4.0, 2.0, 1.0])  # of 8 users: p = 1, 1/2, 1/4, 1/8
    top = np.array([[0, 1], [2, 3], [3, -1], [-1, -1]])
    np.testing.assert_allclose(novelty(top, popularity, 8)[:3], [0.5, 2.5, 3.0])
    np.testing.assert_allclose(popularity_bias(top, popularity)[:3], [6.0, 1.5, 1.0])
    assert np.isnan(novelty(top, popularity, 8)[3]) and np.isnan(
        popularity_bias(top, popularity)[3]
    )


def test_intra_list_diversity_by_hand() -> None:
    # Items 0 and 1 share every user (similarity 1), item 2 shares none with them.
    vectors = sp.csr_matrix(np.array([[1, 1, 0], [2, 2, 0], [0, 0, 3], [0, 0, 0]], dtype=float))
    top = np.array([[0, 1, -1], [0, 2, -1], [0, 1, 2], [3, 0, -1], [0, -1, -1]])
    got = intra_list_diversity(top, vectors)
    np.testing.assert_allclose(got[:4], [0.0, 1.0, 1 - 2 / 6, 1.0], atol=1e-12)
    assert np.isnan(got[4])  # one item: no pairs


def test_intra_list_diversity_matches_a_loop_over_gram_matrices() -> None:
    rng = np.random.default_rng(7)
    vectors = sp.random(300, 40, density=0.1, random_state=rng, format="csr")
    top = np.stack([rng.permutation(300)[:10] for _ in range(600)])
    top[rng.random(top.shape) < 0.1] = -1
    dense = vectors.toarray()
    unit = dense / np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-300)
    expected = []
    for row in top:
        items = row[row >= 0]
        sim = unit[items] @ unit[items].T
        n = len(items)
        expected.append(1 - (sim.sum() - np.trace(sim)) / (n * (n - 1)) if n > 1 else np.nan)
    np.testing.assert_allclose(intra_list_diversity(top, vectors), expected, atol=1e-9)
