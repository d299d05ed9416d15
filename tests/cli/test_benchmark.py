"""Issue #3, item 5: ``tailorwise benchmark`` compares models on one split of the store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tailorwise.cli.benchmark import parse_ks
from tailorwise.cli.main import app
from tailorwise.errors import ConfigError, InvalidRequestError
from tailorwise.evaluate.benchmark import parse_models
from tailorwise.ingest.job import ingest
from tailorwise.recommend.registry import model_names
from tailorwise.store.duckdb import DuckDBStore

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["benchmark", *args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def ml_db(shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "ml.duckdb"
    with DuckDBStore(path) as store:
        ingest(shared_data("movielens-100k"), "movielens", store)
    return path


@pytest.fixture(scope="module")
def bench_dir(ml_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "report"
    result = invoke("--db", str(ml_db), "--models", "ease,popular", "--k", "5,10", "-o", str(out))
    assert result.exit_code == 0, result.output
    # The console's width depends on the terminal, so headers may wrap: look for words only.
    assert "ease" in result.stdout and "popular" in result.stdout and "diff" in result.stdout
    return out


def by_model(out: Path) -> dict[str, Any]:
    summary = json.loads((out / "benchmark.json").read_text(encoding="utf-8"))
    return {m["model"]: m for m in summary["models"]}


def test_writes_markdown_json_and_real_pngs(bench_dir: Path) -> None:
    summary = json.loads((bench_dir / "benchmark.json").read_text(encoding="utf-8"))
    assert summary["ks"] == [5, 10] and summary["baseline"] == "popular"
    assert summary["split"]["test"] == 943  # leave-last-out: one test item per ML-100K user
    models = by_model(bench_dir)
    assert list(models) == ["ease", "popular"]  # the user's order
    for m in models.values():
        for k in (5, 10):
            assert {f"ndcg@{k}", f"recall@{k}", f"coverage@{k}", f"arp@{k}"} <= set(m["metrics"])
            assert {f"ndcg@{k}", f"recall@{k}"} <= set(m["vs_baseline"])
        assert m["users_evaluated"] == 943 and m["fit_seconds"] >= 0
    md = (bench_dir / "benchmark.md").read_text(encoding="utf-8")
    assert "## ease" in md and "## popular" in md
    assert "| ndcg@10 - popular, 95% CI |" in md
    assert "| ease | leave-last-out |" in md and "| popular | leave-last-out |" in md
    for png in ("metrics_vs_k.png", "popularity_bias.png"):
        data = (bench_dir / png).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_bootstrap_difference_to_the_baseline(bench_dir: Path) -> None:
    models = by_model(bench_dir)
    same = models["popular"]["vs_baseline"]["ndcg@10"]
    assert same["mean_diff"] == same["ci_low"] == same["ci_high"] == 0.0
    ease = models["ease"]["vs_baseline"]["ndcg@10"]
    assert ease["n_users"] == 943 and ease["n_resamples"] == 1000
    assert 0 < ease["ci_low"] < ease["mean_diff"] < ease["ci_high"]
    gap = models["ease"]["metrics"]["ndcg@10"] - models["popular"]["metrics"]["ndcg@10"]
    assert ease["mean_diff"] == pytest.approx(gap)


def test_tuning_and_config_params(ml_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "ease.toml"
    config.write_text('[model]\nname = "ease"\nparams = { l2 = 123.0 }\n', encoding="utf-8")
    out = tmp_path / "tuned"
    args = ("--models", "trending,ease", "--trials", "2", "--k", "10", "-c", str(config))
    result = invoke("--db", str(ml_db), *args, "-o", str(out))
    assert result.exit_code == 0, result.output
    models = by_model(out)
    assert list(models) == ["popular", "trending", "ease"]  # the baseline joins, first
    assert models["trending"]["tuned"] and models["trending"]["validation_value"] > 0
    assert not models["popular"]["tuned"]  # nothing to tune
    assert models["ease"]["params"]["l2"] == 123.0  # fixed by the config, so not searched
    assert not models["ease"]["tuned"]  # l2 is EASE's only searched parameter


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--models", "ease,nope"), "unknown model(s) 'nope'; choose from: popular, trending"),
        (("--baseline", "nope"), "unknown model(s) 'nope'"),
        (("--k", "10,zero"), "--k must be positive whole numbers, got 10,zero"),
    ],
)
def test_bad_options_get_clear_errors(
    ml_db: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = invoke("--db", str(ml_db), *args, "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_empty_store_says_to_ingest_first(tmp_path: Path) -> None:
    DuckDBStore(tmp_path / "empty.duckdb").close()
    result = invoke("--db", str(tmp_path / "empty.duckdb"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "run `tailorwise ingest` first" in result.output


def test_model_and_k_lists() -> None:
    assert parse_models("all") == model_names()
    assert parse_models(" ease, als ,ease") == ["ease", "als"]
    with pytest.raises(ConfigError, match="choose from"):
        parse_models(" , ")
    assert parse_ks(["20,5", "10", "5"]) == (5, 10, 20)
    with pytest.raises(InvalidRequestError):
        parse_ks(["-1"])
