"""The one CSV writer: every report, ranking and export written as CSV goes through `csv_text`,
beside `grants.text.markdown_table` for Markdown. One dialect (comma-separated, `\\n` line ends,
quoted only where a cell needs it), and the cells a spreadsheet could run escaped by an explicit
per-column choice: the caller names the columns that hold text a user typed (a title, an
organisation's name), and only those get `spreadsheet_safe`'s leading apostrophe — so an amount of
`-12.50` in a figure column stays a number a spreadsheet sums."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from grants.writing.files import spreadsheet_safe


def csv_text(fields: Sequence[str], rows: Iterable[Mapping[str, Any]], *, escaped: Collection[str]) -> str:
    """The header `fields` then one line per row, each cell the row's value under that field
    (empty when the row has none; keys beyond `fields` are left out). The cells of the columns
    named in `escaped` pass `spreadsheet_safe`; the others are written as they are."""
    unknown = [name for name in escaped if name not in fields]
    if unknown:
        raise ValueError(f"escaped columns {unknown} are not among the fields {list(fields)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(
            [spreadsheet_safe(row.get(name, "")) if name in escaped else row.get(name, "") for name in fields]
        )
    return out.getvalue()
