"""Exact money: immutable integer pence, strict parsing, display, and the allocation split."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from grants.errors import BadInput, shown

LIMIT_PENCE = 1_000_000_000 * 100  # £1bn: anything larger is a typo, not a grant
EXAMPLE = "give an amount such as 6,000 or £6,000.50"
DEFAULT_TACTICAL_SHARE = Fraction(1, 3)

# Optional sign, optional £, then digits either plain or grouped in threes, then up to any
# number of decimals (too many are refused with their own message).
_SHAPE = re.compile(r"^(?P<sign>-?)£?(?P<sign2>-?)(?P<whole>[0-9][0-9,]*)(?:\.(?P<frac>[0-9]+))?$")
_PLAIN = re.compile(r"([1-9][0-9]{0,11}|0)(?:\.([0-9]{2}))?")
_GROUPED = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+$")


def _grouping_hint(whole: str) -> str:
    """What a mistyped grouping probably meant: a digit dropped from the last group, or the
    digits as written, or pence after a comma; each offered once."""
    groups = whole.split(",")
    digits = "".join(groups)
    readings = []
    if len(groups[-1]) < 3:
        readings.append(f"{int(digits + '0' * (3 - len(groups[-1]))):,}")
    readings.append(f"{int(digits):,}")
    if len(groups[-1]) == 2:
        readings.append(f"{int(''.join(groups[:-1])):,}.{groups[-1]}")
    if groups[0] == "0" and len(groups) == 2:
        readings.insert(0, f"0.{groups[1][:2]}")
    unique = list(dict.fromkeys(readings))
    return "write " + (", ".join(unique[:-1]) + " or " + unique[-1] if len(unique) > 1 else unique[0])


def plain_pence(text: str) -> int | None:
    """The pence of a plain amount such as `1250` or `1250.00` (what finance systems export), or
    None for anything else, which then goes through Money.parse for its checks and messages."""
    plain = _PLAIN.fullmatch(text)
    if plain is None:
        return None
    pence = int(plain[1]) * 100 + int(plain[2] or 0)
    return pence if 0 < pence <= LIMIT_PENCE else None


class MoneyError(BadInput):
    """An amount of money that cannot be read."""


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in integer pence. Never a float; never mixed with anything but Money."""

    pence: int

    def __post_init__(self) -> None:
        if not isinstance(self.pence, int) or isinstance(self.pence, bool):
            raise TypeError(f"Money holds integer pence, not {type(self.pence).__name__}")

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def pounds(cls, pounds: int) -> Money:
        if not isinstance(pounds, int) or isinstance(pounds, bool):
            raise TypeError("Money.pounds takes whole pounds as an int")
        return cls(pounds * 100)

    @classmethod
    def parse(
        cls,
        text: str,
        *,
        allow_negative: bool = False,
        allow_zero: bool = True,
        what: str = "amount",
    ) -> Money:
        """Read `6000`, `6,000`, `£6,000`, `6000.50`, `£26,440.00`; refuse anything doubtful."""
        if type(text) is str:
            plain = _PLAIN.fullmatch(text)
            if plain is not None:  # the common case, e.g. 1250.00 from a finance system: fast
                pence = int(plain[1]) * 100 + int(plain[2] or 0)
                if pence <= LIMIT_PENCE and (pence or allow_zero):
                    return cls(pence)
        if isinstance(text, float):
            raise MoneyError(
                f"{what} {text!r} is a float; money is never read from a float, give it as text such as '6000.50'"
            )
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)
        if text is not None and not isinstance(text, str):
            raise MoneyError(f"{what} must be text such as '6,000', not {type(text).__name__}")
        raw = (text or "").strip()
        if not raw:
            raise MoneyError(f"{what} is empty; {EXAMPLE}")
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        match = _SHAPE.match(raw) if len(raw) <= 40 else None
        if match is None or (match["sign"] and match["sign2"]):
            raise MoneyError(f"{what} {shown!r} is not a number; {EXAMPLE}")
        whole, frac = match["whole"], match["frac"]
        if "," in whole and (not _GROUPED.match(whole) or whole.startswith("0")):
            raise MoneyError(
                f"{what} {shown!r} has bad digit grouping: commas must separate groups of three "
                f"digits, and pence follow a point ({_grouping_hint(whole)})"
            )
        if frac is not None and len(frac) > 2:
            raise MoneyError(
                f"{what} {shown!r} has more than two decimal places; give pounds and pence, e.g. 1.01"
            )
        pence = int(whole.replace(",", "")) * 100 + int((frac or "0").ljust(2, "0"))
        if match["sign"] or match["sign2"]:
            if not allow_negative:
                raise MoneyError(f"{what} {shown!r} is negative; give a positive amount")
            pence = -pence
        if abs(pence) > LIMIT_PENCE:
            raise MoneyError(f"{what} {shown!r} is more than £1,000,000,000; check the figure")
        if pence == 0 and not allow_zero:
            raise MoneyError(f"{what} {shown!r} must be more than zero")
        return cls(pence)

    @property
    def is_whole_pounds(self) -> bool:
        return self.pence % 100 == 0

    def format(self) -> str:
        """`£26,440` for whole pounds, `£26,440.50` otherwise, `-£1,200` below zero."""
        sign = "-" if self.pence < 0 else ""
        pounds, pence = divmod(abs(self.pence), 100)
        return f"{sign}£{pounds:,}" + (f".{pence:02d}" if pence else "")

    __str__ = format

    def __repr__(self) -> str:
        return f"Money({self.format()!r})"

    def to_json(self) -> dict[str, Any]:
        return {"amount_pence": self.pence, "amount": self.format()}

    def _other(self, other: object) -> int:
        if not isinstance(other, Money):
            raise TypeError(f"Money only combines with Money, not {type(other).__name__}")
        return other.pence

    def __add__(self, other: Money) -> Money:
        return Money(self.pence + self._other(other))

    def __sub__(self, other: Money) -> Money:
        return Money(self.pence - self._other(other))

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("Money multiplies only by an int")
        return Money(self.pence * factor)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.pence)

    def __abs__(self) -> Money:
        return Money(abs(self.pence))

    def __bool__(self) -> bool:
        return self.pence != 0


def sum_money(amounts: Iterable[Money]) -> Money:
    total = Money(0)
    for amount in amounts:
        total = total + amount
    return total


def pounds_text(amount: Money) -> str:
    """An amount as a spreadsheet reads it: pounds with two decimals, no £ and no grouping
    (`1234.56`, `-150.00`), for CSV columns beside the pence."""
    sign = "-" if amount.pence < 0 else ""
    whole, pence = divmod(abs(amount.pence), 100)
    return f"{sign}{whole}.{pence:02d}"


def money_fields(prefix: str, amount: Money) -> dict[str, Any]:
    """JSON fields for one amount: `{prefix}_pence` (integer) and `prefix` (display)."""
    return {f"{prefix}_pence": amount.pence, prefix: amount.format()}


def split_allocation(
    total: Money, upfront_share: Fraction = 1 - DEFAULT_TACTICAL_SHARE
) -> tuple[Money, Money]:
    """Upfront = the share of the total rounded down to whole pounds; tactical = the rest.

    £39,661 with two thirds upfront → £26,440 + £13,221, as in the partnership's papers.
    """
    if not isinstance(upfront_share, Fraction) or not 0 <= upfront_share <= 1:
        raise ValueError(f"the upfront share must be a fraction between 0 and 1, not {upfront_share}")
    exact = Fraction(total.pence) * upfront_share
    upfront_pence = (exact.numerator // exact.denominator) // 100 * 100
    upfront = Money(upfront_pence)
    return upfront, total - upfront


def parse_share(text: str) -> Fraction:
    """`1/3`, `0.25` or `25%` → a Fraction between 0 and 1."""
    raw = (text or "").strip()
    try:
        if len(raw) > 20:
            raise ValueError(raw)
        if raw.endswith("%") and re.fullmatch(r"-?[0-9]*\.?[0-9]+", raw[:-1].strip()):
            share = Fraction(raw[:-1].strip()) / 100
        elif re.fullmatch(r"[0-9]+/[0-9]+|[0-9]*\.?[0-9]+", raw):
            share = Fraction(raw)
        else:
            raise ValueError(raw)
    except (ValueError, ZeroDivisionError) as error:
        raise BadInput(f"share {shown(text)} is not a fraction; write it as 1/3, 0.25 or 25%") from error
    if not 0 <= share <= 1:
        raise BadInput(f"share {shown(text)} must be between 0 and 1")
    return share
