"""Issue #14: a missing data folder skips its tests on a developer's machine and fails them
under CI=true, so a CI without ../shared/data cannot pass by testing nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEEDS_DATA = "tests/recommend/test_popular.py::test_popular_ranks_by_user_count"


def _run(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_XDIST_WORKER")}
    env["TAILORWISE_DATA_DIR"] = "/nonexistent-data-folder"
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            NEEDS_DATA,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_data_skips_on_a_developers_machine() -> None:
    run = _run(None)
    assert run.returncode == 0, run.stdout
    assert "1 skipped" in run.stdout and "not found at /nonexistent-data-folder" in run.stdout


def test_missing_data_fails_under_ci() -> None:
    run = _run("true")
    assert run.returncode != 0, run.stdout
    assert "CI=true: a missing data set fails" in run.stdout
