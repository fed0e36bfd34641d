"""Shared checks of the migrations, run on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import grants.models  # noqa: F401
from grants import schema


def assert_migrations_match_models(engine: Engine) -> None:
    with engine.begin() as connection:
        schema.upgrade(connection)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def assert_upgrade_from_first(engine: Engine) -> None:
    scripts = ScriptDirectory.from_config(schema.alembic_config())
    revisions = [r.revision for r in reversed(list(scripts.walk_revisions()))]
    with engine.begin() as connection:
        schema.upgrade(connection, revisions[0])
    for revision in revisions[1:]:
        with engine.begin() as connection:
            schema.upgrade(connection, revision)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == scripts.get_current_head()
