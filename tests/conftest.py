"""Shared fixtures: a fresh SQLite database per test, and the CLI driven like a person would."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner

from cli.main import app, hoist_global_options

os.environ.pop("GRANTS_DATABASE_URL", None)
os.environ.pop("GRANTS_USER", None)
os.environ.pop("GRANTS_PARTNERSHIP", None)
os.environ.pop("GRANTS_IDENTITY", None)
os.environ["COLUMNS"] = "200"  # tables are read whole, not wrapped at 80 columns


# The test tiers, declared in one place. The fast tier is the default `pytest` (the README's second
# command); `pytest -m slow` runs the rest: the stateful machine, the kills, several processes at
# once, the real pseudo-terminal, and everything that needs a PostgreSQL server. `.ci/run` runs
# both. A single slow test elsewhere can carry `@pytest.mark.slow` itself.
SLOW_MODULES = frozenset(
    {"test_crashes", "test_concurrency", "test_concurrency_all", "test_invariants", "test_scoring_terminal"}
)


def pytest_configure(config: pytest.Config) -> None:
    # Naming files or tests on the command line runs them whatever their tier: the default
    # `-m 'not slow'` (pyproject's addopts) only picks the tier of a whole run.
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    if explicit and config.option.markexpr == "not slow":
        config.option.markexpr = ""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path
        if path.parent.name == "postgres" or path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def _command_built_once(typer_app: typer.Typer):  # type: ignore[no-untyped-def]
    """Typer's CliRunner turns the app into a Click command tree on every call: the signatures and
    type hints of every command, about 0.3 s, most of a CLI test's time. The tree of the assembled
    application never changes, so it is built once per test process; any other app (a test's own)
    is built as Typer would."""
    if typer_app is not app:
        return typer.main.get_command(typer_app)
    if _COMMAND_TREE is None:
        globals()["_COMMAND_TREE"] = typer.main.get_command(app)
    return _COMMAND_TREE


_COMMAND_TREE = None
assert hasattr(typer.testing, "_get_command"), "typer.testing no longer builds the command per call"
typer.testing._get_command = _command_built_once  # type: ignore[attr-defined]


@dataclass
class Cli:
    """Runs `grants` commands against one database, as a given member."""

    url: str

    def __call__(self, *args: str, actor: str | None = None, input: str | None = None, env=None):  # type: ignore[no-untyped-def]
        argv = ["--db", self.url]
        if actor:
            argv += ["--as", actor]
        runner = CliRunner()
        return runner.invoke(app, hoist_global_options([*argv, *args]), input=input, env=env)

    def snapshot(self) -> str:
        """Every row of the SQLite database as SQL text: equal snapshots mean nothing changed."""
        import sqlite3

        with sqlite3.connect(self.url.split("///", 1)[1]) as connection:
            return "\n".join(connection.iterdump())


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'grants.sqlite'}"


@pytest.fixture
def cli(sqlite_url: str) -> Cli:
    return Cli(sqlite_url)


_TEMPLATES: dict[tuple[str, bool], Path] = {}


def demo_copy(url: str, until: str = "year-end", *, rollover: bool = False) -> None:
    """Put the demo, built up to `until`, at the SQLite `url`: built once per test run into a
    template and copied per test (SQLite's backup API, so the copy is consistent), instead of
    replaying the round for every test."""
    import sqlite3
    import tempfile

    from grants.demo import STAGES, build

    stage = STAGES[-1] if until == "year-end" else until
    key = (stage, rollover)
    if key not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="grants-template-"))
        path = folder / f"{stage}{'-rollover' if rollover else ''}.sqlite"
        build(f"sqlite:///{path}", replace=True, until=stage, rollover=rollover)
        _TEMPLATES[key] = path
    target = Path(url.split("///", 1)[1])
    with sqlite3.connect(_TEMPLATES[key]) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    # The template is in WAL mode, and so is the copy (the mode is stored in the file).


@pytest.fixture
def kcsp(cli: Cli) -> Cli:
    """A partnership with its officer and the demo's members, and 2024/25 open at £39,661."""
    demo_copy(cli.url, "setup")
    return cli


@pytest.fixture
def shortlisted(cli: Cli) -> Cli:
    """The demo up to the working group's shortlist: seven shortlisted, two declined."""
    demo_copy(cli.url, "shortlisting")
    return cli


@pytest.fixture
def funded(cli: Cli) -> Cli:
    """The demo up to the eight projects funded (seven upfront, one tactical), none started."""
    demo_copy(cli.url, "tactical")
    return cli


@pytest.fixture
def demo(cli: Cli) -> Cli:
    """The whole demo as `grants demo` builds it."""
    demo_copy(cli.url)
    return cli


@pytest.fixture
def round_(cli: Cli) -> Cli:
    """The demo up to the nine proposals submitted and opened for scoring."""
    demo_copy(cli.url, "bids")
    return cli
