"""The `grants` application: global options, and the sub-apps assembled in one place."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

# grants is an application, not a library: no pydantic plugin has anything to observe in its
# table models, and looking for plugins reads every installed package's entry points (about
# 8 ms of every command's start-up). Set the variable yourself to choose otherwise.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402

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
app = typer.Typer(**_APP_SETTINGS)

GLOBAL_OPTIONS = ("--db", "--as", "--partnership", "--year")


def version_callback(value: bool) -> None:
    if value:
        from grants import __version__

        typer.echo(f"grants {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL or SQLite path (default: GRANTS_DATABASE_URL, "
            "then a file in your data folder).",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--as", envvar="GRANTS_USER", help="Your member handle (GRANTS_USER)."),
    ] = None,
    partnership: Annotated[
        str | None,
        typer.Option(
            "--partnership",
            envvar="GRANTS_PARTNERSHIP",
            help="Partnership slug; optional when there is only one.",
        ),
    ] = None,
    year: Annotated[
        str | None, typer.Option("--year", help="Funding year such as 2024/25 (default: the open year).")
    ] = None,
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


# Each module holds one noun's sub-app or top-level commands; help lists them in this order.
setup.register(app)
orgs.register(app)
members.register(app)
config.register(app)
priorities.register(app)
years.register(app)
pots.register(app)
bids.register(app)
scoring.register(app)
criteria.register(app)
approvals.register(app)
delivery.register(app)
spend.register(app)
reports.register(app)
exports.register(app)
yearend.register(app)
workflow.register(app)
status.register(app)
integrity.register(app)
database.register(app)
demo.register(app)


def hoist_global_options(argv: list[str]) -> list[str]:
    """Let global options stand anywhere: `grants bid list --as chair` works like `grants --as chair bid list`."""
    front: list[str] = []
    rest: list[str] = []
    # `init --partnership NAME` names the partnership to create: it is init's own option there.
    hoisted = (
        GLOBAL_OPTIONS if "init" not in argv else tuple(o for o in GLOBAL_OPTIONS if o != "--partnership")
    )
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        name = arg.split("=", 1)[0]
        if name in hoisted:
            if "=" in arg:
                front.append(arg)
            elif i + 1 < len(argv):
                front.extend(argv[i : i + 2])
                i += 1
            else:
                front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def app_for(args: list[str]) -> typer.Typer:
    """The application with only the command the line names, so that Typer builds one command's
    options rather than all fifty (a third of every command's start-up); the whole application
    for help, the version, or a name it does not know (which Typer then explains)."""
    values = {"--db", "--as", "--partnership", "--year"}
    words = iter(args)
    for word in words:
        if word in values:
            next(words, None)
            continue
        if word.startswith("-"):
            return app
        commands = [
            c for c in app.registered_commands if (c.name or getattr(c.callback, "__name__", None)) == word
        ]
        groups = [g for g in app.registered_groups if g.name == word]
        if not commands and not groups:
            return app
        slim = typer.Typer(**_APP_SETTINGS)
        slim.registered_callback = app.registered_callback
        slim.registered_commands = commands
        slim.registered_groups = groups
        return slim
    return app


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    for stream in (sys.stdout, sys.stderr):
        # A terminal or pipe that cannot show a character gets an escape for it: printing can
        # never fail, least of all after a command has committed.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    app_for(args)(args=args, prog_name="grants")
