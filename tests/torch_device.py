"""The device the PyTorch model tests train on.

CPU unless ``TAILORWISE_TEST_DEVICE`` names another: on a GPU machine,
``TAILORWISE_TEST_DEVICE=cuda pytest tests/recommend`` runs the same tests on the GPU.
"""

from __future__ import annotations

import os

DEVICE = os.environ.get("TAILORWISE_TEST_DEVICE", "cpu")
