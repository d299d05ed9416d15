"""A throwaway PostgreSQL cluster for the store tests, one per test session.

Without PostgreSQL the tests that need it skip, except under ``CI=true``,
where a missing server is a failure: CI must run the PostgreSQL contract.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.pgserver import PgServer, start_server, unavailable_reason


def _skip_or_fail(reason: str) -> None:
    message = f"PostgreSQL tests need a local PostgreSQL 15: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A running PostgreSQL cluster in a temp dir, stopped and removed at the end."""
    reason = unavailable_reason()
    if reason is not None:
        _skip_or_fail(reason)
    try:
        server = start_server()
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"could not start a throwaway PostgreSQL cluster: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of a new, empty database."""
    return pg_server.create_database()
