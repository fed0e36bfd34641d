"""The year as a workbook for the PCC: summary, projects, spend, spend by month and scores, with
native charts of the pots, of spend by month against the awards and of the scores (openpyxl).

The workbook is written in openpyxl's write-only mode and the projects and payments are streamed
from the database, so a year of a million payments keeps memory flat. Money goes in as numbers of
pounds made exactly from integer pence (Decimal, never float); every text cell passes through
`spreadsheet_safe`, so a supplier named `=HYPERLINK(...)` stays text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from grants.audit_chain import audit_head
from grants.exports.workbook_charts import (
    MONTH_COLUMNS,
    MONTH_SHEET,
    monthly_rows,
    months_of,
    pot_chart,
    scores_chart,
    spend_chart,
)
from grants.models import Bid, FundingYear, Organisation, Spend
from grants.pots import POT_FIGURES, PotFigures, pot_figures
from grants.scope import Scope
from grants.writing.files import spreadsheet_safe, write_whole
from grants.years import ProjectFigures, find_year, in_year, project_figures

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

STREAM_BATCH = 2_000
EXCEL_ROWS = 1_048_576
MONEY_FORMAT = '"£"#,##0.00;-"£"#,##0.00'
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"

SHEETS = {
    "Summary": ("Pot", *(name.capitalize() for name in POT_FIGURES), "Uncommitted"),
    "Projects": (
        "Reference",
        "Title",
        "Organisation",
        "Pot",
        "Status",
        "Award",
        "Spent",
        "Released",
        "Remaining",
        "Carried",
        "Carried from",
    ),
    "Spend": ("Date", "Reference", "Supplier", "Invoice", "Amount", "Kind"),
    MONTH_SHEET: MONTH_COLUMNS,
    "Scores": (
        "Rank",
        "Reference",
        "Title",
        "Mean score",
        "Sheets",
        "Support",
        "Oppose",
        "Abstain",
        "Recommendation",
    ),
}
WIDTHS = {
    "Summary": (14, 14, 14, 14, 14, 14, 14, 14),
    "Projects": (15, 50, 40, 10, 14, 14, 14, 14, 14, 14, 12),
    "Spend": (12, 15, 40, 20, 14, 10),
    MONTH_SHEET: (12, 14, 14, 14),
    "Scores": (6, 15, 50, 12, 8, 8, 8, 8, 22),
}


def pounds(pence: int) -> Decimal:
    """Integer pence as an exact Decimal of pounds, the number a money cell holds."""
    return pence / Decimal(100)


def text(value: str | None) -> str:
    """A text cell: control characters (which XML cannot hold) shown as escapes, and never read
    as a formula (both by spreadsheet_safe); whatever else XML refuses, removed."""
    return ILLEGAL_CHARACTERS_RE.sub("", spreadsheet_safe(value or ""))


@dataclass(frozen=True)
class WorkbookSummary:
    """What went into the workbook."""

    year: str
    projects: int
    payments: int
    scored: int


class _Sheet:
    """One write-only sheet: a bold header row, then rows of typed cells.

    A sheet that reaches Excel's row limit goes on in another of the same columns (`Spend 2`, …),
    since Excel will not open a sheet longer than that."""

    def __init__(self, book: Workbook, title: str) -> None:
        self.book, self.title = book, title
        self.parts: list[WriteOnlyWorksheet] = []
        self.rows = 0
        self._start()

    def _start(self) -> None:
        self.sheet: WriteOnlyWorksheet = self.book.create_sheet(
            f"{self.title} {len(self.parts) + 1}" if self.parts else self.title
        )
        self.parts.append(self.sheet)
        # Widths and frozen panes must be set before the first row of a write-only sheet.
        for index, width in enumerate(WIDTHS[self.title], start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for name in SHEETS[self.title]:
            cell = WriteOnlyCell(self.sheet, value=name)
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)
        self.in_part = 1

    def cell(self, value: Any, number_format: str | None = None) -> Cell:
        cell = WriteOnlyCell(self.sheet, value=value)
        if number_format:
            cell.number_format = number_format
        return cell

    def money(self, pence: int) -> Cell:
        return self.cell(pounds(pence), MONEY_FORMAT)

    def day(self, value: date) -> Cell:
        return self.cell(value, DATE_FORMAT)

    def append(self, row: Iterable[Any]) -> None:
        if self.in_part >= EXCEL_ROWS:
            self._start()
        self.sheet.append(list(row))
        self.rows += 1
        self.in_part += 1

    def discard(self) -> None:
        """Close every part after a failure, so openpyxl's streams end quietly."""
        for part in self.parts:
            with suppress(Exception):
                part.close()


def _summary(sheet: _Sheet, scope: Scope, year: FundingYear, figures: list[PotFigures]) -> None:
    names = (*POT_FIGURES, "uncommitted")
    for pot in figures:
        sheet.append([text(pot.kind.value), *(sheet.money(getattr(pot, name).pence) for name in names)])
    totals = [sum(getattr(pot, name).pence for pot in figures) for name in names]
    sheet.append([text("Total"), *(sheet.money(total) for total in totals)])
    sheet.append([])
    sheet.append([text("Year"), text(year.label)])
    sheet.append([text("Status"), text(year.status.value)])
    sheet.append([text("Partnership"), text(scope.partnership.name)])
    sheet.append([text("Exported on"), sheet.day(scope.today)])
    sheet.append([text("Audit head"), text(audit_head(scope.session, scope.partnership.id).anchor)])


def _in_year(year: FundingYear) -> Any:
    """The year's projects: its own, and those carried forward into it (grants.years.in_year)."""
    return in_year(year.id)


def _projects(sheet: _Sheet, scope: Scope, year: FundingYear, figures: dict[int, ProjectFigures]) -> int:
    """Every project in the year's books, as `report reconcile` shows it (grants.years.
    ProjectFigures: Award = Spent + Released + Remaining, in this year)."""
    rows = scope.session.connection().execute(
        select(Bid.id, Bid.reference, Bid.title, Organisation.name, Bid.pot, Bid.status)
        .join(Organisation, Organisation.id == Bid.lead_organisation_id)
        .where(_in_year(year), Bid.award_pence.is_not(None))
        .order_by(Bid.year_id, Bid.sequence)
        .execution_options(yield_per=STREAM_BATCH)
    )
    count = 0
    for bid_id, reference, title, organisation, pot, status in rows:
        line = figures[bid_id]
        sheet.append(
            [
                text(reference),
                text(title),
                text(organisation),
                text(pot.value),
                text(status.value),
                sheet.money(line.award.pence),
                sheet.money(line.spent.pence),
                sheet.money(line.released.pence),
                sheet.money(line.remaining.pence),
                sheet.money(line.carried.pence),
                text(line.carried_from),
            ]
        )
        count += 1
    return count


def _payments(scope: Scope, year: FundingYear) -> Iterator[tuple[date, str, str, str | None, int]]:
    """The payments of the year: on its projects, dated in the year (a project carried forward
    has its earlier payments in the year before)."""
    yield from scope.session.connection().execute(
        select(Spend.paid_on, Bid.reference, Spend.supplier, Spend.invoice, Spend.amount_pence)
        .join(Bid, Bid.id == Spend.bid_id)
        .where(_in_year(year), Spend.paid_on >= year.starts_on, Spend.paid_on <= year.ends_on)
        .order_by(Spend.paid_on, Spend.id)
        .execution_options(yield_per=STREAM_BATCH)
    )


def _spend(sheet: _Sheet, scope: Scope, year: FundingYear) -> int:
    count = 0
    for paid_on, reference, supplier, invoice, amount in _payments(scope, year):
        # A refund or credit note is a negative amount, and says so.
        kind = "refund" if amount < 0 else "payment"
        sheet.append(
            [sheet.day(paid_on), text(reference), text(supplier), text(invoice), sheet.money(amount), kind]
        )
        count += 1
    return count


def _spend_by_day(scope: Scope, year: FundingYear) -> list[tuple[date, int]]:
    """The year's payments summed per day (at most 366 rows, however many payments)."""
    return [
        (day, int(total))
        for day, total in scope.session.execute(
            select(Spend.paid_on, func.sum(Spend.amount_pence))
            .join(Bid, Bid.id == Spend.bid_id)
            .where(_in_year(year), Spend.paid_on >= year.starts_on, Spend.paid_on <= year.ends_on)
            .group_by(Spend.paid_on)
        )
    ]


def _months(sheet: _Sheet, rows: list[tuple[date, int, int, int]]) -> None:
    for month, paid, to_date, awarded in rows:
        sheet.append(
            [sheet.cell(month, "mmm yyyy"), sheet.money(paid), sheet.money(to_date), sheet.money(awarded)]
        )


def _scores(sheet: _Sheet, rows: list[dict[str, Any]]) -> None:
    """The ranking as the exporter may see it: a figure withheld from them says `withheld`."""
    for row in rows:
        if row["withheld"] and row["mean"] == "withheld":
            sheet.append(
                [
                    text(row["rank"]),
                    text(row["reference"]),
                    text(row["title"]),
                    text("withheld"),
                    row["sheets"],
                    *(text("withheld") for _ in range(4)),
                ]
            )
            continue
        tenths = row["mean_tenths"]
        sheet.append(
            [
                text(row["rank"]) if row["rank"] == "withheld" else row["rank"],
                text(row["reference"]),
                text(row["title"]),
                sheet.cell(None if tenths is None else tenths / Decimal(1000), PERCENT_FORMAT),
                row["sheets"],
                row["support"],
                row["oppose"],
                row["abstain"],
                text(row["recommendation"]),
            ]
        )


def write_workbook(scope: Scope, path: Path) -> WorkbookSummary:
    """Write the year's workbook (--year, else the open year) to `path`."""
    from grants.permissions import require
    from grants.scoring import ranking
    from workflows.policy import Action

    require(scope, Action.export_workbook)
    year = find_year(scope)
    figures = pot_figures(scope.session, year)
    # The ranking as the acting member may see it (blind scoring); asked for before anything is
    # written, so that a missing --as is refused without a half-built workbook.
    ranked = ranking(scope).rows()
    projects_figures = project_figures(scope.session, year)
    book = Workbook(write_only=True)
    sheets: list[_Sheet] = []

    def sheet(title: str) -> _Sheet:
        # Made one after another, so that a long sheet's continuation follows it.
        sheets.append(_Sheet(book, title))
        return sheets[-1]

    months = monthly_rows(
        months_of(year.starts_on, year.ends_on),
        _spend_by_day(scope, year),
        sum(pot.committed.pence for pot in figures),
    )
    try:
        summary = sheet("Summary")
        _summary(summary, scope, year, figures)
        summary.sheet.add_chart(pot_chart(summary.sheet, SHEETS["Summary"], len(figures), year.label), "J2")  # type: ignore[misc]  # the stubs type it as Worksheet's method, which it reuses
        projects = _projects(sheet("Projects"), scope, year, projects_figures)
        payments = _spend(sheet("Spend"), scope, year)
        by_month = sheet(MONTH_SHEET)
        _months(by_month, months)
        by_month.sheet.add_chart(spend_chart(by_month.sheet, len(months), year.label), "F2")  # type: ignore[misc]  # the stubs type it as Worksheet's method, which it reuses
        scores = sheet("Scores")
        _scores(scores, ranked)
        # Chart the means the sheet shows: a bid with no sheet yet, or one withheld, has none.
        means = [row for row in ranked if row["sheets"] and row["mean"] not in (None, "withheld")]
        if means:
            columns = SHEETS["Scores"]
            chart = scores_chart(
                scores.sheet,
                len(means),
                columns.index("Mean score") + 1,
                columns.index("Reference") + 1,
                year.label,
            )
            scores.sheet.add_chart(chart, "K2")  # type: ignore[misc]  # the stubs type it as Worksheet's method, which it reuses
        book.save(path)
    except BaseException:
        for made in sheets:
            made.discard()
        raise
    return WorkbookSummary(year.label, projects, payments, len(ranked))


def save_workbook(scope: Scope, path: Path) -> WorkbookSummary:
    """Write the workbook to a file; a failed export leaves any earlier file as it was."""
    return write_whole(path, lambda partial: write_workbook(scope, partial))
