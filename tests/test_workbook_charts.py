"""The workbook's native charts, read back from the file: each chart exists, is of the right kind
and reads the right cells, and those cells hold the figures the reports give."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Cli, demo_copy
from tests.test_approvals import ok
from tests.test_exports import add_payment, cell_pence, export_workbook, rows_of


def chart_xml(path: Path) -> dict[str, str]:
    """Each sheet's chart XML, by sheet name, followed through the workbook's relationships."""
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="/?(?:xl/)?([^"]+)"', rels))
        targets |= {k: v for v, k in re.findall(r'Target="/?(?:xl/)?([^"]+)"[^>]*Id="(rId\d+)"', rels)}
        found = {}
        for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="(rId\d+)"', book):
            sheet = "xl/" + targets[rid]
            sheet_rels = sheet.replace("worksheets/", "worksheets/_rels/") + ".rels"
            if sheet_rels not in z.namelist():
                continue
            drawing = re.search(r'Target="([^"]*drawing\d+\.xml)"', z.read(sheet_rels).decode())
            if not drawing:
                continue
            drawing_path = "xl/drawings/" + drawing.group(1).rsplit("/", 1)[-1]
            drawing_rels = drawing_path.replace("drawings/", "drawings/_rels/") + ".rels"
            chart = re.search(r'Target="([^"]*chart\d+\.xml)"', z.read(drawing_rels).decode())
            found[name] = z.read("xl/charts/" + chart.group(1).rsplit("/", 1)[-1]).decode()
    return found


def refs(xml: str, kind: str) -> list[str]:
    """The value ranges of one chart type's series in a chart."""
    part = re.search(rf"<(?:c:)?{kind}>(.*?)</(?:c:)?{kind}>", xml, re.S)
    assert part, f"no {kind} in the chart"
    return re.findall(r"<(?:c:)?val><(?:c:)?numRef><(?:c:)?f>([^<]+)</", part.group(1))


def test_workbook_pot_chart_reads_each_pots_figures_from_summary(demo: Cli, tmp_path: Path) -> None:
    path, book = export_workbook(demo, tmp_path)
    (chart,) = book["Summary"]._charts
    assert chart.type == "col"
    assert [s.tx.v for s in chart.series] == ["Allocated", "Committed", "Spent", "Free"]
    assert [s.val.numRef.f for s in chart.series] == [
        "'Summary'!$B$2:$B$3",
        "'Summary'!$C$2:$C$3",
        "'Summary'!$E$2:$E$3",
        "'Summary'!$D$2:$D$3",
    ]
    assert (
        chart.series[0].cat.strRef.f == "'Summary'!$A$2:$A$3"
        if chart.series[0].cat.strRef
        else (chart.series[0].cat.numRef.f == "'Summary'!$A$2:$A$3")
    )
    sheet = book["Summary"]
    assert [sheet["A2"].value, sheet["A3"].value] == ["upfront", "tactical"]
    assert [sheet["B1"].value, sheet["C1"].value, sheet["E1"].value, sheet["D1"].value] == [
        "Allocated",
        "Committed",
        "Spent",
        "Free",
    ]
    pots = json.loads(ok(demo("pot", "show", "--json")).stdout)["pots"]
    for row, pot in ((2, "upfront"), (3, "tactical")):
        for column, name in (("B", "allocated"), ("C", "committed"), ("E", "spent"), ("D", "free")):
            assert cell_pence(sheet[f"{column}{row}"].value) == pots[pot][f"{name}_pence"], (pot, name)
    assert "Summary" in chart_xml(path)


def test_workbook_charts_spend_by_month_against_the_awards(demo: Cli, tmp_path: Path) -> None:
    add_payment(demo, "Prevent Education Services", invoice="PES-31-02", amount="12.34")
    path, book = export_workbook(demo, tmp_path)
    xml = chart_xml(path)["Spend by month"]
    assert refs(xml, "barChart") == ["'Spend by month'!$B$2:$B$13"]
    assert refs(xml, "lineChart") == ["'Spend by month'!$C$2:$C$13", "'Spend by month'!$D$2:$D$13"]
    months = rows_of(book["Spend by month"])
    assert [m["Month"].date() for m in months] == [
        date(2024 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
    ]
    spend = rows_of(book["Spend"])
    for month in months:
        paid = [s for s in spend if s["Date"].date().replace(day=1) == month["Month"].date()]
        assert cell_pence(month["Spent"]) == sum(cell_pence(s["Amount"]) for s in paid)
    assert cell_pence(months[-1]["Spent to date"]) == sum(cell_pence(s["Amount"]) for s in spend)
    assert cell_pence(months[-1]["Spent"]) == 1_234
    pots = json.loads(ok(demo("pot", "show", "--json")).stdout)["pots"]
    awarded = sum(p["committed_pence"] for p in pots.values())
    assert {cell_pence(m["Awarded"]) for m in months} == {awarded}


def test_workbook_ranking_sheet_charts_the_mean_score_of_each_scored_bid(demo: Cli, tmp_path: Path) -> None:
    path, book = export_workbook(demo, tmp_path)
    (chart,) = book["Scores"]._charts
    assert chart.type == "bar"
    scores = rows_of(book["Scores"])
    assert book["Scores"]["D1"].value == "Mean score" and book["Scores"]["B1"].value == "Reference"
    scored = [r for r in scores if r["Mean score"] is not None]
    assert len(scored) == 10 and scores[: len(scored)] == scored  # the scored bids come first
    assert [s.val.numRef.f for s in chart.series] == [f"'Scores'!$D$2:$D${len(scored) + 1}"]
    categories = chart.series[0].cat
    assert (categories.strRef or categories.numRef).f == f"'Scores'!$B$2:$B${len(scored) + 1}"
    means = [Decimal(str(r["Mean score"])) for r in scored]
    assert means == sorted(means, reverse=True)


@pytest.mark.parametrize("stage", ["setup", "bids"])
def test_workbook_before_any_score_has_no_score_chart_and_zero_spend(
    cli: Cli, tmp_path: Path, stage: str
) -> None:
    demo_copy(cli.url, stage)
    path, book = export_workbook(cli, tmp_path)
    assert book["Scores"]._charts == []
    assert len(book["Summary"]._charts) == 1
    assert {cell_pence(m["Spent to date"]) for m in rows_of(book["Spend by month"])} == {0}
    assert set(chart_xml(path)) == {"Summary", "Spend by month"}
