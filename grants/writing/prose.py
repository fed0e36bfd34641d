"""The grant's own words, for the reports and papers: a bid's state as words, where a recommended
project stands, and the programme's title. The English rules they are written with (counts in
words, days, spans, shares, plurals) are grants.wording's, one kit for messages and papers alike."""

from __future__ import annotations

from workflows.bid_lifecycle import BidStatus

PROGRAMME_TITLES = {"CRG": "Crime Reduction Grant"}

# Where a recommended project stands, as words after "is"/"are"; other states read as their names.
STANDING = {
    BidStatus.shortlisted: "awaiting the Chair's decision",
    BidStatus.chair_approved: "approved by the Chair and awaiting the PCC",
    BidStatus.clarification: "answering a question from the PCC",
    BidStatus.funded: "funded and not yet started",
    BidStatus.in_delivery: "in delivery",
    BidStatus.delivered: "delivered and awaiting closure",
}


def state_text(status: BidStatus) -> str:
    """A state as words: `in_delivery` → `in delivery`."""
    return status.value.replace("_", " ")


def standing_text(status: BidStatus) -> str:
    """Where a recommended project stands, as words after "is"/"are"."""
    return STANDING.get(status, state_text(status))


def programme_title(code: str) -> str:
    """`CRG` → `Crime Reduction Grant`; an unknown programme keeps its code."""
    return PROGRAMME_TITLES.get(code, code)
