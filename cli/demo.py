"""`grants demo`: build the demo database and show where it stands."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import console, guarded, note, options


def demo(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Build it here (default: a demo file in your data folder, never your real database)."
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            help="Replace what is already in --db (a finished demo, or other data). A demo left "
            "unfinished by an interrupted build is built again without it."
        ),
    ] = False,
    rollover: Annotated[
        bool, typer.Option(help="Also roll 2024/25 over: return the underspend, open 2025/26.")
    ] = False,
) -> None:
    """Build a demo database replaying the Kent partnership's 2024/25 round — bids, scoring,
    approvals, delivery and spend — then show the year-end statement and the dashboard.

    Example: grants demo --rollover
    """
    from grants.demo import build
    from grants.options import Options

    target = db or options(ctx).db
    quiet = not console.is_terminal
    result = guarded(
        lambda: build(
            target,
            replace=replace,
            rollover=rollover,
            progress=(lambda _: None) if quiet else note,
            notice=note,
        )
    )
    note(f"Demo database: {result.url}")
    from cli.status import status

    ctx.find_root().obj = Options(db=result.url, actor="kcc-officer")
    from cli.common import call
    from cli.yearend import render_statement
    from grants.demo import YEAR
    from grants.reports.year_end import year_end

    render_statement(call(ctx, lambda scope: year_end(scope, YEAR), write=False))
    status(ctx, json_=False)
    note(f"Explore it: grants --db {result.url} --as kcc-officer year show")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
