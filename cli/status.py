"""`grants status`: the dashboard of the year."""

from __future__ import annotations

from typing import Any

import typer

from cli.common import JsonFlag, call, console, print_json
from cli.render import Grid, gate_line, styled, whole

BAR = 24


def pot_bar(f: Any) -> Any:
    """Spent (solid), committed and not yet spent (shaded), free (light), out of its allocation
    (Allocated = Committed + Free)."""
    whole = f.allocated.pence
    if whole <= 0:
        return styled("[dim]{}[/]", "░" * BAR)
    spent = min(BAR, f.spent.pence * BAR // whole)
    committed = min(BAR - spent, max(0, (f.committed.pence - f.spent.pence) * BAR // whole))
    free = BAR - spent - committed
    return styled("[green]{}[/][yellow]{}[/][dim]{}[/]", "█" * spent, "▓" * committed, "░" * free)


def status(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """Show the year at a glance: each pot's money, bids by state, the tactical gate and warnings.

    Example: grants status --year 2024/25
    """
    from grants.dashboard import dashboard

    board = call(ctx, dashboard, write=False)
    if json_:
        print_json(board.to_json())
        return
    console.print(
        styled("[bold]{}[/] — {} ({})", board.partnership.name, board.year.label, board.year.status.value)
    )
    pots = Grid(
        [
            whole("Pot"),
            *(whole(column, right=True) for column in ("Allocated", "Committed", "Spent", "Free")),
            whole("█ spent ▓ committed ░ free"),
        ],
        compact=True,
    )
    for f in board.pots:
        pots.add_row(f.kind.value, str(f.allocated), str(f.committed), str(f.spent), str(f.free), pot_bar(f))
    console.print(pots)
    console.print(gate_line(board.gate))
    if board.by_state:
        states = ", ".join(f"{count} {state.value}" for state, count in board.by_state.items())
        console.print(f"Bids: {states}.")
    else:
        console.print("No bids yet.")
    for ref, state, source in board.carried_in:
        console.print(f"Carried forward from {source}: {ref} ({state.value}).")
    for warning in board.warnings:
        console.print(styled("[yellow]![/] {}", warning), soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
