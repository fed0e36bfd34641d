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
    replace: Annotated[bool, typer.Option(help="Replace what is already in --db.")] = False,
) -> None:
    """Build a demo database replaying the Kent partnership's 2024/25 round, then show its status.

    Example: grants demo
    """
    from grants.demo import build
    from grants.options import Options

    target = db or options(ctx).db
    quiet = not console.is_terminal
    result = guarded(lambda: build(target, replace=replace, progress=(lambda _: None) if quiet else note))
    note(f"Demo database: {result.url}")
    from cli.status import status

    ctx.find_root().obj = Options(db=result.url, actor="kcc-officer")
    from cli.common import call
    from cli.scoring import render_ranking
    from grants.scoring import ranking

    render_ranking(call(ctx, ranking, write=False), "table")
    status(ctx, json_=False)
    note(f"Explore it: grants --db {result.url} --as kcc-officer year show")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
