"""Integrity commands: `check` and the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import JsonFlag, call, console, fail, print_json
from cli.render import Grid, folding, styled, whole
from grants.wording import counted

audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


def check(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """Check the ledger, the cached balances and the audit chain; exit 4 on any problem.

    Example: grants check
    """
    from grants.checks import run_checks

    problems = call(ctx, lambda scope: run_checks(scope.session, scope.partnership), write=False)
    if json_:
        print_json({"ok": not problems, "problems": [p.to_json() for p in problems]})
    elif not problems:
        console.print(
            "All checks passed: the ledger balances, the caches agree and the audit chain verifies."
        )
    else:
        for p in problems:
            console.print(styled("[red]✗[/] {}: {}", p.check, p.message))
    if problems:
        fail(f"{counted(len(problems), 'integrity problem')} found", 4)


@audit_app.command("log")
def audit_log(
    ctx: typer.Context,
    subject: Annotated[
        str | None, typer.Argument(help="Only events about this (e.g. a bid reference).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many, newest last.")] = 50,
    json_: JsonFlag = False,
) -> None:
    """Show audit events, newest last.

    Example: grants audit log --limit 20
    """
    from grants.audit_reading import audit_events

    events = call(ctx, lambda scope: audit_events(scope, subject, limit), write=False)
    if json_:
        print_json([e.to_json() for e in events])
        return
    table = Grid(
        [
            whole("#", right=True),
            whole("When (UTC)"),
            folding("Who"),
            folding("Action"),
            whole("Subject"),
            whole("From"),
            whole("To"),
            folding("Reason"),
        ],
        title="Audit log",
    )
    for e in events:
        table.add_row(
            str(e.seq),
            e.at[:19].replace("T", " "),
            e.actor,
            e.action,
            e.subject,
            e.from_state or "",
            e.to_state or "",
            e.reason or "",
        )
    console.print(table)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            help="An audit head recorded elsewhere (COUNT:HASH, as reports print it): prove the chain "
            "still contains it, so it was not rewritten since.",
        ),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Recompute the audit chain and the seals of the rows it binds; name what is broken (exit 4).

    With --anchor, give an audit head printed earlier (COUNT:HASH, such as 139:3f2a9c1b7d4e, from
    a report kept elsewhere) to prove the chain still contains it.

    Example: grants audit verify
    """
    from grants.audit_reading import verify

    result = call(ctx, lambda scope: verify(scope, anchor), write=False)
    if json_:
        print_json(result.to_json())
    elif result.ok:
        console.print(f"The audit chain verifies: {result.events} events.", markup=False)
        if result.anchor is not None:
            console.print(
                f"It contains the anchor {result.anchor.count}:{result.anchor.hash}: the books were "
                "not rewritten since that head was recorded.",
                markup=False,
            )
        console.print(result.head.line(), markup=False)
    else:
        for problem in result.problems:
            console.print(styled("[red]✗[/] {}", problem.message))
    if not result.ok:
        fail(result.problems[0].message, 4)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.add_typer(audit_app, name="audit")
