"""The facts behind the lifecycle's guards, declared in one table.

workflows/bid_lifecycle.py names each guard of the transition table and says its rule in words
(GUARDS); FACTS below maps every one of those names to the function that works out whether it
holds for a bid, and the words to use when it does not. grants.lifecycle.fire asks this table for
the guards of the transition it fires; a test checks that the two tables name the same guards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from grants.bids import missing_fields
from grants.models import Bid, FundingYear, Interest, Organisation, PotKind, YearStatus
from grants.money import Money
from grants.pots import amount_within_pot, pot_of, tactical_gate
from grants.scope import Scope
from grants.scoring import assess, consensus_message, percent_text, quorum_message
from grants.years import money_year

# A fact computer returns (holds, message when it does not).
FactComputer = Callable[[Scope, Bid, dict[str, Any]], tuple[bool, str]]


# --- submission, and every trigger that takes a reason


def _required_fields(scope: Scope, bid: Bid, _: dict[str, Any]) -> tuple[bool, str]:
    year = scope.session.get_one(FundingYear, bid.year_id)
    missing = missing_fields(bid, year)
    return not missing, f"{bid.reference} cannot be submitted yet: it needs {', '.join(missing)}"


def _year_open(scope: Scope, bid: Bid, _: dict[str, Any]) -> tuple[bool, str]:
    year = money_year(scope.session, bid)
    return year.status == YearStatus.open, f"the year {year.label} is closed"


def _amount_within_pot(scope: Scope, bid: Bid, _: dict[str, Any]) -> tuple[bool, str]:
    return amount_within_pot(scope, bid)


def _reason_given(_: Scope, bid: Bid, args: dict[str, Any]) -> tuple[bool, str]:
    return bool(
        (args.get("reason") or "").strip()
    ), f"give a reason (--reason) to {args['trigger']} {bid.reference}"


# --- shortlisting: the working group's sheets


def _assessment_fact(check: str) -> FactComputer:
    def compute(scope: Scope, bid: Bid, args: dict[str, Any]) -> tuple[bool, str]:
        a = assess(scope, [(bid, scope.session.get_one(Organisation, bid.lead_organisation_id))])[0]
        reason = (args.get("reason") or "").strip()
        if check == "quorum":
            return a.quorum, quorum_message(scope, a)
        if check == "consensus":
            return a.consensus or (bool(args.get("override")) and bool(reason)), consensus_message(scope, a)
        limit = scope.session.get_one(FundingYear, bid.year_id).moderation_spread
        diverges = "moderate" in a.flags
        from grants.visibility import Viewer

        by = f" by {percent_text(a.spread)[:-1]} points" if Viewer.of(scope).sees_sheets(bid) else ""
        return (not diverges or bool(reason)), (
            f"the sheets of {bid.reference} diverge{by} (more than {limit}): record the moderation with --reason"
        )

    return compute


# --- the decisions after shortlisting


def _tactical_open(scope: Scope, bid: Bid, _: dict[str, Any]) -> tuple[bool, str]:
    if bid.pot != PotKind.tactical:
        return True, ""
    year = money_year(scope.session, bid)
    gate = tactical_gate(scope.session, year)
    return gate.open, f"it is a tactical bid, and {gate.message(year)}"


def _chair_not_conflicted(scope: Scope, bid: Bid, _: dict[str, Any]) -> tuple[bool, str]:
    declared = scope.session.execute(
        select(Interest.reason).where(Interest.bid_id == bid.id, Interest.member_id == scope.actor.id)
    ).scalar_one_or_none()
    return (
        declared is None,
        f"{scope.actor.handle} declared an interest in {bid.reference} ({declared}) and may not decide it",
    )


def award_within_requested(bid: Bid, award: Money) -> tuple[bool, str]:
    """The award rule, for every path that sets an award (approve, vary): never more than the
    amount requested. To go higher the lead asks for more before the award, and the chair decides."""
    requested = Money(bid.amount_requested_pence)
    return (
        0 < award.pence <= requested.pence,
        f"the award {award} is more than the {requested} requested; an award may be less, never more",
    )


def _award_within_requested(_: Scope, bid: Bid, args: dict[str, Any]) -> tuple[bool, str]:
    return award_within_requested(bid, args["award"])


def _award_within_uncommitted(scope: Scope, bid: Bid, args: dict[str, Any]) -> tuple[bool, str]:
    # A friendly early answer; the conditional update in commit_award is what makes it safe.
    award: Money = args["award"]
    pot = pot_of(scope.session, money_year(scope.session, bid), bid.pot)
    left = Money(pot.uncommitted_pence)
    return award.pence <= left.pence, f"the {bid.pot.value} pot has {left} uncommitted; the award is {award}"


def _text_given(name: str) -> FactComputer:
    def compute(_: Scope, bid: Bid, args: dict[str, Any]) -> tuple[bool, str]:
        return bool((args.get("text") or "").strip()), f"give the {name} for {bid.reference}"

    return compute


# --- delivery


def _outcome_given(_: Scope, bid: Bid, args: dict[str, Any]) -> tuple[bool, str]:
    return bool((args.get("outcome") or "").strip()), f"give the outcome (--outcome) of {bid.reference}"


FACTS: dict[str, FactComputer] = {
    "required_fields_present": _required_fields,
    "year_open": _year_open,
    "amount_within_pot": _amount_within_pot,
    "reason_given": _reason_given,
    "quorum_met": _assessment_fact("quorum"),
    "consensus_or_override": _assessment_fact("consensus"),
    "moderation_noted": _assessment_fact("moderation"),
    "tactical_pot_open": _tactical_open,
    "chair_not_conflicted": _chair_not_conflicted,
    "award_within_requested": _award_within_requested,
    "award_within_uncommitted": _award_within_uncommitted,
    "question_given": _text_given("question (--question)"),
    "answer_given": _text_given("answer (--text)"),
    "outcome_given": _outcome_given,
}
