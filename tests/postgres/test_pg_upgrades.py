"""Upgrades on PostgreSQL: the demo made by each earlier schema head (a plain-SQL dump under
tests/fixtures/schemas, rebuilt by tests/fixtures/build_schemas.py) is restored into an empty
database, upgraded with `grants db upgrade`, and then passes `check` and `audit verify`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import Cli

FIXTURES = Path(__file__).parent.parent / "fixtures" / "schemas"
HEADS = sorted(path.name.split(".")[0] for path in FIXTURES.glob("*.pg.sql"))


def _restore(head: str, url: str) -> None:
    libpq = url.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(
        [
            "psql",
            "--quiet",
            "--no-psqlrc",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            str(FIXTURES / f"{head}.pg.sql"),
            libpq,
        ],
        check=True,
        capture_output=True,
    )


def test_there_is_a_dump_for_every_earlier_head() -> None:
    from tests.fixtures.build_schemas import RELEASES

    assert HEADS == sorted(RELEASES)


@pytest.mark.parametrize("head", HEADS)
def test_a_postgres_database_from_an_earlier_head_upgrades_and_passes_check(head: str, pg_url: str) -> None:
    from grants.db import HEAD_REVISION

    _restore(head, pg_url)
    cli = Cli(pg_url)
    if head != HEAD_REVISION:
        assert cli("status", actor="kcc-officer").exit_code == 5
    done = cli("db", "upgrade")
    assert done.exit_code == 0, done.output
    assert "Backed up" not in done.output  # PostgreSQL is backed up with pg_dump, not by grants
    checked = cli("check")
    assert checked.exit_code == 0, checked.output
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert cli("bid", "list", actor="kcc-officer").exit_code == 0


def test_a_postgres_database_from_a_newer_grants_is_refused(pg_url: str) -> None:
    import psycopg

    _restore(HEADS[-1], pg_url)
    cli = Cli(pg_url)
    assert cli("db", "upgrade").exit_code == 0
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099_future'")
    for argv in (("db", "upgrade"), ("check",)):
        result = cli(*argv)
        assert result.exit_code == 4, result.output
        assert "0099_future" in " ".join(result.output.split())
