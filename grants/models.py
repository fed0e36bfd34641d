"""The SQLModel tables: partnerships, organisations, members, years, pots, ledger and audit."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, String, Table, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from workflows.bid_lifecycle import BidStatus

# Names for constraints and indexes, so that migrations and models agree on every engine.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def enum_column(enum_type: type[enum.Enum], length: int = 20) -> Column[Any]:
    """An enum stored as its text, checked by the application (no native type to migrate)."""
    return Column(
        SAEnum(
            enum_type,
            native_enum=False,
            length=length,
            create_constraint=False,
            values_callable=lambda members: [m.value for m in members],
        ),
        nullable=False,
    )


def pence_column(*, nullable: bool = False, default: int | None = 0) -> Column[Any]:
    """A money column: integer pence, never Numeric (SQLite would store a float)."""
    return Column(BigInteger, nullable=nullable, server_default=None if default is None else str(default))



class _Stored(Protocol):
    id: int | None


def id_of(row: _Stored) -> int:
    """A stored row's id. sqlmodel types every `id` as `int | None` because it is None until the
    row is flushed; a row read from the database, or flushed, always has one."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id until it is flushed")
    return row.id


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for statements written in Core (bulk inserts, whole rows)."""
    # sqlmodel sets `__table__` on `table=True` classes when they are made; SQLModel does not declare it.
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


class YearStatus(enum.StrEnum):
    """Whether a funding year still takes writes."""

    open = "open"
    closed = "closed"


class PotKind(enum.StrEnum):
    """The two pots of a year: business cases agreed upfront, and in-year tactical spending."""

    upfront = "upfront"
    tactical = "tactical"


class ReferenceKind(enum.StrEnum):
    """Kinds of per-year reference data."""

    pcc_priority = "pcc_priority"
    csa_priority = "csa_priority"
    cross_cutting_theme = "cross_cutting_theme"


class Partnership(SQLModel, table=True):
    """A Community Safety Partnership receiving Crime Reduction Grant money, with its settings."""

    __tablename__ = "partnership"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    funder_name: str = Field(sa_column=Column(String(200), nullable=False))
    # The 360Giving grant-id prefix: grant ids are 360G-<prefix>-<bid reference>, so no two
    # partnerships in a database may share it (their references repeat: CRG-2425-001 …).
    funder_prefix: str = Field(sa_column=Column(String(60), nullable=False, unique=True))
    funder_org_id: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    programme: str = Field(default="CRG", sa_column=Column(String(10), nullable=False))
    quorum_authorities: int = Field(default=4)
    consensus_threshold: int = Field(default=50)
    moderation_spread: int = Field(default=40)
    # The terms-of-reference rules above and this share are the partnership's settings; each year
    # takes a copy when it opens (FundingYear), so a change applies from the next year opened.
    tactical_share: str = Field(
        default="1/3", sa_column=Column(String(20), nullable=False, server_default="1/3")
    )
    # Head of the audit hash chain; locked while an event is appended.
    audit_head: str = Field(sa_column=Column(String(64), nullable=False))
    audit_count: int = Field(default=0)
    created_at: datetime


class Organisation(SQLModel, table=True):
    """A partner agency; responsible authorities count towards the working group's quorum."""

    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    key: str = Field(sa_column=Column(String(40), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    responsible_authority: bool = Field(default=False)
    org_id: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    # A retired organisation keeps its history (bids, members) but takes no new members or bids.
    retired_at: datetime | None = None


class Member(SQLModel, table=True):
    """A person acting in the partnership, with a handle, an organisation and roles."""

    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("partnership_id", "handle"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    handle: str = Field(sa_column=Column(String(40), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    # Comma-separated role names in a fixed order (see grants.identity.ROLE_ORDER).
    roles: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime
    # A retired member keeps their history (sheets, audit events) but can no longer act.
    retired_at: datetime | None = None


class FundingYear(SQLModel, table=True):
    """A UK financial year of one partnership's grant, open or closed."""

    __tablename__ = "funding_year"
    __table_args__ = (UniqueConstraint("partnership_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    label: str = Field(sa_column=Column(String(7), nullable=False))
    starts_on: date
    ends_on: date
    status: YearStatus = Field(sa_column=enum_column(YearStatus, 10))
    allocation_pence: int = Field(sa_column=pence_column())
    tactical_share: str = Field(sa_column=Column(String(20), nullable=False))
    # The terms-of-reference rules as they were when the year opened (from its partnership).
    quorum_authorities: int = Field(default=4)
    consensus_threshold: int = Field(default=50)
    moderation_spread: int = Field(default=40)
    opened_at: datetime
    closed_at: datetime | None = None


class Pot(SQLModel, table=True):
    """One pot of a year. `uncommitted_pence` caches the ledger balance of `pot:<kind>`."""

    __tablename__ = "pot"
    __table_args__ = (
        UniqueConstraint("year_id", "kind"),
        CheckConstraint("uncommitted_pence >= 0", name="uncommitted_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year_id: int = Field(foreign_key="funding_year.id", index=True)
    kind: PotKind = Field(sa_column=enum_column(PotKind, 10))
    uncommitted_pence: int = Field(sa_column=pence_column())


class LedgerEntry(SQLModel, table=True):
    """One immutable movement of money from one account to another."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        CheckConstraint("from_account <> to_account", name="distinct_accounts"),
        # Covering indexes: every balance is a sum read from an index alone.
        Index("ix_ledger_entry_year_from", "year_id", "from_account", "amount_pence"),
        Index("ix_ledger_entry_year_to", "year_id", "to_account", "amount_pence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Not indexed: the ledger is read by year (the covering indexes below) and written a million
    # rows at a time by imports, where each index costs.
    partnership_id: int = Field(foreign_key="partnership.id")
    year_id: int = Field(foreign_key="funding_year.id")
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    from_account: str = Field(sa_column=Column(String(60), nullable=False))
    to_account: str = Field(sa_column=Column(String(60), nullable=False))
    amount_pence: int = Field(sa_column=pence_column(default=None))
    bid_id: int | None = Field(default=None, foreign_key="bid.id")
    booked_on: date
    actor_id: int = Field(foreign_key="member.id")
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime


class AuditEvent(SQLModel, table=True):
    """One immutable, hash-chained record of who did what, when, to what."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("partnership_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id")
    seq: int
    at: str = Field(sa_column=Column(String(32), nullable=False))
    actor: str = Field(sa_column=Column(String(40), nullable=False))
    action: str = Field(sa_column=Column(String(40), nullable=False))
    subject: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    from_state: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    to_state: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    details: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # What binds the rows the event's command wrote, and the state it left, to the chain (canonical
    # JSON, see grants.seals); covered by the hash. None only on events made before seals existed.
    seals: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))


class ReferenceItem(SQLModel, table=True):
    """Reference data: a PCC priority, a CSA priority or a cross-cutting theme.

    Items with a year belong to that year; items without one are the partnership's template,
    loaded by `grants init` and copied into the first year it opens.
    """

    __tablename__ = "reference_item"
    __table_args__ = (UniqueConstraint("partnership_id", "year_id", "kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    year_id: int | None = Field(default=None, foreign_key="funding_year.id", index=True)
    kind: ReferenceKind = Field(sa_column=enum_column(ReferenceKind, 30))
    key: str = Field(sa_column=Column(String(40), nullable=False))
    title: str = Field(sa_column=Column(String(300), nullable=False))
    position: int = Field(default=0)
    # A retired item can no longer be chosen by a bid; bids that chose it keep it.
    retired_at: datetime | None = None


class Bid(SQLModel, table=True):
    """A project proposal moving through the lifecycle of workflows.bid_lifecycle."""

    __tablename__ = "bid"
    __table_args__ = (
        UniqueConstraint("partnership_id", "reference"),
        UniqueConstraint("year_id", "sequence"),
        CheckConstraint("amount_requested_pence >= 0", name="amount_not_negative"),
        CheckConstraint("spent_pence >= 0", name="spent_not_negative"),
        Index("ix_bid_year_status", "year_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id")
    year_id: int = Field(foreign_key="funding_year.id")
    sequence: int
    reference: str = Field(sa_column=Column(String(20), nullable=False))
    lead_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    contact_member_id: int | None = Field(default=None, foreign_key="member.id")
    title: str = Field(sa_column=Column(String(200), nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    amount_requested_pence: int = Field(sa_column=pence_column())
    pot: PotKind = Field(sa_column=enum_column(PotKind, 10))
    pcc_priorities: str = Field(default="", sa_column=Column(Text, nullable=False))
    csa_priorities: str = Field(default="", sa_column=Column(Text, nullable=False))
    outcomes: str = Field(default="", sa_column=Column(Text, nullable=False))
    measures: str = Field(default="", sa_column=Column(Text, nullable=False))
    delivery_end: date | None = None
    end_explanation: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: BidStatus = Field(sa_column=enum_column(BidStatus, 20))
    # The award as the PCC approved or varied it; the ledger's award account holds what is
    # left of it, and `spent_pence` caches the project's spend (both checked against the ledger).
    award_pence: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    spent_pence: int = Field(sa_column=pence_column())
    outcome_summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Set when the rollover carried the project's remaining award into the next year (the
    # PCC-agreed case): its spend and ledger entries from then on belong to that year.
    carried_to_year_id: int | None = Field(default=None, foreign_key="funding_year.id")
    created_by_id: int = Field(foreign_key="member.id")
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None


class SpendImport(SQLModel, table=True):
    """One finance-system file taken in by `grants spend import`: what it held and what it gave."""

    __tablename__ = "spend_import"

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    file_name: str = Field(sa_column=Column(String(300), nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    rows: int
    imported: int
    skipped: int
    total_pence: int = Field(sa_column=pence_column())
    actor_id: int = Field(foreign_key="member.id")
    created_at: datetime


class Spend(SQLModel, table=True):
    """A payment on a funded project, or a refund (a credit note): a negative amount. A payment's
    ledger entry moves the money award:BID → spent:BID, a refund's spent:BID → award:BID.

    The same invoice is never recorded twice for a bid: its identity is the bid and the invoice
    number as `grants.spend.invoice_key` normalises it (case, spaces and look-alike dashes
    ignored), which is what makes re-running an import safe (a payment without an invoice number
    is entered by hand and never matched)."""

    __tablename__ = "spend"
    __table_args__ = (
        UniqueConstraint("bid_id", "invoice_key"),
        CheckConstraint("amount_pence <> 0", name="spend_not_zero"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bid_id: int = Field(foreign_key="bid.id")
    paid_on: date
    amount_pence: int = Field(sa_column=pence_column(default=None))
    supplier: str = Field(sa_column=Column(String(200), nullable=False))
    invoice: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    # NFKC can lengthen a text (a ligature becomes two letters): room for that.
    invoice_key: str | None = Field(default=None, sa_column=Column(String(400), nullable=True))
    import_id: int | None = Field(default=None, foreign_key="spend_import.id")
    actor_id: int = Field(foreign_key="member.id")
    created_at: datetime


class Stance(enum.StrEnum):
    """A member's view of a bid on their score sheet."""

    support = "support"
    oppose = "oppose"
    abstain = "abstain"


class Criterion(SQLModel, table=True):
    """A scoring criterion of one year, with its weight and what each score 0–5 means.

    Criteria without a year are the partnership's template (from its partnership file), copied
    into the first year it opens; later years copy the year before."""

    __tablename__ = "criterion"
    __table_args__ = (
        UniqueConstraint("year_id", "key"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    year_id: int | None = Field(default=None, foreign_key="funding_year.id", index=True)
    key: str = Field(sa_column=Column(String(40), nullable=False))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    weight: int
    position: int = Field(default=0)
    # JSON list of six texts, what a score of 0, 1, … 5 means; [] when the partnership set none.
    descriptors: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    # Set by `criteria remove` (rows are never deleted); a removed criterion is left out everywhere.
    removed_at: datetime | None = None


class ScoreSheet(SQLModel, table=True):
    """One member's scores of one bid. Re-scoring adds a new version; the old stays as history."""

    __tablename__ = "score_sheet"
    __table_args__ = (
        UniqueConstraint("bid_id", "member_id", "version"),
        Index("ix_score_sheet_bid_current", "bid_id", "current"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bid_id: int = Field(foreign_key="bid.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    version: int = Field(default=1)
    current: bool = Field(default=True)
    # {criterion key: 0..5, or null for "na"}, canonical JSON.
    scores: str = Field(sa_column=Column(Text, nullable=False))
    stance: Stance = Field(sa_column=enum_column(Stance, 10))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime


class Interest(SQLModel, table=True):
    """A declared interest: the member is recused from scoring the bid."""

    __tablename__ = "interest"
    __table_args__ = (UniqueConstraint("bid_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    bid_id: int = Field(foreign_key="bid.id")
    member_id: int = Field(foreign_key="member.id")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    declared_by_id: int = Field(foreign_key="member.id")
    created_at: datetime
