"""Reconciliation for the treasurer: each project's award against its spend, each pot and the year,
and the ledger checks. Every figure is an SQL aggregate; no Python loop walks the payments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import Session, col

from grants import ledger
from grants.audit_chain import AuditHead, audit_head
from grants.checks import LEDGER_CHECKS, Problem, check_spend_rows, run_checks
from grants.models import Bid, FundingYear, Organisation, PotKind, Spend
from grants.money import Money, money_fields
from grants.pots import POT_FIGURES, PotFigures, pot_figures, pots_json, pots_total_json
from grants.scope import Scope
from grants.years import ProjectFigures, find_year, in_year, project_figures

FIGURES = (*POT_FIGURES, "uncommitted")


@dataclass(frozen=True)
class ProjectLine:
    """One awarded project in the year's books: Award = Spent + Released + Remaining
    (grants.years.ProjectFigures)."""

    reference: str
    title: str
    organisation: str
    pot: PotKind
    status: str
    award: Money
    spent: Money
    released: Money
    remaining: Money
    payments: int
    last_payment: date | None
    carried: Money = Money(0)  # carried forward into the next year (part of remaining)
    carried_from: str | None = None  # carried forward into this year from that one
    refunds: int = 0
    refunded: Money = Money(0)

    @property
    def variance(self) -> Money:
        """Award less spend: what the project has not spent (released at close, or still to pay)."""
        return self.award - self.spent

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "title": self.title,
            "organisation": self.organisation,
            "pot": self.pot.value,
            "status": self.status,
            **money_fields("award", self.award),
            **money_fields("spent", self.spent),
            **money_fields("released", self.released),
            **money_fields("remaining", self.remaining),
            **money_fields("variance", self.variance),
            **money_fields("carried", self.carried),
            "carried_from": self.carried_from,
            "payments": self.payments,
            "refunds": self.refunds,
            **money_fields("refunded", self.refunded),
            "last_payment": self.last_payment.isoformat() if self.last_payment else None,
        }


@dataclass(frozen=True)
class Reconciliation:
    year: FundingYear
    projects: list[ProjectLine]
    pots: list[PotFigures]
    problems: list[Problem]
    audit_head: AuditHead | None = None

    @property
    def totals(self) -> dict[str, Money]:
        return {name: sum((getattr(p, name) for p in self.pots), Money(0)) for name in FIGURES}

    @property
    def balanced(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        pots = pots_json(self.pots)
        totals = pots_total_json(self.pots)
        return {
            "year": self.year.label,
            "status": self.year.status.value,
            "balanced": self.balanced,
            "projects": [p.to_json() for p in self.projects],
            "pots": pots,
            "year_totals": totals,
            "problems": [p.to_json() for p in self.problems],
            **({"audit_head": self.audit_head.to_json()} if self.audit_head else {}),
        }


def reconcile(scope: Scope, label: str | None = None) -> Reconciliation:
    """The year's reconciliation: projects, pots, totals and every ledger problem found.

    The ledger is read once as per-account sums (from covering indexes); each project's award,
    spend and releases are its accounts' flows, so no query walks the payments one by one.
    """
    year = find_year(scope, label)
    session = scope.session
    account_flows = ledger.flows(session, year.id)
    figures = project_figures(session, year, account_flows)
    rows = _project_rows(session, year)
    # The payments are summed once, above, for every project; the whole-partnership check of
    # payments against spend (check_spend_rows, in `grants check`) would sum them again.
    checks = tuple(check for check in LEDGER_CHECKS if check is not check_spend_rows)
    problems = list(run_checks(session, scope.partnership, checks))
    projects = []
    for row in rows:
        project, found = _project(row, figures[row[0]], year)
        projects.append(project)
        problems += found
    return Reconciliation(
        year,
        projects,
        pot_figures(session, year, account_flows),
        problems,
        audit_head(session, scope.partnership.id),
    )


def _project_rows(session: Session, year: FundingYear) -> Sequence[Row[Any]]:
    """Each awarded project of the year with its payments summed: count, last date, total, refunds."""
    payments = (
        select(
            col(Spend.bid_id).label("bid_id"),
            func.count().label("payments"),
            func.max(Spend.paid_on).label("last"),
            func.sum(Spend.amount_pence).label("paid"),
            # Refunds and credit notes are payment lines with a negative amount.
            func.count().filter(Spend.amount_pence < 0).label("refunds"),
            func.sum(Spend.amount_pence).filter(Spend.amount_pence < 0).label("refunded"),
        )
        .group_by(Spend.bid_id)
        .subquery()
    )
    return session.execute(
        select(
            Bid.id,
            Bid.reference,
            Bid.title,
            Organisation.name,
            Bid.pot,
            Bid.status,
            Bid.award_pence,
            Bid.spent_pence,
            Bid.carried_to_year_id,
            func.coalesce(payments.c.payments, 0),
            payments.c.last,
            func.coalesce(payments.c.paid, 0),
            func.coalesce(payments.c.refunds, 0),
            func.coalesce(payments.c.refunded, 0),
        )
        .join(Organisation, Organisation.id == Bid.lead_organisation_id)
        .outerjoin(payments, payments.c.bid_id == Bid.id)
        .where(
            in_year(year.id),
            Bid.award_pence.is_not(None),
        )
        .order_by(Bid.year_id, Bid.sequence)
    ).all()


def _project(row: Sequence[Any], line: ProjectFigures, year: FundingYear) -> tuple[ProjectLine, list[Problem]]:
    """One project's line, and where its payments, its spend and the ledger disagree."""
    (_, ref, title, org, pot, status, _award, spent, carried_to, count, last, paid, refunds, refunded) = row
    problems = []
    if int(paid) != spent:
        problems.append(
            Problem(
                "spend-rows",
                f"bid {ref}",
                f"bid {ref} records {Money(spent)} spent but its payments add up to {Money(int(paid))}",
            )
        )
    spent_ledger = line.spent.pence
    # A project carried forward spends in two years; its whole spend is checked across years
    # by check_award_caches.
    if carried_to is None and spent_ledger != spent:
        problems.append(
            Problem(
                "project-spend",
                f"bid {ref}",
                f"{ref}: the ledger records {Money(spent_ledger)} spent in {year.label} but the "
                f"project records {Money(spent)}",
            )
        )
    project = ProjectLine(
        ref,
        title,
        org,
        pot,
        status.value,
        line.award,
        line.spent,
        line.released,
        line.remaining,
        int(count),
        last,
        line.carried,
        line.carried_from,
        int(refunds),
        Money(-int(refunded)),
    )
    return project, problems
