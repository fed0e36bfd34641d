"""Kill -9 in the middle of the long commands on PostgreSQL (tests/test_crashes.py on SQLite).

Each test runs a real `grants --db URL` process against a fresh copy of a template database
(`CREATE DATABASE … TEMPLATE …`), waits until the server has a client backend connected to that
copy (the command's start-up done), sleeps a seeded random share of the time the same command
takes uninterrupted, and sends SIGKILL. The server's backend may still be running a statement
for the dead client: nothing is checked until the server itself has ended it (and so rolled its
transaction back), with no backend left on the copy. Then `grants check` and `grants audit verify`
must pass, the database must hold either none or all of the command's work, and running the
command again must end exactly as an uninterrupted run does (figures compared as JSON,
timestamps and hashes left out).

Every kill is printed (run with -s to see them), with what the killed command's backend was
doing at the kill and how long the server took to end it.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.postgres.conftest import _admin_connect, database_url
from tests.test_crashes import (
    BOTH,
    DRAFTS,
    GRANTS,
    SEED,
    _rollover_template,
    all_or_nothing,
    as_uninterrupted,
    env,
    figures,
    grants,
    kill_shares,
    ok,
    report,
    sound,
    stable,
)

KILLS = 3
SPEND_LINES = 40_000  # about 3.5 s uninterrupted on 2 cores (50,000: 4.5 s)
GONE_TIMEOUT = 60.0  # seconds the server may take to end a dead client's backend


# --- databases ------------------------------------------------------------------------------------


def create_template(prefix: str, build) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    """A template database built by `build(url)`; no connection is left open to it."""
    from grants.db import get_engine

    name = f"{prefix}_crash_tpl_{uuid.uuid4().hex[:6]}"
    with _admin_connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    try:
        built = build(url)
    finally:
        get_engine(url).dispose()
        get_engine.cache_clear()
    return name, built


def copy_of(template: str, name: str) -> str:
    """A fresh copy of the template (which must have no connections); its URL."""
    with _admin_connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return database_url(name)


def backends(admin, name: str) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    """The client backends connected to database `name`: pid, state and the statement's start."""
    rows = admin.execute(
        "SELECT pid, coalesce(state, ''), left(regexp_replace(coalesce(query, ''), '\\s+', ' ', 'g'), 60) "
        "FROM pg_stat_activity "
        "WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
        (name,),
    ).fetchall()
    return [(int(pid), str(state), str(query)) for pid, state, query in rows]


def wait_gone(admin, name: str) -> float:  # type: ignore[no-untyped-def]
    """Wait until no backend is connected to `name` (the server has ended a dead client's work);
    the seconds it took. Fails the test if the server keeps one past GONE_TIMEOUT."""
    started = time.monotonic()
    while True:
        left = backends(admin, name)
        if not left:
            return time.monotonic() - started
        if time.monotonic() - started > GONE_TIMEOUT:
            pytest.fail(
                f"{GONE_TIMEOUT:.0f} s after the kill, database {name} still has backends "
                f"(pid, state, statement): {left}"
            )
        time.sleep(0.01)


def no_prepared_transactions(admin, name: str) -> None:  # type: ignore[no-untyped-def]
    left = admin.execute("SELECT gid FROM pg_prepared_xacts WHERE database = %s", (name,)).fetchall()
    assert not left, f"prepared transactions left in {name}: {left}"


# --- one run, killed or not -----------------------------------------------------------------------


@dataclass
class Run:
    """One run of a command: from its start to a backend connected, and to the end (or the kill);
    killed or not; what its backend was doing at the kill, and how long the server then took to
    end it."""

    opened: float
    seconds: float
    killed: bool
    doing: str = ""
    gone_after: float = 0.0
    stdout: str = ""
    committed: bool = False  # the kill came after the command's commit (while it printed)


def run_and_kill(argv: list[str], name: str, after: float | None) -> Run:
    """Start the command; once it has a backend on database `name`, wait `after` seconds and kill
    it -9. With `after` None it runs to the end. A command that ends first is returned as
    completed. Either way, returns only once no backend is left on the database."""
    with _admin_connect() as admin:
        assert not backends(admin, name), f"{name} has connections before the command started"
        started = time.monotonic()
        process = subprocess.Popen(argv, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        opened = None
        while process.poll() is None and opened is None:
            if backends(admin, name):
                opened = time.monotonic() - started
            else:
                time.sleep(0.005)
        if after is not None and opened is not None:
            deadline = started + opened + after
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            if process.poll() is None:
                doing = backends(admin, name)
                process.send_signal(signal.SIGKILL)
                process.wait()
                killed_at = time.monotonic()
                if process.returncode == -signal.SIGKILL:
                    process.communicate()
                    wait_gone(admin, name)
                    gone = time.monotonic() - killed_at
                    no_prepared_transactions(admin, name)
                    shown = "; ".join(f"{state}: {query}" for _, state, query in doing) or "no backend"
                    return Run(opened, killed_at - started, True, doing=shown, gone_after=gone)
        stdout, stderr = process.communicate(timeout=300)
        seconds = time.monotonic() - started
        assert process.returncode == 0, f"{argv} failed with {process.returncode}\n{stderr}"
        wait_gone(admin, name)
        return Run(opened or 0.0, seconds, False, stdout=stdout)


def uninterrupted(template: str, argv: list[str], years: tuple[str, ...]) -> tuple[Run, Any, dict[str, Any]]:
    """The command (`argv`: its arguments after `--db URL`) run to the end on two copies of the
    template: both must end the same (output and figures), and sound. The kills are timed on the
    faster run: on a busy machine one run can take far longer than the next, and a kill timed on
    the slow one mostly lands after the end. Returns that run, its output and its figures."""
    runs, outputs, found = [], [], []
    for n in range(2):
        name = f"{template}_reference_{n}"
        url = copy_of(template, name)
        runs.append(run_and_kill([GRANTS, "--db", url, *argv], name, None))
        outputs.append(stable(json.loads(runs[-1].stdout)))
        found.append(figures(url, years))
        sound(url)
    assert outputs[0] == outputs[1], "two uninterrupted runs printed different results"
    assert found[0] == found[1], "two uninterrupted runs left different figures"
    return min(runs, key=lambda run: run.seconds - run.opened), outputs[0], found[0]


def point(run: Run, delay: float, share: float) -> str:
    if not run.killed:
        what = "completed before the kill"
    elif run.committed:
        what = "killed after its commit (while it printed)"
    else:
        what = "killed before its commit"
    said = f"{delay:.2f} s after the backend connected ({share:.0%} of the command's time)"
    if not run.killed:
        return f"{what} {said}"
    return (
        f"{what} {said}; its backend was {run.doing}; server ended it {run.gone_after:.2f} s after the kill"
    )


def kill_and_rerun(
    template: str,
    actor: str,
    command: list[str],
    years: tuple[str, ...],
    seed: int,
    expected: tuple[Run, Any, dict[str, Any], dict[str, Any]],
    done_already: Callable[[Any], bool],
) -> list[str]:
    """KILLS copies of the template, each with `command` killed at a seeded moment; after each:
    sound, all or nothing, and the command run again ends as the uninterrupted run (`expected`:
    that run, its output, the figures before and after it). `done_already` says whether a re-run's
    output is the "nothing left to do" of a command whose first run had committed."""
    reference, output, before, after = expected
    rng = random.Random(seed)
    points = []
    for n, share in enumerate(kill_shares(rng, KILLS)):
        name = f"{template}_killed_{n}"
        url = copy_of(template, name)
        delay = share * (reference.seconds - reference.opened)
        run = run_and_kill([GRANTS, "--db", url, "--as", actor, *command], name, delay)
        sound(url)
        # One command, one transaction: all of its work or none of it.
        run.committed = all_or_nothing(figures(url, years), before, after)
        again = stable(json.loads(ok(grants(url, *command, actor=actor))))
        assert done_already(again) if run.committed else again == output
        as_uninterrupted(figures(url, years), after, run.committed)
        sound(url)
        points.append(point(run, delay, share))
    return points


# --- 1. a big spend import ------------------------------------------------------------------------


def _spend_template(url: str) -> list[str]:
    from bench.concurrency import prepare

    return prepare(url, 20, 500_000, allocation_pounds=30_000_000, fund=True)


def test_kill_during_spend_import_on_postgres(pg_run_prefix: str, tmp_path: Path) -> None:
    from bench.spend import write_payments

    template, references = create_template(pg_run_prefix, _spend_template)
    payments = tmp_path / "payments.csv"
    write_payments(payments, references, SPEND_LINES, seed=SEED)
    before = figures(database_url(template))
    command = ["spend", "import", str(payments), "--json"]

    reference, imported, after = uninterrupted(template, ["--as", "treasurer", *command], ("2024/25",))
    assert imported["imported"] == SPEND_LINES
    assert after != before
    points = kill_and_rerun(
        template,
        "treasurer",
        command,
        ("2024/25",),
        SEED,
        (reference, imported, before, after),
        lambda again: again["imported"] == 0 and again["skipped"] == SPEND_LINES,
    )
    report(
        f"PostgreSQL spend import of {SPEND_LINES:,} lines (timed on the faster of two runs)",
        reference,
        points,
    )  # type: ignore[arg-type]


# --- 2. a rollover withdrawing many pending bids ------------------------------------------------


def test_kill_during_rollover_on_postgres(pg_run_prefix: str) -> None:
    template, funded = create_template(pg_run_prefix, _rollover_template)
    before = figures(database_url(template), BOTH)
    command = ["rollover", "2024/25", "--withdraw-pending", "--apply", "--json"]
    for reference_ in funded:
        command += ["--carry-forward", reference_]

    reference, statement, after = uninterrupted(template, ["--as", "kcc-officer", *command], BOTH)
    assert statement["applied"] and len(statement["withdrawn_bids"]) == DRAFTS
    assert after != before
    points = kill_and_rerun(
        template,
        "kcc-officer",
        command,
        BOTH,
        SEED + 2,
        (reference, statement, before, after),
        lambda again: bool(again["already_closed"]),
    )
    report(
        f"PostgreSQL rollover withdrawing {DRAFTS} drafts, carrying {len(funded)} projects "
        "(timed on the faster of two runs)",
        reference,  # type: ignore[arg-type]
        points,
    )


# --- 3. a dead client in the middle of a long statement -------------------------------------------

HOLDER = """
import sys
from sqlalchemy import text
from grants.db import get_engine

with get_engine(sys.argv[1]).connect() as connection:
    connection.execute(text("SELECT id FROM partnership FOR UPDATE")).all()
    print("locked", flush=True)
    connection.execute(text("SELECT pg_sleep(120)"))
"""


def test_the_server_ends_a_killed_commands_statement_and_frees_its_locks(pg_url: str) -> None:
    """grants' connections set `client_connection_check_interval`: a command killed during a long
    statement (a big import's INSERT) does not keep its transaction, and the partnership's row
    lock that every writer needs, until the statement would have ended — here two minutes."""
    import sys

    from sqlalchemy.engine import make_url

    from grants.db import get_engine
    from grants.demo import build

    build(pg_url, replace=True, until="setup")
    get_engine(pg_url).dispose()  # only the holder is connected now
    name = make_url(pg_url).database or ""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, pg_url], env=env(), stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        with _admin_connect() as admin:
            deadline = time.monotonic() + 30
            while not any("pg_sleep" in query for _, _, query in backends(admin, name)):
                assert time.monotonic() < deadline, backends(admin, name)
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
            # Well before the statement's two minutes are up, the server has ended it.
            wait_gone(admin, name)
    finally:
        process.kill()
        process.wait()
    # The lock is free: a write goes through at once.
    from tests.conftest import Cli

    added = Cli(pg_url)("org", "add", "youth-trust", "--name", "Youth Trust", actor="kcc-officer")
    assert added.exit_code == 0, added.output
