"""Issue 15 on a real PostgreSQL server: the demo's carried project in 2025/26, its rollover blocked
until it is carried again, and the three identities on every screen of every year."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli
from tests.test_year_end_figures import assert_every_screen, check_clean, js, run


def test_demo_rollover_then_carried_again_on_postgres(pg_url: str, tmp_path: Path) -> None:
    cli = Cli(pg_url)
    built = cli("demo", "--db", pg_url, "--rollover")
    assert built.exit_code == 0, built.output
    day = "2026-04-02"
    check_clean(cli, day)
    assert js(cli, day, "status")["carried_in"][0]["reference"] == "CRG-2425-007"
    assert any("CRG-2425-007" in b for b in js(cli, day, "rollover", "2025/26")["blockers"])
    assert (
        cli("rollover", "2025/26", "--apply", actor="kcc-officer", env={"GRANTS_TODAY": day}).exit_code == 1
    )
    run(cli, day, "rollover", "2025/26", "--carry-forward", "CRG-2425-007", "--apply")
    check_clean(cli, day)
    seen = assert_every_screen(cli, day, tmp_path)
    (line,) = seen["2026/27"]["projects"]
    assert (line["reference"], line["carried_from"], line["award_pence"]) == (
        "CRG-2425-007",
        "2024/25",
        150_000,
    )
