"""Issue #14: the package as a user of implicit or RecTools meets it: a small public API,
an import that changes nothing in the process, a fast --help, and a lean core that works
without the optional extras (torch, sentence-transformers, psycopg, matplotlib)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

REPO = Path(__file__).resolve().parents[1]


def python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "MPLBACKEND")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_changes_no_process_state() -> None:
    run = python(
        """
        import os, sys
        import sklearn  # sets KMP_* variables itself; what we check is our own modules
        before = dict(os.environ)
        import tailorwise
        tailorwise.open_store, tailorwise.ModelConfig  # the lazy names resolve
        import tailorwise.evaluate.report, tailorwise.features.text
        assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())
        assert "matplotlib.pyplot" not in sys.modules
        print(tailorwise.__version__)
        """
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "0.1.0"


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """`tailorwise --help` must answer fast (0.2 s here, docs/BENCHMARKS.md): building the
    app may import typer, rich and pydantic, never numpy, pandas, DuckDB or torch."""
    run = python(
        """
        import sys
        from typer.main import get_command
        from tailorwise.cli.main import app
        get_command(app)
        heavy = {"numpy", "pandas", "scipy", "duckdb", "pyarrow", "torch", "sklearn"}
        print(sorted(heavy & set(sys.modules)))
        """
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


LEAN = """
import importlib.abc, sys, warnings

class NotInstalled(importlib.abc.MetaPathFinder):
    # as if the extras were not installed: deep, text, postgres, plots
    BLOCKED = ("torch", "sentence_transformers", "psycopg", "matplotlib")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())

from pathlib import Path
import tailorwise as tw
from tailorwise.errors import ConfigError, StoreError
from tailorwise.evaluate.report import write_report
from tailorwise.evaluate.runner import evaluate
from tailorwise.data.split import leave_last_out
from tailorwise.synth import SynthConfig, generate

folder = Path(sys.argv[1])
generate(SynthConfig(n_users=300, n_items=200, n_events=20_000, seed=1), folder)
store = tw.open_store(folder / "shop.duckdb")
tw.ingest(folder, "events", store)
data = tw.training_interactions(store)
model = tw.ModelConfig(name="hybrid", params={"n_trials": 3}).build().fit(data)
print(len(model.recommend([data.users.external[0]], k=5)))
split = leave_last_out(data)
result = evaluate(tw.ModelConfig(name="ease").build().fit(split.train_validation()), split)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    files = write_report([result], folder / "report")
print(sorted(files), [str(w.message) for w in caught])
for name in ("sasrec", "two_tower"):
    try:
        tw.ModelConfig(name=name).build()
    except ConfigError as exc:
        print(exc)
try:
    tw.open_store("postgresql://nobody@localhost/none")
except StoreError as exc:
    print(exc)
print("torch" in sys.modules)
"""


def test_the_core_runs_without_the_optional_extras(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", LEAN, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "5"  # the default hybrid fits and recommends: no torch, no MiniLM
    assert (
        lines[1].startswith("['json', 'markdown']")
        and "pip install 'tailorwise[plots]'" in lines[1]
    )
    assert (
        "model 'sasrec' needs torch, which is not installed: pip install 'tailorwise[deep]'"
        in lines[2]
    )
    assert "model 'two_tower' needs torch" in lines[3]
    assert "pip install 'tailorwise[postgres]'" in lines[4]
    assert lines[5] == "False"


def test_the_five_line_example_of_the_readme(tmp_path: Path) -> None:
    """The README's Python example, run as written on a synthetic shop."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("```python\nimport tailorwise as tw")
    example = readme[start + len("```python\n") : readme.index("```", start + 3)]
    from tailorwise.synth import SynthConfig, generate

    generate(
        SynthConfig(n_users=200, n_items=100, n_events=10_000, seed=2, events_format="csv"),
        tmp_path,
    )
    (tmp_path / "events.csv").rename(tmp_path / "shop_events.csv")
    first_user = pacsv.read_csv(tmp_path / "shop_events.csv").column("user_id")[0].as_py()
    code = example.replace('"events.csv"', '"shop_events.csv"').replace('"u1"', f'"{first_user}"')
    code = code.replace('name="hybrid"', 'name="hybrid", params={"n_trials": 3}')
    run = python(code, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count(first_user) == 10


@pytest.mark.parametrize(
    ("name", "params"), [("ease", {"l2": 50.0}), ("hybrid", {"seed": 3}), ("sasrec", {"seed": 3})]
)
def test_models_clone_as_scikit_learn_estimators(name: str, params: dict[str, object]) -> None:
    from sklearn.base import clone

    from tailorwise.errors import ConfigError
    from tailorwise.recommend.config import ModelConfig

    model = ModelConfig(name=name, params=params).build()
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert copy.set_params(**params) is copy
    with pytest.raises(ConfigError, match=f"{name} has no parameter colour"):
        copy.set_params(colour="red")
