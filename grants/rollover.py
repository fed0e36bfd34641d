"""Year end: the underspend return statement, and the rollover that closes one year and opens the
next — returning what the pots hold to the PCC, carrying agreed projects forward, in one go."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from grants import clock, ledger, lifecycle
from grants.errors import BadInput, NotFound, Refused, shown
from grants.models import AuditEvent, Bid, FundingYear, PotKind, YearStatus, id_of
from grants.money import Money, money_fields
from grants.partnerships import clean_text
from grants.permissions import require
from grants.pots import PotFigures, debit_pot, pot_figures, pots_json, pots_of
from grants.scope import Scope
from grants.wording import counted
from grants.years import create_year, find_year, in_year, next_label, project_figures, year_bounds
from workflows.bid_lifecycle import SPENDABLE, WITHDRAWABLE, BidStatus
from workflows.policy import Action


@dataclass(frozen=True)
class ProjectEnd:
    """How one project in the year's books ends it: Award = Spent + Released + Remaining, where
    Remaining is still held, or carried forward (`carried`, part of it)."""

    reference: str
    title: str
    pot: PotKind
    status: BidStatus
    award: Money
    spent: Money
    underspend: Money  # released back (at close, cancellation or a variation down)
    carried: Money  # carried forward into the next year (or, in a preview, to be carried)
    carried_from: str | None = None  # carried forward into this year from that one

    @property
    def remaining(self) -> Money:
        return self.award - self.spent - self.underspend

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "title": self.title,
            "pot": self.pot.value,
            "status": self.status.value,
            "carried_from": self.carried_from,
            **money_fields("award", self.award),
            **money_fields("spent", self.spent),
            **money_fields("released", self.underspend),
            **money_fields("underspend", self.underspend),
            **money_fields("remaining", self.remaining),
            **money_fields("carried", self.carried),
        }


@dataclass
class Statement:
    """The year-end statement: what was allocated, awarded, spent and is returned or carried.

    Its totals are of the year's own allocation (Allocation = Spent + Returned + Carried once the
    year is closed); projects carried in from the year before are outside it and summed apart
    (Carried in = Spent + Returned + Carried on + still held)."""

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
    today: date | None = None
    closed_early: bool = False
    early_reason: str | None = None

    @property
    def provisional(self) -> bool:
        return self.year.status == YearStatus.open and not self.applied

    @property
    def days_left(self) -> int | None:
        """Days from today to the year's end date (0 on it or after); None for a closed year."""
        if self.today is None or not self.provisional:
            return None
        return max(0, (self.year.ends_on - self.today).days)

    @property
    def own(self) -> list[ProjectEnd]:
        return [p for p in self.projects if p.carried_from is None]

    @property
    def carried_in(self) -> list[ProjectEnd]:
        return [p for p in self.projects if p.carried_from is not None]

    @property
    def carried_total(self) -> Money:
        """Carried forward out of the year's own allocation."""
        return sum((p.carried for p in self.own), Money(0))

    @property
    def spent(self) -> Money:
        return sum((p.spent for p in self.pots), Money(0))

    def carried_in_json(self) -> dict[str, Any]:
        projects = self.carried_in

        def total(name: str) -> Money:
            return sum((getattr(p, name) for p in projects), Money(0))

        return {
            **money_fields("carried_in", total("award")),
            **money_fields("spent", total("spent")),
            **money_fields("returned", total("underspend")),
            **money_fields("carried_on", total("carried")),
            **money_fields("held", total("remaining") - total("carried")),
            "projects": [p.reference for p in projects],
        }

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "year": self.year.label,
            "status": self.year.status.value,
            "provisional": self.provisional,
            "applied": self.applied,
            "already_closed": self.already_closed,
            "ends_on": self.year.ends_on.isoformat(),
            "days_left": self.days_left,
            "closed_early": self.closed_early,
            **money_fields("allocation", Money(self.year.allocation_pence)),
            **money_fields("spent", self.spent),
            **money_fields("to_return", self.to_return),
            **money_fields("returned", self.to_return),
            **money_fields("carried_forward", self.carried_total),
            "pots": pots_json(self.pots),
            "projects": [p.to_json() for p in self.projects],
            "carried": [{"reference": ref, **money_fields("amount", amount)} for ref, amount in self.carried],
            "carried_in": self.carried_in_json(),
            "blockers": self.blockers,
            "withdrawn_bids": self.withdrawn,
        }
        if self.early_reason:
            data["early_reason"] = self.early_reason
        if self.next_label:
            data["next_year"] = self.next_label
            if self.next_allocation is not None:
                data.update(money_fields("next_allocation", self.next_allocation))
        return data


def _projects(scope: Scope, year: FundingYear, carrying: dict[str, Money]) -> list[ProjectEnd]:
    """Every project in the year's books, its own and those carried into it, from the ledger."""
    session = scope.session
    figures = project_figures(session, year)
    bids = {bid.id: bid for bid in session.execute(select(Bid).where(Bid.id.in_(list(figures)))).scalars()}
    projects = []
    for bid_id, line in figures.items():
        bid = bids[bid_id]
        projects.append(
            ProjectEnd(
                bid.reference,
                bid.title,
                bid.pot,
                bid.status,
                line.award,
                line.spent,
                line.released,
                line.carried if line.carried.pence else carrying.get(bid.reference, Money(0)),
                line.carried_from,
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
    following = scope.session.execute(
        select(FundingYear).where(
            FundingYear.partnership_id == scope.partnership.id, FundingYear.label == next_label(year.label)
        )
    ).scalar_one_or_none()
    closed_early = scope.session.execute(
        select(AuditEvent.details).where(
            AuditEvent.partnership_id == scope.partnership.id,
            AuditEvent.action == "year.rollover",
            AuditEvent.subject == f"year {year.label}",
        )
    ).scalar_one_or_none()
    early = json.loads(closed_early or "{}").get("closed_early", False)
    return Statement(
        year,
        figures,
        projects,
        sum((f.free for f in figures), Money(0)),
        carried,
        next_label=following.label if following else None,
        next_allocation=Money(following.allocation_pence) if following else None,
        already_closed=True,
        closed_early=bool(early),
    )


def _preview(
    scope: Scope, year: FundingYear, *, carry: list[str], withdraw_pending: bool, close_early: bool = False
) -> tuple[Statement, list[Bid], list[Bid]]:
    """The statement the rollover would make now; and the pending bids and carried projects."""
    session = scope.session
    # The year's bids and the projects carried into it: they end this year like its own.
    bids = list(
        session.execute(select(Bid).where(in_year(year.id)).order_by(Bid.year_id, Bid.sequence)).scalars()
    )
    # Found whatever its case; named as the user typed it when there is no such bid.
    wanted = {ref.strip().upper(): ref for ref in carry}
    carried_bids = [b for b in bids if b.reference in wanted]
    known = {b.reference for b in carried_bids}
    unknown = [shown(typed) for key, typed in wanted.items() if key not in known]
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
    today = scope.today
    if today < year.ends_on and not close_early:
        days = (year.ends_on - today).days
        blockers.append(
            f"{year.label} runs until {_day(year.ends_on)}, {counted(days, 'day')} from "
            f"today ({_day(today)}); its last invoices may still come (to close it early, give "
            "--close-early with --reason)"
        )
    if pending and not withdraw_pending:
        blockers.append(
            f"{counted(len(pending), 'bid')} still before a decision: "
            f"{', '.join(b.reference for b in pending)} (decide them, or give --withdraw-pending)"
        )
    if unclosed:
        blockers.append(
            f"{counted(len(unclosed), 'project')} not closed: "
            f"{', '.join(_unclosed(b, year) for b in unclosed)} (close them with "
            "`grants close`, or carry them forward with --carry-forward REF when the PCC has agreed)"
        )
    carrying = {b.reference: _unspent(b) for b in carried_bids}
    figures = pot_figures(session, year)
    statement = Statement(
        year,
        figures,
        _projects(scope, year, carrying),
        sum((f.balance for f in figures), Money(0)),
        [(ref, amount) for ref, amount in carrying.items()],
        blockers,
        next_label=next_label(year.label),
        today=today,
    )
    return statement, pending, carried_bids


def _unclosed(bid: Bid, year: FundingYear) -> str:
    carried = " carried forward into this year" if bid.year_id != year.id else ""
    return f"{bid.reference} ({bid.status.value}{carried})"


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


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
        return _closed_statement(scope, year)
    following = _next_year_label(year, to, allocation)
    next_allocation = allocation or Money(year.allocation_pence)
    statement, pending, carried_bids = _preview(
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
    statement.projects = _projects(scope, year, {})
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


def _unspent(bid: Bid) -> Money:
    """What a carried project takes with it: its award less what it has spent."""
    return Money((bid.award_pence or 0) - bid.spent_pence)


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
        if _unspent(bid).pence:
            ledger.post(
                session,
                year,
                "carry",
                ledger.award_account(bid.reference),
                ledger.CARRIED,
                _unspent(bid),
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
        if _unspent(bid).pence:
            ledger.post(
                session,
                new_year,
                "carry",
                ledger.CARRIED,
                ledger.award_account(bid.reference),
                _unspent(bid),
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
