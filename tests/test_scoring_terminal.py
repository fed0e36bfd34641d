"""Scoring on a real pseudo-terminal, typed as a person would: the --plain prompts (and Ctrl-C
halfway through them) and the full-screen sheet."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Cli

GRANTS = str(Path(sys.executable).with_name("grants"))


def read_until(fd: int, wanted: str, seen: list[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while wanted not in "".join(seen):
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {wanted!r}; screen so far:\n{''.join(seen)}")
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen.append(os.read(fd, 4096).decode("utf-8", "replace"))
            except OSError:
                break


def start(cli: Cli, *args: str) -> tuple[int, subprocess.Popen]:
    """`grants --as wg-kfrs ARGS` on a new 80×24 pseudo-terminal; returns its reading end."""
    import fcntl
    import struct
    import termios

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "GRANTS_DATABASE_URL": cli.url, "TERM": "xterm-256color"}
    env.pop("COLUMNS", None)

    def own_terminal() -> None:  # a session whose controlling terminal is the pty: Ctrl-C sends SIGINT
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [GRANTS, "--as", "wg-kfrs", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        preexec_fn=own_terminal,
    )
    os.close(child)
    return main, process


installed = pytest.mark.skipif(not Path(GRANTS).exists(), reason="the grants console script is not installed")


@installed
def test_score_prompts_on_a_real_terminal(round_: Cli) -> None:
    main, process = start(round_, "score", "CRG-2425-008", "--plain")
    seen: list[str] = []
    try:
        read_until(main, "Rural business crime signage", seen)
        for answer in ("4", "na", "3", "4", "5", "4"):
            read_until(main, "0–5 or na", seen)
            seen.clear()
            os.write(main, f"{answer}\r".encode())
        read_until(main, "Stance", seen)
        os.write(main, b"support\r")
        read_until(main, "Comment", seen)
        os.write(main, b"Well evidenced\r")
        read_until(main, "Submit this sheet?", seen)
        os.write(main, b"y\r")
        read_until(main, "Scored CRG-2425-008", seen)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        os.close(main)
    assert "Scored CRG-2425-008: 80.0% (support)." in "".join(seen)


@installed
def test_score_prompts_ctrl_c_halfway_says_nothing_was_saved(round_: Cli) -> None:
    before = round_.snapshot()
    main, process = start(round_, "score", "CRG-2425-008", "--plain")
    seen: list[str] = []
    try:
        read_until(main, "0–5 or na", seen)
        os.write(main, b"4\r")
        read_until(main, "(fit_csa", seen)
        os.write(main, b"\x03")  # Ctrl-C: the terminal sends SIGINT
        read_until(main, "Cancelled", seen)
        assert process.wait(timeout=20) == 1
        read_until(main, "CRG-2425-008.", seen)
    finally:
        process.kill()
        os.close(main)
    screen = "".join(seen)
    assert "Cancelled: nothing was saved for CRG-2425-008." in screen
    assert "no answer to the prompts" not in screen and "Traceback" not in screen
    assert round_.snapshot() == before


@installed
def test_score_sheet_on_a_real_terminal(round_: Cli) -> None:
    main, process = start(round_, "score", "CRG-2425-008")
    seen: list[str] = []
    try:
        read_until(main, "Rural business crime signage", seen)
        read_until(main, "0 Not addressed", seen)  # shown once the first criterion has the focus
        for key in ("4", "n", "3", "4", "5", "4", "s"):
            os.write(main, key.encode())
            time.sleep(0.05)
        os.write(main, b"Well evidenced")
        read_until(main, "80.0%", seen)
        os.write(main, b"\x13")  # Ctrl+S
        read_until(main, "Scored CRG-2425-008", seen)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        os.close(main)
    assert "Scored CRG-2425-008: 80.0% (support)." in "".join(seen)
    assert "bid 8 of 8; 8 waiting for your sheet" in "".join(seen)
