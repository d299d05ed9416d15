"""``tailorwise benchmark``: several models on one split of the store, compared and plotted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from tailorwise.cli.common import DbOption, console, opened_store, user_errors
from tailorwise.cli.recommend import ConfigOption
from tailorwise.cli.render import progress_bars
from tailorwise.data.protocols import Protocol
from tailorwise.errors import InvalidRequestError

if TYPE_CHECKING:
    from tailorwise.evaluate.benchmark import Benchmark

DEFAULT_OUTPUT = Path("tailorwise-benchmark")


def benchmark_command(
    models: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated model names, or 'all' (neural ones are slow on CPU) "
            "(default: popular,itemknn,ease,als)"
        ),
    ] = None,
    protocol: Annotated[Protocol, typer.Option(help="Split protocol")] = Protocol.leave_last_out,
    ks: Annotated[
        list[str] | None,
        typer.Option("--k", help="Cut-offs, comma-separated or repeated (default: 5,10,20)"),
    ] = None,
    trials: Annotated[
        int,
        typer.Option("--trials", "--tune-trials", help="Optuna trials per model (0: defaults)"),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed for ties, splits, tuning and bootstrap")] = 0,
    baseline: Annotated[
        str | None,
        typer.Option(help="Model the others are compared with (default: popular)"),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for benchmark.md, .json and plots")
    ] = DEFAULT_OUTPUT,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Compare models on one split: (tune on validation,) fit on train+validation, test once.

    The weighting (and the parameters of the model it names) come from --config.
    """
    # Imported here: scipy.stats, optuna and matplotlib would slow every other command's start.
    from tailorwise.evaluate import benchmark as B
    from tailorwise.recommend.config import TrainConfig, load_config

    with user_errors():
        names = B.parse_models(models) if models else list(B.DEFAULT_MODELS)
        base = B.parse_models(baseline) if baseline else [B.DEFAULT_BASELINE]
        if len(base) != 1:
            raise InvalidRequestError(f"--baseline names one model, got '{baseline}'")
        cut = parse_ks(ks or ["5,10,20"])
        if trials < 0:
            raise InvalidRequestError(f"--trials must be 0 or more, got {trials}")
        cfg = load_config(config) if config else TrainConfig()
    with opened_store(db) as store, progress_bars() as progress:
        split = B.store_split(store, protocol, cfg.weighting, seed=seed)
        bench = B.run_benchmark(
            split,
            names,
            ks=cut,
            n_trials=trials,
            seed=seed,
            baseline=base[0],
            params={cfg.model.name: cfg.model.params} if config else None,
            progress=progress,
        )
    with user_errors():
        files = B.write_benchmark(bench, output)
    print_benchmark(bench)
    for path in files.values():
        console.print(f"wrote {path}", highlight=False, soft_wrap=True)


def parse_ks(values: list[str]) -> tuple[int, ...]:
    """``["5,10", "20"]`` -> (5, 10, 20), with a clear error for anything else."""
    parts = [p.strip() for v in values for p in v.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise InvalidRequestError(f"--k must be positive whole numbers, got {','.join(values)}")
    return tuple(sorted({int(p) for p in parts}))


def print_benchmark(bench: Benchmark) -> None:
    k = bench.main_k
    table = RichTable(
        title=f"{bench.protocol} test, {bench.results[0].n_users:,} users; "
        f"difference to {bench.baseline} with 95% paired bootstrap CI"
    )
    head = [f"ndcg@{k}", "diff [95% CI]", f"recall@{k}", f"coverage@{k}", f"novelty@{k}"]
    table.add_column("model")
    for name in [*head, f"arp@{k}", "fit s"]:
        table.add_column(name, justify="right")
    for run in bench.runs:
        m, b = run.result.metrics, run.vs_baseline[f"ndcg@{k}"]
        table.add_row(
            run.result.model,
            f"{m[f'ndcg@{k}']:.4f}",
            f"{b.mean_diff:+.4f} [{b.ci_low:+.4f}, {b.ci_high:+.4f}]",
            f"{m[f'recall@{k}']:.4f}",
            f"{m[f'coverage@{k}']:.4f}",
            f"{m[f'novelty@{k}']:.2f}",
            f"{m[f'arp@{k}']:.1f}",
            f"{run.result.fit_seconds or 0.0:.2f}",
        )
    console.print(table)
