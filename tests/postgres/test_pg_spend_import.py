"""The spend import on PostgreSQL: staged by COPY, with the same checks and results as on SQLite."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli
from tests.test_approvals import ok
from tests.test_finance_exports import council_csv, import_args, save


def test_import_with_refunds_unmatched_lines_and_repeats_on_postgres(pg_url: str, tmp_path: Path) -> None:
    from grants.demo import build

    build(pg_url, replace=True, until="tactical")
    cli = Cli(pg_url)
    rows = [
        ["15/07/2024", "CS1", "ASB Training", "T-1", "£2,000.00", "crg-2425-001 course"],
        ["16/07/2024", "CS1", "ASB Training", "T-1C", "(500.00)", "CRG-2425-001 credit"],
        ["17/07/2024", "HW2", "Kent Highways", "H-1", "£5,000.00", ""],
        ["18/07/2024", "CS1", "Café Société", "V-1", "300.00 CR", "CRG-2425-005"],
    ]
    path = save(tmp_path, "ytd.csv", council_csv(rows), "cp1252")
    refused = cli(*import_args(path, "--json"), actor="treasurer")
    assert refused.exit_code == 2
    bad = {row["line"]: row["reason"] for row in json.loads(refused.stdout)["bad_rows"]}
    assert bad[4].startswith("names no grant project") and "below zero" in bad[5]
    rows[3][4] = "300.00"
    save(tmp_path, "ytd.csv", council_csv(rows), "cp1252")
    data = json.loads(ok(cli(*import_args(path, "--skip-unmatched", "--json"), actor="treasurer")).stdout)
    assert (data["imported"], data["refunds"], data["total"], data["unmatched"]) == (3, 1, "£1,800", 1)
    listed = json.loads(ok(cli("spend", "list", "CRG-2425-005", "--json")).stdout)
    assert listed["payments"][0]["supplier"] == "Café Société"
    again = json.loads(ok(cli(*import_args(path, "--skip-unmatched", "--json"), actor="treasurer")).stdout)
    assert (again["imported"], again["skipped"]) == (0, 3)
    rows[0][4] = "£2,100.00"
    save(tmp_path, "ytd.csv", council_csv(rows), "cp1252")
    changed = cli(*import_args(path, "--skip-unmatched", "--json"), actor="treasurer")
    assert changed.exit_code == 2
    assert "as £2,000 on 2024-07-15; this line says £2,100 on 2024-07-15" in changed.stdout
    report = json.loads(ok(cli("report", "reconcile", "--format", "json")).stdout)
    assert report["balanced"] is True
    assert {p["reference"]: p["spent"] for p in report["projects"]}["CRG-2425-001"] == "£1,500"
    ok(cli("check"))


def test_the_import_gives_itself_memory_only_where_postgres_allows_it(pg_url: str) -> None:
    """The staging transaction sets work_mem and temp_buffers for itself only; temp_buffers only in
    a session that has used no temporary table yet, where PostgreSQL would refuse a new value (the
    import must not fail because an earlier command on the same connection made one)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from grants.spend import _open_stage, _stage_table

    # A new session for each `connect` (no pool), so each starts with no temporary table.
    engine = create_engine(pg_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            with connection.begin():
                _open_stage(connection, _stage_table())
                shown = connection.exec_driver_sql("SHOW work_mem").scalar_one()
                assert (shown, connection.exec_driver_sql("SHOW temp_buffers").scalar_one()) == ("64MB", "128MB")
            assert connection.exec_driver_sql("SHOW work_mem").scalar_one() == "4MB"  # this transaction's only
        with engine.connect() as connection:
            with connection.begin():
                connection.exec_driver_sql("SET LOCAL temp_buffers = '4MB'")
                connection.exec_driver_sql("CREATE TEMPORARY TABLE earlier (n integer) ON COMMIT DROP")
                connection.exec_driver_sql("INSERT INTO earlier VALUES (1)")
            with connection.begin():
                _open_stage(connection, _stage_table())  # no error: temp_buffers is left as it is
                assert connection.exec_driver_sql("SHOW work_mem").scalar_one() == "64MB"
    finally:
        engine.dispose()
