"""Issue 19: every command that shows data has --json, and it prints valid JSON. The commands
are walked from the CLI itself: a command that does not write (no `write=True` call) shows data
unless it is listed below with what it prints instead, so a new command without --json fails
here until it gets one or a reason."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
import typer.main

from cli.main import app
from tests.conftest import Cli, demo_copy

# Commands that do not write and yet show no data of the partnership's: what they print instead.
NOT_DATA = {
    "score": "records a score sheet, through the sheet or the prompts (a write, made in grants.scoring)",
    "demo": "builds a demo database and tells its story",
    "init": "creates a database and a partnership",
    "db upgrade": "upgrades the database's schema",
    "db backup": "writes a copy of the database to a file",
    "db grants": "prints SQL for a PostgreSQL server to run",
    "export journal": "an hledger journal, a format of its own",
    "export xlsx": "a workbook file",
    "export 360giving": "a 360Giving data package: JSON already (--format json, the default)",
}
# What fills a required argument on the demo.
ARGUMENTS = {"reference": "CRG-2425-001", "label": "2024/25", "year": "2024/25"}


def _walk() -> list[tuple[str, list[str], set[str]]]:
    """(name, words and arguments, options) of every command that does not write."""
    found = []

    def walk(command: Any, words: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*words, name])
            return
        if "write=True" in inspect.getsource(command.callback):
            return
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        if " ".join(words) in NOT_DATA:
            found.append((" ".join(words), words, options))
            return
        argv = list(words)
        for p in command.params:
            if p.param_type_name == "argument" and p.required:
                argv.append(ARGUMENTS[p.name])
        found.append((" ".join(words), argv, options))

    walk(typer.main.get_command(app), [])
    return found


READS = _walk()
SHOWS = [(name, argv) for name, argv, _ in READS if name not in NOT_DATA]


def test_every_command_that_shows_data_has_json() -> None:
    missing = [name for name, _, options in READS if name not in NOT_DATA and "--json" not in options]
    assert missing == []
    assert set(NOT_DATA) <= {name for name, _, _ in READS}, "an entry of NOT_DATA is not a command"
    assert {"report working-group", "report action-plan", "workflow diagram", "bid show"} <= {n for n, _ in SHOWS}


@pytest.fixture(scope="module")
def year_end(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    url = f"sqlite:///{tmp_path_factory.mktemp('json') / 'demo.sqlite'}"
    demo_copy(url)
    return Cli(url)


@pytest.mark.parametrize("argv", [argv for _, argv in SHOWS], ids=[name for name, _ in SHOWS])
def test_json_is_valid_for_the_officer_and_a_lead(year_end: Cli, argv: list[str]) -> None:
    for actor in ("kcc-officer", "wg-police"):
        result = year_end(*argv, "--json", actor=actor)
        if actor == "wg-police" and result.exit_code == 1:  # a refusal is a message, not JSON
            assert result.stdout == "" and "may not" in result.stderr, (argv, result.output)
            continue
        # 4: a check that found problems (reconcile's "does not balance") still prints its JSON.
        assert result.exit_code in (0, 4), (argv, actor, result.output)
        json.loads(result.stdout)
