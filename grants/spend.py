"""Spend: payments and refunds on funded projects, entered by the treasurer or imported from a
finance system.

Every payment line is a `Spend` row and one ledger entry (`grants.ledger.payment_movement`: a
payment award:BID → spent:BID, a refund or credit note spent:BID → award:BID), and the bid's
cached `spent_pence` moves by a conditional update that keeps it between zero and the award, so
two treasurers paying at once can never spend more than was awarded.

An import reads the file through the same row parser as `spend add` (`grants.spendfile`), stages
every line in a temporary table, checks the whole file there with SQL, and only then books the new
lines, all in one transaction: every bad line is listed at once and nothing changes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlmodel import col

from grants import clock, ledger, seals
from grants.bids import content_hash, find_bid, subject
from grants.errors import BadInput, NotFound, Refused, shown
from grants.models import (
    Bid,
    FundingYear,
    LedgerEntry,
    Member,
    PotKind,
    Spend,
    SpendImport,
    YearStatus,
    table_of,
)
from grants.money import Money, money_fields
from grants.permissions import require
from grants.scope import Scope
from grants.spendfile import (
    DEFAULT_COLUMNS,
    FIELDS,
    INVOICE_LIMIT,
    SUPPLIER_LIMIT,
    PaymentLine,
    ReferenceFinder,
    Source,
    header_positions,
    invoice_key,
    parse_amount,
    parse_columns,
    parse_paid_on,
    read_payment,
)
from grants.wording import counted, day_text, line_numbers
from grants.years import in_year, money_year, money_year_id
from workflows.bid_lifecycle import SPENDABLE, BidStatus
from workflows.policy import Action

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

__all__ = [
    "FIELDS",
    "DEFAULT_COLUMNS",
    "invoice_key",
    "parse_amount",
    "parse_columns",
    "parse_paid_on",
    "add",
    "list_spend",
    "import_spend",
]

BATCH = 10_000
# A file with thousands of bad rows is listed up to this many; the rest are counted.
BAD_ROWS_LISTED = 1_000
WARNINGS_LISTED = 200
# How much of an unmatched line is shown.
LINE_SHOWN = 120


# --- what can be paid ----------------------------------------------------------------------------


@dataclass
class Payable:
    """What a payment needs to know of one bid, loaded once per command."""

    bid_id: int
    reference: str
    status: BidStatus
    award: int
    spent: int
    year: str
    year_open: bool
    starts_on: date
    ends_on: date
    funded_on: date | None
    delivery_end: date | None
    # A project carried forward: what it has spent in the year its money is in now. A refund
    # there may return no more than that, or that year's spent account would go below zero.
    spent_here: int | None = None

    @property
    def left(self) -> int:
        return self.award - self.spent

    def refusal(self, paid_on: date, today: date) -> str | None:
        """Why this bid cannot take a payment line on that date, or None: the one place these
        rules live, for `spend add` and the import alike."""
        if not self.year_open:
            return f"{self.reference} belongs to {self.year}, which is closed; nothing in it can change"
        if self.status not in SPENDABLE:
            return (
                f"{self.reference} is {self.status.value}: payments go only to funded projects, "
                "in delivery or delivered and not yet closed"
            )
        if paid_on > today:
            return (
                f"{paid_on.isoformat()} is after today ({today.isoformat()}): a payment is recorded "
                "once it is made, never ahead"
            )
        if self.funded_on is not None and paid_on < self.funded_on:
            return (
                f"{paid_on.isoformat()} is before {self.reference} was funded on "
                f"{self.funded_on.isoformat()}: a project is paid only after its award"
            )
        if not self.starts_on <= paid_on <= self.ends_on:
            return (
                f"{paid_on.isoformat()} is outside {self.year} ({day_text(self.starts_on)} to "
                f"{day_text(self.ends_on)}), the year of {self.reference}"
            )
        return None

    def warning(self, paid_on: date) -> str | None:
        """A payment after the project's end date is taken (invoices come late) but pointed out."""
        if self.delivery_end is not None and paid_on > self.delivery_end:
            return (
                f"{paid_on.isoformat()} is after {self.reference}'s end date "
                f"{self.delivery_end.isoformat()}; taken, but check it belongs to the project"
            )
        return None

    def out_of_bounds(self, change: int) -> str | None:
        """Why one payment or refund of `change` pence breaks the award or takes the spend below
        zero, or None."""
        if change > self.left:
            return (
                f"the award of {self.reference} is {Money(self.award)}, {Money(self.spent)} is spent and "
                f"{Money(self.left)} is left; the payment is {Money(change)}"
            )
        if self.spent + change < 0:
            return self._below_zero(f"the refund is {Money(-change)}", change)
        if self.spent_here is not None and self.spent_here + change < 0:
            return self._below_zero_here(f"the refund is {Money(-change)}")
        return None

    def lines_out_of_bounds(self, total: int, lines: str, *, one: bool = False) -> str | None:
        """The same for the new lines of a file, which count together: their net total (`one`:
        there is one line, named as "the new payment on line 8", or refund, which *is* its amount)."""
        said = (
            f"{lines} to {self.reference} is {Money(abs(total))}"
            if one
            else f"{lines} to {self.reference} add up to {Money(total)}"
        )
        if total > self.left:
            return (
                f"{said}, but the award is "
                f"{Money(self.award)} with {Money(self.spent)} spent, leaving {Money(self.left)}"
            )
        if self.spent + total < 0:
            return self._below_zero(said, total)
        if self.spent_here is not None and self.spent_here + total < 0:
            return self._below_zero_here(said)
        return None

    def _below_zero_here(self, said: str) -> str:
        return (
            f"{said}, but {self.reference} was carried forward and has {Money(self.spent_here or 0)} "
            f"spent in {self.year}: a refund of earlier years' spend cannot be booked in {self.year}"
        )

    def _below_zero(self, said: str, change: int) -> str:
        return (
            f"{said}, but {self.reference} has {Money(self.spent)} spent, so its spend would be "
            f"{Money(self.spent + change)}: a refund cannot take a project's spend below zero"
        )


def _payables(scope: Scope, references: list[str] | None = None) -> dict[str, Payable]:
    session = scope.session
    query = (
        select(
            Bid.id,
            Bid.reference,
            Bid.status,
            Bid.award_pence,
            Bid.spent_pence,
            FundingYear.label,
            FundingYear.status,
            FundingYear.starts_on,
            FundingYear.ends_on,
            Bid.delivery_end,
            Bid.carried_to_year_id,
        )
        # A project is paid in the year its money is in (a carried project: the year it moved to).
        .join(FundingYear, FundingYear.id == money_year_id())
        .where(Bid.partnership_id == scope.partnership.id)
    )
    if references is not None:
        query = query.where(col(Bid.reference).in_(references))
    # When each project was funded: its first award entry, pot:X → award:BID, found through the
    # ledger's (year, from account) index.
    years = select(FundingYear.id).where(FundingYear.partnership_id == scope.partnership.id)
    funded_query = (
        select(LedgerEntry.bid_id, func.min(LedgerEntry.booked_on))
        .where(
            col(LedgerEntry.year_id).in_(years),
            col(LedgerEntry.from_account).in_([ledger.pot_account(kind) for kind in PotKind]),
            LedgerEntry.kind == "award",
        )
        .group_by(LedgerEntry.bid_id)
    )
    funded = dict(session.execute(funded_query).all())
    payables = {}
    for row in session.execute(query):
        payable = Payable(
            row[0],
            row[1],
            row[2],
            row[3] or 0,
            row[4],
            row[5],
            row[6] == YearStatus.open,
            row[7],
            row[8],
            funded.get(row[0]),
            row[9],
        )
        if row[10] is not None:
            into, out = ledger.flows_by_account(session, row[10], ledger.spent_account(row[1]))
            payable.spent_here = into - out
        payables[row[1]] = payable
    return payables


def _move_spent(scope: Scope, payable: Payable, change: int, *, single: bool) -> None:
    """Move the bid's spend by `change` pence only while it stays between zero and the award:
    one conditional UPDATE, safe against another treasurer paying at the same moment."""
    result = typing.cast(
        "CursorResult[Any]",
        scope.session.execute(
            update(Bid)
            .where(
                Bid.id == payable.bid_id,
                col(Bid.award_pence) - Bid.spent_pence >= change,
                Bid.spent_pence + change >= 0,
            )
            .values(spent_pence=Bid.spent_pence + change)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        fresh = _payables(scope, [payable.reference])[payable.reference]
        raise Refused(
            fresh.out_of_bounds(change)
            if single
            else fresh.lines_out_of_bounds(change, "the new lines")
            or f"{payable.reference} cannot take this change to its spend"
        )


# --- one payment ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    reference: str
    paid_on: date
    amount: Money
    supplier: str
    invoice: str | None
    warning: str | None = None

    @property
    def kind(self) -> str:
        return ledger.REFUND if self.amount.pence < 0 else ledger.SPEND

    def to_json(self) -> dict[str, Any]:
        data = {
            "reference": self.reference,
            "kind": self.kind,
            "paid_on": self.paid_on.isoformat(),
            **money_fields("amount", self.amount),
            "supplier": self.supplier,
            "invoice": self.invoice,
        }
        if self.warning:
            data["warning"] = self.warning
        return data


def add(
    scope: Scope,
    reference: str,
    amount: Money | str,
    paid_on: date | str,
    supplier: str,
    invoice: str | None,
) -> Payment:
    """Record one payment, or a refund (a negative amount), on a funded project (treasurer)."""
    actor = require(scope, Action.record_spend)
    line = read_payment(
        paid_on,
        amount.pence if isinstance(amount, Money) else amount,
        supplier,
        invoice,
        invoice_required=False,
    )
    bid = find_bid(scope, reference, lock=True)
    payable = _payables(scope, [bid.reference])[bid.reference]
    _refuse_recorded_invoice(scope, bid, line)
    reason = payable.refusal(line.paid_on, scope.today) or payable.out_of_bounds(line.pence)
    if reason:
        raise Refused(reason)
    _move_spent(scope, payable, line.pence, single=True)
    _book_payment(scope, bid, line, actor.id)
    scope.session.refresh(bid)
    scope.audit(
        "spend.refund" if line.is_refund else "spend.add",
        subject(bid),
        from_state=bid.status.value,
        to_state=bid.status.value,
        details={
            **money_fields("amount", Money(line.pence)),
            "paid_on": line.paid_on.isoformat(),
            "supplier": line.supplier,
            "invoice": line.invoice,
        },
        content_hash=content_hash(bid),
    )
    return Payment(
        bid.reference,
        line.paid_on,
        Money(line.pence),
        line.supplier,
        line.invoice,
        payable.warning(line.paid_on),
    )


def _refuse_recorded_invoice(scope: Scope, bid: Bid, line: PaymentLine) -> None:
    """The same invoice is never recorded twice for a bid (its identity: `invoice_key`)."""
    if line.key is None:
        return
    earlier = scope.session.execute(
        select(Spend).where(Spend.bid_id == bid.id, Spend.invoice_key == line.key)
    ).scalar_one_or_none()
    if earlier is not None:
        credit = line.is_refund and earlier.amount_pence > 0
        raise Refused(
            f"invoice {line.invoice} is already recorded for {bid.reference} "
            f"({earlier.paid_on.isoformat()}, {Money(earlier.amount_pence)} to {earlier.supplier}"
            + (f", as {earlier.invoice}" if earlier.invoice != line.invoice else "")
            + ")"
            + (
                f"; record the credit note under its own number, e.g. --invoice {line.invoice}-CN"
                if credit
                else ""
            )
        )


def _book_payment(scope: Scope, bid: Bid, line: PaymentLine, actor_id: int) -> None:
    """One payment row and its ledger entry (grants.ledger.payment_movement)."""
    movement = ledger.payment_movement(bid.reference, line.pence, line.supplier, line.invoice)
    scope.session.add(
        Spend(
            bid_id=bid.id,
            paid_on=line.paid_on,
            amount_pence=line.pence,
            supplier=line.supplier,
            invoice=line.invoice,
            invoice_key=line.key,
            actor_id=actor_id,
            created_at=clock.now(),
        )
    )
    ledger.post(
        scope.session,
        money_year(scope.session, bid),
        movement.kind,
        movement.from_account,
        movement.to_account,
        Money(movement.pence),
        actor_id=actor_id,
        on=line.paid_on,
        reason=movement.reason,
        bid_id=bid.id,
    )
    scope.session.flush()


# --- listing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendList:
    payments: list[Payment]
    count: int
    total: Money
    refunds: int = 0
    refunded: Money = Money(0)


def list_spend(scope: Scope, reference: str | None = None, limit: int = 200) -> SpendList:
    """Payments and refunds of one bid (in every year it ran), or of the year (on its projects,
    dated in it: a project carried forward has its earlier payments in the year before), newest
    first; the count and the (net) total are of them all, with the refunds among them."""
    where = [Bid.partnership_id == scope.partnership.id]
    if reference:
        where.append(Bid.id == find_bid(scope, reference).id)
    else:
        from grants.years import find_year

        year = find_year(scope)
        where += [
            in_year(year.id),
            Spend.paid_on >= year.starts_on,
            Spend.paid_on <= year.ends_on,
        ]
    refund = Spend.amount_pence < 0
    count, total, refunds, refunded = scope.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Spend.amount_pence), 0),
            func.count().filter(refund),
            func.coalesce(func.sum(Spend.amount_pence).filter(refund), 0),
        )
        .select_from(Spend)
        .join(Bid, Bid.id == Spend.bid_id)
        .where(*where)
    ).one()
    query = (
        select(Bid.reference, Spend.paid_on, Spend.amount_pence, Spend.supplier, Spend.invoice)
        .join(Bid, Bid.id == Spend.bid_id)
        .where(*where)
        .order_by(col(Spend.paid_on).desc(), col(Spend.id).desc())
    )
    if limit > 0:
        query = query.limit(limit)
    payments = [Payment(r, d, Money(a), s, i) for r, d, a, s, i in scope.session.execute(query)]
    return SpendList(payments, int(count), Money(int(total)), int(refunds), Money(-int(refunded)))


# --- importing a finance-system file -------------------------------------------------------------


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


class BadImport(BadInput):
    """The file has bad rows: nothing was imported. Carries every bad row for the listing."""

    def __init__(self, name: str, bad: list[BadRow], more: int, unmatched: int = 0) -> None:
        total = len(bad) + more
        hint = (
            f"; {unmatched} of them {'names' if unmatched == 1 else 'name'} no grant project "
            "(--skip-unmatched imports the rest and "
            "reports what it skipped)"
            if unmatched
            else ""
        )
        super().__init__(f"{name}: {counted(total, 'bad row')}; nothing was imported{hint}")
        self.bad = bad
        self.more = more
        self.unmatched = unmatched


@dataclass
class ImportResult:
    file_name: str
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    total: Money = Money(0)
    refunds: int = 0
    refunded: Money = Money(0)
    unmatched: int = 0
    unmatched_total: Money = Money(0)
    dry_run: bool = False
    by_bid: dict[str, Money] = field(default_factory=dict)
    warnings: list[BadRow] = field(default_factory=list)
    more_warnings: int = 0
    read_as: str = ""  # the encoding told from the file's bytes (or named), or the sheet read

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "read_as": self.read_as,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "imported": self.imported,
            "skipped": self.skipped,
            **money_fields("total", self.total),
            "refunds": self.refunds,
            **money_fields("refunded", self.refunded),
            "unmatched": self.unmatched,
            **money_fields("unmatched_total", self.unmatched_total),
            "by_bid": {ref: money_fields("amount", m) for ref, m in sorted(self.by_bid.items())},
            "warnings": [w.to_json() for w in self.warnings],
            "more_warnings": self.more_warnings,
        }


class BidTotal(NamedTuple):
    """A bid's new lines in an import: their net pence, how many, the first line, and the refunds
    among them (how many, and the pence paid back)."""

    bid_id: int
    net: int
    lines: int
    first: int
    refunds: int
    refunded: int


def _stage_table() -> Table:
    """The staging table: each line as read, with whatever is wrong with it for its bid
    (`problem`, held back until the repeats are known)."""
    return Table(
        "grants_spend_stage",
        MetaData(),
        Column("line", Integer, primary_key=True),
        Column("bid_id", Integer, nullable=False),
        Column("paid_on", Date, nullable=False),
        Column("amount_pence", BigInteger, nullable=False),
        Column("supplier", String(SUPPLIER_LIMIT), nullable=False),
        Column("invoice", String(INVOICE_LIMIT), nullable=False),
        Column("invoice_key", String(400), nullable=False),
        Column("problem", Text, nullable=True),
        Column("skip", Integer, nullable=False, server_default="0"),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


STAGE_COLUMNS = (
    "line",
    "bid_id",
    "paid_on",
    "amount_pence",
    "supplier",
    "invoice",
    "invoice_key",
    "problem",
)


class _Stager:
    """Writes staged lines in batches: COPY on PostgreSQL (psycopg 3), executemany on SQLite."""

    def __init__(self, connection: Any, stage: Table) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.batch: list[tuple[Any, ...]] = []
        names = ", ".join(STAGE_COLUMNS)
        if self.postgres:
            self.sql = f"COPY {stage.name} ({names}) FROM STDIN"
        else:
            marks = ", ".join(["?"] * len(STAGE_COLUMNS))
            self.sql = f"INSERT INTO {stage.name} ({names}, skip) VALUES ({marks}, 0)"

    def flush(self) -> None:
        if not self.batch:
            return
        if self.postgres:
            driver = self.connection.connection.driver_connection
            with driver.cursor() as cursor, cursor.copy(self.sql) as copy:
                for row in self.batch:
                    copy.write_row(row)
        else:
            self.connection.exec_driver_sql(self.sql, self.batch)
        self.batch.clear()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Faults:
    """Every bad line of a file, listed up to BAD_ROWS_LISTED and counted beyond."""

    def __init__(self) -> None:
        self.bad: list[BadRow] = []
        self.more = 0
        self.unmatched = 0

    def __call__(self, line: int, reason: str) -> None:
        if len(self.bad) < BAD_ROWS_LISTED:
            self.bad.append(BadRow(line, reason))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.bad) or self.more > 0


def _line_text(row: list[str]) -> str:
    """A line as the file has it (near enough): its cells, a cell with a comma or quote quoted."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([cell.strip() for cell in row])
    return shown(out.getvalue(), LINE_SHOWN)


# How many reference cells _FileReader remembers (emptied when full, so memory stays flat).
_CELLS_KNOWN = 8192


class _FileReader:
    """Reads every line of a file through the row parser and stages it; a line's fault is noted,
    never raised. Each new line is hashed as it is staged, as the seal will read its payment (see
    grants.seals.make): a million-line import is sealed without reading its rows back."""

    def __init__(
        self,
        scope: Scope,
        source: Source,
        at: dict[str, int],
        payables: dict[str, Payable],
        faults: _Faults,
        result: ImportResult,
        *,
        skip_unmatched: bool,
        actor_id: int,
    ) -> None:
        self.source, self.payables, self.faults, self.result = source, payables, faults, result
        self.skip_unmatched, self.actor_id = skip_unmatched, actor_id
        self.finder = ReferenceFinder(scope.partnership.programme, set(payables))
        self.today = scope.today
        self.reference_column = repr(source.header[at["reference"]])
        self.width = max(at.values()) + 1
        self.at = (at["date"], at["amount"], at["reference"], at["supplier"], at["invoice"])
        # Per bid, the dates a line is taken on without asking Payable.refusal (the fast path);
        # None for a bid that takes no payment at all (a closed year, or not spendable).
        self.window: dict[int, tuple[date, date] | None] = {
            p.bid_id: (max(p.starts_on, p.funded_on or p.starts_on), min(p.ends_on, self.today))
            if p.year_open and p.status in SPENDABLE
            else None
            for p in payables.values()
        }
        self.unmatched_pence = 0
        self.digest = seals.RangeDigest()
        self.texts: list[str] = []  # the staged lines' seal texts, hashed a batch at a time
        self.by_actor = f"\x1f{actor_id}"
        self.columns = len(source.header)
        # Per bid, the lines taken without a problem: [net, lines, first, refunds, refunded]
        # (the import's totals when no line turns out to be imported before; see _check_stage).
        self.totals: dict[int, list[int]] = {}
        # Reference cells already found to name a bid (a file repeats a few hundred of them a
        # million times); only those, so a bad cell is looked at, and listed, every time.
        self.known: dict[str, Payable] = {}

    def run(self, stager: _Stager, progress: Callable[[int], None] | None) -> None:
        result, staged, batch, texts = self.result, self.staged, stager.batch, self.texts
        for line, row in self.source.rows():
            result.rows += 1
            values = staged(line, row)
            if values is not None:
                batch.append(values)
                if len(batch) >= BATCH:
                    stager.flush()
                    self.digest.add_texts(texts)
                    texts.clear()
                    if progress is not None:
                        progress(self.source.position())
        stager.flush()
        self.digest.add_texts(texts)
        texts.clear()
        result.unmatched_total = Money(self.unmatched_pence)
        if progress is not None:
            progress(self.source.position())

    def staged(self, line: int, row: list[str]) -> tuple[Any, ...] | None:
        """One line as the staging table holds it, or None (a fault, or not grant spend)."""
        payable = self.payable(line, row)
        if payable is None:
            return None
        i_date, i_amount, _, i_supplier, i_invoice = self.at
        try:
            parsed: PaymentLine = read_payment(
                row[i_date], row[i_amount], row[i_supplier], row[i_invoice], invoice_required=True
            )
        except BadInput as error:
            self.faults(line, str(error))
            return None
        paid_on, pence, supplier, invoice, key = parsed
        bid_id = payable.bid_id
        window = self.window[bid_id]
        problem = None
        if window is None or not window[0] <= paid_on <= window[1]:
            problem = payable.refusal(paid_on, self.today)
        if problem is None:
            total = self.totals.get(bid_id)
            if total is None:
                self.totals[bid_id] = [pence, 1, line, int(pence < 0), max(-pence, 0)]
            else:
                total[0] += pence
                total[1] += 1
                if pence < 0:
                    total[3] += 1
                    total[4] -= pence
        day = paid_on.isoformat()
        # The payment as the seal reads it: grants.seals.row_text of grants.seals._spend's columns
        # after the id, written out (all are ints and strs here: the invoice is required).
        self.texts.append(f"{bid_id}\x1f{day}\x1f{pence}\x1f{supplier}\x1f{invoice}{self.by_actor}")
        return (line, bid_id, day, pence, supplier, invoice, key, problem)

    def bid_totals(self) -> list[BidTotal]:
        return [BidTotal(bid_id, *figures) for bid_id, figures in self.totals.items()]

    def payable(self, line: int, row: list[str]) -> Payable | None:
        """The bid a line pays, or None: a line of the wrong shape, naming no grant project (not
        a fault with --skip-unmatched) or an unknown bid."""
        count = self.columns
        if len(row) != count and (len(row) < self.width or any(cell.strip() for cell in row[count:])):
            self.wrong_shape(line, row)
            return None
        cell = row[self.at[2]]
        known = self.known.get(cell)
        if known is not None:
            return known
        try:
            reference = self.finder.find(cell)
        except BadInput as error:
            self.faults(line, f"{self.reference_column} {shown(cell.strip(), 60)} {error}")
            return None
        if reference is None:
            self.unmatched(line, row)
            return None
        payable = self.payables.get(reference)
        if payable is None:
            self.faults(line, f"there is no bid {shown(reference, 30)}")
        else:
            if len(self.known) >= _CELLS_KNOWN:
                self.known.clear()
            self.known[cell] = payable
        return payable

    def wrong_shape(self, line: int, row: list[str]) -> None:
        """A line with more or fewer cells than the header: a fault, unless no cell of it names a
        grant project (a report's footer, "End of report"): then it is not grant spend."""
        try:
            named = self.finder.find(" ".join(row))
        except BadInput:
            named = "more than one"
        if named is None:
            self.unmatched(line, row, shaped=False)
            return
        hint = "" if len(row) < self.width else ' (an amount with a comma needs quotes: "6,000")'
        self.faults(line, f"has {counted(len(row), 'column')}; the header has {self.columns}{hint}")

    def unmatched(self, line: int, row: list[str], *, shaped: bool = True) -> None:
        """A line naming no grant project; its amount counts in the skipped total when the line
        has the header's shape (else which cell is its amount?)."""
        self.result.unmatched += 1
        try:
            self.unmatched_pence += parse_amount(row[self.at[1]]) if shaped else 0
        except BadInput:
            pass  # not grant spend: its amount is not ours to check
        if not self.skip_unmatched:
            self.faults.unmatched += 1
            self.faults(line, f"names no grant project in {self.reference_column}: {_line_text(row)}")


def _check_stage(
    connection: Any, stage: Table, payables: dict[str, Payable], faults: _Faults, read: list[BidTotal]
) -> list[BidTotal]:
    """The checks over the whole file, in SQL: repeats in the file; lines already imported
    (skipped when the same, an error naming both when not), recognised before any other check so a
    year-to-date export re-runs after its projects close; then each new line's problem and each
    project's new total against its award. Gives each bid's new lines' totals: those counted while
    reading (`read`) when no line was imported before, else summed again over the lines left."""
    if connection.dialect.name == "sqlite":
        # SQLite groups and joins the staged lines by (bid, invoice) through this index; PostgreSQL
        # hashes them instead and never used it (building it was a second of a million lines).
        Index("ix_grants_spend_stage_bid_key", stage.c.bid_id, stage.c.invoice_key).create(connection)
    by_id = {p.bid_id: p for p in payables.values()}
    _repeats_in_file(connection, stage, by_id, faults)
    skipped = _imported_before(connection, stage, by_id, faults)
    problems = connection.execute(
        select(stage.c.line, stage.c.problem)
        .where(stage.c.skip == 0, stage.c.problem.is_not(None))
        .order_by(stage.c.line)
    )
    for line, problem in problems:
        faults(line, problem)
    totals = read if skipped == 0 else _new_totals(connection, stage)
    _over_awards(connection, stage, totals, by_id, faults)
    return totals


def _repeats_in_file(connection: Any, stage: Table, by_id: dict[int, Payable], faults: _Faults) -> None:
    """A bid's invoice on two lines of the file: the later lines are faults."""
    first = (
        select(stage.c.bid_id, stage.c.invoice_key, func.min(stage.c.line).label("first"))
        .group_by(stage.c.bid_id, stage.c.invoice_key)
        .having(func.count() > 1)
        .subquery()
    )
    repeats = connection.execute(
        select(stage.c.line, stage.c.bid_id, stage.c.invoice, first.c.first)
        .join(first, (first.c.bid_id == stage.c.bid_id) & (first.c.invoice_key == stage.c.invoice_key))
        .where(stage.c.line > first.c.first)
        .order_by(stage.c.line)
    )
    for line, bid_id, invoice, first_line in repeats:
        faults(line, f"invoice {invoice} for {by_id[bid_id].reference} repeats line {first_line}")


def _imported_before(connection: Any, stage: Table, by_id: dict[int, Payable], faults: _Faults) -> int:
    """Lines already imported: skipped when the same amount and date (how many is given back), a
    fault naming both when not."""
    same = and_(Spend.bid_id == stage.c.bid_id, Spend.invoice_key == stage.c.invoice_key)
    skipped = connection.execute(
        update(stage)
        .where(
            exists().where(same, Spend.amount_pence == stage.c.amount_pence, Spend.paid_on == stage.c.paid_on)
        )
        .values(skip=1)
    ).rowcount
    changed = connection.execute(
        select(
            stage.c.line,
            stage.c.bid_id,
            stage.c.invoice,
            stage.c.amount_pence,
            stage.c.paid_on,
            Spend.invoice,
            Spend.amount_pence,
            Spend.paid_on,
        )
        .join(Spend, same)
        .where(stage.c.skip == 0)
        .order_by(stage.c.line)
    )
    for line, bid_id, invoice, pence, paid_on, was_invoice, was_pence, was_paid_on in changed:
        now_said = f"{Money(int(pence))} on {_iso(paid_on)}"
        then_said = f"{Money(int(was_pence))} on {_iso(was_paid_on)}"
        as_written = f" (as {was_invoice})" if was_invoice != invoice else ""
        faults(
            line,
            f"invoice {invoice} for {by_id[bid_id].reference} was imported before{as_written} as "
            f"{then_said}; this line says {now_said}. Correct the file, or record the difference "
            "as its own payment or credit note",
        )
    return int(skipped)


def _new_totals(connection: Any, stage: Table) -> list[BidTotal]:
    """Per bid, the totals of the staged lines that are new and have no problem."""
    refund = stage.c.amount_pence < 0
    rows = connection.execute(
        select(
            stage.c.bid_id,
            func.sum(stage.c.amount_pence),
            func.count(),
            func.min(stage.c.line),
            func.count().filter(refund),
            func.coalesce(func.sum(-stage.c.amount_pence).filter(refund), 0),
        )
        .where(stage.c.skip == 0, stage.c.problem.is_(None))
        .group_by(stage.c.bid_id)
    )
    return [BidTotal(*(int(value) for value in row)) for row in rows]


def _over_awards(
    connection: Any, stage: Table, totals: list[BidTotal], by_id: dict[int, Payable], faults: _Faults
) -> None:
    """A bid whose new lines break its award (or take its spend below zero) is a fault at its
    first new line, naming the lines as they are ("lines 3 and 7", a range only for consecutive
    lines)."""
    for total in totals:
        payable = by_id[total.bid_id]
        if payable.lines_out_of_bounds(total.net, "") is None:
            continue
        first = connection.execute(
            select(stage.c.line)
            .where(stage.c.bid_id == total.bid_id, stage.c.skip == 0, stage.c.problem.is_(None))
            .order_by(stage.c.line)
            .limit(5)
        ).scalars()
        lines = line_numbers(list(first), total.lines)
        count = total.lines
        if count == 1:
            payments = "the new refund" if total.net < 0 else "the new payment"
        else:
            payments = f"the {counted(count, 'new payment')}"
        said = payable.lines_out_of_bounds(total.net, f"{payments} on {lines}", one=count == 1)
        faults(total.first, said or "")


def _iso(day: date | str) -> str:
    return day if isinstance(day, str) else day.isoformat()


def _warnings(connection: Any, stage: Table, payables: dict[str, Payable], result: ImportResult) -> None:
    """New lines dated after their project's end date: taken, and listed."""
    by_id = {p.bid_id: p for p in payables.values()}
    late = connection.execute(
        select(stage.c.line, stage.c.bid_id, stage.c.paid_on)
        .join(Bid, Bid.id == stage.c.bid_id)
        .where(stage.c.skip == 0, Bid.delivery_end.is_not(None), stage.c.paid_on > Bid.delivery_end)
        .order_by(stage.c.line)
    )
    for line, bid_id, paid_on in late:
        said = by_id[bid_id].warning(paid_on if isinstance(paid_on, date) else date.fromisoformat(paid_on))
        if said is None:
            continue
        if len(result.warnings) < WARNINGS_LISTED:
            result.warnings.append(BadRow(line, said))
        else:
            result.more_warnings += 1


def import_spend(
    scope: Scope,
    path: Path,
    columns: dict[str, str] | None = None,
    *,
    dry_run: bool = False,
    skip_unmatched: bool = False,
    encoding: str | None = None,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check every line of a finance export, then book the new ones in one go, or nothing at all.

    Lines stream into a temporary table in batches, so memory stays flat however long the file;
    repeats, re-imports and the awards are then checked with SQL over the whole file.
    """
    actor = require(scope, Action.import_spend)
    if not path.is_file():
        raise NotFound(f"there is no file {str(path)!r}")
    result = ImportResult(path.name, dry_run=dry_run)
    faults = _Faults()
    connection = scope.session.connection()
    stage = _stage_table()
    with Source(path, path.name, encoding=encoding, sheet=sheet) as source:
        result.read_as = source.read_as
        at = header_positions(source.header, columns or dict(DEFAULT_COLUMNS), path.name)
        payables = _payables(scope)
        reader = _FileReader(
            scope, source, at, payables, faults, result, skip_unmatched=skip_unmatched, actor_id=actor.id
        )
        _open_stage(connection, stage)
        reader.run(_Stager(connection, stage), progress)
    if connection.dialect.name == "postgresql":
        # A temporary table is never analysed by autovacuum: without figures the planner sorted the
        # staged million lines to book them in line order, instead of reading its key in order.
        connection.exec_driver_sql(f"ANALYZE {stage.name}")
    if result.rows == 0 and not faults:
        raise BadInput(f"{path.name} has a header row but no payments")
    totals = _check_stage(connection, stage, payables, faults, reader.bid_totals())
    if faults:
        faults.bad.sort(key=lambda row: row.line)
        raise BadImport(path.name, faults.bad, faults.more, faults.unmatched)
    _figures(connection, stage, result, totals, payables)
    if dry_run or result.imported == 0:
        # Nothing new (a re-run of the same export): nothing is written, not even a record of it.
        scope.session.rollback()
        return result
    if result.skipped == 0:
        # Every staged line is new: the digest made while staging is the one of its payments.
        scope.preseal("spend", reader.digest)
    _book(scope, connection, stage, path, result, totals, payables, actor.id)
    return result


def _open_stage(connection: Any, stage: Table) -> None:
    if connection.dialect.name == "sqlite":
        # A bigger page cache for this one command keeps the indexes being filled in memory
        # (the default is 2 MB); it is the connection's, freed when the command ends. (A bigger
        # cache for the temporary database, where the file is staged, was tried: a third less CPU
        # in the checks at 100,000 lines, none at a million, whose staged lines do not fit, for
        # 32 MB more memory. Left out.)
        connection.exec_driver_sql("PRAGMA cache_size = -65536")
    else:
        # Room to hash and sort the staged lines in memory, for this transaction only: at the
        # defaults (4 MB and 8 MB) a million staged lines and their sorts spilled to disk, a fifth
        # of the import's time. temp_buffers can be set only before the session's first temporary
        # table (after that PostgreSQL refuses a new value), so only in a session with none yet.
        connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        if not connection.exec_driver_sql("SELECT pg_my_temp_schema() <> 0").scalar_one():
            connection.exec_driver_sql("SET LOCAL temp_buffers = '128MB'")
    stage.drop(connection, checkfirst=True)
    stage.create(connection)


def _figures(
    connection: Any,
    stage: Table,
    result: ImportResult,
    totals: list[BidTotal],
    payables: dict[str, Payable],
) -> None:
    """What the import does, for its report: new lines, skipped ones, totals, refunds, warnings."""
    by_id = {p.bid_id: p for p in payables.values()}
    result.imported = sum(total.lines for total in totals)
    result.skipped = result.rows - result.imported - result.unmatched
    result.total = Money(sum(total.net for total in totals))
    result.refunds = sum(total.refunds for total in totals)
    result.refunded = Money(sum(total.refunded for total in totals))
    result.by_bid = {by_id[total.bid_id].reference: Money(total.net) for total in totals}
    _warnings(connection, stage, payables, result)


def _book(
    scope: Scope,
    connection: Any,
    stage: Table,
    path: Path,
    result: ImportResult,
    totals: list[BidTotal],
    payables: dict[str, Payable],
    actor_id: int,
) -> None:
    """Book the staged new lines: the import's record, the bids' spend, the payments and their
    ledger entries (grants.ledger.payment_movement_sql), the audit event."""
    batch_row = SpendImport(
        partnership_id=scope.partnership.id,
        file_name=result.file_name[:300],
        sha256=_file_digest(path),
        rows=result.rows,
        imported=result.imported,
        skipped=result.skipped,
        total_pence=result.total.pence,
        actor_id=actor_id,
        created_at=clock.now(),
    )
    scope.session.add(batch_row)
    scope.session.flush()
    _move_all_spent(scope, totals, payables)
    with _references_held(connection, stage, actor_id):
        _insert_payments(connection, stage, batch_row.id, actor_id)
        _insert_entries(connection, stage, scope.partnership.id, actor_id)
    stage.drop(connection, checkfirst=True)
    scope.audit(
        "spend.import",
        f"import {result.file_name}",
        details={
            "file": result.file_name,
            "sha256": batch_row.sha256,
            "rows": result.rows,
            "imported": result.imported,
            "skipped": result.skipped,
            "unmatched": result.unmatched,
            "refunds": result.refunds,
            **money_fields("total", result.total),
            "by_bid": {ref: m.pence for ref, m in sorted(result.by_bid.items())},
        },
    )


def _move_all_spent(scope: Scope, totals: list[BidTotal], payables: dict[str, Payable]) -> None:
    """Move every bid's spend by its new lines' net total with one conditional UPDATE run over the
    list of (bid, total) (each bid stays between zero and its award, as `_move_spent` keeps one);
    if any bid cannot take its total, the first such is refused with its figures. It also locks the
    bids before their rows are written."""
    new_total = bindparam("new_total", type_=BigInteger)
    moved = typing.cast(
        "CursorResult[Any]",
        scope.session.connection().execute(
            update(Bid)
            .where(
                Bid.id == bindparam("bid", type_=Integer),
                col(Bid.award_pence) - Bid.spent_pence >= new_total,
                Bid.spent_pence + new_total >= 0,
            )
            .values(spent_pence=Bid.spent_pence + new_total),
            [{"bid": each.bid_id, "new_total": each.net} for each in totals],
        ),
    ).rowcount
    if moved == len(totals):
        return
    by_id = {p.bid_id: p for p in payables.values()}
    fresh = _payables(scope, [by_id[total.bid_id].reference for total in totals])
    for total in totals:
        problem = fresh[by_id[total.bid_id].reference].lines_out_of_bounds(total.net, "the new lines")
        if problem:
            raise Refused(problem)
    raise Refused("the projects' spend changed while the file was read; run the import again")


def _insert_payments(connection: Any, stage: Table, import_id: int, actor_id: int) -> None:
    """The new lines as payments, in line order (the order their digest was made in)."""
    connection.execute(
        insert(table_of(Spend)).from_select(
            [
                "bid_id",
                "paid_on",
                "amount_pence",
                "supplier",
                "invoice",
                "invoice_key",
                "import_id",
                "actor_id",
                "created_at",
            ],
            select(
                stage.c.bid_id,
                stage.c.paid_on,
                stage.c.amount_pence,
                stage.c.supplier,
                stage.c.invoice,
                stage.c.invoice_key,
                literal(import_id),
                literal(actor_id),
                literal(clock.now(), type_=table_of(Spend).c.created_at.type),
            )
            .where(stage.c.skip == 0)
            .order_by(stage.c.line),
        )
    )


def _insert_entries(connection: Any, stage: Table, partnership_id: int, actor_id: int) -> None:
    """The new lines' ledger entries (grants.ledger's movement of each, as SQL), booked in the
    year each bid's money is in."""
    c = stage.c
    movement = ledger.payment_movement_sql(Bid.reference, c.amount_pence, c.supplier, c.invoice)
    connection.execute(
        insert(table_of(LedgerEntry)).from_select(
            [
                "partnership_id",
                "year_id",
                "kind",
                "from_account",
                "to_account",
                "amount_pence",
                "bid_id",
                "booked_on",
                "actor_id",
                "reason",
                "created_at",
            ],
            select(
                literal(partnership_id),
                money_year_id(),
                movement.kind,
                movement.from_account,
                movement.to_account,
                movement.pence,
                stage.c.bid_id,
                stage.c.paid_on,
                literal(actor_id),
                movement.reason,
                literal(clock.now(), type_=table_of(LedgerEntry).c.created_at.type),
            )
            .join(Bid, Bid.id == stage.c.bid_id)
            .where(stage.c.skip == 0)
            .order_by(stage.c.bid_id, stage.c.line),
        )
    )


@contextmanager
def _references_held(connection: Any, stage: Table, actor_id: int) -> Iterator[None]:
    """On PostgreSQL, the rows the new payments and entries refer to, locked set-wise as the
    foreign-key checks would lock them row by row; the per-row checks are then skipped for the two
    INSERTs (`session_replication_role = replica`, in this transaction only): at a million lines
    they were two thirds of the import's time.

    Every reference is known good before this: each bid was read (and its row is locked by the
    spend update), the import row was just written, the partnership's row is locked by the
    command, and the acting member and the bids' years are locked here, FOR KEY SHARE, as the
    checks would. It is done only where the login may set that parameter (a superuser, or one
    granted SET on it) and the two tables have no triggers of their own (`grants db grants`
    installs some): otherwise the checks run row by row, as on SQLite, where they are cheap."""
    if not _may_skip_row_checks(connection):
        yield
        return
    connection.execute(select(Member.id).where(Member.id == actor_id).with_for_update(key_share=True)).all()
    bids = select(stage.c.bid_id).where(stage.c.skip == 0).distinct()
    years = select(money_year_id()).where(Bid.id.in_(bids))
    connection.execute(
        select(FundingYear.id).where(FundingYear.id.in_(years)).with_for_update(key_share=True)
    ).all()
    connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    yield  # an error here ends the transaction, and the setting with it
    connection.exec_driver_sql("SET LOCAL session_replication_role = origin")


def _may_skip_row_checks(connection: Any) -> bool:
    if connection.dialect.name != "postgresql" or (connection.dialect.server_version_info or (0,)) < (15,):
        return False
    allowed, triggers = connection.exec_driver_sql(
        "SELECT has_parameter_privilege('session_replication_role', 'SET'), "
        "EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal "
        "AND tgrelid IN ('spend'::regclass, 'ledger_entry'::regclass))"
    ).one()
    return bool(allowed) and not triggers
