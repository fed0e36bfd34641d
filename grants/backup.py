"""Backups: SQLite's online backup; PostgreSQL is backed up with pg_dump."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from grants.db import is_sqlite, redact, unavailable
from grants.errors import BadInput, NotFound
from grants.writing.files import write_whole


def pg_dump_advice(url: str, target: Path) -> str:
    """How to back up and restore a PostgreSQL database, with this database and file filled in.

    `grants db backup` does not run pg_dump itself: the server's own tools, of the server's
    version, are the supported way (and run where the credentials are)."""
    parsed = make_url(url)
    libpq = parsed._replace(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return (
        f"{redact(url)} is PostgreSQL, which grants does not copy itself: back it up with "
        f"`pg_dump --format=custom --file {target} {libpq}`; restore into a new, empty database "
        f"with `createdb NEWDB` and `pg_restore --dbname NEWDB {target}`, then run `grants check` "
        "and `grants audit verify` on it"
    )


def backup(url: str, target: Path) -> Path:
    """Copy a live SQLite database to `target` with the online backup API. The copy is made beside
    `target` and moved into place only once it is complete, so a failure (a full disk, a folder
    that cannot be written) leaves no file behind; a source that is not a database is refused
    before anything is written."""
    if not is_sqlite(url):
        raise BadInput(pg_dump_advice(url, target))
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
        try:
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as error:
            raise unavailable(error, url) from error

        def copy(partial: Path) -> None:
            destination = sqlite3.connect(partial)
            try:
                source.backup(destination)
            except sqlite3.DatabaseError as error:
                # Writing the copy failed: say why as the system would (a full disk, a read-only
                # folder); write_whole removes the partial file and names the target.
                raise OSError(_errno_of(error), _reason_of(error), str(target)) from error
            finally:
                destination.close()

        write_whole(target, copy)
    finally:
        source.close()
    return target


def _errno_of(error: sqlite3.DatabaseError) -> int:
    text = str(error).lower()
    if "full" in text:
        return errno.ENOSPC
    if "readonly" in text or "read-only" in text:
        return errno.EROFS
    return errno.EIO


def _reason_of(error: sqlite3.DatabaseError) -> str:
    code = _errno_of(error)
    return os.strerror(code) if code != errno.EIO else str(error)
