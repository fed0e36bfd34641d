"""Commands for funding years and their pots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, call, console, print_json
from cli.render import Grid, folding, pots_json, pots_table, styled, whole

if TYPE_CHECKING:
    from grants.models import FundingYear, ReferenceItem
    from grants.pots import PotFigures
    from grants.scope import Scope

year_app = typer.Typer(help="Funding years (UK financial years, e.g. 2024/25).", no_args_is_help=True)


def _year_json(
    year: FundingYear,
    figures: list[PotFigures] | None = None,
    reference: list[ReferenceItem] | None = None,
) -> dict[str, Any]:
    from grants.money import Money, money_fields

    data = {
        "year": year.label,
        "status": year.status.value,
        "starts_on": year.starts_on.isoformat(),
        "ends_on": year.ends_on.isoformat(),
        "tactical_share": year.tactical_share,
        **money_fields("allocation", Money(year.allocation_pence)),
    }
    if figures is not None:
        data["pots"] = pots_json(year, figures)["pots"]
    if reference is not None:
        data["reference"] = [
            {"kind": item.kind.value, "key": item.key, "title": item.title} for item in reference
        ]
    return data


@year_app.command("open")
def year_open(
    ctx: typer.Context,
    label: Annotated[str, typer.Argument(help="The year, e.g. 2024/25.")],
    allocation: Annotated[str, typer.Option(help="The grant for the year, e.g. 39,661 or £39,661.00.")],
    tactical_share: Annotated[
        str | None,
        typer.Option(
            help="Share for the tactical pot this year (default: the partnership's rule, e.g. 1/3)."
        ),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Open a funding year and fund its pots (officer).

    Example: grants --as kcc-officer year open 2024/25 --allocation 39,661
    """
    from grants import pots, years
    from grants.money import Money, parse_share

    def work(scope: Scope) -> tuple[FundingYear, list[PotFigures]]:
        year = years.open_year(
            scope,
            label,
            Money.parse(allocation, what="allocation"),
            parse_share(tactical_share) if tactical_share is not None else None,
        )
        return year, pots.pot_figures(scope.session, year)

    year, figures = call(ctx, work, write=True)
    if json_:
        print_json(_year_json(year, figures))
        return
    console.print(f"Opened {year.label} with an allocation of {figures[0].allocated + figures[1].allocated}.")
    console.print(pots_table(year, figures))


@year_app.command("list")
def year_list(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List the partnership's funding years.

    Example: grants year list
    """
    from grants.years import list_years

    found = call(ctx, list_years, write=False)
    if json_:
        print_json([_year_json(year) for year in found])
        return
    from grants.money import Money

    table = Grid(
        [
            whole("Year"),
            whole("Status"),
            whole("From"),
            whole("To"),
            whole("Allocation", right=True),
            whole("Tactical share"),
        ],
        title="Funding years",
    )
    for y in found:
        table.add_row(
            y.label,
            y.status.value,
            y.starts_on.isoformat(),
            y.ends_on.isoformat(),
            str(Money(y.allocation_pence)),
            y.tactical_share,
        )
    console.print(table)


@year_app.command("show")
def year_show(
    ctx: typer.Context,
    label: Annotated[str | None, typer.Argument(help="The year (default: the open year).")] = None,
    json_: JsonFlag = False,
) -> None:
    """Show a year: dates, allocation, pots and reference data.

    Example: grants year show 2024/25
    """
    from grants import pots, years

    def work(scope: Scope) -> tuple[FundingYear, list[PotFigures], list[ReferenceItem]]:
        year = years.find_year(scope, label)
        return year, pots.pot_figures(scope.session, year), years.reference_items(scope.session, year)

    year, figures, reference = call(ctx, work, write=False)
    if json_:
        print_json(_year_json(year, figures, reference))
        return
    from grants.money import Money

    console.print(
        styled(
            "[bold]{}[/] ({}): {} to {}, allocation {}, tactical share {}",
            year.label,
            year.status.value,
            f"{year.starts_on:%d %B %Y}",
            f"{year.ends_on:%d %B %Y}",
            Money(year.allocation_pence),
            year.tactical_share,
        )
    )
    console.print(pots_table(year, figures))
    from itertools import groupby

    from grants.priorities import KIND_TEXT
    from grants.wording import plural, sentence

    for kind, items in groupby(reference, key=lambda item: item.kind):
        heading = plural(KIND_TEXT[kind])
        table = Grid([whole("Key"), folding("Title")], title=sentence(heading), compact=True)
        for item in items:
            table.add_row(item.key, item.title)
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(year_app, name="year")
