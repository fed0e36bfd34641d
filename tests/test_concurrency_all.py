"""Everything at once: several processes scoring, deciding, awarding, paying and importing
against one database through the command line, on SQLite (and PostgreSQL, in
tests/postgres/test_pg_concurrency_all.py).

Every process is a fresh interpreter (multiprocessing spawn, like bench/concurrency.py) that runs
`grants` commands in its own order. Afterwards: every success a process saw is in the database
(no lost writes), no bid was decided twice, no award is overspent and no pot is below zero,
`grants check` and `grants audit verify` are clean. A busy database is exit 5 with a message.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import Cli

PROCESSES = 6
SCORING = 6  # bids in scoring: each process scores each, as one of the scorers
DECIDING = 8  # shortlisted bids: every process tries to approve each as the chair
AWARDING = 16  # chair-approved bids of £1,500 (£24,000 in all, more than the pot has left)
PAYING = 4  # funded bids of £1,000 (of the £26,440 upfront pot): payments and imports on them
PAYMENTS = 10  # `spend add` per process
IMPORTS = 2  # `spend import` files per process, of ROWS rows each
ROWS = 3
SCORERS = ("wg-police", "wg-kfrs", "wg-nhs", "wg-probation", "wg-district")
CRITERIA = ("fit_pcc", "fit_csa", "need", "outcomes", "value", "deliverable")
PAY_DAY = "2024-09-01"


@dataclass
class Groups:
    scoring: list[str]
    deciding: list[str]
    awarding: list[str]
    paying: list[str]


def prepare(url: str) -> Groups:
    """The demo's partnership and 2024/25 (£26,440 upfront), then bids in each state, in one
    transaction through the real services (as bench.concurrency.prepare does)."""
    from bench.concurrency import setup, template_end
    from grants import approvals, lifecycle, scoring
    from grants.bids import BidFields, new_bid
    from grants.demo import OFFICER
    from grants.demo_data import PROPOSALS, demo_sheet
    from grants.models import PotKind, Stance
    from grants.money import Money
    from grants.options import Options
    from grants.scope import Scope, open_scope
    from grants.years import find_year

    setup(url)
    template = PROPOSALS[0]
    groups = Groups([], [], [], [])
    with open_scope(Options(db=url, actor=OFFICER), write=True) as officer:

        def acting(handle: str) -> Scope:
            return officer.acting_as(handle)

        criteria = [c.key for c in scoring.criteria_of(officer, find_year(officer))]
        plan = [
            ("scoring", SCORING),
            ("deciding", DECIDING),
            ("awarding", AWARDING),
            ("paying", PAYING),
        ]
        n = 0
        for stage, count in plan:
            for _ in range(count):
                n += 1
                bid = new_bid(
                    officer,
                    "kcc",
                    BidFields(
                        title=f"Concurrency project {n}",
                        summary=template.summary,
                        amount=Money.pounds(1_500 if stage == "awarding" else 1_000),
                        pot=PotKind.upfront,
                        pcc_priorities=list(template.pcc),
                        csa_priorities=list(template.csa),
                        outcomes=template.outcomes,
                        measures=template.measures,
                        delivery_end=template_end(template.ends),
                    ),
                )
                lifecycle.submit(officer, bid.reference)
                lifecycle.open_scoring(officer, [bid.reference], every_submitted=False)
                getattr(groups, stage).append(bid.reference)
                if stage == "scoring":
                    continue
                for scorer in SCORERS[:4]:
                    given, _, _ = demo_sheet(0, scorer, criteria)
                    scoring.submit_sheet(acting(scorer), bid.reference, given, Stance.support, "")
                lifecycle.shortlist(officer, bid.reference, override=False, reason=None)
                if stage == "deciding":
                    continue
                approvals.approve(acting("chair"), bid.reference, note="concurrency test")
                if stage == "paying":
                    approvals.approve(acting("opcc"), bid.reference)
    return groups


@dataclass
class Tally:
    """What one process did and saw."""

    process: int
    operations: int = 0
    codes: dict[int, int] = field(default_factory=dict)
    sheets: list[tuple[str, str, str]] = field(default_factory=list)  # (bid, scorer, comment)
    decided: list[str] = field(default_factory=list)
    awarded: list[str] = field(default_factory=list)
    paid: list[tuple[str, str, int]] = field(default_factory=list)  # (bid, invoice, pence)
    imported: list[tuple[str, str, int]] = field(default_factory=list)
    refused_imports: list[tuple[str, str, int]] = field(default_factory=list)
    surprises: list[str] = field(default_factory=list)  # tracebacks, unexpected codes
    busy_messages: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _operations(process: int, groups: Groups, folder: str) -> list[tuple[str, tuple]]:
    rng = random.Random(process)
    ops: list[tuple[str, tuple]] = []
    scorer = SCORERS[process % len(SCORERS)]
    for n, reference in enumerate(groups.scoring):
        ops.append(("score", (reference, scorer, f"p{process}-{n}")))
    for reference in groups.deciding:
        ops.append(("decide", (reference,)))
    for reference in groups.awarding:
        ops.append(("award", (reference,)))
    for n in range(PAYMENTS):
        ops.append(("pay", (rng.choice(groups.paying), f"P{process}-{n}", rng.randrange(5_000, 15_000))))
    for k in range(IMPORTS):
        rows = [
            (rng.choice(groups.paying), f"I{process}-{k}-{r}", rng.randrange(5_000, 15_000))
            for r in range(ROWS)
        ]
        path = Path(folder) / f"import-{process}-{k}.csv"
        lines = ["date,reference,amount,supplier,invoice"]
        lines += [
            f"{PAY_DAY},{ref},{pence // 100}.{pence % 100:02d},Supplier {process},{inv}"
            for ref, inv, pence in rows
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        ops.append(("import", (str(path), rows)))
    rng.shuffle(ops)
    return ops


def worker(url: str, process: int, groups: Groups, folder: str) -> Tally:
    """Run this process's commands through the CLI, as a person would type them."""
    tally = Tally(process)
    cli = Cli(url)
    started = time.perf_counter()
    for kind, args in _operations(process, groups, folder):
        if kind == "score":
            reference, scorer, comment = args
            flags = sum((["--criterion", f"{k}={(process + len(k)) % 6}"] for k in CRITERIA), [])
            result = cli("score", reference, *flags, "--support", "--comment", comment, actor=scorer)
        elif kind == "decide":
            result = cli("approve", args[0], "--note", f"process {process}", actor="chair")
        elif kind == "award":
            result = cli("approve", args[0], actor="opcc")
        elif kind == "pay":
            reference, invoice, pence = args
            amount = f"{pence // 100}.{pence % 100:02d}"
            result = cli(
                "spend",
                "add",
                reference,
                amount,
                "--date",
                PAY_DAY,
                "--supplier",
                "S",
                "--invoice",
                invoice,
                actor="treasurer",
            )
        else:
            path, rows = args
            result = cli("spend", "import", path, "--json", actor="treasurer")
        tally.operations += 1
        code = result.exit_code
        tally.codes[code] = tally.codes.get(code, 0) + 1
        output = (result.stdout or "") + (result.stderr or "")
        if (
            "Traceback" in output
            or (result.exception is not None and not isinstance(result.exception, SystemExit))
            or code not in (0, 1, 2, 5)
        ):
            tally.surprises.append(f"{kind} {args!r}: exit {code}: {output[-500:]} {result.exception!r}")
            continue
        if code == 5:
            tally.busy_messages.append(output.strip())
            continue
        if code == 2 and kind != "import":
            tally.surprises.append(f"{kind} {args!r}: bad input: {output[-300:]}")
            continue
        if code != 0:
            if kind == "import":
                tally.refused_imports.extend(args[1])
            continue
        if kind == "score":
            tally.sheets.append((args[0], args[1], args[2]))
        elif kind == "decide":
            tally.decided.append(args[0])
        elif kind == "award":
            tally.awarded.append(args[0])
        elif kind == "pay":
            tally.paid.append(args)
        else:
            tally.imported.extend(args[1])
    tally.seconds = time.perf_counter() - started
    return tally


def _work(args: tuple) -> Tally:
    return worker(*args)


def _warm(url: str) -> None:
    import cli.main  # noqa: F401  (the whole command line, imported before the clock)
    from grants.options import Options
    from grants.scope import open_scope

    with open_scope(Options(db=url, actor="opcc"), write=False):
        pass


@dataclass
class Outcome:
    tallies: list[Tally]
    seconds: float

    @property
    def operations(self) -> int:
        return sum(t.operations for t in self.tallies)

    def count(self, name: str) -> int:
        return sum(len(getattr(t, name)) for t in self.tallies)


def run_all(url: str, folder: Path, processes: int = PROCESSES) -> tuple[Groups, Outcome]:
    # The round is played on the day its payments are dated, so no payment is dated before its
    # award or after today (the workers, spawned, inherit the environment).
    previous = os.environ.get("GRANTS_TODAY")
    os.environ["GRANTS_TODAY"] = PAY_DAY
    try:
        groups = prepare(url)
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes) as pool:
            pool.map(_warm, [url] * processes)
            started = time.perf_counter()
            tallies = pool.map(_work, [(url, p, groups, str(folder)) for p in range(processes)])
            seconds = time.perf_counter() - started
    finally:
        if previous is None:
            os.environ.pop("GRANTS_TODAY", None)
        else:
            os.environ["GRANTS_TODAY"] = previous
    return groups, Outcome(tallies, seconds)


def verify(url: str, groups: Groups, outcome: Outcome) -> dict[str, int]:
    """No lost writes, nothing decided twice, no overspend; returns counts for the README."""
    from sqlalchemy import func, select

    from grants import ledger
    from grants.checks import run_checks
    from grants.models import Bid, Member, ScoreSheet, Spend
    from grants.options import Options
    from grants.pots import pot_figures
    from grants.scope import open_scope
    from grants.years import find_year

    surprises = [s for t in outcome.tallies for s in t.surprises]
    assert surprises == [], surprises[:5]

    with open_scope(Options(db=url), write=False) as scope:
        session = scope.session
        year = find_year(scope)
        bids = {b.reference: b for b in session.execute(select(Bid)).scalars()}
        handles = dict(session.execute(select(Member.id, Member.handle)).all())

        # Scoring: every sheet a process saw accepted is stored (as a version), and the current
        # sheet of each scorer is one they submitted.
        stored: dict[tuple[str, str], list[tuple[str, bool]]] = {}
        by_id = {b.id: ref for ref, b in bids.items()}
        for sheet in session.execute(select(ScoreSheet)).scalars():
            key = (by_id[sheet.bid_id], handles[sheet.member_id])
            stored.setdefault(key, []).append((sheet.comment, sheet.current))
        seen: dict[tuple[str, str], list[str]] = {}
        for t in outcome.tallies:
            for reference, scorer, comment in t.sheets:
                seen.setdefault((reference, scorer), []).append(comment)
        for key, comments in seen.items():
            kept = [c for c, _ in stored.get(key, [])]
            assert sorted(comments) == sorted(kept), f"sheets of {key}: submitted {comments}, stored {kept}"
            current = [c for c, is_current in stored[key] if is_current]
            assert len(current) == 1 and current[0] in comments, (key, current)

        # Deciding: each shortlisted bid approved by the chair exactly once.
        decided = [ref for t in outcome.tallies for ref in t.decided]
        assert sorted(decided) == sorted(groups.deciding), "a bid was approved twice or an approval was lost"
        for reference in groups.deciding:
            assert bids[reference].status.value == "chair_approved", (reference, bids[reference].status)

        # Awarding: each funded once; the database's funded set is exactly what processes saw.
        awarded = [ref for t in outcome.tallies for ref in t.awarded]
        assert len(awarded) == len(set(awarded)), "a bid was funded twice"
        funded_in_db = {ref for ref in groups.awarding if bids[ref].status.value == "funded"}
        assert set(awarded) == funded_in_db
        assert 0 < len(awarded) < AWARDING, "the pot was not contended"

        # Paying and importing: every payment a process saw is stored with its amount; refused
        # imports left nothing; no award is overspent.
        payments = {
            (by_id[s.bid_id], s.invoice): s.amount_pence for s in session.execute(select(Spend)).scalars()
        }
        succeeded = [p for t in outcome.tallies for p in (*t.paid, *t.imported)]
        for reference, invoice, pence in succeeded:
            assert payments.get((reference, invoice)) == pence, f"payment {invoice} on {reference} was lost"
        for reference, invoice, _ in (r for t in outcome.tallies for r in t.refused_imports):
            assert (reference, invoice) not in payments, f"a refused import left {invoice}"
        assert len(payments) == len(succeeded)
        for reference in groups.paying:
            bid = bids[reference]
            spent = (
                session.execute(select(func.sum(Spend.amount_pence)).where(Spend.bid_id == bid.id)).scalar()
                or 0
            )
            assert spent == bid.spent_pence <= bid.award_pence, (
                reference,
                spent,
                bid.spent_pence,
                bid.award_pence,
            )
        balances = ledger.balances(session, year.id)
        for account, balance in balances.items():
            if account.startswith(("pot:", "award:")):
                assert balance >= 0, (account, balance)
        for figures in pot_figures(session, year):
            assert figures.uncommitted.pence >= 0, figures
        problems = [f"{p.check}: {p.message}" for p in run_checks(session, scope.partnership)]
        assert problems == []
        spent_total = sum(payments.values())
        paid_out = sum(bids[r].award_pence for r in groups.paying)
        assert spent_total <= paid_out
    cli = Cli(url)
    check = cli("check")
    assert check.exit_code == 0, check.stdout + check.stderr
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    return {
        "processes": len(outcome.tallies),
        "operations": outcome.operations,
        "sheets": outcome.count("sheets"),
        "decided": len(decided),
        "awarded": len(awarded),
        "payments": outcome.count("paid"),
        "imported_rows": outcome.count("imported"),
        "refused": sum(t.codes.get(1, 0) + t.codes.get(2, 0) for t in outcome.tallies),
        "busy": sum(t.codes.get(5, 0) for t in outcome.tallies),
    }


def assert_everything_at_once(url: str, folder: Path, engine: str) -> dict[str, int]:
    groups, outcome = run_all(url, folder)
    counts = verify(url, groups, outcome)
    print(f"\n{engine}: {counts} in {outcome.seconds:.1f} s")
    # Contention happened on every front: decisions and awards refused, payments refused.
    assert counts["decided"] == DECIDING and counts["refused"] > DECIDING * (PROCESSES - 1)
    return counts


def test_everything_at_once_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    counts = assert_everything_at_once(sqlite_url, tmp_path, "sqlite")
    assert counts["busy"] == 0  # the default busy timeout queues writers; nobody gives up


# --- a busy database ---------------------------------------------------------------------------


def _grants(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed `grants` in a process of its own (so its busy timeout is read afresh)."""
    return subprocess.run(
        [sys.executable, "-c", "from cli.main import run; run()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )


def test_a_locked_sqlite_database_is_exit_5_with_a_message(sqlite_url: str) -> None:
    """Another connection holds the write lock (BEGIN IMMEDIATE) for longer than the busy
    timeout (GRANTS_BUSY_TIMEOUT_MS, read by grants/db.py): writes give exit 5, reads still work."""
    from bench.concurrency import setup

    setup(sqlite_url)
    path = sqlite_url.split("///", 1)[1]
    env = {"GRANTS_BUSY_TIMEOUT_MS": "300"}
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE partnership SET name = name")
        writes = [
            ("--as", "kcc-officer", "bid", "new", "--title", "T", "--amount", "1000", "--org", "kcc"),
            (
                "--as",
                "kcc-officer",
                "pot",
                "transfer",
                "1",
                "--from",
                "upfront",
                "--to",
                "tactical",
                "--reason",
                "r",
            ),
        ]
        for args in writes:
            started = time.perf_counter()
            result = _grants("--db", sqlite_url, *args, env=env)
            took = time.perf_counter() - started
            assert "Traceback" not in result.stderr, result.stderr
            assert result.returncode == 5, (args, result.returncode, result.stderr)
            message = " ".join(result.stderr.split())
            assert message.startswith("Error: the database") and "is busy" in message, message
            assert "try again" in message
            assert took < 20, took  # gave up after the short timeout, not the default 30 s
        # Reading goes on under WAL while the writer holds its lock.
        shown = _grants("--db", sqlite_url, "--as", "kcc-officer", "status", "--json", env=env)
        assert shown.returncode == 0, shown.stderr
    finally:
        holder.rollback()
        holder.close()
    # The lock gone, the same command works and nothing half-done was left behind.
    result = _grants(
        "--db", sqlite_url, "--as", "kcc-officer", "org", "add", "newco", "--name", "New Co", env=env
    )
    assert result.returncode == 0, result.stderr
    assert Cli(sqlite_url)("check").exit_code == 0


def test_busy_writers_queue_within_the_default_timeout(sqlite_url: str) -> None:
    """A lock held for a moment (shorter than the busy timeout) only delays a write."""
    import threading

    from bench.concurrency import setup

    setup(sqlite_url)
    holder = sqlite3.connect(
        sqlite_url.split("///", 1)[1], isolation_level=None, timeout=5, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(1.0, holder.rollback).start()
    result = _grants(
        "--db",
        sqlite_url,
        "--as",
        "kcc-officer",
        "org",
        "add",
        "later",
        "--name",
        "Later Co",
        env={"GRANTS_BUSY_TIMEOUT_MS": "10000"},
    )
    holder.close()
    assert result.returncode == 0, result.stderr
