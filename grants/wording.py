"""The English rules, in one place, for messages, reports and papers alike: plurals, counts (in
figures for a message, in words for a paper), "a" or "an", lists, lines of a file, a message's
subject named once, days and spans of days, shares in words, and a sentence's capital. Every text
that counts something or names a kind of thing goes through these, so that a slip ("prioritys",
"a invoice", "X: X cannot …") is fixed in one place (tests/test_wording.py drives the commands and
checks what they say against a list of patterns). The grant's own vocabulary (a bid's state as
words, the programme's title) is in grants.writing.prose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kept off the start-up path: every command's messages import this module
    from datetime import date
    from fractions import Fraction

_VOWELS = "aeiou"
# Words spelt with a vowel that sound a consonant ("a unique key", "a one-off"), and the
# reverse ("an hour"); and initialisms read letter by letter ("an SQL file", "a PCC priority").
_A_BEFORE = ("uni", "use", "usu", "one", "eu")
_AN_BEFORE = ("hour", "honest")
_AN_LETTERS = set("AEFHILMNORSX")


def plural(noun: str) -> str:
    """The plural of an English noun: priority → priorities, day → days, box → boxes."""
    if not noun:
        return noun
    if noun.endswith("y") and noun[-2:-1].lower() not in _VOWELS:
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def _noun(count: int, noun: str, many: str | None) -> str:
    return noun if count == 1 else many or plural(noun)


def counted(count: int, noun: str, many: str | None = None) -> str:
    """`1 bid`, `3 bids`, `2 priorities`, `1,250 rows` (`many` for an irregular plural)."""
    return f"{count:,} {_noun(count, noun, many)}"


NUMBER_WORDS = (
    "no one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()


def count_text(count: int) -> str:
    """A count as a paper writes it: `no`, `one` … `twenty` in words, and beyond in figures."""
    return NUMBER_WORDS[count] if 0 <= count < len(NUMBER_WORDS) else f"{count:,}"


def counted_in_words(count: int, noun: str, many: str | None = None) -> str:
    """`seven projects`, `one proposal`, `no bids`, `25 projects` (counted as a paper writes it)."""
    return f"{count_text(count)} {_noun(count, noun, many)}"


def verb(count: int, singular: str, many: str) -> str:
    """The verb that agrees with a count: verb(2, "does", "do")."""
    return singular if count == 1 else many


def article(noun: str) -> str:
    """The noun with "a" or "an" by its sound: an invoice, a reason, an SQL file, a unique key."""
    word = noun.strip().split(" ", 1)[0] if noun.strip() else noun
    if len(word) > 1 and word.isupper():  # an initialism, read letter by letter
        return f"{'an' if word[0] in _AN_LETTERS else 'a'} {noun}"
    lower = word.lower()
    if lower.startswith(_AN_BEFORE):
        return f"an {noun}"
    if lower.startswith(_A_BEFORE) or lower[:1] not in _VOWELS:
        return f"a {noun}"
    return f"an {noun}"


def listed(items: Iterable[object], conjunction: str = "and") -> str:
    """`a`, `a and b`, `a, b and c`."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def line_numbers(lines: Sequence[int], total: int | None = None, shown: int = 5) -> str:
    """Lines of a file as they are: `line 3`, `lines 3 and 7`, `lines 3–7` only for a run of
    consecutive lines, `lines 3, 5, 9, 12, 20 and 4 more` (`total` counts the lines beyond
    those given)."""
    numbers = sorted(set(lines))
    total = max(total or 0, len(numbers))
    if total == 1:
        return f"line {numbers[0]}"
    if len(numbers) == total and numbers[-1] - numbers[0] + 1 == total and total > 2:
        return f"lines {numbers[0]}–{numbers[-1]}"
    if total <= shown:
        return f"lines {listed(numbers)}"
    return f"lines {', '.join(str(n) for n in numbers[:shown])} and {total - shown:,} more"


def about(subject: str, message: str) -> str:
    """A message about a subject, naming it once: `CRG-2627-005: cannot …`, or the message as it
    is when it names the subject already."""
    if subject and subject in message:
        return message
    return f"{subject}: {message}"


def sentence(text: str) -> str:
    """The text with its first letter a capital, to open a sentence."""
    return text[:1].upper() + text[1:]


def day_text(day: date) -> str:
    """`3 June 2024`."""
    return f"{day.day} {day:%B %Y}"


def span_text(days: tuple[date, date]) -> str:
    """`on 3 June 2024`, or `between 3 June 2024 and 5 July 2024`."""
    first, last = days
    return f"on {day_text(first)}" if first == last else f"between {day_text(first)} and {day_text(last)}"


# Shares with a word, by (numerator, denominator) in lowest terms.
SHARE_WORDS = {
    (1, 2): "half",
    (1, 3): "a third",
    (2, 3): "two-thirds",
    (1, 4): "a quarter",
    (3, 4): "three-quarters",
    (1, 5): "a fifth",
    (4, 5): "four-fifths",
}


def share_text(share: Fraction) -> str:
    """`a third`, `three-quarters`; a share without a word as `7/10`."""
    return SHARE_WORDS.get((share.numerator, share.denominator), f"{share.numerator}/{share.denominator}")
