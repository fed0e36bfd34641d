"""`grants spend`: payments on funded projects (the treasurer)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, call, console, err_console, fail, note, print_json
from cli.render import Grid, folding, whole
from grants.wording import counted

if TYPE_CHECKING:
    from collections.abc import Callable

    from grants.scope import Scope
    from grants.spend import ImportResult


Ref = Annotated[str, typer.Argument(help="Bid reference, e.g. CRG-2425-001.")]


spend_app = typer.Typer(help="Payments on funded projects (the treasurer).", no_args_is_help=True)


# A refund's amount is negative, `-150.00`: taken as the amount, not as an unknown option.
@spend_app.command("add", context_settings={"ignore_unknown_options": True})
def spend_add(
    ctx: typer.Context,
    reference: Ref,
    amount: Annotated[
        str,
        typer.Argument(
            help="The payment, e.g. 1,250.00; a refund or credit note is negative: -150.00, (150.00) or 150.00 CR."
        ),
    ],
    date: Annotated[
        str, typer.Option("--date", help="Date paid, 2024-06-30 or 30/06/2024 (a time after it is ignored).")
    ],
    supplier: Annotated[str, typer.Option(help="Who was paid (or, for a refund, who paid back).")],
    invoice: Annotated[str | None, typer.Option(help="The supplier's invoice or credit note number.")] = None,
    json_: JsonFlag = False,
) -> None:
    """Record a payment, or a refund, on a funded project (treasurer); never beyond its award, never
    below nothing spent.

    Example: grants --as treasurer spend add CRG-2425-001 1,250 --date 2024-07-15 --supplier "ASB Help" --invoice INV-104
    Example: grants --as treasurer spend add CRG-2425-001 -150.00 --date 2024-08-01 --supplier "ASB Help" --invoice CN-7
    """
    from grants.spend import add

    payment = call(ctx, lambda scope: add(scope, reference, amount, date, supplier, invoice), write=True)
    if json_:
        print_json(payment.to_json())
        return
    day = f"{payment.paid_on:%d %B %Y}"
    if payment.amount.pence < 0:
        console.print(
            f"Refund of {-payment.amount} from {payment.supplier} on {day} for {payment.reference} recorded."
        )
    else:
        console.print(f"Paid {payment.amount} to {payment.supplier} on {day} for {payment.reference}.")
    if payment.warning:
        note(f"Warning: {payment.warning}")


@spend_app.command("list")
def spend_list(
    ctx: typer.Context,
    reference: Annotated[
        str | None,
        typer.Argument(
            help="A bid's reference, for all its payments (default: the payments dated in the year)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many, newest first (0: all).")] = 200,
    json_: JsonFlag = False,
) -> None:
    """List payments and refunds, of one project or of the year.

    Example: grants spend list CRG-2425-001
    """
    from grants.spend import list_spend

    if limit < 0:
        fail("--limit must be 0 (all) or more", 2)
    found = call(ctx, lambda scope: list_spend(scope, reference, limit), write=False)
    if json_:
        print_json(
            {
                "count": found.count,
                "total_pence": found.total.pence,
                "total": str(found.total),
                "refunds": found.refunds,
                "refunded_pence": found.refunded.pence,
                "refunded": str(found.refunded),
                "payments": [p.to_json() for p in found.payments],
            }
        )
        return
    table = Grid(
        [
            whole("Date"),
            whole("Reference"),
            folding("Kind"),
            folding("Supplier"),
            folding("Invoice"),
            whole("Amount", right=True),
        ],
        title=f"Payments{' of ' + reference.upper() if reference else ''}",
    )
    for p in found.payments:
        table.add_row(p.paid_on.isoformat(), p.reference, p.kind, p.supplier, p.invoice or "", str(p.amount))
    console.print(table)
    shown = len(found.payments)
    more = f" (showing the newest {shown}; --limit 0 shows all)" if shown < found.count else ""
    refunds = f", after {counted(found.refunds, 'refund')} of {found.refunded}" if found.refunds else ""
    console.print(f"{counted(found.count, 'payment')}, {found.total} in all{refunds}{more}.")


# The options of `spend import`.
ExportFile = Annotated[Path, typer.Argument(help="A finance-system export, CSV or .xlsx, with a header row.")]
ColumnNames = Annotated[
    list[str] | None,
    typer.Option(
        help='Another system\'s column name for a field, e.g. --column date="Posting Date", '
        "--column reference=Narrative (the reference may sit anywhere in that column's text)."
    ),
]
SkipUnmatched = Annotated[
    bool,
    typer.Option(
        help="Import the lines that name a grant project and skip the rest (other cost centres), "
        "reporting how many and their total."
    ),
]
Encoding = Annotated[
    str | None,
    typer.Option(help="The CSV's text encoding, e.g. cp1252 (default: detect UTF-8, UTF-16, Windows-1252)."),
]
Sheet = Annotated[
    str | None, typer.Option(help="The sheet of an .xlsx workbook to read (default: the first).")
]
DryRun = Annotated[bool, typer.Option(help="Check the file and report; import nothing.")]


@spend_app.command("import")
def spend_import(
    ctx: typer.Context,
    file: ExportFile,
    column: ColumnNames = None,
    skip_unmatched: SkipUnmatched = False,
    encoding: Encoding = None,
    sheet: Sheet = None,
    dry_run: DryRun = False,
    json_: JsonFlag = False,
) -> None:
    """Import payments and refunds from a finance-system export (treasurer).

    The columns are date, reference, amount, supplier and invoice (--column names others). A refund
    or credit note is a negative amount: -150.00, -£150.00, (150.00) or 150.00 CR. Every line is
    checked first; one bad line and nothing is imported, with every bad line listed. A line that
    names no grant project is listed too, unless --skip-unmatched. Lines already imported (the same
    bid, invoice, amount and date) are skipped, so running an import twice is safe, even after a
    project in it has closed.

    Example: grants --as treasurer spend import payments-2024-07.csv --dry-run
    Example: grants --as treasurer spend import ledger.xlsx --column reference=Narrative --skip-unmatched
    """
    from grants.errors import GrantsError
    from grants.spend import BadImport, import_spend, parse_columns

    def run(scope: Scope, progress: Callable[[int], None] | None = None) -> ImportResult:
        return import_spend(
            scope,
            file,
            parse_columns(column),
            dry_run=dry_run,
            skip_unmatched=skip_unmatched,
            encoding=encoding,
            sheet=sheet,
            progress=progress,
        )

    try:
        result = call(
            ctx,
            lambda scope: _with_progress(file, json_, scope, run),
            write=True,
            bulk=True,
            # With --json every refusal is shown here, as JSON too: a script reads one shape.
            passthrough=(GrantsError,) if json_ else (BadImport,),
        )
    except GrantsError as error:
        _bad_rows(error, json_)
        raise typer.Exit(error.exit_code) from None
    if json_:
        print_json(result.to_json())
    else:
        _say_imported(result)


def _with_progress(file: Path, json_: bool, scope: Scope, run: Callable[..., ImportResult]) -> ImportResult:
    """Run the import with a progress bar over the file's bytes, on a terminal."""
    if not err_console.is_terminal or json_:
        return run(scope)
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    size = file.stat().st_size if file.is_file() else 0
    with Progress(
        TextColumn("{task.description}", style="progress.description", markup=False),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"Reading {file.name}", total=size)
        return run(scope, lambda at: bar.update(task, completed=at))


def _say_imported(result: ImportResult) -> None:
    """What an import did (or would do): counts, totals, refunds, skipped lines, late warnings."""
    verb = "Would import" if result.dry_run else "Imported"
    refunds = f" (after {counted(result.refunds, 'refund')} of {result.refunded})" if result.refunds else ""
    unmatched = (
        f"; skipped {counted(result.unmatched, 'line')} naming no grant "
        f"project, {result.unmatched_total} in all"
        if result.unmatched
        else ""
    )
    read_as = f" (read as {result.read_as})" if result.read_as else ""
    console.print(
        f"{verb} {counted(result.imported, 'payment')} worth "
        f"{result.total}{refunds} from {result.file_name}{read_as}; skipped {result.skipped:,} already "
        f"imported{unmatched} ({counted(result.rows, 'row')} read)."
    )
    if result.warnings:
        from cli.render import styled

        err_console.print(
            styled(
                "[yellow]Warning:[/] {} line(s) dated after their project's end date were taken:",
                len(result.warnings) + result.more_warnings,
            )
        )
        for row in result.warnings:
            err_console.print(f"  line {row.line}: {row.reason}", soft_wrap=True)
        if result.more_warnings:
            err_console.print(f"  … and {result.more_warnings} more", soft_wrap=True)
    if result.dry_run:
        note("Dry run: nothing was imported.")


def _bad_rows(error: Any, json_: bool) -> None:
    """A refused import: its message and every bad row listed (a file refused as a whole, for a
    column named twice, say, has none), on stderr, and with --json on stdout as well."""
    bad, more = getattr(error, "bad", []), getattr(error, "more", 0)
    if json_:
        print_json(
            {
                "error": str(error),
                "bad_rows": [row.to_json() for row in bad],
                "more_bad_rows": more,
                "unmatched": getattr(error, "unmatched", 0),
            }
        )
    from cli.render import styled

    err_console.print(styled("[bold red]Error:[/] {}", error), soft_wrap=True)
    for row in bad:
        err_console.print(f"  line {row.line}: {row.reason}", soft_wrap=True)
    if more:
        err_console.print(f"  … and {more} more bad rows", soft_wrap=True)
    if bad or more:
        err_console.print("Correct the file and import it again.")


def register(app: typer.Typer) -> None:
    app.add_typer(spend_app, name="spend")
