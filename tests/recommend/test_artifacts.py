"""Issue #3: saved models load with chosen parameters replaced, such as the device."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tailorwise.data.interactions import Interactions
from tailorwise.errors import ArtifactError
from tailorwise.recommend.loading import load_model
from tailorwise.recommend.neural.sequential import GRURecommender
from tailorwise.recommend.popular import PopularRecommender
from tests.torch_device import DEVICE


def _tiny(device: str) -> GRURecommender:
    return GRURecommender(embedding_dim=16, max_len=20, epochs=1, batch_size=256, device=device)


def test_an_override_replaces_a_saved_parameter(ml_small: Interactions, tmp_path: Path) -> None:
    fitted = _tiny(DEVICE).fit(ml_small)
    loaded = load_model(fitted.save(tmp_path / "gru"), device="auto")
    assert loaded.get_params() == fitted.get_params() | {"device": "auto"}
    users = np.arange(10)
    np.testing.assert_allclose(loaded._scores(users), fitted._scores(users), rtol=1e-5, atol=1e-6)


def test_an_unknown_override_is_named(ml_small: Interactions, tmp_path: Path) -> None:
    path = PopularRecommender().fit(ml_small).save(tmp_path / "popular")
    with pytest.raises(ArtifactError, match="popular has no parameter colour"):
        load_model(path, colour="red")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has the GPU it asks for")
def test_a_model_saved_on_a_gpu_loads_here_when_told_cpu(
    ml_small: Interactions, tmp_path: Path
) -> None:
    """A model trained with ``device="cuda"`` names that device in its artifact; on a machine
    without a GPU loading it fails with the way out, and ``device="cpu"`` loads it."""
    fitted = _tiny("cpu").fit(ml_small)
    path = fitted.save(tmp_path / "gru")
    meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
    meta["params"]["device"] = "cuda"  # what a fit on a GPU machine writes
    (path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"no CUDA GPU.*device='cpu'"):
        load_model(path)
    loaded = load_model(path, device="cpu")
    users = np.arange(10)
    np.testing.assert_allclose(loaded._scores(users), fitted._scores(users), rtol=1e-5, atol=1e-6)
