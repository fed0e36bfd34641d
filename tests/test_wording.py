"""Issue 19, words: what the commands say is checked against a list of patterns for the slips a
reader trips on (a subject named twice, "a invoice", "prioritys", a range that is not one, the
user's input upper-cased, a doubled word). The messages are collected two ways: by driving every
command of the CLI (walked from the application, not listed by hand) with bad input, and by
reading the text of every message the code builds (grants/, cli/, workflows/). The wording
itself is built in one place, grants/wording.py."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from cli.main import app
from grants.wording import (
    about,
    article,
    count_text,
    counted,
    counted_in_words,
    day_text,
    line_numbers,
    listed,
    plural,
    sentence,
    share_text,
    span_text,
    verb,
)
from tests.conftest import Cli, demo_copy

ROOT = Path(__file__).resolve().parent.parent

# Words spelt with a vowel that sound a consonant ("a unique", "a UK"), and "an" before a silent
# "h" or an initialism read letter by letter ("an hledger journal", "an SQL file").
SLIPS: dict[str, re.Pattern[str]] = {
    "subject repeated": re.compile(r"(?<![^\s(])([^\s:]{3,}): \1(?![\w-])"),
    "a before a vowel sound": re.compile(r"(?<![\w'’-])a (?!uni|use|usu|one|eu|U[A-Z])[aeiouAEIOU]\w"),
    "an before a consonant sound": re.compile(r"(?<![\w'’-])an (?!h|[A-Z]{2})[b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z]\w"),
    "naive plural in -ys": re.compile(r"\b\w*[b-df-hj-np-tv-z]ys\b"),
    # Words of letters: a time after its date ("2024-06-03 03:04") doubles a number, not a word.
    "doubled word": re.compile(r"\b([^\W\d_]{2,}) \1\b", re.IGNORECASE),
    "initialism in lower case": re.compile(r"\b(?:pcc|csa|opcc) priorit"),
    "one with a plural": re.compile(r"(?<![\d,.£-])\b1 (bids|projects|payments|lines|rows|sheets|days|problems)\b"),
}
# In the code's own text: an article or a plural written around a value that only the value
# decides (`give a {what}`, `{kind}s`) must go through grants.wording instead.
CODE_SLIPS: dict[str, re.Pattern[str]] = {
    **{name: SLIPS[name] for name in ("a before a vowel sound", "an before a consonant sound")},
    "naive plural in -ys": SLIPS["naive plural in -ys"],
    "article chosen before the value": re.compile(r"(?<![\w'’-])an? \{\}"),
    "plural made by appending s to a value": re.compile(r"\{\}s\b"),
}
RANGE = re.compile(r"\blines (\d+)[–-](\d+)")


def slips(text: str) -> list[str]:
    """Each slip in the text, named, with the words around it."""
    found = []
    for name, pattern in SLIPS.items():
        for match in pattern.finditer(text):
            found.append(f"{name}: {text[max(0, match.start() - 30) : match.end() + 30]!r}")
    for match in RANGE.finditer(text):
        if int(match.group(2)) - int(match.group(1)) < 2:  # two lines are "3 and 4", not a range
            found.append(f"range that is not one: {match.group()!r}")
    return found


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("CRG-2627-005: CRG-2627-005 cannot be submitted yet", "subject repeated"),
        ("supplier is empty; give a invoice", "a before a vowel sound"),
        ("an priority", "an before a consonant sound"),
        ("Csa prioritys", "naive plural in -ys"),
        ("the the bid", "doubled word"),
        ("1 bids", "one with a plural"),
        ("unknown pcc priority 'world-peace'", "initialism in lower case"),
        ("line 3: lines 3–4: the 2 new payments", "range that is not one"),
    ],
)
def test_each_slip_is_found(text: str, named: str) -> None:
    assert any(found.startswith(named) for found in slips(text)), (text, slips(text))


@pytest.mark.parametrize(
    "text",
    [
        "give an invoice",
        "a UK financial year",
        "an hledger journal",
        "a unique key",
        "an SQL file",
        "CRG-2627-005 cannot be submitted yet: it needs a summary",
        "the 2 new payments on lines 3 and 7",
        "lines 3–7",
        "│ 2024-06-03 03:04:38 │ opcc",
        "PCC priorities; 3 days left; 1 bid",
    ],
)
def test_good_words_are_not_slips(text: str) -> None:
    assert slips(text) == []


def test_wording_helpers() -> None:
    assert [plural(n) for n in ("priority", "day", "bid", "box", "authority", "key")] == [
        "priorities",
        "days",
        "bids",
        "boxes",
        "authorities",
        "keys",
    ]
    assert counted(1, "bid") == "1 bid" and counted(1250, "row") == "1,250 rows"
    assert counted(2, "responsible authority") == "2 responsible authorities"
    assert verb(1, "does", "do") == "does" and verb(3, "does", "do") == "do"
    assert [article(w) for w in ("invoice", "reason", "unique key", "SQL file", "PCC priority", "hour")] == [
        "an invoice",
        "a reason",
        "a unique key",
        "an SQL file",
        "a PCC priority",
        "an hour",
    ]
    assert listed([]) == "" and listed(["a"]) == "a" and listed([1, 2, 3]) == "1, 2 and 3"
    assert line_numbers([3]) == "line 3"
    assert line_numbers([3, 7]) == "lines 3 and 7"
    assert line_numbers([3, 4]) == "lines 3 and 4"
    assert line_numbers([3, 4, 5]) == "lines 3–5"
    assert line_numbers([3, 5, 9]) == "lines 3, 5 and 9"
    assert line_numbers([1, 2, 3, 4, 6], total=9) == "lines 1, 2, 3, 4, 6 and 4 more"
    assert about("CRG-2627-005", "CRG-2627-005 cannot be submitted yet") == "CRG-2627-005 cannot be submitted yet"
    assert about("CRG-2627-005", "cannot approve a bid that is closed") == (
        "CRG-2627-005: cannot approve a bid that is closed"
    )


def _message_texts(tree: ast.AST) -> list[tuple[int, str]]:
    """The text of every string and f-string in a module (an f-string's values as `{}`), but
    docstrings, which are prose for the reader of the code."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            found.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.append((node.lineno, node.value))
    return found


def test_the_papers_words() -> None:
    """The rules the reports and papers write with share the messages' rules (one kit): a count in
    words up to twenty, the same plurals, days without a leading zero."""
    from datetime import date
    from fractions import Fraction

    assert [count_text(n) for n in (0, 1, 20, 21, 1250)] == ["no", "one", "twenty", "21", "1,250"]
    assert counted_in_words(7, "priority") == "seven priorities"
    assert counted_in_words(1, "project") == "one project"
    assert counted_in_words(0, "bid") == "no bids"
    assert sentence("two-thirds of it") == "Two-thirds of it" and sentence("") == ""
    assert day_text(date(2024, 6, 3)) == "3 June 2024"
    assert span_text((date(2024, 6, 3), date(2024, 6, 3))) == "on 3 June 2024"
    assert span_text((date(2024, 6, 3), date(2024, 7, 5))) == "between 3 June 2024 and 5 July 2024"
    assert share_text(Fraction(2, 3)) == "two-thirds" and share_text(Fraction(7, 10)) == "7/10"


def test_the_codes_messages_have_no_slips() -> None:
    found = []
    for folder in ("grants", "cli", "workflows"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "wording.py":  # where the articles and plurals are made
                continue
            for line, text in _message_texts(ast.parse(path.read_text(encoding="utf-8"))):
                for name, pattern in CODE_SLIPS.items():
                    for match in pattern.finditer(text):
                        found.append(f"{path.relative_to(ROOT)}:{line}: {name}: {text[:match.end() + 30]!r}")
    assert found == []


# Bad input for each kind of argument, typed in mixed case so that an upper-cased echo shows.
BAD = {
    "reference": "Not A Grant",
    "handle": "No Such Member",
    "key": "No Such Key",
    "kind": "No Such Kind",
    "rule": "No Such Rule",
    "year": "Twenty31",
    "label": "Twenty31",
    "amount": "Twelve Pounds",
    "ends_on": "Next Tuesday",
    "value": "Some Value",
    "file": "/no/such/Folder/File.csv",
}
SKIPPED = {"demo", "init", "db upgrade"}  # they build or upgrade databases; no argument to get wrong


def _commands() -> list[tuple[str, list[str], list[str]]]:
    """Every command with a required argument: (its name, its words, the options it requires)."""
    found = []

    def walk(command: Any, words: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*words, name])
            return
        arguments = [p for p in command.params if p.param_type_name == "argument" and p.required]
        if not arguments or " ".join(words) in SKIPPED:
            return
        required = [p.opts[0] for p in command.params if p.param_type_name == "option" and p.required]
        found.append((" ".join(words), words, required))

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = _commands()
OPTION_VALUES = {"--date": "2024-09-01", "--amount": "10", "--from": "upfront", "--to": "tactical"}


def _argv(words: list[str], required: list[str], reference: str) -> list[str]:
    command = typer.main.get_command(app)
    for word in words:
        command = command.commands[word]  # type: ignore[attr-defined]
    argv = list(words)
    for p in command.params:
        if p.param_type_name == "argument" and p.required:
            argv.append(reference if p.name == "reference" else BAD[p.name])
    for option in required:
        argv += [option, OPTION_VALUES.get(option, "Some Text")]
    return argv


@pytest.fixture(scope="module")
def year_end(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, str]:
    """The demo at year end, with a draft of Kent Police's that lacks what submitting needs (the
    workflow's refusals are drawn from it: a guard's, a wrong state's, a role's)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('wording') / 'demo.sqlite'}"
    demo_copy(url)
    cli = Cli(url)
    created = cli("bid", "new", "--title", "A draft", "--amount", "100", "--json", actor="wg-police")
    return cli, json.loads(created.stdout)["reference"]


def test_the_commands_are_found() -> None:
    names = {name for name, _, _ in COMMANDS}
    assert {"bid show", "approve", "spend add", "member interest", "year open"} <= names


@pytest.mark.parametrize(("name", "words", "required"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_commands_messages_have_no_slips(
    year_end: tuple[Cli, str], name: str, words: list[str], required: list[str]
) -> None:
    cli, draft = year_end
    # The officer with a bid that does not exist; the draft's lead, whose roles reach few actions.
    for actor, reference in (("kcc-officer", BAD["reference"]), ("wg-police", draft)):
        result = cli(*_argv(words, required, reference), actor=actor)
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.output)
        said = result.stderr + result.stdout
        assert slips(said) == [], (name, actor, said)
        for typed in BAD.values():
            assert typed.upper() not in said, (name, "upper-cased the input", said)
