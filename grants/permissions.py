"""Asking the policy (workflows.policy) as the acting member: the facts its conditions need.

`require` refuses with the policy's NotPermitted; `allows` answers yes or no. Neither decides
anything itself: the roles and conditions are the policy table's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from grants.errors import Refused
from grants.identity import roles_for_bid
from grants.models import Bid, Interest, Member, Organisation, ScoreSheet
from grants.scope import Scope
from workflows import bid_lifecycle as wf
from workflows import policy
from workflows.bid_lifecycle import DECIDED, LEFT_SCORING, Role
from workflows.policy import Action


class NotPermitted(Refused, wf.NotPermitted):
    """The policy's NotPermitted as the grants layer raises it: still a NotPermitted (same
    message, action and roles), and a Refused, so every caller treats it as a refusal (exit 1)."""

    def __init__(self, error: wf.NotPermitted) -> None:
        Exception.__init__(self, str(error))
        self.action, self.condition = error.action, error.condition
        self.needed_roles, self.held_roles = error.needed_roles, error.held_roles


# A fact computer returns (holds, the words to use when it does not).
FactComputer = Callable[[Scope, Member, Bid | None, dict[str, Any]], tuple[bool, str]]


def _organisation(scope: Scope, organisation_id: int) -> Organisation:
    return scope.session.get_one(Organisation, organisation_id)


def _own_declaration(_: Scope, member: Member, __: Bid | None, ctx: dict[str, Any]) -> tuple[bool, str]:
    handle = ctx.get("for_handle", member.handle)
    return handle == member.handle, f"{member.handle} may declare only their own interests, not {handle}'s"


def _responsible_authority(
    scope: Scope, member: Member, _: Bid | None, __: dict[str, Any]
) -> tuple[bool, str]:
    org = _organisation(scope, member.organisation_id)
    return org.responsible_authority, (
        f"{member.handle} is a member of {org.name}, which is not a responsible authority"
    )


def _not_lead(scope: Scope, member: Member, bid: Bid | None, _: dict[str, Any]) -> tuple[bool, str]:
    if bid is None:
        return True, ""
    org = _organisation(scope, bid.lead_organisation_id)
    return member.organisation_id != bid.lead_organisation_id, (
        f"{member.handle} is a member of {org.name}, the lead organisation of {bid.reference}"
    )


def interest_of(scope: Scope, bid: Bid, member: Member) -> str | None:
    return scope.session.execute(
        select(Interest.reason).where(Interest.bid_id == bid.id, Interest.member_id == member.id)
    ).scalar_one_or_none()


def _no_interest(scope: Scope, member: Member, bid: Bid | None, _: dict[str, Any]) -> tuple[bool, str]:
    if bid is None:
        return True, ""
    reason = interest_of(scope, bid, member)
    return reason is None, f"{member.handle} declared an interest in {bid.reference}: {reason}"


def _own_sheet_in(scope: Scope, member: Member, bid: Bid | None, _: dict[str, Any]) -> tuple[bool, str]:
    if bid is None:
        return False, ""
    found = scope.session.execute(
        select(ScoreSheet.id).where(
            ScoreSheet.bid_id == bid.id, ScoreSheet.member_id == member.id, ScoreSheet.current
        )
    ).first()
    return found is not None, f"{member.handle} has no sheet in for {bid.reference}"


def _left_scoring(_: Scope, __: Member, bid: Bid | None, ___: dict[str, Any]) -> tuple[bool, str]:
    return bid is not None and bid.status in LEFT_SCORING, (
        f"{bid.reference} is {bid.status.value}: its sheets are shown once it has left scoring" if bid else ""
    )


def _decided(_: Scope, __: Member, bid: Bid | None, ___: dict[str, Any]) -> tuple[bool, str]:
    return bid is not None and bid.status in DECIDED, (
        f"{bid.reference} is {bid.status.value}: its lead organisation sees its scores once it is decided"
        if bid
        else ""
    )


FACTS: dict[str, FactComputer] = {
    "own_declaration": _own_declaration,
    "responsible_authority": _responsible_authority,
    "not_lead_organisation": _not_lead,
    "no_interest_declared": _no_interest,
    "own_sheet_in": _own_sheet_in,
    "bid_left_scoring": _left_scoring,
    "bid_decided": _decided,
}
assert set(FACTS) == set(policy.CONDITIONS), "every condition of the policy needs a fact"


def _ask(
    scope: Scope, member: Member, action: Action, bid: Bid | None, ctx: dict[str, Any]
) -> tuple[frozenset[Role], dict[str, bool], dict[str, str]]:
    lead_org = bid.lead_organisation_id if bid is not None else ctx.get("organisation_id")
    roles = roles_for_bid(member, lead_org)
    facts: dict[str, bool] = {}
    details: dict[str, str] = {}
    for name in policy.conditions_of(action, roles):
        holds, words = FACTS[name](scope, member, bid, ctx)
        facts[name], details[name] = holds, words
    return roles, facts, details


def require(scope: Scope, action: Action, bid: Bid | None = None, **ctx: Any) -> Member:
    """The acting member, if the policy allows them the action (on this bid); else NotPermitted."""
    member = scope.actor
    roles, facts, details = _ask(scope, member, action, bid, ctx)
    try:
        policy.check(
            action,
            roles,
            facts,
            who=member.handle,
            subject=bid.reference if bid is not None else ctx.get("subject"),
            details=details,
        )
    except wf.NotPermitted as error:
        raise NotPermitted(error) from None
    return member


def allows(
    scope: Scope, action: Action, bid: Bid | None = None, *, member: Member | None = None, **ctx: Any
) -> bool:
    """Whether the acting member (or `member`) may take the action; nobody acting may not."""
    member = member or scope.actor_or_none
    if member is None:
        return False
    roles, facts, _ = _ask(scope, member, action, bid, ctx)
    return policy.permitted(action, roles, facts)
