"""A two-tower retrieval model in PyTorch that serves cold items and cold users.

Item tower: the item's features (see ``tower_features``: text and category
TF-IDF, price bucket, a bias) through an embedding bag and a residual MLP,
plus an item id embedding that starts at zero, so that an item with no
interactions is represented by its features alone and a catalog with no
features falls back to ids. User tower: the mean of the item-tower vectors
of the user's last ``max_history`` positive items, plus an embedding bag
of the user's attributes (age, gender, country, ...), through a residual
MLP. A user with no history is therefore their attributes: ``recommend``
serves a user unknown at training time from ``attributes`` given with the
request, and ``recommend_for_history`` any visitor known by the items they
touched and/or their attributes.

Training predicts every positive item from the items the user took before
it (none for their first: the attributes alone) with full-softmax
cross-entropy over the catalog (``loss="softmax"``) or in-batch sampled
softmax with the logQ popularity correction (``loss="in_batch"``). A batch
is a group of whole users; the history means of all their positions come
from one cumulative sum, with no Python loop per example. With
``early_stopping=True`` ``fit`` stops early as the sequential models do
(``torch_base``); by default it trains ``epochs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn

from tailorwise.data.idmap import UnknownIdError
from tailorwise.data.interactions import Interactions
from tailorwise.errors import InvalidRequestError
from tailorwise.features.tower import UserEncoder, item_features
from tailorwise.recommend.base import Filters, top_k_rows
from tailorwise.recommend.neural import utils as tu
from tailorwise.recommend.neural.base import Step, TorchRecommender
from tailorwise.recommend.neural.two_tower_reasons import explain, merge_in_order
from tailorwise.types import Recommendations

Loss = Literal["softmax", "in_batch"]
Bag = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
ANONYMOUS = "anonymous"


def _residual(dim: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim, dim)
    )


class _Towers(nn.Module):
    def __init__(
        self, n_items: int, n_feats: int, n_user_feats: int, dim: int, ids: bool, dropout: float
    ) -> None:
        super().__init__()
        self.feats = nn.EmbeddingBag(n_feats, dim, mode="sum")
        nn.init.normal_(self.feats.weight, std=dim**-0.5)
        self.item_id = nn.Embedding(n_items, dim) if ids else None
        if self.item_id is not None:
            nn.init.zeros_(self.item_id.weight)
        self.user_feats = nn.EmbeddingBag(n_user_feats, dim, mode="sum")
        nn.init.normal_(self.user_feats.weight, std=dim**-0.5)
        self.empty = nn.Parameter(torch.zeros(dim))  # stands for "no history yet"
        self.item_mlp = _residual(dim, dropout)
        self.user_mlp = _residual(dim, dropout)

    def items(self, x: Bag) -> torch.Tensor:
        """(n_items, dim) from a CSR feature matrix given as (indices, offsets, values)."""
        h = self.feats(x[0], x[1], per_sample_weights=x[2])
        if self.item_id is not None:
            h = h + self.item_id.weight
        return h + self.item_mlp(h)

    def attributes(self, attrs: Bag) -> torch.Tensor:
        """(B, dim) from B users' attribute rows given as (indices, offsets, values)."""
        return self.user_feats(attrs[0], attrs[1], per_sample_weights=attrs[2])

    def users(
        self, hist_sum: torch.Tensor, count: torch.Tensor, attrs: torch.Tensor
    ) -> torch.Tensor:
        """(B, dim) from the sum of B histories' item vectors, their lengths and attributes."""
        h = hist_sum / count.clamp(min=1).unsqueeze(-1).to(hist_sum.dtype)
        h = h + (count == 0).unsqueeze(-1).to(h.dtype) * self.empty + attrs
        return h + self.user_mlp(h)


class TwoTowerRecommender(TorchRecommender):
    """User tower over recent history and attributes, item tower over features (+ ids)."""

    name = "two_tower"
    net_: _Towers
    scores_cold_users: ClassVar[bool] = True
    # Item ids start at zero: an untouched item is its features, which the hybrid may
    # use to place it (with no item features at all it scores like an average item).
    scores_cold_items: ClassVar[bool] = True

    def __init__(
        self,
        embedding_dim: int = 64,
        epochs: int = 10,
        batch_size: int = 2048,
        lr: float = 5e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.1,
        max_history: int = 50,
        max_text_features: int = 2048,
        loss: Loss = "softmax",
        use_item_ids: bool = True,
        # Off by default, unlike sasrec/gru4rec: in session 7's benchmark (at most 10 epochs,
        # leave-last-out) stopping early moved validation NDCG@10 0.1063 -> 0.1063 (ML-100K),
        # 0.0559 -> 0.0417 (latest-small), 0.0934 -> 0.0947 (Online Retail) and 0.0379 ->
        # 0.0467 (Amazon reviews): no gain on average, and twice the fit time. Its curve
        # rises slowly with plateaus that one held-out item per user cannot tell apart.
        early_stopping: bool = False,
        patience: int = 3,
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
        self.early_stopping = early_stopping
        self.patience = patience
        self.device = device
        self.seed = seed
        self.verbose = verbose

    def _check_params(self) -> None:
        positive = ("embedding_dim", "batch_size", "max_history", "max_text_features", "patience")
        tu.check_training_params(self, positive, ("softmax", "in_batch"))

    # --- training -------------------------------------------------------
    def _prepare(self, data: Interactions) -> None:
        self.features_ = item_features(data.item_meta, self.max_text_features)
        self.encoder_ = UserEncoder.fit(data.user_features)
        self.user_x_ = self.encoder_.transform(data.user_features, data.n_users)

    def _trainer(self, data: Interactions) -> Step:
        self.history_ = tu.user_sequences(data, self.max_history)
        seq, starts = _positives(data)
        counts = np.bincount(seq, minlength=data.n_items)
        log_q = torch.from_numpy(np.log(np.maximum(counts, 1) / max(len(seq), 1))).float()
        log_q = log_q.to(self.device_)
        return lambda opt, rng: self._epoch(seq, starts, log_q, opt, rng)

    def _ready(self) -> None:
        self.net_.eval()
        self._cache()

    def _epoch(
        self,
        seq: np.ndarray,
        starts: np.ndarray,
        log_q: torch.Tensor,
        opt: torch.optim.Optimizer,
        rng: np.random.Generator,
    ) -> float:
        """One pass over every positive, predicted from the items before it; whole users per batch."""
        x = self._bag(self.features_)
        total = 0.0
        for users in _user_batches(np.diff(starts), self.batch_size, rng):
            pos, lo, local = _window_plan(starts, users, self.max_history)
            target, lo_t, local_t = (
                torch.from_numpy(a).to(self.device_) for a in (seq[pos], lo, local)
            )
            items = self.net_.items(x)
            # embedding() rather than indexing: its CPU backward sums in a fixed order
            cum = torch.cumsum(nn.functional.embedding(target, items), dim=0)
            cum = torch.cat([torch.zeros_like(cum[:1]), cum])
            attrs = self.net_.attributes(self._bag(self.user_x_[users]))
            count = torch.arange(len(pos), device=self.device_) - lo_t
            hist = cum[:-1] - nn.functional.embedding(lo_t, cum)
            u = self.net_.users(hist, count, nn.functional.embedding(local_t, attrs))
            loss = self._loss(u, items, target, log_q)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += loss.item() * len(pos)
        return total / max(len(seq), 1)

    def _loss(
        self, users: torch.Tensor, items: torch.Tensor, target: torch.Tensor, log_q: torch.Tensor
    ) -> torch.Tensor:
        if self.loss == "softmax":
            return nn.functional.cross_entropy(users @ items.T, target)
        # in-batch negatives: the other rows' targets, corrected by their sampling log-probability
        logits = users @ nn.functional.embedding(target, items).T - log_q[target][None, :]
        same = target[:, None] == target[None, :]
        logits = logits.masked_fill(
            same & ~torch.eye(len(target), dtype=torch.bool, device=target.device), float("-inf")
        )
        return nn.functional.cross_entropy(logits, torch.arange(len(target), device=target.device))

    def _build(self, n_items: int) -> _Towers:
        return _Towers(
            n_items,
            self.features_.shape[1],
            self.encoder_.n_features,
            self.embedding_dim,
            self.use_item_ids,
            self.dropout,
        )

    def _bag(self, m: sp.csr_matrix) -> Bag:
        """A CSR matrix as EmbeddingBag input: (indices, offsets, per-sample weights)."""
        arrays = (m.indices.astype(np.int64), m.indptr[:-1].astype(np.int64), m.data)
        idx, offsets, values = (torch.from_numpy(a).to(self.device_) for a in arrays)
        return idx, offsets, values.float()

    @torch.no_grad()
    def _cache(self) -> None:
        """Item vectors once, for scoring and explanations."""
        self.item_vectors_ = self.net_.items(self._bag(self.features_))

    # --- scoring --------------------------------------------------------
    @torch.no_grad()
    def _score_rows(self, history: np.ndarray, attrs: sp.csr_matrix) -> np.ndarray:
        """Scores of users given as (B, H) left-padded item index + 1 and (B, features)."""
        h = torch.from_numpy(history).to(self.device_)
        table = torch.cat([torch.zeros_like(self.item_vectors_[:1]), self.item_vectors_])
        hist = nn.functional.embedding(h, table).sum(1)
        users = self.net_.users(hist, (h > 0).sum(1), self.net_.attributes(self._bag(attrs)))
        return (users @ self.item_vectors_.T).cpu().numpy()

    def _user_state(self, data: Interactions) -> None:
        self.history_ = tu.user_sequences(data, self.max_history)
        self.user_x_ = self.encoder_.transform(data.user_features, data.n_users)

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return self._score_rows(self.history_[user_idx], self.user_x_[user_idx])

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        evidence = self.evidence()
        return explain(
            self.data_,
            self.item_vectors_,
            self.history_[user_idx],
            items,
            lambda row, item: evidence.verb(int(user_idx[row]), item),
        )

    def recommend(
        self,
        users: Sequence[str],
        k: int = 10,
        filters: Filters | None = None,
        attributes: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Recommendations:
        """Top ``k`` for each of ``users``; a user unknown at training time is served from
        ``attributes[user]`` (attribute -> value, e.g. ``{"age": 31, "country": "France"}``).

        Known users keep the attributes they had at training time. An unknown user
        without attributes raises ``UnknownIdError``, as with every model.
        """
        self.check_fitted()
        ids = [str(u) for u in users]
        known = self.data_.users.to_internal(ids, strict=False) >= 0
        cold = [u for u, ok in zip(ids, known, strict=True) if not ok]
        if not cold:
            return super().recommend(ids, k, filters)
        missing = [u for u in cold if u not in (attributes or {})]
        if missing:
            shown = ", ".join(repr(u) for u in missing[:5])
            raise UnknownIdError(
                f"unknown user(s): {shown}; the two-tower model serves a new user from "
                "their attributes: pass attributes={user: {name: value, ...}}"
            )
        assert attributes is not None
        frame = pd.DataFrame.from_records([dict(attributes[u]) for u in cold])
        empty = np.zeros((len(cold), self.max_history), dtype=np.int64)
        new = self._recommend_rows(
            cold, empty, self.encoder_.transform(frame, len(cold)), k, filters
        )
        hot = [u for u, ok in zip(ids, known, strict=True) if ok]
        return merge_in_order(ids, [super().recommend(hot, k, filters), new] if hot else [new])

    def recommend_for_history(
        self,
        item_ids: Sequence[str],
        k: int = 10,
        filters: Filters | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Recommendations:
        """Top ``k`` for a visitor known only by the items they touched and, optionally, their
        attributes (user id "anonymous").

        Item ids not in the model's catalog are ignored; with none left the
        visitor gets what the model gives an empty history.
        """
        self.check_fitted()
        idx = self.data_.items.to_internal(list(item_ids), kind="item", strict=False)
        idx = idx[idx >= 0][-self.max_history :]
        history = np.zeros((1, self.max_history), dtype=np.int64)
        history[0, self.max_history - len(idx) :] = idx + 1
        frame = None if attributes is None else pd.DataFrame.from_records([dict(attributes)])
        attrs = self.encoder_.transform(frame, 1)
        return self._recommend_rows([ANONYMOUS], history, attrs, k, filters)

    def _recommend_rows(
        self,
        names: list[str],
        history: np.ndarray,
        attrs: sp.csr_matrix,
        k: int,
        filters: Filters | None,
    ) -> Recommendations:
        """Top ``k`` for visitors not in the training data; their history counts as seen."""
        if k <= 0:
            raise InvalidRequestError(f"k must be a positive number of items, got {k}")
        filters = filters or Filters()
        scores = self._score_rows(history, attrs).astype(np.float64)
        scores[:, ~self.allowed_items(filters)] = -np.inf
        if filters.exclude_seen:
            rows, cols = np.nonzero(history)
            scores[rows, history[rows, cols] - 1] = -np.inf
        top, top_scores = top_k_rows(scores, k)
        # a visitor's history is what they were seen viewing in this session
        reasons = explain(self.data_, self.item_vectors_, history, top, lambda _r, _i: "viewed")
        ext = self.data_.items.to_external(np.maximum(top, 0)).astype(object)
        ext[top < 0] = None
        return Recommendations.from_arrays(np.array(names, dtype=object), ext, top_scores, reasons)

    # --- persistence ----------------------------------------------------
    def _get_state(self) -> dict[str, np.ndarray]:
        f, u = self.features_, self.user_x_
        return {
            "history": self.history_,
            "x_data": f.data,
            "x_indices": f.indices,
            "x_indptr": f.indptr,
            "x_shape": np.array(f.shape),
            "u_data": u.data,
            "u_indices": u.indices,
            "u_indptr": u.indptr,
            "u_shape": np.array(u.shape),
            **{f"enc_{k}": v for k, v in self.encoder_.state().items()},
            **tu.state_to_numpy(self.net_),
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.device_ = tu.resolve_device(self.device)
        self.history_ = state["history"]
        self.features_ = _csr(state, "x")
        self.user_x_ = _csr(state, "u")
        enc = {k.removeprefix("enc_"): v for k, v in state.items() if k.startswith("enc_")}
        self.encoder_ = UserEncoder.from_state(enc)
        self.net_ = self._build(self.features_.shape[0])
        self.net_.load_state_dict(tu.numpy_to_state(state))
        self.net_.to(self.device_).eval()
        self._cache()


def _csr(state: dict[str, np.ndarray], p: str) -> sp.csr_matrix:
    shape = tuple(int(s) for s in state[f"{p}_shape"])
    return sp.csr_matrix(
        (state[f"{p}_data"], state[f"{p}_indices"], state[f"{p}_indptr"]), shape=shape
    )


def _positives(data: Interactions) -> tuple[np.ndarray, np.ndarray]:
    """Every positive item, by user then time, and each user's start in it (n_users + 1)."""
    order = data.order()
    order = order[data.weight[order] > 0]
    sizes = np.bincount(data.user_idx[order], minlength=data.n_users)
    return data.item_idx[order].astype(np.int64), np.concatenate([[0], np.cumsum(sizes)])


def _user_batches(sizes: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Users with positives in random order, cut into groups of about ``batch_size`` positives."""
    users = rng.permutation(np.flatnonzero(sizes > 0))
    ends = np.cumsum(sizes[users])
    cuts = np.flatnonzero(np.diff(ends // batch_size) > 0) + 1
    return [b for b in np.split(users, cuts) if len(b)]


def _window_plan(
    starts: np.ndarray, users: np.ndarray, max_history: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per position of users laid end to end: global row, window start, place in users."""
    lens = starts[users + 1] - starts[users]
    first = np.cumsum(lens) - lens  # batch-local start of each user
    at = np.arange(int(lens.sum()))
    local = np.repeat(np.arange(len(users)), lens)
    pos = starts[users][local] + at - first[local]
    lo = np.maximum(first[local], at - max_history)
    return pos, lo, local
