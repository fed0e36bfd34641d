"""Scoring: the maths, blindness, conflicts, quorum, consensus, the prompts and the ranking."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from grants.scoring import percent_text, sheet_percent
from tests.conftest import Cli

WEIGHTS = {"fit_pcc": 25, "fit_csa": 20, "need": 15, "outcomes": 15, "value": 15, "deliverable": 10}
ALL_FOUR = [f"--criterion={k}=4" for k in WEIGHTS]


def test_sheet_percent_weights_criteria() -> None:
    scores = {"fit_pcc": 5, "fit_csa": 0, "need": 5, "outcomes": 5, "value": 5, "deliverable": 5}
    assert sheet_percent(scores, WEIGHTS) == Fraction(100 * (25 + 15 + 15 + 15 + 10) * 5, 100 * 5)


def test_sheet_percent_leaves_na_out_of_both_parts() -> None:
    with_na = {"fit_pcc": 4, "fit_csa": 4, "need": 3, "outcomes": 4, "value": None, "deliverable": 5}
    # (4*25 + 4*20 + 3*15 + 4*15 + 5*10) / (85*5) = 335/425, not 335/500
    assert sheet_percent(with_na, WEIGHTS) == Fraction(33500, 425)
    assert percent_text(sheet_percent(with_na, WEIGHTS)) == "78.8%"
    as_zero = dict(with_na, value=0)
    assert sheet_percent(with_na, WEIGHTS) > sheet_percent(as_zero, WEIGHTS)


def test_sheet_percent_all_na_has_no_score() -> None:
    assert sheet_percent(dict.fromkeys(WEIGHTS), WEIGHTS) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(145, 2), "72.5%"),
        (Fraction(1449, 20), "72.5%"),
        (Fraction(1448, 20), "72.4%"),
        (Fraction(200, 3), "66.7%"),
        (Fraction(100), "100.0%"),
        (Fraction(0), "0.0%"),
        (None, "—"),
    ],
)
def test_percent_text_rounds_half_up_to_one_decimal(value, text) -> None:  # type: ignore[no-untyped-def]
    assert percent_text(value) == text


def score(cli: Cli, ref: str, who: str, *scores: str, stance: str = "--support"):  # type: ignore[no-untyped-def]
    return cli("score", ref, *(scores or ALL_FOUR), stance, actor=who)


def test_score_with_flags_runs_without_prompts(round_: Cli) -> None:
    result = score(
        round_,
        "CRG-2425-008",
        "wg-kfrs",
        *[f"--criterion={k}={'na' if k == 'value' else 4}" for k in WEIGHTS],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Scored CRG-2425-008: 80.0% (support)."


def test_member_of_lead_organisation_is_recused(round_: Cli) -> None:
    result = score(round_, "CRG-2425-008", "wg-police")
    assert result.exit_code == 1
    assert (
        "wg-police may not score CRG-2425-008: wg-police is a member of Kent Police, the lead organisation "
        "of CRG-2425-008 (the action score needs the role member, and the lead organisation never scores "
        "or sees the sheets of its own bid)" in result.stderr
    )


def test_declared_interest_recuses_and_names_reason(round_: Cli) -> None:
    declared = round_(
        "member", "interest", "wg-nhs", "CRG-2425-008", "--reason", "Partner runs a shop", actor="wg-nhs"
    )
    assert declared.exit_code == 0, declared.output
    result = score(round_, "CRG-2425-008", "wg-nhs")
    assert result.exit_code == 1
    assert "wg-nhs declared an interest in CRG-2425-008: Partner runs a shop" in result.stderr


def test_only_members_score(round_: Cli) -> None:
    result = score(round_, "CRG-2425-008", "treasurer")
    assert result.exit_code == 1
    assert (
        "treasurer may not score CRG-2425-008: the action score needs the role member (treasurer has treasurer)"
        in result.stderr
    )


def test_scoring_is_blind_until_own_sheet(round_: Cli) -> None:
    score(round_, "CRG-2425-008", "wg-kfrs")
    blind = round_("scoring", "sheets", "CRG-2425-008", actor="wg-nhs")
    assert blind.exit_code == 1
    assert (
        "wg-nhs may not see the sheets of CRG-2425-008: wg-nhs has no sheet in for CRG-2425-008"
        in blind.stderr
    )
    score(round_, "CRG-2425-008", "wg-nhs")
    seen = json.loads(round_("scoring", "sheets", "CRG-2425-008", "--json", actor="wg-nhs").stdout)
    assert [s["member"] for s in seen["sheet_details"]] == ["wg-kfrs", "wg-nhs"]
    # Those who decide see the sheets once the bid has left scoring, not while it is in scoring.
    chair = round_("scoring", "sheets", "CRG-2425-008", actor="chair")
    assert chair.exit_code == 1
    assert "CRG-2425-008 is scoring: its sheets are shown once it has left scoring" in chair.stderr


def test_rescore_replaces_sheet_and_keeps_history(round_: Cli) -> None:
    score(round_, "CRG-2425-008", "wg-kfrs")
    again = score(
        round_, "CRG-2425-008", "wg-kfrs", *[f"--criterion={k}=2" for k in WEIGHTS], stance="--oppose"
    )
    assert again.stdout.strip() == "Re-scored CRG-2425-008: 40.0% (oppose)."
    sheets = json.loads(round_("scoring", "sheets", "CRG-2425-008", "--json", actor="wg-kfrs").stdout)
    assert [(s["member"], s["percent"], s["version"]) for s in sheets["sheet_details"]] == [
        ("wg-kfrs", "40.0%", 2)
    ]
    history = json.loads(round_("bid", "history", "CRG-2425-008", "--json").stdout)
    assert [e["action"] for e in history if e["action"].startswith("score")] == [
        "score.submit",
        "score.rescore",
    ]


def test_missing_criterion_without_terminal_is_bad_input(round_: Cli) -> None:
    result = round_(
        "score", "CRG-2425-008", "--criterion", "fit_pcc=4", "--support", actor="wg-kfrs", input=""
    )
    assert result.exit_code == 2
    assert "no answer to the prompts; give every criterion with --criterion KEY=N|na" in result.stderr


def test_bad_score_value_is_refused(round_: Cli) -> None:
    result = score(round_, "CRG-2425-008", "wg-kfrs", *[f"--criterion={k}=7" for k in WEIGHTS])
    assert result.exit_code == 2
    assert "score '7' for fit_pcc is not usable; give a whole number from 0 to 5, or na" in result.stderr


def test_interactive_sheet_through_prompts(round_: Cli) -> None:
    answers = "\n".join(["4", "9", "4", "3", "4", "na", "5", "support", "Good value", "y"]) + "\n"
    result = round_("score", "CRG-2425-008", actor="wg-kfrs", input=answers)
    assert result.exit_code == 0, result.output
    assert "Rural business crime signage" in result.stdout  # the bid's panel comes first
    assert "score '9' for fit_csa is not usable" in result.stderr  # re-asked
    assert "Scored CRG-2425-008: 78.8% (support)." in result.stdout
    sheet = json.loads(round_("scoring", "sheets", "CRG-2425-008", "--json", actor="wg-kfrs").stdout)
    assert sheet["sheet_details"][0]["comment"] == "Good value"
    assert sheet["sheet_details"][0]["scores"]["value"] is None


def test_interactive_sheet_can_be_abandoned(round_: Cli) -> None:
    answers = "\n".join(["4"] * 6 + ["support", "", "n"]) + "\n"
    result = round_("score", "CRG-2425-008", actor="wg-kfrs", input=answers)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Not submitted: nothing was saved for CRG-2425-008."
    # No sheet of wg-kfrs is in, so scoring stays blind to them.
    assert round_("scoring", "sheets", "CRG-2425-008", "--json", actor="wg-kfrs").exit_code == 1


def test_score_next_walks_a_sitting(round_: Cli) -> None:
    one_sheet = ["4"] * 6 + ["support", "", "y"]
    answers = "\n".join(one_sheet + ["y"] + one_sheet + ["n"]) + "\n"
    result = round_("score", "--next", actor="wg-kfrs", input=answers)
    assert result.exit_code == 0, result.output
    assert "Scored CRG-2425-001" in result.stdout and "Scored CRG-2425-002" in result.stdout
    nxt = round_("score", "--next", *ALL_FOUR, "--support", actor="wg-kfrs")
    assert "Scored CRG-2425-003" in nxt.stdout


def test_quorum_of_three_authorities_refuses_and_names_missing(round_: Cli) -> None:
    for who in ("wg-kfrs", "wg-nhs", "wg-probation"):
        assert score(round_, "CRG-2425-008", who).exit_code == 0
    result = round_("shortlist", "CRG-2425-008", actor="kcc-officer")
    assert result.exit_code == 1
    assert (
        "CRG-2425-008: the quorum rule needs 4 responsible authorities, has 3 (kfrs, nhs-icb, probation); "
        "still to score: wg-district (districts), wg-kcc (kcc), wg-vru (kcc); kent-police leads the bid, "
        "so its members are recused" in result.stderr
    )


def test_quorum_with_one_recused_member_not_counted(round_: Cli) -> None:
    for who in ("wg-kfrs", "wg-nhs", "wg-probation", "wg-kcc"):
        score(round_, "CRG-2425-008", who)
    round_("member", "interest", "wg-kcc", "CRG-2425-008", "--reason", "Late conflict", actor="kcc-officer")
    result = round_("shortlist", "CRG-2425-008", actor="kcc-officer")
    assert result.exit_code == 1 and "has 3 (kfrs, nhs-icb, probation)" in result.stderr
    score(round_, "CRG-2425-008", "wg-district")
    assert round_("shortlist", "CRG-2425-008", actor="kcc-officer").exit_code == 0


def test_opposition_blocks_consensus_unless_overridden(round_: Cli) -> None:
    for who in ("wg-kfrs", "wg-nhs", "wg-probation"):
        score(round_, "CRG-2425-008", who)
    score(round_, "CRG-2425-008", "wg-kcc", stance="--oppose")
    refused = round_("shortlist", "CRG-2425-008", actor="kcc-officer")
    assert refused.exit_code == 1
    assert (
        "CRG-2425-008 has no consensus (1 sheet opposes); to shortlist it anyway give --override"
        in refused.stderr
    )
    no_reason = round_("shortlist", "CRG-2425-008", "--override", actor="kcc-officer")
    assert no_reason.exit_code == 2 and "--override needs --reason" in no_reason.stderr
    done = round_(
        "shortlist", "CRG-2425-008", "--override", "--reason", "Chair's casting view", actor="kcc-officer"
    )
    assert done.exit_code == 0, done.output
    history = json.loads(round_("bid", "history", "CRG-2425-008", "--json").stdout)
    assert history[-1]["reason"] == "Chair's casting view" and history[-1]["details"] == {"override": True}


def test_low_mean_blocks_consensus(round_: Cli) -> None:
    for who in ("wg-kfrs", "wg-nhs", "wg-probation", "wg-kcc"):
        score(round_, "CRG-2425-008", who, *[f"--criterion={k}=2" for k in WEIGHTS])
    refused = round_("shortlist", "CRG-2425-008", actor="kcc-officer")
    assert "its mean is below the 50% threshold" in refused.stderr  # the officer may not see it yet


def test_divergent_sheets_need_a_moderation_note(round_: Cli) -> None:
    for who, value in (("wg-kfrs", 5), ("wg-nhs", 5), ("wg-probation", 5), ("wg-kcc", 1)):
        score(round_, "CRG-2425-008", who, *[f"--criterion={k}={value}" for k in WEIGHTS])
    refused = round_("shortlist", "CRG-2425-008", actor="kcc-officer")
    assert refused.exit_code == 1
    assert "the sheets of CRG-2425-008 diverge (more than 40)" in refused.stderr
    ok = round_("shortlist", "CRG-2425-008", "--reason", "Moderated at the meeting", actor="kcc-officer")
    assert ok.exit_code == 0, ok.output


def test_decline_needs_reason_and_sheets_close_after(round_: Cli) -> None:
    assert round_("decline", "CRG-2425-009", "--reason", "Out of scope", actor="kcc-officer").exit_code == 0
    late = score(round_, "CRG-2425-009", "wg-nhs")
    assert late.exit_code == 1
    assert (
        "CRG-2425-009 is not_shortlisted: sheets can be scored or changed only while it is in scoring"
        in late.stderr
    )


def test_criteria_set_before_scoring(kcsp: Cli) -> None:
    changed = kcsp("criteria", "set", "value", "--weight", "20", actor="kcc-officer")
    assert changed.exit_code == 0 and "Changed value: Value for money (weight 20)." in changed.stdout


def test_criteria_fixed_while_bids_are_in_scoring(round_: Cli) -> None:
    fixed = round_("criteria", "set", "value", "--weight", "10", actor="kcc-officer")
    assert fixed.exit_code == 1
    assert "the criteria of 2024/25 are fixed while bids are in scoring (CRG-2425-001, " in fixed.stderr


def test_demo_ranking_recommends_seven_totalling_seed_figure(shortlisted: Cli) -> None:
    data = json.loads(shortlisted("scoring", "ranking", "--json", actor="kcc-officer").stdout)
    assert len(data["bids"]) == 9
    recommended = [b for b in data["bids"] if b["recommendation"] == "shortlist"]
    assert len(recommended) == 7
    assert sum(b["amount_pence"] for b in recommended) == 2_627_800
    assert recommended[-1]["running_total"] == "£26,278"
    assert data["pots"]["upfront"]["size"] == "£26,440"
    states = {b["state"] for b in data["bids"]}
    assert states == {"shortlisted", "not_shortlisted"}


def test_ranking_formats(shortlisted: Cli) -> None:
    md = shortlisted("scoring", "ranking", "--format", "markdown", actor="kcc-officer").stdout
    assert md.splitlines()[0].startswith("| Rank | Reference | Title |") and md.count("\n") == 11
    csv_text = shortlisted("scoring", "ranking", "--format", "csv", actor="kcc-officer").stdout
    assert csv_text.splitlines()[0].startswith("rank,reference,title,organisation,amount_pence")
    bad = shortlisted("scoring", "ranking", "--format", "pdf", actor="kcc-officer")
    assert bad.exit_code == 2
