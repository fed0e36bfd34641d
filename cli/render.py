"""Shared renderings: pots as a table or JSON."""

from __future__ import annotations

from typing import Any


def pots_json(year: Any, figures: list[Any], gate: Any = None) -> dict[str, Any]:
    from grants.money import money_fields

    pots = {}
    for f in figures:
        entry: dict[str, Any] = {}
        for name in ("allocated", "committed", "spent", "released", "returned", "uncommitted"):
            entry.update(money_fields(name, getattr(f, name)))
        pots[f.kind.value] = entry
    data: dict[str, Any] = {"year": year.label, "status": year.status.value, "pots": pots}
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
    table.add_column("Pot")
    for column in ("Allocated", "Committed", "Spent", "Released", "Returned", "Uncommitted"):
        table.add_column(column, justify="right")
    for f in figures:
        table.add_row(
            f.kind.value,
            *(
                str(getattr(f, name))
                for name in ("allocated", "committed", "spent", "released", "returned", "uncommitted")
            ),
        )
    return table
