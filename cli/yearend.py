"""Year end: `grants rollover`, and the year-end statement that `grants report year-end` shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, call, console, note, print_json
from cli.render import Grid, styled, whole
from grants.wording import counted

if TYPE_CHECKING:
    from grants.reports.year_end import Statement
    from grants.scope import Scope


def render_statement(s: Any) -> None:
    """The year-end statement on the terminal: the pots, the year's dates, the projects, what goes
    back to the PCC and what is carried forward, and what blocks the rollover."""
    state = "provisional, the year is still open" if s.provisional else s.year.status.value
    console.print(styled("[bold]Year-end statement {}[/] ({})", s.year.label, state))
    console.print(_pots_grid(s))
    _print_year_notes(s)
    console.print(_projects_grid(s))
    _print_returns(s)
    for blocker in s.blockers:
        console.print(styled("[yellow]Blocks the rollover:[/] {}", blocker))


def _pots_grid(s: Any) -> Grid:
    pots = Grid(
        [
            whole("Pot"),
            *(
                whole(c, right=True)
                for c in ("Allocated", "Committed", "Free", "Spent", "Released", "Returned")
            ),
        ],
        compact=True,
    )
    for f in s.pots:
        pots.add_row(
            f.kind.value,
            str(f.allocated),
            str(f.committed),
            str(f.free),
            str(f.spent),
            str(f.released),
            str(f.returned),
        )
    return pots


def _print_year_notes(s: Any) -> None:
    """How long the year has left, and whether it was closed early."""
    if s.days_left is not None:
        console.print(
            f"{s.year.label} ends on {s.year.ends_on:%d %B %Y}: "
            + (f"{counted(s.days_left, 'day')} left." if s.days_left else "it has ended.")
        )
    if s.closed_early:
        console.print(
            styled(
                "[yellow]{} was closed early[/]{}",
                s.year.label,
                f": {s.early_reason}" if s.early_reason else ".",
            )
        )


def _projects_grid(s: Any) -> Grid:
    projects = Grid(
        [
            whole("Project"),
            whole("Pot"),
            whole("Status"),
            *(whole(c, right=True) for c in ("Award", "Spent", "Released", "Remaining", "Carried")),
        ],
        compact=True,
    )
    for p in s.projects:
        projects.add_row(
            p.reference + (f" (carried from {p.carried_from})" if p.carried_from else ""),
            p.pot.value,
            p.status.value,
            str(p.award),
            str(p.spent),
            str(p.underspend),
            str(p.remaining),
            str(p.carried),
        )
    return projects


def _print_returns(s: Any) -> None:
    """Money carried in from an earlier year, what goes back to the PCC, and what is carried forward."""
    from grants.money import Money

    if s.carried_in:
        c = s.carried_in_json()
        console.print(
            f"Carried in from an earlier year (outside the allocation): {Money(c['carried_in_pence'])}; "
            f"spent {Money(c['spent_pence'])}, returned {Money(c['returned_pence'])}, carried on "
            f"{Money(c['carried_on_pence'])}, still held {Money(c['held_pence'])}."
        )
    verb = "Returned" if (s.applied or s.already_closed) else "To return"
    console.print(styled("{} to the PCC: [bold]{}[/]", verb, s.to_return))
    if s.carried:
        carried = ", ".join(f"{ref} {amount}" for ref, amount in s.carried)
        total = sum((amount for _, amount in s.carried), Money(0))
        console.print(f"Carried forward into {s.next_label}: {total} ({carried})")


YearToClose = Annotated[str, typer.Argument(help="The year to close, e.g. 2024/25.")]
To = Annotated[str | None, typer.Option("--to", help="The year to open (the next one).")]
Allocation = Annotated[
    str | None, typer.Option(help="The next year's allocation (default: the same as this year's).")
]
WithdrawPending = Annotated[
    bool, typer.Option(help="Withdraw bids still before a decision, with an audited reason.")
]
CarryForward = Annotated[
    list[str] | None,
    typer.Option(help="A project the PCC agreed to carry into the next year; repeat for several."),
]
Apply = Annotated[bool, typer.Option(help="Do it. Without --apply nothing changes.")]
CloseEarly = Annotated[
    bool,
    typer.Option(
        "--close-early",
        "--early",
        help="Close the year before its end date (31 March); needs --reason. Both go into the audit trail.",
    ),
]
EarlyReason = Annotated[str | None, typer.Option(help="Why the year closes early (with --close-early).")]


def rollover(
    ctx: typer.Context,
    year: YearToClose,
    to: To = None,
    allocation: Allocation = None,
    withdraw_pending: WithdrawPending = False,
    carry_forward: CarryForward = None,
    apply: Apply = False,
    close_early: CloseEarly = False,
    reason: EarlyReason = None,
    json_: JsonFlag = False,
) -> None:
    """Close a year: return what the pots hold to the PCC, carry agreed projects forward and open
    the next year (officer). Without --apply it only shows the statement it would make, and how
    many days of the year are left. --apply is refused before the year's end date unless
    --close-early is given with a --reason.

    Example: grants --as kcc-officer rollover 2024/25 --carry-forward CRG-2425-007 --apply
    """
    from grants.money import Money
    from grants.rollover import rollover as do_rollover

    def work(scope: Scope) -> Statement:
        amount = Money.parse(allocation, what="allocation") if allocation is not None else None
        return do_rollover(
            scope,
            year,
            to=to,
            allocation=amount,
            withdraw_pending=withdraw_pending,
            carry_forward=carry_forward,
            apply=apply,
            close_early=close_early,
            reason=reason,
        )

    statement = call(ctx, work, write=apply)
    if json_:
        print_json(statement.to_json())
        return
    _report_rollover(statement)


def _report_rollover(s: Statement) -> None:
    """The statement, and what was done or what to do next."""
    if s.already_closed:
        console.print(
            f"{s.year.label} is already closed"
            + (f" and {s.next_label} is open" if s.next_label else "")
            + "; nothing changed."
        )
        render_statement(s)
        return
    render_statement(s)
    if s.applied:
        if s.withdrawn:
            console.print(f"Withdrew {len(s.withdrawn)} pending bid(s): {', '.join(s.withdrawn)}.")
        console.print(
            f"Closed {s.year.label} and opened {s.next_label} with an allocation of {s.next_allocation}."
        )
    else:
        action = "fix what blocks it, then" if s.blockers else ""
        note(
            f"Nothing has changed. To close {s.year.label} and open {s.next_label} with "
            f"{s.next_allocation}, {action} run it again with --apply."
        )


def register(app: typer.Typer) -> None:
    app.command("rollover")(rollover)
