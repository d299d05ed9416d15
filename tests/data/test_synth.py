"""The synthetic shop generator and ``tailorwise synth`` (issue #2)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from tailorwise.cli.main import app
from tailorwise.columns import Table
from tailorwise.ingest.job import ingest
from tailorwise.store.duckdb import DuckDBStore
from tailorwise.synth import SynthConfig, SynthReport, generate
from tailorwise.synth.events import event_chunks
from tailorwise.synth.shop import build_shop

SMALL = SynthConfig(n_users=2_000, n_items=500, n_events=20_000, seed=7)
# Many users in the campaign, so that uplift by group is measured precisely.
SHOP = SynthConfig(n_users=30_000, n_items=1_000, n_events=50_000, seed=3, campaign_share=1.0)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> SynthReport:
    return generate(SHOP, tmp_path_factory.mktemp("shop"))


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    generate(SMALL, tmp_path / "a")
    generate(SMALL, tmp_path / "b")
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate(SMALL, tmp_path / "a")
    generate(SMALL.model_copy(update={"seed": 8}), tmp_path / "b")
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a["events.parquet"] != b["events.parquet"]
    assert a["users.parquet"] != b["users.parquet"]


def test_config_forbids_unknown_fields_and_round_trips() -> None:
    with pytest.raises(ValidationError):
        SynthConfig(n_users=10, n_items=10, n_event=5)  # type: ignore[call-arg]
    assert SynthConfig.model_validate_json(SMALL.model_dump_json()) == SMALL


def test_events_come_in_bounded_chunks_of_exact_total() -> None:
    import numpy as np

    cfg = SMALL.model_copy(update={"n_events": 12_345, "chunk_events": 5_000})
    rng = np.random.default_rng(cfg.seed)
    sizes = [t.num_rows for t in event_chunks(cfg, build_shop(cfg, rng), rng)]
    assert sizes == [5_000, 5_000, 2_345]


@pytest.mark.parametrize("events_format", ["parquet", "csv"])
def test_folder_ingests_as_is_with_exact_counts(tmp_path: Path, events_format: str) -> None:
    cfg = SMALL.model_copy(update={"events_format": events_format})
    report = generate(cfg, tmp_path / "shop")
    assert (tmp_path / "shop" / f"events.{events_format}").exists()
    with DuckDBStore(tmp_path / "store.duckdb") as store:
        result = ingest(tmp_path / "shop", "events", store)
        assert result.rejected == 0 and result.excluded == 0
        assert store.count(Table.users) == cfg.n_users
        assert store.count(Table.items) == cfg.n_items
        assert store.count(Table.events) == cfg.n_events
        assert store.count(Table.campaigns) == 1
        assert store.count(Table.exposures) == report.exposures > 0
        uplift = (
            store.staging()
            .execute("SELECT count(*) FROM exposures WHERE attributes->>'true_uplift' IS NOT NULL")
            .fetchone()
        )
        assert uplift == (report.exposures,)


def _count_by(shop: SynthReport, sql: str) -> dict[object, int]:
    events = str(shop.out_dir / "events.parquet")
    rows = duckdb.connect().execute(sql.replace("EVENTS", f"read_parquet('{events}')")).fetchall()
    return {k: int(n) for k, n in rows}


def test_funnel_drops_off_from_views_to_purchases(shop: SynthReport) -> None:
    n = _count_by(shop, "SELECT type, count(*) FROM EVENTS GROUP BY type")
    assert n["view"] > n["click"] > n["add_to_cart"] > n["purchase"] > n["return"] > 0
    assert 0.15 < n["click"] / n["view"] < 0.5
    assert n["rating"] > 0 and n["review"] > 0
    assert sum(n.values()) == SHOP.n_events


def test_weekly_and_yearly_seasonality(shop: SynthReport) -> None:
    by_day = _count_by(shop, "SELECT dayofweek(timestamp), count(*) FROM EVENTS GROUP BY 1")
    saturday, tuesday = by_day[6], by_day[2]
    assert saturday > 1.3 * tuesday
    peak = _count_by(
        shop,
        "SELECT month(timestamp) BETWEEN 11 AND 12 AND day(timestamp) BETWEEN 15 AND 31 "
        "OR month(timestamp) = 12 AND day(timestamp) < 10, count(*) FROM EVENTS GROUP BY 1",
    )
    # Late November to early December (about 36 days) beat the yearly average per day.
    assert peak[True] / 36 > 1.3 * (peak[True] + peak[False]) / SHOP.days


def test_true_uplift_is_recoverable_from_the_randomised_campaign(shop: SynthReport) -> None:
    exp = pq.read_table(shop.out_dir / "exposures.parquet").to_pandas()
    assert set(exp["treatment"]) == {"control", "email"}
    assert (exp["true_uplift"] < 0).any()  # a few users respond negatively

    def effect(group: object) -> float:
        rates = exp[group].groupby("treatment")["conversion"].mean()
        return float(rates["email"] - rates["control"])

    high = effect(exp["true_uplift"] >= 0.08)
    none = effect(exp["true_uplift"].abs() < 0.005)
    assert high > 0.07
    assert abs(none) < 0.03
    assert high - none > 0.06


def test_item_and_review_texts_carry_words(shop: SynthReport) -> None:
    items = pq.read_table(shop.out_dir / "items.parquet")
    first = items.slice(0, 1).to_pylist()[0]
    category = first["categories"].split("|")[0]
    assert category in first["text"] and len(first["title"].split()) >= 3
    events = pq.read_table(shop.out_dir / "events.parquet", columns=["type", "text", "value"])
    reviews = events.filter(pc.equal(events["type"], "review"))
    assert reviews.num_rows > 0 and reviews["text"].null_count == 0
    assert pc.min(reviews["value"]).as_py() >= 1 and pc.max(reviews["value"]).as_py() <= 5


def test_cli_writes_and_ingests(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    result = CliRunner().invoke(
        app,
        [
            "synth",
            str(tmp_path / "shop"),
            "--users",
            "300",
            "--items",
            "100",
            "--events",
            "5000",
            "--events-format",
            "csv",
            "--ingest",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    with DuckDBStore(db) as store:
        assert store.count(Table.events) == 5_000
        assert store.count(Table.users) == 300


def test_cli_rejects_a_bad_events_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "x"), "--events-format", "xml"])
    assert result.exit_code == 1
    assert "parquet or csv" in result.output
