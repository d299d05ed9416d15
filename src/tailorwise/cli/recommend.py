"""``tailorwise train``, ``tailorwise evaluate`` and ``tailorwise recommend``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from tailorwise.cli.common import (
    DbOption,
    console,
    err_console,
    opened_store,
    step_progress,
    user_errors,
)
from tailorwise.columns import Columns as C
from tailorwise.errors import InvalidRequestError
from tailorwise.evaluate.runner import EvaluationResult
from tailorwise.evaluate.split import Protocol, check_evaluable, make_split
from tailorwise.recommend.base import Filters
from tailorwise.recommend.training import (
    DEFAULT_MODEL_DIR,
    load_config,
    load_trained,
    resolve_config,
    train,
    training_interactions,
)
from tailorwise.types import Recommendations

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model", "-m", help="Model name (default: the config's, else the default model)"
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Train config: .json or .toml (model, params, weighting)"),
]
BATCH_USERS = 1000


@contextmanager
def _spinner() -> Iterator[Any]:
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=None)
        yield lambda label: progress.update(task, description=label)


def train_command(
    model: ModelOption = None,
    config: ConfigOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Models folder")] = DEFAULT_MODEL_DIR,
    db: DbOption = None,
) -> None:
    """Train a model on every interaction in the store; save it as a new version."""
    with user_errors():
        cfg = resolve_config(load_config(config) if config else None, model)
    with opened_store(db) as store, _spinner() as step:
        trained = train(store, cfg, out, step=step)
    console.print(
        f"trained [bold]{trained.name}[/] on {trained.n_pairs:,} user-item pairs "
        f"({trained.n_users:,} users, {trained.n_items:,} items) in "
        f"{trained.fit_seconds:.1f}s",
        highlight=False,
    )
    console.print(f"saved {trained.path}", highlight=False, soft_wrap=True)


def evaluate_command(
    model: ModelOption = None,
    config: ConfigOption = None,
    protocol: Annotated[Protocol, typer.Option(help="Split protocol")] = Protocol.leave_last_out,
    tune_trials: Annotated[
        int, typer.Option(help="Optuna trials on validation (0: no tuning)")
    ] = 0,
    ks: Annotated[list[int] | None, typer.Option("--k", help="Cut-offs (repeatable)")] = None,
    seed: Annotated[int, typer.Option(help="Seed for ties, splits and tuning")] = 0,
    db: DbOption = None,
) -> None:
    """Split the store, (tune on validation,) fit on train+validation, score the test once."""
    from tailorwise.evaluate.tuning import fit_and_test, tune

    with user_errors():
        cfg = resolve_config(load_config(config) if config else None, model)
        cut = tuple(ks or (5, 10, 20))
        if min(cut) <= 0:
            raise InvalidRequestError(f"--k must be positive, got {min(cut)}")
    with opened_store(db) as store, _spinner() as step:
        step("reading interactions")
        data = training_interactions(store, cfg.weighting, seed=seed)
        split = check_evaluable(make_split(data, protocol, seed=seed))
        params = dict(cfg.model.params)
        if tune_trials > 0:
            step(f"tuning {cfg.model.name}: {tune_trials} trials on validation")
            params = tune(
                cfg.model.name,
                split,
                n_trials=tune_trials,
                seed=seed,
                fixed_params=params,
                on_trial=lambda n, total, best: step(
                    f"tuning {cfg.model.name} on validation: trial {n}/{total}, best {best:.4f}"
                ),
            ).best_params
        step(f"fitting {cfg.model.name} on train+validation, scoring the test")
        _, result = fit_and_test(cfg.model.name, params, split, ks=cut)
    print_result(result)


def print_result(result: EvaluationResult) -> None:
    table = RichTable(
        title=f"{result.model} on {result.protocol} test: {result.n_users:,} users "
        f"({result.n_skipped:,} cold skipped), eval {result.seconds:.1f}s"
    )
    table.add_column("metric")
    for k in result.ks:
        table.add_column(f"@{k}", justify="right")
    for name in (
        "ndcg",
        "recall",
        "precision",
        "hr",
        "mrr",
        "map",
        "coverage",
        "novelty",
        "ild",
        "arp",
    ):
        table.add_row(name, *[f"{result.metrics[f'{name}@{k}']:.4f}" for k in result.ks])
    console.print(table)
    if result.params:
        console.print(f"params: {result.params}", highlight=False, soft_wrap=True)


def recommend_command(
    user: Annotated[str | None, typer.Argument(help="External user id")] = None,
    k: Annotated[int, typer.Option("-k", "--k", help="Items per user")] = 10,
    model_dir: Annotated[
        Path, typer.Option(help="Models folder, a model's folder or an artifact")
    ] = DEFAULT_MODEL_DIR,
    exclude_item: Annotated[
        list[str] | None, typer.Option(help="Never recommend (repeatable)")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option(help="Only these categories (repeatable)")
    ] = None,
    exclude_category: Annotated[list[str] | None, typer.Option(help="Not these categories")] = None,
    all_users: Annotated[
        bool, typer.Option("--all-users", help="Every user (batch export)")
    ] = False,
    output: Annotated[
        Path | None, typer.Option(help="With --all-users: FILE.csv or FILE.parquet")
    ] = None,
) -> None:
    """Top-k items for one user, or for every user into a CSV/Parquet file."""
    with user_errors():
        _check_request(user, k, all_users, output)
        model = load_trained(model_dir)
        filters = Filters(
            exclude_items=exclude_item or [],
            include_categories=category or None,
            exclude_categories=exclude_category or [],
        )
        if all_users:
            assert output is not None
            n = _export_all(model, k, filters, output)
            console.print(
                f"wrote {n:,} recommendations for {model.data_.n_users:,} users to {output}",
                highlight=False,
                soft_wrap=True,
            )
            return
        assert user is not None
        recs = model.recommend([user], k=k, filters=filters)
    _print_recs(recs, model.data_.item_meta, user)


def _check_request(user: str | None, k: int, all_users: bool, output: Path | None) -> None:
    if k <= 0:
        raise InvalidRequestError(f"k must be a positive number of items, got {k}")
    if all_users:
        if user is not None:
            raise InvalidRequestError("give either a USER or --all-users, not both")
        if output is None or output.suffix.lower() not in (".csv", ".parquet"):
            raise InvalidRequestError("--all-users needs --output FILE.csv or FILE.parquet")
    elif user is None:
        raise InvalidRequestError("name a USER, or use --all-users --output FILE.csv")


def _print_recs(recs: Recommendations, items: pd.DataFrame, user: str) -> None:
    titles = items.set_index(C.item)[C.title]
    table = RichTable(title=f"recommendations for user {user}")
    for col in ("rank", "item", "title", "score", "reason"):
        table.add_column(col, justify="right" if col in ("rank", "score") else "left")
    for row in recs.frame.itertuples(index=False):
        title = titles.get(row.item_id)
        table.add_row(
            str(row.rank),
            str(row.item_id),
            "" if pd.isna(title) else str(title),
            f"{row.score:.4f}",
            str(row.reason),
        )
    console.print(table)
    if not len(recs):
        console.print("no items left to recommend after the filters", highlight=False)


def _export_all(model: Any, k: int, filters: Filters, output: Path) -> int:
    users = [str(u) for u in model.data_.users.external]
    frames = []
    with step_progress("recommend") as progress:
        task = progress.add_task("recommending", total=len(users))
        for start in range(0, len(users), BATCH_USERS):
            batch = users[start : start + BATCH_USERS]
            frames.append(model.recommend(batch, k=k, filters=filters).frame)
            progress.advance(task, len(batch))
    frame = (
        pd.concat(frames, ignore_index=True)
        if frames
        else Recommendations.from_arrays(
            np.array([], dtype=object), np.empty((0, 0)), np.empty((0, 0)), []
        ).frame
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".parquet":
        frame.to_parquet(output, index=False)
    else:
        frame.to_csv(output, index=False)
    return len(frame)
