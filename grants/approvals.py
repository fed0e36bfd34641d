"""Decisions after shortlisting: the Chair's and the OPCC's approvals, clarification, rejection,
variations and cancellations, each committing or releasing money in the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from grants import clock, lifecycle
from grants.bids import acting_roles, content_hash, find_bid, subject
from grants.budget import commit_award, release_award
from grants.errors import BadInput, Refused
from grants.guards import award_within_requested
from grants.models import Bid, FundingYear
from grants.money import Money, money_fields
from grants.partnerships import clean_text
from grants.permissions import require
from grants.scope import Scope
from grants.wording import about
from grants.years import ensure_open, money_year
from workflows import bid_lifecycle as wf
from workflows.bid_lifecycle import LIVE, SPENDABLE, BidStatus, Role
from workflows.policy import Action

TEXT_LIMIT = 2000


def _year(scope: Scope, bid: Bid) -> FundingYear:
    return money_year(scope.session, bid)




@dataclass(frozen=True)
class Decision:
    """What a decision did: the bid, where it came from, and any money it moved."""

    bid: Bid
    before: BidStatus
    award: Money | None = None
    released: Money | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "reference": self.bid.reference,
            "from": self.before.value,
            "to": self.bid.status.value,
        }
        if self.award is not None:
            data.update(money_fields("award", self.award))
        if self.released is not None:
            data.update(money_fields("released", self.released))
        return data


def _awards(bid: Bid, roles: frozenset[Role]) -> bool:
    """Whether this member's approve is the one that funds the bid (the table's row says)."""
    try:
        return wf.transition_for(bid.status, "approve", roles).dest == BidStatus.funded
    except wf.WorkflowError:
        return False  # lifecycle.fire gives the refusal


def approve(scope: Scope, reference: str, amount: Money | None = None, note: str | None = None) -> Decision:
    """The chair approves a shortlisted bid; the OPCC funds a chair-approved one, committing the award."""
    bid = find_bid(scope, reference, lock=True)
    note = clean_text(note, "note", limit=TEXT_LIMIT, required=False) if note else None
    pcc_step = _awards(bid, acting_roles(scope, bid))
    if not pcc_step:
        if amount is not None and bid.status == BidStatus.shortlisted:
            raise BadInput("--amount is for the OPCC's award; the chair approves the bid as requested")
        bid, before = lifecycle.fire(scope, reference, "approve", reason=note)
        return Decision(bid, before)
    award = amount if amount is not None else Money(bid.amount_requested_pence)
    bid, before = lifecycle.fire(
        scope, reference, "approve", reason=note, award=award, details=money_fields("award", award)
    )
    commit_award(scope, bid, _year(scope, bid), award, kind="award", reason=note or "award")
    bid.award_pence = award.pence
    scope.session.flush()
    return Decision(bid, before, award=award)


def reject(scope: Scope, reference: str, reason: str) -> Decision:
    bid, before = lifecycle.fire(scope, reference, "reject", reason=reason)
    return Decision(bid, before)


def clarify(scope: Scope, reference: str, question: str) -> Decision:
    question = clean_text(question, "question", limit=TEXT_LIMIT, required=False)
    bid, before = lifecycle.fire(scope, reference, "clarify", text=question, details={"question": question})
    return Decision(bid, before)


def answer(scope: Scope, reference: str, text: str) -> Decision:
    text = clean_text(text, "answer", limit=TEXT_LIMIT, required=False)
    bid, before = lifecycle.fire(scope, reference, "answer", text=text, details={"answer": text})
    return Decision(bid, before)


def vary(scope: Scope, reference: str, amount: Money, reason: str) -> Decision:
    """Change a live award up or down (OPCC), never below what is already spent; budget-checked."""
    require(scope, Action.vary)
    reason = clean_text(reason, "reason", limit=TEXT_LIMIT)
    bid = find_bid(scope, reference, lock=True)
    year = _year(scope, bid)
    ensure_open(year)
    if bid.status not in LIVE:
        raise Refused(f"{bid.reference} is {bid.status.value}: only a funded or live award can be varied")
    old, spent = Money(bid.award_pence or 0), Money(bid.spent_pence)
    if amount.pence <= 0:
        raise BadInput(
            f"the new award must be more than £0, not {amount}; to stop the project use `grants cancel`"
        )
    if amount.pence < spent.pence:
        raise Refused(
            f"{bid.reference} has spent {spent} already; the award cannot go below that to {amount}"
        )
    if amount == old:
        raise BadInput(f"the award of {bid.reference} is already {old}")
    within, why = award_within_requested(bid, amount)
    if not within:
        raise Refused(about(bid.reference, f"{why} ({wf.GUARDS['award_within_requested']})"))
    delta = amount - old
    if delta.pence > 0 and year.id != bid.year_id:
        raise Refused(
            f"{bid.reference} was carried forward into {year.label} outside its allocation; its award "
            f"can go down, not up (to {amount}); fund more as a new bid of {year.label}"
        )
    if delta.pence > 0:
        commit_award(scope, bid, year, delta, kind="vary", reason=reason)
    else:
        release_award(scope, bid, year, -delta, kind="vary", reason=reason)
    bid.award_pence = amount.pence
    scope.session.flush()
    scope.audit(
        "bid.vary",
        subject(bid),
        from_state=bid.status.value,
        to_state=bid.status.value,
        reason=reason,
        details={"actor_role": "pcc", **money_fields("from", old), **money_fields("to", amount)},
        content_hash=content_hash(bid),
    )
    return Decision(bid, bid.status, award=amount)


def cancel(scope: Scope, reference: str, reason: str) -> Decision:
    """Stop a funded or live project (officer or OPCC) and release what was not spent."""
    found = find_bid(scope, reference, lock=True)
    unspent = Money((found.award_pence or 0) - found.spent_pence)
    bid, before = lifecycle.fire(
        scope, reference, "cancel", reason=reason, details=money_fields("released", unspent)
    )
    release_award(scope, bid, _year(scope, bid), unspent, kind="release", reason=f"cancelled: {reason}")
    scope.session.flush()
    return Decision(bid, before, released=unspent)


@dataclass(frozen=True)
class EndChange:
    """A project's delivery end date as the OPCC changed it."""

    bid: Bid
    before: date | None
    year: FundingYear

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.bid.reference,
            "status": self.bid.status.value,
            "year": self.year.label,
            "from": self.before.isoformat() if self.before else None,
            "to": self.bid.delivery_end.isoformat() if self.bid.delivery_end else None,
        }


def change_end(scope: Scope, reference: str, ends_on: date, reason: str) -> EndChange:
    """Change a funded or live project's delivery end date (OPCC) — a carried-forward project's
    above all, which runs into the year it was carried into; audited with the reason."""
    require(scope, Action.change_end_date)
    reason = clean_text(reason, "reason", limit=TEXT_LIMIT)
    bid = find_bid(scope, reference, lock=True)
    year = money_year(scope.session, bid)
    ensure_open(year)
    if bid.status not in SPENDABLE:
        raise Refused(
            f"{bid.reference} is {bid.status.value}: only a funded project, in delivery or delivered and "
            "not yet closed, has an end date to change"
        )
    if ends_on < year.starts_on:
        raise BadInput(
            f"{ends_on.isoformat()} is before {year.label}, the year {bid.reference}'s money is in "
            f"(from {year.starts_on.isoformat()}); give a date from then on"
        )
    if ends_on == bid.delivery_end:
        raise BadInput(f"{bid.reference} already ends on {ends_on.isoformat()}")
    before = bid.delivery_end
    bid.delivery_end = ends_on
    bid.updated_at = clock.now()
    scope.session.flush()
    scope.audit(
        "bid.end_date",
        subject(bid),
        from_state=bid.status.value,
        to_state=bid.status.value,
        reason=reason,
        details={
            "actor_role": "pcc",
            "from": before.isoformat() if before else None,
            "to": ends_on.isoformat(),
            "year": year.label,
        },
        content_hash=content_hash(bid),
    )
    return EndChange(bid, before, year)
