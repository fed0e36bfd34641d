"""`grants status`: the year at a glance."""

from __future__ import annotations

import typer

from cli.common import JsonFlag, call, console, print_json
from cli.render import pots_json, pots_table


def status(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """Show the year's pots at a glance.

    Example: grants status --year 2024/25
    """
    from grants import years

    def work(scope):  # type: ignore[no-untyped-def]
        year = years.find_year(scope)
        return scope.partnership, year, years.pot_figures(scope.session, year)

    partnership, year, figures = call(ctx, work, write=False)
    if json_:
        print_json({"partnership": partnership.slug, **pots_json(year, figures)})
        return
    console.print(f"[bold]{partnership.name}[/] — {year.label} ({year.status.value})")
    console.print(pots_table(year, figures))


def register(app: typer.Typer) -> None:
    app.command("status")(status)
