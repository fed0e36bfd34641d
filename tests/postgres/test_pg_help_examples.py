"""The `--help` examples that name a PostgreSQL database, run on one (tests/test_help_examples.py
runs the rest on SQLite). Each runs as written but for the server: its URL is replaced by a new
database of this run's, and `db grants` is given a group of this run's, since roles belong to the
whole server and another run's must not be touched."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest

from tests.conftest import Cli
from tests.postgres.conftest import _admin_connect
from tests.test_help_examples import EXAMPLES, on_postgres

CASES = [pytest.param(c, e, id=f"{c}: {e}") for c, e in EXAMPLES if on_postgres(e)]


@pytest.fixture
def group(pg_run_prefix: str) -> Iterator[str]:
    """A group role name of this run's; every role `db grants` made under it is dropped after."""
    name = f"{pg_run_prefix}_help"
    yield name
    with _admin_connect() as admin:
        roles = [r[0] for r in admin.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (name + "%",))]
        for role in roles:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.parametrize(("command", "example"), CASES)
def test_every_postgresql_help_example_runs(command: str, example: str, group: str, pg_demo_copy) -> None:  # type: ignore[no-untyped-def]
    # `group` comes first so that its roles are dropped after the copy they hold privileges in.
    words = shlex.split(example)[1:]
    url = pg_demo_copy("shortlisting")
    words[words.index("--db") + 1] = url
    if command == "db grants":
        words.extend(["--group", group])
    result = Cli(url)(*words[2:])
    assert result.exit_code == 0, (example, result.output)
