"""Tamper evidence on PostgreSQL: each edit of tests/tampers.py, made with the database's own
credentials, is found by `grants check` and `grants audit verify` (exit 4), naming the row.

The demo is built once per stage into a template database and each test gets a copy of it
(CREATE DATABASE … TEMPLATE)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import Cli
from tests.postgres.conftest import _admin_connect, database_url
from tests.tampers import TAMPERS, Tamper, apply


@pytest.fixture(scope="module")
def templates(pg_run_prefix: str) -> Iterator[dict[str, str]]:
    """Template databases by stage, built on first use."""
    made: dict[str, str] = {}
    yield made


def _template(templates: dict[str, str], prefix: str, stage: str) -> str:
    if stage not in templates:
        from grants.db import get_engine
        from grants.demo import build

        name = f"{prefix}_tpl_{stage}"
        with _admin_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a build that failed half-way
            admin.execute(f'CREATE DATABASE "{name}"')
        url = database_url(name)
        if stage == "rollover":
            build(url, replace=True, rollover=True)
        else:
            build(url, replace=True, until=stage)
        get_engine(url).dispose()
        get_engine.cache_clear()
        templates[stage] = name
    return templates[stage]


@pytest.fixture
def copy_of(templates: dict[str, str], pg_run_prefix: str) -> Iterator:  # type: ignore[type-arg]
    made: list[str] = []

    def copy(stage: str) -> Cli:
        template = _template(templates, pg_run_prefix, stage)
        name = f"{pg_run_prefix}_{uuid.uuid4().hex[:8]}"
        with _admin_connect() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        made.append(name)
        return Cli(database_url(name))

    yield copy
    from grants.db import get_engine

    for name in made:
        get_engine(database_url(name)).dispose()
    get_engine.cache_clear()


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
