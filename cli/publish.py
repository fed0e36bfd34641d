"""Papers and open data for others: the Working Group's update, the action plan, the 360Giving package.

Importing this module adds its commands to `grants report` and `grants export`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import JsonFlag, call, fail, json_format, note, print_document, print_json
from cli.exports import export_app
from cli.reports import report_app
from grants.wording import verb

if TYPE_CHECKING:
    from grants.papers.working_group import PaperSummary
    from grants.scope import Scope

Year = Annotated[str | None, typer.Option("--year", help="The year (default: the open year).")]
Out = Annotated[Path | None, typer.Option("--out", help="Write to this file (default: standard output).")]


def check_format(fmt: str, allowed: tuple[str, ...]) -> str:
    if fmt not in allowed:
        fail(f"--format {fmt!r} is not one of {', '.join(allowed)}", 2)
    return fmt


Meeting = Annotated[
    str | None, typer.Option("--meeting", help="The meeting the paper goes to, YYYY-MM-DD (docx).")
]
Template = Annotated[
    Path | None, typer.Option("--template", help="Start the Word paper from this .docx or .dotx (docx).")
]


def docx_options(fmt: str, target: Path | None, example: str, **docx_only: object) -> None:
    """A Word paper needs --out; --meeting and --template belong to a Word paper only."""
    if fmt == "docx":
        if target is None:
            fail(f"a Word document is not written to the terminal: give --out FILE, e.g. --out {example}", 2)
        return
    given = [f"--{name}" for name, value in docx_only.items() if value is not None]
    if given:
        fail(f"{' and '.join(given)} {verb(len(given), 'belongs', 'belong')} to --format docx", 2)


def write_text(ctx: typer.Context, text: str, out: Path | None) -> None:
    """A text report to standard output, or whole to --out."""
    from grants.writing.files import write_whole

    if out is None:
        print_document(text, "text")
        return
    call(
        ctx,
        lambda scope: write_whole(out, lambda partial: partial.write_text(text, encoding="utf-8")),
        write=False,
    )
    note(f"Wrote {out}.")


def paper_note(summary: PaperSummary, out: Path) -> None:
    note(f"Wrote {out}: {summary.title}, {summary.detail}; {summary.head.text}.")


@report_app.command("working-group")
def report_working_group(
    ctx: typer.Context,
    year: Year = None,
    fmt: Annotated[str, typer.Option("--format", help="markdown, json or docx.")] = "markdown",
    out: Out = None,
    meeting: Meeting = None,
    template: Template = None,
    json_: JsonFlag = False,
) -> None:
    """The Working Group's funding update for the partnership: allocation and split, proposals
    received and recommended (Appendix 1), approvals, the tactical pot and the underspend. As a
    Word paper (--format docx): the header block, Summary, Recommendation, numbered sections and the
    appendix of bids, with the pot chart.

    Example: grants report working-group --format docx --meeting 2024-07-04 --out working-group.docx
    """
    from grants.reports.working_group import working_group_report

    fmt = json_format(check_format(fmt, ("markdown", "json", "docx")), json_, "markdown")
    docx_options(fmt, out, "working-group-2024-25.docx", meeting=meeting, template=template)
    if fmt == "docx":
        from grants.bids import parse_date
        from grants.papers.working_group import write_working_group

        assert out is not None  # docx_options refused a Word paper without --out

        def work(scope: Scope) -> PaperSummary:
            day = parse_date(meeting, "--meeting") if meeting is not None else None
            return write_working_group(scope, out, label=year, meeting=day, template=template)

        paper_note(call(ctx, work, write=False), out)
        return
    report = call(ctx, lambda scope: working_group_report(scope, year), write=False)
    if fmt == "json":
        if out is None:
            print_json(report.to_json())
            return
        import json

        write_text(ctx, json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str) + "\n", out)
    else:
        write_text(ctx, report.to_markdown(), out)


@report_app.command("action-plan")
def report_action_plan(
    ctx: typer.Context,
    year: Year = None,
    fmt: Annotated[str, typer.Option("--format", help="markdown, json, csv or docx.")] = "markdown",
    out: Out = None,
    template: Template = None,
    json_: JsonFlag = False,
) -> None:
    """The funded projects as lines of the Community Safety Agreement action plan: objective,
    actions, measures, timescale, lead agency, award and status. As a Word table (--format docx)
    the funded actions are in purple, the projects awaiting confirmation after them.

    Example: grants report action-plan --format docx --out action-plan-2024-25.docx
    """
    from grants.reports.working_group import action_plan

    fmt = json_format(check_format(fmt, ("markdown", "json", "csv", "docx")), json_, "markdown")
    docx_options(fmt, out, "action-plan-2024-25.docx", template=template)
    if fmt == "docx":
        from grants.papers.working_group import write_action_plan

        assert out is not None  # docx_options refused a Word paper without --out

        summary = call(
            ctx, lambda scope: write_action_plan(scope, out, label=year, template=template), write=False
        )
        paper_note(summary, out)
        return
    plan = call(ctx, lambda scope: action_plan(scope, year), write=False)
    if fmt == "json":
        if out is None:
            print_json(plan.to_json())
            return
        import json

        write_text(ctx, json.dumps(plan.to_json(), indent=2, ensure_ascii=False, default=str) + "\n", out)
    elif fmt == "csv":
        write_text(ctx, plan.to_csv(), out)
    else:
        write_text(ctx, plan.to_markdown(), out)


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
    from grants.exports.giving360 import FORMATS, package, save_package

    check_format(fmt, FORMATS)
    if out is None:
        print_document(call(ctx, lambda scope: package(scope, year), write=False).text(fmt), fmt)
        return
    data = call(ctx, lambda scope: save_package(scope, out, fmt, year), write=False)
    note(f"Wrote {len(data.grants)} grants of {data.year} ({data.total}) to {out} as 360Giving {fmt}.")
