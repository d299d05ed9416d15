"""Issue #3: Interactions carry the users' attributes, aligned with the user id map."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import Interactions
from tailorwise.data.split import leave_last_out
from tailorwise.recommend.config import ModelConfig


def test_movielens_users_have_their_attributes(ml100k: Interactions) -> None:
    f = ml100k.user_features
    assert f is not None and len(f) == ml100k.n_users
    assert list(f[C.user]) == list(ml100k.users.external)
    first = f.iloc[ml100k.users.to_internal(["1", "2"])]  # u.user: 1|24|M|technician, 2|53|F|other
    assert first["age"].tolist() == [24, 53]
    assert first["gender"].tolist() == ["M", "F"]
    assert first["occupation"].tolist() == ["technician", "other"]
    assert first["zip_code"].tolist() == ["85711", "94043"]


def test_subsets_and_splits_keep_the_attributes(ml100k: Interactions) -> None:
    split = leave_last_out(ml100k.subset(ml100k.user_idx < 50))
    for part in (split.train, split.test, split.train_validation()):
        assert part.user_features is ml100k.user_features


def test_online_retail_users_have_a_country(retail: Interactions) -> None:
    f = retail.user_features
    assert f is not None and list(f.columns) == [C.user, "country"]
    assert f.iloc[retail.users.to_internal(["12583"])[0]]["country"] == "France"


def _events(users: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            C.user: users,
            C.item: ["a"] * len(users),
            C.type: "view",
            C.value: None,
            C.timestamp: pd.Timestamp("2024-01-01"),
        }
    )


def test_attributes_are_aligned_and_missing_ones_stay_missing() -> None:
    users = pd.DataFrame(
        {
            C.user: ["u2", "u1", "nobody"],
            C.attributes: ['{"age": 30, "tags": ["x"]}', None, '{"age": 70}'],
        }
    )
    data = Interactions.from_frames(_events(["u1", "u2", "u3"]), users=users)
    f = data.user_features
    assert f is not None and list(f[C.user]) == ["u1", "u2", "u3"]
    assert np.isnan(f["age"].iloc[0]) and f["age"].iloc[1] == 30 and np.isnan(f["age"].iloc[2])
    assert f["tags"].iloc[1] == '["x"]'  # nested values are kept as JSON text


def test_without_a_users_table_there_are_no_user_features() -> None:
    assert Interactions.from_frames(_events(["u1"])).user_features is None
    no_attrs = pd.DataFrame({C.user: ["u1"], C.attributes: ["{}"]})
    assert Interactions.from_frames(_events(["u1"]), users=no_attrs).user_features is None


@pytest.mark.parametrize("model", ["ease", "popular"])
def test_other_models_give_the_same_answers_with_or_without_attributes(
    ml_small: Interactions, model: str
) -> None:
    users = [str(u) for u in ml_small.users.external[:5]]
    a = ModelConfig(name=model).build().fit(ml_small).recommend(users, k=10).frame
    bare = replace(ml_small, user_features=None)
    b = ModelConfig(name=model).build().fit(bare).recommend(users, k=10).frame
    pd.testing.assert_frame_equal(a, b)
