"""Issue #3: the evaluation runner, tuning on validation only, and the report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tailorwise.config.space import choice, float_range
from tailorwise.data.interactions import Interactions
from tailorwise.data.split import Split, make_split
from tailorwise.errors import ConfigError, InvalidRequestError
from tailorwise.evaluate.report import markdown_table, write_report
from tailorwise.evaluate.runner import EvaluationResult, evaluate
from tailorwise.evaluate.tuning import (
    default_space,
    default_spaces,
    defaults_in,
    fit_and_test,
    tune,
)
from tailorwise.recommend.popular import PopularRecommender, TrendingRecommender
from tailorwise.recommend.registry import model_class, model_names


@pytest.fixture(scope="module")
def trending_test(ml_split: Split) -> EvaluationResult:
    model = TrendingRecommender(half_life_days=30).fit(ml_split.train_validation())
    return evaluate(model, ml_split, "test", ks=(5, 10, 20))


def test_ranks_all_items_and_excludes_train_and_validation(
    ml_split: Split, trending_test: EvaluationResult
) -> None:
    r = trending_test
    data = ml_split.train_validation()
    model = TrendingRecommender(half_life_days=30).fit(data)
    scores = model._scores(r.users)
    seen = data.seen()[r.users].toarray() > 0
    assert not np.take_along_axis(seen, r.top, axis=1).any(), "train+validation items excluded"
    truth = ml_split.test.matrix()[r.users]
    target = truth.indices  # leave-last-out: one held-out item per user
    assert (np.diff(truth.indptr) == 1).all()
    for u in range(r.n_users):
        s = np.where(seen[u], -np.inf, scores[u])  # every other item competes, no sampling
        t = s[target[u]]
        best, worst = 1 + (s > t).sum(), (s >= t).sum()  # the rank, up to ties
        pos = np.flatnonzero(r.top[u] == target[u])
        if len(pos):
            assert best <= pos[0] + 1 <= worst
            assert r.per_user["ndcg@20"][u] == pytest.approx(1 / np.log2(pos[0] + 2))
        else:
            assert worst > 20 and r.per_user["hr@20"][u] == 0


def test_result_holds_per_user_arrays_and_means(trending_test: EvaluationResult) -> None:
    r = trending_test
    for k in (5, 10, 20):
        for name in ("recall", "precision", "ndcg", "hr", "mrr", "map"):
            assert r.per_user[f"{name}@{k}"].shape == (r.n_users,)
            assert r[f"{name}@{k}"] == pytest.approx(r.per_user[f"{name}@{k}"].mean())
        assert 0 < r[f"coverage@{k}"] <= 1 and 0 < r[f"ild@{k}"] <= 1
        assert r[f"novelty@{k}"] > 0 and r[f"arp@{k}"] > 0
    assert r["ndcg@5"] <= r["ndcg@10"] <= r["ndcg@20"]
    assert r.n_users == 300 and r.n_skipped == 0 and r.seconds > 0
    json.dumps(r.summary())


def test_model_must_be_fitted_on_the_right_part(ml_split: Split) -> None:
    on_train = PopularRecommender().fit(ml_split.train)
    with pytest.raises(InvalidRequestError, match=r"train_validation\(\)"):
        evaluate(on_train, ml_split, "test")
    assert evaluate(on_train, ml_split, "validation").n_users == 300
    with pytest.raises(InvalidRequestError, match="ks must be positive"):
        evaluate(on_train, ml_split, "validation", ks=(0,))


def test_cold_users_are_skipped_and_counted(ml_small: Interactions) -> None:
    split = make_split(ml_small, "temporal")
    model = PopularRecommender().fit(split.train_validation())
    r = evaluate(model, split, "test", ks=(10,))
    in_test = np.unique(split.test.user_idx[split.test.weight > 0])
    warm = np.unique(split.train_validation().user_idx)
    assert r.n_users == len(np.intersect1d(in_test, warm))
    assert r.n_skipped == len(np.setdiff1d(in_test, warm)) > 0


def test_tune_reads_validation_only_and_is_seeded(ml_split: Split) -> None:
    space = {"half_life_days": float_range(1.0, 500.0, log=True)}
    first = tune("trending", ml_split, n_trials=4, search_space=space, seed=3)
    assert len(first.trials) == 4 and 1.0 <= first.best_params["half_life_days"] <= 500.0
    assert first.best_value == pytest.approx(first.trials["value"].max())
    no_test = replace(ml_split, test=ml_split.test.subset(np.zeros(len(ml_split.test), bool)))
    again = tune("trending", no_test, n_trials=4, search_space=space, seed=3)
    assert again.best_params == first.best_params, "the test part must not matter"
    assert again.best_value == first.best_value


def test_fit_and_test_touches_the_test_once(ml_split: Split) -> None:
    model, result = fit_and_test("trending", {"half_life_days": 30.0}, ml_split, ks=(10,))
    assert len(model.data_) == len(ml_split.train_validation())
    assert result.part == "test" and result.fit_seconds is not None
    assert result["ndcg@10"] > 0.02


def test_search_spaces_and_clear_errors(ml_split: Split) -> None:
    spaces = default_spaces()
    assert set(spaces) == set(model_names()) - {"two_tower", "hybrid"}
    for name, space in spaces.items():
        assert set(space) <= set(model_class(name)._param_names()), name
    assert tune("popular", ml_split, n_trials=5).best_params == {}  # nothing to search
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        default_space("nope")
    with pytest.raises(ConfigError, match="no default search space for model 'two_tower'"):
        default_space("two_tower")
    with pytest.raises(ConfigError, match="has no parameter"):
        tune("trending", ml_split, n_trials=1, search_space={"alpha": float_range(0, 1)})
    with pytest.raises(ConfigError, match="NAME@K"):
        tune("trending", ml_split, metric="ndcg10")


def test_report_writes_table_json_and_plots(
    ml_split: Split, trending_test: EvaluationResult, tmp_path: Path
) -> None:
    popular = evaluate(PopularRecommender().fit(ml_split.train_validation()), ml_split)
    files = write_report([popular, trending_test], tmp_path, baseline="popular")
    table = files["markdown"].read_text(encoding="utf-8").splitlines()
    assert table[0].startswith("| model | protocol | ndcg@10 | ndcg@10 / popular |")
    assert len(table) == 4 and table[2].startswith("| popular | leave-last-out |")
    assert "1.00x" in table[2]
    rows = json.loads(files["json"].read_text(encoding="utf-8"))
    assert [r["model"] for r in rows] == ["popular", "trending"]
    assert rows[1]["metrics"]["ndcg@10"] == pytest.approx(trending_test["ndcg@10"])
    for key in ("ndcg_vs_k", "popularity"):
        assert files[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| trending |" in markdown_table([trending_test])


def test_the_first_trial_is_the_models_defaults(ml_split: Split) -> None:
    """One trial means the model's own defaults, not a random draw from the space."""
    space = {
        "half_life_days": float_range(1.0, 500.0, log=True),
        "window": choice(3, 7),  # not a parameter of trending: never enqueued
    }
    assert defaults_in("trending", space) == {"half_life_days": 14.0}
    assert defaults_in("trending", {"half_life_days": float_range(40.0, 50.0)}) == {}
    one = tune(
        "trending", ml_split, n_trials=1, search_space={"half_life_days": space["half_life_days"]}
    )
    assert one.best_params == {"half_life_days": 14.0}


def test_every_default_space_holds_its_models_defaults() -> None:
    """Else the "defaults" trial would draw the missing parameters (sasrec's weight_decay 0.0
    once lay outside a log range)."""
    for name, space in default_spaces().items():
        assert set(defaults_in(name, space)) == set(space), name
