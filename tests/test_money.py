"""Unit and property tests of grants/money.py: exact pence, strict parsing, display, the split."""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grants.errors import BadInput
from grants.money import (
    LIMIT_PENCE,
    Money,
    MoneyError,
    money_fields,
    parse_share,
    split_allocation,
    sum_money,
)

ONE_BILLION_PENCE = 1_000_000_000 * 100
HOW = "give an amount such as 6,000 or £6,000.50"

in_range = st.integers(min_value=-ONE_BILLION_PENCE, max_value=ONE_BILLION_PENCE).map(Money)
non_negative = st.integers(min_value=0, max_value=ONE_BILLION_PENCE).map(Money)
shares = st.fractions(min_value=0, max_value=1)


def refusal(text: object, **kwargs: object) -> str:
    """The message parse gives for `text`; fails the test when it is accepted."""
    with pytest.raises(MoneyError) as caught:
        Money.parse(text, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


# --- parse: what it accepts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("6000", 600_000),
        ("6,000", 600_000),
        ("£6,000", 600_000),
        ("6000.50", 600_050),
        ("£26,440.00", 2_644_000),
        ("£26,440.5", 2_644_050),
        ("0.5", 50),
        ("0.05", 5),
        ("0", 0),
        ("£0.00", 0),
        ("39661", 3_966_100),
        ("999", 99_900),
        ("123,456,789.01", 12_345_678_901),
        ("  £6,000\t", 600_000),
        ("£1,000,000,000", ONE_BILLION_PENCE),
        ("1000000000.00", ONE_BILLION_PENCE),
    ],
)
def test_parse_accepts_the_documented_shapes_exactly(text: str, pence: int) -> None:
    amount = Money.parse(text)
    assert amount == Money(pence)
    assert type(amount.pence) is int
    assert amount.pence == pence


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("-6000", -600_000),
        ("-£1,200", -120_000),
        ("£-1,200", -120_000),
        ("-6000.50", -600_050),
        ("-£1,000,000,000", -ONE_BILLION_PENCE),
        ("-0", 0),
    ],
)
def test_parse_reads_negatives_only_when_allowed(text: str, pence: int) -> None:
    assert Money.parse(text, allow_negative=True) == Money(pence)
    assert refusal(text) == f"amount {text!r} is negative; give a positive amount"


def test_the_limit_is_one_billion_pounds() -> None:
    assert LIMIT_PENCE == ONE_BILLION_PENCE


# --- parse: what it refuses, with the exact message -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        # the real typo in the seed report
        (
            "£6,00",
            {},
            "amount '£6,00' has bad digit grouping: commas must separate groups of three digits, "
            "and pence follow a point (write 6,000, 600 or 6.00)",
        ),
        (
            "6,0",
            {},
            "amount '6,0' has bad digit grouping: commas must separate groups of three digits, "
            "and pence follow a point (write 6,000 or 60)",
        ),
        (
            "6000.505",
            {},
            "amount '6000.505' has more than two decimal places; give pounds and pence, e.g. 1.01",
        ),
        (
            "0.001",
            {},
            "amount '0.001' has more than two decimal places; give pounds and pence, e.g. 1.01",
        ),
        (
            "£6,000.5051",
            {"allow_negative": True},
            "amount '£6,000.5051' has more than two decimal places; give pounds and pence, e.g. 1.01",
        ),
        ("-6000", {}, "amount '-6000' is negative; give a positive amount"),
        ("-£6,000", {}, "amount '-£6,000' is negative; give a positive amount"),
        ("£-6,000", {}, "amount '£-6,000' is negative; give a positive amount"),
        ("", {}, f"amount is empty; {HOW}"),
        ("   ", {}, f"amount is empty; {HOW}"),
        ("\t\n", {}, f"amount is empty; {HOW}"),
        ("six thousand", {}, f"amount 'six thousand' is not a number; {HOW}"),
        ("£", {}, f"amount '£' is not a number; {HOW}"),
        ("£ 6,000", {}, f"amount '£ 6,000' is not a number; {HOW}"),
        ("6 000", {}, f"amount '6 000' is not a number; {HOW}"),
        ("$6,000", {}, f"amount '$6,000' is not a number; {HOW}"),
        ("6e3", {}, f"amount '6e3' is not a number; {HOW}"),
        ("6k", {}, f"amount '6k' is not a number; {HOW}"),
        (".5", {}, f"amount '.5' is not a number; {HOW}"),
        ("6000.", {}, f"amount '6000.' is not a number; {HOW}"),
        ("1.2.3", {}, f"amount '1.2.3' is not a number; {HOW}"),
        ("--6", {"allow_negative": True}, f"amount '--6' is not a number; {HOW}"),
        ("-£-6", {"allow_negative": True}, f"amount '-£-6' is not a number; {HOW}"),
        ("٦٠٠٠", {}, f"amount '٦٠٠٠' is not a number; {HOW}"),
        (
            "£1,000,000,001",
            {},
            "amount '£1,000,000,001' is more than £1,000,000,000; check the figure",
        ),
        (
            "£1,000,000,000.01",
            {},
            "amount '£1,000,000,000.01' is more than £1,000,000,000; check the figure",
        ),
        (
            "-£1,000,000,001",
            {"allow_negative": True},
            "amount '-£1,000,000,001' is more than £1,000,000,000; check the figure",
        ),
        ("0", {"allow_zero": False}, "amount '0' must be more than zero"),
        ("£0.00", {"allow_zero": False}, "amount '£0.00' must be more than zero"),
        ("", {"what": "award"}, f"award is empty; {HOW}"),
        ("-5", {"what": "spend"}, "spend '-5' is negative; give a positive amount"),
        (
            "x" * 50,
            {},
            f"amount '{'x' * 37}...' is not a number; {HOW}",
        ),
    ],
)
def test_parse_refuses_with_a_message_saying_what_is_wrong(
    text: str, kwargs: dict[str, object], message: str
) -> None:
    assert refusal(text, **kwargs) == message


def test_a_money_error_is_bad_input_with_exit_code_2() -> None:
    with pytest.raises(BadInput) as caught:
        Money.parse("six thousand")
    assert type(caught.value) is MoneyError
    assert caught.value.exit_code == 2


def test_parse_rejects_zero_only_when_asked() -> None:
    assert Money.parse("0") == Money(0)
    assert Money.parse("0.01", allow_zero=False) == Money(1)
    assert refusal("-0", allow_negative=True, allow_zero=False) == "amount '-0' must be more than zero"


@pytest.mark.parametrize("value", [6000.0, 6000.5, 0.5, 0.0, float("nan")])
def test_parse_never_turns_a_float_into_money(value: float) -> None:
    try:
        result = Money.parse(value)  # type: ignore[arg-type]
    except Exception:
        return
    pytest.fail(f"Money.parse({value!r}) accepted a float and returned {result!r}")


@pytest.mark.parametrize("value", [6000.0, 0.0])
def test_parse_refuses_a_float_with_a_clear_error(value: float) -> None:
    with pytest.raises((TypeError, MoneyError), match="float"):
        Money.parse(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["1,234,56", "12,34", "1,0000"])
def test_bad_grouping_hint_offers_each_reading_once(text: str) -> None:
    message = refusal(text)
    hint = re.search(r"\(write (.+)\)$", message)
    assert hint is not None, message
    readings = [part.replace(",", "") for part in re.split(r", | or ", hint.group(1))]
    assert len({Fraction(r) for r in readings}) == len(readings), message


def test_a_leading_zero_group_is_refused() -> None:
    assert refusal("0,500").endswith("(write 0.50 or 500)")


# --- format ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (2_644_000, "£26,440"),
        (2_644_050, "£26,440.50"),
        (2_644_001, "£26,440.01"),
        (0, "£0"),
        (5, "£0.05"),
        (50, "£0.50"),
        (99, "£0.99"),
        (100, "£1"),
        (123_456_789, "£1,234,567.89"),
        (ONE_BILLION_PENCE, "£1,000,000,000"),
        (-120_000, "-£1,200"),
        (-5, "-£0.05"),
        (-2_644_050, "-£26,440.50"),
    ],
)
def test_format(pence: int, text: str) -> None:
    amount = Money(pence)
    assert amount.format() == text
    assert str(amount) == text
    assert repr(amount) == f"Money({text!r})"


def test_json_carries_integer_pence_and_display() -> None:
    amount = Money(2_644_050)
    assert amount.to_json() == {"amount_pence": 2_644_050, "amount": "£26,440.50"}
    assert money_fields("award", amount) == {"award_pence": 2_644_050, "award": "£26,440.50"}
    assert type(amount.to_json()["amount_pence"]) is int


@pytest.mark.parametrize(("pence", "whole"), [(0, True), (100, True), (-300, True), (1, False), (150, False)])
def test_is_whole_pounds(pence: int, whole: bool) -> None:
    assert Money(pence).is_whole_pounds is whole


# --- split_allocation and parse_share -------------------------------------------------------------


def test_split_of_the_seed_allocation() -> None:
    upfront, tactical = split_allocation(Money.pounds(39_661))
    assert upfront == Money.pounds(26_440)
    assert tactical == Money.pounds(13_221)
    assert upfront.format() == "£26,440"
    assert tactical.format() == "£13,221"


def test_split_share_is_a_parameter_and_parse_share_feeds_it() -> None:
    tactical_share = parse_share("1/3")
    assert split_allocation(Money.pounds(39_661), 1 - tactical_share) == (
        Money.pounds(26_440),
        Money.pounds(13_221),
    )
    # a different share gives a different split
    assert split_allocation(Money.pounds(39_661), parse_share("50%")) == (
        Money.pounds(19_830),
        Money.pounds(19_831),
    )


@pytest.mark.parametrize(
    ("total", "share", "upfront", "tactical"),
    [
        (3_966_100, Fraction(1, 2), 1_983_000, 1_983_100),
        (3_966_100, Fraction(1, 3), 1_322_000, 2_644_100),
        (3_966_100, Fraction(0), 0, 3_966_100),
        (3_966_100, Fraction(1), 3_966_100, 0),
        (10_000, Fraction(3, 4), 7_500, 2_500),
        (1_000_099, Fraction(2, 3), 666_700, 333_399),
        (1_050, Fraction(1), 1_000, 50),
        (99, Fraction(1), 0, 99),
        (199, Fraction(1, 2), 0, 199),
        (0, Fraction(2, 3), 0, 0),
    ],
)
def test_split_rounds_upfront_down_to_whole_pounds(
    total: int, share: Fraction, upfront: int, tactical: int
) -> None:
    assert split_allocation(Money(total), share) == (Money(upfront), Money(tactical))


@pytest.mark.parametrize(
    ("share", "shown"),
    [(Fraction(3, 2), "3/2"), (Fraction(-1, 3), "-1/3"), (0.5, "0.5"), (1, "1"), ("2/3", "2/3")],
)
def test_split_refuses_a_share_outside_0_to_1_or_not_a_fraction(share: object, shown: str) -> None:
    with pytest.raises(ValueError) as caught:
        split_allocation(Money.pounds(100), share)  # type: ignore[arg-type]
    assert str(caught.value) == f"the upfront share must be a fraction between 0 and 1, not {shown}"


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("1/3", Fraction(1, 3)),
        ("2/3", Fraction(2, 3)),
        ("0.25", Fraction(1, 4)),
        (".5", Fraction(1, 2)),
        ("25%", Fraction(1, 4)),
        (" 25 % ", Fraction(1, 4)),
        ("33.3%", Fraction(333, 1000)),
        ("0", Fraction(0)),
        ("1", Fraction(1)),
        ("100%", Fraction(1)),
    ],
)
def test_parse_share_accepts(text: str, share: Fraction) -> None:
    result = parse_share(text)
    assert type(result) is Fraction
    assert result == share


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "share '' is not a fraction; write it as 1/3, 0.25 or 25%"),
        ("  ", "share '  ' is not a fraction; write it as 1/3, 0.25 or 25%"),
        ("one third", "share 'one third' is not a fraction; write it as 1/3, 0.25 or 25%"),
        ("1/0", "share '1/0' is not a fraction; write it as 1/3, 0.25 or 25%"),
        ("%", "share '%' is not a fraction; write it as 1/3, 0.25 or 25%"),
        ("5.", "share '5.' is not a fraction; write it as 1/3, 0.25 or 25%"),
        ("-1/3", "share '-1/3' is not a fraction; write it as 1/3, 0.25 or 25%"),
        ("3/2", "share '3/2' must be between 0 and 1"),
        ("150%", "share '150%' must be between 0 and 1"),
        ("-10%", "share '-10%' must be between 0 and 1"),
        ("1.5", "share '1.5' must be between 0 and 1"),
    ],
)
def test_parse_share_refuses(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_share(text)
    assert str(caught.value) == message


# --- Money: immutable, integer pence, Money-only arithmetic, ordering ----------------------------


def test_money_is_frozen() -> None:
    amount = Money(500)
    with pytest.raises(dataclasses.FrozenInstanceError):
        amount.pence = 600  # type: ignore[misc]
    # A new attribute is refused too (on Python 3.11 the frozen+slots __setattr__ fails with a
    # TypeError from its zero-argument super() rather than FrozenInstanceError).
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError, TypeError)):
        amount.note = "x"  # type: ignore[attr-defined]
    assert not hasattr(amount, "__dict__")
    assert amount.pence == 500


def test_money_is_hashable_by_value() -> None:
    assert hash(Money(500)) == hash(Money(500))
    assert {Money(500), Money(500), Money(501)} == {Money(500), Money(501)}


@pytest.mark.parametrize(
    ("value", "name"), [(1.5, "float"), (100.0, "float"), (True, "bool"), ("100", "str"), (None, "NoneType")]
)
def test_money_holds_only_integer_pence(value: object, name: str) -> None:
    with pytest.raises(TypeError) as caught:
        Money(value)  # type: ignore[arg-type]
    assert str(caught.value) == f"Money holds integer pence, not {name}"


@pytest.mark.parametrize("value", [1.5, 2.0, True, "3"])
def test_pounds_takes_only_an_int(value: object) -> None:
    with pytest.raises(TypeError) as caught:
        Money.pounds(value)  # type: ignore[arg-type]
    assert str(caught.value) == "Money.pounds takes whole pounds as an int"


def test_constructors() -> None:
    assert Money.zero() == Money(0)
    assert Money.pounds(39_661) == Money(3_966_100)
    assert Money.pounds(-2) == Money(-200)


def test_arithmetic_stays_in_integer_pence() -> None:
    a, b = Money(1_050), Money(25)
    assert a + b == Money(1_075)
    assert a - b == Money(1_025)
    assert b - a == Money(-1_025)
    assert a * 3 == Money(3_150)
    assert 3 * a == Money(3_150)
    assert -a == Money(-1_050)
    assert abs(Money(-7)) == Money(7)
    for result in (a + b, a - b, a * 3, 3 * a, -a, abs(-a)):
        assert type(result) is Money
        assert type(result.pence) is int
    # the operands are not changed
    assert (a, b) == (Money(1_050), Money(25))


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (lambda m: m + 5, "Money only combines with Money, not int"),
        (lambda m: m - 1.5, "Money only combines with Money, not float"),
        (lambda m: m + "1", "Money only combines with Money, not str"),
        (lambda m: m * 1.5, "Money multiplies only by an int"),
        (lambda m: m * True, "Money multiplies only by an int"),
        (lambda m: m * Money(2), "Money multiplies only by an int"),
        (lambda m: 0.5 * m, "Money multiplies only by an int"),
    ],
)
def test_money_does_not_mix_with_other_types(operation, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError) as caught:
        operation(Money(100))
    assert str(caught.value) == message


def test_money_cannot_be_added_to_a_number_from_the_left_or_ordered_against_one() -> None:
    with pytest.raises(TypeError):
        5 + Money(100)  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(100) < 5  # type: ignore[operator]  # noqa: B015
    assert Money(100) != 100
    assert Money(0) != 0


def test_comparisons_and_truth() -> None:
    assert Money(1) < Money(2) <= Money(2) < Money(100)
    assert Money(-1) < Money(0)
    assert Money(2) > Money(1)
    assert max(Money(5), Money(50), Money(-500)) == Money(50)
    assert sorted([Money(3), Money(-1), Money(2)]) == [Money(-1), Money(2), Money(3)]
    assert not Money(0)
    assert Money(1)
    assert Money(-1)


def test_sum_money() -> None:
    assert sum_money([]) == Money(0)
    assert sum_money([Money(1), Money(2), Money(-5)]) == Money(-2)
    assert sum_money(iter([Money.pounds(26_440), Money.pounds(13_221)])) == Money.pounds(39_661)
    with pytest.raises(TypeError):
        sum_money([Money(1), 2])  # type: ignore[list-item]


# --- properties -----------------------------------------------------------------------------------


@settings(deadline=None)
@given(in_range)
@example(Money(ONE_BILLION_PENCE))
@example(Money(-ONE_BILLION_PENCE))
@example(Money(1))
def test_parse_reads_back_what_format_wrote(amount: Money) -> None:
    assert Money.parse(amount.format(), allow_negative=True) == amount


@settings(deadline=None)
@given(non_negative)
def test_parse_reads_back_non_negative_amounts_by_default(amount: Money) -> None:
    assert Money.parse(amount.format()) == amount
    pounds, pence = divmod(amount.pence, 100)
    assert Money.parse(f"{pounds}.{pence:02d}") == amount


@settings(deadline=None)
@given(non_negative, shares)
@example(Money(3_966_100), Fraction(2, 3))
@example(Money(99), Fraction(1))
@example(Money(ONE_BILLION_PENCE), Fraction(1))
def test_split_parts_sum_exactly_and_are_not_negative(total: Money, share: Fraction) -> None:
    upfront, tactical = split_allocation(total, share)
    assert upfront + tactical == total
    assert upfront >= Money(0)
    assert tactical >= Money(0)
    assert upfront.is_whole_pounds
    # rounded down, and by less than one pound
    shortfall = Fraction(total.pence) * share - upfront.pence
    assert 0 <= shortfall < 100


@settings(deadline=None)
@given(non_negative, st.fractions(min_value=0, max_value=1), st.fractions(min_value=0, max_value=1))
def test_a_larger_share_never_gives_less_upfront(total: Money, a: Fraction, b: Fraction) -> None:
    low, high = sorted((a, b))
    assert split_allocation(total, low)[0] <= split_allocation(total, high)[0]


def _parse_or_refuse(text: str, **kwargs: object) -> Money | None:
    try:
        result = Money.parse(text, **kwargs)  # type: ignore[arg-type]
    except MoneyError as error:
        assert str(error)
        return None
    assert type(result) is Money
    assert abs(result.pence) <= ONE_BILLION_PENCE
    assert Money.parse(result.format(), allow_negative=True) == result
    return result


@settings(deadline=None)
@given(st.text(), st.booleans(), st.booleans())
def test_parse_of_any_text_gives_money_or_a_money_error(
    text: str, allow_negative: bool, allow_zero: bool
) -> None:
    _parse_or_refuse(text, allow_negative=allow_negative, allow_zero=allow_zero)


@settings(deadline=None)
@given(st.text(alphabet="0123456789,.£- \t", max_size=24), st.booleans())
@example("£6,00", False)
@example("-£-6", True)
@example(",", False)
def test_parse_of_money_like_text_gives_money_or_a_money_error(text: str, allow_negative: bool) -> None:
    result = _parse_or_refuse(text, allow_negative=allow_negative)
    if result is not None and not allow_negative:
        assert result.pence >= 0


@settings(deadline=None)
@given(st.text(alphabet="0123456789/.% -", max_size=12))
def test_parse_share_gives_a_fraction_in_range_or_bad_input(text: str) -> None:
    try:
        share = parse_share(text)
    except BadInput:
        return
    assert type(share) is Fraction
    assert 0 <= share <= 1


@settings(deadline=None)
@given(in_range, in_range, st.integers(min_value=-1000, max_value=1000))
def test_arithmetic_matches_integer_arithmetic(a: Money, b: Money, k: int) -> None:
    assert (a + b).pence == a.pence + b.pence
    assert (a - b).pence == a.pence - b.pence
    assert (a * k).pence == a.pence * k
    assert (k * a).pence == a.pence * k
    assert (-a).pence == -a.pence
    assert (a < b) == (a.pence < b.pence)
    assert (a == b) == (a.pence == b.pence)
    assert sum_money([a, b, -a]) == b
