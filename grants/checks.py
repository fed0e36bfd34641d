"""Integrity checks over a whole partnership: each returns a list of problems, never raises."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from grants import ledger
from grants.audit import verify_chain
from grants.models import FundingYear, Partnership, Pot
from grants.money import Money


@dataclass(frozen=True)
class Problem:
    """One thing that does not balance or verify."""

    check: str
    subject: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "subject": self.subject, "message": self.message}


_MEMO = "grants.checks.balances"


def _balances(session: Session, year_id: int) -> dict[str, int]:
    """The year's balances, computed once per run of the checks (several checks read them)."""
    memo = session.info.get(_MEMO)
    if memo is None:
        return ledger.balances(session, year_id)
    if year_id not in memo:
        memo[year_id] = ledger.balances(session, year_id)
    return memo[year_id]


_YEARS = "grants.checks.years"


def _years(session: Session, partnership: Partnership) -> list[FundingYear]:
    """The partnership's years, read once per run of the checks."""
    memo = session.info.get(_YEARS)
    if memo is not None:
        return memo
    years = list(
        session.execute(
            select(FundingYear)
            .where(FundingYear.partnership_id == partnership.id)
            .order_by(FundingYear.starts_on)
        ).scalars()
    )
    if _MEMO in session.info:
        session.info[_YEARS] = years
    return years


def check_ledger_sums(session: Session, partnership: Partnership) -> list[Problem]:
    """Every year's accounts sum to zero (the schema refuses an entry moving money to itself)."""
    problems = []
    for year in _years(session, partnership):
        total = sum(_balances(session, year.id).values())
        if total != 0:
            problems.append(
                Problem("ledger-sum", f"year {year.label}", f"accounts sum to {Money(total)}, not £0")
            )
    return problems


def check_no_negative_balances(session: Session, partnership: Partnership) -> list[Problem]:
    """No pot, award or spend account is below zero (only the funder gives money out)."""
    problems = []
    for year in _years(session, partnership):
        for account, pence in sorted(_balances(session, year.id).items()):
            if account != ledger.FUNDER and pence < 0 and account != ledger.CARRIED:
                problems.append(
                    Problem(
                        "negative-balance",
                        f"{account} in {year.label}",
                        f"{account} is {Money(pence)} in {year.label}; it must not go below £0",
                    )
                )
    return problems


def check_pot_caches(session: Session, partnership: Partnership) -> list[Problem]:
    """Each pot's cached uncommitted balance equals the ledger's balance of that pot."""
    problems = []
    for year in _years(session, partnership):
        balances = _balances(session, year.id)
        for pot in session.execute(select(Pot).where(Pot.year_id == year.id)).scalars():
            from_ledger = balances.get(ledger.pot_account(pot.kind), 0)
            if pot.uncommitted_pence != from_ledger:
                problems.append(
                    Problem(
                        "pot-cache",
                        f"{pot.kind.value} pot in {year.label}",
                        f"the {pot.kind.value} pot of {year.label} records "
                        f"{Money(pot.uncommitted_pence)} uncommitted but the ledger gives "
                        f"{Money(from_ledger)}",
                    )
                )
    return problems


def check_award_caches(session: Session, partnership: Partnership) -> list[Problem]:
    """Each bid's cached award and spend equal its award and spent accounts in the ledger.

    Over all years (a carried-forward award moves between years but stays the bid's): the award
    account holds what is awarded and not yet spent, released or carried; it is empty once the
    project is closed or cancelled.
    """
    from grants.models import Bid
    from workflows.bid_lifecycle import BidStatus

    held: dict[str, int] = {}
    for year in _years(session, partnership):
        for account, pence in _balances(session, year.id).items():
            if account.startswith(("award:", "spent:")):
                held[account] = held.get(account, 0) + pence
    problems = []
    emptied = (BidStatus.closed, BidStatus.cancelled)
    for bid in session.execute(
        select(Bid).where(Bid.partnership_id == partnership.id).order_by(Bid.reference)
    ).scalars():
        award, spent = bid.award_pence or 0, bid.spent_pence
        expected = 0 if bid.status in emptied else award - spent
        in_award = held.get(ledger.award_account(bid.reference), 0)
        in_spent = held.get(ledger.spent_account(bid.reference), 0)
        if in_award != expected:
            problems.append(
                Problem(
                    "award-cache",
                    f"bid {bid.reference}",
                    f"bid {bid.reference} records an award of {Money(award)} with {Money(spent)} spent, "
                    f"but its award account holds {Money(in_award)} (expected {Money(expected)})",
                )
            )
        if in_spent != spent:
            problems.append(
                Problem(
                    "spend-cache",
                    f"bid {bid.reference}",
                    f"bid {bid.reference} records {Money(spent)} spent but the ledger gives {Money(in_spent)}",
                )
            )
    return problems


def check_spend_rows(session: Session, partnership: Partnership) -> list[Problem]:
    """Each bid's payments add up to the spend it records (and so, by check_award_caches, to the
    ledger's spent account)."""
    from grants.models import Bid, Spend

    paid = (
        select(Spend.bid_id.label("bid_id"), func.sum(Spend.amount_pence).label("paid"))
        .group_by(Spend.bid_id)
        .subquery()
    )
    rows = session.execute(
        select(Bid.reference, Bid.spent_pence, func.coalesce(paid.c.paid, 0))
        .outerjoin(paid, paid.c.bid_id == Bid.id)
        .where(Bid.partnership_id == partnership.id, Bid.spent_pence != func.coalesce(paid.c.paid, 0))
        .order_by(Bid.reference)
    )
    return [
        Problem(
            "spend-rows",
            f"bid {reference}",
            f"bid {reference} records {Money(spent)} spent but its payments add up to {Money(int(paid_total))}",
        )
        for reference, spent, paid_total in rows
    ]


def check_closed_years(session: Session, partnership: Partnership) -> list[Problem]:
    """A closed year holds nothing in its pots or awards: its allocation is exactly what was
    spent, returned to the PCC and carried forward."""
    from grants.models import YearStatus

    problems = []
    for year in _years(session, partnership):
        if year.status != YearStatus.closed:
            continue
        balances = _balances(session, year.id)
        left = {a: p for a, p in balances.items() if a.startswith(("pot:", "award:")) and p}
        if left:
            spent = sum(p for a, p in balances.items() if a.startswith("spent:"))
            returned, carried = balances.get(ledger.RETURNED, 0), balances.get(ledger.CARRIED, 0)
            problems.append(
                Problem(
                    "closed-year",
                    f"year {year.label}",
                    f"{year.label} is closed but {', '.join(f'{a} holds {Money(p)}' for a, p in sorted(left.items()))}; "
                    f"its allocation of {Money(year.allocation_pence)} should equal spent {Money(spent)} + "
                    f"returned {Money(returned)} + carried forward {Money(carried)}",
                )
            )
    return problems


def check_audit_chain(session: Session, partnership: Partnership) -> list[Problem]:
    """The audit events form an unbroken hash chain."""
    broken = verify_chain(session, partnership)
    if broken is None:
        return []
    subject = f"audit event #{broken.seq}" if broken.seq else "audit chain"
    return [Problem("audit-chain", subject, broken.message)]


def check_bid_content(session: Session, partnership: Partnership) -> list[Problem]:
    """Each bid's content and state equal what its last audit event recorded.

    Content is frozen once submitted (except in clarification, where every edit is audited), so
    a difference means the row was changed outside grants.
    """
    from grants.bids import content_hash
    from grants.models import AuditEvent, Bid

    last = (
        select(AuditEvent.subject, func.max(AuditEvent.seq).label("seq"))
        .where(AuditEvent.partnership_id == partnership.id, AuditEvent.content_hash.is_not(None))
        .group_by(AuditEvent.subject)
        .subquery()
    )
    recorded = {
        subject: (digest, to_state)
        for subject, digest, to_state in session.execute(
            select(AuditEvent.subject, AuditEvent.content_hash, AuditEvent.to_state)
            .join(
                last,
                (last.c.subject == AuditEvent.subject) & (last.c.seq == AuditEvent.seq),
            )
            .where(AuditEvent.partnership_id == partnership.id)
        )
    }
    problems = []
    for bid in session.execute(
        select(Bid).where(Bid.partnership_id == partnership.id).order_by(Bid.reference)
    ).scalars():
        digest, state = recorded.get(f"bid {bid.reference}", (None, None))
        if digest is None:
            problems.append(
                Problem("bid-content", f"bid {bid.reference}", f"bid {bid.reference} has no audit record")
            )
        elif digest != content_hash(bid):
            problems.append(
                Problem(
                    "bid-content",
                    f"bid {bid.reference}",
                    f"bid {bid.reference} differs from its last audited content (changed outside grants)",
                )
            )
        elif state is not None and state != bid.status.value:
            problems.append(
                Problem(
                    "bid-state",
                    f"bid {bid.reference}",
                    f"bid {bid.reference} is {bid.status.value} but its audit trail left it {state}",
                )
            )
    return problems


LEDGER_CHECKS = (
    check_ledger_sums,
    check_no_negative_balances,
    check_pot_caches,
    check_award_caches,
    check_spend_rows,
    check_closed_years,
)
AUDIT_CHECKS = (check_audit_chain, check_bid_content)
ALL_CHECKS = (*LEDGER_CHECKS, *AUDIT_CHECKS)


def run_checks(session: Session, partnership: Partnership, checks=ALL_CHECKS) -> list[Problem]:  # type: ignore[no-untyped-def]
    """Run the checks and gather every problem they find."""
    problems: list[Problem] = []
    session.info[_MEMO] = {}
    try:
        for check in checks:
            problems.extend(check(session, partnership))
    finally:
        session.info.pop(_MEMO, None)
        session.info.pop(_YEARS, None)
    return problems
