"""Spend: payments on funded projects, entered by the treasurer or imported from a finance system.

Every payment is a `Spend` row and a ledger entry award:BID → spent:BID, and the bid's cached
`spent_pence` rises by a conditional update that refuses to pass the award, so two treasurers
paying at once can never spend more than was awarded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from grants import clock, ledger
from grants.bids import content_hash, find_bid, subject
from grants.errors import BadInput, NotFound, Refused, shown
from grants.models import Bid, FundingYear, LedgerEntry, Spend, SpendImport, YearStatus
from grants.money import Money, MoneyError, money_fields, plain_pence
from grants.partnerships import _CONTROL, clean_text
from grants.scope import Scope
from grants.seals import EMPTY
from grants.years import in_year, money_year, money_year_id
from workflows.bid_lifecycle import SPENDABLE, BidStatus, Role

SUPPLIER_LIMIT = 200
INVOICE_LIMIT = 100
BATCH = 10_000
# A file with thousands of bad rows is listed up to this many; the rest are counted.
BAD_ROWS_LISTED = 1_000

FIELDS = ("date", "reference", "amount", "supplier", "invoice")
DEFAULT_COLUMNS = {name: name for name in FIELDS}


# --- reading values ------------------------------------------------------------------------------


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UK_DAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def parse_paid_on(text: str) -> date:
    """A payment date as finance systems write it: 2024-06-30 or 30/06/2024 (ASCII digits only)."""
    raw = (text or "").strip()
    try:
        if _ISO_DAY.fullmatch(raw):
            return date.fromisoformat(raw)
        uk = _UK_DAY.fullmatch(raw)
        if uk:
            return date(int(uk[3]), int(uk[2]), int(uk[1]))
    except ValueError:
        pass
    raise BadInput(f"date {shown(raw)} is not a date; write it as 2024-06-30 or 30/06/2024")


def parse_columns(pairs: list[str] | None) -> dict[str, str]:
    """`--column date="Posting Date"` names another system's column for one of our fields."""
    columns = dict(DEFAULT_COLUMNS)
    for pair in pairs or []:
        name, sep, header = pair.partition("=")
        name = name.strip().lower()
        if not sep or name not in FIELDS or not header.strip():
            raise BadInput(
                f"--column {pair!r} is not FIELD=HEADER with FIELD one of {', '.join(FIELDS)}, "
                'e.g. --column date="Posting Date"'
            )
        columns[name] = header.strip()
    return columns


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- what can be paid ----------------------------------------------------------------------------


@dataclass
class Payable:
    """What the import needs to know of one bid, loaded once per command."""

    bid_id: int
    reference: str
    status: BidStatus
    award: int
    spent: int
    year: str
    year_open: bool
    starts_on: date
    ends_on: date

    @property
    def left(self) -> int:
        return self.award - self.spent

    def refusal(self, paid_on: date) -> str | None:
        """Why this bid cannot take a payment on that date, or None."""
        if not self.year_open:
            return f"{self.reference} belongs to {self.year}, which is closed; nothing in it can change"
        if self.status not in SPENDABLE:
            return (
                f"{self.reference} is {self.status.value}: payments go only to funded projects, "
                "in delivery or delivered and not yet closed"
            )
        if not self.starts_on <= paid_on <= self.ends_on:
            return (
                f"{paid_on.isoformat()} is outside {self.year} ({_day(self.starts_on)} to "
                f"{_day(self.ends_on)}), the year of {self.reference}"
            )
        return None

    def over_award(self, amount: int) -> str:
        return (
            f"the award of {self.reference} is {Money(self.award)}, {Money(self.spent)} is spent and "
            f"{Money(self.left)} is left; the payment is {Money(amount)}"
        )


def _payables(scope: Scope, references: list[str] | None = None) -> dict[str, Payable]:
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
        )
        # A project is paid in the year its money is in (a carried project: the year it moved to).
        .join(FundingYear, FundingYear.id == money_year_id())
        .where(Bid.partnership_id == scope.partnership.id)
    )
    if references is not None:
        query = query.where(Bid.reference.in_(references))
    return {
        row[1]: Payable(
            row[0], row[1], row[2], row[3] or 0, row[4], row[5], row[6] == YearStatus.open, row[7], row[8]
        )
        for row in scope.session.execute(query)
    }


def _raise_spent(scope: Scope, payable: Payable, amount: int) -> None:
    """Add to the bid's spend only while it stays within the award: one conditional UPDATE."""
    result = scope.session.execute(
        update(Bid)
        .where(Bid.id == payable.bid_id, Bid.award_pence - Bid.spent_pence >= amount)
        .values(spent_pence=Bid.spent_pence + amount)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        fresh = _payables(scope, [payable.reference])[payable.reference]
        raise Refused(fresh.over_award(amount))


# --- one payment ---------------------------------------------------------------------------------


def add(
    scope: Scope, reference: str, amount: Money, paid_on: date, supplier: str, invoice: str | None
) -> Spend:
    """Record one payment (treasurer)."""
    actor = scope.require("record spend", Role.treasurer)
    supplier = clean_text(supplier, "supplier", limit=SUPPLIER_LIMIT)
    invoice = clean_text(invoice or "", "invoice", limit=INVOICE_LIMIT, required=False) or None
    if amount.pence <= 0:
        raise BadInput(f"a payment must be more than £0, not {amount}")
    bid = find_bid(scope, reference, lock=True)
    payable = _payables(scope, [bid.reference])[bid.reference]
    reason = payable.refusal(paid_on)
    if reason:
        raise Refused(reason)
    if invoice is not None:
        earlier = scope.session.execute(
            select(Spend).where(Spend.bid_id == bid.id, Spend.invoice == invoice)
        ).scalar_one_or_none()
        if earlier is not None:
            raise Refused(
                f"invoice {invoice} is already recorded for {bid.reference} "
                f"({earlier.paid_on.isoformat()}, {Money(earlier.amount_pence)} to {earlier.supplier})"
            )
    if amount.pence > payable.left:
        raise Refused(payable.over_award(amount.pence))
    _raise_spent(scope, payable, amount.pence)
    now = clock.now()
    payment = Spend(
        bid_id=bid.id,
        paid_on=paid_on,
        amount_pence=amount.pence,
        supplier=supplier,
        invoice=invoice,
        actor_id=actor.id,
        created_at=now,
    )
    scope.session.add(payment)
    ledger.post(
        scope.session,
        money_year(scope.session, bid),
        "spend",
        ledger.award_account(bid.reference),
        ledger.spent_account(bid.reference),
        amount,
        actor_id=actor.id,
        on=paid_on,
        reason=_payment_reason(invoice, supplier),
        bid_id=bid.id,
    )
    scope.session.flush()
    scope.session.refresh(bid)
    scope.audit(
        "spend.add",
        subject(bid),
        from_state=bid.status.value,
        to_state=bid.status.value,
        details={
            **money_fields("amount", amount),
            "paid_on": paid_on.isoformat(),
            "supplier": supplier,
            "invoice": invoice,
        },
        content_hash=content_hash(bid),
    )
    return payment


def _payment_reason(invoice: str | None, supplier: str) -> str:
    return f"invoice {invoice} from {supplier}" if invoice else f"payment to {supplier}"


# --- listing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    reference: str
    paid_on: date
    amount: Money
    supplier: str
    invoice: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "paid_on": self.paid_on.isoformat(),
            **money_fields("amount", self.amount),
            "supplier": self.supplier,
            "invoice": self.invoice,
        }


@dataclass(frozen=True)
class SpendList:
    payments: list[Payment]
    count: int
    total: Money


def list_spend(scope: Scope, reference: str | None = None, limit: int = 200) -> SpendList:
    """Payments of one bid (in every year it ran), or of the year (on its projects, dated in it: a
    project carried forward has its earlier payments in the year before), newest first; the count
    and total are of them all."""
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
    count, total = scope.session.execute(
        select(func.count(), func.coalesce(func.sum(Spend.amount_pence), 0))
        .select_from(Spend)
        .join(Bid, Bid.id == Spend.bid_id)
        .where(*where)
    ).one()
    query = (
        select(Bid.reference, Spend.paid_on, Spend.amount_pence, Spend.supplier, Spend.invoice)
        .join(Bid, Bid.id == Spend.bid_id)
        .where(*where)
        .order_by(Spend.paid_on.desc(), Spend.id.desc())
    )
    if limit > 0:
        query = query.limit(limit)
    payments = [Payment(r, d, Money(a), s, i) for r, d, a, s, i in scope.session.execute(query)]
    return SpendList(payments, int(count), Money(int(total)))


# --- importing a finance-system file -------------------------------------------------------------


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


class BadImport(BadInput):
    """The file has bad rows: nothing was imported. Carries every bad row for the listing."""

    def __init__(self, name: str, bad: list[BadRow], more: int) -> None:
        total = len(bad) + more
        super().__init__(f"{name}: {total} bad row{'s' if total != 1 else ''}; nothing was imported")
        self.bad = bad
        self.more = more


@dataclass
class ImportResult:
    file_name: str
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    total: Money = Money(0)
    dry_run: bool = False
    by_bid: dict[str, Money] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "imported": self.imported,
            "skipped": self.skipped,
            **money_fields("total", self.total),
            "by_bid": {ref: money_fields("amount", m) for ref, m in sorted(self.by_bid.items())},
        }


def _stage_table() -> Table:
    return Table(
        "grants_spend_stage",
        MetaData(),
        Column("line", Integer, primary_key=True),
        Column("bid_id", Integer, nullable=False),
        Column("paid_on", Date, nullable=False),
        Column("amount_pence", BigInteger, nullable=False),
        Column("supplier", String(SUPPLIER_LIMIT), nullable=False),
        Column("invoice", String(INVOICE_LIMIT), nullable=False),
        Column("skip", Integer, nullable=False, default=0),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def _header_positions(header: list[str], columns: dict[str, str], name: str) -> dict[str, int]:
    found = {cell.strip().casefold(): i for i, cell in enumerate(header)}
    positions, missing = {}, []
    for field_name in FIELDS:
        wanted = columns[field_name]
        if wanted.casefold() in found:
            positions[field_name] = found[wanted.casefold()]
        else:
            missing.append(f"{wanted!r} (the {field_name})")
    if missing:
        shown = ", ".join(repr(cell.strip()) for cell in header[:20]) or "none"
        raise BadInput(
            f"{name} has no column {' or '.join(missing)}; its header row has {shown}. "
            'Name your columns with --column, e.g. --column date="Posting Date"'
        )
    return positions


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_spend(
    scope: Scope,
    path: Path,
    columns: dict[str, str] | None = None,
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate every row, then import the new ones in one go, or nothing at all.

    Rows stream into a temporary table in batches, so memory stays flat however long the file;
    duplicates, re-imports and the awards are then checked with SQL over the whole file.
    """
    actor = scope.require("import spend", Role.treasurer)
    columns = columns or dict(DEFAULT_COLUMNS)
    name = path.name
    if not path.is_file():
        raise NotFound(f"there is no file {str(path)!r}")
    payables = _payables(scope)
    stage = _stage_table()
    connection = scope.session.connection()
    if connection.dialect.name == "sqlite":
        # A bigger page cache for this one command keeps the indexes being filled in memory
        # (the default is 2 MB); it is the connection's, freed when the command ends.
        connection.exec_driver_sql("PRAGMA cache_size = -65536")
    stage.drop(connection, checkfirst=True)
    stage.create(connection)
    result = ImportResult(name, dry_run=dry_run)
    bad: list[BadRow] = []
    more = 0

    def fault(line: int, reason: str) -> None:
        nonlocal more
        if len(bad) < BAD_ROWS_LISTED:
            bad.append(BadRow(line, reason))
        else:
            more += 1

    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            try:
                header = next(reader)
            except StopIteration:
                raise BadInput(
                    f"{name} is empty; it needs a header row ({', '.join(FIELDS)}) and then one row per payment"
                ) from None
            at = _header_positions(header, columns, name)
            width = max(at.values()) + 1
            batch: list[tuple[Any, ...]] = []
            # The payments' seal (grants.seals), as rows_after would read them back in id order:
            # taken here, in file order, so a million lines are not read twice.
            sealing = hashlib.sha256()
            actor_id = actor.id
            # Plain DB-API executemany: the fastest way in, on both engines.
            mark = "%s" if connection.dialect.paramstyle in ("format", "pyformat") else "?"
            insert_stage = (
                f"INSERT INTO {stage.name} (line, bid_id, paid_on, amount_pence, supplier, invoice, skip) "
                f"VALUES ({', '.join([mark] * 6)}, 0)"
            )
            columns_count = len(header)
            i_date, i_amount, i_reference = at["date"], at["amount"], at["reference"]
            i_supplier, i_invoice = at["supplier"], at["invoice"]
            sqlite = connection.dialect.name == "sqlite"
            # Per bid, what a payment needs to be taken without further questions.
            fast = {
                ref: (p.bid_id, p.starts_on, p.ends_on)
                for ref, p in payables.items()
                if p.year_open and p.status in SPENDABLE
            }
            for row in reader:
                line = reader.line_num
                if not row or (not row[0].strip() and not "".join(row).strip()):
                    continue
                result.rows += 1
                if len(row) != columns_count and (
                    len(row) < width or any(cell.strip() for cell in row[columns_count:])
                ):
                    hint = "" if len(row) < width else ' (an amount with a comma needs quotes: "6,000")'
                    fault(line, f"has {len(row)} columns; the header has {columns_count}{hint}")
                    continue
                # The common, clean row takes the fast path; anything else goes through the
                # full parsers, which give the message.
                day_text, amount_text = row[i_date], row[i_amount]
                supplier, invoice = row[i_supplier].strip(), row[i_invoice].strip()
                try:
                    if _ISO_DAY.fullmatch(day_text):
                        paid_on = date.fromisoformat(day_text)
                    else:
                        paid_on = parse_paid_on(day_text)
                        day_text = paid_on.isoformat()
                    pence = plain_pence(amount_text)
                    if pence is None:
                        pence = Money.parse(amount_text, allow_zero=False).pence
                    if not supplier or len(supplier) > SUPPLIER_LIMIT or _CONTROL.search(supplier):
                        supplier = clean_text(supplier, "supplier", limit=SUPPLIER_LIMIT)
                    if not invoice or len(invoice) > INVOICE_LIMIT or _CONTROL.search(invoice):
                        invoice = clean_text(invoice, "invoice", limit=INVOICE_LIMIT)
                except ValueError:
                    fault(
                        line,
                        f"date {shown(day_text.strip())} is not a date; write it as 2024-06-30 or 30/06/2024",
                    )
                    continue
                except (BadInput, MoneyError) as error:
                    fault(line, str(error))
                    continue
                reference = row[i_reference].strip().upper()
                taken = fast.get(reference)
                if taken is None or not taken[1] <= paid_on <= taken[2]:
                    payable = payables.get(reference)
                    if payable is None:
                        fault(line, f"there is no bid {shown(reference, 30)}")
                    else:
                        fault(line, payable.refusal(paid_on) or f"{reference} cannot take this payment")
                    continue
                batch.append((line, taken[0], day_text if sqlite else paid_on, pence, supplier, invoice))
                # grants.seals.payment_text, inline: a million calls cost a second.
                sealing.update(
                    f"{taken[0]}\x1f{day_text}\x1f{pence}\x1f{supplier}\x1f{invoice}\x1f{actor_id}\x1e".encode()
                )
                if len(batch) >= BATCH:
                    connection.exec_driver_sql(insert_stage, batch)
                    batch.clear()
                    if progress is not None:
                        progress(raw.tell())
            if batch:
                connection.exec_driver_sql(insert_stage, batch)
        except UnicodeDecodeError as error:
            raise BadInput(
                f"{name} is not UTF-8 text (a bad byte near line {reader.line_num + 1}: {error.reason}); "
                "save it from the finance system as CSV UTF-8"
            ) from None
        except csv.Error as error:
            raise BadInput(f"{name} line {reader.line_num}: not readable as CSV ({error})") from None
        if progress is not None:
            progress(raw.tell())
    if result.rows == 0 and not bad:
        raise BadInput(f"{name} has a header row but no payments")

    Index("ix_grants_spend_stage_bid_invoice", stage.c.bid_id, stage.c.invoice).create(connection)
    by_id = {p.bid_id: p for p in payables.values()}
    # The same invoice twice for one bid in this file.
    first = (
        select(stage.c.bid_id, stage.c.invoice, func.min(stage.c.line).label("first"))
        .group_by(stage.c.bid_id, stage.c.invoice)
        .having(func.count() > 1)
        .subquery()
    )
    repeats = connection.execute(
        select(stage.c.line, stage.c.bid_id, stage.c.invoice, first.c.first)
        .join(first, (first.c.bid_id == stage.c.bid_id) & (first.c.invoice == stage.c.invoice))
        .where(stage.c.line > first.c.first)
        .order_by(stage.c.line)
    )
    for line, bid_id, invoice, first_line in repeats:
        fault(line, f"invoice {invoice} for {by_id[bid_id].reference} repeats line {first_line}")

    # Rows already imported (same bid and invoice) are skipped: re-running an import is safe.
    connection.execute(
        update(stage)
        .where(exists().where((Spend.bid_id == stage.c.bid_id) & (Spend.invoice == stage.c.invoice)))
        .values(skip=1)
    )
    totals = connection.execute(
        select(
            stage.c.bid_id,
            func.sum(stage.c.amount_pence),
            func.count(),
            func.min(stage.c.line),
            func.max(stage.c.line),
        )
        .where(stage.c.skip == 0)
        .group_by(stage.c.bid_id)
    ).all()
    for bid_id, total, count, low, high in totals:
        payable = by_id[bid_id]
        if total > payable.left:
            lines = f"line {low}" if count == 1 else f"lines {low}–{high}"
            fault(
                low,
                f"{lines}: the {count} new payment{'s' if count != 1 else ''} to {payable.reference} "
                f"add up to {Money(int(total))}, but the award is {Money(payable.award)} with "
                f"{Money(payable.spent)} spent, leaving {Money(payable.left)}",
            )
    if bad:
        bad.sort(key=lambda row: row.line)
        raise BadImport(name, bad, more)

    result.skipped = int(
        connection.execute(select(func.count()).select_from(stage).where(stage.c.skip == 1)).scalar_one()
    )
    result.imported = result.rows - result.skipped
    result.total = Money(sum(int(total) for _, total, _, _, _ in totals))
    result.by_bid = {by_id[bid_id].reference: Money(int(total)) for bid_id, total, _, _, _ in totals}
    if dry_run:
        scope.session.rollback()
        return result

    batch_row = SpendImport(
        partnership_id=scope.partnership.id,
        file_name=name[:300],
        sha256=_file_digest(path),
        rows=result.rows,
        imported=result.imported,
        skipped=result.skipped,
        total_pence=result.total.pence,
        actor_id=actor.id,
        created_at=clock.now(),
    )
    scope.session.add(batch_row)
    scope.session.flush()
    now = clock.now()
    connection.execute(
        insert(Spend.__table__).from_select(
            [
                "bid_id",
                "paid_on",
                "amount_pence",
                "supplier",
                "invoice",
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
                literal(batch_row.id),
                literal(actor.id),
                literal(now, type_=Spend.__table__.c.created_at.type),
            )
            .where(stage.c.skip == 0)
            .order_by(stage.c.line),
        )
    )
    # One ledger entry per payment, award:BID → spent:BID, dated the day it was paid; read from
    # the staged rows (the payments just inserted, in the same order).
    connection.execute(
        insert(LedgerEntry.__table__).from_select(
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
                literal(scope.partnership.id),
                money_year_id(),
                literal("spend"),
                literal("award:") + Bid.reference,
                literal("spent:") + Bid.reference,
                stage.c.amount_pence,
                stage.c.bid_id,
                stage.c.paid_on,
                literal(actor.id),
                literal("invoice ") + stage.c.invoice + literal(" from ") + stage.c.supplier,
                literal(now, type_=LedgerEntry.__table__.c.created_at.type),
            )
            .join(Bid, Bid.id == stage.c.bid_id)
            .where(stage.c.skip == 0)
            .order_by(stage.c.bid_id, stage.c.line),
        )
    )
    for bid_id, total, _, _, _ in totals:
        _raise_spent(scope, by_id[bid_id], int(total))
    stage.drop(connection, checkfirst=True)
    # Rows skipped as already imported are in the staged digest: then the seal reads them back.
    # Its ledger entries are all spend entries, which the seal counts (check matches each to its
    # payment): their digest is of no rows.
    presealed = (
        {"spend": (result.imported, sealing.hexdigest()), "ledger_entry": (result.imported, EMPTY)}
        if not result.skipped
        else None
    )
    scope.audit(
        "spend.import",
        f"import {name}",
        presealed=presealed,
        details={
            "file": name,
            "sha256": batch_row.sha256,
            "rows": result.rows,
            "imported": result.imported,
            "skipped": result.skipped,
            **money_fields("total", result.total),
            "by_bid": {ref: m.pence for ref, m in sorted(result.by_bid.items())},
        },
    )
    return result
