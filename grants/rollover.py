"""Year end: the rollover that closes one year and opens the next — returning what the pots hold to
the PCC, carrying agreed projects forward, in one go — on the year-end statement it reads first
(grants.reports.year_end)."""

from __future__ import annotations

from grants import clock, ledger, lifecycle
from grants.errors import BadInput, Refused
from grants.models import Bid, FundingYear, YearStatus, id_of
from grants.money import Money, money_fields
from grants.partnerships import clean_text
from grants.permissions import require
from grants.pots import debit_pot, pot_figures, pots_of
from grants.reports.year_end import Statement, closed_statement, preview, project_ends, unspent
from grants.scope import Scope
from grants.years import create_year, find_year, next_label, year_bounds
from workflows.policy import Action


def rollover(
    scope: Scope,
    label: str,
    *,
    to: str | None = None,
    allocation: Money | None = None,
    withdraw_pending: bool = False,
    carry_forward: list[str] | None = None,
    apply: bool = False,
    close_early: bool = False,
    reason: str | None = None,
) -> Statement:
    """Preview (or, with apply, do) the close of a year and the opening of the next.

    Refused before the year's end date, unless `close_early` with a reason (both audited): the
    year's last invoices are recorded while it is open, then it is rolled over."""
    actor = require(scope, Action.rollover)
    early_reason = clean_text(reason or "", "reason", limit=2000, required=False) or None
    if close_early and not early_reason:
        raise BadInput("--close-early needs a --reason, which goes into the audit trail")
    year = find_year(scope, label)
    if year.status == YearStatus.closed:
        return closed_statement(scope, year)
    following = _next_year_label(year, to, allocation)
    next_allocation = allocation or Money(year.allocation_pence)
    statement, pending, carried_bids = preview(
        scope, year, carry=carry_forward or [], withdraw_pending=withdraw_pending, close_early=close_early
    )
    statement.next_allocation = next_allocation
    statement.closed_early = close_early and scope.today < year.ends_on
    statement.early_reason = early_reason if statement.closed_early else None
    if not apply:
        return statement
    if statement.blockers:
        raise Refused(f"{year.label} cannot be rolled over yet: " + "; ".join(statement.blockers))
    actor_id = id_of(actor)
    _close_year(scope, year, statement, pending, carried_bids, actor_id)
    _open_next_year(scope, year, following, next_allocation, carried_bids, actor_id)
    _audit_rollover(scope, year, statement, following, next_allocation)
    statement.applied = True
    statement.pots = pot_figures(scope.session, year)
    statement.projects = project_ends(scope, year, {})
    return statement


def _next_year_label(year: FundingYear, to: str | None, allocation: Money | None) -> str:
    """The label of the year after `year`, checked against --to; and the new allocation checked."""
    following = next_label(year.label)
    if to is not None and to.strip() != following:
        year_bounds(to)
        raise BadInput(f"{year.label} rolls over into {following}, not {to.strip()}")
    if allocation is not None and allocation.pence <= 0:
        raise BadInput(f"the allocation must be more than zero, not {allocation}")
    return following


def _close_year(
    scope: Scope,
    year: FundingYear,
    statement: Statement,
    pending: list[Bid],
    carried_bids: list[Bid],
    actor_id: int,
) -> None:
    """Withdraw the undecided bids, take the carried projects' money out of the year, return what
    the pots hold to the PCC, and close the year."""
    session = scope.session
    withdrawal = f"withdrawn at the rollover of {year.label}: no decision before the year ended"
    for bid in pending:
        lifecycle.fire(scope, bid.reference, "withdraw", reason=withdrawal)
        statement.withdrawn.append(bid.reference)
    following = next_label(year.label)
    for bid in carried_bids:
        if unspent(bid).pence:
            ledger.post(
                session,
                year,
                "carry",
                ledger.award_account(bid.reference),
                ledger.CARRIED,
                unspent(bid),
                actor_id=actor_id,
                on=scope.today,
                reason=f"carried forward into {following}",
                bid_id=bid.id,
            )
    pots = pots_of(session, year)
    for figures in statement.pots:
        if figures.balance.pence:
            debit_pot(session, pots[figures.kind], figures.balance, what="the return")
            returned = ledger.return_movement(figures.kind, year.label, figures.balance.pence)
            ledger.post(
                session,
                year,
                returned.kind,
                returned.from_account,
                returned.to_account,
                figures.balance,
                actor_id=actor_id,
                on=scope.today,
                reason=returned.reason,
            )
    year.status = YearStatus.closed
    year.closed_at = clock.now()
    session.flush()


def _open_next_year(
    scope: Scope,
    year: FundingYear,
    following: str,
    allocation: Money,
    carried_bids: list[Bid],
    actor_id: int,
) -> None:
    """Open the next year with its allocation, and bring the carried projects' money into it."""
    session = scope.session
    starts_on, ends_on = year_bounds(following)
    new_year = create_year(scope, following, starts_on, ends_on, allocation, None, actor_id)
    for bid in carried_bids:
        if unspent(bid).pence:
            ledger.post(
                session,
                new_year,
                "carry",
                ledger.CARRIED,
                ledger.award_account(bid.reference),
                unspent(bid),
                actor_id=actor_id,
                on=max(scope.today, starts_on),
                reason=f"carried forward from {year.label}",
                bid_id=bid.id,
            )
        bid.carried_to_year_id = new_year.id
    session.flush()


def _audit_rollover(
    scope: Scope, year: FundingYear, statement: Statement, following: str, allocation: Money
) -> None:
    scope.audit(
        "year.rollover",
        f"year {year.label}",
        reason=statement.early_reason,
        details={
            "closed_early": statement.closed_early,
            "ends_on": year.ends_on.isoformat(),
            **money_fields("returned", statement.to_return),
            "carried": {ref: amount.pence for ref, amount in statement.carried},
            "withdrawn_bids": statement.withdrawn,
            "next_year": following,
            **money_fields("next_allocation", allocation),
        },
    )
