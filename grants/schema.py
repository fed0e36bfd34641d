"""Creating and upgrading the database schema with the migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config pointing at the package's migrations, optionally on a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Bring the database on this connection to `revision` (inside its transaction)."""
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


def check_foreign_keys(connection: Connection) -> None:
    """On SQLite, refuse to commit an upgrade that left a row pointing at nothing (the tables
    were rebuilt with foreign keys off)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        from grants.errors import IntegrityFailed

        table, rowid, parent, _ = broken[0]
        raise IntegrityFailed(
            f"the upgrade would leave {len(broken)} row(s) pointing at nothing (first: {table} row "
            f"{rowid} refers to a missing {parent}); nothing was changed"
        )


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise RuntimeError("the package has no migrations")
    return head
