"""Bids: creating and editing proposals, their content hash, and finding them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from grants import clock
from grants.audit_chain import canonical_json, sha256
from grants.errors import BadInput, NotFound, Refused, shown
from grants.identity import roles_for_bid
from grants.models import Bid, FundingYear, Member, Organisation, PotKind, ReferenceItem, ReferenceKind
from grants.money import Money
from grants.partnerships import clean_text, find_organisation
from grants.priorities import KIND_TEXT
from grants.scope import Scope
from grants.years import ensure_open, find_year, in_year, year_code
from workflows.bid_lifecycle import EDITABLE, GUARDS, BidStatus, Role, allowed_triggers
from workflows.policy import Action

TEXT_LIMITS = {"title": 200, "summary": 5000, "outcomes": 3000, "measures": 3000, "end_explanation": 1000}

# The fields whose hash is audited: once a bid is submitted they may change only in clarification.
CONTENT_FIELDS = (
    "title",
    "summary",
    "amount_requested_pence",
    "pot",
    "pcc_priorities",
    "csa_priorities",
    "outcomes",
    "measures",
    "delivery_end",
    "end_explanation",
    "lead_organisation_id",
    "contact_member_id",
)


def content_of(bid: Bid) -> dict[str, Any]:
    values = {name: getattr(bid, name) for name in CONTENT_FIELDS}
    values["pot"] = bid.pot.value if isinstance(bid.pot, PotKind) else bid.pot
    values["delivery_end"] = bid.delivery_end.isoformat() if bid.delivery_end else None
    return values


def content_hash(bid: Bid) -> str:
    """SHA-256 of the bid's content in canonical JSON."""
    return sha256(canonical_json(content_of(bid)))


def subject(bid: Bid | str) -> str:
    return f"bid {bid if isinstance(bid, str) else bid.reference}"


def find_bid(scope: Scope, reference: str, *, lock: bool = False) -> Bid:
    query = select(Bid).where(
        Bid.partnership_id == scope.partnership.id, Bid.reference == reference.strip().upper()
    )
    if lock:
        query = query.with_for_update()
    bid = scope.session.execute(query).scalar_one_or_none()
    if bid is None:
        raise NotFound(f"there is no bid {reference!r}; `grants bid list` shows the bids")
    return bid


def acting_roles(scope: Scope, bid: Bid) -> frozenset[Role]:
    """The actor's roles for this bid: their own, plus `lead` when they belong to its lead org."""
    return roles_for_bid(scope.actor, bid.lead_organisation_id)


def _priorities(session: Session, year: FundingYear, kind: ReferenceKind, keys: list[str]) -> str:
    """Check priority keys against the year's reference data; stored comma-separated."""
    items = list(
        session.execute(
            select(ReferenceItem).where(ReferenceItem.year_id == year.id, ReferenceItem.kind == kind)
        ).scalars()
    )
    known = {item.key for item in items if item.retired_at is None}
    wanted = [k.strip() for k in keys if k.strip()]
    retired = [item.key for item in items if item.retired_at is not None and item.key in wanted]
    if retired:
        raise BadInput(
            f"{KIND_TEXT[kind]} {', '.join(map(repr, retired))} was retired for {year.label}; "
            f"`grants year show {year.label}` lists those in use"
        )
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise BadInput(
            f"unknown {KIND_TEXT[kind]} {', '.join(repr(u) for u in unknown)} for {year.label}; "
            f"`grants year show {year.label}` lists them"
        )
    return ",".join(dict.fromkeys(wanted))


def parse_pot(text: str) -> PotKind:
    try:
        return PotKind(text.strip().lower())
    except ValueError as error:
        raise BadInput(f"pot {text!r} is not a pot; use upfront or tactical") from error


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise BadInput(
            f"{what} {shown(text)} is not a date; write it as YYYY-MM-DD, e.g. 2025-03-31"
        ) from error


@dataclass
class BidFields:
    """Fields a person may give when creating or editing a bid; None means 'not given'."""

    title: str | None = None
    summary: str | None = None
    amount: Money | None = None
    pot: PotKind | None = None
    pcc_priorities: list[str] | None = None
    csa_priorities: list[str] | None = None
    outcomes: str | None = None
    measures: str | None = None
    delivery_end: date | None = None
    end_explanation: str | None = None
    contact: str | None = None


def _apply(scope: Scope, year: FundingYear, bid: Bid, fields: BidFields) -> dict[str, Any]:
    """Set the given fields on the bid; returns {field: [old, new]} for the audit."""
    before = content_of(bid)
    for name in ("title", "summary", "outcomes", "measures", "end_explanation"):
        value = getattr(fields, name)
        if value is not None:
            setattr(
                bid,
                name,
                clean_text(value, name.replace("_", " "), limit=TEXT_LIMITS[name], required=name == "title"),
            )
    if fields.amount is not None:
        if fields.amount.pence <= 0:
            raise BadInput(f"the amount requested must be more than £0, not {fields.amount}")
        bid.amount_requested_pence = fields.amount.pence
    if fields.pot is not None:
        bid.pot = fields.pot
    if fields.pcc_priorities is not None:
        bid.pcc_priorities = _priorities(
            scope.session, year, ReferenceKind.pcc_priority, fields.pcc_priorities
        )
    if fields.csa_priorities is not None:
        bid.csa_priorities = _priorities(
            scope.session, year, ReferenceKind.csa_priority, fields.csa_priorities
        )
    if fields.delivery_end is not None:
        bid.delivery_end = fields.delivery_end
    if fields.contact is not None:
        contact = scope.session.execute(
            select(Member).where(
                Member.partnership_id == scope.partnership.id, Member.handle == fields.contact
            )
        ).scalar_one_or_none()
        if contact is None:
            raise NotFound(f"there is no member {fields.contact!r} to be the contact")
        bid.contact_member_id = contact.id
    bid.updated_at = clock.now()
    after = content_of(bid)
    return {name: [before[name], after[name]] for name in CONTENT_FIELDS if before[name] != after[name]}


def _check_clarified_amount(scope: Scope, bid: Bid, asked: Money) -> None:
    """During clarification the chair has approved the bid as asked: its amount may go down, never
    up (the chair would have to approve it again), and it stays within its pot's size."""
    amount = Money(bid.amount_requested_pence)
    if amount.pence > asked.pence:
        raise Refused(
            f"{bid.reference} is in clarification: the chair approved it at {asked}, so its amount may "
            f"go down, not up to {amount}; to ask for more, withdraw it and bid again"
        )
    from grants.pots import amount_within_pot

    within, why = amount_within_pot(scope, bid)
    if not within:
        raise Refused(f"{why} ({GUARDS['amount_within_pot']})")


def new_bid(scope: Scope, org_key: str | None, fields: BidFields) -> Bid:
    """Create a draft bid for an organisation; its members and officers may do so."""
    actor = scope.actor
    year = find_year(scope)
    ensure_open(year)
    org = (
        find_organisation(scope, org_key)
        if org_key
        else scope.session.get_one(Organisation, actor.organisation_id)
    )
    from grants.permissions import require

    require(scope, Action.create_bid, organisation_id=org.id, subject=f"for {org.name}")
    if not fields.title:
        raise BadInput("a bid needs a title; give --title")
    if fields.amount is None:
        raise BadInput("a bid needs the amount requested; give --amount")
    # Two people creating bids at once get different sequence numbers: every write holds the
    # partnership's row lock (open_scope), so writes to one partnership are serial. (No lock on
    # the year: FOR UPDATE would need UPDATE privilege on funding_year, which a lead has not.)
    sequence = (
        scope.session.execute(select(func.max(Bid.sequence)).where(Bid.year_id == year.id)).scalar() or 0
    ) + 1
    now = clock.now()
    bid = Bid(
        partnership_id=scope.partnership.id,
        year_id=year.id,
        sequence=sequence,
        reference=f"{scope.partnership.programme}-{year_code(year.label)}-{sequence:03d}",
        lead_organisation_id=org.id,
        contact_member_id=actor.id,
        title="",
        amount_requested_pence=0,
        pot=fields.pot or PotKind.upfront,
        status=BidStatus.draft,
        spent_pence=0,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    _apply(scope, year, bid, fields)
    scope.session.add(bid)
    scope.session.flush()
    scope.audit(
        "bid.new",
        subject(bid),
        to_state=BidStatus.draft.value,
        details={
            "organisation": org.key,
            **{k: v for k, v in content_of(bid).items() if v not in ("", None)},
        },
        content_hash=content_hash(bid),
    )
    return bid


def edit_bid(scope: Scope, reference: str, fields: BidFields) -> tuple[Bid, dict[str, Any]]:
    """Change a bid's content: only in draft or clarification, by its lead or an officer."""
    bid = find_bid(scope, reference, lock=True)
    year = scope.session.get_one(FundingYear, bid.year_id)
    ensure_open(year)
    from grants.permissions import require

    require(scope, Action.edit_bid, bid)
    if bid.status not in EDITABLE:
        raise Refused(
            f"{bid.reference} is {bid.status.value}: its content is frozen once submitted and may "
            "change only in draft or while the OPCC asks for clarification"
        )
    asked = bid.amount_requested_pence
    changes = _apply(scope, year, bid, fields)
    if not changes:
        raise BadInput(f"nothing to change: give at least one field to edit {bid.reference}")
    if bid.status == BidStatus.clarification:
        _check_clarified_amount(scope, bid, Money(asked))
    scope.session.flush()
    scope.audit(
        "bid.edit",
        subject(bid),
        from_state=bid.status.value,
        to_state=bid.status.value,
        details={"changes": changes},
        content_hash=content_hash(bid),
    )
    return bid, changes


def missing_fields(bid: Bid, year: FundingYear) -> list[str]:
    """What a bid still needs before it can be submitted."""
    missing = [name for name in ("summary", "outcomes", "measures") if not getattr(bid, name).strip()]
    if not bid.pcc_priorities:
        missing.append("a PCC priority")
    if not bid.csa_priorities:
        missing.append("a CSA priority")
    if bid.delivery_end is None:
        missing.append("a delivery end date")
    elif not year.starts_on <= bid.delivery_end <= year.ends_on and not bid.end_explanation.strip():
        missing.append(f"an explanation of why delivery ends on {bid.delivery_end} outside {year.label}")
    return missing


@dataclass(frozen=True)
class BidRow:
    """A bid with the names it refers to, for lists and details."""

    bid: Bid
    organisation: Organisation
    contact: Member | None
    year: FundingYear
    # The year whose list shows the bid: a project carried forward into it is marked as carried.
    listed_in: FundingYear | None = None

    @property
    def carried_from(self) -> str | None:
        """The year a carried-forward project came from, when listed in a later year."""
        return self.year.label if self.listed_in is not None and self.listed_in.id != self.year.id else None

    def to_json(self) -> dict[str, Any]:
        from grants.money import money_fields

        bid = self.bid
        data: dict[str, Any] = {
            "reference": bid.reference,
            "year": self.year.label,
            "status": bid.status.value,
            "title": bid.title,
            "organisation": self.organisation.key,
            "organisation_name": self.organisation.name,
            "pot": bid.pot.value,
            "carried_from": self.carried_from,
            **money_fields("amount_requested", Money(bid.amount_requested_pence)),
        }
        if bid.award_pence is not None:
            data.update(money_fields("award", Money(bid.award_pence)))
            data.update(money_fields("spent", Money(bid.spent_pence)))
        data.update(
            summary=bid.summary,
            pcc_priorities=[p for p in bid.pcc_priorities.split(",") if p],
            csa_priorities=[p for p in bid.csa_priorities.split(",") if p],
            outcomes=bid.outcomes,
            measures=bid.measures,
            delivery_end=bid.delivery_end.isoformat() if bid.delivery_end else None,
            end_explanation=bid.end_explanation or None,
            outcome_summary=bid.outcome_summary or None,
            contact=self.contact.handle if self.contact else None,
            created_at=bid.created_at.isoformat(),
            submitted_at=bid.submitted_at.isoformat() if bid.submitted_at else None,
        )
        return data


def _rows_query(scope: Scope) -> Select[Bid, Organisation, Member, FundingYear]:
    return (
        select(Bid, Organisation, Member, FundingYear)
        .join(Organisation, Organisation.id == Bid.lead_organisation_id)
        .join(FundingYear, FundingYear.id == Bid.year_id)
        .outerjoin(Member, Member.id == Bid.contact_member_id)
        .where(Bid.partnership_id == scope.partnership.id)
    )


def list_bids(
    scope: Scope,
    *,
    statuses: list[BidStatus] | None = None,
    pot: PotKind | None = None,
    organisation: str | None = None,
) -> list[BidRow]:
    """The year's bids in reference order, filtered by state, pot and lead organisation."""
    year = find_year(scope)
    query = _rows_query(scope).where(in_year(year.id))
    if statuses:
        query = query.where(col(Bid.status).in_(statuses))
    if pot:
        query = query.where(Bid.pot == pot)
    if organisation:
        query = query.where(Organisation.id == find_organisation(scope, organisation).id)
    rows = scope.session.execute(query.order_by(Bid.year_id, Bid.sequence))
    return [BidRow(bid, org, contact, own, listed_in=year) for bid, org, contact, own in rows]


def bid_detail(scope: Scope, reference: str) -> tuple[BidRow, list[str]]:
    """One bid with everything about it, and the triggers the acting member may fire now."""
    from grants.years import money_year

    bid = find_bid(scope, reference)
    found = scope.session.execute(_rows_query(scope).where(Bid.id == bid.id)).one()
    # Shown in the year its money is in: a carried-forward project says where it came from.
    _, org, contact, own = found
    row = BidRow(bid, org, contact, own, listed_in=money_year(scope.session, bid))
    return row, allowed_for(scope, bid)


def parse_status(text: str) -> BidStatus:
    try:
        return BidStatus(text.strip().lower())
    except ValueError as error:
        raise BadInput(
            f"state {text!r} is not a bid state; states are: {', '.join(s.value for s in BidStatus)}"
        ) from error


def allowed_for(scope: Scope, bid: Bid) -> list[str]:
    """The triggers the acting member may fire on this bid now (by state and role)."""
    if scope.actor_or_none is None:
        return []
    return allowed_triggers(bid.status, set(acting_roles(scope, bid)))
