"""The Word papers and the workbook's charts on PostgreSQL: the same figures as on SQLite."""

from __future__ import annotations

import json
from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from tests.conftest import Cli
from tests.test_approvals import ok
from tests.test_exports import cell_pence, rows_of


def test_papers_and_workbook_charts_on_postgres(pg_url: str, tmp_path: Path) -> None:
    cli = Cli(pg_url)
    ok(cli("demo", "--db", pg_url))
    out = tmp_path / "wg.docx"
    ok(cli("report", "working-group", "--format", "docx", "--meeting", "2024-07-04", "--out", str(out)))
    appendix = [[c.text for c in row.cells] for row in Document(str(out)).tables[-1].rows]
    assert appendix[-1][1:4] == ["Total recommended", "", "£26,278"]
    for report in ("action-plan", "year-end"):
        ok(cli("report", report, "--format", "docx", "--out", str(tmp_path / f"{report}.docx")))
    book_path = tmp_path / "crg.xlsx"
    ok(cli("export", "xlsx", "--out", str(book_path), actor="kcc-officer"))
    book = load_workbook(book_path)
    assert [len(book[name]._charts) for name in ("Summary", "Spend by month", "Scores")] == [1, 1, 1]
    months = rows_of(book["Spend by month"])
    spent = json.loads(ok(cli("report", "reconcile", "--json")).stdout)
    assert cell_pence(months[-1]["Spent to date"]) == sum(p["spent_pence"] for p in spent["projects"])
