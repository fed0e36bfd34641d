"""`grants priority`: the PCC's priorities, the partnership's priorities and the cross-cutting themes of a year."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import JsonFlag, call, console, print_json

if TYPE_CHECKING:
    from grants.models import ReferenceKind


priority_app = typer.Typer(
    help="The year's PCC priorities, partnership priorities and cross-cutting themes.", no_args_is_help=True
)


Kind = Annotated[str, typer.Argument(help="pcc, partnership or theme.")]


Key = Annotated[str, typer.Argument(help="Its key, e.g. rural-crime.")]


def _kind(text: str) -> ReferenceKind:
    from grants.priorities import parse_kind

    return parse_kind(text)


@priority_app.command("add")
def priority_add(
    ctx: typer.Context,
    kind: Kind,
    key: Key,
    title: Annotated[str, typer.Option(help="Its title.")],
) -> None:
    """Add a priority or theme to the open year (officer).

    Example: grants --as kcc-officer priority add pcc retail-crime --title "Reduce retail crime"
    """
    from grants.priorities import KIND_TEXT, add_priority, year_text

    item, year = call(ctx, lambda scope: add_priority(scope, _kind(kind), key, title), write=True)
    console.print(f"Added {KIND_TEXT[item.kind]} {item.key} ({item.title}) to {year_text(year)}.")


@priority_app.command("edit")
def priority_edit(
    ctx: typer.Context,
    kind: Kind,
    key: Key,
    title: Annotated[str, typer.Option(help="Its new title.")],
) -> None:
    """Change the title of a priority or theme of the open year (officer).

    Example: grants --as kcc-officer priority edit theme mental-health --title "Mental health and wellbeing"
    """
    from grants.priorities import KIND_TEXT, edit_priority

    item, before = call(ctx, lambda scope: edit_priority(scope, _kind(kind), key, title), write=True)
    console.print(f"Changed {KIND_TEXT[item.kind]} {item.key}: {before!r} → {item.title!r}.")


@priority_app.command("retire")
def priority_retire(ctx: typer.Context, kind: Kind, key: Key) -> None:
    """Retire a priority or theme of the open year (officer): new bids cannot choose it, bids that
    chose it keep it, and the next year does not copy it.

    Example: grants --as kcc-officer priority retire pcc day-and-night-economy
    """
    from grants.priorities import KIND_TEXT, retire_priority

    item = call(ctx, lambda scope: retire_priority(scope, _kind(kind), key), write=True)
    console.print(f"Retired {KIND_TEXT[item.kind]} {item.key}; bids that chose it keep it.")


@priority_app.command("list")
def priority_list(
    ctx: typer.Context,
    retired: Annotated[bool, typer.Option("--retired", help="Include retired ones.")] = False,
    json_: JsonFlag = False,
) -> None:
    """List the year's priorities and themes (--year for another year).

    Example: grants priority list --json
    """
    from grants.priorities import KIND_TEXT, kind_name, list_priorities, year_text

    found = call(ctx, lambda scope: list_priorities(scope, retired=retired), write=False)
    if json_:
        print_json(
            [
                {
                    "kind": kind_name(item.kind),
                    "key": item.key,
                    "title": item.title,
                    "retired_on": item.retired_at.date().isoformat() if item.retired_at else None,
                }
                for item in found.items
            ]
        )
        return
    from rich.table import Table

    table = Table(title=f"Priorities and themes of {year_text(found.year)}")
    for column in ("Kind", "Key", "Title", *(("Retired",) if retired else ())):
        table.add_column(column)
    for item in found.items:
        extra = (f"{item.retired_at:%Y-%m-%d}" if item.retired_at else "",) if retired else ()
        table.add_row(KIND_TEXT[item.kind], item.key, item.title, *extra)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(priority_app, name="priority")
