"""Database commands: upgrade and backup."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import console, guarded, note, options

db_app = typer.Typer(help="The database itself.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database to the newest schema.

    Example: grants --db postgresql://grants@localhost/grants db upgrade
    """
    from grants.partnerships import upgrade_database

    done = guarded(lambda: upgrade_database(options(ctx)))
    if done.backup is not None:
        console.print(f"Backed up the database (schema {done.before}) to {done.backup} first.", markup=False)
    if done.before == done.after:
        console.print(f"The database is at schema revision {done.after}; nothing to upgrade.")
    else:
        console.print(f"The database is upgraded from schema {done.before or 'none'} to {done.after}.")


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the copy.")],
) -> None:
    """Copy a SQLite database safely while it is in use (for PostgreSQL, use pg_dump).

    Example: grants db backup grants-2025-03-31.sqlite
    """
    from grants.backup import backup

    written = guarded(lambda: backup(options(ctx).url, file))
    console.print(f"Backed up to {written}.")


@db_app.command("grants")
def db_grants(
    ctx: typer.Context,
    apply: Annotated[
        bool,
        typer.Option("--apply", help="Run the SQL on the database (as its owner) instead of printing it."),
    ] = False,
    group: Annotated[
        str, typer.Option("--group", help="The group role every member's login joins.")
    ] = "grants_member",
) -> None:
    """PostgreSQL with GRANTS_IDENTITY=database: each member's login gets only the privileges its
    roles' actions need, and triggers keep every write in the login's own name.

    Prints the SQL; --apply runs it, as the owner of the grants tables. Run it again after
    `grants member add`, a change of roles, or `grants db upgrade`.

    Example: grants --db postgresql://grants_owner@db.example/grants db grants --apply
    """
    from grants.privileges import deploy

    done = guarded(lambda: deploy(options(ctx).url, group, apply=apply))
    if not apply:
        sys.stdout.write(
            "".join(
                f"{statement};\n" if not statement.startswith("--") else f"{statement}\n"
                for statement in done.statements
            )
        )
        return
    console.print(
        f"Applied {len(done.statements)} statements: privileges and triggers for the group {group}, "
        f"and the groups of {len(done.logins)} member login(s)."
    )
    if done.without_login:
        note(
            f"{len(done.without_login)} member(s) have no login role yet: {', '.join(done.without_login)}. "
            "Create one for each (CREATE ROLE \"handle\" LOGIN PASSWORD '…') and run this again."
        )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
