"""Moving bids through the declared lifecycle: the guards' facts (from the table in grants.guards),
the audit, the errors; and the triggers that are no more than a move (open scoring, shortlist,
decline, withdraw)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from grants.bids import acting_roles, content_hash, find_bid, subject
from grants.errors import BadInput, Refused
from grants.guards import FACTS
from grants.models import Bid
from grants.scope import Scope, now
from grants.wording import about
from grants.years import ensure_open, money_year
from workflows import bid_lifecycle as wf
from workflows.bid_lifecycle import BidStatus

REASON_LIMIT = 2000


@dataclass
class Facts:
    """Guard facts the service computed, with the words to use when one is false."""

    values: dict[str, bool]
    details: dict[str, str]


def compute_facts(scope: Scope, bid: Bid, guards: Iterable[str], args: dict[str, Any]) -> Facts:
    values: dict[str, bool] = {}
    details: dict[str, str] = {}
    for guard in guards:
        computer = FACTS.get(guard)
        if computer is None:
            continue  # the workflow refuses a guard without a fact, naming its rule
        holds, message = computer(scope, bid, args)
        values[guard] = holds
        details[guard] = message
    return Facts(values, details)


def fire(
    scope: Scope,
    reference: str,
    trigger: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    **args: Any,
) -> tuple[Bid, BidStatus]:
    """Fire a trigger on a bid as the acting member; returns the bid and the state it left."""
    bid = find_bid(scope, reference, lock=True)
    ensure_open(money_year(scope.session, bid))
    if reason is not None:
        from grants.partnerships import clean_text

        reason = clean_text(reason, "reason", limit=REASON_LIMIT, required=False)
    roles = acting_roles(scope, bid)
    before = bid.status
    try:
        guards = wf.guards_for(before, trigger, roles)
        facts = compute_facts(scope, bid, guards, {"trigger": trigger, "reason": reason, **args})
        after = wf.fire(before, trigger, set(roles), facts.values, facts.details)
    except wf.NotPermitted as error:
        from grants.permissions import NotPermitted

        named = wf.NotPermitted(
            trigger,
            error.needed_roles,
            doing=f"{trigger} {bid.reference} ({before.value})",
            who=scope.actor.handle,
            held=roles,
        )
        raise NotPermitted(named) from None
    except wf.WorkflowError as error:
        raise Refused(about(bid.reference, str(error))) from error
    bid.status = after
    bid.updated_at = now()
    if after == BidStatus.submitted:
        bid.submitted_at = bid.updated_at
    scope.session.flush()
    scope.audit(
        f"bid.{trigger}",
        subject(bid),
        from_state=before.value,
        to_state=after.value,
        reason=reason or None,
        details=details or {},
        content_hash=content_hash(bid),
    )
    return bid, before


def submit(scope: Scope, reference: str) -> Bid:
    return fire(scope, reference, "submit")[0]


def withdraw(scope: Scope, reference: str, reason: str) -> Bid:
    return fire(scope, reference, "withdraw", reason=reason)[0]


def open_scoring(scope: Scope, references: list[str], *, every_submitted: bool) -> list[Bid]:
    """Move submitted bids into scoring: the ones named, or every submitted bid of the year."""
    from grants.years import find_year

    if every_submitted == bool(references):
        raise BadInput("name the bids to open for scoring, or give --all (not both)")
    if every_submitted:
        year = find_year(scope)
        references = list(
            scope.session.execute(
                select(Bid.reference)
                .where(Bid.year_id == year.id, Bid.status == BidStatus.submitted)
                .order_by(Bid.sequence)
            ).scalars()
        )
        if not references:
            raise Refused(f"no bid of {year.label} is waiting in submitted; nothing to open")
    return [fire(scope, ref, "open_scoring")[0] for ref in references]


def shortlist(scope: Scope, reference: str, *, override: bool, reason: str | None) -> Bid:
    if override and not (reason or "").strip():
        raise BadInput("--override needs --reason: the reason for overriding the consensus rule is audited")
    details = {"override": True} if override else {}
    return fire(scope, reference, "shortlist", reason=reason, override=override, details=details)[0]


def decline(scope: Scope, reference: str, reason: str) -> Bid:
    return fire(scope, reference, "decline", reason=reason)[0]
