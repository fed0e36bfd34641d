"""Commands that export the books and the year's figures for others: hledger journal, workbook."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import call, check_format, fail, note, print_document
from cli.documents import Out

export_app = typer.Typer(
    help="Exports: the ledger as an hledger journal, a workbook for the PCC.", no_args_is_help=True
)


@export_app.command("journal")
def export_journal(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: standard output).")
    ] = None,
) -> None:
    """Export the ledger as an hledger journal with year-end balance assertions.

    Every year, or only --year. Example: grants export journal --year 2024/25 --out crg.journal
    """
    from grants.exports.journal import save_journal, write_journal

    if out is None:
        call(ctx, lambda scope: write_journal(scope, sys.stdout), write=False)
        sys.stdout.flush()
        return
    summary = call(ctx, lambda scope: save_journal(scope, out), write=False)
    years = ", ".join(summary.years) or "no year"
    note(
        f"Wrote {summary.entries} ledger entries ({years}) to {out}; check it with `hledger -f {out} check`."
    )


@export_app.command("xlsx")
def export_xlsx(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="The workbook to write, e.g. crg-2024-25.xlsx.")
    ] = None,
) -> None:
    """Export the year as a workbook for the PCC: summary, projects, spend, spend by month and
    scores, with native Excel charts of the pots, of spend by month against the awards and of the
    mean score per bid.

    The year is --year or the open year; scores are those the acting member may see.
    Example: grants --as kcc-officer export xlsx --year 2024/25 --out crg-2024-25.xlsx
    """
    from grants.exports.workbook import save_workbook

    if out is None:
        fail("a workbook is not written to the terminal: give --out FILE, e.g. --out crg-2024-25.xlsx", 2)
    summary = call(ctx, lambda scope: save_workbook(scope, out), write=False)
    note(
        f"Wrote {out}: {summary.year}, {summary.projects} projects, {summary.payments} payments, "
        f"{summary.scored} bids in the ranking."
    )


@export_app.command("360giving")
def export_360giving(
    ctx: typer.Context,
    out: Out = None,
    fmt: Annotated[str, typer.Option("--format", help="json (a data package) or csv.")] = "json",
) -> None:
    """Export the year's awards as 360Giving open data: a JSON data package, or CSV with the
    standard's column titles. Grant ids are 360G-<funder prefix>-<bid reference>.

    Example: grants export 360giving --year 2024/25 --out kcsp-2024-25.json
    """
    from grants.exports.giving360 import FORMATS, package, save_package

    check_format(fmt, FORMATS)
    if out is None:
        print_document(call(ctx, lambda scope: package(scope), write=False).text(fmt), fmt)
        return
    data = call(ctx, lambda scope: save_package(scope, out, fmt), write=False)
    note(f"Wrote {len(data.grants)} grants of {data.year} ({data.total}) to {out} as 360Giving {fmt}.")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
