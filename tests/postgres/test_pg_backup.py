"""Backing up PostgreSQL: `grants db backup` points to pg_dump, and pg_dump + pg_restore of the
whole demo year gives the same books in a fresh database."""

from __future__ import annotations

import glob
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import Cli
from tests.postgres.conftest import _admin_connect, database_url
from tests.test_backup import figures


def server_tool(name: str) -> str | None:
    """pg_dump / pg_restore of the newest installed server version, else the one on PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def libpq(url: str) -> str:
    return make_url(url)._replace(drivername="postgresql").render_as_string(hide_password=False)


def test_db_backup_on_postgres_says_how_to_use_pg_dump(pg_url: str, tmp_path: Path) -> None:
    cli = Cli(pg_url)
    assert cli("demo", "--db", pg_url).exit_code == 0
    target = tmp_path / "grants.dump"
    result = cli("db", "backup", str(target))
    assert result.exit_code == 2
    name = make_url(pg_url).database
    assert f"back it up with `pg_dump --format=custom --file {target} postgresql://" in result.stderr
    assert f"/{name}`" in result.stderr
    assert f"pg_restore --dbname NEWDB {target}" in result.stderr
    assert "grants audit verify" in result.stderr
    assert not target.exists()


def test_db_backup_message_never_shows_the_password(tmp_path: Path) -> None:
    from grants.backup import pg_dump_advice

    advice = pg_dump_advice("postgresql+psycopg://grants:s3cret@db.example/grants", tmp_path / "g.dump")
    assert "s3cret" not in advice
    assert "postgresql://grants@db.example/grants" in advice


def test_pg_dump_and_restore_give_the_same_books(pg_url: str, pg_run_prefix: str, tmp_path: Path) -> None:
    pg_dump, pg_restore = server_tool("pg_dump"), server_tool("pg_restore")
    if not (pg_dump and pg_restore):
        pytest.skip("pg_dump and pg_restore are not installed (looked in /usr/lib/postgresql/*/bin and PATH)")
    original = Cli(pg_url)
    built = original("demo", "--db", pg_url)
    assert built.exit_code == 0, built.output

    dump = tmp_path / "grants.dump"
    subprocess.run(
        [pg_dump, "--format=custom", "--file", str(dump), libpq(pg_url)], check=True, capture_output=True
    )
    restored_name = f"{pg_run_prefix}_{uuid.uuid4().hex[:8]}"  # dropped with the run's databases
    with _admin_connect() as admin:
        admin.execute(f'CREATE DATABASE "{restored_name}"')
    restored_url = database_url(restored_name)
    subprocess.run(
        [pg_restore, "--exit-on-error", "--dbname", libpq(restored_url), str(dump)],
        check=True,
        capture_output=True,
    )
    restored = Cli(restored_url)
    try:
        books = figures(original)
        assert figures(restored) == books
        for cli in (original, restored):
            assert cli("check").exit_code == 0
            assert cli("audit", "verify").exit_code == 0
        # The sequences came back too: the restored database takes new rows after the old ones.
        added = restored(
            "member", "add", "wg-restored", "--name", "After restore", "--org", "kcc", actor="kcc-officer"
        )
        assert added.exit_code == 0, added.output
        assert restored("audit", "verify").exit_code == 0
    finally:
        from grants.db import get_engine

        get_engine(restored_url).dispose()
