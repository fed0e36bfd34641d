"""Shared fixtures: a fresh SQLite database per test, and the CLI driven like a person would."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner

from cli.main import app

os.environ.pop("GRANTS_DATABASE_URL", None)
os.environ.pop("GRANTS_USER", None)
os.environ.pop("GRANTS_PARTNERSHIP", None)
os.environ.pop("GRANTS_IDENTITY", None)
os.environ["COLUMNS"] = "200"  # tables are read whole, not wrapped at 80 columns


# The test tiers, declared in one place. The fast tier is the default `pytest` (the README's second
# command); `pytest -m slow` runs the rest: the stateful machine, the kills, several processes at
# once, the real pseudo-terminal, the README's walkthrough (about forty `grants` processes, 45 CPU
# seconds: a fifth of the fast tier) and everything that needs a PostgreSQL server. `.ci/run` runs
# both. A single slow test elsewhere can carry `@pytest.mark.slow` itself.
SLOW_MODULES = frozenset(
    {
        "test_crashes",
        "test_concurrency",
        "test_concurrency_all",
        "test_invariants",
        "test_readme",
        "test_scoring_terminal",
    }
)


def pytest_configure(config: pytest.Config) -> None:
    # Naming files or tests on the command line runs them whatever their tier: the default
    # `-m 'not slow'` (pyproject's addopts) only picks the tier of a whole run.
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    if explicit and config.option.markexpr == "not slow":
        config.option.markexpr = ""
    if not hasattr(config, "workerinput"):  # once per run, before any xdist worker starts
        _compile_the_project()


def _compile_the_project() -> None:
    """Write the project's bytecode before the tests start the `grants` command as a process.

    With PYTHONDONTWRITEBYTECODE set (as on some machines and CI images) Python never caches the
    project's modules, so each `grants` process compiled all of them again: about 0.2 s of its
    1.3 s. Python still reads a cache written here; compileall skips the modules that are up to
    date, so this costs nothing once done."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("grants", "cli", "workflows"):
        compileall.compile_dir(root / package, quiet=1)


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
        return runner.invoke(app, [*argv, *args], input=input, env=env)

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


# --- the demo templates ---------------------------------------------------------------------------
# The demo is built once per test run, stage by stage, each stage on a copy of the one before (not
# the year replayed from the start for every stage), into one folder that every xdist worker of the
# run shares: the first worker that needs a stage builds it under a lock, the others copy it. A
# template is written whole and then renamed into place, so a file that exists is complete. Tests
# never open a template itself: `demo_copy` gives each its own copy.

_TEMPLATE_ROOT: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def _demo_template_root(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The run's template folder: under xdist, beside the workers' own folders (their parent is
    the run's base folder); pytest removes it with the run's other temporary folders."""
    global _TEMPLATE_ROOT
    base = tmp_path_factory.getbasetemp()
    _TEMPLATE_ROOT = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-templates"
    _TEMPLATE_ROOT.mkdir(exist_ok=True)


def _template_name(stage: str, rollover: bool) -> str:
    return f"{stage}{'-rollover' if rollover else ''}.sqlite"


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy a SQLite database with its WAL through SQLite's backup API, so the copy is consistent.
    (The templates are in WAL mode, and so is each copy: the mode is stored in the file.)"""
    import sqlite3

    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def _build_templates(root: Path, stage: str, rollover: bool) -> None:
    """Build the missing templates up to `stage` (and its rollover), continuing from the latest
    stage already built. Called with the folder's lock held."""
    from grants import demo
    from grants.db import get_engine

    wanted = demo.STAGES.index(stage)
    built = [i for i in range(wanted + 1) if (root / _template_name(demo.STAGES[i], False)).exists()]
    start = max(built, default=-1)
    scratch = root / f"build-{os.getpid()}"
    scratch.mkdir(exist_ok=True)
    path = scratch / "demo.sqlite"
    url = f"sqlite:///{path}"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    get_engine.cache_clear()
    if start >= 0:
        _sqlite_backup(root / _template_name(demo.STAGES[start], False), path)
    for step in demo.STAGES[start + 1 : wanted + 1]:
        demo.run_stage(url, step)
        _publish(path, url, root / _template_name(step, False))
    if rollover:
        demo._rollover(url, lambda _: None)
        _publish(path, url, root / _template_name(stage, True))
    get_engine(url).dispose()
    get_engine.cache_clear()


def _publish(path: Path, url: str, template: Path) -> None:
    from grants.db import get_engine

    get_engine(url).dispose()  # no connection of the build's engine holds a snapshot open
    partial = template.with_suffix(".partial")
    _sqlite_backup(path, partial)
    os.replace(partial, template)


def demo_template(until: str = "year-end", *, rollover: bool = False) -> Path:
    """The template file of the demo built up to `until` (and rolled over): read it, copy it,
    never write to it."""
    import fcntl
    import tempfile

    from grants.demo import STAGES

    global _TEMPLATE_ROOT
    stage = STAGES[-1] if until == "year-end" else until
    if rollover and stage != STAGES[-1]:
        raise ValueError("the demo rolls over only once the year is built to its end")
    if _TEMPLATE_ROOT is None:  # outside a pytest session (a script importing the fixtures)
        _TEMPLATE_ROOT = Path(tempfile.mkdtemp(prefix="grants-templates-"))
    template = _TEMPLATE_ROOT / _template_name(stage, rollover)
    if not template.exists():
        with open(_TEMPLATE_ROOT / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not template.exists():  # another worker may have built it while this one waited
                _build_templates(_TEMPLATE_ROOT, stage, rollover)
    return template


def demo_copy(url: str, until: str = "year-end", *, rollover: bool = False) -> None:
    """Put the demo, built up to `until` (and rolled over), at the SQLite `url`: a copy of the
    run's template, instead of replaying the round for every test."""
    _sqlite_backup(demo_template(until, rollover=rollover), Path(url.split("///", 1)[1]))


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
