"""`grants criteria`: the scoring criteria of a year, with their weights."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import JsonFlag, call, console, note, print_json
from cli.render import Grid, folding, whole

criteria_app = typer.Typer(help="Scoring criteria of a year, with their weights.", no_args_is_help=True)


@criteria_app.command("list")
def criteria_list(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List the year's scoring criteria and weights.

    Example: grants criteria list --year 2024/25
    """
    from grants.scoring import criteria_of, descriptors_of
    from grants.years import find_year

    criteria = call(ctx, lambda scope: criteria_of(scope, find_year(scope)), write=False)
    if json_:
        print_json(
            [
                {
                    "key": c.key,
                    "title": c.title,
                    "weight": c.weight,
                    "description": c.description,
                    "descriptors": descriptors_of(c),
                }
                for c in criteria
            ]
        )
        return
    table = Grid(
        [
            whole("Key"),
            folding("Criterion"),
            whole("Weight", right=True),
            folding("What it asks"),
            folding("What 0–5 mean"),
        ],
        title="Scoring criteria",
    )
    for c in criteria:
        meanings = " · ".join(f"{score} {meaning}" for score, meaning in enumerate(descriptors_of(c)))
        table.add_row(c.key, c.title, str(c.weight), c.description, meanings)
    console.print(table)


@criteria_app.command("set")
def criteria_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Criterion key, e.g. fit_pcc.")],
    title: Annotated[str | None, typer.Option(help="Its title.")] = None,
    weight: Annotated[int | None, typer.Option(help="Its weight, 1 to 100.")] = None,
    description: Annotated[str | None, typer.Option(help="What it asks of a bid.")] = None,
) -> None:
    """Add or change a criterion of the year, before scoring begins (officer).

    Example: grants --as kcc-officer criteria set value --weight 20
    """
    from grants.scoring import set_criterion

    criterion, created = call(
        ctx,
        lambda scope: set_criterion(scope, key, title=title, weight=weight, description=description),
        write=True,
    )
    console.print(
        f"{'Added' if created else 'Changed'} {criterion.key}: {criterion.title} (weight {criterion.weight})."
    )


@criteria_app.command("edit")
def criteria_edit(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Criterion key, e.g. fit_pcc.")],
    title: Annotated[str | None, typer.Option(help="Its title.")] = None,
    weight: Annotated[int | None, typer.Option(help="Its weight, 1 to 100.")] = None,
    description: Annotated[str | None, typer.Option(help="What it asks of a bid.")] = None,
    descriptors: Annotated[
        str | None, typer.Option(help="What 0, 1, 2, 3, 4 and 5 mean, separated by '|' ('' clears them).")
    ] = None,
) -> None:
    """Change a criterion of the year while none of its bids is in scoring (officer).

    Example: grants --as kcc-officer criteria edit need --weight 20 --descriptors "None|Poor|Weak|Adequate|Good|Excellent"
    """
    from grants.scoring import set_criterion

    criterion, _ = call(
        ctx,
        lambda scope: set_criterion(
            scope,
            key,
            title=title,
            weight=weight,
            description=description,
            descriptors=descriptors,
            must_exist=True,
        ),
        write=True,
    )
    console.print(f"Changed {criterion.key}: {criterion.title} (weight {criterion.weight}).")


@criteria_app.command("remove")
def criteria_remove(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Criterion key, e.g. value.")],
) -> None:
    """Remove a criterion of the year while none of its bids is in scoring (officer).

    Example: grants --as kcc-officer criteria remove value
    """
    from grants.scoring import remove_criterion

    criterion, year, remaining = call(ctx, lambda scope: remove_criterion(scope, key), write=True)
    console.print(
        f"Removed {criterion.key} ({criterion.title}) from {year.label if year else 'the template'}."
    )
    if remaining != 100:
        note(
            f"The remaining weights sum to {remaining}; a partnership file needs 100 "
            "(`grants criteria edit KEY --weight N`)."
        )


def register(app: typer.Typer) -> None:
    app.add_typer(criteria_app, name="criteria")
