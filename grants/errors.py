"""Domain errors: each carries the exit code the command line gives it (DESIGN §8)."""

from __future__ import annotations


def shown(text: object, limit: int = 40) -> str:
    """User input as a message quotes it: repr, cut short so an over-long input does not flood."""
    raw = str(text)
    return repr(raw if len(raw) <= limit else raw[: limit - 3] + "...")


class GrantsError(Exception):
    """Base of every error the domain raises on purpose; its message is for the user."""

    exit_code = 1


class Refused(GrantsError):
    """A rule refused the operation (workflow, budget, permission, quorum, closed year)."""

    exit_code = 1


class BadInput(GrantsError):
    """The input was malformed: bad money, bad date, unknown option value."""

    exit_code = 2


class NotFound(GrantsError):
    """A named thing (bid, member, year, partnership) does not exist."""

    exit_code = 3


class IntegrityFailed(GrantsError):
    """An integrity check found problems in the stored data."""

    exit_code = 4


class DatabaseUnavailable(GrantsError):
    """The database cannot be reached or stayed busy past the timeout."""

    exit_code = 5
