"""The generated visibility matrix: every command that shows score data × every kind of viewer ×
every stage of a bid, with a sentinel word in every comment.

The expectations are written from the issue's rules here, not taken from the policy table:
- a member sees another's sheet of a bid only once their own is in;
- the lead organisation never sees its own bid's sheets; once it is decided, its mean and stances;
- a member who declared an interest neither scores nor sees that bid's sheets;
- the officer, the chair and the OPCC see sheets and ranking once the bid has left scoring;
- nobody else (the treasurer, a partner, nobody acting) sees any sheet.
Both ways are asserted: an excluded viewer never gets a sentinel or a figure, and an allowed one does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, demo_copy

CRITERIA = ("fit_pcc", "fit_csa", "need", "outcomes", "value", "deliverable")
SCORERS = ("wg-kfrs", "wg-nhs", "wg-probation", "wg-kcc")  # four responsible authorities: quorum
ORGS = {  # viewer → organisation key (None: nobody acting)
    "kcc-officer": "kcc",
    "chair": "kcc",
    "opcc": "opcc",
    "treasurer": "kcc",
    "wg-kfrs": "kfrs",
    "wg-nhs": "nhs-icb",
    "wg-police": "kent-police",
    "cv-lead": "kcvs",
    "wg-district": "districts",
    None: None,
}
DECIDERS = {"kcc-officer", "chair", "opcc"}
INTERESTED = "wg-district"  # declares an interest in every submitted bid

# stage → (lead organisation's member, who scores it, its final state)
STAGES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "draft": ("cv-lead", (), "draft"),
    "scoring-none": ("wg-police", (), "scoring"),
    "scoring-one": ("cv-lead", ("wg-kfrs",), "scoring"),
    "scoring-all": ("wg-police", SCORERS, "scoring"),
    "shortlisted": ("cv-lead", SCORERS, "shortlisted"),
    "funded": ("wg-police", SCORERS, "funded"),
    "closed": ("wg-police", SCORERS, "closed"),
}
LEFT_SCORING = {"shortlisted", "funded", "closed"}
DECIDED = {"funded", "closed"}


def sentinel(member: str, stage: str) -> str:
    return f"ZQX{member.replace('-', '')}{stage.replace('-', '')}ZQX"


def sees_sheets(viewer: str | None, stage: str) -> bool:
    lead, scorers, state = STAGES[stage]
    if viewer is None or ORGS[viewer] == ORGS[lead] or viewer == INTERESTED:
        return False
    if viewer in DECIDERS:
        return state in LEFT_SCORING
    return viewer in scorers


def sees_summary(viewer: str | None, stage: str) -> bool:
    lead, _, state = STAGES[stage]
    if viewer is not None and ORGS[viewer] == ORGS[lead]:
        return state in DECIDED
    return sees_sheets(viewer, stage)


def ok(result):  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, dict[str, str]]:
    """One bid at each stage, every sheet's comment a sentinel."""
    folder = tmp_path_factory.mktemp("visibility")
    cli = Cli(f"sqlite:///{folder / 'grants.sqlite'}")
    demo_copy(cli.url, "setup")
    ok(cli("org", "add", "kcvs", "--name", "Kent Voluntary Services", "--partner", actor="kcc-officer"))
    ok(cli("member", "add", "cv-lead", "--name", "Charity lead", "--org", "kcvs", actor="kcc-officer"))
    refs: dict[str, str] = {}
    for stage, (lead, _, _) in STAGES.items():
        made = ok(
            cli(
                "bid", "new", "--title", f"Bid {stage}", "--amount", "1,000", "--summary", "s",
                "--pcc-priority", "crime-prevention", "--csa-priority", "neighbourhood-crime-asb",
                "--outcomes", "o", "--measures", "m", "--ends", "2025-03-31", "--json", actor=lead,
            )
        )  # fmt: skip
        refs[stage] = json.loads(made.stdout)["reference"]
    for stage, (lead, scorers, state) in STAGES.items():
        ref = refs[stage]
        if state == "draft":
            continue
        ok(cli("bid", "submit", ref, actor=lead))
        ok(cli("member", "interest", INTERESTED, ref, "--reason", "Sits on its board", actor=INTERESTED))
        ok(cli("scoring", "open", ref, actor="kcc-officer"))
        for position, scorer in enumerate(scorers):
            scores = [f"--criterion={k}={4 + (position + i) % 2}" for i, k in enumerate(CRITERIA)]
            ok(cli("score", ref, *scores, "--support", "--comment", sentinel(scorer, stage), actor=scorer))
        if state == "scoring":
            continue
        ok(cli("shortlist", ref, actor="kcc-officer"))
        if state == "shortlisted":
            continue
        ok(cli("approve", ref, actor="chair"))
        ok(cli("approve", ref, actor="opcc"))
        if state == "funded":
            continue
        ok(cli("delivery", "start", ref, actor=lead))
        ok(cli("delivery", "complete", ref, "--outcome", "Done", actor=lead))
        ok(cli("close", ref, actor="treasurer"))
    return cli, refs


def _run(cli: Cli, viewer: str | None, *args: str):  # type: ignore[no-untyped-def]
    return cli(*args, actor=viewer)


def _sentinels(text: str) -> set[tuple[str, str]]:
    found = set()
    for stage, (_, scorers, _) in STAGES.items():
        for scorer in scorers:
            if sentinel(scorer, stage) in text:
                found.add((scorer, stage))
    return found


def _allowed(viewer: str | None) -> set[tuple[str, str]]:
    """The sentinels a viewer may meet: every sheet of a bid whose sheets they may see, and their own."""
    return {
        (scorer, stage)
        for stage, (_, scorers, _) in STAGES.items()
        for scorer in scorers
        if sees_sheets(viewer, stage) or scorer == viewer
    }


@pytest.mark.parametrize("viewer", list(ORGS), ids=lambda v: v or "nobody")
def test_audit_log_and_history_withhold_what_the_viewer_may_not_see(
    world: tuple[Cli, dict[str, str]], viewer: str | None
) -> None:
    cli, refs = world
    allowed = _allowed(viewer)
    events = json.loads(ok(_run(cli, viewer, "audit", "log", "--limit", "0", "--json")).stdout)
    table = ok(_run(cli, viewer, "audit", "log", "--limit", "0")).stdout
    assert _sentinels(json.dumps(events)) == allowed  # both ways: every allowed one, no other
    assert _sentinels(table) <= allowed
    for event in events:
        if event["action"] not in ("score.submit", "score.rescore"):
            continue
        stage = next(s for s, r in refs.items() if event["subject"] == f"bid {r}")
        shown = sees_sheets(viewer, stage) or event["actor"] == viewer
        details = event["details"]
        if shown:
            assert details["comment"] == sentinel(event["actor"], stage)
            assert isinstance(details["scores"], dict) and details["percent"].endswith("%")
        else:  # withheld, not dropped
            assert {details[k] for k in ("scores", "stance", "comment", "percent")} == {"withheld"}
            assert details["withheld_because"]
    for stage, ref in refs.items():
        history = json.loads(ok(_run(cli, viewer, "bid", "history", ref, "--json")).stdout)
        own = {(viewer, stage)} & allowed
        expected = {(s, stage) for s in STAGES[stage][1]} if sees_sheets(viewer, stage) else own
        assert _sentinels(json.dumps(history)) == expected, (stage, viewer)
        shown = ok(_run(cli, viewer, "bid", "show", ref, "--json")).stdout
        assert _sentinels(shown) == set()


@pytest.mark.parametrize("viewer", list(ORGS), ids=lambda v: v or "nobody")
def test_sheets_and_ranking_follow_the_rules(world: tuple[Cli, dict[str, str]], viewer: str | None) -> None:
    cli, refs = world
    for stage, ref in refs.items():
        result = _run(cli, viewer, "scoring", "sheets", ref, "--json")
        table = _run(cli, viewer, "scoring", "sheets", ref)
        scorers = STAGES[stage][1]
        if sees_sheets(viewer, stage):
            data = json.loads(ok(result).stdout)
            assert [s["member"] for s in data["sheet_details"]] == sorted(scorers)
            assert {s["comment"] for s in data["sheet_details"]} == {sentinel(s, stage) for s in scorers}
            assert _sentinels(ok(table).stdout) == {(s, stage) for s in scorers}
        elif sees_summary(viewer, stage):
            data = json.loads(ok(result).stdout)
            assert data["sheet_details"] == "withheld" and data["mean"].endswith("%")
            assert data["support"] == len(scorers)
            assert _sentinels(result.stdout + table.stdout) == set()
        else:
            assert result.exit_code == 1 and table.exit_code == 1, result.output
            if viewer is None:
                assert "nobody is acting" in result.stderr
            else:
                assert "may not see the sheets" in result.stderr and "needs the role" in result.stderr
            assert _sentinels(result.stdout + table.stdout) == set()
    ranking = json.loads(ok(_run(cli, viewer, "scoring", "ranking", "--json")).stdout)["bids"]
    by_ref = {row["reference"]: row for row in ranking}
    any_hidden = False
    for stage, ref in refs.items():
        if STAGES[stage][2] == "draft":
            assert ref not in by_ref
            continue
        row = by_ref[ref]
        if sees_summary(viewer, stage):
            if STAGES[stage][1]:
                assert row["mean"].endswith("%"), (stage, viewer, row)
        else:
            any_hidden = True
            assert row["mean"] == "withheld" and row["support"] == "withheld", (stage, viewer, row)
            assert row["withheld"]
    for row in ranking:
        assert (row["rank"] == "withheld") is any_hidden
    text = ok(_run(cli, viewer, "scoring", "ranking")).stdout
    assert _sentinels(text) == set()


def _workbook_scores(cli: Cli, viewer: str | None, tmp_path: Path) -> dict[str, list[Any]] | None:
    from openpyxl import load_workbook

    path = tmp_path / f"{viewer}.xlsx"
    result = _run(cli, viewer, "export", "xlsx", "--out", str(path))
    if result.exit_code != 0:
        assert result.exit_code == 1 and not path.exists()
        return None
    book = load_workbook(path)
    rows = list(book["Scores"].iter_rows(values_only=True))[1:]
    for sheet in book.worksheets:
        for line in sheet.iter_rows(values_only=True):
            assert _sentinels(" ".join(str(c) for c in line)) == set()
    return {row[1]: list(row) for row in rows}


def test_the_workbook_shows_the_same_figures_to_everyone_or_says_withheld(
    world: tuple[Cli, dict[str, str]], tmp_path: Path
) -> None:
    cli, refs = world
    books = {viewer: _workbook_scores(cli, viewer, tmp_path) for viewer in ORGS}
    assert {v for v, b in books.items() if b is not None} == DECIDERS | {"treasurer"}
    truth: dict[str, Any] = {}
    for viewer, book in books.items():
        if book is None:
            continue
        for stage, ref in refs.items():
            if stage == "draft":
                continue
            mean = book[ref][3]
            if sees_summary(viewer, stage):
                assert mean != "withheld"
                truth.setdefault(ref, mean)
                assert mean == truth[ref]  # the same figure whoever exports it
            else:
                assert mean == "withheld"
    assert {ref for ref in truth} == {refs[s] for s in LEFT_SCORING}


@pytest.mark.parametrize("viewer", list(ORGS), ids=lambda v: v or "nobody")
def test_reports_carry_no_sheet(world: tuple[Cli, dict[str, str]], viewer: str | None) -> None:
    cli, _ = world
    for args in (
        ("report", "working-group"),
        ("report", "working-group", "--format", "json"),
        ("report", "action-plan"),
        ("status",),
        ("bid", "list", "--json"),
    ):
        result = _run(cli, viewer, *args)
        assert _sentinels(result.stdout + result.stderr) == set(), args


# Every command that shows data (walked from the CLI by tests/test_json_output.py), as text and
# as --json, with the bid whose sheets are all in while it is still in scoring: the JSON carries
# no sheet the viewer may not see, exactly as the text does not.
JSON_VIEWERS = ("wg-police", "wg-kfrs", "kcc-officer", "treasurer")


@pytest.mark.slow
@pytest.mark.parametrize("viewer", JSON_VIEWERS)
def test_every_json_output_follows_the_visibility_rules(world: tuple[Cli, dict[str, str]], viewer: str) -> None:
    from tests.test_json_output import SHOWS

    cli, refs = world
    allowed = _allowed(viewer)
    for name, argv in SHOWS:
        args = [refs["scoring-all"] if a == "CRG-2425-001" else a for a in argv]
        text = _run(cli, viewer, *args)
        as_json = _run(cli, viewer, *args, "--json")
        assert _sentinels(text.stdout) <= allowed, (name, viewer)
        assert _sentinels(as_json.stdout) <= allowed, (name, viewer)
        if as_json.exit_code in (0, 4):
            json.loads(as_json.stdout)
