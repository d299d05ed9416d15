"""Issue #3: per-user paired bootstrap of a metric difference."""

from __future__ import annotations

import numpy as np
import pytest

from tailorwise.data.split import Split
from tailorwise.errors import InvalidRequestError
from tailorwise.evaluate.runner import evaluate
from tailorwise.metrics.bootstrap import paired_bootstrap
from tailorwise.recommend.popular import PopularRecommender, TrendingRecommender


def test_identical_models_differ_by_nothing() -> None:
    a = np.random.default_rng(0).random(300)
    res = paired_bootstrap(a, a.copy())
    assert (res.mean_diff, res.ci_low, res.ci_high) == (0.0, 0.0, 0.0)
    assert res.p_value == 1.0 and not res.significant


def test_a_clearly_better_model_is_significant_and_sign_matters() -> None:
    rng = np.random.default_rng(1)
    base = rng.random(2000)
    better = base + 0.05 + rng.normal(0, 0.2, 2000)
    up, down = paired_bootstrap(better, base), paired_bootstrap(base, better)
    assert up.significant and 0 < up.ci_low < up.mean_diff < up.ci_high and up.p_value < 0.01
    assert down.ci_high < 0 and down.p_value > 0.99
    assert up.mean_diff == pytest.approx(-down.mean_diff)


def test_interval_matches_normal_theory_and_is_seeded() -> None:
    rng = np.random.default_rng(2)
    diff = rng.normal(0.01, 0.3, 5000)
    res = paired_bootstrap(diff, np.zeros_like(diff), n_resamples=2000, seed=5)
    half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    assert res.ci_low == pytest.approx(diff.mean() - half, abs=0.15 * half)
    assert res.ci_high == pytest.approx(diff.mean() + half, abs=0.15 * half)
    assert paired_bootstrap(diff, np.zeros_like(diff), n_resamples=2000, seed=5) == res
    assert paired_bootstrap(diff, np.zeros_like(diff), n_resamples=2000, seed=6) != res


def test_pairs_real_evaluations_on_the_same_users(ml_split: Split) -> None:
    data = ml_split.train_validation()
    pop = evaluate(PopularRecommender().fit(data), ml_split, ks=(10,))
    trend = evaluate(TrendingRecommender(half_life_days=30).fit(data), ml_split, ks=(10,))
    res = paired_bootstrap(trend, pop, "ndcg@10", n_resamples=500)
    assert res.n_users == pop.n_users == 300 and res.n_resamples == 500
    assert res.mean_diff == pytest.approx(trend["ndcg@10"] - pop["ndcg@10"])
    assert res.ci_low <= res.mean_diff <= res.ci_high
    with pytest.raises(InvalidRequestError, match="no per-user values for 'ndcg@5'"):
        paired_bootstrap(trend, pop, "ndcg@5")
    with pytest.raises(InvalidRequestError, match="same users"):
        fewer = evaluate(PopularRecommender().fit(ml_split.train), ml_split, "validation", ks=(10,))
        fewer.users = fewer.users[:-1]
        fewer.per_user = {k: v[:-1] for k, v in fewer.per_user.items()}
        paired_bootstrap(trend, fewer, "ndcg@10")
