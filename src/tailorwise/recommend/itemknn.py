"""Item-kNN: cosine similarity between items, with shrinkage and BM25/TF-IDF weighting.

Scores are ``user row x similarity``. The similarity is computed here rather
than with implicit's ``ItemItemRecommender``: implicit normalizes the
vectors before the product, so it cannot apply shrinkage, which needs the
norms in the denominator, ``dot / (|i| |j| + shrink)``. implicit's
``bm25_weight`` and ``tfidf_weight`` are used for the weighting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from implicit.nearest_neighbours import bm25_weight, tfidf_weight

from tailorwise.columns import Columns as C
from tailorwise.config.space import SearchSpace, choice, float_range, int_range
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.recommend.base import BaseRecommender
from tailorwise.recommend.evidence import Evidence, deed

WEIGHTINGS = ("none", "bm25", "tfidf")
BLOCK = 1024  # items per dense block: 1024 x 10k float32 is 40 MB


def item_titles(data: Interactions) -> np.ndarray:
    """Each item's title, or its external id where it has none."""
    titles = data.item_meta[C.title].astype(object).to_numpy()
    ids = data.item_meta[C.item].astype(str).to_numpy()
    missing = np.array([t is None or t != t or str(t).strip() == "" for t in titles], dtype=bool)
    return np.where(missing, ids, titles).astype(str)


def because_you_took(
    evidence: Evidence,
    liked: sp.csr_matrix,
    user_idx: np.ndarray,
    items: np.ndarray,
    weights: Callable[[np.ndarray, np.ndarray], np.ndarray],
    template: str = "because you {deed}",
) -> np.ndarray:
    """'because you bought <title>': of the user's items j that some customer took together
    with the recommended item i, the one with the largest ``liked[u, j] * w[j, i]``.

    ``template`` words the reason around that item's ``{title}`` and what the user did
    with it (``{verb}``, or both as ``{deed}``: "added <title> to your cart"). Where no such item adds to the score, the reason is the item's
    popularity: a model weight alone (EASE's can be non-zero between items no one took
    together) is no relation the data holds.

    ``weights(seen, recs)`` returns the dense (len(seen), len(recs)) block of
    the item-to-item weights the model scores with.
    """
    titles = item_titles(evidence.data)
    out = np.full(items.shape, None, dtype=object)
    for row, user in enumerate(user_idx):
        lo, hi = liked.indptr[user], liked.indptr[user + 1]
        recs = items[row]
        ok = recs >= 0
        if lo == hi or not ok.any():
            continue
        seen = liked.indices[lo:hi]
        contrib = liked.data[lo:hi, None] * weights(seen, recs[ok])
        contrib[~evidence.related(seen, recs[ok])] = 0.0
        best = seen[contrib.argmax(axis=0)]
        for col, b, positive in zip(np.flatnonzero(ok), best, contrib.max(axis=0) > 0, strict=True):
            if positive:
                verb = evidence.verb(int(user), int(b))
                done = deed(verb, titles[b])
                out[row, col] = template.format(verb=verb, title=titles[b], deed=done)
    return evidence.explain_rest(out, items)


class ItemKNNRecommender(BaseRecommender):
    """Item-based neighbourhood model on the user x item matrix.

    ``weighting`` reweights the matrix before the similarity (items as
    documents, users as terms, like implicit's BM25Recommender);
    ``k_neighbors`` keeps each item's k most similar items (None keeps all).
    """

    name = "itemknn"
    search_space: ClassVar[SearchSpace] = {
        "k_neighbors": int_range(10, 1000, log=True),
        "shrink": float_range(0.0, 200.0),
        "weighting": choice("none", "bm25", "tfidf"),
        "bm25_k1": float_range(0.1, 3.0),
        "bm25_b": float_range(0.0, 1.0),
    }

    def __init__(
        self,
        k_neighbors: int | None = 50,
        shrink: float = 50.0,
        weighting: str = "bm25",
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
    ) -> None:
        self.k_neighbors = k_neighbors
        self.shrink = shrink
        self.weighting = weighting
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b

    def _check_params(self) -> None:
        k = self.k_neighbors
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise ConfigError(f"itemknn: k_neighbors must be a positive integer or None, got {k!r}")
        if not self.shrink >= 0:
            raise ConfigError(f"itemknn: shrink must be >= 0, got {self.shrink}")
        if self.weighting not in WEIGHTINGS:
            raise ConfigError(
                f"itemknn: weighting must be one of {', '.join(WEIGHTINGS)}, got {self.weighting!r}"
            )
        if not self.bm25_k1 >= 0:
            raise ConfigError(f"itemknn: bm25_k1 must be >= 0, got {self.bm25_k1}")
        if not 0 <= self.bm25_b <= 1:
            raise ConfigError(f"itemknn: bm25_b must be between 0 and 1, got {self.bm25_b}")

    def _fit(self, data: Interactions) -> None:
        self.liked_ = data.matrix()
        self.similarity_ = self.similarity(self.liked_)

    def weighted(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """The users x items matrix after ``weighting`` (each item row is a document)."""
        if self.weighting == "bm25":
            w = bm25_weight(x.T, K1=self.bm25_k1, B=self.bm25_b).T
        elif self.weighting == "tfidf":
            w = tfidf_weight(x.T).T
        else:
            w = x
        return sp.csr_matrix(w, dtype=np.float32)

    def similarity(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """items x items CSR: shrunk cosine, zero diagonal, top ``k_neighbors`` per row."""
        w = self.weighted(x)
        norms = np.sqrt(np.asarray(w.multiply(w).sum(axis=0)).ravel())
        blocks = []
        for start, stop, block in gram_blocks(w, np.float32):
            dots = np.ascontiguousarray(block.T)  # the Gram matrix is symmetric
            denom = norms[start:stop, None] * norms[None, :] + self.shrink
            sim = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
            sim[np.arange(stop - start), np.arange(start, stop)] = 0.0
            blocks.append(_top_per_row(sim, self.k_neighbors))
        sim = sp.vstack(blocks, format="csr")
        sim.sort_indices()
        return sim

    def _user_state(self, data: Interactions) -> None:
        self.liked_ = data.matrix()

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return (self.liked_[user_idx] @ self.similarity_).toarray()

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        sim = self.similarity_

        def weights(seen: np.ndarray, recs: np.ndarray) -> np.ndarray:
            return sim[seen][:, recs].toarray()

        return because_you_took(self.evidence(), self.liked_, user_idx, items, weights)

    def _get_state(self) -> dict[str, np.ndarray]:
        s = self.similarity_
        return {"sim_data": s.data, "sim_indices": s.indices, "sim_indptr": s.indptr}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        n = self.data_.n_items
        self.similarity_ = sp.csr_matrix(
            (state["sim_data"], state["sim_indices"], state["sim_indptr"]), shape=(n, n)
        )
        self.liked_ = self.data_.matrix()


def gram_blocks(
    x: sp.csr_matrix, dtype: type[np.floating[Any]]
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Dense column blocks ``X^T X[:, start:stop]`` of the items x items Gram matrix.

    Sparse x dense, one block at a time: sparse x sparse products fill in
    almost completely on dense catalogs and are many times slower.
    """
    xt = x.T.tocsr().astype(dtype)
    xc = x.tocsc().astype(dtype)
    n = x.shape[1]
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        yield start, stop, xt @ xc[:, start:stop].toarray()


def _top_per_row(sim: np.ndarray, k: int | None) -> sp.csr_matrix:
    """Keep the ``k`` largest positive entries of each row (all positive ones when None)."""
    if k is None or k >= sim.shape[1]:
        sim[sim < 0] = 0.0
        return sp.csr_matrix(sim)
    cols = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(sim, cols, axis=1)
    keep = vals > 0
    indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
    return sp.csr_matrix((vals[keep], cols[keep], indptr), shape=sim.shape)
