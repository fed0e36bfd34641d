"""Tamper evidence on PostgreSQL: each edit of tests/tampers.py, made with the database's own
credentials, is found by `grants check` and `grants audit verify` (exit 4), naming the row.

Each test gets a copy of the run's template database of a stage (tests/postgres/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Cli
from tests.tampers import TAMPERS, Tamper, apply


@pytest.fixture
def copy_of(pg_demo_copy) -> Callable[[str], Cli]:  # type: ignore[no-untyped-def]
    """A copy of the demo at a stage ("rollover": built to the end and rolled over)."""

    def copy(stage: str) -> Cli:
        if stage == "rollover":
            return Cli(pg_demo_copy(rollover=True))
        return Cli(pg_demo_copy(stage))

    return copy


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.name for t in TAMPERS])
def test_each_tamper_is_found_on_postgres(copy_of, tamper: Tamper) -> None:  # type: ignore[no-untyped-def]
    cli = copy_of(tamper.stage)
    assert cli("check").exit_code == 0
    apply(cli.url, tamper)
    checked = cli("check")
    assert checked.exit_code == 4, (tamper.name, checked.output)
    shown = " ".join(checked.output.split())
    assert any(name in shown for name in tamper.names), (tamper.name, shown)
    if tamper.verify:
        verified = cli("audit", "verify")
        assert verified.exit_code == 4, (tamper.name, verified.output)
        assert any(name in " ".join(verified.output.split()) for name in tamper.names), tamper.name


def test_an_anchor_proves_the_chain_on_postgres(copy_of) -> None:  # type: ignore[no-untyped-def]
    import json

    cli = copy_of("rollover")
    head = json.loads(cli("audit", "verify", "--json").stdout)["audit_head"]
    assert cli("audit", "verify", "--anchor", head["anchor"]).exit_code == 0
    wrong = f"{head['count']}:{'0' * 12}"
    result = cli("audit", "verify", "--anchor", wrong)
    assert result.exit_code == 4 and f"audit event #{head['count']}" in result.output


def test_a_big_import_is_sealed_as_postgres_reads_it(copy_of, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """More than 16 rows: the import seals its payments from the file (dates as YYYY-MM-DD,
    whatever the server's DateStyle); check agrees, and finds a changed supplier."""
    from tests.test_tamper import _payments_file

    cli = copy_of("tactical")
    done = cli("spend", "import", _payments_file(tmp_path, 40), actor="treasurer")
    assert done.exit_code == 0, done.output
    assert cli("check").exit_code == 0
    apply(cli.url, Tamper("supplier", ("UPDATE spend SET supplier = 'Z' WHERE invoice = 'INV-0005'",), ()))
    result = cli("check")
    assert result.exit_code == 4 and "payment rows written by" in " ".join(result.output.split())
