"""The ledger: immutable double-entry movements of money, balances and atomic pot commitments."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import func, select, update
from sqlmodel import Session

from grants import clock
from grants.errors import Refused
from grants.models import FundingYear, LedgerEntry, Pot, PotKind
from grants.money import Money

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

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
    result = cast(
        "CursorResult[Any]",
        session.execute(
        update(Pot)
        .where(Pot.id == pot.id, Pot.uncommitted_pence >= amount.pence)
        .values(uncommitted_pence=Pot.uncommitted_pence - amount.pence)
        .execution_options(synchronize_session=False)
    ),
    )
    if result.rowcount != 1:
        left = session.execute(select(Pot.uncommitted_pence).where(Pot.id == pot.id)).scalar_one()
        raise Refused(f"the {pot.kind.value} pot has {Money(int(left))} uncommitted; {what} is {amount}")


def pot_balance(session: Session, pot_id: int) -> Money:
    return Money(int(session.execute(select(Pot.uncommitted_pence).where(Pot.id == pot_id)).scalar_one()))


def spent_by_pot(
    session: Session, year_id: int, account_flows: dict[str, tuple[int, int]] | None = None
) -> dict[PotKind, int]:
    """Pence spent in the year on each pot's projects: the balances of their spent accounts."""
    from grants.models import Bid

    account_flows = flows(session, year_id) if account_flows is None else account_flows
    spent = {kind: 0 for kind in PotKind}
    for reference, pot in session.execute(select(Bid.reference, Bid.pot).where(Bid.year_id == year_id)):
        into, out = account_flows.get(spent_account(reference), (0, 0))
        spent[pot] += into - out
    return spent
