"""Upgrades never lock anyone out: a demo made by each earlier schema head of grants (kept under
tests/fixtures/schemas, rebuilt by tests/fixtures/build_schemas.py with the code of that time)
upgrades with `grants db upgrade`, backed up first, and then passes `check` and `audit verify`."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli

FIXTURES = Path(__file__).parent / "fixtures" / "schemas"
HEADS = sorted(path.stem for path in FIXTURES.glob("*.sqlite"))


def test_there_is_a_fixture_for_every_earlier_head() -> None:
    from tests.fixtures.build_schemas import RELEASES

    assert HEADS == sorted(RELEASES)


def _copy(head: str, tmp_path: Path) -> Cli:
    target = tmp_path / f"made-at-{head}.sqlite"
    shutil.copyfile(FIXTURES / f"{head}.sqlite", target)
    return Cli(f"sqlite:///{target}")


def _revision(cli: Cli) -> str:
    with sqlite3.connect(cli.url.split("///", 1)[1]) as connection:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]


@pytest.mark.parametrize("head", HEADS)
def test_a_database_from_an_earlier_head_upgrades_and_passes_check(head: str, tmp_path: Path) -> None:
    from grants.db import HEAD_REVISION

    cli = _copy(head, tmp_path)
    assert _revision(cli) == head
    stale = cli("status", actor="kcc-officer")
    if head != HEAD_REVISION:
        assert stale.exit_code == 5 and "grants db upgrade" in stale.output
    before = cli.snapshot()
    done = cli("db", "upgrade")
    assert done.exit_code == 0, done.output
    assert _revision(cli) == HEAD_REVISION
    if head != HEAD_REVISION:
        copies = list(tmp_path.glob(f"made-at-{head}.before-{HEAD_REVISION}-*.sqlite"))
        assert len(copies) == 1
        assert copies[0].name in done.output.replace("\n", "")
        assert Cli(f"sqlite:///{copies[0]}").snapshot() == before
    checked = cli("check")
    assert checked.exit_code == 0, checked.output
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    again = cli("db", "upgrade")
    assert again.exit_code == 0 and "nothing to upgrade" in again.output
    assert cli("bid", "list", actor="kcc-officer").exit_code == 0


def test_the_upgrade_checks_foreign_keys_before_it_commits(tmp_path: Path) -> None:
    """Foreign keys are off while tables are rebuilt; a row left pointing at nothing refuses the
    whole upgrade (exit 4) and changes nothing."""
    cli = _copy("0004", tmp_path)
    with sqlite3.connect(cli.url.split("///", 1)[1]) as connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("UPDATE bid SET lead_organisation_id = 9999 WHERE id = 1")
    before = cli.snapshot()
    done = cli("db", "upgrade")
    assert done.exit_code == 4, done.output
    assert "pointing at nothing" in done.output and "bid row" in done.output
    assert "Traceback" not in done.output
    assert cli.snapshot() == before


def test_a_database_from_a_newer_grants_is_refused_by_every_command(tmp_path: Path) -> None:
    from grants.db import HEAD_REVISION

    cli = _copy(HEADS[-1], tmp_path)
    assert cli("db", "upgrade").exit_code == 0
    with sqlite3.connect(cli.url.split("///", 1)[1]) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_future'")
    before, copies = cli.snapshot(), set(tmp_path.glob("*.before-*"))
    for argv in (("db", "upgrade"), ("status",), ("check",), ("bid", "list")):
        result = cli(*argv, actor="kcc-officer")
        assert result.exit_code == 4, (argv, result.output)
        text = " ".join(result.output.split())
        assert "0099_future" in text and HEAD_REVISION in text and "Upgrade grants" in text, text
        assert "Traceback" not in result.output
    assert cli.snapshot() == before
    assert set(tmp_path.glob("*.before-*")) == copies
