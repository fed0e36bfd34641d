"""The ledger: immutable double-entry movements of money, balances and atomic pot commitments."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import case, func, select, union_all, update
from sqlmodel import Session

from grants.errors import Refused
from grants.models import FundingYear, LedgerEntry, Pot, PotKind
from grants.money import Money

FUNDER = "funder"
RETURNED = "returned"
CARRIED = "carried"


def pot_account(kind: PotKind) -> str:
    return f"pot:{kind.value}"


def award_account(reference: str) -> str:
    return f"award:{reference}"


def spent_account(reference: str) -> str:
    return f"spent:{reference}"


def post(
    session: Session,
    year: FundingYear,
    kind: str,
    from_account: str,
    to_account: str,
    amount: Money,
    *,
    actor_id: int,
    on: date,
    reason: str | None = None,
    bid_id: int | None = None,
) -> LedgerEntry:
    """Record one movement. Entries are never updated or deleted; corrections are new entries."""
    if amount.pence <= 0:
        raise ValueError(f"ledger amounts are positive, got {amount}")
    entry = LedgerEntry(
        partnership_id=year.partnership_id,
        year_id=year.id,
        kind=kind,
        from_account=from_account,
        to_account=to_account,
        amount_pence=amount.pence,
        bid_id=bid_id,
        booked_on=on,
        actor_id=actor_id,
        reason=reason,
        created_at=datetime.now(UTC),
    )
    session.add(entry)
    return entry


def balances(session: Session, year_id: int) -> dict[str, int]:
    """Each account's balance in pence for a year (money in minus money out), by SQL."""
    inflow = select(LedgerEntry.to_account.label("account"), LedgerEntry.amount_pence.label("amount")).where(
        LedgerEntry.year_id == year_id
    )
    outflow = select(
        LedgerEntry.from_account.label("account"), (-LedgerEntry.amount_pence).label("amount")
    ).where(LedgerEntry.year_id == year_id)
    moves = union_all(inflow, outflow).subquery()
    rows = session.execute(select(moves.c.account, func.sum(moves.c.amount)).group_by(moves.c.account))
    return {account: int(total) for account, total in rows}


def flows_by_kind(session: Session, year_id: int, account: str) -> dict[str, tuple[int, int]]:
    """For one account: per entry kind, (pence in, pence out)."""
    rows = session.execute(
        select(
            LedgerEntry.kind,
            func.sum(case((LedgerEntry.to_account == account, LedgerEntry.amount_pence), else_=0)),
            func.sum(case((LedgerEntry.from_account == account, LedgerEntry.amount_pence), else_=0)),
        )
        .where(LedgerEntry.year_id == year_id)
        .where((LedgerEntry.to_account == account) | (LedgerEntry.from_account == account))
        .group_by(LedgerEntry.kind)
    )
    return {kind: (int(into), int(out)) for kind, into, out in rows}


def credit_pot(session: Session, pot: Pot, amount: Money) -> None:
    """Add money to a pot's cached uncommitted balance (the ledger entry is posted beside it)."""
    session.execute(
        update(Pot)
        .where(Pot.id == pot.id)
        .values(uncommitted_pence=Pot.uncommitted_pence + amount.pence)
        .execution_options(synchronize_session=False)
    )


def debit_pot(session: Session, pot: Pot, amount: Money, *, what: str) -> None:
    """Take money out of a pot atomically, or refuse with the figures.

    One conditional UPDATE: it succeeds only when the balance covers the amount at the moment
    the row is written, so two approvers can never both spend the same pound.
    """
    result = session.execute(
        update(Pot)
        .where(Pot.id == pot.id, Pot.uncommitted_pence >= amount.pence)
        .values(uncommitted_pence=Pot.uncommitted_pence - amount.pence)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        left = session.execute(select(Pot.uncommitted_pence).where(Pot.id == pot.id)).scalar_one()
        raise Refused(f"the {pot.kind.value} pot has {Money(int(left))} uncommitted; {what} is {amount}")


def pot_balance(session: Session, pot_id: int) -> Money:
    return Money(int(session.execute(select(Pot.uncommitted_pence).where(Pot.id == pot_id)).scalar_one()))


def spent_from_pot(session: Session, year_id: int, kind: PotKind) -> int:
    """Pence spent in the year on the projects of one pot (spend entries joined to their bids)."""
    from grants.models import Bid

    total = session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount_pence), 0))
        .join(Bid, Bid.id == LedgerEntry.bid_id)
        .where(LedgerEntry.year_id == year_id, LedgerEntry.kind == "spend", Bid.pot == kind)
    ).scalar_one()
    return int(total)
