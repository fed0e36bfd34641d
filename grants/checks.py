"""Integrity checks over a whole partnership: each returns a list of problems, never raises."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from grants import ledger
from grants.audit_chain import verify_chain
from grants.models import FundingYear, Partnership, Pot

if TYPE_CHECKING:
    from grants.seals import SealedTable
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
        select(col(Spend.bid_id).label("bid_id"), func.sum(Spend.amount_pence).label("paid"))
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


# --- seals: the rows that matter, bound to the audit chain (see grants.seals) -------------------


def _sealed_events(
    session: Session, partnership: Partnership
) -> list[tuple[int, str, dict[str, Any] | None]]:
    """(seq, label, seal) of the partnership's sealed events: those after the newest unsealed one
    (events made before seals existed, or written in bulk by the benchmark generator; the event
    after them, a baseline, sealed every row from the first). The newest event, if unsealed, is
    kept (and named by check_sealed_rows)."""
    import json

    from grants.models import AuditEvent

    found: list[tuple[int, str, dict[str, Any] | None]] = []
    for seq, action, subject, sealed in session.execute(
        select(AuditEvent.seq, AuditEvent.action, AuditEvent.subject, AuditEvent.seals)
        .where(AuditEvent.partnership_id == partnership.id)
        .order_by(AuditEvent.seq)
    ):
        label = f"audit event #{seq} ({action} {subject})"
        if sealed is None:
            found = [(seq, label, None)]
        else:
            if found and found[-1][2] is None:
                found = []
            found.append((seq, label, json.loads(sealed)))
    return found


def _range_problems(
    session: Session,
    partnership: Partnership,
    table: SealedTable,
    event: str,
    recorded: list[Any],
    rows: list[tuple[int, str | None]],
    count: int,
) -> list[Problem]:
    """Name what differs between the rows an event sealed and the rows there are now."""
    import hashlib

    from grants.seals import row_values

    def label(row_id: int) -> str:
        values = row_values(session, table, partnership.id, row_id)
        return table.label(values) if values else f"{table.noun} #{row_id}"

    sealed_count = recorded[0] if recorded else 0
    named = {row_id: digest for row_id, digest in recorded[2]} if recorded else {}
    problems = []
    if rows and (named or sealed_count == 0):
        seen = set()
        for row_id, text in rows:
            seen.add(row_id)
            if row_id not in named:
                message = (
                    f"{label(row_id)} was not written by {event} nor by any other audited command "
                    "(added outside grants)"
                )
            elif named[row_id] != (
                "-" if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
            ):
                message = f"{label(row_id)} differs from what {event} recorded (changed outside grants)"
            else:
                continue
            problems.append(Problem("sealed-rows", f"{table.noun} #{row_id}", message))
    if named:
        for row_id in sorted(set(named) - {row_id for row_id, _ in rows}):
            problems.append(
                Problem(
                    "sealed-rows",
                    f"{table.noun} #{row_id}",
                    f"{table.noun} #{row_id}, written by {event}, is missing (deleted outside grants)",
                )
            )
    if problems:
        return problems
    span = f"#{rows[0][0]}–#{rows[-1][0]}" if rows else "none now"
    return [
        Problem(
            "sealed-rows",
            f"{table.noun} rows of {event}",
            f"the {table.noun} rows written by {event} were changed outside grants: it sealed "
            f"{sealed_count} row(s), there are {count} now ({span})",
        )
    ]


def check_sealed_rows(session: Session, partnership: Partnership) -> list[Problem]:
    """Every ledger entry, payment, score sheet, declared interest and spend import is the one its
    audit event sealed: none changed, added or removed outside grants."""
    from grants.seals import TABLES, RangeDigest, row_values, rows_after

    events = _sealed_events(session, partnership)
    problems: list[Problem] = []
    if events and events[-1][2] is None:
        seq, label, _ = events[-1]
        return [
            Problem(
                "sealed-rows",
                f"audit event #{seq}",
                f"{label}, the newest event, carries no seal (written outside grants)",
            )
        ]
    ranges = [(label, sealed) for _, label, sealed in events if sealed is not None]
    for table in TABLES:
        stream = rows_after(session, table, partnership.id, 0)
        pending = next(stream, None)
        low = 0
        for label, sealed in ranges:
            high = int(sealed["marks"].get(table.name, low))
            digest = RangeDigest()
            rows: list[tuple[int, str | None]] = []
            while pending is not None and pending[0] <= high:
                if pending[0] > low:
                    digest.add(*pending)
                    if len(rows) <= NAMED_ROWS_KEPT:
                        rows.append(pending)
                pending = next(stream, None)
            recorded = sealed["rows"].get(table.name)
            expected = (recorded[0], recorded[1]) if recorded else (0, EMPTY_DIGEST)
            if (digest.count, digest.digest.hexdigest() if digest.count else EMPTY_DIGEST) != expected:
                problems.extend(
                    _range_problems(session, partnership, table, label, recorded, rows, digest.count)
                )
            low = max(low, high)
        while pending is not None:
            values = row_values(session, table, partnership.id, pending[0])
            problems.append(
                Problem(
                    "sealed-rows",
                    f"{table.noun} #{pending[0]}",
                    f"{table.label(values) if values else pending[0]} was written after the newest audit event, "
                    "by no audited command (added outside grants, or its audit event was removed)",
                )
            )
            pending = next(stream, None)
    return problems


NAMED_ROWS_KEPT = 17
EMPTY_DIGEST = "0" * 64


# What a spend entry and its payment share, in the order of the two queries' columns.
_PAYMENT_KEY = ("bid_id", "booked_on", "amount", "from_account", "to_account", "actor_id", "reason")


def check_payment_entries(session: Session, partnership: Partnership) -> list[Problem]:
    """Each payment has its ledger entry award:BID → spent:BID, the same amount, date, actor and
    wording, and each spend entry its payment (the seals only count spend entries: this binds
    them, through the payments they mirror).

    Both sides are counted in one pass, +1 for an entry and -1 for a payment, grouped by what a
    payment determines: a group whose count is not zero has entries (above zero) or payments (below)
    without their match. (Two EXCEPTs of the grouped sides read and sorted each side twice: at a
    million payments, 20 s of `grants check`.)"""
    from sqlalchemy import union_all

    both = union_all(_spend_entries(partnership), _payments_as_entries(partnership)).subquery()
    key = list(both.c)[: len(_PAYMENT_KEY)]
    surplus = func.sum(both.c.side)
    unmatched = select(*key, surplus).group_by(*key).having(surplus != 0).limit(40)
    problems = []
    for row in session.execute(unmatched):
        fields = dict(zip(_PAYMENT_KEY, row, strict=False))
        count = int(row[-1])
        if count > 0:
            what = "a spend ledger entry with no payment to match"
            named = ", ".join(f"ledger entry #{i}" for i in _entry_ids(session, partnership, fields))
        else:
            what, named = "a payment with no ledger entry to match", "payment"
        problems.append(
            Problem(
                "payment-entries",
                named,
                f"{what} ({named}): {Money(int(fields['amount']))} {fields['from_account']} → "
                f"{fields['to_account']} on {fields['booked_on']} ({fields['reason']!r}, {abs(count)} of them) "
                "— changed outside grants",
            )
        )
    return problems


def _spend_entries(partnership: Partnership) -> Select[Any]:
    """The partnership's spend ledger entries, by what a payment determines, each counted +1."""
    from sqlalchemy import literal

    from grants.models import LedgerEntry

    return (
        select(
            LedgerEntry.bid_id,
            LedgerEntry.booked_on,
            LedgerEntry.amount_pence,
            LedgerEntry.from_account,
            LedgerEntry.to_account,
            LedgerEntry.actor_id,
            LedgerEntry.reason,
            literal(1).label("side"),
        ).where(LedgerEntry.partnership_id == partnership.id, LedgerEntry.kind == "spend")
    )


def _payments_as_entries(partnership: Partnership) -> Select[Any]:
    """The partnership's payments as the spend entries they should have, each counted -1."""
    from sqlalchemy import String, case, literal

    from grants.models import Bid, Spend

    sep = literal(" from ", String)
    return (
        select(
            Spend.bid_id,
            Spend.paid_on,
            Spend.amount_pence,
            literal("award:", String) + Bid.reference,
            literal("spent:", String) + Bid.reference,
            Spend.actor_id,
            case(
                (Spend.invoice.is_(None), literal("payment to ", String) + Spend.supplier),
                else_=literal("invoice ", String) + Spend.invoice + sep + Spend.supplier,
            ),
            literal(-1).label("side"),
        )
        .join(Bid, Bid.id == Spend.bid_id)
        # A refund (a negative line) is booked as its own kind and sealed as a row of its own.
        .where(Bid.partnership_id == partnership.id, Spend.amount_pence > 0)
    )


def _entry_ids(session: Session, partnership: Partnership, fields: dict[str, Any]) -> list[int]:
    """The ids of up to five spend entries with these fields, to name in a problem."""
    from grants.models import LedgerEntry

    return list(
        session.execute(
            select(LedgerEntry.id)
            .where(
                LedgerEntry.partnership_id == partnership.id,
                LedgerEntry.kind == "spend",
                LedgerEntry.bid_id == fields["bid_id"],
                LedgerEntry.booked_on == fields["booked_on"],
                LedgerEntry.amount_pence == fields["amount"],
            )
            .order_by(LedgerEntry.id)
            .limit(5)
        ).scalars()
    )


def check_sealed_state(session: Session, partnership: Partnership) -> list[Problem]:
    """The partnership's settings, organisations, members and their roles, years (status and
    allocation) and criteria are as the newest audit event left them."""
    from grants.seals import state

    events = _sealed_events(session, partnership)
    if not events:
        return []
    seq, label, sealed = events[-1]
    if sealed is None:
        return []  # named by check_sealed_rows
    recorded: dict[str, str] = sealed["state"]
    now = state(session, partnership.id)
    problems = []
    for name in sorted(set(recorded) | set(now)):
        if name not in now:
            message = f"{name} is gone since {label} (deleted outside grants)"
        elif name not in recorded:
            message = f"{name} did not exist when {label} was recorded (added outside grants)"
        elif recorded[name] != now[name]:
            message = f"{name} differs from what {label} left (changed outside grants)"
        else:
            continue
        problems.append(Problem("sealed-state", name, message))
    return problems


def check_current_sheets(session: Session, partnership: Partnership) -> list[Problem]:
    """Each member's newest score sheet of a bid, and only that one, is the current one."""
    from grants.models import Bid, ScoreSheet

    newest = (
        select(ScoreSheet.bid_id, ScoreSheet.member_id, func.max(ScoreSheet.version).label("version"))
        .group_by(ScoreSheet.bid_id, ScoreSheet.member_id)
        .subquery()
    )
    rows = session.execute(
        select(ScoreSheet.id, Bid.reference, ScoreSheet.version, ScoreSheet.current, newest.c.version)
        .join(Bid, Bid.id == ScoreSheet.bid_id)
        .join(newest, (newest.c.bid_id == ScoreSheet.bid_id) & (newest.c.member_id == ScoreSheet.member_id))
        .where(Bid.partnership_id == partnership.id)
        .where((ScoreSheet.version == newest.c.version) != ScoreSheet.current)
        .order_by(ScoreSheet.id)
    )
    return [
        Problem(
            "current-sheet",
            f"score sheet #{sheet_id}",
            f"score sheet #{sheet_id} of {reference} (version {version} of {latest}) is "
            f"{'marked current' if current else 'not marked current'}; only the newest version is",
        )
        for sheet_id, reference, version, current, latest in rows
    ]


def check_year_allocations(session: Session, partnership: Partnership) -> list[Problem]:
    """Each year's allocation is what the funder put into its pots in the ledger."""
    from grants.models import LedgerEntry

    given: dict[int, int] = dict(
        session.execute(
            select(LedgerEntry.year_id, func.sum(LedgerEntry.amount_pence))
            .where(
                LedgerEntry.partnership_id == partnership.id,
                LedgerEntry.kind == "allocation",
                LedgerEntry.from_account == ledger.FUNDER,
            )
            .group_by(LedgerEntry.year_id)
        ).all()
    )
    problems = []
    for year in _years(session, partnership):
        funded = int(given.get(year.id) or 0)
        if funded != year.allocation_pence:
            problems.append(
                Problem(
                    "allocation",
                    f"year {year.label}",
                    f"{year.label} records an allocation of {Money(year.allocation_pence)} but the funder "
                    f"gave its pots {Money(funded)} in the ledger",
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
    check_year_allocations,
)
# The seals bind the rows that matter to the chain (see grants.seals).
SEAL_CHECKS = (check_sealed_rows, check_payment_entries, check_sealed_state, check_current_sheets)
AUDIT_CHECKS = (check_audit_chain, check_bid_content, *SEAL_CHECKS)
ALL_CHECKS = (*LEDGER_CHECKS, *AUDIT_CHECKS)


def run_checks(
    session: Session,
    partnership: Partnership,
    checks: Iterable[Callable[[Session, Partnership], list[Problem]]] = ALL_CHECKS,
) -> list[Problem]:
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
