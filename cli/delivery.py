"""Commands for delivery and spend: starting and completing projects, payments, closing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, call, console, print_json

if TYPE_CHECKING:
    pass

delivery_app = typer.Typer(help="Delivering funded projects.", no_args_is_help=True)
Ref = Annotated[str, typer.Argument(help="Bid reference, e.g. CRG-2425-001.")]


def _said(step: Any, json_: bool, sentence: str) -> None:
    if json_:
        print_json(step.to_json())
    else:
        console.print(sentence)


@delivery_app.command("start")
def delivery_start(ctx: typer.Context, reference: Ref, json_: JsonFlag = False) -> None:
    """A funded project starts delivery (its lead organisation or an officer).

    Example: grants --as kcc-officer delivery start CRG-2425-001
    """
    from grants.delivery import start

    step = call(ctx, lambda scope: start(scope, reference), write=True)
    _said(step, json_, f"{step.bid.reference} is in delivery.")


@delivery_app.command("complete")
def delivery_complete(
    ctx: typer.Context,
    reference: Ref,
    outcome: Annotated[str, typer.Option(help="What the project achieved, for the record.")],
    json_: JsonFlag = False,
) -> None:
    """A project has delivered: record its outcome (its lead organisation or an officer).

    Example: grants --as kcc-officer delivery complete CRG-2425-001 --outcome "48 practitioners trained"
    """
    from grants.delivery import complete

    step = call(ctx, lambda scope: complete(scope, reference, outcome), write=True)
    _said(step, json_, f"{step.bid.reference} is delivered; the treasurer closes it with `grants close`.")


def close(ctx: typer.Context, reference: Ref, json_: JsonFlag = False) -> None:
    """Close a delivered project and release its underspend to its pot (treasurer).

    Example: grants --as treasurer close CRG-2425-001
    """
    from grants.delivery import close as do_close

    step = call(ctx, lambda scope: do_close(scope, reference), write=True)
    released = step.released.pence if step.released is not None else 0
    if released and step.bid.carried_to_year_id is not None:
        sentence = (
            f"{step.bid.reference} closed: {step.released} of its award was not spent and goes back "
            "to the PCC (it was carried forward outside this year's allocation)."
        )
    elif released:
        sentence = (
            f"{step.bid.reference} closed: {step.released} of its award was not spent and goes back "
            f"to the {step.bid.pot.value} pot."
        )
    else:
        sentence = f"{step.bid.reference} closed: its award was spent in full."
    _said(step, json_, sentence)


def register(app: typer.Typer) -> None:
    app.add_typer(delivery_app, name="delivery")
    app.command("close")(close)
