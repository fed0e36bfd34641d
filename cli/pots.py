"""`grants pot`: the upfront and tactical pots of a year, and moving money between them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import JsonFlag, call, console, print_json
from cli.render import gate_line, pots_json, pots_table

if TYPE_CHECKING:
    from grants.budget import Transfer
    from grants.models import FundingYear
    from grants.pots import Gate, PotFigures
    from grants.scope import Scope
    from grants.years import ProjectFigures


Reason = Annotated[str, typer.Option(help="Why; recorded in the audit trail.")]


pot_app = typer.Typer(help="The upfront and tactical pots of a year.", no_args_is_help=True)


@pot_app.command("show")
def pot_show(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """Show each pot of the year (Allocated = Committed + Free; spent, released, returned), and
    the projects carried forward into the year, which are outside its pots.

    Example: grants pot show --year 2024/25 --json
    """
    from grants import pots, years
    from grants.pots import tactical_gate

    def work(scope: Scope) -> tuple[FundingYear, list[PotFigures], Gate, list[ProjectFigures]]:
        year = years.find_year(scope)
        carried = [p for p in years.project_figures(scope.session, year).values() if p.carried_from]
        return year, pots.pot_figures(scope.session, year), tactical_gate(scope.session, year), carried

    year, figures, gate, carried = call(ctx, work, write=False)
    if json_:
        data = pots_json(year, figures, gate)
        data["carried_in"] = [{"reference": p.reference, **p.to_json()} for p in carried]
        print_json(data)
        return
    console.print(pots_table(year, figures))
    console.print(gate_line(gate))
    for p in carried:
        console.print(
            f"Carried forward from {p.carried_from}, outside the pots: {p.reference} — {p.award} carried in, "
            f"{p.spent} spent, {p.released} released, {p.remaining} remaining."
        )


def pot_transfer(
    ctx: typer.Context,
    amount: Annotated[str, typer.Argument(help="How much to move, e.g. 2,000.")],
    source: Annotated[str, typer.Option("--from", help="upfront or tactical.")],
    target: Annotated[str, typer.Option("--to", help="upfront or tactical.")],
    reason: Reason,
    json_: JsonFlag = False,
) -> None:
    """Move uncommitted money from one pot of the year to the other (officer).

    Example: grants --as kcc-officer pot transfer 1,000 --from upfront --to tactical --reason "Upfront underspent"
    """
    from grants.budget import transfer
    from grants.money import Money, money_fields
    from grants.pots import parse_pot_kind

    def work(scope: Scope) -> Transfer:
        return transfer(
            scope,
            Money.parse(amount, what="amount"),
            parse_pot_kind(source),
            parse_pot_kind(target),
            reason,
        )

    moved = call(ctx, work, write=True)
    if json_:
        print_json(
            {
                "year": moved.year.label,
                "from": moved.source.value,
                "to": moved.target.value,
                **money_fields("amount", moved.amount),
            }
        )
        return
    console.print(
        f"Moved {moved.amount} from the {moved.source.value} pot to the {moved.target.value} pot "
        f"of {moved.year.label}."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(pot_app, name="pot")
    pot_app.command("transfer")(pot_transfer)
