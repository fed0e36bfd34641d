"""Issue 19: no bid reference, money figure or date is ever cut, at an 80-column terminal or when
piped. Every command that shows data as a table (found by walking the CLI: each command with
`--json`, run on the demo) is run three ways — piped at COLUMNS=80, at an 80-column terminal,
and at that terminal with --wide where the command has it — and every reference and money figure
its --json gives must appear whole."""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import pytest
import typer
import typer.main
import typer.testing

import cli.common
from cli.main import app
from cli.render import Grid, dropped_columns, folding, whole
from tests.conftest import Cli, demo_copy

REFERENCE = re.compile(r"\bCRG-\d{4}-\d{3}\b")
MONEY = re.compile(r"^-?£\d{1,3}(,\d{3})*(\.\d\d)?$")
MONEY_TOKEN = re.compile(r"-?£[\d,.]*\d")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What fills a command's required argument on the demo.
ARGUMENTS = {"reference": "CRG-2425-001", "label": "2024/25", "year": "2024/25"}


def _commands() -> list[tuple[list[str], bool]]:
    """(the command's words and any arguments, whether it has --wide) for every command that shows
    data: it has --json and does not write (a write's --json reports what it did)."""
    found: list[tuple[list[str], bool]] = []

    def walk(command: Any, words: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*words, name])
            return
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        if "--json" not in options or "write=True" in inspect.getsource(command.callback):
            return
        argv = list(words)
        for p in command.params:
            if p.param_type_name == "argument" and p.required:
                assert p.name in ARGUMENTS, f"no demo value for {' '.join(words)}'s {p.name}"
                argv.append(ARGUMENTS[p.name])
        found.append((argv, "--wide" in options))

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = _commands()


def _strings(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return [data] if isinstance(data, str) else []


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    url = f"sqlite:///{tmp_path_factory.mktemp('tables') / 'demo.sqlite'}"
    demo_copy(url)
    return Cli(url)


def _run(demo: Cli, argv: list[str], monkeypatch: pytest.MonkeyPatch, terminal: bool) -> str:
    """The command's stdout with a fresh console at 80 columns, piped or at a terminal."""
    monkeypatch.setattr(cli.common.console, "_console", None)
    env = {"COLUMNS": "80", "TTY_COMPATIBLE": "1" if terminal else "0", "NO_COLOR": "1"}
    try:
        result = demo(*argv, actor="kcc-officer", env=env)
    finally:
        monkeypatch.setattr(cli.common.console, "_console", None)
    assert result.exit_code in (0, 4), (argv, result.output)  # 4: reconcile's "does not balance"
    return ANSI.sub("", result.stdout)


def _figures(demo: Cli, argv: list[str]) -> tuple[set[str], set[str]]:
    result = demo(*argv, "--json", actor="kcc-officer")
    assert result.exit_code in (0, 4), (argv, result.output)
    strings = _strings(json.loads(result.stdout))
    references = {m for s in strings for m in REFERENCE.findall(s)}
    money = {s for s in strings if MONEY.match(s)}
    return references, money


# A date as commands print it (2025-03-31, or 2024-04-15 07:57), and what is left of one cut short.
DATE = re.compile(r"(?<![\d-])\d{4}-\d\d-\d\d(?![\d-])")
DATE_START = re.compile(r"(?<![\d/-])\d{4}-\d{0,2}(?:-\d{0,2})?(?=…|[ \t│┃|]*$)", re.MULTILINE)


def _cut_dates(output: str) -> list[str]:
    """Dates printed in part: "2025-03" at the end of a line (its "-31" on the next), or "2025-0…"."""
    return [m.group() for m in DATE_START.finditer(output) if not DATE.fullmatch(m.group())]


def _tokens(output: str) -> set[str]:
    return set(REFERENCE.findall(output)) | set(MONEY_TOKEN.findall(output))


def _money_tokens(output: str, argv: list[str]) -> list[str]:
    """Every money figure printed, each of which must be a whole one ("£3,0" is a cut "£3,000")."""
    assert "…" not in output, (argv, output)
    tokens = MONEY_TOKEN.findall(output)
    for token in tokens:
        assert MONEY.match(token), (argv, token, output)
    return sorted(tokens)


@pytest.mark.parametrize(("argv", "has_wide"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_every_reference_and_figure_is_whole(
    demo_db: Cli, argv: list[str], has_wide: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    references, money = _figures(demo_db, argv)
    piped = _run(demo_db, argv, monkeypatch, terminal=False)
    terminal = _run(demo_db, argv, monkeypatch, terminal=True)
    for output in (piped, terminal):
        assert references <= set(REFERENCE.findall(output)), (argv, references, output)
        assert _cut_dates(output) == [], (argv, output)
    shown = _money_tokens(piped, argv)
    # What the --json gives is whole in the text: where a figure shows, it shows uncut (a
    # command's --json also gives figures its table does not show, such as a bid's spend).
    for figure in money:
        for fragment in MONEY_TOKEN.findall(piped):
            assert fragment == figure or not figure.startswith(fragment), (argv, figure, piped)
    if has_wide:
        # At the terminal, dropped columns may leave figures out, but never cut one; --wide
        # shows them all.
        assert set(_money_tokens(terminal, argv)) <= set(shown), (argv, terminal)
        wide = _run(demo_db, [*argv, "--wide"], monkeypatch, terminal=True)
        assert _money_tokens(wide, argv) == shown, (argv, wide)
        assert set(REFERENCE.findall(wide)) == set(REFERENCE.findall(piped))
    else:
        assert _money_tokens(terminal, argv) == shown, (argv, terminal)


@pytest.mark.parametrize("argv", [["bid", "list"], ["pot", "show"], ["report", "reconcile"]])
def test_the_issues_tables_show_every_figure_of_their_json(
    demo_db: Cli, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    references, money = _figures(demo_db, argv)
    if argv == ["bid", "list"]:  # its table shows what each bid asks for, not the spend
        money = {row["amount_requested"] for row in json.loads(demo_db("bid", "list", "--json").stdout)}
    for terminal in (False, True):
        output = _run(demo_db, argv, monkeypatch, terminal)
        for figure in sorted(references | money):
            assert re.search(rf"(?<![\d,£]){re.escape(figure)}(?![\d,])", output), (argv, figure, output)


def test_the_commands_are_found() -> None:
    words = {" ".join(a) for a, _ in COMMANDS}
    assert {"bid list", "pot show", "report reconcile"} <= words
    assert len(COMMANDS) >= 15


def test_grid_folds_secondary_then_drops_in_order_and_never_cuts_key_columns() -> None:
    from rich.console import Console

    columns = [whole("Reference"), folding("Title"), folding("Organisation", drop=1), folding("Pot", drop=2)]
    assert dropped_columns(columns) == "Organisation, then Pot"

    def render(width: int, terminal: bool = True, wide: bool = False) -> str:
        grid = Grid(columns, title="Bids", wide=wide)
        grid.add_row("CRG-2425-001", "A long title that folds over lines", "nhs-icb-kent", "tactical")
        console = Console(
            width=width, force_terminal=terminal, no_color=True, record=True, file=open("/dev/null", "w")
        )  # noqa: SIM115
        console.print(grid, crop=False)
        return ANSI.sub("", console.export_text())

    roomy = render(120)
    assert "nhs-icb-kent" in roomy and "tactical" in roomy
    narrow = render(44)
    assert "CRG-2425-001" in narrow and "nhs-icb-kent" not in narrow and "tactical" in narrow
    assert all(len(line) <= 44 for line in narrow.splitlines())
    tiny = render(20)  # not even the key column fits: it is printed whole, wider than the terminal
    assert "CRG-2425-001" in tiny and "…" not in tiny
    for text in (render(44, terminal=False), render(44, wide=True)):
        assert "nhs-icb-kent" in text and "A long title that folds over lines" in text


def test_help_names_the_columns_that_give_way() -> None:
    from cli.bids import BID_LIST_COLUMNS
    from cli.reports import PROJECT_TABLE
    from cli.scoring import RANKING_COLUMNS

    runner = typer.testing.CliRunner()
    for words, columns in (
        (["bid", "list"], BID_LIST_COLUMNS),
        (["scoring", "ranking"], RANKING_COLUMNS),
        (["report", "reconcile"], tuple(PROJECT_TABLE.values())),
    ):
        text = " ".join(runner.invoke(app, [*words, "--help"], env={"COLUMNS": "200"}).output.split())
        for column in columns:
            if column.drop:
                assert column.header in text, (words, column.header)


def test_card_folds_text_and_never_cuts_a_figure_or_date() -> None:
    from rich.console import Console

    from cli.render import Card

    def render(width: int, terminal: bool = True, wide: bool = False) -> str:
        card = Card("CRG-2425-001 — A title long enough to need more than one line at this width", wide=wide)
        card.add("Requested", "£26,440", whole=True)
        card.add("Summary", "Training for partners on case reviews and the new legislation, over two days")
        card.add("Submitted", "2024-04-15 07:57 UTC", whole=True)
        console = Console(
            width=width, force_terminal=terminal, no_color=True, record=True, file=open("/dev/null", "w")
        )  # noqa: SIM115
        console.print(card, crop=False)
        return ANSI.sub("", console.export_text())

    narrow = render(36)
    assert "CRG-2425-001" in narrow and "£26,440" in narrow and "2024-04-15 07:57 UTC" in narrow
    assert _cut_dates(narrow) == [] and "…" not in narrow
    assert all(len(line.rstrip()) <= 36 for line in narrow.splitlines())
    for whole_lines in (render(36, terminal=False), render(36, wide=True)):
        assert "Training for partners on case reviews and the new legislation, over two days" in whole_lines


@pytest.mark.parametrize(("argv", "has_wide"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_help_says_which_columns_give_way(
    demo_db: Cli, argv: list[str], has_wide: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by running the command: every table it prints with a column that may give way is
    named in its --help, which offers --wide."""
    made: list[Grid] = []
    original = Grid.__init__

    def recording(self: Grid, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Grid, "__init__", recording)
    _run(demo_db, argv, monkeypatch, terminal=True)
    giving_way = [c.header for grid in made for c in grid.columns if c.drop]
    if not giving_way:
        return
    words = [w for w in argv if not w.startswith("CRG-") and w != "2024/25"]
    runner = typer.testing.CliRunner()
    text = " ".join(runner.invoke(app, [*words, "--help"], env={"COLUMNS": "200"}).output.split())
    assert has_wide and "--wide" in text, argv
    for header in giving_way:
        assert header in text, (argv, header)
