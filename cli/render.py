"""Shared renderings: pots as a table or JSON."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def pots_json(year: Any, figures: list[Any]) -> dict[str, Any]:
    from grants.money import money_fields

    pots = {}
    for f in figures:
        entry: dict[str, Any] = {}
        for name in ("allocated", "committed", "spent", "released", "returned", "uncommitted"):
            entry.update(money_fields(name, getattr(f, name)))
        pots[f.kind.value] = entry
    return {"year": year.label, "status": year.status.value, "pots": pots}


def pots_table(year: Any, figures: list[Any]) -> Table:
    table = Table(title=f"Pots {year.label} ({year.status.value})")
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
