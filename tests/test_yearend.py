"""Year end: the statement, the rollover (returns, carry-forward, withdrawals), closed years, and
the dashboard."""

from __future__ import annotations

import json

from tests.conftest import Cli
from tests.test_approvals import ok, pots, refused


def statement(cli: Cli, *args: str, actor: str = "kcc-officer") -> dict:  # type: ignore[type-arg]
    return json.loads(ok(cli(*args, "--json", actor=actor)).stdout)


def finish_007(demo: Cli, pay: str = "1,500") -> None:
    """Pay the deferred project in full (its award is all it requested, which a variation may not
    exceed: the award rule), complete and close it."""
    ok(
        demo(
            "spend",
            "add",
            "CRG-2425-007",
            pay,
            "--date",
            "2025-03-20",
            "--supplier",
            "PES",
            actor="treasurer",
        )
    )
    ok(demo("delivery", "complete", "CRG-2425-007", "--outcome", "Two CPD events held", actor="kcc-officer"))
    ok(demo("close", "CRG-2425-007", actor="treasurer"))


def test_return_of_the_underspend_once(demo: Cli) -> None:
    finish_007(demo)
    preview = statement(demo, "rollover", "2024/25")
    assert (preview["spent"], preview["to_return"], preview["blockers"]) == ("£28,278", "£11,383", [])
    assert preview["applied"] is False and preview["provisional"] is True
    assert preview["next_year"] == "2025/26" and preview["next_allocation"] == "£39,661"
    applied = statement(demo, "rollover", "2024/25", "--apply")
    assert applied["applied"] is True and applied["to_return"] == "£11,383"
    year_end = statement(demo, "report", "year-end", "--year", "2024/25")
    assert (year_end["status"], year_end["to_return"], year_end["spent"]) == ("closed", "£11,383", "£28,278")
    assert year_end["pots"]["upfront"]["returned"] == "£1,162"
    ok(demo("check"))
    new = pots(demo)
    assert new["year"] == "2025/26" and new["status"] == "open"
    assert (new["pots"]["upfront"]["allocated"], new["pots"]["tactical"]["allocated"]) == (
        "£26,440",
        "£13,221",
    )
    message = refused(
        demo,
        "spend",
        "add",
        "CRG-2425-003",
        "5",
        "--date",
        "2025-01-10",
        "--supplier",
        "X",
        actor="treasurer",
    )
    assert message == "Error: CRG-2425-003 belongs to 2024/25, which is closed; nothing in it can change"
    again = demo("rollover", "2024/25", "--apply", actor="kcc-officer")
    assert (
        again.exit_code == 0
        and "2024/25 is already closed and 2025/26 is open; nothing changed." in again.stdout
    )
    returned = statement(demo, "report", "year-end", "--year", "2024/25")["to_return"]
    assert returned == "£11,383"
    log = json.loads(ok(demo("audit", "log", "--json")).stdout)
    assert [e["action"] for e in log].count("year.rollover") == 1


def test_unclosed_project_blocks_and_nothing_changes(demo: Cli) -> None:
    preview = statement(demo, "rollover", "2024/25")
    assert preview["blockers"] == [
        "1 project not closed: CRG-2425-007 (in_delivery) (close them with `grants close`, or carry them "
        "forward with --carry-forward REF when the PCC has agreed)"
    ]
    message = refused(demo, "rollover", "2024/25", "--apply", actor="kcc-officer")
    assert message.startswith("Error: 2024/25 cannot be rolled over yet: 1 project not closed: CRG-2425-007")
    assert "role officer" in refused(demo, "rollover", "2024/25", "--apply", actor="treasurer")
    assert refused(demo, "rollover", "2024/25", "--to", "2026/27", actor="kcc-officer", code=2) == (
        "Error: 2024/25 rolls over into 2025/26, not 2026/27"
    )
    assert "only a funded project" in refused(
        demo, "rollover", "2024/25", "--carry-forward", "CRG-2425-001", actor="kcc-officer"
    )


def test_carry_forward_moves_the_rest_of_the_award(demo: Cli) -> None:
    applied = statement(
        demo, "rollover", "2024/25", "--carry-forward", "crg-2425-007", "--apply", "--allocation", "40,000"
    )
    assert applied["carried"] == [{"reference": "CRG-2425-007", "amount_pence": 150_000, "amount": "£1,500"}]
    assert (applied["to_return"], applied["next_allocation"]) == ("£11,383", "£40,000")
    ok(demo("check"))
    new = pots(demo)["pots"]
    assert (new["upfront"]["allocated"], new["tactical"]["allocated"]) == ("£26,666", "£13,334")
    args = ("spend", "add", "CRG-2425-007", "400", "--supplier", "PES")
    assert "outside 2025/26" in refused(demo, *args, "--date", "2025-03-01", actor="treasurer")
    ok(demo(*args, "--date", "2025-05-02", actor="treasurer"))
    ok(demo("delivery", "complete", "CRG-2425-007", "--outcome", "Held in May", actor="kcc-officer"))
    closed = ok(demo("close", "CRG-2425-007", actor="treasurer"))
    assert "£1,100 of its award was not spent and goes back to the PCC" in " ".join(closed.stdout.split())
    assert pots(demo)["pots"]["upfront"]["uncommitted"] == "£26,666"  # outside the new allocation
    report = statement(demo, "report", "reconcile", "--year", "2025/26", actor="treasurer")
    assert report["balanced"] is True
    assert [(p["reference"], p["spent"], p["released"]) for p in report["projects"]] == [
        ("CRG-2425-007", "£400", "£1,100")
    ]
    ok(demo("check"))


def test_withdraw_pending_bids_at_rollover(shortlisted: Cli) -> None:
    preview = statement(shortlisted, "rollover", "2024/25")
    assert preview["blockers"][0].startswith("7 bids still before a decision: CRG-2425-001, ")
    applied = statement(shortlisted, "rollover", "2024/25", "--withdraw-pending", "--apply")
    assert applied["to_return"] == "£39,661" and len(applied["withdrawn_bids"]) == 7
    history = json.loads(ok(shortlisted("bid", "history", "CRG-2425-001", "--json")).stdout)
    assert history[-1]["action"] == "bid.withdraw"
    assert history[-1]["reason"] == "withdrawn at the rollover of 2024/25: no decision before the year ended"
    ok(shortlisted("check"))


def test_a_closed_year_refuses_writes(demo: Cli) -> None:
    ok(demo("rollover", "2024/25", "--carry-forward", "CRG-2425-007", "--apply", actor="kcc-officer"))
    message = refused(
        demo,
        "pot",
        "transfer",
        "1",
        "--from",
        "upfront",
        "--to",
        "tactical",
        "--reason",
        "x",
        "--year",
        "2024/25",
        actor="kcc-officer",
    )
    assert message == "Error: the year 2024/25 is closed; nothing in it can change"
    assert "2024/25 is closed" in refused(demo, "cancel", "CRG-2425-003", "--reason", "x", actor="opcc")


def test_year_end_is_provisional_while_open(demo: Cli) -> None:
    data = statement(demo, "report", "year-end")
    assert data["provisional"] is True and data["to_return"] == "£11,383"
    assert data["projects"][0]["underspend"] == "£1,000"


def test_dashboard_warns_about_what_needs_attention(shortlisted: Cli) -> None:
    board = json.loads(ok(shortlisted("status", "--json", env={"GRANTS_TODAY": "2025-01-15"})).stdout)
    assert board["bids_by_state"] == {"shortlisted": 7, "not_shortlisted": 2}
    assert board["warnings"][0] == "£39,661 is still uncommitted with 3 months of 2024/25 left"
    assert board["warnings"][1].startswith(
        "the tactical pot is shut until every upfront bid is decided; held by"
    )
    late = json.loads(ok(shortlisted("status", "--json", env={"GRANTS_TODAY": "2025-04-02"})).stdout)
    assert late["warnings"][0].startswith("2024/25 ended on 2025-03-31; close it and open the next year")
    shown = ok(shortlisted("status", env={"GRANTS_TODAY": "2025-01-15"})).stdout
    assert "Bids: 7 shortlisted, 2 not_shortlisted." in shown


def test_dashboard_names_missing_quorum(round_: Cli) -> None:
    board = json.loads(ok(round_("status", "--json", env={"GRANTS_TODAY": "2024-05-01"})).stdout)
    lacking = [w for w in board["warnings"] if "lacks quorum" in w]
    assert len(lacking) == 9
    assert lacking[0].startswith(
        "CRG-2425-001 lacks quorum: needs 4 responsible authorities, has 0; still to score: wg-district "
        "(districts), wg-kfrs (kfrs), wg-nhs (nhs-icb), wg-police (kent-police), wg-probation (probation)"
    )


def test_dashboard_names_overdue_projects(demo: Cli) -> None:
    board = json.loads(ok(demo("status", "--json", env={"GRANTS_TODAY": "2025-03-10"})).stdout)
    assert "CRG-2425-007 was due to end on 2025-02-28 and is still in_delivery" in board["warnings"]
    assert board["bids_by_state"] == {"not_shortlisted": 2, "in_delivery": 1, "closed": 7}


def test_demo_rollover_opens_the_next_year(cli: Cli) -> None:
    built = cli("demo", "--db", cli.url, "--rollover")
    assert built.exit_code == 0, built.output
    assert "Returned to the PCC: £11,383" in built.stdout
    assert "Carried forward into 2025/26: £1,500 (CRG-2425-007 £1,500)" in built.stdout
    years = json.loads(ok(cli("year", "list", "--json")).stdout)
    assert [(y["year"], y["status"], y["allocation"]) for y in years] == [
        ("2024/25", "closed", "£39,661"),
        ("2025/26", "open", "£39,661"),
    ]
    ok(cli("check"))
    ok(cli("audit", "verify"))
