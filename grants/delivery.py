"""Delivery: funded projects start, complete with an outcome, and are closed by the treasurer,
who releases what was not spent back to the project's pot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grants import lifecycle
from grants.bids import find_bid
from grants.budget import release_award
from grants.models import Bid
from grants.money import Money, money_fields
from grants.partnerships import clean_text
from grants.scope import Scope
from grants.years import money_year
from workflows.bid_lifecycle import BidStatus

OUTCOME_LIMIT = 4000


@dataclass(frozen=True)
class Step:
    """A delivery step: the bid, the state it left, and any underspend released."""

    bid: Bid
    before: BidStatus
    released: Money | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "reference": self.bid.reference,
            "from": self.before.value,
            "to": self.bid.status.value,
        }
        if self.released is not None:
            data.update(money_fields("award", Money(self.bid.award_pence or 0)))
            data.update(money_fields("spent", Money(self.bid.spent_pence)))
            data.update(money_fields("released", self.released))
        return data


def start(scope: Scope, reference: str) -> Step:
    bid, before = lifecycle.fire(scope, reference, "start")
    return Step(bid, before)


def complete(scope: Scope, reference: str, outcome: str) -> Step:
    """Delivery finished: the outcome summary is recorded with the transition."""
    outcome = clean_text(outcome, "outcome", limit=OUTCOME_LIMIT, required=False)
    bid = find_bid(scope, reference, lock=True)
    if bid.status == BidStatus.in_delivery and outcome:
        bid.outcome_summary = outcome
    bid, before = lifecycle.fire(scope, reference, "complete", outcome=outcome, details={"outcome": outcome})
    return Step(bid, before)


def close(scope: Scope, reference: str) -> Step:
    """The treasurer closes a delivered project and releases its underspend to its pot."""
    found = find_bid(scope, reference, lock=True)
    underspend = Money((found.award_pence or 0) - found.spent_pence)
    bid, before = lifecycle.fire(scope, reference, "close", details=money_fields("released", underspend))
    year = money_year(scope.session, bid)
    release_award(
        scope, bid, year, underspend, kind="release", reason=f"underspend of {bid.reference} at close"
    )
    scope.session.flush()
    return Step(bid, before, released=underspend)
