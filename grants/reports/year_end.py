"""The year-end statement, a report: what the year was allocated, awarded and spent, and what is
returned to the PCC or carried forward — final for a closed year, provisional (with what blocks the
rollover) for an open one. The rollover (grants.rollover) closes the year on this statement."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from grants.errors import NotFound, Refused, shown
from grants.models import AuditEvent, Bid, FundingYear, PotKind, YearStatus
from grants.money import Money, money_fields
from grants.pots import PotFigures, pot_figures, pots_json
from grants.scope import Scope
from grants.wording import counted, day_text
from grants.years import find_year, in_year, next_label, project_figures
from workflows.bid_lifecycle import SPENDABLE, WITHDRAWABLE, BidStatus


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


def project_ends(scope: Scope, year: FundingYear, carrying: dict[str, Money]) -> list[ProjectEnd]:
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
        return closed_statement(scope, year)
    statement, _, _ = preview(scope, year, carry=[], withdraw_pending=False)
    return statement


def closed_statement(scope: Scope, year: FundingYear) -> Statement:
    figures = pot_figures(scope.session, year)
    projects = project_ends(scope, year, {})
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


def preview(
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
            f"{year.label} runs until {day_text(year.ends_on)}, {counted(days, 'day')} from "
            f"today ({day_text(today)}); its last invoices may still come (to close it early, give "
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
    carrying = {b.reference: unspent(b) for b in carried_bids}
    figures = pot_figures(session, year)
    statement = Statement(
        year,
        figures,
        project_ends(scope, year, carrying),
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


def unspent(bid: Bid) -> Money:
    """What a carried project takes with it: its award less what it has spent."""
    return Money((bid.award_pence or 0) - bid.spent_pence)
