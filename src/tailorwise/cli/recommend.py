"""``tailorwise train``, ``tailorwise evaluate`` and ``tailorwise recommend``: options in,
the service layer does the work, tables out."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tailorwise.cli.common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    opened_store,
    user_errors,
)
from tailorwise.cli.render import print_recs, print_result, progress_bars, recommendations_json
from tailorwise.data.protocols import Protocol
from tailorwise.errors import InvalidRequestError
from tailorwise.store.models import DEFAULT_MODEL_DIR

if TYPE_CHECKING:
    from tailorwise.recommend.base import Filters
    from tailorwise.recommend.config import TrainConfig
    from tailorwise.service.live import LiveModel
    from tailorwise.types import Recommendations

# The service layer (numpy, pandas, scipy, models) is imported inside each command, so
# that `tailorwise --help` starts fast.

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


def train_command(
    model: ModelOption = None,
    config: ConfigOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Models folder")] = DEFAULT_MODEL_DIR,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Train a model on every interaction in the store; save it as a new version."""
    from tailorwise.service import train

    cfg = _config(config, model)
    with opened_store(db) as store, progress_bars() as progress:
        trained = train(store, cfg, out, progress=progress)
    if as_json:
        print(json.dumps({**asdict(trained), "path": str(trained.path)}, indent=2))
        return
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
    as_json: JsonOption = False,
) -> None:
    """Split the store, (tune on validation,) fit on train+validation, score the test once."""
    from tailorwise.service import evaluate_model

    cfg = _config(config, model)
    with opened_store(db) as store, progress_bars() as progress:
        result = evaluate_model(
            store, cfg, protocol, tune_trials, ks or (5, 10, 20), seed, progress=progress
        )
    if as_json:
        print(json.dumps(result.summary(), indent=2, default=str))
    else:
        print_result(result)


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
        bool, typer.Option("--all-users", help="Every user (batch export)", metavar="")
    ] = False,
    output: Annotated[
        Path | None, typer.Option(help="With --all-users: FILE.csv or FILE.parquet")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Serve USER from their latest events in this store (events ingested or "
            "posted since training count); without it, from the trained model alone",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Top-k items for one user, or for every user into a CSV/Parquet file."""
    from tailorwise.recommend.base import Filters
    from tailorwise.service import export_recommendations, recommend_for_user
    from tailorwise.service.live import load_live

    with user_errors():
        _check_request(user, k, all_users, output)
        live = load_live(model_dir)
        model = live.model
        filters = Filters(
            exclude_items=exclude_item or [],
            include_categories=category or None,
            exclude_categories=exclude_category or [],
        )
        if all_users:
            assert output is not None
            with progress_bars() as progress:
                done = export_recommendations(model, output, k, filters, progress=progress)
            if as_json:
                print(json.dumps({**asdict(done), "path": str(done.path)}, indent=2))
                return
            console.print(
                f"wrote {done.rows:,} recommendations for {done.users:,} users to {output}",
                highlight=False,
                soft_wrap=True,
            )
            return
        assert user is not None
        recs = (
            _live(db, live, user, k, filters)
            if db
            else recommend_for_user(model, user, k=k, filters=filters)
        )
    if as_json:
        print(json.dumps(recommendations_json(recs, user, model.name), indent=2))
    else:
        print_recs(recs, model.data_.item_meta, user)


def _live(db: str, live: LiveModel, user: str, k: int, filters: Filters) -> Recommendations:
    """``user``'s top ``k`` from their events in the store ``db`` now."""
    from tailorwise.service.live import recommend_live

    with opened_store(db) as store:
        served = recommend_live(store, live, user, k, filters)
    if served.notes:
        err_console.print(f"answered by {served.answered_by}: {'; '.join(served.notes)}")
    return served.recommendations


def _config(path: Path | None, model: str | None) -> TrainConfig:
    from tailorwise.recommend.config import load_config, resolve_config

    with user_errors():
        return resolve_config(load_config(path) if path else None, model)


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
