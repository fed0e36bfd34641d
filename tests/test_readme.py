"""The README's walk through a year runs exactly as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    block = re.search(
        r"<!-- walkthrough -->\n```sh\n(.*?)```\n<!-- /walkthrough -->", README.read_text(), re.S
    )
    assert block is not None, "README has no walkthrough block"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANTS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["COLUMNS"] = "120"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.group(1)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CRG-2425-001 closed: £150 of its award was not spent" in " ".join(result.stdout.split())
    assert "The audit chain verifies" in result.stdout
    assert "Closed 2024/25 and opened 2025/26 with an allocation of £39,661." in result.stdout
    assert (tmp_path / "kcsp-books.journal").stat().st_size > 0
