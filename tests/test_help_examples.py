"""Issue 19, help that works: every `Example:` line of every command's --help (found by walking the
CLI, not listed by hand) runs successfully against the demo database.

Each example runs in-process on its own copy of a demo template (tests/conftest.demo_copy), in a
folder of its own for the files it writes. The year-end demo (what `grants demo` builds) is where an
example runs unless the bid it acts on is elsewhere in its life then: STAGE names the demo stage
its command's examples need, and PREPARE the steps an example needs first (a draft to edit, a
question to answer, a file to import); both are about the demo's data, never about the example.
What each example prints is checked for the slips of tests/test_wording.py."""

from __future__ import annotations

import inspect
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
import typer.main

from cli.main import app
from tests.conftest import Cli, demo_copy
from tests.test_wording import slips


def examples() -> list[tuple[str, str]]:
    """(command, example) for every example of every command, as its help shows it."""
    found: list[tuple[str, str]] = []

    def walk(command, words: list[str]) -> None:  # type: ignore[no-untyped-def]
        if hasattr(command, "commands"):
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*words, name])
            return
        doc = inspect.getdoc(command.callback) or ""
        for part in re.split(r"\n\s*\n", doc):
            for text in re.split(r"(?:^|\s)Example: ", " ".join(part.split()))[1:]:
                found.append((" ".join(words), text.strip()))

    walk(typer.main.get_command(app), [])
    return found


EXAMPLES = examples()

DRAFT = ["bid", "new", "--title", "Draft for the example", "--amount", "1,000", "--as", "wg-police"]
PAYMENTS_CSV = "date,reference,amount,supplier,invoice\n2024-07-15,CRG-2425-001,100.00,ASB Help,INV-1\n"


def _ledger_xlsx(folder: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["date", "Narrative", "amount", "supplier", "invoice"])
    sheet.append(["2024-07-15", "Payment for CRG-2425-001 training", "100.00", "ASB Help", "INV-2"])
    sheet.append(["2024-07-16", "Stationery", "12.00", "Office shop", "INV-3"])
    book.save(folder / "ledger.xlsx")


# The demo stage each command's examples act on (the year-end demo otherwise).
STAGE = {
    "answer": "shortlisting",
    "approve": "shortlisting",
    "bid edit": "setup",
    "bid submit": "setup",
    "bid withdraw": "bids",
    "cancel": "tactical",
    "clarify": "shortlisting",
    "close": "tactical",
    "criteria edit": "setup",
    "criteria remove": "setup",
    "criteria set": "setup",
    "decline": "scored",
    "delivery complete": "tactical",
    "delivery start": "tactical",
    "member interest": "bids",
    "reject": "shortlisting",
    "score": "bids",
    "scoring open": "setup",
    "scoring sheets": "scored",
    "shortlist": "scored",
    "spend add": "tactical",
    "spend import": "tactical",
    "vary": "tactical",
    "year open": "empty",
    "init": "empty",
}
OFFICER = ["--as", "kcc-officer"]
# Kent Police's draft bid, complete enough to submit (the first bid of a fresh year: CRG-2425-001).
FULL_DRAFT = [
    *DRAFT,
    *("--summary", "Training", "--outcomes", "Trained staff", "--measures", "Attendance"),
    *("--pcc-priority", "asb-and-crime", "--csa-priority", "neighbourhood-crime-asb", "--ends", "2025-03-31"),
]
KENT = [
    "init",
    "--preset",
    "kent",
    "--officer",
    "kcc-officer",
    "--officer-name",
    "Officer",
    "--officer-org",
    "kcc",
]
# What an example needs done first, on its copy: commands (argv) or a function of the folder.
PREPARE: dict[str, list[list[str] | Callable[[Path], None]]] = {
    "answer": [
        ["approve", "CRG-2425-002", "--as", "chair"],
        ["clarify", "CRG-2425-002", "--question", "Q?", "--as", "opcc"],
    ],
    "approve": [["approve", "CRG-2425-003", "--as", "chair"]],
    "bid edit": [DRAFT],
    "bid submit": [FULL_DRAFT],
    "clarify": [["approve", "CRG-2425-002", "--as", "chair"]],
    "close": [
        ["delivery", "start", "CRG-2425-001", *OFFICER],
        ["delivery", "complete", "CRG-2425-001", "--outcome", "Done", *OFFICER],
    ],
    "delivery complete": [["delivery", "start", "CRG-2425-001", *OFFICER]],
    "scoring open": [FULL_DRAFT, ["bid", "submit", "CRG-2425-001", "--as", "wg-police"]],
    "spend add": [
        [
            "spend",
            "add",
            "CRG-2425-001",
            "1,250",
            "--date",
            "2024-07-15",
            "--supplier",
            "ASB Help",
            "--as",
            "treasurer",
        ]
    ],
    "spend import": [lambda folder: (folder / "payments-2024-07.csv").write_text(PAYMENTS_CSV), _ledger_xlsx],
    "init": [lambda folder: (folder / "wealden.toml").write_text(_preset("example.toml"))],
    "year open": [KENT],
}


def _preset(name: str) -> str:
    return (Path(__file__).parent.parent / "grants" / "data" / "presets" / name).read_text()


def _argv(example: str, folder: Path) -> tuple[list[str], Path | None]:
    """The example's words after `grants`, and the file its output is redirected to, if any."""
    words = shlex.split(example)
    assert words[0] == "grants", example
    words = words[1:]
    target = None
    if ">" in words:
        at = words.index(">")
        target, words = folder / words[at + 1], words[:at]
    return words, target




def on_postgres(example: str) -> bool:
    """An example that names a PostgreSQL database: tests/postgres/test_pg_help_examples.py runs it."""
    words = shlex.split(example)
    return "--db" in words and words[words.index("--db") + 1].startswith("postgresql")


# `grants demo` builds a whole demo: its example is in the slow tier.
CASES = [
    pytest.param(c, e, id=f"{c}: {e}", marks=[pytest.mark.slow] if c == "demo" else [])
    for c, e in EXAMPLES
    if not on_postgres(e)
]


@pytest.mark.parametrize(("command", "example"), CASES)
def test_every_help_example_runs_on_the_demo(
    command: str, example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    words, target = _argv(example, tmp_path)
    cli = Cli(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    stage = STAGE.get(command, "year-end")
    if stage != "empty":
        demo_copy(cli.url, stage)
    for step in PREPARE.get(command, []):
        if callable(step):
            step(tmp_path)
        else:
            done = cli(*step)
            assert done.exit_code == 0, (step, done.output)
    result = cli(*words)
    assert result.exit_code == 0, (example, result.output)
    # What a command says when it works is held to the same words as its refusals.
    assert slips(result.stdout + result.stderr) == [], example
    if target is not None:
        target.write_text(result.stdout)
        assert target.stat().st_size > 0


def test_the_examples_are_found() -> None:
    commands = {c for c, _ in EXAMPLES}
    assert {"bid new", "workflow diagram", "spend add"} <= commands
    assert sum(1 for c, _ in EXAMPLES if c == "spend add") == 2  # two examples in one paragraph
    assert {c for c, e in EXAMPLES if on_postgres(e)} == {"db upgrade", "db grants"}
