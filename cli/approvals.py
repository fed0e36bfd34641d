"""Commands for decisions after shortlisting and for moving money between pots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, call, console, print_json

if TYPE_CHECKING:
    from grants.approvals import Decision
    from grants.scope import Scope

Ref = Annotated[str, typer.Argument(help="Bid reference, e.g. CRG-2425-001.")]
Reason = Annotated[str, typer.Option(help="Why; recorded in the audit trail.")]


def _report(decision: Any, json_: bool, sentence: str) -> None:
    if json_:
        print_json(decision.to_json())
        return
    console.print(sentence)


def approve(
    ctx: typer.Context,
    reference: Ref,
    amount: Annotated[
        str | None, typer.Option(help="The OPCC's award, if less than requested (never more).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note for the audit trail.")] = None,
    json_: JsonFlag = False,
) -> None:
    """Approve a bid: the chair approves a shortlisted bid; the OPCC funds a chair-approved one.

    Example: grants --as opcc approve CRG-2425-003 --amount 2,000
    """
    from grants.approvals import approve as do_approve
    from grants.money import Money

    def work(scope: Scope) -> Decision:
        award = Money.parse(amount, what="award") if amount is not None else None
        return do_approve(scope, reference, award, note)

    decision = call(ctx, work, write=True)
    if decision.award is None:
        sentence = f"{decision.bid.reference} approved by the chair; it goes to the OPCC."
    else:
        sentence = f"{decision.bid.reference} funded: an award of {decision.award} is committed."
    _report(decision, json_, sentence)


def reject(ctx: typer.Context, reference: Ref, reason: Reason, json_: JsonFlag = False) -> None:
    """Reject a bid (the chair from shortlisted; the OPCC from chair-approved or clarification).

    Example: grants --as chair reject CRG-2425-004 --reason "Duplicates existing provision"
    """
    from grants.approvals import reject as do_reject

    decision = call(ctx, lambda scope: do_reject(scope, reference, reason), write=True)
    _report(decision, json_, f"{decision.bid.reference} rejected.")


def clarify(
    ctx: typer.Context,
    reference: Ref,
    question: Annotated[str, typer.Option(help="What the OPCC needs to know.")],
    json_: JsonFlag = False,
) -> None:
    """Ask the bid's lead a question before deciding (OPCC); the bid may be edited meanwhile.

    Example: grants --as opcc clarify CRG-2425-002 --question "Which schools take part?"
    """
    from grants.approvals import clarify as do_clarify

    decision = call(ctx, lambda scope: do_clarify(scope, reference, question), write=True)
    _report(
        decision,
        json_,
        f"{decision.bid.reference} is in clarification; the lead answers with `grants answer`.",
    )


def answer(
    ctx: typer.Context,
    reference: Ref,
    text: Annotated[str, typer.Option(help="The answer to the OPCC's question.")],
    json_: JsonFlag = False,
) -> None:
    """Answer the OPCC's question (the lead organisation or an officer); the bid goes back to the OPCC.

    Example: grants --as wg-nhs answer CRG-2425-002 --text "Up to 120 frontline staff"
    """
    from grants.approvals import answer as do_answer

    decision = call(ctx, lambda scope: do_answer(scope, reference, text), write=True)
    _report(decision, json_, f"{decision.bid.reference} answered; it is back with the OPCC.")


def vary(
    ctx: typer.Context,
    reference: Ref,
    amount: Annotated[str, typer.Argument(help="The new award, e.g. 4,500.")],
    reason: Reason,
    json_: JsonFlag = False,
) -> None:
    """Change a funded award up or down (OPCC); never below what is spent.

    Example: grants --as opcc vary CRG-2425-003 2,000 --reason "Smaller venue"
    """
    from grants.approvals import vary as do_vary
    from grants.money import Money

    def work(scope: Scope) -> Decision:
        return do_vary(scope, reference, Money.parse(amount, what="award"), reason)

    decision = call(ctx, work, write=True)
    _report(decision, json_, f"{decision.bid.reference}: the award is now {decision.award}.")


def cancel(ctx: typer.Context, reference: Ref, reason: Reason, json_: JsonFlag = False) -> None:
    """Stop a funded or live project (officer or OPCC) and release what was not spent to its pot.

    Example: grants --as opcc cancel CRG-2425-005 --reason "Provider withdrew"
    """
    from grants.approvals import cancel as do_cancel

    decision = call(ctx, lambda scope: do_cancel(scope, reference, reason), write=True)
    _report(
        decision,
        json_,
        f"{decision.bid.reference} cancelled; {decision.released} released to the {decision.bid.pot.value} pot.",
    )


def end_date(
    ctx: typer.Context,
    reference: Ref,
    ends_on: Annotated[
        str, typer.Argument(metavar="DATE", help="The new delivery end date, e.g. 2025-09-30.")
    ],
    reason: Reason,
    json_: JsonFlag = False,
) -> None:
    """Change a funded project's delivery end date (OPCC), e.g. a project carried forward into the
    next year; audited with the reason.

    Example: grants --as opcc end-date CRG-2425-007 2025-09-30 --reason "Carried forward; runs to September"
    """
    from grants.approvals import change_end
    from grants.bids import parse_date

    change = call(
        ctx, lambda scope: change_end(scope, reference, parse_date(ends_on, "end date"), reason), write=True
    )
    if json_:
        print_json(change.to_json())
        return
    console.print(
        f"{change.bid.reference} now ends on {change.bid.delivery_end:%d %B %Y}"
        + (f" (was {change.before:%d %B %Y})." if change.before else ".")
    )


def register(app: typer.Typer) -> None:
    for command in (approve, reject, clarify, answer, vary, cancel):
        app.command(command.__name__)(command)
    app.command("end-date")(end_date)
