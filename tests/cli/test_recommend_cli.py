"""Issue #3: train, evaluate and recommend, run as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tailorwise.errors import ConfigError
from tailorwise.recommend.config import DEFAULT_MODEL, load_config, resolve_config
from tailorwise.recommend.registry import model_names

EXE = [sys.executable, "-m", "tailorwise.cli"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "TAILORWISE_DB": str(cwd / "ml.duckdb")}
    return subprocess.run(
        [*EXE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def workdir(shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with MovieLens 100K ingested into ./ml.duckdb and the popular model trained."""
    cwd = tmp_path_factory.mktemp("cli")
    ingest = run("ingest", str(shared_data("movielens-100k")), "--format", "movielens", cwd=cwd)
    assert ingest.returncode == 0, ingest.stderr
    train = run("train", "--model", "popular", cwd=cwd)
    assert train.returncode == 0, train.stderr
    assert "trained popular on 100,000 user-item pairs" in train.stdout
    return cwd


def test_train_keeps_versions_and_latest_pointers(workdir: Path) -> None:
    (workdir / "trend.toml").write_text(
        '[model]\nname = "trending"\nparams = { half_life_days = 60.0 }\n'
        '[weighting]\nrating = "binary"\n',
        encoding="utf-8",
    )
    result = run("train", "--config", "trend.toml", "--out", "other", cwd=workdir)
    assert result.returncode == 0, result.stderr
    version = (workdir / "other" / "trending" / "latest").read_text(encoding="utf-8").strip()
    assert (workdir / "other" / "latest").read_text(
        encoding="utf-8"
    ).strip() == f"trending/{version}"
    saved = workdir / "other" / "trending" / version
    assert '"half_life_days": 60.0' in (saved / "model.json").read_text(encoding="utf-8")
    assert (workdir / "models" / "latest").read_text(encoding="utf-8").startswith("popular/")


def test_recommend_one_user_prints_titles_and_reasons(workdir: Path) -> None:
    result = run("recommend", "1", "-k", "5", "--exclude-item", "294", cwd=workdir)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "popular with" in line]
    assert len(rows) == 5
    assert "Liar Liar (1997)" not in result.stdout  # item 294, the most popular, excluded
    assert "English Patient, The (1996)" in rows[0]
    comedy = run("recommend", "1", "-k", "3", "--category", "Comedy", cwd=workdir)
    assert comedy.returncode == 0 and "Liar Liar (1997)" in comedy.stdout


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_batch_export_for_every_user(workdir: Path, suffix: str) -> None:
    out = workdir / "export" / f"recs{suffix}"
    result = run("recommend", "--all-users", "-k", "5", "--output", str(out), cwd=workdir)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, dtype={"user_id": str}) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame.columns) == ["user_id", "item_id", "score", "rank", "reason"]
    assert len(frame) == 943 * 5 and frame["user_id"].nunique() == 943
    assert frame.groupby("user_id")["rank"].apply(list).map(lambda r: r == [1, 2, 3, 4, 5]).all()


def test_a_model_trained_on_a_gpu_serves_here(workdir: Path) -> None:
    """``recommend`` loads a PyTorch model on the device this machine has: an artifact that
    names ``device="cuda"`` (what a fit on a GPU machine saves) still serves on a CPU."""
    (workdir / "gru.toml").write_text(
        '[model]\nname = "gru4rec"\nparams = { embedding_dim = 16, epochs = 1, '
        'early_stopping = false, device = "cpu" }\n',
        encoding="utf-8",
    )
    assert run("train", "--config", "gru.toml", "--out", "gpu", cwd=workdir).returncode == 0
    version = (workdir / "gpu" / "gru4rec" / "latest").read_text(encoding="utf-8").strip()
    meta_path = workdir / "gpu" / "gru4rec" / version / "model.json"
    meta = meta_path.read_text(encoding="utf-8")
    assert '"device": "cpu"' in meta
    meta_path.write_text(meta.replace('"device": "cpu"', '"device": "cuda"'), encoding="utf-8")
    result = run("recommend", "1", "-k", "3", "--model-dir", "gpu", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("follows your recent") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("recommend", "1", "-k", "0"), "k must be a positive number of items, got 0"),
        (("recommend", "--all-users"), "--all-users needs --output FILE.csv or FILE.parquet"),
        (("train", "--model", "nope"), "unknown model 'nope'; choose one of: popular"),
        (("recommend", "1", "--model-dir", "empty"), "run `tailorwise train` first"),
        (("evaluate", "--model", "nope"), "unknown model 'nope'"),
    ],
)
def test_bad_requests_get_clear_errors(workdir: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=workdir)
    assert result.returncode == 1
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_an_unknown_user_gets_the_popular_items(workdir: Path) -> None:
    """Issue #14: popular (and the hybrid) answer a user they never saw with the most popular
    items, instead of an error."""
    result = run("recommend", "no-such-user", "-k", "3", "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    assert [i["item_id"] for i in items] == ["50", "258", "100"]  # ML-100K's most rated
    assert all(i["reason"].startswith("popular with ") for i in items)


def test_evaluate_prints_the_metric_table(workdir: Path) -> None:
    result = run(
        "evaluate",
        "--model",
        "trending",
        "--protocol",
        "leave-last-out",
        "--tune-trials",
        "2",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    assert "trending on leave-last-out test: 943 users" in result.stdout
    ndcg = next(line for line in result.stdout.splitlines() if "ndcg" in line)
    values = [float(v) for v in ndcg.replace("│", " ").split()[1:]]
    assert len(values) == 3 and 0 < values[0] <= values[1] <= values[2] < 1
    assert "half_life_days" in result.stdout


def test_default_model_trains_on_reviews_without_a_catalog(
    shared_data: Callable[[str], Path], tmp_path: Path
) -> None:
    """Amazon's review file has no item titles or categories: the default model still
    trains, says in one line what it left out, and recommends."""
    reviews = shared_data("amazon-reviews-2014-musical-instruments-5core")
    path = str(reviews / "Musical_Instruments_5.json.gz")
    assert run("ingest", path, "--format", "amazon-reviews", cwd=tmp_path).returncode == 0
    train = run("train", cwd=tmp_path)
    assert train.returncode == 0, train.stderr
    assert f"trained {DEFAULT_MODEL} on 10,261 user-item pairs" in train.stdout
    assert "warning: hybrid: no item has a title, text or categories" in train.stderr
    assert "UserWarning" not in train.stderr and ".py:" not in train.stderr
    recs = run("recommend", "A2IBPI20UZIR0U", "-k", "5", cwd=tmp_path)
    assert recs.returncode == 0, recs.stderr
    rows = [line.split("│") for line in recs.stdout.splitlines() if line.startswith("│")]
    assert [r[1].strip() for r in rows] == ["1", "2", "3", "4", "5"], recs.stdout
    assert any("because you reviewed" in r[-2] for r in rows), recs.stdout
    content = run("train", "--model", "content", cwd=tmp_path)
    assert content.returncode == 1
    assert (
        "error: content: no item in the catalog has a title, text or categories" in content.stderr
    )


def test_default_model_is_registered() -> None:
    assert DEFAULT_MODEL in model_names()
    assert resolve_config(None, None).model.name == DEFAULT_MODEL


def test_bad_train_config_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nname = "ease"\n[weighting]\nrating = "stars"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: invalid train config: weighting\.rating"):
        load_config(bad)
    with pytest.raises(ConfigError, match=r"must be a \.json or \.toml"):
        load_config(bad.rename(tmp_path / "bad.yaml"))


def test_json_output_of_train_evaluate_and_recommend(workdir: Path) -> None:
    """Issue #14: --json for scripts (the recommendation shape is the one issue 5 serves)."""
    trained = json.loads(run("train", "--model", "popular", "--json", cwd=workdir).stdout)
    assert trained["name"] == "popular" and trained["n_pairs"] == 100_000
    assert Path(trained["path"]).is_relative_to("models/popular")
    evaluated = json.loads(run("evaluate", "--model", "popular", "--json", cwd=workdir).stdout)
    assert evaluated["model"] == "popular" and evaluated["part"] == "test"
    assert 0.01 < evaluated["metrics"]["ndcg@10"] < 0.2
    recs = json.loads(run("recommend", "1", "-k", "3", "--json", cwd=workdir).stdout)
    assert recs["user_id"] == "1" and recs["model"] == "popular"
    assert len(recs["items"]) == 3
    assert all(set(item) == {"item_id", "score", "reason"} for item in recs["items"])
    assert recs["items"][0]["score"] >= recs["items"][2]["score"]


def test_recommend_with_db_reads_events_ingested_after_training(workdir: Path) -> None:
    """Issue #15: ``recommend USER --db`` serves from the store's latest events."""
    cwd = workdir
    assert run("train", "--model", "itemknn", "--out", "knn", cwd=cwd).returncode == 0
    ask = ("recommend", "7", "-k", "5", "--model-dir", "knn", "--json", "--db", "ml.duckdb")
    before = json.loads(run(*ask, cwd=cwd).stdout)
    top = before["items"][0]["item_id"]
    (cwd / "fresh.csv").write_text(
        f"user_id,item_id,type,timestamp\n7,{top},purchase,1998-06-01T00:00:00\n", encoding="utf-8"
    )
    assert run("ingest", "fresh.csv", "--format", "events", cwd=cwd).returncode == 0
    after = json.loads(run(*ask, cwd=cwd).stdout)
    stale = json.loads(run(*ask[:-2], cwd=cwd).stdout)
    assert top not in [i["item_id"] for i in after["items"]]
    assert top in [i["item_id"] for i in stale["items"]]  # the model alone has not seen it
    assert any("bought" in i["reason"] for i in after["items"])
