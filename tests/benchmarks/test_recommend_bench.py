"""Smoke test of the recommendation benchmark harness (issue #3) on a small real slice,
so that benchmarks/recommend.py cannot rot. Figures are checked by the benchmark itself."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tailorwise.data.split import Split
from tailorwise.evaluate.tuning import defaults_in
from tailorwise.recommend.registry import MODELS

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path[:0] = [str(BENCH), str(BENCH / "peers")]

from recommend import write_outputs  # noqa: E402
from recsys_data import write_split  # noqa: E402
from recsys_peers import PEERS, PEERS_PYTHON  # noqa: E402
from recsys_report import Block, block_table, compare  # noqa: E402
from recsys_run import (  # noqa: E402
    EXTRA_SPACES,
    BenchConfig,
    ModelRun,
    run_rectools_peer,
    run_registered,
)

CFG = BenchConfig(trials=1, deep_trials=1, epochs=1, max_len=20, ks=(5, 10))


def _ndcg(run: ModelRun) -> float:
    assert run.result is not None
    return run.result["ndcg@10"]


def _run(name: str, side: str, split: Split, done: dict[str, ModelRun]) -> ModelRun:
    run = run_registered(name, side, split, CFG, done)
    assert run.status == "ok", run.message
    done[name] = run
    return run


def test_ours_and_inprocess_peers_on_identical_split(
    ml_split: Split, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #3: peers are tuned, fitted and scored by the same code as ours."""
    for name, cls in PEERS.items():  # what register_peers() does, undone after the test
        monkeypatch.setitem(MODELS.entries, name, ("recsys_peers", cls))
    done: dict[str, ModelRun] = {}
    runs = [
        _run(n, s, ml_split, done)
        for n, s in [
            ("popular", "ours"),
            ("ease", "ours"),
            ("ease_reference", "peer"),
            ("als", "ours"),
            ("implicit_als", "peer"),
        ]
    ]
    by = {r.model: r for r in runs}
    assert all(r.result is not None and r.result.n_users > 0 for r in runs)
    # Same seed, same space, same budget: the same tuned params on both sides...
    assert by["ease"].best_params["l2"] == by["ease_reference"].best_params["l2"]
    # ...and our EASE ranks exactly like Steck's reference code.
    assert _ndcg(by["ease"]) == pytest.approx(_ndcg(by["ease_reference"]))
    assert _ndcg(by["ease"]) > _ndcg(by["popular"])
    assert all(r.fit_seconds >= 0 and r.peak_mib >= 0 for r in runs)

    block = Block("ml-slice", ml_split.protocol, runs)
    compare(block, seed=0)
    assert block.comparison["peer"] in {"ease_reference", "implicit_als"}
    boot = block.comparison["bootstrap"]
    assert boot["ci_low"] <= boot["mean_diff"] <= boot["ci_high"]

    out = tmp_path / "recommend.json"
    meta = {
        "command": "test",
        "date": "now",
        "seconds": 0.0,
        "load_at_start": (0.0,) * 3,
        "load_at_end": (0.0,) * 3,
        "machine": {"cores": 2, "cpu": "x", "ram_gib": 1},
    }
    write_outputs(out, meta, {}, [block], {}, final=False)
    payload = json.loads(out.read_text())
    assert {r["model"] for r in payload["blocks"][0]["runs"]} == set(by)
    assert "| ease_reference | peer |" in out.with_suffix(".md").read_text()


def test_the_epochs_early_stopping_chose_are_reported(ml_split: Split) -> None:
    run = _run("gru4rec", "ours", ml_split, {})
    assert run.best_epoch == CFG.epochs  # one epoch allowed, one chosen
    assert _run("ease", "ours", ml_split, {}).best_epoch is None
    table = "\n".join(block_table(Block("ml-slice", ml_split.protocol, [run])))
    assert f"early stopping chose {CFG.epochs} epochs" in table
    assert run.summary()["best_epoch"] == CFG.epochs


def test_the_one_deep_trial_is_each_models_defaults() -> None:
    """Deep models get one trial: it must be their defaults, with nothing drawn."""
    for name, space in EXTRA_SPACES.items():
        assert set(defaults_in(name, space)) == set(space), name


def test_model_that_does_not_import_is_skipped(
    ml_split: Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(MODELS.entries, "unfinished", ("tailorwise.recommend.not_there", "Model"))
    run = run_registered("unfinished", "ours", ml_split, CFG, {})
    assert run.status == "skipped"
    assert "does not import" in run.message


def test_rectools_sasrec_reads_the_split_files(ml_split: Split, tmp_path: Path) -> None:
    if not PEERS_PYTHON.exists():
        pytest.skip(f"RecTools peers venv not found at {PEERS_PYTHON}; run `make peers`")
    split_dir = write_split(ml_split, tmp_path / "split")
    run = run_rectools_peer("rectools_sasrec", ml_split, split_dir, tmp_path, CFG)
    assert run.status == "ok", run.message
    assert run.result is not None and run.result.n_users > 0
    assert run.best_params == {"epochs": 1, "session_max_len": 20}
    # issue #14: the peer chooses its epochs on the held-out items ours stop on (here the
    # budget is one epoch, so one is chosen)
    assert run.best_epoch == 1
    assert (split_dir / "test_stop_holdout.parquet").exists()
    top = run.result.top
    seen = ml_split.train_validation().seen()[run.result.users]
    # every list was cut to allowed, unseen items by our own ranking code
    assert not any(seen[i, j] for i, row in enumerate(top) for j in row if j >= 0)
