"""Backups: SQLite's online backup; PostgreSQL is backed up with pg_dump."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from grants.db import is_sqlite, redact
from grants.errors import BadInput, NotFound


def backup(url: str, target: Path) -> Path:
    """Copy a live SQLite database to `target` with the online backup API."""
    if not is_sqlite(url):
        raise BadInput(
            f"{redact(url)} is PostgreSQL: back it up with pg_dump, e.g. "
            "`pg_dump --format=custom --file grants.dump DBNAME`, and restore with pg_restore"
        )
    source_path = make_url(url).database
    if not source_path or not Path(source_path).exists():
        raise NotFound(f"there is no SQLite database at {source_path}")
    target = target.expanduser().resolve()
    if target.exists():
        raise BadInput(f"{target} already exists; choose a new file name")
    if not target.parent.exists():
        raise BadInput(f"the folder {target.parent} does not exist")
    source = sqlite3.connect(source_path)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target
