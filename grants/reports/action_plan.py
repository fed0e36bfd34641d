"""The Community Safety Agreement action plan's grant lines: the year's funded projects (the plan's
purple actions) and the recommended projects still awaiting confirmation, each as one row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from grants.audit_chain import AuditHead, audit_head, with_head
from grants.models import Bid, FundingYear, Organisation, ReferenceItem, ReferenceKind
from grants.money import Money, money_fields, sum_money
from grants.scope import Scope
from grants.text import markdown_table, markdown_text
from grants.wording import counted_in_words, day_text
from grants.writing.csv_text import csv_text
from grants.writing.prose import programme_title
from grants.years import find_year, in_year
from workflows.bid_lifecycle import AWARDED, RECOMMENDED_UNCONFIRMED, BidStatus


@dataclass(frozen=True)
class Action:
    """One funded project as a line of the Community Safety Agreement action plan."""

    reference: str
    priorities: list[str]
    title: str
    outcomes: str
    actions: str
    measures: str
    timescale: date | None
    lead_agency: str
    award: Money
    status: BidStatus
    carried_from: str | None = None  # a project carried forward into the year, from that one

    @property
    def objective(self) -> str:
        return f"{self.title}: {self.outcomes}" if self.outcomes else self.title

    @property
    def carried_note(self) -> str:
        return f" (carried from {self.carried_from})" if self.carried_from else ""

    def row(self, status: str) -> list[str]:
        """The line's cells under ACTION_COLUMNS, the one place they are built; `status` is the
        state as the report or the paper words it."""
        return [
            self.reference,
            "; ".join(self.priorities) or "—",
            self.objective,
            self.actions or "—",
            self.measures or "—",
            day_text(self.timescale) if self.timescale else "—",
            self.lead_agency,
            str(self.award) if self.award.pence else "—",
            status,
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "priorities": self.priorities,
            "objective": self.objective,
            "title": self.title,
            "outcomes": self.outcomes,
            "actions": self.actions,
            "measures": self.measures,
            "timescale": self.timescale.isoformat() if self.timescale else None,
            "lead_agency": self.lead_agency,
            **money_fields("award", self.award),
            "status": self.status.value,
            "carried_from": self.carried_from,
        }


ACTION_COLUMNS = (
    "No.",
    "Priority",
    "Objective / Planned Outcomes",
    "Actions",
    "Measure",
    "Timescale",
    "Lead Agency",
    "Award",
    "Status",
)
ACTION_CSV_FIELDS = (
    "reference",
    "priorities",
    "title",
    "outcomes",
    "actions",
    "measures",
    "timescale",
    "lead_agency",
    "award_pence",
    "award",
    "status",
)


@dataclass(frozen=True)
class ActionPlan:
    partnership: str
    funder: str
    programme: str
    year: FundingYear
    actions: list[Action]
    audit_head: AuditHead | None = None

    @property
    def total(self) -> Money:
        return sum_money(a.award for a in self.actions)

    def to_json(self) -> dict[str, Any]:
        return {
            "partnership": self.partnership,
            "year": self.year.label,
            "count": len(self.actions),
            **money_fields("total_award", self.total),
            "actions": [a.to_json() for a in self.actions],
            **({"audit_head": self.audit_head.to_json()} if self.audit_head else {}),
        }

    def to_markdown(self) -> str:
        title = markdown_text(programme_title(self.programme))
        partnership, funder = markdown_text(self.partnership), markdown_text(self.funder)
        lines = [
            f"# Community Safety Agreement action plan {self.year.label}: projects funded by the {title}",
            "",
            f"Purple actions: funded projects supported by the {partnership} using the {funder}'s "
            f"{title} ({counted_in_words(len(self.actions), 'project')}, {self.total} awarded).",
            "",
        ]
        if not self.actions:
            return with_head(
                "\n".join([*lines, f"No project of {self.year.label} has been funded yet."]) + "\n",
                self.audit_head,
            )
        rows = [a.row(a.status.value + a.carried_note) for a in self.actions]
        return with_head("\n".join(lines + markdown_table(ACTION_COLUMNS, rows)) + "\n", self.audit_head)

    def to_csv(self) -> str:
        rows = []
        for a in self.actions:
            row = a.to_json()
            row["priorities"] = "; ".join(a.priorities)
            row["timescale"] = row["timescale"] or ""
            rows.append(row)
        # Every column escaped: the award is written as `£6,000`, never with a leading minus.
        return csv_text(ACTION_CSV_FIELDS, rows, escaped=ACTION_CSV_FIELDS)


def action_plan(scope: Scope, label: str | None = None) -> ActionPlan:
    """The year's funded projects (funded, in delivery, delivered or closed) as action-plan lines."""
    return _action_lines(scope, find_year(scope, label), AWARDED)


def awaiting_confirmation(scope: Scope, label: str | None = None) -> ActionPlan:
    """The projects the Working Group recommended that the Chair and the PCC have not yet confirmed:
    in the plan, but not yet purple (seed 002: "to be highlighted in purple once confirmed")."""
    return _action_lines(scope, find_year(scope, label), RECOMMENDED_UNCONFIRMED)


def _action_lines(scope: Scope, year: FundingYear, statuses: frozenset[BidStatus]) -> ActionPlan:
    priorities = {
        item.key: item.title
        for item in scope.session.execute(
            select(ReferenceItem).where(
                ReferenceItem.year_id == year.id, ReferenceItem.kind == ReferenceKind.csa_priority
            )
        ).scalars()
    }
    rows = scope.session.execute(
        select(Bid, Organisation.name)
        .join(Organisation, Organisation.id == Bid.lead_organisation_id)
        .where(in_year(year.id), col(Bid.status).in_(statuses))
        .order_by(Bid.year_id, Bid.sequence)
    ).all()
    actions = [
        Action(
            bid.reference,
            [priorities.get(key, key) for key in bid.csa_priorities.split(",") if key],
            bid.title,
            bid.outcomes,
            bid.summary,
            bid.measures,
            bid.delivery_end,
            org,
            Money(bid.award_pence or 0),
            bid.status,
            None if bid.year_id == year.id else scope.session.get_one(FundingYear, bid.year_id).label,
        )
        for bid, org in rows
    ]
    p = scope.partnership
    return ActionPlan(p.name, p.funder_name, p.programme, year, actions, audit_head(scope.session, p.id))
