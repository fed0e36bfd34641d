"""`grants status`: the year at a glance."""

from __future__ import annotations

import typer

from cli.common import JsonFlag, call, console, print_json
from cli.render import gate_line, pots_json, pots_table


def status(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """Show the year's pots at a glance, and whether the tactical pot is open.

    Example: grants status --year 2024/25
    """
    from grants import years
    from grants.budget import tactical_gate

    def work(scope):  # type: ignore[no-untyped-def]
        year = years.find_year(scope)
        gate = tactical_gate(scope.session, year)
        return scope.partnership, year, years.pot_figures(scope.session, year), gate

    partnership, year, figures, gate = call(ctx, work, write=False)
    if json_:
        print_json({"partnership": partnership.slug, **pots_json(year, figures, gate)})
        return
    console.print(f"[bold]{partnership.name}[/] — {year.label} ({year.status.value})")
    console.print(pots_table(year, figures))
    console.print(gate_line(gate))


def register(app: typer.Typer) -> None:
    app.command("status")(status)
