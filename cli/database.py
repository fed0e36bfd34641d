"""Database commands: upgrade and backup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import console, guarded, options

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


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
