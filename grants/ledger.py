"""The ledger: immutable double-entry movements of money, balances and atomic pot commitments."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session

from grants import clock
from grants.models import FundingYear, LedgerEntry, PotKind
from grants.money import Money

if TYPE_CHECKING:
    pass

FUNDER = "funder"
RETURNED = "returned"
CARRIED = "carried"


def pot_account(kind: PotKind) -> str:
    return f"pot:{kind.value}"


def award_account(reference: str) -> str:
    return f"award:{reference}"


def spent_account(reference: str) -> str:
    return f"spent:{reference}"


# The kinds of entry a payment line makes: money paid out of an award, and money paid back.
SPEND = "spend"
REFUND = "refund"


class Movement(NamedTuple):
    """One ledger movement, before it is booked: the accounts, the positive amount, the reason
    (a tuple: an import makes a million)."""

    kind: str
    from_account: str
    to_account: str
    pence: int
    reason: str


def payment_movement(reference: str, pence: int, supplier: str, invoice: str | None) -> Movement:
    """The ledger entry of one payment line, the only place that names its accounts and reason.

    A payment (pence > 0) moves award:BID → spent:BID; a refund or credit note (pence < 0) is its
    own kind and moves the money back, spent:BID → award:BID. `spend add`, `spend import` and the
    benchmark data generator all book payments through here.
    """
    award, spent = _bid_accounts(reference)
    if pence > 0:
        reason = f"invoice {invoice} from {supplier}" if invoice else f"payment to {supplier}"
        return Movement(SPEND, award, spent, pence, reason)
    if pence < 0:
        reason = f"credit note {invoice} from {supplier}" if invoice else f"refund from {supplier}"
        return Movement(REFUND, spent, award, -pence, reason)
    raise ValueError("a payment line is never £0")


@lru_cache(maxsize=65_536)
def _bid_accounts(reference: str) -> tuple[str, str]:
    return award_account(reference), spent_account(reference)


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
        created_at=clock.now(),
    )
    session.add(entry)
    return entry


def flows(session: Session, year_id: int) -> dict[str, tuple[int, int]]:
    """Each account's (pence in, pence out) for a year, by SQL.

    Two grouped sums, by receiving and by giving account, each read from a covering index alone
    (year, account, amount): a million entries sum without touching the table.
    """
    totals: dict[str, list[int]] = {}
    for column, side in ((LedgerEntry.to_account, 0), (LedgerEntry.from_account, 1)):
        rows = session.execute(
            select(column, func.sum(LedgerEntry.amount_pence))
            .where(LedgerEntry.year_id == year_id)
            .group_by(column)
        )
        for account, total in rows:
            totals.setdefault(account, [0, 0])[side] = int(total)
    return {account: (into, out) for account, (into, out) in totals.items()}


def balances(session: Session, year_id: int) -> dict[str, int]:
    """Each account's balance in pence for a year: money in minus money out."""
    return {account: into - out for account, (into, out) in flows(session, year_id).items()}


def flows_by_account(session: Session, year_id: int, account: str) -> tuple[int, int]:
    """One account's (pence in, pence out) for a year: two indexed sums."""
    into, out = (
        session.execute(
            select(func.coalesce(func.sum(LedgerEntry.amount_pence), 0)).where(
                LedgerEntry.year_id == year_id, column == account
            )
        ).scalar_one()
        for column in (LedgerEntry.to_account, LedgerEntry.from_account)
    )
    return int(into), int(out)


def flows_by_kind(session: Session, year_id: int, account: str) -> dict[str, tuple[int, int]]:
    """For one account: per entry kind, (pence in, pence out); two indexed look-ups."""
    found: dict[str, list[int]] = {}
    for column, side in ((LedgerEntry.to_account, 0), (LedgerEntry.from_account, 1)):
        rows = session.execute(
            select(LedgerEntry.kind, func.sum(LedgerEntry.amount_pence))
            .where(LedgerEntry.year_id == year_id, column == account)
            .group_by(LedgerEntry.kind)
        )
        for kind, total in rows:
            found.setdefault(kind, [0, 0])[side] = int(total)
    return {kind: (into, out) for kind, (into, out) in found.items()}


def carried_by_bid(session: Session, year_id: int) -> dict[int, int]:
    """Per bid, what its award carried forward out of this year (award:BID → carried)."""
    rows = session.execute(
        select(LedgerEntry.bid_id, func.sum(LedgerEntry.amount_pence))
        .where(
            LedgerEntry.year_id == year_id, LedgerEntry.to_account == CARRIED, LedgerEntry.bid_id.is_not(None)
        )
        .group_by(LedgerEntry.bid_id)
    )
    return {bid_id: int(total) for bid_id, total in rows}
