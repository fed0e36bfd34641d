"""Reports: reconciliation of awards and spend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import (
    JsonFlag,
    WideFlag,
    call,
    check_format,
    console,
    fail,
    json_format,
    print_document,
    print_json,
)
from cli.documents import Meeting, Out, Template, docx_options, paper_note, write_text
from cli.render import Col, Grid, folding, styled, whole
from cli.yearend import render_statement
from grants.wording import counted, verb
from grants.writing.formats import OutputFormat

if TYPE_CHECKING:
    from grants.papers.layout import PaperSummary
    from grants.scope import Scope


report_app = typer.Typer(help="Reports for the treasurer, the partnership and the PCC.", no_args_is_help=True)

FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.csv, OutputFormat.markdown)
Format = Annotated[str, typer.Option("--format", help="table, json, csv or markdown.")]
PROJECT_COLUMNS = (
    "Reference",
    "Title",
    "Status",
    "Award",
    "Spent",
    "Refunded",
    "Released",
    "Remaining",
    "Variance",
    "Last paid",
)
POT_COLUMNS = ("Pot", "Allocated", "Committed", "Spent", "Released", "Returned", "Uncommitted")
# How each project column shows in the table: at a narrow terminal the title, then the variance
# (award less spent) give way, so that every other figure stays whole (--wide keeps them).
PROJECT_TABLE: dict[str, Col] = {
    "Reference": whole("Reference"),
    "Title": folding("Title", drop=1),
    "Status": whole("Status"),
    "Variance": whole("Variance", right=True, drop=2),
    "Last paid": whole("Last paid"),
}
FIGURES = ("allocated", "committed", "spent", "released", "returned", "uncommitted")
PROJECT_MONEY = ("award", "spent", "refunded", "released", "remaining", "variance", "carried")
POT_MONEY = ("allocated", "committed", "spent", "released", "returned", "uncommitted")


def _money_columns(names: tuple[str, ...]) -> list[str]:
    """Each amount in pounds (`1234.56`, what a spreadsheet sums) with its pence beside it."""
    return [column for name in names for column in (name, f"{name}_pence")]


CSV_FIELDS = (
    "line",
    "reference",
    "title",
    "organisation",
    "pot",
    "status",
    *_money_columns(PROJECT_MONEY),
    "payments",
    "refunds",
    "last_payment",
    "carried_from",
    *_money_columns(tuple(name for name in POT_MONEY if name not in PROJECT_MONEY)),
)


def _project_cells(p: Any) -> list[str]:
    return [
        p.reference,
        p.title + (f" (carried from {p.carried_from})" if p.carried_from else ""),
        p.status,
        str(p.award),
        str(p.spent),
        str(p.refunded) if p.refunds else "",
        str(p.released),
        str(p.remaining),
        str(p.variance),
        p.last_payment.isoformat() if p.last_payment else "—",
    ]


def _project_columns(r: Any) -> list[int]:
    """The project columns to show: the refunds only when there are any."""
    refunds = any(p.refunds for p in r.projects)
    return [i for i, c in enumerate(PROJECT_COLUMNS) if refunds or c != "Refunded"]


def _pot_rows(r: Any) -> list[list[str]]:
    rows = [[f.kind.value, *(str(getattr(f, name)) for name in FIGURES)] for f in r.pots]
    rows.append(["year", *(str(r.totals[name]) for name in FIGURES)])
    return rows


# The cells a user typed (a bid's reference, title and organisation, and its status); the
# amounts, in pounds and pence, stay numbers a spreadsheet sums, a minus sign and all.
CSV_TEXT_FIELDS = ("reference", "title", "organisation", "status", "carried_from")


def _csv(r: Any) -> str:
    from grants.money import pounds_text
    from grants.writing.csv_text import csv_text

    def money(figures: dict[str, Any]) -> dict[str, Any]:
        cells: dict[str, Any] = {}
        for name, amount in figures.items():
            cells[name], cells[f"{name}_pence"] = pounds_text(amount), amount.pence
        return cells

    rows: list[dict[str, Any]] = [
        {
            "line": "project",
            **{k: getattr(p, k) for k in CSV_TEXT_FIELDS},
            "pot": p.pot.value,
            **money({name: getattr(p, name) for name in PROJECT_MONEY}),
            "payments": p.payments,
            "refunds": p.refunds,
            "last_payment": p.last_payment.isoformat() if p.last_payment else "",
        }
        for p in r.projects
    ]
    if r.audit_head is not None:
        # The audit head the figures were read at, as a line of its own (reference: COUNT:HASH).
        rows.append({"line": "audit_head", "reference": r.audit_head.anchor})
    for f in [*r.pots, None]:
        figures = {name: r.totals[name] if f is None else getattr(f, name) for name in FIGURES}
        rows.append(
            {
                "line": "year" if f is None else "pot",
                "pot": "" if f is None else f.kind.value,
                **money(figures),
            }
        )
    return csv_text(CSV_FIELDS, rows, escaped=CSV_TEXT_FIELDS)


def _markdown(r: Any) -> str:
    from grants.text import markdown_table as table
    from grants.text import markdown_text

    lines = [f"# Reconciliation {r.year.label} ({r.year.status.value})", "", "## Projects", ""]
    keep = _project_columns(r)
    lines += table(
        tuple(PROJECT_COLUMNS[i] for i in keep), [[_project_cells(p)[i] for i in keep] for p in r.projects]
    )
    lines += ["", "## Pots", ""]
    lines += table(POT_COLUMNS, _pot_rows(r))
    lines += ["", "## Checks", ""]
    lines += [f"- {markdown_text(p.check)}: {markdown_text(p.message)}" for p in r.problems] or [
        "The ledger balances and every cache agrees."
    ]
    from grants.audit_chain import with_head

    return with_head("\n".join(lines) + "\n", r.audit_head)


@report_app.command("reconcile")
def report_reconcile(
    ctx: typer.Context,
    fmt: Format = "table",
    json_: JsonFlag = False,
    wide: WideFlag = False,
) -> None:
    """Reconcile the year: each project's award and spend, the pots, the ledger checks (exit 4 if
    anything does not balance).

    At a narrow terminal the Title, then Variance columns give way; --wide shows every column.

    Example: grants report reconcile --year 2024/25 --format csv
    """
    from grants.reports.reconcile import reconcile

    fmt = check_format(fmt, FORMATS)
    fmt = "json" if json_ else fmt
    r = call(ctx, lambda scope: reconcile(scope), write=False)
    if fmt == "json":
        print_json(r.to_json())
    elif fmt == "csv":
        print_document(_csv(r), "csv")
    elif fmt == "markdown":
        print_document(_markdown(r), "markdown")
    else:
        shown = _project_columns(r)
        projects = Grid(
            [PROJECT_TABLE.get(PROJECT_COLUMNS[i], whole(PROJECT_COLUMNS[i], right=True)) for i in shown],
            title=f"Projects {r.year.label}",
            compact=True,
            wide=wide,
        )
        for p in r.projects:
            cells = _project_cells(p)
            projects.add_row(*(cells[i] for i in shown))
        console.print(projects)
        pots = Grid(
            [whole(column, right=column != "Pot") for column in POT_COLUMNS],
            title=f"Pots {r.year.label} ({r.year.status.value})",
            compact=True,
            wide=wide,
        )
        for row in _pot_rows(r):
            pots.add_row(*row, style="bold" if row[0] == "year" else None)
        console.print(pots)
        for problem in r.problems:
            console.print(styled("[red]✗[/] {}: {}", problem.check, problem.message))
        if not r.problems:
            console.print("The ledger balances and every cache agrees.")
        if r.audit_head is not None:
            console.print(r.audit_head.line(), markup=False)
    if r.problems:
        fail(f"{counted(len(r.problems), 'thing')} {verb(len(r.problems), 'does', 'do')} not balance", 4)


@report_app.command("working-group")
def report_working_group(
    ctx: typer.Context,
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

    fmt = json_format(
        check_format(fmt, (OutputFormat.markdown, OutputFormat.json, OutputFormat.docx)), json_, "markdown"
    )
    docx_options(fmt, out, "working-group-2024-25.docx", meeting=meeting, template=template)
    if fmt == "docx":
        from grants.bids import parse_date
        from grants.papers.working_group import write_working_group

        assert out is not None  # docx_options refused a Word paper without --out

        def work(scope: Scope) -> PaperSummary:
            day = parse_date(meeting, "--meeting") if meeting is not None else None
            return write_working_group(scope, out, label=None, meeting=day, template=template)

        paper_note(call(ctx, work, write=False), out)
        return
    report = call(ctx, lambda scope: working_group_report(scope), write=False)
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
    from grants.reports.action_plan import action_plan

    fmt = json_format(
        check_format(fmt, (OutputFormat.markdown, OutputFormat.json, OutputFormat.csv, OutputFormat.docx)),
        json_,
        "markdown",
    )
    docx_options(fmt, out, "action-plan-2024-25.docx", template=template)
    if fmt == "docx":
        from grants.papers.action_plan import write_action_plan

        assert out is not None  # docx_options refused a Word paper without --out

        summary = call(
            ctx, lambda scope: write_action_plan(scope, out, label=None, template=template), write=False
        )
        paper_note(summary, out)
        return
    plan = call(ctx, lambda scope: action_plan(scope), write=False)
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


@report_app.command("year-end")
def report_year_end(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, json or docx.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="The Word paper to write (docx).")] = None,
    template: Annotated[
        Path | None, typer.Option("--template", help="Start the Word paper from this .docx or .dotx (docx).")
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """The underspend return statement: allocated, awarded, spent, underspend, returned and carried
    forward, per pot and project (provisional while the year is open). As a Word paper for the PCC
    (--format docx): pots with the pot chart, projects, returns, carried-forward projects, audit head.

    Example: grants report year-end --year 2024/25 --format docx --out year-end-2024-25.docx
    """
    fmt = "json" if json_ else check_format(fmt, (OutputFormat.table, OutputFormat.json, OutputFormat.docx))
    docx_options(fmt, out, "year-end-2024-25.docx", out=out if fmt != "docx" else None, template=template)
    if fmt == "docx":
        from grants.papers.year_end import write_year_end

        assert out is not None  # docx_options refused a Word paper without --out

        summary = call(
            ctx, lambda scope: write_year_end(scope, out, label=None, template=template), write=False
        )
        paper_note(summary, out)
        return
    from grants.audit_chain import audit_head
    from grants.reports.year_end import year_end

    s, head = call(
        ctx,
        lambda scope: (year_end(scope), audit_head(scope.session, scope.partnership.id)),
        write=False,
    )
    if fmt == "json":
        print_json({**s.to_json(), "audit_head": head.to_json()})
        return
    render_statement(s)
    console.print(head.line(), markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
