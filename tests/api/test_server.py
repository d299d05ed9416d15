"""The HTTP API against a real server process (``tailorwise serve``) over a real DuckDB
file: keys, live reaction to posted events, fallbacks, clear 4xx answers, model switch,
and no acknowledged event lost when the server is killed."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tailorwise.columns import Table
from tailorwise.ingest.job import ingest
from tailorwise.recommend.config import ModelConfig, TrainConfig
from tailorwise.service import train
from tailorwise.store.duckdb import DuckDBStore
from tailorwise.synth import SynthConfig, generate
from tests.api.server import READ, WRITE, Server


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A synthetic shop's store and an item-kNN model trained on it."""
    folder = tmp_path_factory.mktemp("shop")
    generate(SynthConfig(n_users=300, n_items=200, n_events=20_000, seed=5), folder / "raw")
    db, models = folder / "shop.duckdb", folder / "models"
    with DuckDBStore(db) as store:
        ingest(folder / "raw", "events", store)
        train(store, TrainConfig(model=ModelConfig(name="itemknn")), models)
    return db, models


@pytest.fixture(scope="module")
def server(shop: tuple[Path, Path]) -> Iterator[Server]:
    db, models = shop
    running = Server(db, models)
    yield running
    running.stop()


def test_keys_and_scopes(server: Server) -> None:
    with server.client(None) as anonymous:
        answer = anonymous.get("/users/u1/recommendations")
        assert answer.status_code == 401 and "API key" in answer.json()["detail"]
    with server.client("wrong") as wrong:
        assert wrong.get("/users/u1/recommendations").status_code == 401
    with server.client(READ) as reader:
        answer = reader.post("/events", json={"user_id": "u1", "item_id": "i1", "type": "view"})
        assert answer.status_code == 403 and "write" in answer.json()["detail"]


def _user(server: Server) -> str:
    with server.client() as c:
        for n in range(1, 50):
            answer = c.get(f"/users/u{n:03d}/recommendations", params={"k": 5}).json()
            if answer["model"] == "itemknn":
                return f"u{n:03d}"
    raise AssertionError("no known user among the first 50 ids")


def test_a_posted_event_changes_the_next_answer(server: Server) -> None:
    user = _user(server)
    with server.client(WRITE) as c:
        before = c.get(f"/users/{user}/recommendations", params={"k": 10}).json()
        assert before["model"] == "itemknn" and len(before["items"]) == 10
        assert all(i["reason"] for i in before["items"])
        top = before["items"][0]["item_id"]
        posted = c.post("/events", json={"user_id": user, "item_id": top, "type": "purchase"})
        assert posted.status_code == 201 and posted.json() == {"stored": 1}
        after = c.get(f"/users/{user}/recommendations", params={"k": 10}).json()
    ids = [i["item_id"] for i in after["items"]]
    assert top not in ids
    # the purchase now explains items ("... which you bought"), or reorders the list
    assert (
        any("bought" in i["reason"] for i in after["items"])
        or ids != [i["item_id"] for i in before["items"]][1:]
    )


def test_new_user_gets_popular_items_then_item_to_item(server: Server) -> None:
    with server.client(WRITE) as c:
        cold = c.get("/users/someone-new/recommendations", params={"k": 5}).json()
        assert cold["model"] == "popular" and len(cold["items"]) == 5
        assert all("popular" in i["reason"] for i in cold["items"])
        item = cold["items"][0]["item_id"]
        c.post("/events", json={"user_id": "someone-new", "item_id": item, "type": "view"})
        warm = c.get("/users/someone-new/recommendations", params={"k": 5}).json()
    assert warm["model"] == "itemknn"
    assert item not in [i["item_id"] for i in warm["items"]]


def test_similar_and_rank(server: Server) -> None:
    with server.client() as c:
        similar = c.get("/items/i001/similar", params={"k": 4})
        if similar.status_code == 404:
            pytest.fail(similar.text)
        body = similar.json()
        assert len(body["items"]) == 4 and "i001" not in [i["item_id"] for i in body["items"]]
        assert c.get("/items/no-such-item/similar").status_code == 404
        wanted = [*[i["item_id"] for i in body["items"]][::-1], "no-such-item"]
        ranked = c.post("/users/someone/rank", json={"items": wanted}).json()
    got = [i["item_id"] for i in ranked["items"]]
    assert sorted(got) == sorted(wanted[:-1])
    scores = [i["score"] for i in ranked["items"]]
    assert scores == sorted(scores, reverse=True)


def test_bad_requests_get_clear_4xx(server: Server) -> None:
    with server.client(WRITE) as c:
        assert c.get("/users/1/recommendations", params={"k": 0}).status_code == 422
        too_many = c.get("/users/1/recommendations", params={"k": 100_000})
        assert too_many.status_code == 422 and "at most" in too_many.json()["detail"]
        bad = c.post(
            "/events",
            json=[
                {"user_id": "u9", "item_id": "1", "type": "view"},
                {"user_id": "a\u0000b", "type": "zap", "timestamp": "1850-01-01T00:00:00"},
            ],
        )
        assert bad.status_code == 422
        detail = bad.json()["detail"]
        assert "nothing was stored" in detail and "event 1: user_id" in detail
        assert "unknown event type 'zap'" in detail and "event 1: timestamp" in detail
        big = c.post(
            "/events",
            content=b"[" + b" " * (2 << 20) + b"]",
            headers={"content-type": "application/json"},
        )
        assert big.status_code == 413
        assert (
            c.post(
                "/events", content=b"{not json", headers={"content-type": "application/json"}
            ).status_code
            == 422
        )


def test_health_ready_metrics_and_docs(server: Server) -> None:
    with server.client(None) as c:
        assert c.get("/healthz").json()["status"] == "ok"
        ready = c.get("/readyz").json()
        assert ready["status"] == "ready" and ready["model"] == "itemknn"
        metrics = c.get("/metrics").text
        assert 'tailorwise_model_info{model="itemknn"' in metrics
        assert "tailorwise_request_seconds_bucket" in metrics
        spec = c.get("/openapi.json").json()
        assert "/events" in spec["paths"] and "EventIn" in spec["components"]["schemas"]


def test_anonymous_reads_only_when_allowed(shop: tuple[Path, Path], tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(shop[0], db)
    running = Server(db, shop[1], "--allow-anonymous")
    try:
        with running.client(None) as c:
            assert c.get("/users/1/recommendations").status_code == 200
            assert c.post("/events", json={"user_id": "1", "type": "view"}).status_code == 401
    finally:
        running.stop()


def test_switches_to_a_newly_trained_model(shop: tuple[Path, Path], tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(shop[0], db)
    models = tmp_path / "models"
    shutil.copytree(shop[1], models)
    running = Server(db, models)
    try:
        with running.client() as c:
            assert c.get("/readyz").json()["model"] == "itemknn"
            # DuckDB lets one process at a time open the file: train on a copy of it
            other = tmp_path / "train.duckdb"
            shutil.copy(shop[0], other)
            with DuckDBStore(other) as store:
                train(store, TrainConfig(model=ModelConfig(name="popular")), models)
            answers = [c.get("/users/u001/recommendations", params={"k": 3}) for _ in range(40)]
            assert all(a.status_code == 200 for a in answers)
            time.sleep(1.2)  # the server looks at the models folder once a second
            assert c.get("/users/u001/recommendations").json()["model"] == "popular"
    finally:
        running.stop()


def test_no_acknowledged_event_is_lost_when_killed(shop: tuple[Path, Path], tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(shop[0], db)
    running = Server(db, shop[1])
    acked: list[str] = []

    def post() -> None:
        with running.client(WRITE) as c:
            for n in range(10_000):
                try:
                    answer = c.post(
                        "/events",
                        json={"user_id": f"killed-{n}", "item_id": "i001", "type": "view"},
                    )
                except Exception:
                    return
                if answer.status_code == 201:
                    acked.append(f"killed-{n}")

    poster = threading.Thread(target=post)
    poster.start()
    while len(acked) < 30:
        threading.Event().wait(0.05)
    running.kill()
    poster.join(30)
    assert running.proc.returncode == -9
    with DuckDBStore(db, create=False) as store:
        users = store.read(Table.events, ["user_id"]).column("user_id").to_pylist()
    stored = {u for u in users if u.startswith("killed-")}
    assert set(acked) <= stored
    assert len(acked) >= 30 and np.all([u in stored for u in acked])
