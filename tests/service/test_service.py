"""Issue #14: the service layer that the CLI calls (and the HTTP API of issue 5 will), on a
synthetic shop in a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tailorwise.data.protocols import Protocol
from tailorwise.errors import InvalidRequestError
from tailorwise.ingest.job import ingest
from tailorwise.progress import ProgressUpdate
from tailorwise.recommend.base import Filters
from tailorwise.recommend.config import ModelConfig, TrainConfig
from tailorwise.service import (
    compare_with_baseline,
    evaluate_model,
    explain,
    export_recommendations,
    load_trained,
    recommend_for_user,
    train,
)
from tailorwise.store.duckdb import DuckDBStore
from tailorwise.synth import SynthConfig, generate


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shop")
    generate(SynthConfig(n_users=300, n_items=150, n_events=20_000, seed=5), folder)
    with DuckDBStore(folder / "shop.duckdb") as store:
        ingest(folder, "events", store)
    return folder


def test_train_publishes_a_version_and_reports_progress(shop: Path) -> None:
    seen: list[ProgressUpdate] = []
    with DuckDBStore(shop / "shop.duckdb", create=False) as store:
        trained = train(store, TrainConfig(model=ModelConfig(name="ease")), shop / "m", seen.append)
    assert (shop / "m" / "latest").read_text().strip() == f"ease/{trained.version}"
    assert [u.task for u in seen] == [
        "reading interactions",
        f"fitting ease on {trained.n_pairs:,} pairs",
        "saving",
    ]
    assert load_trained(shop / "m").name == "ease"


def test_recommend_explain_and_export(shop: Path, tmp_path: Path) -> None:
    with DuckDBStore(shop / "shop.duckdb", create=False) as store:
        train(store, TrainConfig(model=ModelConfig(name="itemknn")), shop / "k")
    model = load_trained(shop / "k")
    user = str(model.data_.users.external[0])
    recs = recommend_for_user(model, user, k=5).frame
    assert len(recs) == 5 and recs["rank"].tolist() == [1, 2, 3, 4, 5]
    # explain: the scores and reasons of items the caller names, best first
    asked = [*reversed(recs["item_id"].tolist()[:3]), "no-such-item"]
    said = explain(model, user, asked).frame
    assert said["item_id"].tolist() == recs["item_id"].tolist()[:3]
    assert said["reason"].tolist() == recs["reason"].tolist()[:3]
    with pytest.raises(InvalidRequestError, match="k must be a positive"):
        recommend_for_user(model, user, k=0)
    out = tmp_path / "all.parquet"
    updates: list[ProgressUpdate] = []
    report = export_recommendations(model, out, k=3, filters=Filters(), progress=updates.append)
    frame = pd.read_parquet(out)
    assert report.rows == len(frame) == 3 * report.users
    assert updates[-1].done == updates[-1].total == report.users
    with pytest.raises(InvalidRequestError, match=r"\.csv or \.parquet"):
        export_recommendations(model, tmp_path / "all.xlsx")


def test_evaluate_and_the_demo_comparison(shop: Path) -> None:
    with DuckDBStore(shop / "shop.duckdb", create=False) as store:
        config = TrainConfig(model=ModelConfig(name="itemknn"))
        result = evaluate_model(store, config, Protocol.leave_last_out, tune_trials=2, ks=(10,))
        comparison = compare_with_baseline(store, model="ease")
    assert result.model == "itemknn" and result.part == "test" and result["ndcg@10"] > 0
    assert (comparison.baseline.model, comparison.model.model) == ("popular", "ease")
    assert comparison.difference.metric == "ndcg@10"
    assert comparison.difference.mean_diff == pytest.approx(
        comparison.model["ndcg@10"] - comparison.baseline["ndcg@10"]
    )
