"""Papers and open data for others: the Working Group's update, the action plan, the 360Giving package.

Importing this module adds its commands to `grants report` and `grants export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import call, fail, note, print_document, print_json
from cli.exports import export_app
from cli.reports import report_app

Year = Annotated[str | None, typer.Option("--year", help="The year (default: the open year).")]
Out = Annotated[Path | None, typer.Option("--out", help="Write to this file (default: standard output).")]


def _format(fmt: str, allowed: tuple[str, ...]) -> str:
    if fmt not in allowed:
        fail(f"--format {fmt!r} is not one of {', '.join(allowed)}", 2)
    return fmt


@report_app.command("working-group")
def report_working_group(
    ctx: typer.Context,
    year: Year = None,
    fmt: Annotated[str, typer.Option("--format", help="markdown or json.")] = "markdown",
) -> None:
    """The Working Group's funding update for the partnership: allocation and split, proposals
    received and recommended (Appendix 1), approvals, the tactical pot and the underspend.

    Example: grants report working-group --year 2024/25 > working-group-2024-25.md
    """
    from grants.committee import working_group_report

    _format(fmt, ("markdown", "json"))
    report = call(ctx, lambda scope: working_group_report(scope, year), write=False)
    if fmt == "json":
        print_json(report.to_json())
    else:
        print_document(report.to_markdown(), "markdown")


@report_app.command("action-plan")
def report_action_plan(
    ctx: typer.Context,
    year: Year = None,
    fmt: Annotated[str, typer.Option("--format", help="markdown, json or csv.")] = "markdown",
) -> None:
    """The funded projects as lines of the Community Safety Agreement action plan: objective,
    actions, measures, timescale, lead agency, award and status.

    Example: grants report action-plan --format csv > action-plan-2024-25.csv
    """
    from grants.committee import action_plan

    _format(fmt, ("markdown", "json", "csv"))
    plan = call(ctx, lambda scope: action_plan(scope, year), write=False)
    if fmt == "json":
        print_json(plan.to_json())
    elif fmt == "csv":
        print_document(plan.to_csv(), "csv")
    else:
        print_document(plan.to_markdown(), "markdown")


@export_app.command("360giving")
def export_360giving(
    ctx: typer.Context,
    out: Out = None,
    fmt: Annotated[str, typer.Option("--format", help="json (a data package) or csv.")] = "json",
    year: Year = None,
) -> None:
    """Export the year's awards as 360Giving open data: a JSON data package, or CSV with the
    standard's column titles. Grant ids are 360G-<funder prefix>-<bid reference>.

    Example: grants export 360giving --year 2024/25 --out kcsp-2024-25.json
    """
    from grants.giving360 import FORMATS, package, save_package

    _format(fmt, FORMATS)
    if out is None:
        print_document(call(ctx, lambda scope: package(scope, year), write=False).text(fmt), fmt)
        return
    data = call(ctx, lambda scope: save_package(scope, out, fmt, year), write=False)
    note(f"Wrote {len(data.grants)} grants of {data.year} ({data.total}) to {out} as 360Giving {fmt}.")
