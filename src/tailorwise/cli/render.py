"""How the CLI shows results: tables of recommendations and metrics, and progress bars
fed by the core's progress callback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table as RichTable

from tailorwise.cli.common import console, err_console
from tailorwise.columns import Columns as C
from tailorwise.progress import ProgressCallback, ProgressUpdate

if TYPE_CHECKING:
    import pandas as pd

    from tailorwise.evaluate.runner import EvaluationResult
    from tailorwise.types import Recommendations

METRIC_ROWS = ("ndcg", "recall", "precision", "hr", "mrr", "map", "coverage", "novelty", "ild")
STAGE = "__stage__"  # the one spinner row that steps without a count share


@contextmanager
def progress_bars() -> Iterator[ProgressCallback]:
    """A callback that draws each reported task as a bar (a spinner for stages without a
    count) on stderr; the bars vanish when the block ends."""
    bars = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=err_console,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def show(update: ProgressUpdate) -> None:
        key = STAGE if update.total is None else update.task
        if key not in tasks:
            tasks[key] = bars.add_task(update.task, total=update.total, info="")
        bars.update(
            tasks[key],
            description=update.task,
            completed=update.done,
            total=update.total,
            info=update.info,
        )

    with bars:
        yield show


def print_recs(recs: Recommendations, items: pd.DataFrame, user: str) -> None:
    import pandas as pd

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


def print_result(result: EvaluationResult) -> None:
    table = RichTable(
        title=f"{result.model} on {result.protocol} test: {result.n_users:,} users "
        f"({result.n_skipped:,} cold skipped), eval {result.seconds:.1f}s"
    )
    table.add_column("metric")
    for k in result.ks:
        table.add_column(f"@{k}", justify="right")
    for name in (*METRIC_ROWS, "arp"):
        table.add_row(name, *[f"{result.metrics[f'{name}@{k}']:.4f}" for k in result.ks])
    console.print(table)
    if result.params:
        shown = ", ".join(f"{name}={value!r}" for name, value in result.params.items())
        console.print(f"parameters: {shown}", highlight=False, soft_wrap=True)


def recommendations_json(recs: Recommendations, user: str, model: str) -> dict[str, object]:
    """One user's list as the API of issue 5 answers it."""
    frame = recs.frame
    items = [
        {"item_id": str(item), "score": float(score), "reason": str(reason)}
        for item, score, reason in zip(
            frame[C.item], frame["score"].to_numpy(dtype=float), frame["reason"], strict=True
        )
    ]
    return {"user_id": user, "model": model, "items": items}
