"""Seals: what binds the rows that matter to the audit chain.

Every audit event carries a seal (`audit_event.seals`, covered by the event's hash):

- `rows`: for each append-only table (ledger entries, payments, score sheets, interests, spend
  imports), the rows of the partnership the event's command wrote. Rows are named by id: the
  event seals the ids above the previous event's high-water mark (`marks`) up to its own, with
  their count and a digest of their content (and, for a handful of rows, each row's own hash, so
  that a check can name the row). Writes to a partnership are serial (its row is locked first),
  so the ids of one partnership's commands never interleave.
- `state`: a hash of each row that is changed in place and matters (the partnership's settings,
  organisations, members and their roles, years with their status and allocation, criteria), as
  it stood when the event was recorded. The newest event therefore holds the state of now.

`grants check` recomputes both from the tables. A row changed, added or removed behind grants'
back no longer matches its event; changing the event as well breaks the hash chain; rewriting
the whole chain with fresh hashes is caught only by an anchor (`grants audit verify --anchor`).

A database made before seals existed gets one `audit.baseline` event when it is upgraded: it
seals the rows and state as they stand then (grants cannot vouch for what was done before it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, String, case, cast, func, literal, select
from sqlmodel import Session

from grants.models import (
    AuditEvent,
    Bid,
    Criterion,
    FundingYear,
    Interest,
    LedgerEntry,
    Member,
    Organisation,
    Partnership,
    ScoreSheet,
    Spend,
    SpendImport,
)

VERSION = 1
# A range of at most this many rows also keeps each row's own hash, so a check names the row.
NAMED_ROWS = 16


def _text(value: Any) -> str:
    """One value as the digest reads it, the same on SQLite and PostgreSQL."""
    if value is None:
        return "\u2400"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):  # an enum
        return str(value.value)
    return str(value)


def row_text(values: Iterable[Any]) -> str:
    return "\x1f".join(_text(v) for v in values)


def row_hash(values: Iterable[Any]) -> str:
    return hashlib.sha256(row_text(values).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SealedTable:
    """An append-only table whose rows are sealed by the event that wrote them."""

    name: str
    noun: str
    # The partnership's rows from an id on, in id order: (id, *content).
    query: Callable[[int], Select[Any]]
    # What a person calls one row, from its content (for messages).
    label: Callable[[tuple[Any, ...]], str]
    # Rows the seal only counts, because `grants check` matches each to a sealed row it derives
    # from (a payment's ledger entry, to its payment): a million-line import then seals its
    # ledger entries without reading them back.
    counted_only: Callable[[], Any] | None = None


def _ledger(partnership_id: int) -> Select[Any]:
    e = LedgerEntry
    return select(
        e.id, e.year_id, e.kind, e.from_account, e.to_account, e.amount_pence, e.bid_id, e.booked_on,
        e.actor_id, e.reason,
    ).where(e.partnership_id == partnership_id)  # fmt: skip


def _spend(partnership_id: int) -> Select[Any]:
    s = Spend
    return (
        select(s.id, s.bid_id, s.paid_on, s.amount_pence, s.supplier, s.invoice, s.actor_id)
        .join(Bid, Bid.id == s.bid_id)
        .where(Bid.partnership_id == partnership_id)
    )


def _sheets(partnership_id: int) -> Select[Any]:
    s = ScoreSheet  # `current` is left out: re-scoring clears it on the old version (checked apart)
    return (
        select(s.id, s.bid_id, s.member_id, s.version, s.scores, s.stance, s.comment)
        .join(Bid, Bid.id == s.bid_id)
        .where(Bid.partnership_id == partnership_id)
    )


def _interests(partnership_id: int) -> Select[Any]:
    i = Interest
    return (
        select(i.id, i.bid_id, i.member_id, i.reason, i.declared_by_id)
        .join(Bid, Bid.id == i.bid_id)
        .where(Bid.partnership_id == partnership_id)
    )


def _imports(partnership_id: int) -> Select[Any]:
    i = SpendImport
    return select(
        i.id, i.file_name, i.sha256, i.rows, i.imported, i.skipped, i.total_pence, i.actor_id
    ).where(i.partnership_id == partnership_id)


def _pence(value: Any) -> str:
    pence = int(value)
    return f"£{pence // 100:,}.{pence % 100:02d}"


TABLES: tuple[SealedTable, ...] = (
    SealedTable(
        "ledger_entry",
        "ledger entry",
        _ledger,
        lambda r: f"ledger entry #{r[0]} ({r[2]} {_pence(r[5])} {r[3]} → {r[4]} on {_text(r[7])})",
        lambda: LedgerEntry.kind == "spend",
    ),
    SealedTable(
        "spend",
        "payment",
        _spend,
        lambda r: f"payment #{r[0]} ({_pence(r[3])} to {r[4]!r} on {_text(r[2])}, invoice {r[5]})",
    ),
    SealedTable(
        "score_sheet",
        "score sheet",
        _sheets,
        lambda r: f"score sheet #{r[0]} (bid id {r[1]}, member id {r[2]})",
    ),
    SealedTable(
        "interest",
        "declared interest",
        _interests,
        lambda r: f"declared interest #{r[0]} (bid id {r[1]}, member id {r[2]})",
    ),
    SealedTable("spend_import", "spend import", _imports, lambda r: f"spend import #{r[0]} ({r[1]!r})"),
)
BY_NAME = {table.name: table for table in TABLES}


_SEP = "\x1f"
_NULL = "\u2400"


def _as_text(column: Any, dialect: str) -> Any:
    """One column as text, the same on both engines (dates as YYYY-MM-DD, whatever DateStyle)."""
    value: ColumnElement[Any]
    if isinstance(column.type, Date) and dialect == "postgresql":
        value = func.to_char(column, "YYYY-MM-DD")
    else:
        value = cast(column, String)
    return func.coalesce(value, literal(_NULL, String))


def _text_column(table: SealedTable, query: Select[Any], dialect: str) -> Any:
    columns = list(query.selected_columns)
    text = _as_text(columns[1], dialect)
    for column in columns[2:]:
        text = text + literal(_SEP, String) + _as_text(column, dialect)
    if table.counted_only is not None:
        text = case((table.counted_only(), literal(None, String)), else_=text)
    return text


def rows_after(
    session: Session, table: SealedTable, partnership_id: int, after: int, *, digested_only: bool = False
) -> Iterator[tuple[int, str | None]]:
    """The partnership's rows of a sealed table with ids above `after`, in id order, each as
    (id, its text without the id), the text made by the database; None for a row the seal only
    counts (or, with `digested_only`, no such rows at all)."""
    query = table.query(partnership_id)
    id_column = query.selected_columns[0]
    text = _text_column(table, query, session.get_bind().dialect.name)
    rows = query.with_only_columns(id_column, text.label("text"), maintain_column_froms=True).where(
        id_column > after
    )
    if digested_only and table.counted_only is not None:
        rows = rows.where(~table.counted_only())
    # Core rows, not the ORM's: a million-row table is read here, and each ORM row costs more.
    yield from session.connection().execute(rows.order_by(id_column).execution_options(yield_per=10_000))


def count_after(session: Session, table: SealedTable, partnership_id: int, after: int) -> tuple[int, int]:
    """(how many, the highest id) of the partnership's rows above `after`."""
    query = table.query(partnership_id)
    id_column = query.selected_columns[0]
    count, last = session.execute(
        query.with_only_columns(func.count(), func.max(id_column), maintain_column_froms=True).where(
            id_column > after
        )
    ).one()
    return int(count), int(last or 0)


def row_values(
    session: Session, table: SealedTable, partnership_id: int, row_id: int
) -> tuple[Any, ...] | None:
    """One row's values, for a message that names it."""
    query = table.query(partnership_id)
    found = session.execute(query.where(query.selected_columns[0] == row_id)).first()
    return tuple(found) if found is not None else None


class RangeDigest:
    """The seal of one event's rows of one table, built row by row."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.count = 0
        self.last = 0
        self.named: list[list[Any]] = []

    def add_texts(self, texts: list[str]) -> None:
        """Rows of a range too big to name its rows (see `make`'s `presealed`), each given as the
        text the database makes of it (`_text_column`): `row_text` of its values in the table's
        query order without the id. One hash update per batch gives the same digest as one per
        row."""
        if texts:
            self.count += len(texts)
            self.digest.update(("\x1e".join(texts) + "\x1e").encode("utf-8"))

    def add(self, row_id: int, text: str | None) -> None:
        self.count += 1
        self.last = row_id
        if text is None:  # counted only
            if len(self.named) <= NAMED_ROWS:
                self.named.append([row_id, "-"])
            return
        data = text.encode("utf-8")
        self.digest.update(data)
        self.digest.update(b"\x1e")
        if len(self.named) <= NAMED_ROWS:
            self.named.append([row_id, hashlib.sha256(data).hexdigest()[:16]])

    def seal(self) -> list[Any]:
        named = self.named if self.count <= NAMED_ROWS else []
        return [self.count, self.digest.hexdigest(), named]


# --- state: rows changed in place --------------------------------------------------------------


def state(session: Session, partnership_id: int) -> dict[str, str]:
    """Each row that is changed in place and matters, by name, with its hash now."""
    p = session.execute(
        select(
            Partnership.slug, Partnership.name, Partnership.funder_name, Partnership.funder_prefix,
            Partnership.funder_org_id, Partnership.programme, Partnership.quorum_authorities,
            Partnership.consensus_threshold, Partnership.moderation_spread,
        ).where(Partnership.id == partnership_id)
    ).one()  # fmt: skip
    found = {"partnership": row_hash(p)}
    for row in session.execute(
        select(
            Organisation.id, Organisation.key, Organisation.name, Organisation.responsible_authority,
            Organisation.org_id,
        ).where(Organisation.partnership_id == partnership_id)
    ):  # fmt: skip
        found[f"organisation {row.key}"] = row_hash(row)
    for row in session.execute(
        select(Member.id, Member.handle, Member.name, Member.organisation_id, Member.roles).where(
            Member.partnership_id == partnership_id
        )
    ):
        found[f"member {row.handle}"] = row_hash(row)
    years = {}
    for row in session.execute(
        select(
            FundingYear.id, FundingYear.label, FundingYear.starts_on, FundingYear.ends_on, FundingYear.status,
            FundingYear.allocation_pence, FundingYear.tactical_share,
        ).where(FundingYear.partnership_id == partnership_id)
    ):  # fmt: skip
        years[row.id] = row.label
        found[f"year {row.label}"] = row_hash(row)
    if years:
        for row in session.execute(
            select(
                Criterion.id, Criterion.year_id, Criterion.key, Criterion.title, Criterion.description,
                Criterion.weight, Criterion.position,
            ).where(Criterion.year_id.in_(list(years)))
        ):  # fmt: skip
            found[f"criterion {row.key} {years[row.year_id]}"] = row_hash(row)
    return found


# --- writing seals -----------------------------------------------------------------------------


def previous_marks(session: Session, partnership_id: int, seq: int) -> dict[str, int]:
    """The high-water marks left by event `seq` (none before the first sealed event)."""
    if seq < 1:
        return {}
    sealed = session.execute(
        select(AuditEvent.seals).where(AuditEvent.partnership_id == partnership_id, AuditEvent.seq == seq)
    ).scalar_one_or_none()
    return json.loads(sealed)["marks"] if sealed else {}


def make(
    session: Session,
    partnership_id: int,
    previous_seq: int,
    *,
    rows: bool = True,
    presealed: dict[str, RangeDigest] | None = None,
) -> str:
    """The seal of the event that follows `previous_seq`: the rows written since (none when
    `rows` is false: the command's last event seals them), and the state.

    `presealed` gives, per table, the digest of the rows the command wrote as it wrote them (a
    big import hashes its payments while staging them, instead of reading a million rows back).
    It is taken only when its count is the table's count of new rows; otherwise the rows are read
    back as usual. Either way `grants check` reads them from the table: a digest that differs
    from the rows is caught there."""
    marks = previous_marks(session, partnership_id, previous_seq)
    sealed: dict[str, list[Any]] = {}
    new_marks: dict[str, int] = {}
    for table in TABLES:
        after = int(marks.get(table.name, 0))
        count, last = count_after(session, table, partnership_id, after) if rows else (0, 0)
        new_marks[table.name] = max(after, last)
        if not count:
            continue
        given = (presealed or {}).get(table.name)
        if given is not None and given.count == count and count > NAMED_ROWS:
            sealed[table.name] = given.seal()
            continue
        digest = RangeDigest()
        big = count > NAMED_ROWS
        for row_id, text in rows_after(session, table, partnership_id, after, digested_only=big):
            digest.add(row_id, text)
        if big:
            digest.count = count
        sealed[table.name] = digest.seal()
    return json.dumps(
        {"v": VERSION, "marks": new_marks, "rows": sealed, "state": state(session, partnership_id)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def needs_baseline(session: Session, partnership_id: int) -> bool:
    """True when the partnership's newest event carries no seal (made before seals existed, or
    written in bulk by the benchmark generator)."""
    head = session.execute(
        select(Partnership.audit_count).where(Partnership.id == partnership_id)
    ).scalar_one()
    if head == 0:
        return False
    sealed = session.execute(
        select(AuditEvent.seals).where(AuditEvent.partnership_id == partnership_id, AuditEvent.seq == head)
    ).scalar_one_or_none()
    return sealed is None


