"""The foundation on a real PostgreSQL server: migrations, the demo, checks and audit."""

from __future__ import annotations

import json

from sqlalchemy import create_engine

from tests.conftest import Cli
from tests.migration_checks import assert_migrations_match_models, assert_upgrade_from_first


def test_migrations_match_models_on_postgres(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        assert_migrations_match_models(engine)
    finally:
        engine.dispose()


def test_upgrade_from_first_revision_on_postgres(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        assert_upgrade_from_first(engine)
    finally:
        engine.dispose()


def test_demo_on_postgres_has_seed_pots_and_verifies(pg_url: str) -> None:
    cli = Cli(pg_url)
    built = cli("demo", "--db", pg_url)
    assert built.exit_code == 0, built.output
    pots = json.loads(cli("pot", "show", "--json").stdout)["pots"]
    assert pots["upfront"]["allocated"] == "£26,440"
    assert pots["tactical"]["allocated"] == "£13,221"
    assert cli("check").exit_code == 0
    assert cli("audit", "verify").exit_code == 0


def test_verify_fails_after_raw_edit_on_postgres(pg_url: str) -> None:
    cli = Cli(pg_url)
    cli("demo", "--db", pg_url)
    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_event SET reason = 'edited' WHERE seq = 2")
    engine.dispose()
    result = cli("audit", "verify")
    assert result.exit_code == 4
    assert "audit event #2" in result.stderr
