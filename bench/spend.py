"""The treasurer's big jobs on a million payments: import (on SQLite and PostgreSQL), reconcile,
and the books beside ledger and hledger reading the exported journal.

    python -m bench.spend                 # 1,000,000 lines (and a 100,000-line run for memory)
    python -m bench.spend --lines 200000  # smaller
    python -m bench.spend --postgres postgresql://postgres@127.0.0.1:5432/postgres

Every figure is a whole command run as a person runs it (a fresh `grants` process), timed with
the wall clock, its peak memory read from the kernel (the child's maximum resident set size).

1. Per engine (SQLite, and PostgreSQL when `--postgres` or GRANTS_TEST_POSTGRES_URL names a
   server: a database `grants_bench_spend` is made there and dropped at the end), a database with
   the demo's partnership, a year with a large allocation and `--bids` funded projects with room
   in their awards.
2. Finance-system CSVs of a tenth of `--lines` and of `--lines` payments (deterministic: --seed)
   against those projects, with invoice numbers of their own.
3. `grants spend import FILE` of the small file, then of the big one into the same database — target
   under 20 s on SQLite and under 30 s on PostgreSQL for 1,000,000 lines, memory flat (about the
   same peak at a tenth of the lines).
4. On SQLite (unless --imports-only): `grants report reconcile --format json`, then `grants export
   journal --out F`, and on that journal `ledger -f F bal` and `hledger -f F bal` — target:
   reconcile faster than ledger, peak memory under 200 MB.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

BIDS = 500
AWARD_POUNDS = 100_000
ALLOCATION_POUNDS = 90_000_000  # upfront two thirds: £60,000,000, room for 500 awards of £100,000


@dataclass(frozen=True)
class Run:
    command: str
    seconds: float
    peak_mb: float
    returncode: int
    cpu_seconds: float = 0.0  # the process's own user + system time: steadier on a busy machine
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average, before and after

    def line(self) -> str:
        return (
            f"{self.command}: {self.seconds:.2f} s ({self.cpu_seconds:.2f} s CPU), "
            f"peak {self.peak_mb:.0f} MB (exit {self.returncode}), "
            f"load average {self.load[0]:.1f} → {self.load[1]:.1f}"
        )


def measure(argv: list[str], *, env: dict[str, str] | None = None, stdout=subprocess.DEVNULL) -> Run:  # type: ignore[no-untyped-def]
    """Run one command in a fresh process; its wall time and its own peak RSS (wait4's rusage)."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.stderr.write(process.stderr.read().decode() if process.stderr else "")
    shown = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(argv))
    cpu = usage.ru_utime + usage.ru_stime
    return Run(shown, seconds, usage.ru_maxrss / 1024, process.returncode, cpu, (load, os.getloadavg()[0]))


def write_payments(path: Path, references: list[str], lines: int, seed: int, prefix: str = "INV") -> None:
    """A finance-system export: date, reference, amount (£1.00–£60.00), supplier, invoice."""
    rng = random.Random(seed)
    start = date(2024, 4, 1)
    suppliers = [f"Supplier {n:03d} Ltd" for n in range(300)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "reference", "amount", "supplier", "invoice"])
        for n in range(lines):
            pence = rng.randrange(100, 6_001)
            writer.writerow(
                [
                    (start + timedelta(days=rng.randrange(365))).isoformat(),
                    references[n % len(references)],
                    f"{pence // 100:,}.{pence % 100:02d}",
                    suppliers[rng.randrange(len(suppliers))],
                    f"{prefix}-{n:07d}",
                ]
            )


def prepare(url: str, bids: int) -> list[str]:
    from bench.concurrency import prepare as prepare_bids

    return prepare_bids(url, bids, AWARD_POUNDS, allocation_pounds=ALLOCATION_POUNDS, fund=True)


def postgres_database(server: str, name: str) -> str:
    """A fresh database on the server (dropped first if a previous run left it); its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin_url = server.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)
    return url.render_as_string(hide_password=False)


def drop_postgres_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(
        server.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--bids", type=int, default=BIDS)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--folder", default=None, help="keep the files here (default: a temporary folder)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("GRANTS_TEST_POSTGRES_URL"),
        help="a PostgreSQL server URL to import on as well (default: GRANTS_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--imports-only", action="store_true", help="time the imports only")
    args = parser.parse_args()

    grants = str(Path(sys.executable).with_name("grants"))
    sizes = sorted({max(1, args.lines // 10), args.lines})
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.folder or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        engines = [("SQLite", f"sqlite:///{folder / 'spend.sqlite'}")]
        if args.postgres:
            engines.append(("PostgreSQL", postgres_database(args.postgres, "grants_bench_spend")))
        else:
            print("PostgreSQL: no server given (--postgres or GRANTS_TEST_POSTGRES_URL); SQLite only")
        (folder / "spend.sqlite").unlink(missing_ok=True)
        files: dict[int, Path] = {}
        try:
            for engine, url in engines:
                started = time.perf_counter()
                references = prepare(url, args.bids)
                for lines in sizes:
                    if lines not in files:
                        files[lines] = folder / f"payments-{lines}.csv"
                        write_payments(files[lines], references, lines, args.seed, prefix=f"INV{lines}")
                print(
                    f"{engine}: prepared {len(references)} funded projects and the files "
                    f"({', '.join(f'{n:,} lines, {files[n].stat().st_size / 1e6:.0f} MB' for n in sizes)}) "
                    f"in {time.perf_counter() - started:.1f} s"
                )
                env = {**os.environ, "GRANTS_DATABASE_URL": url, "GRANTS_USER": "treasurer"}
                for lines in sizes:
                    run = measure([grants, "spend", "import", str(files[lines])], env=env)
                    print(f"  {engine}, {lines:,} lines: {run.line()}")
        finally:
            if args.postgres:
                from grants.db import get_engine

                get_engine.cache_clear()
                drop_postgres_database(args.postgres, "grants_bench_spend")
        if args.imports_only:
            return
        env = {**os.environ, "GRANTS_DATABASE_URL": engines[0][1], "GRANTS_USER": "treasurer"}
        reconcile = measure([grants, "report", "reconcile", "--format", "json"], env=env)
        print(f"  {reconcile.line()}")
        journal = folder / "spend.journal"
        export = measure([grants, "export", "journal", "--out", str(journal)], env=env)
        print(f"  {export.line()} ({journal.stat().st_size / 1e6:.0f} MB journal)")
        for tool in ("ledger", "hledger"):
            if not any((Path(p) / tool).exists() for p in os.environ["PATH"].split(os.pathsep)):
                print(f"  {tool}: not installed")
                continue
            print(f"  {measure([tool, '-f', str(journal), 'bal']).line()}")
        check = measure([grants, "check"], env=env)
        print(f"  {check.line()}")


if __name__ == "__main__":
    main()
