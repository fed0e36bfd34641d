"""Engines and the one transaction each command runs in, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine

from grants.errors import DatabaseUnavailable, IntegrityFailed, NotFound

# The newest migration; `grants db upgrade` brings a database to it. A test keeps it equal to
# alembic's head so that commands can check the schema without importing alembic.
HEAD_REVISION = "0007_seals"
# Every revision this grants knows, oldest first (the same test keeps it equal to alembic's): a
# database at a revision not listed was made by a newer grants.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007_seals")

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


def normalise_url(url: str) -> str:
    """Accept plain paths and `postgresql://` URLs; PostgreSQL always goes through psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
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
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
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
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Take transaction control from the sqlite3 module so that BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        options = connection.get_execution_options()
        mode = options.get("grants_begin", "DEFERRED")
        # Foreign keys can only be switched outside a transaction: off for an upgrade, whose
        # table rebuilds (drop and rename) would otherwise fail or cascade; checked before it
        # commits (see grants.schema.upgrade). On again for every other transaction.
        keys = "OFF" if options.get("grants_rebuilding") else "ON"
        connection.exec_driver_sql(f"PRAGMA foreign_keys={keys}")
        connection.exec_driver_sql(f"BEGIN {mode}")


def is_busy(error: BaseException) -> bool:
    message = str(getattr(error, "orig", error)).lower()
    return any(
        marker in message for marker in ("database is locked", "database is busy", "lock timeout", "deadlock")
    )


def unavailable(error: BaseException, url: str) -> DatabaseUnavailable:
    """Turn a driver's connection or lock error into a message a person can act on."""
    if is_busy(error):
        return DatabaseUnavailable(
            f"the database {redact(url)} is busy (another command holds it); try again in a moment"
        )
    reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
    return DatabaseUnavailable(f"cannot use the database {redact(url)}: {reason}")


@contextmanager
def session_scope(url: str, *, write: bool, rebuilding: bool = False) -> Iterator[Session]:
    """The one transaction a command runs in: committed on success, rolled back otherwise.

    On SQLite a write transaction starts with BEGIN IMMEDIATE, so two writers queue for the
    lock instead of failing half-way. `rebuilding` (schema upgrades) runs it with foreign keys
    off, so that a migration can rebuild a table that others refer to.
    """
    engine = get_engine(url)
    if is_sqlite(url):
        engine = engine.execution_options(
            grants_begin="IMMEDIATE" if write else "DEFERRED", grants_rebuilding=rebuilding
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
        if isinstance(error, DBAPIError) and not isinstance(error, OperationalError):
            if not is_busy(error):
                raise
        raise unavailable(error, url) from error


def schema_revision(session: Session) -> str | None:
    """The alembic revision the database is at, or None when it has no grants schema."""
    try:
        with session.begin_nested():
            return session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, DBAPIError) as error:
        if is_busy(error):
            raise
        return None


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
