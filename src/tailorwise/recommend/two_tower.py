"""A two-tower retrieval model in PyTorch that serves cold items and history-only users.

Item tower: the item's features (category multi-hot, TF-IDF of title and
text, price bucket, a bias) through a linear layer and a residual MLP, plus
an optional item id embedding that starts at zero, so that an item with no
interactions is represented by its features alone. User tower: the mean of
the item-tower vectors of the user's last ``max_history`` positive items
through a residual MLP. ``Interactions`` carry no user attributes, so a user
is their history; ``recommend_for_history`` therefore serves any visitor
known only by the items they touched.

Training predicts each positive item from the items the user took before it,
with full-softmax cross-entropy over the catalog (``loss="softmax"``) or
in-batch sampled softmax with the logQ popularity correction
(``loss="in_batch"``, for catalogs too large for a full softmax).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import MultiLabelBinarizer, normalize
from torch import nn

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError, InvalidRequestError
from tailorwise.recommend import torch_utils as tu
from tailorwise.recommend.base import BaseRecommender, Filters
from tailorwise.types import Recommendations

Loss = Literal["softmax", "in_batch"]
ANONYMOUS = "anonymous"
PRICE_BUCKETS = 8


def item_features(meta: pd.DataFrame, max_text_features: int) -> sp.csr_matrix:
    """items x features: categories, TF-IDF of title + text, log-price bucket, and a bias."""
    cats = [
        list(c) if c is not None and not isinstance(c, float) else [] for c in meta[C.categories]
    ]
    blocks = [
        normalize(
            sp.csr_matrix(
                MultiLabelBinarizer(sparse_output=True).fit_transform(cats), dtype=np.float32
            )
        )
    ]
    text = meta[C.title].fillna("").astype(str) + " " + meta[C.text].fillna("").astype(str)
    with contextlib.suppress(ValueError):  # raised when no word appears twice: no text block
        blocks.append(
            TfidfVectorizer(
                max_features=max_text_features, min_df=2, sublinear_tf=True, dtype=np.float32
            ).fit_transform(text)
        )
    price = meta[C.price].to_numpy(dtype=np.float64, na_value=np.nan)
    known = np.isfinite(price) & (price > 0)
    if known.any():
        logp = np.log(price[known])
        edges = np.quantile(logp, np.linspace(0, 1, PRICE_BUCKETS + 1)[1:-1])
        bucket = np.full(len(price), PRICE_BUCKETS)  # last bucket: no price
        bucket[known] = np.searchsorted(edges, logp)
        blocks.append(
            sp.csr_matrix((np.ones(len(price), np.float32), (np.arange(len(price)), bucket)))
        )
    blocks.append(sp.csr_matrix(np.ones((len(meta), 1), np.float32)))
    return sp.csr_matrix(sp.hstack(blocks, format="csr", dtype=np.float32))


def _residual(dim: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim, dim)
    )


class _Towers(nn.Module):
    def __init__(
        self, n_items: int, n_feats: int, dim: int, use_item_ids: bool, dropout: float
    ) -> None:
        super().__init__()
        self.feats = nn.EmbeddingBag(n_feats, dim, mode="sum")
        nn.init.normal_(self.feats.weight, std=dim**-0.5)
        self.item_id = nn.Embedding(n_items, dim) if use_item_ids else None
        if self.item_id is not None:
            nn.init.zeros_(self.item_id.weight)
        self.item_mlp = _residual(dim, dropout)
        self.user_mlp = _residual(dim, dropout)

    def items(self, x: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """(n_items, dim) from a CSR feature matrix given as (indices, offsets, values)."""
        h = self.feats(x[0], x[1], per_sample_weights=x[2])
        if self.item_id is not None:
            h = h + self.item_id.weight
        return h + self.item_mlp(h)

    def users(self, items: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        """(B, dim) from (B, H) left-padded history of item index + 1."""
        table = torch.cat([torch.zeros_like(items[:1]), items])
        mask = (history > 0).unsqueeze(-1).to(items.dtype)
        u = (nn.functional.embedding(history, table) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return u + self.user_mlp(u)


class TwoTowerRecommender(BaseRecommender):
    """User tower over recent history, item tower over item features (+ optional ids)."""

    name = "two_tower"

    def __init__(
        self,
        embedding_dim: int = 64,
        epochs: int = 10,
        batch_size: int = 512,
        lr: float = 2e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.1,
        max_history: int = 50,
        max_text_features: int = 2048,
        loss: Loss = "softmax",
        use_item_ids: bool = True,
        device: str = "auto",
        seed: int = 0,
        verbose: bool = False,
    ) -> None:
        self.embedding_dim = embedding_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.max_history = max_history
        self.max_text_features = max_text_features
        self.loss = loss
        self.use_item_ids = use_item_ids
        self.device = device
        self.seed = seed
        self.verbose = verbose

    def _check_params(self) -> None:
        for p in ("embedding_dim", "batch_size", "max_history", "max_text_features"):
            if int(getattr(self, p)) < 1:
                raise ConfigError(f"{self.name}: {p} must be >= 1, got {getattr(self, p)}")
        if self.epochs < 0 or not self.lr > 0 or self.weight_decay < 0:
            raise ConfigError(f"{self.name}: need epochs >= 0, lr > 0 and weight_decay >= 0")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"{self.name}: dropout must be in [0, 1), got {self.dropout}")
        if self.loss not in ("softmax", "in_batch"):
            raise ConfigError(
                f"{self.name}: loss must be 'softmax' or 'in_batch', got {self.loss!r}"
            )
        tu.resolve_device(self.device)

    # --- training -------------------------------------------------------
    def _fit(self, data: Interactions) -> None:
        self.device_ = tu.resolve_device(self.device)
        self.features_ = item_features(data.item_meta, self.max_text_features)
        self.history_ = tu.user_sequences(data, self.max_history)
        seqs = tu.user_sequences(data, max(self.max_history * 4, 200))
        rows, cols = np.nonzero(seqs)
        counts = np.bincount(seqs[rows, cols] - 1, minlength=data.n_items)
        log_q = torch.from_numpy(np.log(np.maximum(counts, 1) / len(rows))).float()
        with tu.seeded(self.seed):
            self.net_ = self._build(data.n_items).to(self.device_)
            x = self._x()
            opt = torch.optim.AdamW(
                self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay
            )
            rng = np.random.default_rng(self.seed)
            self.net_.train()
            with tu.progress(self.verbose, self.name) as bar:
                task = bar.add_task(self.name, total=self.epochs, info="")
                for _ in range(self.epochs):
                    loss = self._epoch(seqs, rows, cols, x, log_q.to(self.device_), opt, rng)
                    bar.update(task, advance=1, info=f"loss {loss:.4f}")
        self.net_.eval()
        self._cache()

    def _epoch(
        self,
        seqs: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        x: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        log_q: torch.Tensor,
        opt: torch.optim.Optimizer,
        rng: np.random.Generator,
    ) -> float:
        """One pass over every (user, position): predict the item from the items before it."""
        perm = rng.permutation(len(rows))
        offsets = np.arange(-self.max_history, 0)
        total = 0.0
        for start in range(0, len(perm), self.batch_size):
            r, c = (
                rows[perm[start : start + self.batch_size]],
                cols[perm[start : start + self.batch_size]],
            )
            idx = c[:, None] + offsets[None, :]
            history = np.where(idx >= 0, seqs[r[:, None], np.maximum(idx, 0)], 0)
            target = torch.from_numpy(seqs[r, c] - 1).to(self.device_)
            items = self.net_.items(x)
            users = self.net_.users(items, torch.from_numpy(history).to(self.device_))
            loss = self._loss(users, items, target, log_q)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += loss.item() * len(r)
        return total / max(len(rows), 1)

    def _loss(
        self, users: torch.Tensor, items: torch.Tensor, target: torch.Tensor, log_q: torch.Tensor
    ) -> torch.Tensor:
        if self.loss == "softmax":
            return nn.functional.cross_entropy(users @ items.T, target)
        # in-batch negatives: the other rows' targets, corrected by their sampling log-probability
        logits = users @ items[target].T - log_q[target][None, :]
        same = target[:, None] == target[None, :]
        logits = logits.masked_fill(
            same & ~torch.eye(len(target), dtype=torch.bool, device=target.device), float("-inf")
        )
        return nn.functional.cross_entropy(logits, torch.arange(len(target), device=target.device))

    def _build(self, n_items: int) -> _Towers:
        return _Towers(
            n_items, self.features_.shape[1], self.embedding_dim, self.use_item_ids, self.dropout
        )

    def _x(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        f = self.features_
        arrays = (
            f.indices.astype(np.int64),
            f.indptr[:-1].astype(np.int64),
            f.data.astype(np.float32),
        )
        idx, offsets, values = (torch.from_numpy(a).to(self.device_) for a in arrays)
        return idx, offsets, values

    @torch.no_grad()
    def _cache(self) -> None:
        """Item vectors once, for scoring and explanations."""
        self.item_vectors_ = self.net_.items(self._x())

    # --- scoring --------------------------------------------------------
    @torch.no_grad()
    def _score_histories(self, history: np.ndarray) -> np.ndarray:
        users = self.net_.users(self.item_vectors_, torch.from_numpy(history).to(self.device_))
        return (users @ self.item_vectors_.T).cpu().numpy()

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return self._score_histories(self.history_[user_idx])

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self._explain(self.history_[user_idx], items)

    def _explain(self, history: np.ndarray, items: np.ndarray) -> np.ndarray:
        """ "similar to <title> you viewed" (nearest history item by cosine), else a category."""
        vec = nn.functional.normalize(self.item_vectors_, dim=1).cpu().numpy()
        names, cats = tu.titles(self.data_), self.data_.item_meta[C.categories].to_numpy()
        out = np.full(items.shape, "popular with visitors like you", dtype=object)
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

    def recommend_for_history(
        self, item_ids: Sequence[str], k: int = 10, filters: Filters | None = None
    ) -> Recommendations:
        """Top ``k`` for a visitor known only by the items they touched (user id "anonymous").

        Item ids not in the model's catalog are ignored; with none left the
        visitor gets what the model gives an empty history.
        """
        self.check_fitted()
        if k <= 0:
            raise InvalidRequestError(f"k must be a positive number of items, got {k}")
        filters = filters or Filters()
        idx = self.data_.items.to_internal(list(item_ids), kind="item", strict=False)
        idx = idx[idx >= 0][-self.max_history :]
        history = np.zeros((1, self.max_history), dtype=np.int64)
        history[0, self.max_history - len(idx) :] = idx + 1
        scores = self._score_histories(history)[0]
        scores[~self.allowed_items(filters)] = -np.inf
        if filters.exclude_seen:
            scores[idx] = -np.inf
        top = np.argsort(-scores, kind="stable")[:k]
        top = top[np.isfinite(scores[top])]
        reasons = self._explain(history, top[None, :])
        return Recommendations.from_arrays(
            np.array([ANONYMOUS], dtype=object),
            self.data_.items.to_external(top)[None, :],
            scores[top][None, :],
            reasons,
        )

    # --- persistence ----------------------------------------------------
    def _get_state(self) -> dict[str, np.ndarray]:
        f = self.features_
        return {
            "history": self.history_,
            "x_data": f.data,
            "x_indices": f.indices,
            "x_indptr": f.indptr,
            "x_shape": np.array(f.shape),
            **tu.state_to_numpy(self.net_),
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.device_ = tu.resolve_device(self.device)
        self.history_ = state["history"]
        self.features_ = sp.csr_matrix(
            (state["x_data"], state["x_indices"], state["x_indptr"]), shape=tuple(state["x_shape"])
        )
        self.net_ = self._build(self.features_.shape[0])
        self.net_.load_state_dict(tu.numpy_to_state(state))
        self.net_.to(self.device_).eval()
        self._cache()


def _cats(value: object) -> list[str]:
    if value is None or isinstance(value, float | str):
        return [value] if isinstance(value, str) else []
    return [str(c) for c in value]  # type: ignore[attr-defined]
