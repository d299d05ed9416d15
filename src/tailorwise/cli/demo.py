"""``tailorwise demo``: the main job, end to end on the embedded default store.

It ingests a real data set from ``../shared/data`` (or a synthetic shop when
that folder is absent), shows the store's statistics, evaluates the default
recommender against popularity on a leave-last-out split, trains it on
everything and prints sample recommendations. Serving joins it later.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from tailorwise.cli.common import DbOption, console, opened_store
from tailorwise.cli.ingest import print_report, print_summary
from tailorwise.cli.render import print_recs, progress_bars
from tailorwise.errors import InvalidRequestError

if TYPE_CHECKING:
    from tailorwise.ingest.job import IngestReport
    from tailorwise.service import DefaultComparison
    from tailorwise.store import DataStore

# Data set folder under the data dir -> its format.
DATASETS: dict[str, str] = {
    "movielens-100k": "movielens",
    "movielens-latest-small": "movielens",
    "uci-online-retail": "online-retail",
    "amazon-reviews-2014-musical-instruments-5core": "amazon-reviews",
    "hillstrom": "hillstrom",
    "cdnow": "cdnow",
}


def _ingest_with_progress(path: Path, fmt: str, store: DataStore) -> IngestReport:
    from tailorwise.ingest.job import default_rejects_path, ingest

    with progress_bars() as progress:
        return ingest(path, fmt, store, rejects_path=default_rejects_path(path), progress=progress)


def _synthetic(store: DataStore) -> IngestReport:
    from tailorwise.synth import SynthConfig, generate

    folder = Path(tempfile.mkdtemp(prefix="tailorwise-synth-"))
    generate(SynthConfig(n_users=2_000, n_items=500, n_events=100_000, seed=7), folder)
    return _ingest_with_progress(folder, "events", store)


def demo_command(
    db: DbOption = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder of public data sets [env: TAILORWISE_DATA_DIR]")
    ] = None,
    dataset: Annotated[str, typer.Option(help=f"One of: {', '.join(DATASETS)}")] = "movielens-100k",
    models: Annotated[Path, typer.Option(help="Where trained models are saved")] = Path("models"),
) -> None:
    """Run the main job: ingest, stats, evaluate, train and recommend."""
    from tailorwise.config import Settings

    folder = (data_dir or Path(Settings().data_dir)) / dataset
    with opened_store(db, create=True) as store:
        if dataset not in DATASETS:
            raise typer.BadParameter(
                f"unknown data set '{dataset}'; choose one of: {', '.join(DATASETS)}"
            )
        if folder.is_dir():
            console.print(f"[bold]1. ingest[/] {folder} ({DATASETS[dataset]})")
            report = _ingest_with_progress(folder, DATASETS[dataset], store)
        else:
            console.print(f"[bold]1. ingest[/] {folder} not found: generating a synthetic shop")
            report = _synthetic(store)
        print_report(report)
        console.print("[bold]2. stats[/]")
        print_summary(store.summary())
        console.print("[bold]3. evaluate[/] the default model against popularity")
        if evaluate_default(store):
            console.print("[bold]4. train[/] on everything and recommend")
            train_and_show(store, models)


def evaluate_default(store: DataStore) -> bool:
    """Leave-last-out test of the default model against popularity; False if there is
    nothing to evaluate (the reason is printed)."""
    from tailorwise.service import compare_with_baseline

    try:
        with progress_bars() as progress:
            comparison = compare_with_baseline(store, progress=progress)
    except InvalidRequestError as exc:
        console.print(f"skipping the evaluation: {exc}", highlight=False)
        return False
    print_comparison(comparison)
    return True


def print_comparison(comparison: DefaultComparison) -> None:
    results = (comparison.baseline, comparison.model)
    table = RichTable(title=f"leave-last-out test, {results[0].n_users:,} users, all items ranked")
    for col in ("model", "NDCG@10", "Recall@10", "coverage@10", "fit s"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in results:
        table.add_row(
            r.model,
            f"{r['ndcg@10']:.4f}",
            f"{r['recall@10']:.4f}",
            f"{r['coverage@10']:.3f}",
            f"{r.fit_seconds or 0:.1f}",
        )
    console.print(table)
    ci = comparison.difference
    console.print(
        f"{results[1].model} - {results[0].model} NDCG@10: {ci.mean_diff:+.4f} "
        f"(95% CI {ci.ci_low:+.4f} to {ci.ci_high:+.4f}, paired bootstrap over users)",
        highlight=False,
    )


def train_and_show(store: DataStore, models: Path, n_users: int = 2) -> None:
    from tailorwise.recommend.config import TrainConfig
    from tailorwise.recommend.loading import load_model
    from tailorwise.service import recommend_for_user, train

    with progress_bars() as progress:
        trained = train(store, TrainConfig(), models, progress=progress)
    console.print(
        f"trained {trained.name} on all {trained.n_pairs:,} pairs in "
        f"{trained.fit_seconds:.1f}s; saved {trained.path}",
        highlight=False,
    )
    model = load_model(trained.path)
    for user in [str(u) for u in model.data_.users.external[:n_users]]:
        print_recs(recommend_for_user(model, user, k=5), model.data_.item_meta, user)
