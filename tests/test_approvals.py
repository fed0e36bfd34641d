"""Approvals and the budget: the chair's and the OPCC's decisions, awards, the tactical gate."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli

SEVEN = [f"CRG-2425-00{n}" for n in range(1, 8)]


def pots(cli: Cli) -> dict:  # type: ignore[type-arg]
    result = cli("pot", "show", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ok(result):  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return result


def refused(cli: Cli, *args: str, actor: str, code: int = 1) -> str:
    """Run a command that must be refused; check the exit code and that nothing changed."""
    before = cli.snapshot()
    result = cli(*args, actor=actor)
    assert result.exit_code == code, result.output
    assert cli.snapshot() == before
    return " ".join(result.stderr.split())


@pytest.fixture
def with_tactical(shortlisted: Cli) -> Cli:
    """The shortlisted demo plus a tactical bid shortlisted while the upfront bids wait."""
    from grants import lifecycle
    from grants.demo import add_proposals, score_proposals
    from grants.demo_data import PROPOSALS, TACTICAL_PROPOSAL
    from grants.scope import Options, open_scope

    url = shortlisted.url
    (reference,) = add_proposals(url, (TACTICAL_PROPOSAL,))
    assert reference == "CRG-2425-010"
    with open_scope(Options(db=url, actor="kcc-officer"), write=True) as scope:
        lifecycle.open_scoring(scope, [reference], every_submitted=False)
    score_proposals(url, [reference], first_position=len(PROPOSALS))
    with open_scope(Options(db=url, actor="kcc-officer"), write=True) as scope:
        lifecycle.shortlist(scope, reference, override=False, reason=None)
    return shortlisted


def test_demo_funds_the_seven_and_one_tactical_bid(funded: Cli) -> None:
    data = pots(funded)
    assert data["pots"]["upfront"]["committed"] == "£26,278"
    assert data["pots"]["upfront"]["uncommitted"] == "£162"
    assert data["pots"]["tactical"]["committed"] == "£3,000"
    assert data["tactical_gate"] == {"open": True, "held_by": []}
    listed = json.loads(ok(funded("bid", "list", "--json")).stdout)
    references = sorted(b["reference"] for b in listed if b["status"] == "funded")
    assert references == [*SEVEN, "CRG-2425-010"]
    history = ok(funded("bid", "history", "CRG-2425-002", "--json")).stdout
    actions = [event["action"] for event in json.loads(history)]
    assert actions[-4:] == ["bid.approve", "bid.clarify", "bid.answer", "bid.approve"]
    ok(funded("check"))
    ok(funded("audit", "verify"))


def test_demo_ranking_shows_the_whole_round(funded: Cli) -> None:
    data = json.loads(ok(funded("scoring", "ranking", "--json", actor="kcc-officer")).stdout)
    assert len(data["bids"]) == 10


def test_chair_then_opcc_with_a_smaller_award(shortlisted: Cli) -> None:
    ok(shortlisted("approve", "CRG-2425-001", "--note", "Agreed at the KCSP", actor="chair"))
    result = ok(shortlisted("approve", "CRG-2425-001", "--amount", "£5,000", "--json", actor="opcc"))
    assert json.loads(result.stdout) == {
        "reference": "CRG-2425-001",
        "from": "chair_approved",
        "to": "funded",
        "award_pence": 500_000,
        "award": "£5,000",
    }
    upfront = pots(shortlisted)["pots"]["upfront"]
    assert (upfront["committed"], upfront["uncommitted"]) == ("£5,000", "£21,440")
    shown = json.loads(ok(shortlisted("bid", "show", "CRG-2425-001", "--json")).stdout)
    assert shown["award"] == "£5,000"


def test_the_role_picks_the_step(shortlisted: Cli) -> None:
    message = refused(shortlisted, "approve", "CRG-2425-001", actor="opcc")
    assert message == (
        "Error: opcc may not approve CRG-2425-001 (shortlisted): the action approve needs the role chair "
        "(opcc has pcc)"
    )
    ok(shortlisted("approve", "CRG-2425-001", actor="chair"))
    message = refused(shortlisted, "approve", "CRG-2425-001", actor="chair")
    assert message == (
        "Error: chair may not approve CRG-2425-001 (chair_approved): the action approve needs the role pcc "
        "(chair has chair, lead)"
    )
    refused(shortlisted, "approve", "CRG-2425-001", actor="wg-police")


def test_chair_gives_no_amount(shortlisted: Cli) -> None:
    message = refused(shortlisted, "approve", "CRG-2425-001", "--amount", "5000", actor="chair", code=2)
    assert "--amount is for the OPCC's award" in message


def test_award_never_more_than_requested(shortlisted: Cli) -> None:
    ok(shortlisted("approve", "CRG-2425-001", actor="chair"))
    message = refused(shortlisted, "approve", "CRG-2425-001", "--amount", "6,000.01", actor="opcc")
    assert message == (
        "Error: CRG-2425-001: the award £6,000.01 is more than the £6,000 requested; "
        "an award may be less, never more"
    )
    refused(shortlisted, "approve", "CRG-2425-001", "--amount", "£6,00", actor="opcc", code=2)


def test_award_beyond_the_pot_is_refused_with_both_figures(with_tactical: Cli) -> None:
    """An award is never more than its request (nor a request more than its pot), so the pot runs
    short only when money left it after the bid was made: here the tactical pot, emptied into the
    upfront one before its bid is decided."""
    cli = with_tactical
    ok(
        cli(
            "pot",
            "transfer",
            "12,000",
            "--from",
            "tactical",
            "--to",
            "upfront",
            "--reason",
            "x",
            actor="kcc-officer",
        )
    )
    for reference in SEVEN:
        ok(cli("approve", reference, actor="chair"))
        ok(cli("approve", reference, actor="opcc"))
    ok(cli("approve", "CRG-2425-010", actor="chair"))
    tactical = pots(cli)["pots"]["tactical"]["uncommitted"]
    assert tactical == "£1,221"
    message = refused(cli, "approve", "CRG-2425-010", actor="opcc")
    assert message == "Error: CRG-2425-010: the tactical pot has £1,221 uncommitted; the award is £3,000"
    ok(cli("approve", "CRG-2425-010", "--amount", "1,000", actor="opcc"))
    message = refused(cli, "vary", "CRG-2425-010", "1,222", "--reason", "More", actor="opcc")
    assert message == "Error: the tactical pot has £221 uncommitted; the increase is £222"


def test_tactical_gate_holds_until_upfront_bids_are_decided(with_tactical: Cli) -> None:
    cli = with_tactical
    held = ", ".join(SEVEN)
    message = refused(cli, "approve", "CRG-2425-010", actor="chair")
    assert message == (
        "Error: CRG-2425-010: it is a tactical bid, and the tactical pot of 2024/25 opens only once "
        f"every upfront bid is decided; still undecided: {held}"
    )
    message = refused(
        cli,
        "pot",
        "transfer",
        "100",
        "--from",
        "upfront",
        "--to",
        "tactical",
        "--reason",
        "x",
        actor="kcc-officer",
    )
    assert message.endswith(f"still undecided: {held}")
    status = json.loads(ok(cli("status", "--json")).stdout)
    assert status["tactical_gate"] == {"open": False, "held_by": SEVEN}
    assert f"held by {held}" in " ".join(ok(cli("status")).stdout.split())
    # Decide all seven: six funded, one rejected by the OPCC after the chair's approval.
    for reference in SEVEN:
        ok(cli("approve", reference, actor="chair"))
    for reference in SEVEN[:6]:
        ok(cli("approve", reference, actor="opcc"))
    status = json.loads(ok(cli("status", "--json")).stdout)
    assert status["tactical_gate"] == {"open": False, "held_by": ["CRG-2425-007"]}
    ok(cli("reject", "CRG-2425-007", "--reason", "Covered by the Prevent budget", actor="opcc"))
    assert json.loads(ok(cli("status", "--json")).stdout)["tactical_gate"]["open"] is True
    ok(cli("approve", "CRG-2425-010", actor="chair"))
    ok(cli("approve", "CRG-2425-010", actor="opcc"))
    assert pots(cli)["pots"]["tactical"]["committed"] == "£3,000"
    ok(cli("check"))


def test_clarification_allows_audited_edits_then_answer(shortlisted: Cli) -> None:
    ok(shortlisted("approve", "CRG-2425-002", actor="chair"))
    refused(shortlisted, "clarify", "CRG-2425-002", "--question", " ", actor="opcc")
    ok(shortlisted("clarify", "CRG-2425-002", "--question", "How many staff?", actor="opcc"))
    ok(shortlisted("bid", "edit", "CRG-2425-002", "--measures", "Attendance of 120 staff", actor="wg-nhs"))
    refused(shortlisted, "answer", "CRG-2425-002", "--text", "Me too", actor="wg-police")
    ok(shortlisted("answer", "CRG-2425-002", "--text", "Up to 120 staff", actor="wg-nhs"))
    refused(shortlisted, "bid", "edit", "CRG-2425-002", "--measures", "Later", actor="wg-nhs")
    events = json.loads(ok(shortlisted("bid", "history", "CRG-2425-002", "--json")).stdout)
    assert [e["action"] for e in events][-4:] == ["bid.approve", "bid.clarify", "bid.edit", "bid.answer"]
    assert events[-3]["details"]["question"] == "How many staff?"
    assert events[-1]["details"]["answer"] == "Up to 120 staff"
    ok(shortlisted("audit", "verify"))


def test_reject_by_chair_and_by_opcc_from_clarification(shortlisted: Cli) -> None:
    message = refused(shortlisted, "reject", "CRG-2425-001", "--reason", "  ", actor="chair")
    assert "give a reason (--reason) to reject CRG-2425-001" in message
    ok(shortlisted("reject", "CRG-2425-001", "--reason", "Duplicates provision", actor="chair"))
    ok(shortlisted("approve", "CRG-2425-002", actor="chair"))
    ok(shortlisted("clarify", "CRG-2425-002", "--question", "Why now?", actor="opcc"))
    ok(shortlisted("reject", "CRG-2425-002", "--reason", "No answer in time", actor="opcc"))
    listed = {
        b["reference"]: b["status"] for b in json.loads(ok(shortlisted("bid", "list", "--json")).stdout)
    }
    assert listed["CRG-2425-001"] == listed["CRG-2425-002"] == "rejected"


def test_vary_down_releases_and_up_commits(funded: Cli) -> None:
    ok(funded("vary", "CRG-2425-001", "5,500", "--reason", "Smaller venue", actor="opcc"))
    upfront = pots(funded)["pots"]["upfront"]
    assert (upfront["committed"], upfront["released"], upfront["uncommitted"]) == ("£25,778", "£500", "£662")
    ok(funded("vary", "CRG-2425-001", "5,700", "--reason", "Extra session", actor="opcc"))
    upfront = pots(funded)["pots"]["upfront"]
    assert (upfront["committed"], upfront["released"], upfront["uncommitted"]) == ("£25,978", "£500", "£462")
    assert refused(funded, "vary", "CRG-2425-001", "5,700", "--reason", "Same", actor="opcc", code=2) == (
        "Error: the award of CRG-2425-001 is already £5,700"
    )
    assert "role pcc" in refused(
        funded, "vary", "CRG-2425-001", "5,000", "--reason", "x", actor="kcc-officer"
    )
    assert refused(funded, "vary", "CRG-2425-008", "1,000", "--reason", "x", actor="opcc") == (
        "Error: CRG-2425-008 is not_shortlisted: only a funded or live award can be varied"
    )
    events = json.loads(ok(funded("bid", "history", "CRG-2425-001", "--json")).stdout)
    assert events[-1]["action"] == "bid.vary" and events[-1]["details"]["to"] == "£5,700"
    ok(funded("check"))
    ok(funded("audit", "verify"))


def test_cancel_releases_the_unspent_award(funded: Cli) -> None:
    result = ok(funded("cancel", "CRG-2425-010", "--reason", "Provider withdrew", "--json", actor="opcc"))
    assert json.loads(result.stdout)["released"] == "£3,000"
    tactical = pots(funded)["pots"]["tactical"]
    assert (tactical["released"], tactical["uncommitted"]) == ("£3,000", "£13,221")
    refused(funded, "cancel", "CRG-2425-001", "--reason", "x", actor="wg-police")
    refused(funded, "cancel", "CRG-2425-010", "--reason", "again", actor="opcc")
    ok(funded("check"))


def test_pot_transfer_moves_uncommitted_money(funded: Cli) -> None:
    args = (
        "pot",
        "transfer",
        "100",
        "--from",
        "upfront",
        "--to",
        "tactical",
        "--reason",
        "Upfront underspent",
    )
    ok(funded(*args, actor="kcc-officer"))
    data = pots(funded)["pots"]
    assert (data["upfront"]["allocated"], data["upfront"]["uncommitted"]) == ("£26,340", "£62")
    assert (data["tactical"]["allocated"], data["tactical"]["uncommitted"]) == ("£13,321", "£10,321")
    message = refused(funded, *args[:2], "63", *args[3:], actor="kcc-officer")
    assert message == "Error: the upfront pot has £62 uncommitted; the transfer is £63"
    assert "role officer" in refused(funded, *args, actor="chair")
    message = refused(
        funded,
        "pot",
        "transfer",
        "1",
        "--from",
        "upfront",
        "--to",
        "upfront",
        "--reason",
        "x",
        actor="kcc-officer",
        code=2,
    )
    assert message == "Error: --from and --to are both upfront; choose two different pots"
    assert "not a pot" in refused(
        funded,
        "pot",
        "transfer",
        "1",
        "--from",
        "spare",
        "--to",
        "upfront",
        "--reason",
        "x",
        actor="kcc-officer",
        code=2,
    )
    log = json.loads(ok(funded("audit", "log", "--json")).stdout)
    assert log[-1]["action"] == "pot.transfer"
    ok(funded("check"))


def test_unknown_bid_is_not_found(funded: Cli) -> None:
    assert "there is no bid 'CRG-2425-099'" in refused(
        funded, "approve", "CRG-2425-099", actor="chair", code=3
    )


def test_chair_with_a_declared_interest_may_not_approve(shortlisted: Cli) -> None:
    ok(
        shortlisted(
            "member",
            "interest",
            "chair",
            "CRG-2425-003",
            "--reason",
            "Trustee of the provider",
            actor="chair",
        )
    )
    message = refused(shortlisted, "approve", "CRG-2425-003", actor="chair")
    assert message == (
        "Error: chair declared an interest in CRG-2425-003 (Trustee of the provider) "
        "and may not decide it"
    )


def test_raw_edit_of_an_award_is_reported_by_check(funded: Cli) -> None:
    import sqlite3

    with sqlite3.connect(funded.url.split("///", 1)[1]) as connection:
        connection.execute("UPDATE bid SET award_pence = 100 WHERE reference = 'CRG-2425-001'")
    result = funded("check")
    assert result.exit_code == 4
    assert "bid CRG-2425-001 records an award of £1 with £0 spent, but its award account holds £6,000" in (
        " ".join(result.stdout.split())
    )
