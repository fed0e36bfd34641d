"""The command's clock: the one place that reads the wall clock.

Every stamp the system writes (a bid's creation, a payment's entry, a ledger line, an audit event,
a year's opening and closing) comes from here, so a replay (the demo, acting on the year's real
dates) or a test (GRANTS_TODAY) sees one consistent day throughout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

from grants.errors import BadInput

# The date a replay (the demo) is acting on; see `acting_on`.
_REPLAY_DATE: ContextVar[date | None] = ContextVar("grants_replay_date", default=None)


@contextmanager
def acting_on(day: date) -> Iterator[None]:
    """Run the enclosed commands as if on `day`: the demo replays a year on its real dates."""
    token = _REPLAY_DATE.set(day)
    try:
        yield
    finally:
        _REPLAY_DATE.reset(token)


def today() -> date:
    """Today; or the replayed date; or GRANTS_TODAY (YYYY-MM-DD) so a test can replay a year."""
    replayed = _REPLAY_DATE.get()
    if replayed is not None:
        return replayed
    fixed = os.environ.get("GRANTS_TODAY")
    if fixed:
        try:
            return date.fromisoformat(fixed)
        except ValueError as error:
            raise BadInput(f"GRANTS_TODAY={fixed!r} is not a date such as 2024-04-29") from error
    return wall_clock().date()


def wall_clock() -> datetime:
    """The real time (UTC), whatever day the command acts on."""
    return datetime.now(UTC)


def now() -> datetime:
    """The current time on the command's day (today()): the real time when that is today."""
    current = wall_clock()
    day = today()
    return current if day == current.date() else datetime.combine(day, current.time(), UTC)
