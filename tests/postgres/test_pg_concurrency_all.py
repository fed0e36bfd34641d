"""Everything at once on PostgreSQL: several processes scoring, deciding, awarding, paying and
importing through the command line (tests/test_concurrency_all.py), and a held lock answered with
exit 5 when the session has a lock timeout."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Cli
from tests.test_concurrency_all import assert_everything_at_once

ROOT = Path(__file__).resolve().parents[2]


def test_everything_at_once_on_postgres(pg_url: str, tmp_path: Path) -> None:
    counts = assert_everything_at_once(pg_url, tmp_path, "postgresql")
    assert counts["busy"] == 0


def _start(url: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    import os

    return subprocess.Popen(
        [sys.executable, "-c", "from cli.main import run; run()", "--db", url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
    )


def _hold_locks(url: str):  # type: ignore[no-untyped-def]
    """Another session holding every pot and bid row (as a long command would)."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    holder = psycopg.connect(plain)
    holder.execute("SELECT id FROM pot FOR UPDATE").fetchall()
    holder.execute("SELECT id FROM bid FOR UPDATE").fetchall()
    return holder


WRITES = [
    ("--as", "kcc-officer", "pot", "transfer", "1", "--from", "tactical", "--to", "upfront", "--reason", "r"),
    ("--as", "opcc", "approve", "CRG-2425-001"),
]


def test_a_held_lock_with_a_lock_timeout_is_exit_5(pg_url: str) -> None:
    from bench.concurrency import prepare

    prepare(pg_url, 1, 100)
    holder = _hold_locks(pg_url)
    try:
        for args in WRITES:
            process = _start(pg_url, *args, env={"PGOPTIONS": "-c lock_timeout=500"})
            _, stderr = process.communicate(timeout=60)
            assert "Traceback" not in stderr, stderr
            assert process.returncode == 5, (args, process.returncode, stderr)
            message = " ".join(stderr.split())
            assert message.startswith("Error: the database") and "is busy" in message, message
    finally:
        holder.rollback()
        holder.close()
    cli = Cli(pg_url)
    assert cli("approve", "CRG-2425-001", actor="opcc").exit_code == 0
    assert cli("check").exit_code == 0


def test_a_held_lock_ends_in_exit_5_after_the_busy_timeout(pg_url: str) -> None:
    from bench.concurrency import prepare

    prepare(pg_url, 1, 100)
    holder = _hold_locks(pg_url)
    # No PGOPTIONS: grants' own lock timeout (the busy timeout, here 500 ms) ends the wait.
    process = _start(pg_url, *WRITES[0], env={"GRANTS_BUSY_TIMEOUT_MS": "500"})
    try:
        deadline = time.monotonic() + 4
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert process.poll() is not None, "still waiting for the lock after 4 s"
        assert process.returncode == 5
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
        holder.rollback()
        holder.close()
