"""Native Excel charts for the workbook, made with openpyxl so they stay editable in Excel.

Each chart reads the cells the workbook already holds: the pots from Summary, spend by month
against the awards from the Spend by month sheet, each bid's mean score from Scores (the ranking).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel

from grants.papers.potchart import POT_SERIES

MONTH_SHEET = "Spend by month"
MONTH_COLUMNS = ("Month", "Spent", "Spent to date", "Awarded")


def months_of(starts_on: date, ends_on: date) -> list[date]:
    """The first day of each month of the year, April to March."""
    months, day = [], starts_on.replace(day=1)
    while day <= ends_on:
        months.append(day)
        day = day.replace(year=day.year + 1, month=1) if day.month == 12 else day.replace(month=day.month + 1)
    return months


def monthly_rows(
    months: Sequence[date], spend_by_day: Iterable[tuple[date, int]], awarded: int
) -> list[tuple[date, int, int, int]]:
    """Per month: what was paid in it, paid to date, and the year's awards (pence)."""
    paid = dict.fromkeys(months, 0)
    for day, pence in spend_by_day:
        key = day.replace(day=1)
        if key in paid:
            paid[key] += pence
    rows, to_date = [], 0
    for month in months:
        to_date += paid[month]
        rows.append((month, paid[month], to_date, awarded))
    return rows


def _style(chart: Any, title: str, y_title: str, width: float = 18, height: float = 9) -> Any:
    chart.title = title
    chart.y_axis.title = y_title
    chart.width, chart.height = width, height
    # openpyxl hides the axes' labels unless told not to delete them (Excel's default is to show).
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def pot_chart(summary: Any, header: Sequence[str], pots: int, year: str) -> BarChart:
    """Each pot's allocated, committed, spent and free money: Summary rows 2 to pots + 1."""
    chart = _style(BarChart(), f"The pots {year}", "£")
    chart.type, chart.grouping = "col", "clustered"
    for field, label in POT_SERIES:
        column = next(i for i, name in enumerate(header, start=1) if name.lower() == field)
        chart.add_data(Reference(summary, min_col=column, min_row=2, max_row=pots + 1))
        chart.series[-1].tx = SeriesLabel(v=label)
    chart.set_categories(Reference(summary, min_col=1, min_row=2, max_row=pots + 1))
    chart.y_axis.numFmt = '"£"#,##0'
    return chart


def spend_chart(sheet: Any, months: int, year: str) -> BarChart:
    """Spend by month as bars, with spend to date and the awards as lines."""
    bars = _style(BarChart(), f"Spend by month against the awards {year}", "£")
    bars.add_data(Reference(sheet, min_col=2, min_row=1, max_row=months + 1), titles_from_data=True)
    categories = Reference(sheet, min_col=1, min_row=2, max_row=months + 1)
    bars.set_categories(categories)
    lines = LineChart()
    lines.add_data(
        Reference(sheet, min_col=3, max_col=4, min_row=1, max_row=months + 1), titles_from_data=True
    )
    lines.set_categories(categories)
    bars.y_axis.numFmt = '"£"#,##0'
    bars += lines
    return bars


def scores_chart(sheet: Any, bids: int, mean_column: int, label_column: int, year: str) -> BarChart:
    """The mean score of each ranked bid, best first, as horizontal bars."""
    chart = _style(BarChart(), f"Mean score per bid {year}", "Mean score", height=max(7.5, 0.7 * bids + 3))
    chart.type = "bar"
    chart.add_data(Reference(sheet, min_col=mean_column, min_row=1, max_row=bids + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=label_column, min_row=2, max_row=bids + 1))
    chart.x_axis.scaling.orientation = "maxMin"  # the best at the top, as the sheet lists them
    chart.y_axis.numFmt = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.legend = None
    return chart
