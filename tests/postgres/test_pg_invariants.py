"""The invariant state machine of tests/test_invariants.py, on PostgreSQL.

Each example starts from a copy of a template database (`CREATE DATABASE … TEMPLATE …`), one per
starting stage, built once per run with the demo; every database is made under this run's prefix, so
tests/postgres/conftest.py drops whatever is left at the end.
"""

from __future__ import annotations

import uuid

from grants.db import get_engine
from tests.postgres.conftest import _admin_connect, database_url, pg_demo_template
from tests.test_invariants import (
    EXAMPLES_POSTGRES,
    STEPS,
    GrantsMachine,
    assert_exercised,
    run_machine,
)


class PostgresDatabases:
    """A template database per stage; each example works on a fresh copy of one."""

    def __init__(self, run_prefix: str) -> None:
        self.run_prefix = run_prefix
        self.prefix = f"{run_prefix}_inv"

    def template(self, stage: str) -> str:
        return pg_demo_template(self.run_prefix, stage)  # the run's (tests/postgres/conftest.py)

    def fresh(self, stage: str) -> str:
        template = self.template(stage)
        name = f"{self.prefix}_ex_{uuid.uuid4().hex[:8]}"
        with _admin_connect() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return database_url(name)

    def discard(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        get_engine(url).dispose()
        get_engine.cache_clear()
        with _admin_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def test_random_commands_keep_the_books_on_postgres(pg_run_prefix: str) -> None:
    databases = PostgresDatabases(pg_run_prefix)
    tally = run_machine(GrantsMachine, databases, examples=EXAMPLES_POSTGRES, steps=STEPS)
    assert_exercised(tally, EXAMPLES_POSTGRES)
