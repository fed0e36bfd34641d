"""Startup benchmark: `grants --help` against importing typer, `grants status` against the import floor.

Run: .venv/bin/python -m bench.startup [--runs 15]
Prints medians in milliseconds and the margins the targets of DESIGN §10 are judged by.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
GRANTS = str(Path(PY).with_name("grants"))


def median_ms(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    timings = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings[1:])  # the first run warms the file cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", help="database for `status` (default: a fresh demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        if not args.db:
            subprocess.run([GRANTS, "demo", "--db", db], check=True, capture_output=True)
        env = {**os.environ, "GRANTS_DATABASE_URL": db}
        typer_floor = median_ms([PY, "-c", "import typer"], args.runs)
        help_ms = median_ms([GRANTS, "--help"], args.runs)
        import_floor = median_ms([PY, "-c", "import sqlmodel, typer, rich"], args.runs)
        status_ms = median_ms([GRANTS, "status"], args.runs, env)
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    print(f"python -c 'import typer'                  {typer_floor:8.1f} ms")
    print(
        f"grants --help                             {help_ms:8.1f} ms  ({help_ms / typer_floor:.2f}x; target ≤ 2x)"
    )
    print(f"python -c 'import sqlmodel, typer, rich'  {import_floor:8.1f} ms")
    print(
        f"grants status                             {status_ms:8.1f} ms  (+{status_ms - import_floor:.1f} ms; target ≤ +150 ms)"
    )


if __name__ == "__main__":
    main()
