"""Issue 15: year end on time, carried-forward projects in the year they move into, one definition of
each figure on every screen, one rule for a bid's money year, one clock, and years opened in order.

Every command runs on a day given by GRANTS_TODAY (the command's clock), never the wall clock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Cli, demo_copy
from tests.test_approvals import ok
from tests.test_exports import cell_pence, rows_of

OFFICER, TREASURER, OPCC = "kcc-officer", "treasurer", "opcc"


def on(day: str) -> dict[str, str]:
    return {"GRANTS_TODAY": day}


def run(cli: Cli, day: str, *args: str, actor: str = OFFICER) -> Any:
    return ok(cli(*args, actor=actor, env=on(day)))


def js(cli: Cli, day: str, *args: str, actor: str = OFFICER) -> Any:
    return json.loads(run(cli, day, *args, "--json", actor=actor).stdout)


def refused(cli: Cli, *args: str, actor: str, env: dict[str, str] | None = None, code: int = 1) -> str:
    """A command that must be refused on that day: its exit code, and nothing changed."""
    before = cli.snapshot()
    result = cli(*args, actor=actor, env=env)
    assert result.exit_code == code, result.output
    assert cli.snapshot() == before
    return " ".join(result.stderr.split())


def pay(cli: Cli, day: str, reference: str, amount: str, invoice: str) -> None:
    run(cli, day, "spend", "add", reference, amount, "--date", day, "--supplier", "PES",
        "--invoice", invoice, actor=TREASURER)  # fmt: skip


# --- the three identities, read from every screen ---------------------------------------------------


def assert_pots(pots: dict[str, Any], where: str) -> None:
    """Per pot: Allocated = Committed + Free (also under the historic name, uncommitted)."""
    assert set(pots) == {"upfront", "tactical"}, where
    for kind, f in pots.items():
        assert f["allocated_pence"] == f["committed_pence"] + f["uncommitted_pence"], (where, kind, f)
        assert f["allocated_pence"] == f["committed_pence"] + f["free_pence"], (where, kind, f)
        assert f["committed_pence"] >= f["spent_pence"] >= 0, (where, kind, f)


def assert_project(p: dict[str, Any], where: str) -> None:
    """Per project: Award = Spent + Released + Remaining."""
    assert p["award_pence"] == p["spent_pence"] + p["released_pence"] + p["remaining_pence"], (where, p)
    assert 0 <= p.get("carried_pence", 0) <= p["remaining_pence"], (where, p)


def assert_statement(s: dict[str, Any], where: str) -> None:
    assert_pots(s["pots"], where)
    for p in s["projects"]:
        assert_project(p, where)
    own = [p for p in s["projects"] if p["carried_from"] is None]
    assert s["carried_forward_pence"] == sum(p["carried_pence"] for p in own), where
    inward = s["carried_in"]
    assert inward["carried_in_pence"] == (
        inward["spent_pence"] + inward["returned_pence"] + inward["carried_on_pence"] + inward["held_pence"]
    ), (where, inward)
    if s["status"] == "closed":
        # Per closed year: Allocation = Spent + Returned + Carried (its own allocation)...
        assert (
            s["allocation_pence"] == s["spent_pence"] + s["to_return_pence"] + s["carried_forward_pence"]
        ), (
            where,
            s,
        )
        # ... and what was carried into it is all spent, returned or carried on.
        assert inward["held_pence"] == 0, where


def assert_every_screen(cli: Cli, day: str, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Parse status, pot show, reconcile, year-end and the workbook of every year; assert the
    identities on each. Returns each year's reconcile, by year."""
    years = [y["year"] for y in js(cli, day, "year", "list")]
    reconciled = {}
    for label in years:
        where = f"{label} on {day}"
        status = js(cli, day, "--year", label, "status")
        assert_pots(status["pots"], f"status {where}")
        assert_pots(js(cli, day, "--year", label, "pot", "show")["pots"], f"pot show {where}")
        report = js(cli, day, "report", "reconcile", "--year", label)
        assert_pots(report["pots"], f"reconcile {where}")
        total = report["year_totals"]
        assert total["allocated_pence"] == total["committed_pence"] + total["free_pence"], where
        for p in report["projects"]:
            assert_project(p, f"reconcile {where}")
        reconciled[label] = report
        assert_statement(js(cli, day, "report", "year-end", "--year", label), f"year-end {where}")
        path = tmp_path / f"{label.replace('/', '-')}-{day}.xlsx"
        run(cli, day, "export", "xlsx", "--year", label, "--out", str(path))
        from openpyxl import load_workbook

        book = load_workbook(path)
        summary = [r for r in rows_of(book["Summary"]) if r["Pot"] in ("upfront", "tactical", "Total")]
        assert len(summary) == 3, where
        for row in summary:
            assert cell_pence(row["Allocated"]) == cell_pence(row["Committed"]) + cell_pence(row["Free"]), (
                where,
                row,
            )
        sheet = rows_of(book["Projects"])
        assert [r["Reference"] for r in sheet] == [p["reference"] for p in report["projects"]], where
        for row, line in zip(sheet, report["projects"], strict=True):
            award, spent = cell_pence(row["Award"]), cell_pence(row["Spent"])
            released, remaining = cell_pence(row["Released"]), cell_pence(row["Remaining"])
            assert award == spent + released + remaining, (where, row)
            assert (award, spent, released, remaining) == (
                line["award_pence"],
                line["spent_pence"],
                line["released_pence"],
                line["remaining_pence"],
            ), (where, row)
            assert (row["Carried from"] or None) == line["carried_from"], (where, row)
    return reconciled


def check_clean(cli: Cli, day: str) -> None:
    result = cli("check", actor=OFFICER, env=on(day))
    assert result.exit_code == 0, result.stdout + result.stderr


def test_three_years_carrying_a_project_twice_add_up_on_every_screen(cli: Cli, tmp_path: Path) -> None:
    demo_copy(cli.url)
    assert_every_screen(cli, "2025-03-31", tmp_path)
    # 2024/25 ends: the PCC agrees to carry CRG-2425-007 (£1,500 left of £3,500) into 2025/26.
    run(cli, "2025-04-10", "rollover", "2024/25", "--carry-forward", "CRG-2425-007", "--apply")
    check_clean(cli, "2025-04-10")
    seen = assert_every_screen(cli, "2025-04-10", tmp_path)
    (line,) = seen["2025/26"]["projects"]
    assert (line["reference"], line["carried_from"], line["award_pence"], line["remaining_pence"]) == (
        "CRG-2425-007",
        "2024/25",
        150_000,
        150_000,
    )
    earlier = next(p for p in seen["2024/25"]["projects"] if p["reference"] == "CRG-2425-007")
    assert (earlier["award_pence"], earlier["spent_pence"], earlier["carried_pence"]) == (
        350_000,
        200_000,
        150_000,
    )

    # In 2025/26 it is paid a little, its award goes down, its end date moves, and it is carried again.
    pay(cli, "2025-05-02", "CRG-2425-007", "400", "PES-MAY")
    run(cli, "2025-06-01", "vary", "CRG-2425-007", "3,300", "--reason", "One session fewer", actor=OPCC)
    run(cli, "2025-06-01", "end-date", "CRG-2425-007", "2026-09-30", "--reason", "Runs on", actor=OPCC)
    check_clean(cli, "2025-06-01")
    assert_every_screen(cli, "2025-06-01", tmp_path)
    preview = js(cli, "2026-04-02", "rollover", "2025/26")
    assert any("CRG-2425-007" in b for b in preview["blockers"]), preview["blockers"]
    run(cli, "2026-04-02", "rollover", "2025/26", "--carry-forward", "CRG-2425-007", "--apply")
    check_clean(cli, "2026-04-02")
    seen = assert_every_screen(cli, "2026-04-02", tmp_path)
    middle = next(p for p in seen["2025/26"]["projects"] if p["reference"] == "CRG-2425-007")
    assert (
        middle["award_pence"],
        middle["spent_pence"],
        middle["released_pence"],
        middle["carried_pence"],
    ) == (
        150_000,
        40_000,
        20_000,
        90_000,
    )
    (last,) = seen["2026/27"]["projects"]
    assert (last["carried_from"], last["award_pence"]) == ("2024/25", 90_000)

    # In 2026/27 it finishes under budget and closes; the underspend goes back to the PCC.
    pay(cli, "2026-05-05", "CRG-2425-007", "700", "PES-MAY-2")
    run(cli, "2026-06-01", "delivery", "complete", "CRG-2425-007", "--outcome", "All sessions held")
    run(cli, "2026-06-02", "close", "CRG-2425-007", actor=TREASURER)
    check_clean(cli, "2026-06-02")
    assert_every_screen(cli, "2026-06-02", tmp_path)
    run(cli, "2027-04-01", "rollover", "2026/27", "--apply")
    check_clean(cli, "2027-04-01")
    seen = assert_every_screen(cli, "2027-04-01", tmp_path)
    closed = js(cli, "2027-04-01", "report", "year-end", "--year", "2026/27")
    assert closed["carried_in"] | {"projects": []} == {
        "carried_in_pence": 90_000,
        "carried_in": "£900",
        "spent_pence": 70_000,
        "spent": "£700",
        "returned_pence": 20_000,
        "returned": "£200",
        "carried_on_pence": 0,
        "carried_on": "£0",
        "held_pence": 0,
        "held": "£0",
        "projects": [],
    }
    assert (closed["to_return_pence"], closed["allocation_pence"]) == (closed["allocation_pence"], 3_966_100)


def test_demo_rollover_then_the_carried_project_blocks_until_closed_or_carried(cli: Cli) -> None:
    demo_copy(cli.url, rollover=True)
    day = "2026-04-02"
    check_clean(cli, day)
    status = js(cli, day, "status")
    assert status["year"] == "2025/26"
    assert status["carried_in"] == [
        {"reference": "CRG-2425-007", "status": "in_delivery", "carried_from": "2024/25"}
    ]
    assert status["bids_by_state"] == {"in_delivery": 1}
    shown = js(cli, day, "pot", "show")
    assert [(p["reference"], p["carried_from"], p["award_pence"]) for p in shown["carried_in"]] == [
        ("CRG-2425-007", "2024/25", 150_000)
    ]
    listed = js(cli, day, "bid", "list")
    assert [(b["reference"], b["carried_from"]) for b in listed] == [("CRG-2425-007", "2024/25")]
    assert "carried from 2024/25" in run(cli, day, "bid", "list").stdout
    plan = json.loads(run(cli, day, "report", "action-plan", "--format", "json").stdout)
    assert [(a["reference"], a["carried_from"]) for a in plan["actions"]] == [("CRG-2425-007", "2024/25")]
    group = json.loads(run(cli, day, "report", "working-group", "--format", "json").stdout)
    assert [p["reference"] for p in group["carried_in"]] == ["CRG-2425-007"]

    preview = js(cli, day, "rollover", "2025/26")
    assert len(preview["blockers"]) == 1 and "CRG-2425-007" in preview["blockers"][0]
    check_clean(cli, day)
    message = refused(cli, "rollover", "2025/26", "--apply", actor=OFFICER, env=on(day))
    assert "CRG-2425-007" in message
    check_clean(cli, day)

    # Carried again: 2025/26 closes, the project moves on into 2026/27, the books stay clean.
    carried = js(cli, day, "rollover", "2025/26", "--carry-forward", "CRG-2425-007", "--apply")
    assert [c["reference"] for c in carried["carried"]] == ["CRG-2425-007"]
    check_clean(cli, day)
    assert js(cli, day, "status")["carried_in"][0]["reference"] == "CRG-2425-007"
    assert "CRG-2425-007" in " ".join(js(cli, "2027-04-01", "rollover", "2026/27")["blockers"])


def test_demo_rollover_then_closing_the_carried_project_lets_the_year_close(cli: Cli) -> None:
    demo_copy(cli.url, rollover=True)
    day = "2025-09-01"
    run(cli, day, "delivery", "complete", "CRG-2425-007", "--outcome", "Held")
    run(cli, day, "close", "CRG-2425-007", actor=TREASURER)
    check_clean(cli, day)
    later = "2026-04-02"
    preview = js(cli, later, "rollover", "2025/26")
    assert preview["blockers"] == []
    run(cli, later, "rollover", "2025/26", "--apply")
    check_clean(cli, later)
    closed = js(cli, later, "report", "year-end", "--year", "2025/26")
    assert closed["carried_in"]["returned_pence"] == 150_000  # the unspent £1,500, back to the PCC


def test_rollover_before_the_year_end_is_refused_unless_closed_early_with_a_reason(demo: Cli) -> None:
    day = "2025-03-01"
    preview = js(demo, day, "rollover", "2024/25", "--carry-forward", "CRG-2425-007")
    assert preview["days_left"] == 30 and preview["ends_on"] == "2025-03-31"
    assert "30 days" in run(demo, day, "rollover", "2024/25").stdout
    result = demo(
        "rollover", "2024/25", "--carry-forward", "CRG-2425-007", "--apply", actor=OFFICER, env=on(day)
    )
    assert result.exit_code == 1, result.stdout
    assert "--close-early" in result.stderr and "31 March 2025" in result.stderr
    assert "--close-early" in demo("rollover", "--help").stdout
    result = demo("rollover", "2024/25", "--carry-forward", "CRG-2425-007", "--apply", "--close-early",
                  actor=OFFICER, env=on(day))  # fmt: skip
    assert result.exit_code == 2 and "--reason" in result.stderr
    assert js(demo, day, "year", "list")[0]["status"] == "open"
    closed = js(demo, day, "rollover", "2024/25", "--carry-forward", "CRG-2425-007", "--apply", "--close-early",
                "--reason", "The PCC's office asked for the books early")  # fmt: skip
    assert closed["applied"] is True and closed["closed_early"] is True
    (event,) = [e for e in js(demo, day, "audit", "log", "year 2024/25") if e["action"] == "year.rollover"]
    assert event["reason"] == "The PCC's office asked for the books early"
    assert event["details"]["closed_early"] is True
    assert js(demo, day, "report", "year-end", "--year", "2024/25")["closed_early"] is True


def test_on_the_end_date_and_after_no_flag_is_needed(demo: Cli) -> None:
    preview = js(demo, "2025-03-31", "rollover", "2024/25", "--carry-forward", "CRG-2425-007")
    assert preview["days_left"] == 0 and preview["blockers"] == []
    run(demo, "2025-03-31", "rollover", "2024/25", "--carry-forward", "CRG-2425-007", "--apply")


def test_spend_dated_in_an_open_year_is_recordable_after_its_end_until_the_rollover(demo: Cli) -> None:
    # Final invoices come in April: 2024/25 is still open, so March's invoice is recorded.
    result = demo("spend", "add", "CRG-2425-007", "100", "--date", "2025-03-28", "--supplier", "PES",
                  "--invoice", "PES-MARCH", actor=TREASURER, env=on("2025-04-20"))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    run(demo, "2025-04-21", "rollover", "2024/25", "--carry-forward", "CRG-2425-007", "--apply")
    message = refused(demo, "spend", "add", "CRG-2425-007", "100", "--date", "2025-03-29", "--supplier", "PES",
                      actor=TREASURER, env=on("2025-04-22"))  # fmt: skip
    assert "outside 2025/26" in message
    # The carried project is paid, varied down and cancelled in its new year like any other.
    run(demo, "2025-05-01", "spend", "add", "CRG-2425-007", "50", "--date", "2025-05-01", "--supplier", "PES",
        actor=TREASURER)  # fmt: skip
    run(demo, "2025-05-02", "vary", "CRG-2425-007", "3,000", "--reason", "Less needed", actor=OPCC)
    run(demo, "2025-05-03", "cancel", "CRG-2425-007", "--reason", "Provider withdrew", actor=OPCC)
    check_clean(demo, "2025-05-03")


def test_end_date_is_for_the_opcc_and_audited(demo: Cli) -> None:
    day = "2025-02-01"
    assert "role pcc" in refused(demo, "end-date", "CRG-2425-007", "2025-06-30", "--reason", "x",
                                 actor=OFFICER, env=on(day))  # fmt: skip
    shown = js(demo, day, "end-date", "CRG-2425-007", "2025-06-30", "--reason", "Venue later", actor=OPCC)
    assert (shown["from"], shown["to"]) == ("2025-02-28", "2025-06-30")
    assert js(demo, day, "bid", "show", "CRG-2425-007")["delivery_end"] == "2025-06-30"
    (event,) = [e for e in js(demo, day, "audit", "log", "CRG-2425-007") if e["action"] == "bid.end_date"]
    assert event["reason"] == "Venue later"
    assert "2024-03-31 is before 2024/25" in refused(
        demo, "end-date", "CRG-2425-007", "2024-03-31", "--reason", "x", actor=OPCC, env=on(day), code=2
    )
    assert "closed" in refused(demo, "end-date", "CRG-2425-001", "2025-06-30", "--reason", "x", actor=OPCC,
                               env=on(day))  # fmt: skip
    check_clean(demo, day)


def test_years_open_in_order_and_init_names_the_year_of_today(cli: Cli) -> None:
    result = cli("init", "--partnership", "Test CSP", "--slug", "tcsp", "--officer", "off",
                 "--officer-name", "Officer", env=on("2026-12-02"))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "year open 2026/27" in result.stdout + result.stderr
    ok(cli("year", "open", "2026/27", "--allocation", "10,000", actor="off", env=on("2026-12-02")))
    for label, why in (("2028/29", "skip"), ("2025/26", "not after")):
        message = refused(
            cli, "year", "open", label, "--allocation", "10,000", actor="off", env=on("2026-12-02")
        )
        assert why in message and "the next year is 2027/28" in message, message
    assert "still open" in refused(
        cli, "year", "open", "2027/28", "--allocation", "1", actor="off", env=on("2026-12-02")
    )


def test_a_replayed_demo_creates_nothing_after_it_is_submitted(demo: Cli) -> None:
    for bid in js(demo, "2025-04-01", "bid", "list"):
        shown = js(demo, "2025-04-01", "bid", "show", bid["reference"])
        assert shown["created_at"] <= shown["submitted_at"], shown
        assert shown["created_at"][:4] == "2024", shown
