"""The score prompts on a real pseudo-terminal, answered as a person would type them."""

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


@pytest.mark.skipif(not Path(GRANTS).exists(), reason="the grants console script is not installed")
def test_score_prompts_on_a_real_terminal(round_: Cli) -> None:
    main, child = pty.openpty()
    env = {**os.environ, "GRANTS_DATABASE_URL": round_.url, "COLUMNS": "100", "TERM": "xterm"}
    process = subprocess.Popen(
        [GRANTS, "--as", "wg-kfrs", "score", "CRG-2425-008"], stdin=child, stdout=child, stderr=child, env=env
    )
    os.close(child)
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
