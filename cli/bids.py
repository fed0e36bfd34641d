"""Commands for bids: create, list, show, edit, submit, withdraw, history; open scoring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, WideFlag, call, console, print_json
from cli.render import Card, Grid, folding, styled, whole

if TYPE_CHECKING:
    from grants.bids import BidFields, BidRow
    from grants.models import Bid
    from grants.scope import Scope

# `bid list`: at a narrow terminal the organisation, then the pot give way (--wide keeps them).
BID_LIST_COLUMNS = (
    whole("Reference"),
    folding("Title"),
    folding("Organisation", drop=1),
    folding("Pot", drop=2),
    whole("Requested", right=True),
    whole("State"),
)

bid_app = typer.Typer(help="Bids (business cases) for grant money.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Bid reference, e.g. CRG-2425-001.")]
Priorities = Annotated[list[str] | None, typer.Option(help="Priority key; repeat for several.")]


def _fields(
    title: str | None,
    summary: str | None,
    amount: str | None,
    pot: str | None,
    pcc_priority: list[str] | None,
    csa_priority: list[str] | None,
    outcomes: str | None,
    measures: str | None,
    ends: str | None,
    explanation: str | None,
    contact: str | None,
) -> BidFields:
    from grants.bids import BidFields, parse_date, parse_pot
    from grants.money import Money

    return BidFields(
        title=title,
        summary=summary,
        amount=Money.parse(amount, what="amount") if amount is not None else None,
        pot=parse_pot(pot) if pot is not None else None,
        pcc_priorities=pcc_priority,
        csa_priorities=csa_priority,
        outcomes=outcomes,
        measures=measures,
        delivery_end=parse_date(ends, "delivery end date") if ends is not None else None,
        end_explanation=explanation,
        contact=contact,
    )


@bid_app.command("new")
def bid_new(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="The project's title.")],
    amount: Annotated[str, typer.Option(help="Amount requested, e.g. 6,000.")],
    org: Annotated[str | None, typer.Option(help="Lead organisation key (default: yours).")] = None,
    pot: Annotated[str, typer.Option(help="upfront or tactical.")] = "upfront",
    summary: Annotated[str | None, typer.Option(help="What the project does.")] = None,
    pcc_priority: Priorities = None,
    csa_priority: Priorities = None,
    outcomes: Annotated[str | None, typer.Option(help="The outcomes it aims for.")] = None,
    measures: Annotated[str | None, typer.Option(help="How the outcomes are measured.")] = None,
    ends: Annotated[str | None, typer.Option(help="Delivery end date, YYYY-MM-DD.")] = None,
    explanation: Annotated[str | None, typer.Option(help="Why delivery ends outside the year.")] = None,
    contact: Annotated[str | None, typer.Option(help="Contact member's handle (default: you).")] = None,
    json_: JsonFlag = False,
) -> None:
    """Create a draft bid (a member of the lead organisation, or an officer).

    Example: grants --as wg-police bid new --title "ASB case review training" --amount 6,000
    --pcc-priority asb-and-crime --csa-priority neighbourhood-crime-asb
    """
    from grants.bids import new_bid

    def work(scope: Scope) -> BidRow:
        fields = _fields(
            title,
            summary,
            amount,
            pot,
            pcc_priority,
            csa_priority,
            outcomes,
            measures,
            ends,
            explanation,
            contact,
        )
        bid = new_bid(scope, org, fields)
        from grants.bids import bid_detail

        return bid_detail(scope, bid.reference)[0]

    row: BidRow = call(ctx, work, write=True)
    if json_:
        print_json(row.to_json())
        return
    console.print(f"Created {row.bid.reference} ({row.bid.title}), a draft for {row.organisation.name}.")


@bid_app.command("edit")
def bid_edit(
    ctx: typer.Context,
    reference: Ref,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    amount: Annotated[str | None, typer.Option(help="New amount requested.")] = None,
    pot: Annotated[str | None, typer.Option(help="upfront or tactical.")] = None,
    summary: Annotated[str | None, typer.Option(help="New summary.")] = None,
    pcc_priority: Priorities = None,
    csa_priority: Priorities = None,
    outcomes: Annotated[str | None, typer.Option(help="New outcomes.")] = None,
    measures: Annotated[str | None, typer.Option(help="New measures.")] = None,
    ends: Annotated[str | None, typer.Option(help="New delivery end date, YYYY-MM-DD.")] = None,
    explanation: Annotated[str | None, typer.Option(help="Why delivery ends outside the year.")] = None,
    contact: Annotated[str | None, typer.Option(help="Contact member's handle.")] = None,
) -> None:
    """Edit a bid in draft or clarification (its lead or an officer); every edit is audited.

    Example: grants --as wg-police bid edit CRG-2425-001 --summary "Two days of training"
    """
    from grants.bids import edit_bid

    def work(scope: Scope) -> tuple[Bid, dict[str, Any]]:
        fields = _fields(
            title,
            summary,
            amount,
            pot,
            pcc_priority,
            csa_priority,
            outcomes,
            measures,
            ends,
            explanation,
            contact,
        )
        return edit_bid(scope, reference, fields)

    bid, changes = call(ctx, work, write=True)
    console.print(f"Edited {bid.reference}: {', '.join(name.replace('_', ' ') for name in changes)}.")


@bid_app.command("list")
def bid_list(
    ctx: typer.Context,
    state: Annotated[list[str] | None, typer.Option(help="Only bids in this state; repeatable.")] = None,
    pot: Annotated[str | None, typer.Option(help="Only this pot.")] = None,
    org: Annotated[str | None, typer.Option(help="Only this lead organisation.")] = None,
    json_: JsonFlag = False,
    wide: WideFlag = False,
) -> None:
    """List the year's bids, filtered by state, pot and organisation.

    At a narrow terminal the Organisation, then Pot columns give way; --wide shows every column.

    Example: grants bid list --state scoring --pot upfront
    """
    from grants.bids import list_bids, parse_pot, parse_status

    rows = call(
        ctx,
        lambda scope: list_bids(
            scope,
            statuses=[parse_status(s) for s in state or []],
            pot=parse_pot(pot) if pot else None,
            organisation=org,
        ),
        write=False,
    )
    if json_:
        print_json([row.to_json() for row in rows])
        return
    from grants.money import Money

    table = Grid(BID_LIST_COLUMNS, title=f"Bids ({len(rows)})", wide=wide)
    for row in rows:
        table.add_row(
            row.bid.reference,
            row.bid.title,
            row.organisation.key,
            row.bid.pot.value,
            str(Money(row.bid.amount_requested_pence)),
            row.bid.status.value + (f" (carried from {row.carried_from})" if row.carried_from else ""),
        )
    console.print(table)


@bid_app.command("show")
def bid_show(ctx: typer.Context, reference: Ref, json_: JsonFlag = False, wide: WideFlag = False) -> None:
    """Show everything about a bid and what you may do with it now.

    At a narrow terminal the text folds at words beside the labels; figures and dates are never
    cut, and --wide (or a pipe) prints each value on one line.

    Example: grants --as wg-police bid show CRG-2425-001
    """
    from grants.bids import bid_detail

    row, allowed = call(ctx, lambda scope: bid_detail(scope, reference), write=False)
    data = row.to_json()
    data["you_may"] = allowed
    if json_:
        print_json(data)
        return
    console.print(bid_card(data, allowed, wide=wide))


# The bid card's lines: (label, key in the bid's JSON, whether the value is a figure never cut).
BID_CARD = (
    ("State", "status", True),
    ("Carried forward from", "carried_from", True),
    ("Organisation", "organisation_name", False),
    ("Pot", "pot", True),
    ("Requested", "amount_requested", True),
    ("Award", "award", True),
    ("Summary", "summary", False),
    ("PCC priorities", "pcc_priorities", False),
    ("CSA priorities", "csa_priorities", False),
    ("Outcomes", "outcomes", False),
    ("Measures", "measures", False),
    ("Delivery ends", "delivery_end", True),
    ("Why outside the year", "end_explanation", False),
    ("Contact", "contact", False),
    ("Submitted", "submitted_at", True),
)


def bid_card(data: dict, allowed: list[str], wide: bool = False) -> Card:  # type: ignore[type-arg]
    """A bid as `bid show` prints it: everything it has, and what the viewer may do now."""
    card = Card(styled("[bold]{}[/] — {}", data["reference"], data["title"]), wide=wide)
    for label, key, figure in BID_CARD:
        value = data.get(key)
        if value in (None, "", []):
            continue
        if key == "submitted_at":  # an ISO time in UTC: to the minute on the card
            value = f"{str(value)[:16].replace('T', ' ')} UTC"
        card.add(label, ", ".join(value) if isinstance(value, list) else str(value), whole=figure)
    card.add("You may", ", ".join(allowed) or "nothing now")
    return card


@bid_app.command("submit")
def bid_submit(ctx: typer.Context, reference: Ref) -> None:
    """Submit a draft bid for scoring (its lead or an officer).

    Example: grants --as wg-police bid submit CRG-2425-001
    """
    from grants.lifecycle import submit

    bid = call(ctx, lambda scope: submit(scope, reference), write=True)
    console.print(f"Submitted {bid.reference}; its content is now frozen.")


@bid_app.command("withdraw")
def bid_withdraw(
    ctx: typer.Context,
    reference: Ref,
    reason: Annotated[str, typer.Option(help="Why it is withdrawn.")],
) -> None:
    """Withdraw a bid before it is decided (its lead or an officer).

    Example: grants --as wg-police bid withdraw CRG-2425-008 --reason "Funded elsewhere"
    """
    from grants.lifecycle import withdraw

    bid = call(ctx, lambda scope: withdraw(scope, reference, reason), write=True)
    console.print(f"Withdrew {bid.reference}.")


@bid_app.command("history")
def bid_history(ctx: typer.Context, reference: Ref, json_: JsonFlag = False) -> None:
    """Show a bid's audit events: who moved it, when, from which state to which.

    Example: grants bid history CRG-2425-001
    """
    from grants.audit_reading import audit_events
    from grants.bids import find_bid, subject

    events = call(
        ctx, lambda scope: audit_events(scope, subject(find_bid(scope, reference)), limit=None), write=False
    )
    if json_:
        print_json([e.to_json() for e in events])
        return
    table = Grid(
        [
            whole("When (UTC)"),
            folding("Who"),
            folding("Action"),
            whole("From"),
            whole("To"),
            folding("Reason"),
        ],
        title=f"History of {reference.upper()}",
    )
    for e in events:
        table.add_row(
            e.at[:19].replace("T", " "),
            e.actor,
            e.action,
            e.from_state or "",
            e.to_state or "",
            e.reason or "",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(bid_app, name="bid")
