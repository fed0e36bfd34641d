"""A PostgreSQL database of its own for each test run, created and dropped here."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

SERVER_URL = os.environ.get("GRANTS_TEST_POSTGRES_URL")


def _require() -> None:
    if SERVER_URL:
        return
    reason = "GRANTS_TEST_POSTGRES_URL is not set: PostgreSQL tests need a server"
    if os.environ.get("GRANTS_REQUIRE_POSTGRES"):
        pytest.fail(reason + " (GRANTS_REQUIRE_POSTGRES is set, so skipping is an error)")
    pytest.skip(reason)


def _admin_connect():  # type: ignore[no-untyped-def]
    import psycopg

    url = SERVER_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True)


def database_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(SERVER_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_run_prefix() -> Iterator[str]:
    """A prefix unique to this run; every database made under it is dropped at the end."""
    _require()
    prefix = f"grants_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield prefix
    with _admin_connect() as admin:
        names = [
            row[0]
            for row in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",))
        ]
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_run_prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database for one test."""
    name = f"{pg_run_prefix}_{uuid.uuid4().hex[:8]}"
    with _admin_connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    yield url
    from grants.db import get_engine

    get_engine(url).dispose()
    get_engine.cache_clear()
    with _admin_connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
