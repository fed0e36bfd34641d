"""The line-by-line score prompts (`--plain`, and off a terminal) and the score flags: the
member's last sheet as defaults, what 0–5 mean, the queue count, a clean cancel, a repeated
--criterion and a stance the scores contradict."""

from __future__ import annotations

import json

from tests.conftest import Cli

KEYS = ("fit_pcc", "fit_csa", "need", "outcomes", "value", "deliverable")


def flags(*values: str) -> list[str]:
    return [f"--criterion={key}={value}" for key, value in zip(KEYS, values, strict=True)]


def sheets_of(cli: Cli, ref: str, who: str) -> list[dict]:
    return json.loads(cli("scoring", "sheets", ref, "--json", actor=who).stdout)["sheet_details"]


def test_prompts_show_the_bid_its_end_date_the_queue_and_what_scores_mean(round_: Cli) -> None:
    answers = "\n".join(["4"] * 6 + ["support", "", "y"]) + "\n"
    result = round_("score", "CRG-2425-008", "--plain", actor="wg-kfrs", input=answers)
    assert result.exit_code == 0, result.output
    assert "Delivery ends" in result.stdout and "31 March 2025" in result.stdout
    assert "CRG-2425-008: bid 8 of 8; 8 waiting for your sheet." in result.stdout
    assert "0 Not addressed · 1 Poor · 2 Weak · 3 Adequate · 4 Good · 5 Excellent" in result.stdout
    assert "Scored CRG-2425-008: 80.0% (support)." in result.stdout


def test_prompts_start_from_the_last_sheet(round_: Cli) -> None:
    first = round_(
        "score",
        "CRG-2425-008",
        *flags("4", "3", "na", "2", "5", "1"),
        "--oppose",
        "--comment",
        "Thin",
        actor="wg-kfrs",
    )
    assert first.stdout.strip() == "Scored CRG-2425-008: 64.7% (oppose)."
    # Enter alone keeps every earlier answer: the scores, the stance (oppose, not support) and the comment.
    again = round_("score", "CRG-2425-008", "--plain", actor="wg-kfrs", input="\n" * 8 + "y\n")
    assert again.exit_code == 0, again.output
    assert "your last answers are the defaults" in again.stderr
    assert "Stance: support, oppose or abstain [oppose]" in again.stdout
    assert "Re-scored CRG-2425-008: 64.7% (oppose)." in again.stdout
    [sheet] = sheets_of(round_, "CRG-2425-008", "wg-kfrs")
    assert sheet["version"] == 2 and sheet["comment"] == "Thin"
    assert sheet["scores"] == {
        "fit_pcc": 4,
        "fit_csa": 3,
        "need": None,
        "outcomes": 2,
        "value": 5,
        "deliverable": 1,
    }


def test_prompts_let_an_earlier_comment_be_cleared(round_: Cli) -> None:
    round_("score", "CRG-2425-008", *flags(*"444444"), "--support", "--comment", "Thin", actor="wg-kfrs")
    again = round_("score", "CRG-2425-008", "--plain", actor="wg-kfrs", input="\n" * 7 + "-\ny\n")
    assert again.exit_code == 0, again.output
    assert sheets_of(round_, "CRG-2425-008", "wg-kfrs")[0]["comment"] == ""


def test_prompts_have_no_default_stance_on_a_first_sheet(round_: Cli) -> None:
    answers = "\n".join(["4"] * 6 + ["", "abstain", "", "y"]) + "\n"
    result = round_("score", "CRG-2425-008", "--plain", actor="wg-kfrs", input=answers)
    assert result.exit_code == 0, result.output
    assert "Scored CRG-2425-008: 80.0% (abstain)." in result.stdout


def test_prompts_running_out_of_input_say_what_is_missing_and_that_nothing_was_saved(round_: Cli) -> None:
    before = round_.snapshot()
    result = round_("score", "CRG-2425-008", "--criterion", "fit_pcc=4", actor="wg-kfrs", input="3\n")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "no answer to the prompts; give every criterion with --criterion KEY=N|na "
        "(missing: fit_csa, need, outcomes, value, deliverable) and --support, --oppose or --abstain. "
        "Nothing was saved for CRG-2425-008."
    )
    assert round_.snapshot() == before


def test_prompts_declined_save_nothing_and_a_sitting_keeps_what_it_saved(round_: Cli) -> None:
    one = ["4"] * 6 + ["support", ""]
    answers = "\n".join([*one, "y", "y", *one, "n"]) + "\n"
    result = round_("score", "--next", "--plain", actor="wg-kfrs", input=answers)
    assert result.exit_code == 1
    assert "Scored CRG-2425-001: 80.0% (support)." in result.stdout
    assert "CRG-2425-002: bid 2 of 8; 7 waiting for your sheet." in result.stdout
    assert result.stderr.strip().endswith(
        "Not submitted: nothing was saved for CRG-2425-002. The sheets saved before it stand (CRG-2425-001)."
    )


def test_a_repeated_criterion_is_refused(round_: Cli) -> None:
    before = round_.snapshot()
    result = round_(
        "score", "CRG-2425-008", *flags(*"444444"), "--criterion", "need=2", "--support", actor="wg-kfrs"
    )
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "Error: --criterion need is given twice ('4' and '2'); give each criterion once"
    )
    assert round_.snapshot() == before


def test_support_at_zero_by_flags_is_saved_with_a_warning(round_: Cli) -> None:
    result = round_("score", "CRG-2425-008", *flags(*"000000"), "--support", actor="wg-kfrs")
    assert result.exit_code == 0
    assert result.stdout.strip() == "Scored CRG-2425-008: 0.0% (support)."
    assert result.stderr.strip() == (
        "Warning: the scores come to 0.0% but the stance is support; if that is a slip, score CRG-2425-008 again."
    )


def test_support_at_zero_at_the_prompts_is_asked_and_enter_does_not_submit(round_: Cli) -> None:
    before = round_.snapshot()
    answers = "\n".join(["0"] * 6 + ["support", "", ""]) + "\n"
    result = round_("score", "CRG-2425-008", "--plain", actor="wg-kfrs", input=answers)
    assert "The scores come to 0.0% but the stance is support. Submit this sheet? [y/N]" in result.stdout
    assert result.exit_code == 1
    assert result.stderr.strip() == "Not submitted: nothing was saved for CRG-2425-008."
    assert round_.snapshot() == before
