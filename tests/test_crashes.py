"""Kill -9 in the middle of the long commands, then check that nothing is half-done.

Each test runs a real `grants` process, waits until it has the database open (its start-up
done), sleeps a seeded random share of the time the same command takes uninterrupted, and sends
SIGKILL. Afterwards `grants check` and `grants audit verify` must pass, the database must hold
either none or all of the command's work, and running the command again must end exactly as an
uninterrupted run does (the figures compared as JSON, timestamps and hashes left out).

A kill that lands after the command has finished is counted as "completed" and checked all the
same. Every kill is printed (run with -s to see them): the figures in the README come from here.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tests.conftest import demo_copy

GRANTS = str(Path(sys.executable).with_name("grants"))
SEED = 20240401

# Keys that differ between two runs of the same thing: clocks and what is hashed from them.
VOLATILE = {
    "at",
    "created_at",
    "opened_at",
    "closed_at",
    "generated_at",
    "hash",
    "prev_hash",
    "head",
    "audit_head",  # its hash covers the events' times
}


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRANTS_")}
    return {**clean, "COLUMNS": "200"}


def grants(db: Path | str, *args: str, actor: str | None = None) -> subprocess.CompletedProcess[str]:
    """A command in its own process, as a person runs it."""
    argv = [GRANTS, "--db", str(db), *(["--as", actor] if actor else []), *args]
    return subprocess.run(argv, env=env(), capture_output=True, text=True, timeout=300)


def inproc(db: Path | str, *args: str, actor: str | None = None, must: bool = True) -> str | None:
    """A read-only command run in this process (no start-up to pay); its output, exit 0 asserted.
    `db` is a SQLite file, or a database URL (tests/postgres/test_pg_crashes.py)."""
    from grants.db import get_engine
    from tests.conftest import Cli

    url = db if isinstance(db, str) else f"sqlite:///{db}"
    try:
        result = Cli(url)(*args, actor=actor)
    finally:
        # The file may be deleted and built again by the next process: hold no connection to it.
        get_engine(url).dispose()
        get_engine.cache_clear()
    if result.exit_code != 0 and not must:
        return None
    assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.output}"
    return result.stdout


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def stable(value: Any) -> Any:
    """The JSON without timestamps and hashes."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def figures(
    db: Path | str, years: tuple[str, ...] = ("2024/25",), actor: str = "kcc-officer"
) -> dict[str, Any]:
    """What an uninterrupted run must also show: each year's reconcile and year-end statement, and
    the audit trail's events (who did what to what, in order)."""
    found: dict[str, Any] = {}
    for year in years:
        for report_ in ("reconcile", "year-end"):
            output = inproc(db, "report", report_, "--year", year, "--json", actor=actor, must=False)
            found[f"{report_} {year}"] = None if output is None else stable(json.loads(output))
    found["audit"] = [
        stable(e) for e in json.loads(inproc(db, "audit", "log", "--limit", "0", "--json", actor=actor))
    ]
    return found


def sound(db: Path | str) -> None:
    """`grants check` and `grants audit verify` both pass (exit 0)."""
    inproc(db, "check")
    inproc(db, "audit", "verify")


def copy_db(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


def holds_open(pid: int, db: Path) -> bool:
    """The process has the database file open: its start-up is over, its command has begun."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(db):
                    return True
            except OSError:
                continue
    except OSError:
        return False
    return False


@dataclass
class Run:
    """One run of a command: how long it took from start to the database opened, and to the end;
    killed or not, and the WAL's size at the kill (bytes the command had written)."""

    opened: float
    seconds: float
    killed: bool
    wal_bytes: int = 0
    stdout: str = ""
    committed: bool = False  # the kill came after the command's commit (while it printed)


def run_and_kill(argv: list[str], db: Path, after: float | None) -> Run:
    """Start the command; once it holds the database open, wait `after` seconds and kill it -9.
    With `after` None it runs to the end. A command that ends first is returned as completed."""
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    opened = None
    while process.poll() is None and opened is None:
        if holds_open(process.pid, db):
            opened = time.monotonic() - started
        else:
            time.sleep(0.002)
    if after is not None and opened is not None:
        deadline = started + opened + after
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        if process.poll() is None:
            wal = Path(f"{db}-wal")
            wal_bytes = wal.stat().st_size if wal.exists() else 0
            process.send_signal(signal.SIGKILL)
            process.wait()
            if process.returncode == -signal.SIGKILL:
                return Run(opened, time.monotonic() - started, True, wal_bytes)
    stdout, _ = process.communicate(timeout=120)
    assert process.returncode == 0, f"{argv} failed with {process.returncode}"
    return Run(opened or 0.0, time.monotonic() - started, False, stdout=stdout)


def all_or_nothing(found: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The database holds none of the command's work (False) or all of it (True), nothing between."""
    if found == before:
        return False
    assert found == after, "the killed command left part of its work in the database"
    return True


def as_uninterrupted(found: dict[str, Any], after: dict[str, Any], committed: bool) -> None:
    """After the command ran again the figures are an uninterrupted run's. When the first run had
    committed, the second finds its work done and may log that it did nothing (one more event)."""
    assert {k: v for k, v in found.items() if k != "audit"} == {
        k: v for k, v in after.items() if k != "audit"
    }
    extra = found["audit"][len(after["audit"]) :]
    assert found["audit"][: len(after["audit"])] == after["audit"]
    assert len(extra) <= (1 if committed else 0), extra


def kill_shares(rng: random.Random, kills: int) -> list[float]:
    """One share of the command's working time in each of `kills` equal strata: early, middle,
    late, whatever the seed."""
    return [(n + rng.random()) / kills for n in range(kills)]


def report(name: str, reference: Run, points: list[str]) -> None:
    print(
        f"\n{name}: uninterrupted {reference.seconds:.2f} s (database open at {reference.opened:.2f} s); "
        f"{len(points)} kills"
    )
    for point in points:
        print(f"  {point}")


# --- 1. a big spend import ------------------------------------------------------------------------

SPEND_LINES = 120_000
SPEND_KILLS = 3


def test_kill_during_spend_import(tmp_path: Path) -> None:
    from bench.concurrency import prepare
    from bench.spend import write_payments
    from grants.db import get_engine

    template = tmp_path / "template.sqlite"
    url = f"sqlite:///{template}"
    references = prepare(url, 20, 500_000, allocation_pounds=30_000_000, fund=True)
    get_engine(url).dispose()
    payments = tmp_path / "payments.csv"
    write_payments(payments, references, SPEND_LINES, seed=SEED)
    before = figures(template)

    reference_db = tmp_path / "reference.sqlite"
    copy_db(template, reference_db)
    command = ["spend", "import", str(payments), "--json"]
    reference = run_and_kill(
        [GRANTS, "--db", str(reference_db), "--as", "treasurer", *command], reference_db, None
    )
    imported = stable(json.loads(reference.stdout))
    assert imported["imported"] == SPEND_LINES
    after = figures(reference_db)
    sound(reference_db)

    rng = random.Random(SEED)
    points = []
    for n, share in enumerate(kill_shares(rng, SPEND_KILLS)):
        db = tmp_path / f"killed-{n}.sqlite"
        copy_db(template, db)
        delay = share * (reference.seconds - reference.opened)
        run = run_and_kill([GRANTS, "--db", str(db), "--as", "treasurer", *command], db, delay)
        sound(db)
        # One command, one transaction: all of the import or none of it.
        run.committed = all_or_nothing(figures(db), before, after)
        again = stable(json.loads(ok(grants(db, *command, actor="treasurer"))))
        if not run.committed:
            assert again == imported
        else:
            assert again["imported"] == 0 and again["skipped"] == SPEND_LINES
        as_uninterrupted(figures(db), after, run.committed)
        sound(db)
        points.append(_point(run, delay, share))
    report(f"spend import of {SPEND_LINES:,} lines", reference, points)


def _point(run: Run, delay: float, share: float) -> str:
    if not run.killed:
        what = "completed before the kill"
    elif run.committed:
        what = "killed after its commit (while it printed)"
    else:
        what = "killed before its commit"
    return (
        f"{what} {delay:.2f} s after the database was opened ({share:.0%} of the command's time), "
        f"WAL {run.wal_bytes:,} bytes"
    )


# --- 2. a rollover withdrawing many pending bids ------------------------------------------------

DRAFTS = 250
ROLLOVER_KILLS = 3
BOTH = ("2024/25", "2025/26")


def _rollover_template(url: str) -> list[str]:
    """The demo's eight funded projects (carried forward) and DRAFTS drafts nobody submitted."""
    from grants.bids import BidFields, new_bid
    from grants.db import is_sqlite
    from grants.demo import OFFICER, build
    from grants.demo_data import DELIVERY, PROPOSALS
    from grants.models import PotKind
    from grants.money import Money
    from grants.options import Options
    from grants.scope import open_scope

    if is_sqlite(url):
        demo_copy(url, "tactical")  # the run's template (tests/postgres/test_pg_crashes.py builds)
    else:
        build(url, replace=True, until="tactical")
    template = PROPOSALS[0]
    with open_scope(Options(db=url, actor=OFFICER), write=True) as scope:
        for n in range(DRAFTS):
            new_bid(
                scope,
                "kcc",
                BidFields(
                    title=f"Unsubmitted idea {n + 1}",
                    summary=template.summary,
                    amount=Money.pounds(1_000),
                    pot=PotKind.upfront,
                    pcc_priorities=list(template.pcc),
                    csa_priorities=list(template.csa),
                    outcomes=template.outcomes,
                    measures=template.measures,
                    delivery_end=date.fromisoformat(template.ends),
                ),
            )
    return [reference for reference, _ in DELIVERY]


def test_kill_during_rollover(tmp_path: Path) -> None:
    from grants.db import get_engine

    template = tmp_path / "template.sqlite"
    url = f"sqlite:///{template}"
    funded = _rollover_template(url)
    get_engine(url).dispose()
    before = figures(template, BOTH)
    command = ["rollover", "2024/25", "--withdraw-pending", "--apply", "--json"]
    for reference in funded:
        command += ["--carry-forward", reference]

    reference_db = tmp_path / "reference.sqlite"
    copy_db(template, reference_db)
    reference = run_and_kill(
        [GRANTS, "--db", str(reference_db), "--as", "kcc-officer", *command], reference_db, None
    )
    statement = stable(json.loads(reference.stdout))
    assert statement["applied"] and len(statement["withdrawn_bids"]) == DRAFTS
    after = figures(reference_db, BOTH)
    sound(reference_db)

    rng = random.Random(SEED + 2)
    points = []
    for n, share in enumerate(kill_shares(rng, ROLLOVER_KILLS)):
        db = tmp_path / f"killed-{n}.sqlite"
        copy_db(template, db)
        delay = share * (reference.seconds - reference.opened)
        run = run_and_kill([GRANTS, "--db", str(db), "--as", "kcc-officer", *command], db, delay)
        sound(db)
        run.committed = all_or_nothing(figures(db, BOTH), before, after)
        again = stable(json.loads(ok(grants(db, *command, actor="kcc-officer"))))
        if not run.committed:
            assert again == statement
        else:
            assert again["already_closed"]
        as_uninterrupted(figures(db, BOTH), after, run.committed)
        sound(db)
        points.append(_point(run, delay, share))
    report(f"rollover withdrawing {DRAFTS} drafts, carrying {len(funded)} projects", reference, points)


# --- 3. the demo's build: many transactions, one after another ----------------------------------

DEMO_KILLS = 4


def test_kill_during_demo_build(tmp_path: Path) -> None:
    reference_db = tmp_path / "reference.sqlite"
    demo = [GRANTS, "demo", "--db"]
    reference = run_and_kill([*demo, str(reference_db)], reference_db, None)
    after = figures(reference_db)
    sound(reference_db)

    rng = random.Random(SEED + 3)
    points = []
    for n, share in enumerate(kill_shares(rng, DEMO_KILLS)):
        db = tmp_path / f"killed-{n}.sqlite"
        delay = share * (reference.seconds - reference.opened)
        run = run_and_kill([*demo, str(db)], db, delay)
        events = _events(db)
        if events:
            sound(db)  # every step the demo committed is whole: the ledger and the audit agree
        again = subprocess.run([*demo, str(db)], env=env(), capture_output=True, text=True, timeout=120)
        if events < len(after["audit"]):
            assert again.returncode == 0, again.stderr
            if events:
                assert "build stopped part-way" in again.stderr and "building it again" in again.stderr
        else:
            # Killed after the last step (while it printed the statement), or not killed at all:
            # the demo is finished, and is not built over without --replace.
            assert again.returncode == 1 and "already holds the finished demo" in again.stderr
        assert figures(db) == after
        sound(db)
        where = (
            f"{events} of {len(after['audit'])} audit events committed"
            if events
            else "before its first commit"
        )
        points.append(f"{_point(run, delay, share).replace(' before its commit', '')}; {where}")
    report("demo build", reference, points)

    # A finished demo, and a database that is not the demo's, are never built over unasked.
    refused = subprocess.run([*demo, str(reference_db)], env=env(), capture_output=True, text=True)
    assert refused.returncode == 1 and "--replace" in refused.stderr
    other = tmp_path / "other.sqlite"
    other.write_text("not a database", encoding="utf-8")
    refused = subprocess.run([*demo, str(other)], env=env(), capture_output=True, text=True)
    assert refused.returncode == 1 and "is not a demo database" in refused.stderr
    assert other.read_text(encoding="utf-8") == "not a database"


def _events(db: Path) -> int:
    """How many audit events the killed build had committed (0 when there is no database yet)."""
    import sqlite3

    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        try:
            return int(connection.execute("SELECT count(*) FROM audit_event").fetchone()[0])
        except sqlite3.OperationalError:
            return 0
