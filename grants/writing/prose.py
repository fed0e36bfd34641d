"""The English the reports and papers write in: numbers and shares in words, days, spans of days,
a bid's state as words, and the programme's title. One kit, so a paper and its text report say the
same thing the same way."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from grants import wording
from workflows.bid_lifecycle import BidStatus

PROGRAMME_TITLES = {"CRG": "Crime Reduction Grant"}

NUMBER_WORDS = (
    "no one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
SHARE_WORDS = {
    Fraction(1, 2): "half",
    Fraction(1, 3): "a third",
    Fraction(2, 3): "two-thirds",
    Fraction(1, 4): "a quarter",
    Fraction(3, 4): "three-quarters",
    Fraction(1, 5): "a fifth",
    Fraction(4, 5): "four-fifths",
}
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


def count_text(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`counted(7, "project")` → `seven projects`."""
    return f"{count_text(n)} {noun if n == 1 else plural or wording.plural(noun)}"


def day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def span_text(days: tuple[date, date]) -> str:
    first, last = days
    return f"on {day_text(first)}" if first == last else f"between {day_text(first)} and {day_text(last)}"


def share_text(share: Fraction) -> str:
    return SHARE_WORDS.get(share, f"{share.numerator}/{share.denominator}")


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
