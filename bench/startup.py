"""Startup benchmark: `grants --help` against importing typer, `grants status` against the import floor.

    python -m bench.startup                       # demo database + a generated 3×5×200×20 one
    python -m bench.startup --runs 31 --generate 3x5x200x20 --generate 1x5x2000x20
    python -m bench.startup --db /path/to/grants.sqlite --partnership kcsp --generate none

Targets (DESIGN §10): `grants --help` within 2× `python -c "import typer"`; everyday commands
within 150 ms of the import floor `python -c "import sqlmodel, typer, rich"`.

Each command runs as a fresh process. The commands take turns, round after round (the first
round only warms the file cache), so a load that comes and goes on the machine falls on all of
them alike. For each it prints the median wall time, and the median CPU time (user + system of
the child), which a busy machine disturbs less than wall time. With --instructions it also counts
each command's instructions once under valgrind's callgrind: the same count whatever else the
machine is doing, so the ratios to the floors can be compared between runs and machines (it takes
a minute or so per command).
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
from dataclasses import dataclass, field
from pathlib import Path

PY = sys.executable
GRANTS = str(Path(PY).with_name("grants"))


@dataclass
class Command:
    label: str
    argv: list[str]
    data: str = ""
    env: dict[str, str] | None = None
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def wall_ms(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu)


def run_once(command: Command) -> tuple[float, float]:
    """Wall and CPU milliseconds of one run of the command in a new process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=command.env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{command.label} exited {proc.returncode}: {' '.join(command.argv)}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def measure(commands: list[Command], runs: int) -> None:
    for command in commands:  # check each works, and warm the file cache
        done = subprocess.run(command.argv, capture_output=True, text=True, env=command.env)
        if done.returncode != 0:
            raise SystemExit(f"{command.label} failed ({done.returncode}):\n{done.stderr}")
    for n in range(runs):
        turn = commands[n % len(commands) :] + commands[: n % len(commands)]
        for command in turn:
            wall, cpu = run_once(command)
            command.wall.append(wall)
            command.cpu.append(cpu)


# One `grants status` in a fresh interpreter, timed in phases: the import floor, importing the CLI,
# the first run (the command's own imports, connecting, the queries and the table), then a
# second run in the same process (the queries and the table alone: what grows with data, if
# anything does). Prints four numbers in milliseconds.
PHASES = """
import os, sys, time
t0 = time.perf_counter()
import sqlmodel, typer, rich
t1 = time.perf_counter()
import cli.main
t2 = time.perf_counter()
sys.argv = ["grants", "status"]
out, sys.stdout = sys.stdout, open(os.devnull, "w")
def once():
    try:
        cli.main.run()
    except SystemExit as exit:
        if exit.code:
            raise
once()
t3 = time.perf_counter()
once()
t4 = time.perf_counter()
sys.stdout = out
print(*(round(1000 * (b - a), 2) for a, b in ((t0, t1), (t1, t2), (t2, t3), (t3, t4))))
"""
PHASE_NAMES = ("import floor", "import cli", "first status", "second status")


def phases(command: Command, runs: int) -> list[float]:
    """Medians of the four phases over `runs` fresh interpreters."""
    seen: list[list[float]] = [[], [], [], []]
    for _ in range(runs):
        done = subprocess.run([PY, "-c", PHASES], capture_output=True, text=True, env=command.env)
        if done.returncode != 0:
            raise SystemExit(f"phases of {command.data} failed:\n{done.stderr[-2000:]}")
        for column, value in zip(seen, done.stdout.split(), strict=True):
            column.append(float(value))
    return [statistics.median(column) for column in seen]


def instructions(command: Command) -> int:
    """Instructions executed by one run of the command, counted by callgrind."""
    import re

    argv = command.argv if command.argv[0] == PY else [PY, *command.argv]  # the script under python
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *argv],
            capture_output=True,
            text=True,
            env=command.env,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"callgrind failed on {command.label}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def parse_size(text: str) -> tuple[int, int, int, int]:
    parts = [int(p) for p in text.lower().replace("×", "x").split("x")]
    if len(parts) != 4:
        raise argparse.ArgumentTypeError(f"{text!r}: give PARTNERSHIPSxYEARSxBIDSxSPEND, e.g. 3x5x200x20")
    return parts[0], parts[1], parts[2], parts[3]


def status_command(label: str, url: str, partnership: str | None, data: str) -> Command:
    env = {**os.environ, "GRANTS_DATABASE_URL": url}
    env.pop("GRANTS_PARTNERSHIP", None)
    if partnership:
        env["GRANTS_PARTNERSHIP"] = partnership
    return Command(label, [GRANTS, "status"], data, env)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.startup",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=21, help="timed runs of each command (default 21)")
    parser.add_argument("--db", help="an existing database to time `status` on, as well as the demo")
    parser.add_argument("--partnership", help="partnership slug for --db when it holds several")
    parser.add_argument(
        "--generate",
        action="append",
        default=None,
        metavar="PxYxBxS",
        help="also time `status` on a generated database of this size (partnerships x years x "
        "bids per year x spend lines per project); repeatable; default 3x5x200x20; `none` for none",
    )
    parser.add_argument(
        "--phases",
        action="store_true",
        help="also split `grants status` into phases inside one process, for each database",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each command's instructions under valgrind's callgrind (slow; load-proof)",
    )
    args = parser.parse_args()
    # Time what a user runs: Python caches each module's bytecode on the first run (the warm-up
    # round here) and reads it after. A machine that sets PYTHONDONTWRITEBYTECODE (this project's
    # CI machines do) would make every run compile grants' own sources again, about 25 ms.
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        print("PYTHONDONTWRITEBYTECODE unset for the timed commands: bytecode is cached", file=sys.stderr)
    sizes = [parse_size(s) for s in (args.generate or ["3x5x200x20"]) if s != "none"]
    with tempfile.TemporaryDirectory() as tmp:
        demo = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        subprocess.run([GRANTS, "demo", "--db", demo], check=True, capture_output=True)
        commands = [
            Command("python -c 'import typer'", [PY, "-c", "import typer"]),
            Command("grants --help", [GRANTS, "--help"]),
            Command("python -c 'import sqlmodel, typer, rich'", [PY, "-c", "import sqlmodel, typer, rich"]),
            status_command("grants status", demo, None, "demo (1 year, 10 bids)"),
        ]
        if args.db:
            commands.append(status_command("grants status", args.db, args.partnership, f"--db {args.db}"))
        from bench.generate import generate

        for p, y, b, s in sizes:
            path = Path(tmp) / f"gen-{p}x{y}x{b}x{s}.sqlite"
            made = generate(f"sqlite:///{path}", 1, p, y, b, s, check=False)
            size_mb = path.stat().st_size / 1e6
            data = (
                f"generated {p}×{y}×{b}×{s}: {made.bids:,} bids, {made.spend_lines:,} spend lines, "
                f"{made.ledger_entries:,} ledger entries, {made.audit_events:,} audit events, "
                f"{size_mb:.0f} MB (status reads one partnership: {made.bids // p:,} bids)"
            )
            print(f"built {data} in {made.seconds:.1f} s", file=sys.stderr)
            commands.append(status_command("grants status", made.url, "ashford-csp" if p > 1 else None, data))
        load_before = os.getloadavg()
        measure(commands, args.runs)
        load_after = os.getloadavg()
        report(commands, args.runs, load_before[0], load_after[0])
        if args.phases:
            print(
                f"`grants status` in phases (ms, medians of {args.runs} interpreters): "
                + ", ".join(PHASE_NAMES)
            )
            for command in commands:
                if command.label == "grants status":
                    split = phases(command, args.runs)
                    print(
                        f"{'':4}" + "  ".join(f"{v:8.1f}" for v in split) + f"   {command.data}", flush=True
                    )
        if args.instructions:
            print("instructions (callgrind, one run each):", flush=True)
            counts: dict[int, int] = {}
            for command in commands:
                n = counts[id(command)] = instructions(command)
                line = f"{command.label:44} {n / 1e6:8.0f} M"
                if command is commands[1]:
                    line += f"  {n / counts[id(commands[0])]:.2f}× typer"
                elif command.label == "grants status":
                    floor = counts[id(commands[2])]
                    line += f"  {n / floor:.2f}× the floor (+{(n - floor) / 1e6:.0f} M)"
                print(line, flush=True)


def report(commands: list[Command], runs: int, load_before: float, load_after: float) -> None:
    typer_floor, help_, import_floor = commands[0], commands[1], commands[2]
    print(f"machine: {machine()}")
    print(
        f"date: {time.strftime('%Y-%m-%d %H:%M')}; {runs} runs each, interleaved; load average "
        f"{load_before:.2f} before, {load_after:.2f} after"
    )
    print(f"{'command':44} {'wall ms':>8} {'cpu ms':>8}  verdict (on wall; cpu in brackets)")
    for command in commands:
        line = f"{command.label:44} {command.wall_ms:8.1f} {command.cpu_ms:8.1f}"
        if command is help_:
            ratio, cpu_ratio = command.wall_ms / typer_floor.wall_ms, command.cpu_ms / typer_floor.cpu_ms
            line += (
                f"  {ratio:.2f}× typer ({cpu_ratio:.2f}×); target ≤ 2× → {'met' if ratio <= 2 else 'NOT met'}"
            )
        elif command.label == "grants status":
            margin = command.wall_ms - import_floor.wall_ms
            cpu_margin = command.cpu_ms - import_floor.cpu_ms
            line += (
                f"  +{margin:.0f} ms over the floor (+{cpu_margin:.0f}); target ≤ +150 ms → "
                f"{'met' if margin <= 150 else 'NOT met'}"
            )
        print(line)
        if command.data:
            print(f"{'':4}on {command.data}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
