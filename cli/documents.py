"""What the commands that write documents share: the Word paper's options, and
writing a text document to standard output or whole to --out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import call, fail, note, print_document
from grants.wording import verb

if TYPE_CHECKING:
    from grants.papers.layout import PaperSummary

Out = Annotated[Path | None, typer.Option("--out", help="Write to this file (default: standard output).")]


Meeting = Annotated[
    str | None, typer.Option("--meeting", help="The meeting the paper goes to, YYYY-MM-DD (docx).")
]
Template = Annotated[
    Path | None, typer.Option("--template", help="Start the Word paper from this .docx or .dotx (docx).")
]


def docx_options(fmt: str, target: Path | None, example: str, **docx_only: object) -> None:
    """A Word paper needs --out; --meeting and --template belong to a Word paper only."""
    if fmt == "docx":
        if target is None:
            fail(f"a Word document is not written to the terminal: give --out FILE, e.g. --out {example}", 2)
        return
    given = [f"--{name}" for name, value in docx_only.items() if value is not None]
    if given:
        fail(f"{' and '.join(given)} {verb(len(given), 'belongs', 'belong')} to --format docx", 2)


def write_text(ctx: typer.Context, text: str, out: Path | None) -> None:
    """A text report to standard output, or whole to --out."""
    from grants.writing.files import write_whole

    if out is None:
        print_document(text, "text")
        return
    call(
        ctx,
        lambda scope: write_whole(out, lambda partial: partial.write_text(text, encoding="utf-8")),
        write=False,
    )
    note(f"Wrote {out}.")


def paper_note(summary: PaperSummary, out: Path) -> None:
    note(f"Wrote {out}: {summary.title}, {summary.detail}; {summary.head.text}.")
