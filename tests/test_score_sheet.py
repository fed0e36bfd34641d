"""The full-screen score sheet, driven headless with Textual's pilot at 80×24: scoring and saving
once, leaving with nothing saved, re-scoring from the last sheet, refusals before the member
starts (a conflict of interest, closed scoring) and a refusal at saving, user text as plain text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from cli.sheet import CriterionAnswer, Desk, RefusedScreen, ScoreSheetApp, SheetScreen, StanceAnswer
from grants.options import Options
from tests.conftest import Cli

KEYS = ("fit_pcc", "fit_csa", "need", "outcomes", "value", "deliverable")


def drive(
    cli: Cli,
    who: str,
    ref: str,
    keys: list[str],
    *,
    sitting: bool = False,
    look: Callable[[ScoreSheetApp], None] | None = None,
    form_change: Callable[[Any], None] | None = None,
) -> ScoreSheetApp:
    """Open the sheet of `ref` as `who`, press `keys`, let `look` inspect the screen, and leave
    (Esc) if the keys did not end it."""
    desk = Desk(Options(db=cli.url, actor=who))
    form = desk.load(ref)
    if form_change:
        form_change(form)
    app = ScoreSheetApp(desk, form, {}, None, None, sitting=sitting)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press(*keys)
            await pilot.pause()
            if look:
                look(app)
            if app.is_running:
                await pilot.press("escape")

    asyncio.run(run())
    return app


def shown(app: ScoreSheetApp, selector: str) -> str:
    return str(app.screen.query_one(selector).content)


def sheets_of(cli: Cli, ref: str, who: str) -> list[dict]:
    return json.loads(cli("scoring", "sheets", ref, "--json", actor=who).stdout)["sheet_details"]


def score_actions(cli: Cli, ref: str) -> list[str]:
    history = json.loads(cli("bid", "history", ref, "--json", actor="kcc-officer").stdout)
    return [e["action"] for e in history if e["action"].startswith("score")]


def test_sheet_shows_the_bid_beside_its_criteria(round_: Cli) -> None:
    def look(app: ScoreSheetApp) -> None:
        head = shown(app, "#head")
        assert "Score CRG-2425-008 · bid 8 of 8; 8 waiting for your sheet · not saved yet" in head
        assert "Queue   001  002  003  004  005  006  007 ▸008" in head
        bid = str(app.screen.query_one("#bid Static").content)
        for text in ("Rural business crime signage", "Kent Police", "£2,200", "upfront", "crime-prevention"):
            assert text in bid
        assert "Delivery ends: 31 March 2025" in bid
        first = app.screen.query(CriterionAnswer).first()
        assert app.screen.focused is first
        body = str(first.query_one(".body").content)
        assert "Fit with the PCC's priorities\nweight 25" in body
        assert "0 Not addressed · 1 Poor · 2 Weak · 3 Adequate · 4 Good · 5 Excellent · n na" in body
        assert "Weighted score — · 0 of 6 scored · stance —" in shown(app, "#status")

    drive(round_, "wg-kfrs", "CRG-2425-008", [], look=look)


def test_sheet_scores_a_bid_and_saves_it_once(round_: Cli) -> None:
    seen: dict[str, str] = {}

    def look(app: ScoreSheetApp) -> None:
        seen["status"] = shown(app, "#status")
        seen["head"] = shown(app, "#head")

    keys = ["4", "n", "3", "4", "5", "4", "s", *"Well evidenced"]
    before = round_.snapshot()
    app = drive(round_, "wg-kfrs", "CRG-2425-008", keys, look=look)
    assert "Weighted score 80.0% · 6 of 6 scored · stance support" in seen["status"]
    assert "unsaved changes" in seen["head"]
    assert (
        app.return_value is not None
        and app.return_value.saved == []
        and app.return_value.left == "CRG-2425-008"
    )
    assert round_.snapshot() == before  # Esc: nothing saved

    app = drive(round_, "wg-kfrs", "CRG-2425-008", [*keys, "ctrl+s"])
    [(result, stance)] = app.return_value.saved
    assert (result.bid.reference, result.replaced, stance) == ("CRG-2425-008", False, "support")
    [sheet] = sheets_of(round_, "CRG-2425-008", "wg-kfrs")
    assert sheet["scores"] == {
        "fit_pcc": 4,
        "fit_csa": None,
        "need": 3,
        "outcomes": 4,
        "value": 5,
        "deliverable": 4,
    }
    assert (sheet["stance"], sheet["comment"], sheet["percent"]) == ("support", "Well evidenced", "80.0%")
    assert score_actions(round_, "CRG-2425-008") == ["score.submit"]


@pytest.mark.parametrize("leave", ["escape", "ctrl+c"])
def test_sheet_leaves_with_nothing_saved(round_: Cli, leave: str) -> None:
    before = round_.snapshot()
    app = drive(round_, "wg-kfrs", "CRG-2425-008", ["4", "4", "4", "4", "4", "4", "s", leave])
    assert app.return_value.saved == [] and app.return_value.left == "CRG-2425-008"
    assert round_.snapshot() == before


def test_sheet_refuses_to_save_an_incomplete_sheet(round_: Cli) -> None:
    before = round_.snapshot()

    def look(app: ScoreSheetApp) -> None:
        assert "Not saved: score need, outcomes, value, deliverable (0–5, or n for na)." in shown(
            app, "#status"
        )
        assert app.screen.focused.criterion.key == "need"

    drive(round_, "wg-kfrs", "CRG-2425-008", ["4", "4", "ctrl+s"], look=look)
    assert round_.snapshot() == before


def test_sheet_asks_for_a_stance(round_: Cli) -> None:
    def look(app: ScoreSheetApp) -> None:
        assert "Not saved: choose a stance (press s, o or a: support, oppose or abstain)." in shown(
            app, "#status"
        )
        assert isinstance(app.screen.focused, StanceAnswer)

    drive(round_, "wg-kfrs", "CRG-2425-008", [*"444444", "ctrl+s"], look=look)


def test_sheet_rescore_starts_from_the_last_sheet(round_: Cli) -> None:
    flags = [f"--criterion={k}={v}" for k, v in zip(KEYS, ["4", "3", "na", "2", "5", "1"], strict=True)]
    round_(
        "score", "CRG-2425-008", *flags, "--oppose", "--comment", "Thin [bold]evidence[/]", actor="wg-kfrs"
    )

    def look(app: ScoreSheetApp) -> None:
        screen = app.screen
        assert [a.value for a in screen.query(CriterionAnswer)] == ["4", "3", "na", "2", "5", "1"]
        assert screen.query_one(StanceAnswer).value == "oppose"
        assert screen.query_one("CommentAnswer").value == "Thin [bold]evidence[/]"
        assert "Score CRG-2425-008 · bid 8 of 8; 7 waiting for your sheet · saved (version 1)" in shown(
            app, "#head"
        )
        assert "Weighted score 64.7%" in shown(app, "#status")

    drive(round_, "wg-kfrs", "CRG-2425-008", [], look=look)
    # Every line is answered, so the focus starts on the first: change it and save.
    app = drive(round_, "wg-kfrs", "CRG-2425-008", ["5", "ctrl+s"])
    [(result, stance)] = app.return_value.saved
    assert result.replaced and stance == "oppose"
    [sheet] = sheets_of(round_, "CRG-2425-008", "wg-kfrs")
    assert (
        sheet["version"] == 2
        and sheet["scores"]["fit_pcc"] == 5
        and sheet["comment"] == "Thin [bold]evidence[/]"
    )
    assert score_actions(round_, "CRG-2425-008") == ["score.submit", "score.rescore"]


def test_sheet_asks_again_before_saving_support_at_zero(round_: Cli) -> None:
    def look(app: ScoreSheetApp) -> None:
        assert (
            "The scores come to 0.0% but the stance is support: Ctrl+S again saves it so; or change it."
            in shown(app, "#status")
        )

    app = drive(round_, "wg-kfrs", "CRG-2425-008", [*"000000", "s", "ctrl+s"], look=look)
    assert app.return_value.saved == []
    app = drive(round_, "wg-kfrs", "CRG-2425-008", [*"000000", "s", "ctrl+s", "ctrl+s"])
    assert [stance for _, stance in app.return_value.saved] == ["support"]


def test_sheet_sitting_moves_to_the_next_bid_and_ticks_the_saved_one(round_: Cli) -> None:
    def look(app: ScoreSheetApp) -> None:
        assert isinstance(app.screen, SheetScreen) and app.screen.reference == "CRG-2425-002"
        head = shown(app, "#head")
        assert "bid 2 of 8; 7 waiting for your sheet" in head and "001✓ ▸002  003" in head

    app = drive(round_, "wg-kfrs", "CRG-2425-001", [*"444444", "a", "ctrl+s"], sitting=True, look=look)
    assert [r.bid.reference for r, _ in app.return_value.saved] == ["CRG-2425-001"]
    assert app.return_value.left == "CRG-2425-002"


def test_sheet_save_refused_when_scoring_closed_meanwhile(round_: Cli) -> None:
    def close_scoring(form: Any) -> None:  # the officer declines the bid while the member scores it
        done = round_("decline", "CRG-2425-008", "--reason", "Withdrawn by the lead", actor="kcc-officer")
        assert done.exit_code == 0, done.output

    def look(app: ScoreSheetApp) -> None:
        assert shown(app, "#status").endswith(
            "Not saved: CRG-2425-008 is not_shortlisted: sheets can be scored or changed only while it is in scoring"
        )

    app = drive(
        round_, "wg-kfrs", "CRG-2425-008", [*"444444", "s", "ctrl+s"], look=look, form_change=close_scoring
    )
    assert app.return_value.saved == []
    assert score_actions(round_, "CRG-2425-008") == []


def test_sheet_refusal_of_the_next_bid_is_shown_before_it_starts(round_: Cli) -> None:
    from grants.errors import Refused

    class ClosingDesk(Desk):
        def load(self, reference: str) -> Any:
            if reference == "CRG-2425-002":
                raise Refused(
                    "CRG-2425-002 is not_shortlisted: sheets can be scored only while it is in scoring"
                )
            return super().load(reference)

    desk = ClosingDesk(Options(db=round_.url, actor="wg-kfrs"))
    app = ScoreSheetApp(desk, desk.load("CRG-2425-001"), {}, None, None, sitting=True)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"444444", "s", "ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, RefusedScreen)
            text = str(app.screen.query_one("#refused").content)
            assert "You cannot score CRG-2425-002" in text and "sheets can be scored only" in text
            await pilot.press("4", "ctrl+s", "escape")

    asyncio.run(run())
    assert [r.bid.reference for r, _ in app.return_value.saved] == ["CRG-2425-001"]
    assert app.return_value.left == "CRG-2425-002"


def test_sheet_shows_user_text_literally(round_: Cli) -> None:
    def hostile(form: Any) -> None:
        form.row.bid.title = "[/] [bold]Loud[/bold] \x1b[31m"
        form.row.bid.summary = "[link=http://x]click[/link]"

    def look(app: ScoreSheetApp) -> None:
        bid = str(app.screen.query_one("#bid Static").content)
        assert "[/] [bold]Loud[/bold] \\x1b[31m" in bid
        assert "[link=http://x]click[/link]" in bid

    drive(round_, "wg-kfrs", "CRG-2425-008", [], look=look, form_change=hostile)


def test_score_command_refuses_a_conflict_before_the_sheet_opens(round_: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import cli.scoring

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the sheet opened")

    monkeypatch.setattr(cli.scoring, "interactive_terminal", lambda: True)
    monkeypatch.setattr(ScoreSheetApp, "run", never)
    conflict = round_("score", "CRG-2425-008", actor="wg-police")
    assert conflict.exit_code == 1
    assert conflict.stderr.startswith(
        "Error: wg-police may not score CRG-2425-008: wg-police is a member of Kent Police"
    )
    round_("decline", "CRG-2425-009", "--reason", "No consensus", actor="kcc-officer")
    closed = round_("score", "CRG-2425-009", actor="wg-nhs")
    assert closed.exit_code == 1
    assert closed.stderr.strip() == (
        "Error: CRG-2425-009 is not_shortlisted: sheets can be scored or changed only while it is in scoring"
    )


def test_only_the_sheet_imports_textual(round_: Cli) -> None:
    """Textual is the sheet's alone: --help, status, a score given as flags and the plain prompts
    never import it (it would slow every command's start)."""
    import subprocess
    import sys

    flags = [f"--criterion={key}=4" for key in KEYS]
    code = (
        "import sys\n"
        "from cli.main import run\n"
        f"db = {round_.url!r}\n"
        "for args in (['--help'], ['--db', db, '--as', 'wg-kfrs', 'status'],\n"
        f"             ['--db', db, '--as', 'wg-kfrs', 'score', 'CRG-2425-008', *{flags!r}, '--support'],\n"
        "             ['--db', db, '--as', 'wg-nhs', 'score', 'CRG-2425-008', '--plain']):\n"
        "    try:\n"
        "        run(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('\\nimported:', sorted({name.split('.')[0] for name in sys.modules} & {'textual', 'cli'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, input="", check=True)
    assert out.stdout.strip().splitlines()[-1] == "imported: ['cli']"
    assert "Scored CRG-2425-008: 80.0% (support)." in out.stdout


def test_score_command_reports_what_the_sheet_saved_and_left(round_: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """After the screen closes, the command says what was saved and what was left, and leaving
    with nothing saved is exit 1 (as declining at the prompts is)."""
    import cli.scoring
    from cli.sheet import Sitting

    monkeypatch.setattr(cli.scoring, "interactive_terminal", lambda: True)
    monkeypatch.setattr(ScoreSheetApp, "run", lambda self: Sitting(left="CRG-2425-008"))
    left = round_("score", "CRG-2425-008", actor="wg-kfrs")
    assert (left.exit_code, left.stdout, left.stderr) == (
        1,
        "",
        "Left CRG-2425-008: nothing was saved for it.\n",
    )

    desk = Desk(Options(db=round_.url, actor="wg-kfrs"))
    saved = desk.save("CRG-2425-001", dict.fromkeys(KEYS, "4"), "support", "")
    monkeypatch.setattr(
        ScoreSheetApp, "run", lambda self: Sitting(saved=[(saved, "support")], left="CRG-2425-002")
    )
    sitting = round_("score", "--next", actor="wg-kfrs")
    assert sitting.exit_code == 0
    assert sitting.stdout == "Scored CRG-2425-001: 80.0% (support).\n"
    assert sitting.stderr == "Left CRG-2425-002: nothing was saved for it.\n"
    monkeypatch.setattr(ScoreSheetApp, "run", lambda self: Sitting(saved=[(saved, "support")]))
    done = round_("score", "--next", actor="wg-kfrs")
    assert done.stdout == "Scored CRG-2425-001: 80.0% (support).\nNo bid is waiting for your sheet.\n"


def test_a_dumb_terminal_gets_the_prompts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    from cli.scoring import interactive_terminal

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert interactive_terminal()
    monkeypatch.setenv("TERM", "dumb")
    assert not interactive_terminal()


def test_sheet_page_keys_scroll_the_bid_from_any_line(round_: Cli) -> None:
    def look(app: ScoreSheetApp) -> None:
        pane = app.screen.query_one("#bid")
        assert pane.scroll_y > 0  # the bid's card is taller than the screen at 80×24
        assert isinstance(app.screen.focused, CriterionAnswer)  # the focus stayed where it was

    drive(round_, "wg-kfrs", "CRG-2425-001", ["pagedown"], look=look)


def test_score_command_says_what_was_saved_before_the_sheet_broke(round_: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import cli.scoring

    desk = Desk(Options(db=round_.url, actor="wg-kfrs"))
    saved = desk.save("CRG-2425-001", dict.fromkeys(KEYS, "4"), "support", "")

    def broken(self: ScoreSheetApp) -> None:  # Textual returns None when the app stops on an error
        self.record.saved.append((saved, "support"))

    monkeypatch.setattr(cli.scoring, "interactive_terminal", lambda: True)
    monkeypatch.setattr(ScoreSheetApp, "run", broken)
    result = round_("score", "--next", actor="wg-kfrs")
    assert result.exit_code == 1
    assert result.stdout == "Scored CRG-2425-001: 80.0% (support).\n"
    assert result.stderr == "Left the sheet on the screen: nothing was saved for it.\n"


def test_queue_strip_of_a_long_queue_keeps_the_bid_on_screen_in_view() -> None:
    from types import SimpleNamespace

    from cli.sheet import queue_strip
    from grants.scoring import Queue

    refs = [f"CRG-2425-{n:03}" for n in range(1, 41)]
    form = SimpleNamespace(queue=Queue(refs, frozenset(refs[:20])))
    middle = queue_strip(form, "CRG-2425-021").plain
    assert middle == "Queue  …  016✓  017✓  018✓  019✓  020✓ ▸021  022  023  024  025  026  …"
    assert len(middle) <= 78
    assert queue_strip(form, "CRG-2425-001").plain.startswith("Queue  ▸001✓  002✓")
    assert queue_strip(form, "CRG-2425-040").plain.endswith("038  039 ▸040")
