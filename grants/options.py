"""The global options a command was given; light enough to import before any database code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """What the global command-line options said."""

    db: str | None = None
    actor: str | None = None
    partnership: str | None = None
    year: str | None = None

    @property
    def url(self) -> str:
        from grants.db import database_url

        return database_url(self.db)
