"""Evaluation splits: leave-last-out, global temporal, random per user.

Order within a user is by time, then by the random tie-break drawn when the
interactions were built, never by item id or file order. The three parts
share id maps and catalog, so a model fitted on ``train`` ranks the same
items that ``test`` refers to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorwise.data.interactions import Interactions
from tailorwise.data.protocols import Protocol
from tailorwise.errors import InvalidRequestError


@dataclass(frozen=True)
class Split:
    protocol: str
    train: Interactions
    validation: Interactions
    test: Interactions

    def train_validation(self) -> Interactions:
        """Train and validation together: what the final model is fitted on."""
        return self.train.concat(self.validation)


def _positions(data: Interactions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows in (user, time, tie-break) order, each row's position in its user, and user sizes."""
    order = data.order()
    users = data.user_idx[order]
    sizes = np.bincount(users, minlength=data.n_users)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos = np.arange(len(order)) - starts[users]
    return order, pos, sizes[users]


def _assemble(protocol: str, data: Interactions, part: np.ndarray) -> Split:
    """``part`` holds 0 (train), 1 (validation) or 2 (test) per row of ``data``."""
    return Split(protocol, data.subset(part == 0), data.subset(part == 1), data.subset(part == 2))


def leave_last_out(data: Interactions, min_train: int = 1) -> Split:
    """Each user's last item is the test, the one before it validation."""
    order, pos, size = _positions(data)
    part_sorted = np.zeros(len(order), dtype=np.int8)
    eligible = size >= min_train + 2
    part_sorted[eligible & (pos == size - 1)] = 2
    part_sorted[eligible & (pos == size - 2)] = 1
    part = np.empty_like(part_sorted)
    part[order] = part_sorted
    return _assemble(Protocol.leave_last_out, data, part)


def temporal(data: Interactions, validation: float = 0.1, test: float = 0.1) -> Split:
    """A global cut in time: the latest ``test`` share of rows is the test set."""
    key = np.lexsort((data.tiebreak, data.timestamp))
    rank = np.empty(len(key), dtype=np.int64)
    rank[key] = np.arange(len(key))
    n = len(key)
    part = np.zeros(n, dtype=np.int8)
    part[rank >= n * (1 - test - validation)] = 1
    part[rank >= n * (1 - test)] = 2
    return _assemble(Protocol.temporal, data, part)


def random_per_user(
    data: Interactions, validation: float = 0.1, test: float = 0.1, seed: int = 0
) -> Split:
    """Each user's items shuffled with ``seed`` and cut 80/10/10 (at least one each when possible)."""
    rng = np.random.default_rng(seed)
    shuffled = np.lexsort((rng.random(len(data)), data.user_idx))
    users = data.user_idx[shuffled]
    sizes = np.bincount(users, minlength=data.n_users)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos = np.arange(len(shuffled)) - starts[users]
    size = sizes[users]
    # at least one each when the user has 3 items or more, none when the share is 0
    n_test = np.where((size >= 3) & (test > 0), np.maximum(1, np.round(size * test)), 0)
    n_val = np.where((size >= 3) & (validation > 0), np.maximum(1, np.round(size * validation)), 0)
    part_sorted = np.zeros(len(shuffled), dtype=np.int8)
    part_sorted[pos >= size - n_test - n_val] = 1
    part_sorted[pos >= size - n_test] = 2
    part = np.empty_like(part_sorted)
    part[shuffled] = part_sorted
    return _assemble(Protocol.random, data, part)


def make_split(data: Interactions, protocol: Protocol | str, seed: int = 0) -> Split:
    p = Protocol(protocol)
    if p == Protocol.leave_last_out:
        return leave_last_out(data)
    if p == Protocol.temporal:
        return temporal(data)
    return random_per_user(data, seed=seed)


# What a user needs for a held-out item under each protocol (temporal: a global cut).
_NEEDS = {
    Protocol.leave_last_out: "a user needs 3 positive events or more (train, validation, test)",
    Protocol.random: "a user needs 3 events or more (80/10/10, at least one each)",
    Protocol.temporal: "the latest 10% of events must include positive ones",
}


def check_evaluable(split: Split, parts: tuple[str, ...] = ("test",)) -> Split:
    """``split``, or a clear error when one of ``parts`` holds no positive item to score."""
    for part in parts:
        if (getattr(split, part).weight > 0).any():
            continue
        protocol = Protocol(split.protocol)
        why = f"the {protocol} split has no {part} items to score: {_NEEDS[protocol]}"
        if protocol != Protocol.temporal:
            kept = [p.user_idx[p.weight > 0] for p in (split.train, split.validation)]
            users = np.concatenate(kept)
            why += f", and the most any user has is {np.bincount(users).max() if len(users) else 0}"
        raise InvalidRequestError(why)
    return split
