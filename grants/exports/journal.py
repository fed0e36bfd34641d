"""The ledger as a plain-text accounting journal that hledger and ledger-cli both read.

One transaction per ledger entry, in booking order; every account sits under its year
(`2024-25:pot:upfront`) so that years never mix; after each year's last entry, a transaction of
balance assertions pins every account of the year to the figure `grants.ledger.balances` gives.
The entries are streamed from the database and written line by line, so memory stays flat
however long the ledger is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlmodel import col

from grants import ledger
from grants.audit_chain import audit_head
from grants.models import Bid, FundingYear, LedgerEntry, Member
from grants.scope import Scope
from grants.text import visible
from grants.writing.files import write_whole
from grants.years import find_year, list_years

STREAM_BATCH = 2_000
COMMODITY = "£"

# hledger reads `;` in a description as the start of a comment, and a line break would end the
# transaction: neither may reach the journal from free text such as a supplier's name.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r" {2,}")
_NEEDS_CLEANING = re.compile(r"[\x00-\x1f\x7f;]| {2}")


def year_segment(label: str) -> str:
    """`2024/25` → `2024-25`, the top-level account segment of a year."""
    return label.replace("/", "-")


@lru_cache(maxsize=65_536)
def journal_account(label: str, account: str) -> str:
    """A ledger account under its year: `pot:upfront` of 2024/25 → `2024-25:pot:upfront`."""
    return f"{year_segment(label)}:{one_line(account)}"


def journal_amount(pence: int) -> str:
    """Integer pence as `£26440.00` / `£-26440.00`: no grouping, always two decimals.

    The sign goes after the symbol because that is how hledger and ledger-cli both print
    negative amounts, so a round trip through either tool reads the same.
    """
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{COMMODITY}{sign}{pounds}.{rest:02d}"


def one_line(text: str) -> str:
    """Free text made safe for a description or comment: one line, no `;`, no double spaces
    (two spaces separate an account from its amount)."""
    if not _NEEDS_CLEANING.search(text):
        return visible(text.strip())
    return visible(_SPACES.sub(" ", _UNSAFE.sub(" ", text.replace(";", ","))).strip())


def describe(kind: str, reference: str | None, reason: str | None) -> str:
    """`spend CRG-2425-006: invoice CSLH-5-01 from …`; a reason that only repeats the kind is left out."""
    head = " ".join(part for part in (kind, reference) if part)
    if reason and reason.strip() and reason.strip() != kind:
        head = f"{head}: {reason}"
    return one_line(head)


@dataclass(frozen=True)
class YearClose:
    """A year's closing assertions: when they are dated, and every account's balance in pence."""

    label: str
    on: date
    balances: dict[str, int]


@dataclass(frozen=True)
class JournalSummary:
    """What was written: how many entries, for which years."""

    entries: int
    years: list[str]


def _years(scope: Scope) -> list[FundingYear]:
    """The year named by --year, or every year of the partnership (oldest first)."""
    return [find_year(scope)] if scope.options.year else list_years(scope)


def _closes(scope: Scope, years: list[FundingYear]) -> list[YearClose]:
    """Per year with entries: assertions dated max(year end, last booking), in date order."""
    last_booked: dict[int, date] = dict(
        scope.session.execute(
            select(LedgerEntry.year_id, func.max(LedgerEntry.booked_on))
            .where(col(LedgerEntry.year_id).in_([y.id for y in years]))
            .group_by(LedgerEntry.year_id)
        ).all()
    )
    closes = [
        YearClose(y.label, max(y.ends_on, last_booked[y.id]), ledger.balances(scope.session, y.id))
        for y in years
        if y.id in last_booked
    ]
    return sorted(closes, key=lambda c: c.on)


def _entries(scope: Scope, years: list[FundingYear]) -> Iterator[tuple[Any, ...]]:
    """The entries of the years in (booked_on, id) order, fetched in batches from a streaming cursor."""
    query = (
        select(
            LedgerEntry.id,
            LedgerEntry.year_id,
            LedgerEntry.booked_on,
            LedgerEntry.kind,
            LedgerEntry.from_account,
            LedgerEntry.to_account,
            LedgerEntry.amount_pence,
            LedgerEntry.reason,
            Bid.reference,
            Member.handle,
        )
        .outerjoin(Bid, Bid.id == LedgerEntry.bid_id)
        .outerjoin(Member, Member.id == LedgerEntry.actor_id)
        .where(
            LedgerEntry.partnership_id == scope.partnership.id,
            col(LedgerEntry.year_id).in_([y.id for y in years]),
        )
        .order_by(LedgerEntry.booked_on, LedgerEntry.id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    # Core rather than ORM execution: plain rows, a third less work per entry.
    yield from scope.session.connection().execute(query)


def _header(scope: Scope, closes: list[YearClose]) -> Iterator[str]:
    partnership = one_line(scope.partnership.name)
    labels = ", ".join(c.label for c in closes) or "none"
    yield f"; The Crime Reduction Grant ledger of {partnership}, exported by `grants export journal`.\n"
    yield f"; Years: {labels}.\n"
    yield f"; {audit_head(scope.session, scope.partnership.id).line()}.\n"
    yield ";\n"
    yield "; Every account sits under its funding year, so years never mix: 2024/25's upfront pot\n"
    yield "; is 2024-25:pot:upfront. Below each year: funder (the PCC's grant), pot:upfront and\n"
    yield "; pot:tactical, award:<bid reference> (awarded, not yet paid), spent:<bid reference>,\n"
    yield "; returned (given back to the PCC) and carried (carried forward to the next year).\n"
    yield "; One transaction per ledger entry, in booking order: the receiving account gets +amount,\n"
    yield "; the giving account -amount. Each entry's id and actor are its entry: and actor: tags.\n"
    yield "; After each year's last entry, a transaction asserts every account's balance for that year.\n"
    yield "; Amounts are pounds with two decimals (£26440.00); the file reads in hledger and ledger-cli.\n"
    yield "\n"
    yield f"commodity {COMMODITY}\n"
    yield f"    format {COMMODITY}1000.00\n"
    yield "tag entry\n"
    yield "tag actor\n"
    for close in closes:
        yield "\n"
        for account in sorted(close.balances):
            yield f"account {journal_account(close.label, account)}\n"


@lru_cache(maxsize=4_096)
def _tag_value(text: str) -> str:
    return one_line(text)


def _transaction(row: tuple[Any, ...], labels: dict[int, str]) -> str:
    entry_id, year_id, booked_on, kind, source, target, pence, reason, reference, handle = row
    label = labels[year_id]
    return (
        f"\n{booked_on.isoformat()} {describe(kind, reference, reason)}\n"
        f"    ; entry: {entry_id}\n"
        f"    ; actor: {_tag_value(handle or 'unknown')}\n"
        f"    {journal_account(label, target)}    {journal_amount(pence)}\n"
        f"    {journal_account(label, source)}    {journal_amount(-pence)}\n"
    )


def _assertions(close: YearClose) -> str:
    lines = [f"\n{close.on.isoformat()} year-end balances {close.label}\n"]
    lines.append(f"    ; every account of {close.label} as the grants ledger sums it\n")
    for account in sorted(close.balances):
        assertion = journal_amount(close.balances[account])
        lines.append(f"    {journal_account(close.label, account)}    {COMMODITY}0 = {assertion}\n")
    return "".join(lines)


def write_journal(scope: Scope, out: TextIO) -> JournalSummary:
    """Write the journal of --year (default: every year) to `out`, streaming the entries."""
    years = _years(scope)
    labels = {y.id: y.label for y in years}
    closes = _closes(scope, years)
    out.writelines(_header(scope, closes))
    pending = list(closes)
    count = 0
    for row in _entries(scope, years):
        # A year's assertions go in before the first later-dated entry, keeping the whole file in
        # date order (hledger checks assertions in date order, ledger-cli in file order).
        while pending and pending[0].on < row[2]:
            out.write(_assertions(pending.pop(0)))
        out.write(_transaction(row, labels))
        count += 1
    for close in pending:
        out.write(_assertions(close))
    return JournalSummary(count, [c.label for c in closes])


def save_journal(scope: Scope, path: Path) -> JournalSummary:
    """Write the journal to a file; a failed export leaves any earlier file as it was."""

    def write(partial: Path) -> JournalSummary:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            return write_journal(scope, out)

    return write_whole(path, write)
