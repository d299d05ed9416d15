"""Smoke test of the GPU-beside-CPU check (benchmarks/gpu.py) on the CPU, so that it cannot rot
between the sessions that have a GPU. Its figures come from a GPU machine (docs/BENCHMARKS.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from tailorwise.data.interactions import Interactions
from tailorwise.recommend.neural.two_tower import TwoTowerRecommender

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path[:0] = [str(BENCH)]

from gpu import artifact_round_trip, main, parse  # noqa: E402


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_cuda_without_a_gpu_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse(["--devices", "cuda,cpu"])
    assert "no CUDA GPU here" in capsys.readouterr().err


def test_a_cpu_run_writes_json_and_a_table(
    shared_data: Callable[[str], Path], tmp_path: Path
) -> None:
    data_dir = shared_data("movielens-100k").parent
    out = tmp_path / "gpu.json"
    argv = ["--devices", "cpu", "--models", "two_tower", "--epochs", "1"]
    main([*argv, "--data-dir", str(data_dir), "--out", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    (fit,) = report["fits"]
    assert (fit["dataset"], fit["model"], fit["device"], fit["status"]) == (
        "ml-100k",
        "two_tower",
        "cpu",
        "ok",
    )
    assert fit["ndcg10"] > 0.03  # one epoch already beats random (~0.006) by far
    assert "| ml-100k | two_tower | cpu |" in out.with_suffix(".md").read_text(encoding="utf-8")


def test_the_artifact_round_trip_compares_scores(ml_small: Interactions) -> None:
    model = TwoTowerRecommender(embedding_dim=8, epochs=1, device="cpu").fit(ml_small)
    check = artifact_round_trip(model)
    assert check["loaded_device"] == "cpu"
    assert check["max_abs_score_diff"] == 0.0 and check["same_top10_share"] == 1.0
