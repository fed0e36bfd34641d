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


# --- the demo as template databases ---------------------------------------------------------------
# Built once per test process, stage by stage, each stage in a copy of the one before (CREATE
# DATABASE … TEMPLATE), like the SQLite templates of tests/conftest.py; a test gets its own copy.
# The run's prefix names them, so the end of the run drops them with everything else it made.

_TEMPLATES: dict[tuple[str, str, bool], str] = {}


def _copy_database(template: str, name: str) -> None:
    from grants.db import get_engine

    get_engine(database_url(template)).dispose()  # a template must have no connection to be copied
    get_engine.cache_clear()
    with _admin_connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def pg_demo_template(prefix: str, until: str = "year-end", *, rollover: bool = False) -> str:
    """The name of the template database of the demo built up to `until` (and rolled over)."""
    from grants import demo

    stage = demo.STAGES[-1] if until == "year-end" else until
    if (prefix, stage, rollover) in _TEMPLATES:
        return _TEMPLATES[prefix, stage, rollover]
    if rollover:
        name = f"{prefix}_tpl_{stage}_rollover"
        _copy_database(pg_demo_template(prefix, stage), name)
        demo._rollover(database_url(name), lambda _: None)
    else:
        wanted = demo.STAGES.index(stage)
        name = f"{prefix}_tpl_{stage}"
        if wanted == 0:
            with _admin_connect() as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
        else:
            _copy_database(pg_demo_template(prefix, demo.STAGES[wanted - 1]), name)
        demo.run_stage(database_url(name), stage)
    from grants.db import get_engine

    get_engine(database_url(name)).dispose()
    _TEMPLATES[prefix, stage, rollover] = name
    return name


@pytest.fixture
def pg_demo_copy(pg_run_prefix: str) -> Iterator:  # type: ignore[type-arg]
    """`pg_demo_copy(stage, rollover=False)` gives the URL of a new database holding the demo
    built up to `stage`: a copy of the run's template, dropped after the test."""
    made: list[str] = []

    def copy(until: str = "year-end", *, rollover: bool = False) -> str:
        name = f"{pg_run_prefix}_{uuid.uuid4().hex[:8]}"
        _copy_database(pg_demo_template(pg_run_prefix, until, rollover=rollover), name)
        made.append(name)
        return database_url(name)

    yield copy
    from grants.db import get_engine

    for name in made:
        get_engine(database_url(name)).dispose()
    get_engine.cache_clear()
    with _admin_connect() as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
