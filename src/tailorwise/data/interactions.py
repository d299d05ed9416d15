"""Interactions: the user x item data every recommender trains on.

One row per (user, item) pair: the summed event weight, the time of the
first interaction, and a random tie-break key drawn from a fixed seed, so
that splits never order same-second events by item id or file order.
Optionally, the users' attributes (age, country, ...) from the users table,
one row per internal user index, for models that use them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tailorwise.columns import Columns as C
from tailorwise.columns import EventType, Table
from tailorwise.data.idmap import IdMap
from tailorwise.data.weighting import WeightingConfig
from tailorwise.store.base import DataStore

ITEM_META = [C.item, C.title, C.text, C.categories, C.price, C.hidden]
# Event types from the weakest sign of interest to the strongest: a pair's ``action`` is
# the strongest of its events (a view and then a purchase: bought).
ACTIONS = (
    EventType.return_,
    EventType.dislike,
    EventType.remove_from_cart,
    EventType.impression,
    EventType.search,
    EventType.view,
    EventType.click,
    EventType.tag,
    EventType.share,
    EventType.wishlist,
    EventType.like,
    EventType.review,
    EventType.rating,
    EventType.add_to_cart,
    EventType.purchase,
)
STRENGTH = {a.value: i for i, a in enumerate(ACTIONS)}
# The arrays with one value per (user, item) pair.
PAIR_ARRAYS = ("user_idx", "item_idx", "weight", "timestamp", "tiebreak", "action", "rating")


@dataclass(frozen=True)
class Interactions:
    users: IdMap
    items: IdMap
    user_idx: np.ndarray  # int64, one per pair
    item_idx: np.ndarray  # int64
    weight: np.ndarray  # float32; <= 0 means seen but not liked
    timestamp: np.ndarray  # int64 epoch seconds of the first interaction
    tiebreak: np.ndarray  # float64 random key for equal timestamps
    item_meta: pd.DataFrame = field(repr=False)  # indexed by internal item index
    # user_id plus one column per attribute, indexed by internal user index; None when
    # no user has attributes. Models that ignore user attributes never read it.
    user_features: pd.DataFrame | None = field(default=None, repr=False)
    # What each pair's user did at most (an index into ACTIONS) and the stars of its
    # rating (NaN: none), so that reasons name the real event; None where unknown.
    action: np.ndarray | None = field(default=None, repr=False)  # int8
    rating: np.ndarray | None = field(default=None, repr=False)  # float32

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def __len__(self) -> int:
        return len(self.user_idx)

    def matrix(self, positive_only: bool = True) -> sp.csr_matrix:
        """users x items CSR of weights (only pairs with weight > 0 when ``positive_only``)."""
        keep = self.weight > 0 if positive_only else np.ones(len(self), dtype=bool)
        data = self.weight[keep] if positive_only else np.ones(int(keep.sum()), np.float32)
        m = sp.csr_matrix(
            (data, (self.user_idx[keep], self.item_idx[keep])),
            shape=(self.n_users, self.n_items),
            dtype=np.float32,
        )
        m.sort_indices()
        return m

    @cached_property
    def liked(self) -> sp.csr_matrix:
        """``matrix()``, built once (serving compares fresh histories with it)."""
        return self.matrix()

    def seen(self) -> sp.csr_matrix:
        """users x items CSR with 1 for every pair the user touched, liked or not."""
        return self.matrix(positive_only=False)

    def subset(self, mask: np.ndarray) -> Interactions:
        """The same id maps and catalog, with only the rows in ``mask``."""
        return self._with_pairs(lambda name: _rows(getattr(self, name), mask))

    def concat(self, other: Interactions) -> Interactions:
        """This one's rows, then ``other``'s (the same id maps and catalog)."""
        return self._with_pairs(lambda name: _joined(getattr(self, name), getattr(other, name)))

    def _with_pairs(self, pairs: Callable[[str], np.ndarray | None]) -> Interactions:
        """A copy whose per-pair arrays are ``pairs(name)`` (see PAIR_ARRAYS)."""
        arrays = {name: pairs(name) for name in PAIR_ARRAYS}
        required = {name: value for name, value in arrays.items() if value is not None}
        return replace(
            self,
            user_idx=required["user_idx"],
            item_idx=required["item_idx"],
            weight=required["weight"],
            timestamp=required["timestamp"],
            tiebreak=required["tiebreak"],
            action=arrays["action"],
            rating=arrays["rating"],
        )

    def order(self) -> np.ndarray:
        """Row order by user, then time, then the random tie-break."""
        return np.lexsort((self.tiebreak, self.timestamp, self.user_idx))

    def liked_in_order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Users, items and steps from the end (0 = the user's latest) of the liked pairs,
        in ``order()``: what the sequential models read."""
        order = self.order()
        order = order[self.weight[order] > 0]
        users, items = self.user_idx[order], self.item_idx[order]
        sizes = np.bincount(users, minlength=self.n_users)
        return users, items, np.cumsum(sizes)[users] - np.arange(len(users)) - 1

    def hidden_items(self) -> np.ndarray:
        hidden = self.item_meta[C.hidden].fillna(False).to_numpy(dtype=bool)
        return np.flatnonzero(hidden)

    @classmethod
    def from_frames(
        cls,
        events: pd.DataFrame,
        items: pd.DataFrame | None = None,
        weighting: WeightingConfig | None = None,
        seed: int = 0,
        users: pd.DataFrame | None = None,
    ) -> Interactions:
        """Build from an events frame (user_id, item_id, type, value, timestamp) and a catalog.

        ``users`` (optional) holds user_id and either an ``attributes`` column (JSON
        text or dicts, as in the users table) or the attributes as plain columns.
        """
        pairs = _pairs(events, weighting)
        catalog = _catalog(items, pairs[C.item])
        users_map = IdMap.from_values(pairs[C.user].astype(str).to_numpy())
        item_map = IdMap(catalog[C.item].astype(str).to_numpy())
        return cls._build(pairs, users_map, item_map, catalog.reset_index(drop=True), seed, users)

    def on_catalog(
        self,
        events: pd.DataFrame,
        weighting: WeightingConfig | None = None,
        seed: int = 0,
        users: pd.DataFrame | None = None,
        item_meta: pd.DataFrame | None = None,
    ) -> Interactions:
        """Interactions of the users in ``events`` on this one's items, in this one's item
        index (events on other items are left out): the fresh history that a fitted model
        serves from (``BaseRecommender.for_history``). ``item_meta`` may replace the
        catalog's rows (the same items in the same order; a newly hidden item, say)."""
        pairs = _pairs(events, weighting)
        pairs = pairs[
            self.items.to_internal(pairs[C.item].astype(str).to_numpy(), strict=False) >= 0
        ]
        users_map = IdMap.from_values(pairs[C.user].astype(str).to_numpy())
        meta = self.item_meta if item_meta is None else item_meta
        fresh = self._build(pairs.reset_index(drop=True), users_map, self.items, meta, seed, users)
        return replace(fresh, tiebreak=self._same_tiebreaks(fresh))

    def _same_tiebreaks(self, fresh: Interactions) -> np.ndarray:
        """``fresh``'s tie-break keys, with this one's for the pairs both hold: a user's
        same-second events keep the order they had in training, so that a history with
        nothing new gives the same answer as the fitted model."""
        users = self.users.to_internal(fresh.users.external[fresh.user_idx], strict=False)
        known = np.flatnonzero(users >= 0)
        if not len(known):
            return fresh.tiebreak
        keys = np.asarray(self._tiebreaks[users[known], fresh.item_idx[known]]).ravel()
        out = fresh.tiebreak.copy()
        out[known[keys > 0]] = keys[keys > 0] - 1.0
        return out

    @cached_property
    def _tiebreaks(self) -> sp.csr_matrix:
        """users x items of tie-break key + 1 (0: no such pair)."""
        return sp.csr_matrix(
            (self.tiebreak + 1.0, (self.user_idx, self.item_idx)),
            shape=(self.n_users, self.n_items),
        )

    @classmethod
    def _build(
        cls,
        pairs: pd.DataFrame,
        users_map: IdMap,
        item_map: IdMap,
        item_meta: pd.DataFrame,
        seed: int,
        users: pd.DataFrame | None,
    ) -> Interactions:
        rng = np.random.default_rng(seed)
        return cls(
            users=users_map,
            items=item_map,
            user_idx=users_map.to_internal(pairs[C.user].astype(str).to_numpy()),
            item_idx=item_map.to_internal(pairs[C.item].astype(str).to_numpy()),
            weight=pairs["w"].to_numpy(dtype=np.float32),
            timestamp=pairs["t"].to_numpy(dtype=np.int64),
            tiebreak=rng.random(len(pairs)),
            item_meta=item_meta,
            user_features=user_attributes(users, users_map.external),
            action=pairs["a"].to_numpy(dtype=np.int8),
            rating=pairs["r"].to_numpy(dtype=np.float32, na_value=np.nan),
        )

    @classmethod
    def from_store(
        cls, store: DataStore, weighting: WeightingConfig | None = None, seed: int = 0
    ) -> Interactions:
        events = store.read(Table.events, [C.user, C.item, C.type, C.value, C.timestamp])
        items = store.read(Table.items, ITEM_META)
        users = store.read(Table.users, [C.user, C.attributes])
        return cls.from_frames(
            events.to_pandas(), items.to_pandas(), weighting, seed, users.to_pandas()
        )


def _pairs(events: pd.DataFrame, weighting: WeightingConfig | None) -> pd.DataFrame:
    """One row per (user, item) of ``events``: summed weight ``w``, first time ``t``, the
    strongest action ``a`` and the stars ``r`` of its rating."""
    ev = events[events[C.item].notna()].reset_index(drop=True)
    ev = ev.assign(
        _w=(weighting or WeightingConfig()).weights(ev),
        _t=ev[C.timestamp].to_numpy(dtype="datetime64[s]").astype(np.int64),
        _a=ev[C.type].map(STRENGTH).fillna(-1).to_numpy(dtype=np.int8),
        _r=pd.to_numeric(ev[C.value], errors="coerce").where(ev[C.type] == "rating"),
    )
    pairs = ev.groupby([C.user, C.item], sort=False).agg(
        w=("_w", "sum"), t=("_t", "min"), a=("_a", "max"), r=("_r", "max")
    )
    return pairs.reset_index()


def _catalog(items: pd.DataFrame | None, event_items: pd.Series) -> pd.DataFrame:
    """Every item of the catalog plus any item seen only in events, in a stable order."""
    known = pd.DataFrame({C.item: pd.unique(event_items.astype(str))})
    if items is None or items.empty:
        cat = known
    else:
        items = items.assign(**{C.item: items[C.item].astype(str)})
        extra = known[~known[C.item].isin(items[C.item])]
        cat = pd.concat([items, extra], ignore_index=True)
    for col in ITEM_META:
        if col not in cat.columns:
            cat[col] = None
    return cat[ITEM_META].sort_values(C.item, kind="stable").reset_index(drop=True)


def user_attributes(users: pd.DataFrame | None, user_ids: np.ndarray) -> pd.DataFrame | None:
    """user_id plus one column per attribute, one row per id of ``user_ids`` (in order).

    Users without a row or without attributes get missing values; None when no user in
    ``user_ids`` has any attribute.
    """
    if users is None or users.empty:
        return None
    if C.attributes in users.columns:
        parsed = [_attribute_dict(a) for a in users[C.attributes]]
        flat = pd.DataFrame.from_records(parsed, index=users[C.user].astype(str).to_numpy())
    else:
        flat = users.set_index(users[C.user].astype(str)).drop(columns=[C.user])
    flat = flat.drop(columns=[C.user], errors="ignore")
    flat = flat[~flat.index.duplicated(keep="last")].reindex(pd.Index(user_ids, dtype=object))
    if flat.empty or flat.columns.empty or not flat.notna().any().any():
        return None
    return pd.concat(
        [pd.DataFrame({C.user: np.asarray(user_ids, dtype=object)}), flat.reset_index(drop=True)],
        axis=1,
    )


def _attribute_dict(value: object) -> dict[str, object]:
    """One user's attributes: JSON text or a mapping; nested values are kept as text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {
        str(k): json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
        for k, v in value.items()
    }


def _rows(values: np.ndarray | None, mask: np.ndarray) -> np.ndarray | None:
    return None if values is None else values[mask]


def _joined(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    return None if a is None or b is None else np.concatenate([a, b])
