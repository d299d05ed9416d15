"""What the data really holds about a user and an item, for reasons that are true.

A reason names an event the user really had, with the right verb ("bought", "viewed",
"rated 5"), and a relation the data really holds (other customers took both items). An
item with no such evidence is explained by its popularity, counted from the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import ACTIONS, Interactions

VERBS = {
    "view": "viewed",
    "click": "clicked on",
    "tag": "tagged",
    "share": "shared",
    "wishlist": "saved",
    "like": "liked",
    "review": "reviewed",
    "rating": "rated",
    "add_to_cart": "added to your cart",
    "purchase": "bought",
}
UNKNOWN_VERB = "chose"  # data from before actions were kept: say no more than we know


class Evidence:
    """Lookups over one ``Interactions``: built once per fitted model, on first use."""

    def __init__(self, data: Interactions, catalog: Evidence | None = None) -> None:
        """Evidence about the users of ``data``; the relations between items and their
        popularity come from ``catalog`` when given (the training data's evidence, when
        ``data`` holds the fresh events of a few users: see ``for_users``)."""
        self.data = data
        positive = data.weight > 0
        users, items = data.user_idx[positive], data.item_idx[positive]
        ones = np.ones(len(users), dtype=np.float32)
        shape = (data.n_users, data.n_items)
        self.taken = sp.csr_matrix((ones, (users, items)), shape=shape)  # users x items
        if catalog is None:
            self.by_item = sp.csc_matrix(self.taken)
            self.takers = np.asarray(self.taken.sum(axis=0)).ravel().astype(np.int64)
        else:
            self.by_item, self.takers = catalog.by_item, catalog.takers
        self._action = self._pairs(data.action, positive, np.int16, 1)
        self._rating = self._pairs(data.rating, positive, np.float32, 0)

    def for_users(self, data: Interactions) -> Evidence:
        """Evidence about the users of ``data`` (on this one's items), with this one's
        relations between items and popularity: a reason names what the user did, fresh
        events included, and what the training data holds about the items."""
        return Evidence(data, catalog=self)

    def _pairs(
        self, values: np.ndarray | None, keep: np.ndarray, dtype: type, shift: int
    ) -> sp.csr_matrix | None:
        if values is None:
            return None
        d = self.data
        v = np.nan_to_num(values[keep].astype(dtype) + shift, nan=0)
        m = sp.csr_matrix((v, (d.user_idx[keep], d.item_idx[keep])), shape=self.taken.shape)
        return m

    def verb(self, user: int, item: int) -> str:
        """What ``user`` did with ``item``: "bought", "viewed", "rated 4"..."""
        if self._action is None:
            return UNKNOWN_VERB
        code = int(self._action[user, item]) - 1
        if code < 0:
            return UNKNOWN_VERB
        action = ACTIONS[code].value
        if action == "rating" and self._rating is not None and self._rating[user, item]:
            return f"rated {float(self._rating[user, item]):g}"
        return VERBS.get(action, UNKNOWN_VERB)

    def deed(self, user: int, item: int, title: str) -> str:
        """ "bought <title>", "added <title> to your cart": what follows "because you"."""
        return deed(self.verb(user, item), title)

    def related(self, seen: np.ndarray, recs: np.ndarray) -> np.ndarray:
        """Boolean (len(seen), len(recs)): some customer took both items."""
        both = self.by_item[:, seen].T @ self.by_item[:, recs]
        return np.asarray(both.toarray() > 0)

    def explain_rest(self, out: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``out`` with its cells still None explained by their items' popularity (built
        only for those cells: most are explained otherwise)."""
        missing = pd.isna(out)  # None cells
        out[missing] = self.popular(items[missing])
        return out

    def popular(self, items: np.ndarray) -> np.ndarray:
        """ "popular with N customers", or, for an item no one took yet, that it is new."""
        cats = self.data.item_meta[C.categories].to_numpy()
        out = np.empty(items.shape, dtype=object)
        for pos, item in np.ndenumerate(items):
            n = int(self.takers[item]) if item >= 0 else 0
            if n:
                out[pos] = f"popular with {n:,} customer{'s' if n > 1 else ''}"
            else:
                first = _first(cats[item]) if item >= 0 else None
                out[pos] = f"new in {first}" if first else "new in the catalog"
        return out


def deed(verb: str, title: str) -> str:
    """The verb and the item's title in English order ("added X to your cart")."""
    if verb == VERBS["add_to_cart"]:
        return f"added {title} to your cart"
    return f"{verb} {title}"


def _first(categories: object) -> str | None:
    if categories is None or isinstance(categories, float):
        return None
    if isinstance(categories, str):
        return categories
    values = np.asarray(categories, dtype=object).ravel()
    return str(values[0]) if len(values) else None
