"""Year end: the underspend return statement, and the rollover that closes one year and opens the
next — returning what the pots hold to the PCC, carrying agreed projects forward, in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select

from grants import ledger, lifecycle
from grants.errors import BadInput, NotFound, Refused
from grants.models import Bid, FundingYear, PotKind, YearStatus
from grants.money import Money, money_fields
from grants.permissions import require
from grants.scope import Scope
from grants.years import PotFigures, create_year, find_year, next_label, pot_figures, pots_of, year_bounds
from workflows.bid_lifecycle import SPENDABLE, WITHDRAWABLE, BidStatus
from workflows.policy import Action

POT_FIGURES = ("allocated", "committed", "spent", "released", "uncommitted", "returned")


@dataclass(frozen=True)
class ProjectEnd:
    """How one awarded project ends the year."""

    reference: str
    title: str
    pot: PotKind
    status: BidStatus
    award: Money
    spent: Money
    underspend: Money  # released back to its pot (at close, cancellation or a variation down)
    carried: Money  # carried forward into the next year

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "title": self.title,
            "pot": self.pot.value,
            "status": self.status.value,
            **money_fields("award", self.award),
            **money_fields("spent", self.spent),
            **money_fields("underspend", self.underspend),
            **money_fields("carried", self.carried),
        }


@dataclass
class Statement:
    """The year-end statement: what was allocated, awarded, spent and is returned or carried."""

    year: FundingYear
    pots: list[PotFigures]
    projects: list[ProjectEnd]
    to_return: Money
    carried: list[tuple[str, Money]]
    blockers: list[str] = field(default_factory=list)
    next_label: str | None = None
    next_allocation: Money | None = None
    applied: bool = False
    already_closed: bool = False
    withdrawn: list[str] = field(default_factory=list)

    @property
    def provisional(self) -> bool:
        return self.year.status == YearStatus.open and not self.applied

    @property
    def carried_total(self) -> Money:
        return sum((amount for _, amount in self.carried), Money(0))

    @property
    def spent(self) -> Money:
        return sum((p.spent for p in self.pots), Money(0))

    def to_json(self) -> dict[str, Any]:
        pots = {}
        for figures in self.pots:
            entry: dict[str, Any] = {}
            for name in POT_FIGURES:
                entry.update(money_fields(name, getattr(figures, name)))
            pots[figures.kind.value] = entry
        data: dict[str, Any] = {
            "year": self.year.label,
            "status": self.year.status.value,
            "provisional": self.provisional,
            "applied": self.applied,
            "already_closed": self.already_closed,
            **money_fields("allocation", Money(self.year.allocation_pence)),
            **money_fields("spent", self.spent),
            **money_fields("to_return", self.to_return),
            **money_fields("carried_forward", self.carried_total),
            "pots": pots,
            "projects": [p.to_json() for p in self.projects],
            "carried": [{"reference": ref, **money_fields("amount", amount)} for ref, amount in self.carried],
            "blockers": self.blockers,
            "withdrawn_bids": self.withdrawn,
        }
        if self.next_label:
            data["next_year"] = self.next_label
            if self.next_allocation is not None:
                data.update(money_fields("next_allocation", self.next_allocation))
        return data


def _projects(scope: Scope, year: FundingYear, carrying: dict[str, Money]) -> list[ProjectEnd]:
    session = scope.session
    account_flows = ledger.flows(session, year.id)
    carried_out = ledger.carried_by_bid(session, year.id)
    rows = session.execute(
        select(Bid).where(Bid.year_id == year.id, Bid.award_pence.is_not(None)).order_by(Bid.sequence)
    ).scalars()
    projects = []
    for bid in rows:
        _, award_out = account_flows.get(ledger.award_account(bid.reference), (0, 0))
        spent_in, _ = account_flows.get(ledger.spent_account(bid.reference), (0, 0))
        carried = carried_out.get(bid.id, 0) or carrying.get(bid.reference, Money(0)).pence
        projects.append(
            ProjectEnd(
                bid.reference,
                bid.title,
                bid.pot,
                bid.status,
                Money(bid.award_pence or 0),
                Money(spent_in),
                Money(award_out - spent_in - carried_out.get(bid.id, 0)),
                Money(carried),
            )
        )
    return projects


def year_end(scope: Scope, label: str | None = None) -> Statement:
    """The underspend return statement: final for a closed year, provisional for an open one."""
    year = find_year(scope, label)
    if year.status == YearStatus.closed:
        return _closed_statement(scope, year)
    statement, _, _ = _preview(scope, year, carry=[], withdraw_pending=False)
    return statement


def _closed_statement(scope: Scope, year: FundingYear) -> Statement:
    figures = pot_figures(scope.session, year)
    projects = _projects(scope, year, {})
    carried = [(p.reference, p.carried) for p in projects if p.carried.pence]
    returned = sum((f.returned for f in figures), Money(0))
    following = scope.session.execute(
        select(FundingYear).where(
            FundingYear.partnership_id == scope.partnership.id, FundingYear.label == next_label(year.label)
        )
    ).scalar_one_or_none()
    return Statement(
        year,
        figures,
        projects,
        returned,
        carried,
        next_label=following.label if following else None,
        next_allocation=Money(following.allocation_pence) if following else None,
        already_closed=True,
    )


def _preview(
    scope: Scope, year: FundingYear, *, carry: list[str], withdraw_pending: bool
) -> tuple[Statement, list[Bid], list[Bid]]:
    """The statement the rollover would make now; and the pending bids and carried projects."""
    session = scope.session
    bids = list(session.execute(select(Bid).where(Bid.year_id == year.id).order_by(Bid.sequence)).scalars())
    wanted = {ref.strip().upper() for ref in carry}
    carried_bids = [b for b in bids if b.reference in wanted]
    unknown = sorted(wanted - {b.reference for b in carried_bids})
    if unknown:
        raise NotFound(f"--carry-forward {', '.join(unknown)}: there is no such bid in {year.label}")
    for bid in carried_bids:
        if bid.status not in SPENDABLE:
            raise Refused(
                f"{bid.reference} is {bid.status.value}: only a funded project, in delivery or delivered "
                "and not yet closed, can be carried forward"
            )
    pending = [b for b in bids if b.status in WITHDRAWABLE]
    unclosed = [b for b in bids if b.status in SPENDABLE and b.reference not in wanted]
    blockers = []
    if pending and not withdraw_pending:
        blockers.append(
            f"{len(pending)} bid{'s' if len(pending) != 1 else ''} still before a decision: "
            f"{', '.join(b.reference for b in pending)} (decide them, or give --withdraw-pending)"
        )
    if unclosed:
        blockers.append(
            f"{len(unclosed)} project{'s' if len(unclosed) != 1 else ''} not closed: "
            f"{', '.join(f'{b.reference} ({b.status.value})' for b in unclosed)} (close them with "
            "`grants close`, or carry them forward with --carry-forward REF when the PCC has agreed)"
        )
    carrying = {b.reference: Money((b.award_pence or 0) - b.spent_pence) for b in carried_bids}
    figures = pot_figures(session, year)
    statement = Statement(
        year,
        figures,
        _projects(scope, year, carrying),
        sum((f.uncommitted for f in figures), Money(0)),
        [(ref, amount) for ref, amount in carrying.items()],
        blockers,
        next_label=next_label(year.label),
    )
    return statement, pending, carried_bids


def rollover(
    scope: Scope,
    label: str,
    *,
    to: str | None = None,
    allocation: Money | None = None,
    withdraw_pending: bool = False,
    carry_forward: list[str] | None = None,
    apply: bool = False,
) -> Statement:
    """Preview (or, with apply, do) the close of a year and the opening of the next."""
    actor = require(scope, Action.rollover)
    year = find_year(scope, label)
    if year.status == YearStatus.closed:
        return _closed_statement(scope, year)
    following = next_label(year.label)
    if to is not None and to.strip() != following:
        year_bounds(to)
        raise BadInput(f"{year.label} rolls over into {following}, not {to.strip()}")
    if allocation is not None and allocation.pence <= 0:
        raise BadInput(f"the allocation must be more than zero, not {allocation}")
    next_allocation = allocation or Money(year.allocation_pence)
    statement, pending, carried_bids = _preview(
        scope, year, carry=carry_forward or [], withdraw_pending=withdraw_pending
    )
    statement.next_allocation = next_allocation
    if not apply:
        return statement
    if statement.blockers:
        raise Refused(f"{year.label} cannot be rolled over yet: " + "; ".join(statement.blockers))

    session = scope.session
    reason = f"withdrawn at the rollover of {year.label}: no decision before the year ended"
    for bid in pending:
        lifecycle.fire(scope, bid.reference, "withdraw", reason=reason)
        statement.withdrawn.append(bid.reference)
    today = scope.today
    for bid in carried_bids:
        amount = Money((bid.award_pence or 0) - bid.spent_pence)
        if amount.pence:
            ledger.post(
                session,
                year,
                "carry",
                ledger.award_account(bid.reference),
                ledger.CARRIED,
                amount,
                actor_id=actor.id,
                on=today,
                reason=f"carried forward into {following}",
                bid_id=bid.id,
            )
    pots = pots_of(session, year)
    for figures in statement.pots:
        if figures.uncommitted.pence:
            ledger.debit_pot(session, pots[figures.kind], figures.uncommitted, what="the return")
            ledger.post(
                session,
                year,
                "return",
                ledger.pot_account(figures.kind),
                ledger.RETURNED,
                figures.uncommitted,
                actor_id=actor.id,
                on=today,
                reason=f"underspend of {year.label} returned to the PCC",
            )
    year.status = YearStatus.closed
    year.closed_at = datetime.now(UTC)
    session.flush()
    starts_on, ends_on = year_bounds(following)
    new_year = create_year(
        scope, following, starts_on, ends_on, next_allocation, Fraction(year.tactical_share), actor.id
    )
    for bid in carried_bids:
        amount = Money((bid.award_pence or 0) - bid.spent_pence)
        if amount.pence:
            ledger.post(
                session,
                new_year,
                "carry",
                ledger.CARRIED,
                ledger.award_account(bid.reference),
                amount,
                actor_id=actor.id,
                on=max(today, starts_on),
                reason=f"carried forward from {year.label}",
                bid_id=bid.id,
            )
        bid.carried_to_year_id = new_year.id
    session.flush()
    scope.audit(
        "year.rollover",
        f"year {year.label}",
        details={
            **money_fields("returned", statement.to_return),
            "carried": {ref: amount.pence for ref, amount in statement.carried},
            "withdrawn_bids": statement.withdrawn,
            "next_year": following,
            **money_fields("next_allocation", next_allocation),
        },
    )
    statement.applied = True
    statement.pots = pot_figures(session, year)
    return statement
