"""The recommendation half of ``tailorwise demo``: evaluate, train, recommend."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table as RichTable

from tailorwise.cli.common import console
from tailorwise.cli.recommend import _print_recs
from tailorwise.data.interactions import Interactions
from tailorwise.errors import InvalidRequestError
from tailorwise.evaluate.significance import paired_bootstrap
from tailorwise.evaluate.split import check_evaluable, leave_last_out
from tailorwise.evaluate.tuning import fit_and_test
from tailorwise.recommend.training import DEFAULT_MODEL, TrainConfig, train
from tailorwise.store import DataStore

BASELINE = "popular"


def evaluate_default(store: DataStore) -> bool:
    """Leave-last-out test of the default model against popularity; False if no data."""
    data = Interactions.from_store(store, seed=0)
    if data.n_users == 0 or (data.weight > 0).sum() == 0:
        console.print("no user-item events in this data set: skipping recommendations")
        return False
    try:
        split = check_evaluable(leave_last_out(data))
    except InvalidRequestError as exc:
        console.print(f"skipping the evaluation: {exc}")
        return False
    results = [fit_and_test(name, {}, split, ks=(10,))[1] for name in (BASELINE, DEFAULT_MODEL)]
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
    ci = paired_bootstrap(results[1], results[0], "ndcg@10", n_resamples=500)
    console.print(
        f"{DEFAULT_MODEL} - {BASELINE} NDCG@10: {ci.mean_diff:+.4f} "
        f"(95% CI {ci.ci_low:+.4f} to {ci.ci_high:+.4f}, paired bootstrap over users)",
        highlight=False,
    )
    return True


def train_and_show(store: DataStore, models: Path, n_users: int = 2) -> None:
    trained = train(store, TrainConfig(), models)
    console.print(
        f"trained {trained.name} on all {trained.n_pairs:,} pairs in "
        f"{trained.fit_seconds:.1f}s; saved {trained.path}",
        highlight=False,
    )
    from tailorwise.recommend.artifacts import load_model

    model = load_model(trained.path)
    for user in [str(u) for u in model.data_.users.external[:n_users]]:
        _print_recs(model.recommend([user], k=5), model.data_.item_meta, user)
