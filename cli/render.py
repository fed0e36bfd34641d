"""Shared renderings: pots as a table or JSON."""

from __future__ import annotations

from typing import Any


def pots_json(year: Any, figures: list[Any], gate: Any = None) -> dict[str, Any]:
    from grants.years import pots_json as figures_json

    data: dict[str, Any] = {"year": year.label, "status": year.status.value, "pots": figures_json(figures)}
    if gate is not None:
        data["tactical_gate"] = gate.to_json()
    return data


def gate_line(gate: Any) -> str:
    """One sentence on the tactical pot's gate."""
    if gate.open:
        return "Tactical pot: [green]open[/] (every upfront bid is decided)."
    return f"Tactical pot: [yellow]closed[/] until every upfront bid is decided; held by {', '.join(gate.held_by)}."


def pots_table(year: Any, figures: list[Any]) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=f"Pots {year.label} ({year.status.value})", box=box.SIMPLE_HEAD, pad_edge=False)
    from grants.money import Money
    from grants.years import POT_FIGURES

    table.add_column("Pot")
    for name in POT_FIGURES:
        table.add_column(name.capitalize(), justify="right")
    for f in figures:
        table.add_row(f.kind.value, *(str(getattr(f, name)) for name in POT_FIGURES))
    if len(figures) > 1:
        table.add_row(
            "total", *(str(sum((getattr(f, name) for f in figures), Money(0))) for name in POT_FIGURES)
        )
    table.caption = "Allocated = Committed + Free (Committed: awards in force, net of releases)"
    return table
