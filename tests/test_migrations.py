"""Migrations give exactly the models' schema, and upgrade from the first revision, on SQLite."""

from __future__ import annotations

from sqlalchemy import create_engine

from tests.migration_checks import assert_migrations_match_models, assert_upgrade_from_first


def test_migrations_match_models_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert_migrations_match_models(create_engine(f"sqlite:///{tmp_path / 'm.sqlite'}"))


def test_upgrade_from_first_revision_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert_upgrade_from_first(create_engine(f"sqlite:///{tmp_path / 'u.sqlite'}"))


def test_head_revision_constant_matches_alembic() -> None:
    from grants.db import HEAD_REVISION
    from grants.schema import head_revision

    assert HEAD_REVISION == head_revision()


def test_known_revisions_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    from grants.db import HEAD_REVISION, KNOWN_REVISIONS
    from grants.schema import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert KNOWN_REVISIONS == tuple(reversed([r.revision for r in script.walk_revisions()]))
    assert KNOWN_REVISIONS[-1] == HEAD_REVISION
