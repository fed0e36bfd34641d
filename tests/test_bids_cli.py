"""Bids through the command line: creating, editing, the lifecycle, freezing and history."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli, demo_copy

FULL = [
    "--summary",
    "Two days of training",
    "--pcc-priority",
    "asb-and-crime",
    "--csa-priority",
    "neighbourhood-crime-asb",
    "--outcomes",
    "Confident practitioners",
    "--measures",
    "Attendance and survey",
    "--ends",
    "2025-03-31",
]


@pytest.fixture
def setup(cli: Cli) -> Cli:
    demo_copy(cli.url, "setup")
    return cli


def new_bid(cli: Cli, *extra: str, actor: str = "wg-police", amount: str = "6,000") -> str:
    result = cli("bid", "new", "--title", "ASB training", "--amount", amount, *extra, "--json", actor=actor)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["reference"]


def test_bid_goes_draft_submitted_scoring_with_history(setup: Cli) -> None:
    ref = new_bid(setup, *FULL)
    assert ref == "CRG-2425-001"
    assert setup("bid", "submit", ref, actor="wg-police").exit_code == 0
    opened = setup("scoring", "open", ref, actor="kcc-officer")
    assert opened.exit_code == 0, opened.output
    assert opened.stdout.strip() == "Opened 1 bid for scoring: CRG-2425-001."
    history = json.loads(setup("bid", "history", ref, "--json").stdout)
    assert [(e["action"], e["actor"], e["from"], e["to"]) for e in history] == [
        ("bid.new", "wg-police", None, "draft"),
        ("bid.submit", "wg-police", "draft", "submitted"),
        ("bid.open_scoring", "kcc-officer", "submitted", "scoring"),
    ]
    assert all(re.match(r"\d{4}-\d\d-\d\dT", e["at"]) for e in history)
    table = setup("bid", "history", ref).stdout
    assert "kcc-officer" in table and "open_scoring" in table


def test_references_count_up_per_year(setup: Cli) -> None:
    assert [new_bid(setup) for _ in range(3)] == ["CRG-2425-001", "CRG-2425-002", "CRG-2425-003"]


def test_withdraw_in_scoring_then_submit_names_state_and_allowed(setup: Cli) -> None:
    ref = new_bid(setup, *FULL)
    setup("bid", "submit", ref, actor="wg-police")
    setup("scoring", "open", "--all", actor="kcc-officer")
    withdrawn = setup("bid", "withdraw", ref, "--reason", "Funded by the force instead", actor="wg-police")
    assert withdrawn.exit_code == 0, withdrawn.output
    again = setup("bid", "submit", ref, actor="wg-police")
    assert again.exit_code == 1
    assert (
        "CRG-2425-001: cannot submit a bid that is withdrawn; from withdrawn the allowed actions are: none"
        in again.stderr
    )
    history = json.loads(setup("bid", "history", ref, "--json").stdout)
    assert history[-1]["reason"] == "Funded by the force instead"


def test_withdraw_needs_a_reason(setup: Cli) -> None:
    ref = new_bid(setup)
    result = setup("bid", "withdraw", ref, "--reason", "  ", actor="wg-police")
    assert result.exit_code == 1
    assert "give a reason (--reason) to withdraw CRG-2425-001" in result.stderr


def test_member_of_other_organisation_cannot_submit(setup: Cli) -> None:
    ref = new_bid(setup, *FULL)
    result = setup("bid", "submit", ref, actor="wg-kfrs")
    assert result.exit_code == 1
    assert (
        "wg-kfrs may not submit CRG-2425-001 (draft): the action submit needs the role officer or lead "
        "(a member of the bid's lead organisation) (wg-kfrs has member)" in result.stderr
    )


def test_submit_lists_missing_fields(setup: Cli) -> None:
    ref = new_bid(setup)
    result = setup("bid", "submit", ref, actor="wg-police")
    assert result.exit_code == 1
    assert (
        "cannot be submitted yet: it needs summary, outcomes, measures, a PCC priority, "
        "a CSA priority, a delivery end date" in result.stderr
    )


def test_submit_refuses_amount_beyond_pot(setup: Cli) -> None:
    ref = new_bid(setup, *FULL, amount="30,000")
    result = setup("bid", "submit", ref, actor="wg-police")
    assert result.exit_code == 1
    assert "asks for £30,000, more than the whole upfront pot of £26,440" in result.stderr


def test_delivery_end_outside_year_needs_explanation(setup: Cli) -> None:
    args = [a if a != "2025-03-31" else "2025-06-30" for a in FULL]
    ref = new_bid(setup, *args)
    refused = setup("bid", "submit", ref, actor="wg-police")
    assert "an explanation of why delivery ends on 2025-06-30 outside 2024/25" in refused.stderr
    setup("bid", "edit", ref, "--explanation", "Summer delivery agreed with the OPCC", actor="wg-police")
    assert setup("bid", "submit", ref, actor="wg-police").exit_code == 0


def test_unknown_priority_is_bad_input(setup: Cli) -> None:
    result = setup(
        "bid", "new", "--title", "X", "--amount", "100", "--pcc-priority", "world-peace", actor="wg-police"
    )
    assert result.exit_code == 2
    assert "unknown PCC priority 'world-peace' for 2024/25" in result.stderr


def test_edit_only_in_draft(setup: Cli) -> None:
    ref = new_bid(setup, *FULL)
    edited = setup("bid", "edit", ref, "--amount", "5,500", actor="wg-police")
    assert edited.exit_code == 0 and edited.stdout.strip() == "Edited CRG-2425-001: amount requested pence."
    setup("bid", "submit", ref, actor="wg-police")
    frozen = setup("bid", "edit", ref, "--amount", "9,000", actor="wg-police")
    assert frozen.exit_code == 1
    assert "CRG-2425-001 is submitted: its content is frozen once submitted" in frozen.stderr


def test_edit_by_outsider_is_refused(setup: Cli) -> None:
    ref = new_bid(setup)
    result = setup("bid", "edit", ref, "--title", "Mine now", actor="wg-kfrs")
    assert result.exit_code == 1
    assert (
        "wg-kfrs may not edit CRG-2425-001: the action edit-bid needs the role officer or lead"
        in result.stderr
    )


def test_bid_list_filters_and_show_lists_allowed_triggers(round_: Cli) -> None:
    rows = json.loads(round_("bid", "list", "--state", "scoring", "--org", "kcc", "--json").stdout)
    assert len(rows) == 6 and {r["organisation"] for r in rows} == {"kcc"}
    assert json.loads(round_("bid", "list", "--pot", "tactical", "--json").stdout) == []
    shown = json.loads(round_("bid", "show", "CRG-2425-008", "--json", actor="kcc-officer").stdout)
    assert shown["you_may"] == ["decline", "shortlist", "withdraw"]
    assert shown["amount_requested_pence"] == 220000
    bad = round_("bid", "list", "--state", "pending")
    assert bad.exit_code == 2 and "state 'pending' is not a bid state" in bad.stderr


def test_raw_sql_change_to_submitted_bid_fails_verify(round_: Cli) -> None:
    assert round_("audit", "verify").exit_code == 0
    path = round_.url.split("///", 1)[1]
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE bid SET amount_requested_pence = 900000 WHERE reference = 'CRG-2425-003'")
    result = round_("audit", "verify")
    assert result.exit_code == 4
    assert "bid CRG-2425-003 differs from its last audited content" in result.stdout + result.stderr


def test_raw_sql_change_of_state_fails_verify(round_: Cli) -> None:
    path = round_.url.split("///", 1)[1]
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE bid SET status = 'funded' WHERE reference = 'CRG-2425-001'")
    result = round_("audit", "verify")
    assert result.exit_code == 4
    assert "bid CRG-2425-001 is funded but its audit trail left it scoring" in result.stderr


def test_demo_has_nine_bids_in_scoring(round_: Cli) -> None:
    rows = json.loads(round_("bid", "list", "--json").stdout)
    assert len(rows) == 9 and {r["status"] for r in rows} == {"scoring"}
    assert sum(r["amount_requested_pence"] for r in rows[:7]) == 2_627_800


def test_workflow_diagram_matches_readme(cli: Cli) -> None:
    diagram = cli("workflow", "diagram", "--format", "mermaid").stdout
    assert diagram.startswith("---\nBid lifecycle\n---\nstateDiagram-v2")
    from workflows.bid_lifecycle import BidStatus

    assert all(f'state "{s.value}" as {s.value}' in diagram for s in BidStatus)
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == diagram


def test_no_bare_state_strings_in_grants_or_cli() -> None:
    from workflows.bid_lifecycle import BidStatus

    root = Path(__file__).parent.parent
    states = "|".join(s.value for s in BidStatus)
    pattern = re.compile(rf"""["']({states})["']""")
    # Allowed: another enum's member declaration (`closed = "closed"`) and the `scoring` command name,
    # as a sub-app's name or an entry of cli/main.py's table of command name to module.
    allowed = re.compile(r"""^\s*(\w+) = ["']\1["']$|name=["']scoring["']|^\s*["'](\w+)["']: \2,$""")
    hits = [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for folder in ("grants", "cli")
        for path in (root / folder).rglob("*.py")
        if "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and not allowed.search(line)
    ]
    assert hits == []
