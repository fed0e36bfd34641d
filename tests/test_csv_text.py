"""The one CSV writer (grants.writing.csv_text): its dialect and its per-column formula escaping."""

from __future__ import annotations

import csv
import io

import pytest

from grants.writing.csv_text import csv_text


def test_only_the_named_columns_are_escaped() -> None:
    rows = [{"title": "=1+1", "amount": "-12.50", "pence": -1250}, {"title": "-3 [/]", "amount": "+4"}]
    text = csv_text(("title", "amount", "pence"), rows, escaped=("title",))
    assert text == "title,amount,pence\n'=1+1,-12.50,-1250\n'-3 [/],+4,\n"


def test_cells_are_quoted_where_they_need_it_and_read_back() -> None:
    rows = [{"a": 'say "hi", then\nleave', "b": None, "extra": "left out"}]
    text = csv_text(("a", "b"), rows, escaped=("a", "b"))
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ['say "hi", then\nleave', ""]]


def test_control_characters_in_an_escaped_cell_are_shown() -> None:
    text = csv_text(("a",), [{"a": "x\u202ey"}], escaped=("a",))
    assert "\u202e" not in text


def test_an_escaped_column_that_is_not_a_field_is_refused() -> None:
    with pytest.raises(ValueError, match="titel"):
        csv_text(("title",), [], escaped=("titel",))
