"""`grants status`: the year at a glance — pots, bids by state, and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from grants.models import Bid, FundingYear, Organisation, Partnership, YearStatus
from grants.money import Money
from grants.pots import Gate, PotFigures, pot_figures, pots_json, tactical_gate
from grants.scope import Scope
from grants.wording import counted
from grants.years import carried_into, find_year, in_year, money_year_id
from workflows.bid_lifecycle import LIVE, BidStatus

# Money still uncommitted this close to the year's end deserves a warning.
MONTHS_WARNING = 3


@dataclass
class Dashboard:
    partnership: Partnership
    year: FundingYear
    today: date
    pots: list[PotFigures]
    gate: Gate
    by_state: dict[BidStatus, int]
    warnings: list[str] = field(default_factory=list)
    # Projects carried forward into this year: (reference, state, the year they came from).
    carried_in: list[tuple[str, BidStatus, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "partnership": self.partnership.slug,
            "year": self.year.label,
            "status": self.year.status.value,
            "today": self.today.isoformat(),
            "pots": pots_json(self.pots),
            "tactical_gate": self.gate.to_json(),
            "bids_by_state": {state.value: count for state, count in self.by_state.items()},
            "carried_in": [
                {"reference": ref, "status": state.value, "carried_from": source}
                for ref, state, source in self.carried_in
            ],
            "warnings": self.warnings,
        }


def months_left(today: date, ends_on: date) -> int:
    """Whole calendar months from today's month to the year's last month, counting both."""
    return max(0, (ends_on.year - today.year) * 12 + ends_on.month - today.month + 1)


def dashboard(scope: Scope, label: str | None = None) -> Dashboard:
    session = scope.session
    year = find_year(scope, label)
    today = scope.today
    figures = pot_figures(session, year)
    gate = tactical_gate(session, year)
    counts: dict[BidStatus, int] = dict(
        session.execute(select(Bid.status, func.count()).where(in_year(year.id)).group_by(Bid.status)).all()
    )
    by_state = {state: counts[state] for state in BidStatus if counts.get(state)}
    board = Dashboard(scope.partnership, year, today, figures, gate, by_state)
    board.carried_in = [
        (ref, state, source)
        for ref, state, source in session.execute(
            select(Bid.reference, Bid.status, FundingYear.label)
            .join(FundingYear, FundingYear.id == Bid.year_id)
            .where(Bid.year_id != year.id, carried_into(year.id))
            .order_by(Bid.year_id, Bid.sequence)
        )
    ]
    warnings = board.warnings
    if year.status == YearStatus.open:
        if today > year.ends_on:
            warnings.append(
                f"{year.label} ended on {year.ends_on.isoformat()}; close it and open the next year "
                f"with `grants rollover {year.label}`"
            )
        else:
            left = months_left(today, year.ends_on)
            free = sum((f.uncommitted for f in figures), Money(0))
            if free.pence and left <= MONTHS_WARNING:
                warnings.append(
                    f"{free} is still uncommitted with {counted(left, 'month')} of "
                    f"{year.label} left"
                )
    if not gate.open:
        warnings.append(
            f"the tactical pot is shut until every upfront bid is decided; held by {', '.join(gate.held_by)}"
        )
    overdue = session.execute(
        select(Bid.reference, Bid.delivery_end, Bid.status)
        .where(in_year(year.id), money_year_id() == year.id, col(Bid.status).in_(LIVE), col(Bid.delivery_end) < today)
        .order_by(Bid.sequence)
    ).all()
    for reference, ends, status in overdue:
        warnings.append(f"{reference} was due to end on {ends.isoformat()} and is still {status.value}")
    scoring = session.execute(
        select(Bid, Organisation)
        .join(Organisation, Organisation.id == Bid.lead_organisation_id)
        .where(Bid.year_id == year.id, Bid.status == BidStatus.scoring)
        .order_by(Bid.sequence)
    ).all()
    if scoring:
        from grants.scoring import assess, quorum_shortfall

        for assessment in assess(scope, [(bid, org) for bid, org in scoring]):
            if not assessment.quorum:
                warnings.append(f"{assessment.bid.reference} lacks quorum: {quorum_shortfall(assessment)}")
    return board
