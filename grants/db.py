"""Engines and the one transaction each command runs in, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine

from grants.errors import BadInput, DatabaseUnavailable, GrantsError, IntegrityFailed, NotFound, Refused

# The newest migration; `grants db upgrade` brings a database to it. A test keeps it equal to
# alembic's head so that commands can check the schema without importing alembic.
HEAD_REVISION = "0009_partnership"
# Every revision this grants knows, oldest first (the same test keeps it equal to alembic's): a
# database at a revision not listed was made by a newer grants.
KNOWN_REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007_spend_refunds",
    "0008_seals",
    "0009_partnership",
)

DEFAULT_BUSY_TIMEOUT_MS = 30_000


def default_database_path() -> Path:
    """The SQLite file in the user's data folder, used when no URL is given."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("grants", appauthor=False)) / "grants.sqlite"


def database_url(explicit: str | None = None) -> str:
    """The database to use: `--db`, then GRANTS_DATABASE_URL, then the user's SQLite file."""
    url = explicit or os.environ.get("GRANTS_DATABASE_URL")
    if not url:
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    return normalise_url(url)


# The URL schemes grants works with: SQLite, and PostgreSQL through psycopg 3.
SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg")


def normalise_url(url: str) -> str:
    """Accept plain paths and `postgresql://` URLs; PostgreSQL always goes through psycopg 3.
    Any other scheme (`mysql://`) is refused: grants runs on SQLite and PostgreSQL only."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    scheme = url.split("://", 1)[0]
    if scheme.lower() not in SCHEMES:
        from grants.errors import shown

        raise BadInput(
            f"the database URL {shown(redact(url), 80)} is for {shown(scheme, 30)}, which grants does not "
            "support: give a SQLite file (a path, or sqlite:///PATH) or a PostgreSQL URL "
            "(postgresql://USER@HOST/DATABASE)"
        )
    if scheme.lower() in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as given
        return url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another engine or an in-memory database)."""
    if not is_sqlite(url) or "///" not in url:
        return None
    path = url.split("///", 1)[1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _pg_options(url: str) -> str:
    """The URL's own `options` (e.g. `-c role=…`), with grants' lock timeout added."""
    given = make_url(url).query.get("options", "")
    given = " ".join(given) if isinstance(given, tuple) else given
    return f"{given} -c lock_timeout={busy_timeout_ms()}".strip()


def busy_timeout_ms() -> int:
    raw = os.environ.get("GRANTS_BUSY_TIMEOUT_MS", "")
    return int(raw) if raw.isdigit() else DEFAULT_BUSY_TIMEOUT_MS


@cache
def get_engine(url: str) -> Engine:
    """One engine per URL and process, with the SQLite settings of DESIGN §7."""
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms() / 1000})
        _configure_sqlite(engine)
    else:
        engine = create_engine(
            url,
            pool_pre_ping=False,
            # A lock held longer than the busy timeout ends the command with exit 5 ("busy"), as
            # on SQLite, instead of waiting for ever.
            connect_args={
                "connect_timeout": 10,
                "application_name": "grants",
                "options": _pg_options(url),
            },
        )
        _configure_postgres(engine)
    return engine


# How often (ms) PostgreSQL checks, during a long statement, that the client is still there.
CLIENT_CHECK_INTERVAL_MS = 1_000


def _configure_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # A command killed in the middle of a long statement (a big import's INSERT) would
        # otherwise keep its transaction, and the partnership's row lock, until the statement
        # ends; with this the server notices the dead client within a second and rolls back.
        # PostgreSQL 14 and later; set outside a transaction so that it lasts for the session.
        if dbapi_connection.info.server_version < 140000:
            return
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute(f"SET client_connection_check_interval = {CLIENT_CHECK_INTERVAL_MS}")
        finally:
            dbapi_connection.autocommit = autocommit


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so that BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        mode = options.get("grants_begin", "DEFERRED")
        # Foreign keys can only be switched outside a transaction: off for an upgrade, whose
        # table rebuilds (drop and rename) would otherwise fail or cascade; checked before it
        # commits (see grants.schema.upgrade). Off for a bulk write whose every reference is one
        # it read or wrote itself under this write lock (see session_scope). On again for every
        # other transaction.
        off = options.get("grants_rebuilding") or options.get("grants_bulk")
        keys = "OFF" if off else "ON"
        connection.exec_driver_sql(f"PRAGMA foreign_keys={keys}")
        connection.exec_driver_sql(f"BEGIN {mode}")


def is_busy(error: BaseException) -> bool:
    message = str(getattr(error, "orig", error)).lower()
    return any(
        marker in message for marker in ("database is locked", "database is busy", "lock timeout", "deadlock")
    )


# What a PostgreSQL driver says when it cannot reach the server at all.
_UNREACHABLE = (
    "connection refused",
    "connection failed",
    "could not connect",
    "timeout expired",
    "timed out",
    "could not translate host name",
    "name or service not known",
    "no route to host",
    "network is unreachable",
    "server closed the connection",
    "connection to server",
)


def unavailable(error: BaseException, url: str) -> GrantsError:
    """Turn a driver's error about the database itself into a message that names its real cause
    (DESIGN §8): the database's state is exit 5 (busy, server unreachable, read-only file, full
    disk), the user's input exit 2 (a login the server refuses, a file that is not a database).
    None of them suggests `grants init`: the database may be there and whole."""
    orig = getattr(error, "orig", error)
    lines = str(orig).strip().splitlines()
    reason = " ".join(lines[0].split()) if lines else type(orig).__name__
    if is_busy(error):
        return DatabaseUnavailable(
            f"the database {redact(url)} is busy (another command holds it); try again in a moment"
        )
    if is_sqlite(url):
        return _sqlite_unavailable(str(orig).lower(), sqlite_file(url) or redact(url), reason)
    return _postgres_unavailable(error, url, reason)


def _sqlite_unavailable(text: str, path: Path | str, reason: str) -> GrantsError:
    """A SQLite file that cannot be used, by what the driver said and the state of its file system."""
    if "not a database" in text:
        return BadInput(
            f"{path} is not a grants database (not even a SQLite file); check --db or "
            "GRANTS_DATABASE_URL. Nothing was changed"
        )
    # SQLite often says only `unable to open database file` or `disk I/O error`: the file
    # system says which it is.
    state = file_system_state(Path(path)) if isinstance(path, Path) else None
    if state == "read-only" or "readonly" in text or "read-only" in text:
        return DatabaseUnavailable(
            f"the database file {path} is read-only (its permissions, or a read-only disk): {reason}. "
            "Nothing was changed; make it and its folder writable (SQLite writes its -wal and -shm "
            "files beside it), or use a copy"
        )
    if state == "full" or "disk is full" in text:
        return DatabaseUnavailable(
            f"the disk holding the database {path} is full: {reason}. Nothing was changed; free "
            "some space and run the command again"
        )
    if "unable to open" in text:
        return DatabaseUnavailable(
            f"cannot open the database file {path}: {reason}. Check that it and its folder can be "
            "read and written"
        )
    if "disk i/o error" in text:
        return DatabaseUnavailable(f"the disk holding the database {path} failed to read or write: {reason}")
    return DatabaseUnavailable(f"cannot use the database {path}: {reason}")


def _postgres_unavailable(error: BaseException, url: str, reason: str) -> GrantsError:
    """A PostgreSQL server that cannot be used: a refused login, no such database, or no server."""
    orig = getattr(error, "orig", error)
    text = str(orig).lower()
    sqlstate = getattr(orig, "sqlstate", None) or ""
    where = redact(url)
    if sqlstate in ("28P01", "28000") or any(
        marker in text for marker in ("authentication failed", "no password supplied", 'role "')
    ):
        return BadInput(
            f"the PostgreSQL server refused the login of {where}: {reason}. Check the user and "
            "password in the URL (or your ~/.pgpass)"
        )
    if sqlstate == "3D000" or ('database "' in text and "does not exist" in text):
        return NotFound(
            f"the PostgreSQL server has no database {make_url(url).database!r} ({where}): {reason}. "
            f"Create it with `createdb {make_url(url).database}`, or check the name in the URL"
        )
    if isinstance(error, OperationalError) and any(marker in text for marker in _UNREACHABLE):
        return DatabaseUnavailable(
            f"cannot connect to the PostgreSQL server of {where}: {reason}. Check that the server is "
            "running and reachable, and the host and port in the URL"
        )
    return DatabaseUnavailable(f"cannot use the database {where}: {reason}")


def is_refused_privilege(error: BaseException) -> bool:
    """PostgreSQL refused a privilege (SQLSTATE 42501): a table or column the login may not write,
    or a trigger of `grants db grants` refusing a row in another member's name."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) == "42501"


def refused_by_database(error: BaseException) -> Refused:
    reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
    return Refused(
        f"the database refused this command: {reason}. Nothing was written. Your login lacks a "
        "privilege this needs: if your roles changed, the owner of the database runs "
        "`grants db grants --apply` to give your login theirs (`grants init` and `grants db upgrade` "
        "are the owner's)"
    )


@contextmanager
def session_scope(url: str, *, write: bool, rebuilding: bool = False, bulk: bool = False) -> Iterator[Session]:
    """The one transaction a command runs in: committed on success, rolled back otherwise.

    On SQLite a write transaction starts with BEGIN IMMEDIATE, so two writers queue for the
    lock instead of failing half-way. `rebuilding` (schema upgrades) runs it with foreign keys
    off, so that a migration can rebuild a table that others refer to.

    `bulk` (a spend import, up to millions of rows) runs a SQLite write transaction with foreign
    keys off too: each of its rows refers only to rows the command read or wrote itself inside
    this transaction, which holds the database's one write lock from its BEGIN IMMEDIATE, so none
    can go away before it commits, and the per-row checks (a third of a million-line import's
    booking) would only find them again. PostgreSQL's import does the same with
    `session_replication_role` (grants.spend._references_held).
    """
    engine = get_engine(url)
    if is_sqlite(url):
        engine = engine.execution_options(
            grants_begin="IMMEDIATE" if write else "DEFERRED",
            grants_rebuilding=rebuilding,
            grants_bulk=bulk and write,
        )
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    except (OperationalError, DBAPIError) as error:
        if is_refused_privilege(error):
            raise refused_by_database(error) from error
        if not (is_busy(error) or about_the_database(error)):
            raise
        raise unavailable(error, url) from error


def file_system_state(path: Path) -> str | None:
    """`read-only` when the file or its folder cannot be written (permissions, or a file system
    mounted read-only), `full` when its file system has no space left, else None."""
    folder = path.parent
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None
    if stats.f_flag & os.ST_RDONLY:
        return "read-only"
    if (path.exists() and not os.access(path, os.W_OK)) or not os.access(folder, os.W_OK):
        return "read-only"
    if stats.f_bavail == 0:
        return "full"
    return None


def about_the_database(error: DBAPIError) -> bool:
    """The error is about the database itself (reaching it, its file, its disk), not about a
    statement: an OperationalError, or a bare DatabaseError such as SQLite's `file is not a
    database`. A constraint or programming error is a fault of the statement and stays one."""
    from sqlalchemy.exc import DatabaseError, InterfaceError

    return isinstance(error, OperationalError | InterfaceError) or type(error) is DatabaseError


def schema_revision(session: Session) -> str | None:
    """The alembic revision the database is at, or None when it has no grants schema. Any other
    failure (the server cannot be reached, the file is not a database or is read-only) is left
    to name its own cause: it is not a missing schema."""
    try:
        with session.begin_nested():
            return session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, DBAPIError) as error:
        if no_such_table(error):
            return None
        raise


def no_such_table(error: BaseException) -> bool:
    """SQLite's `no such table`, PostgreSQL's undefined table (SQLSTATE 42P01)."""
    orig = getattr(error, "orig", error)
    return getattr(orig, "sqlstate", None) == "42P01" or "no such table" in str(orig).lower()


def ensure_schema(session: Session, url: str) -> None:
    """Refuse to work on a database that has no grants schema or an older one."""
    revision = schema_revision(session)
    if revision is None:
        raise NotFound(
            f"there is no grants database at {redact(url)}; "
            "create one with `grants init` (or try `grants demo`)"
        )
    refuse_newer(revision, url)
    if revision != HEAD_REVISION:
        raise DatabaseUnavailable(
            f"the database {redact(url)} is at schema {revision}, this grants needs "
            f"{HEAD_REVISION}; run `grants db upgrade`"
        )


def refuse_newer(revision: str | None, url: str) -> None:
    """A database made by a newer grants is left alone: this one does not know its schema."""
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise IntegrityFailed(
            f"the database {redact(url)} is at schema {revision}, which a newer grants made; this "
            f"grants knows schemas up to {HEAD_REVISION}. Upgrade grants (pip install --upgrade "
            "grants) and run the command again; nothing was changed"
        )
