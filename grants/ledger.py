"""The ledger: immutable double-entry movements of money, balances and atomic pot commitments."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import case, func, insert, literal, select
from sqlmodel import Session

from grants import clock
from grants.models import FundingYear, LedgerEntry, PotKind, table_of
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


# A payment line's reason names its invoice: "invoice INV-1 from Supplier Ltd", or for a refund
# "credit note CN-1 from Supplier Ltd".
_INVOICED = {SPEND: "invoice ", REFUND: "credit note "}
_FROM = " from "


class Movement(NamedTuple):
    """One ledger movement, before it is booked: the accounts, the positive amount, the reason
    (values, or SQL expressions in `payment_movement_sql`)."""

    kind: Any
    from_account: Any
    to_account: Any
    pence: Any
    reason: Any


def payment_movement(reference: str, pence: int, supplier: str, invoice: str | None) -> Movement:
    """The ledger entry of one payment line, the only place that names its accounts and reason.

    A payment (pence > 0) moves award:BID → spent:BID; a refund or credit note (pence < 0) is its
    own kind and moves the money back, spent:BID → award:BID. `spend add`, `spend import` and the
    benchmark data generator all book payments through here.
    """
    award, spent = _bid_accounts(reference)
    if pence > 0:
        reason = f"{_INVOICED[SPEND]}{invoice}{_FROM}{supplier}" if invoice else f"payment to {supplier}"
        return Movement(SPEND, award, spent, pence, reason)
    if pence < 0:
        reason = f"{_INVOICED[REFUND]}{invoice}{_FROM}{supplier}" if invoice else f"refund from {supplier}"
        return Movement(REFUND, spent, award, -pence, reason)
    raise ValueError("a payment line is never £0")


def payment_movement_sql(reference: Any, pence: Any, supplier: Any, invoice: Any) -> Movement:
    """`payment_movement` as SQL over columns, for booking a whole staged file with one INSERT …
    SELECT (a bulk import needs no million Python movements). The same accounts, kinds and
    reasons, built from the same names; a test holds the two forms to the same results (here
    the invoice is always given, as an import requires it)."""
    award = literal(award_account("")) + reference
    spent = literal(spent_account("")) + reference
    refund = pence < 0
    return Movement(
        case((refund, literal(REFUND)), else_=literal(SPEND)),
        case((refund, spent), else_=award),
        case((refund, award), else_=spent),
        case((refund, -pence), else_=pence),
        case(
            (refund, literal(_INVOICED[REFUND]) + invoice + literal(_FROM) + supplier),
            else_=literal(_INVOICED[SPEND]) + invoice + literal(_FROM) + supplier,
        ),
    )


@lru_cache(maxsize=65_536)
def _bid_accounts(reference: str) -> tuple[str, str]:
    return award_account(reference), spent_account(reference)


def award_movement(kind: str, pot: PotKind, reference: str, pence: int, reason: str | None) -> Movement:
    """Money committed from a pot to a bid's award (an award, or a variation up)."""
    return Movement(kind, pot_account(pot), award_account(reference), pence, reason)


def release_movement(kind: str, pot: PotKind, reference: str, pence: int, reason: str | None) -> Movement:
    """Unspent award money back to its pot (a variation down, a cancellation, a close)."""
    return Movement(kind, award_account(reference), pot_account(pot), pence, reason)


def return_movement(pot: PotKind, year_label: str, pence: int) -> Movement:
    """What a pot holds at the year's end, returned to the PCC."""
    return Movement(
        "return", pot_account(pot), RETURNED, pence, f"underspend of {year_label} returned to the PCC"
    )


def entry_row(
    partnership_id: int,
    year_id: int,
    movement: Movement,
    *,
    actor_id: int,
    on: date,
    created_at: datetime,
    bid_id: int | None = None,
) -> dict[str, Any]:
    """One ledger entry's columns, checked: the one shape `post` and `post_many` write."""
    if not isinstance(movement.pence, int) or movement.pence <= 0:
        raise ValueError(f"ledger amounts are positive pence, got {movement.pence!r}")
    if movement.from_account == movement.to_account:
        raise ValueError(
            f"a ledger entry moves money between two accounts, not {movement.from_account} to itself"
        )
    return {
        "partnership_id": partnership_id,
        "year_id": year_id,
        "kind": movement.kind,
        "from_account": movement.from_account,
        "to_account": movement.to_account,
        "amount_pence": movement.pence,
        "bid_id": bid_id,
        "booked_on": on,
        "actor_id": actor_id,
        "reason": movement.reason,
        "created_at": created_at,
    }


def post_many(connection: Any, rows: list[dict[str, Any]]) -> int:
    """`post` in bulk: entries made by `entry_row`, written with one executemany (the benchmark
    data generator writes its ledger through here). Returns how many."""
    if rows:
        connection.execute(insert(table_of(LedgerEntry)), rows)
    return len(rows)


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
    movement = Movement(kind, from_account, to_account, amount.pence, reason)
    row = entry_row(
        year.partnership_id,
        year.id,
        movement,
        actor_id=actor_id,
        on=on,
        created_at=clock.now(),
        bid_id=bid_id,
    )
    entry = LedgerEntry(**row)
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
