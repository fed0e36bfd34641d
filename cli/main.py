"""The `grants` application: global options, and the sub-apps assembled in one place."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterator, MutableMapping
from functools import cache
from types import ModuleType
from typing import Annotated, Any

# grants is an application, not a library: no pydantic plugin has anything to observe in its
# table models, and looking for plugins reads every installed package's entry points (about
# 8 ms of every command's start-up). Set the variable yourself to choose otherwise.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402
import typer.main  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

from cli import (
    approvals,
    bids,
    config,
    criteria,
    database,
    delivery,
    demo,
    exports,
    integrity,
    members,
    orgs,
    pots,
    priorities,
    reports,
    scoring,
    setup,
    spend,
    status,
    workflow,
    yearend,
    years,
)

_APP_SETTINGS: dict[str, Any] = dict(
    name="grants",
    help="Crime Reduction Grant workflow: bids, scoring, approvals, spend and year end.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Every top-level command and sub-app of `grants`, and the module whose register() adds it, in the
# order `grants --help` lists them.
COMMANDS: dict[str, ModuleType] = {
    "init": setup,
    "score": scoring,
    "shortlist": scoring,
    "decline": scoring,
    "approve": approvals,
    "reject": approvals,
    "clarify": approvals,
    "answer": approvals,
    "vary": approvals,
    "cancel": approvals,
    "end-date": approvals,
    "close": delivery,
    "rollover": yearend,
    "status": status,
    "check": integrity,
    "demo": demo,
    "org": orgs,
    "member": members,
    "config": config,
    "priority": priorities,
    "year": years,
    "pot": pots,
    "bid": bids,
    "scoring": scoring,
    "criteria": criteria,
    "delivery": delivery,
    "spend": spend,
    "report": reports,
    "export": exports,
    "workflow": workflow,
    "audit": integrity,
    "db": database,
}

DB_HELP = "Database URL or SQLite path (default: GRANTS_DATABASE_URL, then a file in your data folder)."
AS_HELP = "Your member handle (GRANTS_USER)."
PARTNERSHIP_HELP = "Partnership slug; optional when there is only one."
YEAR_HELP = "Funding year such as 2024/25 (default: the open year)."


def _keep(field: str) -> Callable[[typer.Context, str | None], None]:
    """An option's callback that puts a value given after the command into the global options."""

    def keep(ctx: typer.Context, value: str | None) -> None:
        from grants.options import Options

        if value is not None:
            root = ctx.find_root()
            given = root.obj if isinstance(root.obj, Options) else Options()
            root.obj = dataclasses.replace(given, **{field: value})

    return keep


def _global_options_after_the_command(
    db: Annotated[
        str | None, typer.Option("--db", help=DB_HELP, callback=_keep("db"), hidden=True, expose_value=False)
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--as", help=AS_HELP, callback=_keep("actor"), hidden=True, expose_value=False),
    ] = None,
    partnership: Annotated[
        str | None,
        typer.Option(
            "--partnership",
            help=PARTNERSHIP_HELP,
            callback=_keep("partnership"),
            hidden=True,
            expose_value=False,
        ),
    ] = None,
    year: Annotated[
        str | None,
        typer.Option("--year", help=YEAR_HELP, callback=_keep("year"), hidden=True, expose_value=False),
    ] = None,
) -> None:
    """The global options once more, for every command: `grants bid list --as chair` is
    `grants --as chair bid list`. Never run: only its options are used."""


@cache
def _shared_options() -> tuple[Any, ...]:
    """Click options for the global options, to add to each command and sub-app: hidden from their
    help (the top-level help shows them) and given to no command function (their callbacks keep
    the value for `options(ctx)`)."""
    holder = typer.Typer(add_completion=False)
    holder.command()(_global_options_after_the_command)
    return tuple(typer.main.get_command(holder).params)


def with_global_options(command: Any) -> Any:
    """Let the global options stand after the command too. Click parses a group's options only
    before its sub-command's name, so each command and sub-app gets its own copy of them (Click's
    Command.params, the options a command parses); a command that has an option of the same name
    keeps its own (`init --partnership NAME` names the partnership to create)."""
    taken = {opt for param in command.params for opt in getattr(param, "opts", ())}
    command.params.extend(p for p in _shared_options() if not taken & set(p.opts))
    for child in getattr(command, "commands", {}).values():
        with_global_options(child)
    return command


def _build(module: ModuleType) -> dict[str, Any]:
    """The Click commands a module's register() adds, converted by Typer (typer.main.get_command)."""
    holder = typer.Typer(**_APP_SETTINGS)
    holder.callback()(_unused_group_callback)  # a group, even for a module with one command
    module.register(holder)
    group: Any = typer.main.get_command(holder)
    return {name: with_global_options(command) for name, command in group.commands.items()}


def _unused_group_callback() -> None:
    """Only makes Typer build a group of a module's commands."""


class LazyCommands(MutableMapping[str, Any]):
    """The commands of `grants` by name, each built from its module the first time it is looked up.

    Click's Group keeps its sub-commands in `commands`, the mapping its get_command and
    list_commands read (and Typer's "Did you mean" suggestions); this one is Click's documented
    lazy loading of sub-commands ("Lazily Loading Subcommands") kept behind that mapping. Typer
    turns a command's signature into Click options when it is built, a third of a command's
    start-up when done for all fifty, so a line builds only the command it names."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built.update(_build(COMMANDS[name]))
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)

    def __setitem__(self, name: str, command: Any) -> None:
        raise TypeError(f"add {name} to COMMANDS in cli/main.py and to its module's register()")

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"{name} stays: take it out of COMMANDS in cli/main.py")


class GrantsGroup(TyperGroup):
    """The top-level group (Typer's `cls=`): its commands are built when a line names them."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.commands = LazyCommands()


app = typer.Typer(cls=GrantsGroup, **_APP_SETTINGS)


def version_callback(value: bool) -> None:
    if value:
        from grants import __version__

        typer.echo(f"grants {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    actor: Annotated[str | None, typer.Option("--as", envvar="GRANTS_USER", help=AS_HELP)] = None,
    partnership: Annotated[
        str | None, typer.Option("--partnership", envvar="GRANTS_PARTNERSHIP", help=PARTNERSHIP_HELP)
    ] = None,
    year: Annotated[str | None, typer.Option("--year", help=YEAR_HELP)] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Crime Reduction Grant workflow: bids, scoring, approvals, spend and year end."""
    from grants.options import Options

    ctx.obj = Options(db=db, actor=actor, partnership=partnership, year=year)


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    for stream in (sys.stdout, sys.stderr):
        # A terminal or pipe that cannot show a character gets an escape for it: printing can
        # never fail, least of all after a command has committed.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    app(args=list(sys.argv[1:] if argv is None else argv), prog_name="grants")
