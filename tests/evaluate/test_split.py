"""Issue #3: evaluation splits on constructed ties and on real MovieLens 100K."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tailorwise.data.interactions import Interactions
from tailorwise.data.split import (
    Split,
    check_evaluable,
    leave_last_out,
    make_split,
    random_per_user,
    temporal,
)
from tailorwise.errors import InvalidRequestError


def frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    users, items, times = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "user_id": users,
            "item_id": items,
            "type": "purchase",
            "value": None,
            "timestamp": pd.to_datetime(list(times), format="ISO8601"),
        }
    )


# u1's last two items share a second; u2 has too few items to hold any out.
EVENTS = frame(
    [
        ("u1", "a", "2024-01-01"),
        ("u1", "b", "2024-01-02"),
        ("u1", "c", "2024-01-03"),
        ("u1", "m", "2024-01-04 10:00:00"),
        ("u1", "z", "2024-01-04 10:00:00"),
        ("u2", "a", "2024-01-01"),
        ("u2", "b", "2024-01-02"),
    ]
)


def pairs(data: Interactions) -> set[tuple[str, str]]:
    return set(
        zip(
            data.users.to_external(data.user_idx),
            data.items.to_external(data.item_idx),
            strict=True,
        )
    )


def check_partition(data: Interactions, split: Split) -> None:
    parts = [pairs(split.train), pairs(split.validation), pairs(split.test)]
    assert sum(map(len, parts)) == len(data), "every pair in exactly one part"
    assert set.union(*parts) == pairs(data)
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert pairs(split.train_validation()) == parts[0] | parts[1]


def test_leave_last_out_breaks_same_second_ties_by_seed() -> None:
    chosen = set()
    for seed in range(20):
        split = leave_last_out(Interactions.from_frames(EVENTS, seed=seed))
        test, validation = pairs(split.test), pairs(split.validation)
        ((user, item),) = test  # u2 is too small: only u1 is held out
        assert user == "u1" and item in {"m", "z"}
        assert validation == {("u1", ({"m", "z"} - {item}).pop())}
        chosen.add(item)
    assert chosen == {"m", "z"}, "the tie must go either way depending on the seed"


def test_small_users_stay_in_train() -> None:
    data = Interactions.from_frames(EVENTS, seed=0)
    for split in (leave_last_out(data), random_per_user(data, seed=3)):
        assert {("u2", "a"), ("u2", "b")} <= pairs(split.train)
        check_partition(data, split)


def test_leave_last_out_on_movielens(ml100k: Interactions) -> None:
    split = leave_last_out(ml100k)
    check_partition(ml100k, split)
    assert len(split.test) == len(split.validation) == ml100k.n_users  # every user has >= 20
    last = np.zeros(ml100k.n_users, dtype=np.int64)
    np.maximum.at(last, ml100k.user_idx, ml100k.timestamp)
    assert (split.test.timestamp == last[split.test.user_idx]).all(), "test is the latest item"
    val_t = np.zeros(ml100k.n_users, dtype=np.int64)
    val_t[split.validation.user_idx] = split.validation.timestamp
    train_last = np.zeros(ml100k.n_users, dtype=np.int64)
    np.maximum.at(train_last, split.train.user_idx, split.train.timestamp)
    assert (train_last <= val_t).all() and (val_t <= last).all()


def test_movielens_ties_are_not_broken_by_item_id(ml100k: Interactions) -> None:
    # In MovieLens 100K, 44% of users' last rating shares its second with the one before.
    last = np.zeros(ml100k.n_users, dtype=np.int64)
    np.maximum.at(last, ml100k.user_idx, ml100k.timestamp)
    at_last = ml100k.timestamp == last[ml100k.user_idx]
    n_at_last = np.bincount(ml100k.user_idx[at_last], minlength=ml100k.n_users)
    tied = n_at_last > 1
    assert 0.35 < tied.mean() < 0.5
    max_id = np.full(ml100k.n_users, -1)
    np.maximum.at(max_id, ml100k.user_idx[at_last], ml100k.item_idx[at_last])
    min_id = np.full(ml100k.n_users, 1 << 40)
    np.minimum.at(min_id, ml100k.user_idx[at_last], ml100k.item_idx[at_last])
    chance = (1 / n_at_last[tied]).mean()  # share expected if ties are drawn at random
    picks = []
    for seed in range(3):
        data = replace(ml100k, tiebreak=np.random.default_rng(seed).random(len(ml100k)))
        test = leave_last_out(data).test
        item = np.empty(ml100k.n_users, dtype=np.int64)
        item[test.user_idx] = test.item_idx
        assert abs((item[tied] == max_id[tied]).mean() - chance) < 0.08
        assert abs((item[tied] == min_id[tied]).mean() - chance) < 0.08
        picks.append(item[tied])
    assert (picks[0] != picks[1]).mean() > 0.3, "another seed picks other tied items"


def test_temporal_is_a_global_cut(ml100k: Interactions) -> None:
    split = temporal(ml100k)
    check_partition(ml100k, split)
    n = len(ml100k)
    assert abs(len(split.test) - 0.1 * n) <= 1 and abs(len(split.validation) - 0.1 * n) <= 1
    assert split.train.timestamp.max() <= split.validation.timestamp.min()
    assert split.validation.timestamp.max() <= split.test.timestamp.min()


@pytest.mark.parametrize("seed", [0, 1])
def test_random_per_user_proportions(ml100k: Interactions, seed: int) -> None:
    split = random_per_user(ml100k, seed=seed)
    check_partition(ml100k, split)
    n = len(ml100k)
    assert len(split.train) / n == pytest.approx(0.8, abs=0.01)
    assert len(split.test) / n == pytest.approx(0.1, abs=0.01)
    assert len(split.validation) / n == pytest.approx(0.1, abs=0.01)
    sizes = np.bincount(ml100k.user_idx, minlength=ml100k.n_users)
    n_test = np.bincount(split.test.user_idx, minlength=ml100k.n_users)
    assert (n_test >= 1).all() and (np.abs(n_test - 0.1 * sizes) <= 1).all(), "10% of each user"


def test_random_per_user_depends_on_seed_only(ml_small: Interactions) -> None:
    a, b = make_split(ml_small, "random", seed=1), make_split(ml_small, "random", seed=1)
    assert pairs(a.test) == pairs(b.test)
    assert pairs(a.test) != pairs(make_split(ml_small, "random", seed=2).test)


def test_random_per_user_with_no_test_share_holds_out_validation_only(
    ml_small: Interactions,
) -> None:
    split = random_per_user(ml_small, validation=0.1, test=0.0, seed=3)
    check_partition(ml_small, split)
    assert len(split.test) == 0
    assert len(split.validation) / len(ml_small) == pytest.approx(0.1, abs=0.01)


def test_a_split_with_nothing_to_score_says_what_users_need() -> None:
    """u2 alone has 2 items: too few to hold one out, so evaluating would score nobody."""
    u2 = Interactions.from_frames(EVENTS[EVENTS["user_id"] == "u2"], seed=0)
    for protocol in ("leave-last-out", "random"):
        with pytest.raises(InvalidRequestError, match=r"no test items.*most any user has is 2"):
            check_evaluable(make_split(u2, protocol))
    both = leave_last_out(Interactions.from_frames(EVENTS, seed=0))
    assert check_evaluable(both, ("validation", "test")) is both  # u1 has 5 items
