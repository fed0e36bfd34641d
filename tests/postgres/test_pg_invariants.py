"""The invariant state machine of tests/test_invariants.py, on PostgreSQL.

Each example starts from a copy of a template database (`CREATE DATABASE … TEMPLATE …`), one per
starting stage, built once with the demo; every database is made under this run's prefix, so
tests/postgres/conftest.py drops whatever is left at the end.
"""

from __future__ import annotations

import uuid

from grants.db import get_engine
from grants.demo import build
from tests.postgres.conftest import _admin_connect, database_url
from tests.test_invariants import (
    EXAMPLES_POSTGRES,
    STEPS,
    GrantsMachine,
    assert_exercised,
    run_machine,
)


class PostgresDatabases:
    """A template database per stage; each example works on a fresh copy of one."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.templates: dict[str, str] = {}

    def template(self, stage: str) -> str:
        if stage not in self.templates:
            name = f"{self.prefix}_tpl_{stage}"
            with _admin_connect() as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            url = database_url(name)
            build(url, replace=True, until=stage)
            get_engine(url).dispose()  # a template must have no connections to be copied
            self.templates[stage] = name
        return self.templates[stage]

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
    databases = PostgresDatabases(f"{pg_run_prefix}_inv")
    tally = run_machine(GrantsMachine, databases, examples=EXAMPLES_POSTGRES, steps=STEPS)
    assert_exercised(tally, EXAMPLES_POSTGRES)
