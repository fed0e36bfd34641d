"""Several processes funding and varying awards against one pot at once, on PostgreSQL."""

from __future__ import annotations

from tests.test_concurrency import assert_never_overspent


def test_processes_never_overspend_on_postgres(pg_url: str) -> None:
    assert_never_overspent(pg_url)
