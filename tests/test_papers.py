"""The papers as Word documents, read back with python-docx: the Working Group's update in the shape
of seed 002's paper, the action plan with exactly the funded actions in purple, the year-end
statement; each with the pot chart and the audit head."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.shared import RGBColor
from sqlalchemy import select

from tests.conftest import Cli, demo_copy
from tests.test_approvals import ok

PURPLE = RGBColor(0x70, 0x30, 0xA0)


def run_json(cli: Cli, *args: str) -> Any:
    return json.loads(ok(cli(*args)).stdout)


def head_of(cli: Cli) -> tuple[int, str]:
    from grants.db import session_scope
    from grants.models import Partnership

    with session_scope(cli.url, write=False) as session:
        count, head = session.execute(select(Partnership.audit_count, Partnership.audit_head)).one()
    return count, head


def paper(cli: Cli, tmp_path: Path, report: str, *args: str, actor: str | None = None) -> Any:
    out = tmp_path / f"{report}.docx"
    result = ok(cli("report", report, "--format", "docx", "--out", str(out), *args, actor=actor))
    count, head = head_of(cli)
    assert f"audit head: event {count}, {head[:12]}" in result.output
    return Document(str(out))


def texts(doc: Any) -> list[str]:
    return [p.text for p in doc.paragraphs]


def headings(doc: Any) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def rows(table: Any) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def is_purple(run: Any) -> bool:
    return run.font.color is not None and run.font.color.type is not None and run.font.color.rgb == PURPLE


def assert_audit_head(doc: Any, cli: Cli) -> None:
    count, head = head_of(cli)
    line = f"audit head: event {count}, {head[:12]}"
    assert any(line in t and head in t for t in texts(doc))
    assert all(line in "\n".join(p.text for p in s.footer.paragraphs) for s in doc.sections)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --- the Working Group's update ------------------------------------------------------------------


def test_working_group_docx_has_the_seed_header_block_summary_sections_and_appendix(
    demo: Cli, tmp_path: Path
) -> None:
    doc = paper(demo, tmp_path, "working-group", "--meeting", "2024-07-04", actor="kcc-officer")
    data = run_json(demo, "report", "working-group", "--format", "json")
    body = texts(doc)
    assert headings(doc)[0] == ("Title", "Kent Community Safety Partnership Working Group Update")
    block = [t for t in body if t.split(":")[0] in ("From", "To", "Subject", "Classification")]
    assert block == [
        "From: Kent Community Safety Team Officer, Kent County Council",
        "To: Kent Community Safety Partnership – 4 July 2024",
        "Subject: Crime Reduction Grant 2024/25: Kent Community Safety Partnership Working Group Update",
        "Classification: For Information",
    ]
    summary = next(p for p in doc.paragraphs if p.text.startswith("Summary "))
    recommendation = next(p for p in doc.paragraphs if p.text.startswith("Recommendation "))
    assert summary.runs[0].bold and recommendation.runs[0].bold
    assert "the nine project proposals received, the seven projects recommended for funding (£26,278)" in (
        summary.text
    )
    assert recommendation.text.endswith(
        "the seven projects recommended for funding, totalling £26,278 (Appendix 1)."
    )
    assert [h for h in headings(doc) if h[0] != "Title"] == [
        ("Heading 1", "1. The Crime Reduction Grant for 2024/25 and its split"),
        ("Heading 1", "2. The round"),
        ("Heading 1", "3. Recommended for funding, and why"),
        ("Heading 1", "4. The tactical pot"),
        ("Heading 1", "5. Underspend and returns"),
        ("Heading 1", "Appendix 1: CRG business cases 2024/25"),
    ]
    # Every numbered paragraph is the text report's sentence, from the same data.
    paragraphs = data["paragraphs"]
    for number, key in (
        ("1.1", "allocation"),
        ("2.1", "proposals"),
        ("4.1", "tactical_pot"),
        ("5.1", "underspend"),
    ):
        assert f"{number}\t{paragraphs[key]}" in body
    assert f"2.2\t{paragraphs['outcomes'][0]}" in body
    assert f"3.2\t{paragraphs['approvals']}" in body
    appendix = rows(doc.tables[-1])
    assert appendix[0] == ["Reference", "Title", "Lead", "Amount requested", "Mean score", "Recommendation"]
    assert appendix[-1][1:4] == ["Total recommended", "", "£26,278"]
    bids = appendix[1:-1]
    assert [r[0] for r in bids] == [f"CRG-2425-00{n}" for n in range(1, 10)]
    recommended = [r for r in bids if r[5] == "Recommended"]
    assert [r[0] for r in recommended] == [p["reference"] for p in data["recommended"]]
    assert (
        sum(int(r[3].strip("£").replace(",", "")) for r in recommended) * 100
        == (data["recommended_total_pence"])
    )
    assert {r[5] for r in bids} == {"Recommended", "Not recommended"}
    assert all(r[4].endswith("%") for r in bids)
    assert len(doc.inline_shapes) == 1
    image = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    assert png_size(doc.part.related_parts[image].blob) == (1200, 560)
    assert_audit_head(doc, demo)


def test_working_group_docx_from_the_officers_template_keeps_its_styles_and_drops_its_body(
    demo: Cli, tmp_path: Path
) -> None:
    template = Document()
    template.add_paragraph("Placeholder the officer left in the template")
    template.styles["Heading 1"].font.color.rgb = RGBColor(0x00, 0x66, 0x33)
    template.sections[0].header.paragraphs[0].text = "KENT COUNTY COUNCIL"
    path = tmp_path / "kcc-template.docx"
    template.save(str(path))
    doc = paper(demo, tmp_path, "working-group", "--template", str(path))
    assert "Placeholder the officer left in the template" not in texts(doc)
    assert doc.sections[0].header.paragraphs[0].text == "KENT COUNTY COUNCIL"
    assert doc.styles["Heading 1"].font.color.rgb == RGBColor(0x00, 0x66, 0x33)
    assert ("Heading 1", "2. The round") in headings(doc)
    # Without --as, the paper is from the partnership's officer.
    assert "From: Kent Community Safety Team Officer, Kent County Council" in texts(doc)
    assert "To: Kent Community Safety Partnership" in texts(doc)


def test_a_word_template_dotx_is_taken_as_the_document_it_makes(demo: Cli, tmp_path: Path) -> None:
    import zipfile

    template = Document()
    template.sections[0].header.paragraphs[0].text = "KCSP letterhead"
    docx = tmp_path / "made.docx"
    template.save(str(docx))
    dotx = tmp_path / "KCSP paper.dotx"
    with zipfile.ZipFile(docx) as source, zipfile.ZipFile(dotx, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"wordprocessingml.document.main", b"wordprocessingml.template.main")
            target.writestr(item, data)
    doc = paper(demo, tmp_path, "working-group", "--template", str(dotx))
    assert doc.sections[0].header.paragraphs[0].text == "KCSP letterhead"
    assert ("Heading 1", "2. The round") in headings(doc)


def test_working_group_docx_before_any_decision_shows_no_scores(round_: Cli, tmp_path: Path) -> None:
    doc = paper(round_, tmp_path, "working-group")
    appendix = rows(doc.tables[-1])
    assert appendix[-1][1:4] == ["Total recommended", "", "£0"]
    assert {r[4] for r in appendix[1:-1]} == {"—"}
    assert {r[5] for r in appendix[1:-1]} == {"Awaiting decision"}
    assert not any(t.startswith("Recommendation ") and "Appendix 1" in t for t in texts(doc))


def test_working_group_docx_says_when_a_recommendation_overrode_the_consensus_rule(
    round_: Cli, tmp_path: Path
) -> None:
    from grants.demo import score_proposals

    score_proposals(round_.url, ["CRG-2425-009"], first_position=8)
    ok(
        round_(
            "shortlist",
            "CRG-2425-009",
            "--override",
            "--reason",
            "Pilot agreed by the Chair",
            actor="kcc-officer",
        )
    )
    # Nobody acting: the means are withheld (blind scoring); the officer sees them.
    anonymous = rows(paper(round_, tmp_path, "working-group").tables[-1])
    assert [r[4] for r in anonymous if r[0] == "CRG-2425-009"] == ["withheld"]
    doc = paper(round_, tmp_path, "working-group", actor="kcc-officer")
    body = texts(doc)
    assert (
        "3.1\tThe Working Group recommended one project for funding, totalling £4,800, on the partners' "
        "scores and the consensus rule, with one override of it (the reasons recorded):"
    ) in body
    appendix = rows(doc.tables[-1])
    (row,) = [r for r in appendix if r[0] == "CRG-2425-009"]
    assert row[5] == "Recommended" and row[4].endswith("%")
    assert {r[4] for r in appendix[1:-1] if r[0] != "CRG-2425-009"} == {"—"}  # still being decided
    assert appendix[-1][3] == "£4,800"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "docx"), "a Word document is not written to the terminal: give --out FILE"),
        (("--meeting", "2024-07-04"), "--meeting belongs to --format docx"),
        (
            ("--format", "docx", "--out", "{tmp}/p.docx", "--meeting", "4th July"),
            "--meeting '4th July' is not a date",
        ),
        (
            ("--format", "docx", "--out", "{tmp}/p.docx", "--template", "{tmp}/none.docx"),
            "there is no such file",
        ),
        (
            ("--format", "docx", "--out", "{tmp}/p.docx", "--template", "{tmp}/notes.txt"),
            "is not a Word document",
        ),
        (("--format", "docx", "--out", "{tmp}/missing/p.docx"), "does not exist"),
        (
            (
                "--format",
                "pdf",
            ),
            "--format 'pdf' is not one of markdown, json, docx",
        ),
    ],
)
def test_working_group_docx_refuses_bad_input_and_writes_nothing(
    demo: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "notes.txt").write_text("not a Word document")
    before = demo.snapshot()
    result = demo("report", "working-group", *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "p.docx").exists()
    assert demo.snapshot() == before


def test_a_template_without_heading_styles_is_refused(demo: Cli, tmp_path: Path) -> None:
    template = Document()
    template.styles["Heading 1"].delete()
    path = tmp_path / "plain.docx"
    template.save(str(path))
    result = demo(
        "report",
        "working-group",
        "--format",
        "docx",
        "--out",
        str(tmp_path / "p.docx"),
        "--template",
        str(path),
    )
    assert result.exit_code == 2
    assert "has no 'Heading 1' style" in result.output


def test_text_reports_can_go_to_a_file_too(demo: Cli, tmp_path: Path) -> None:
    out = tmp_path / "wg.md"
    ok(demo("report", "working-group", "--out", str(out)))
    assert out.read_text() == ok(demo("report", "working-group")).stdout


# --- the action plan -----------------------------------------------------------------------------


def purple_rows(doc: Any) -> tuple[list[str], list[str]]:
    """The references of the action plan's purple rows and of its other rows; and nothing outside
    those rows (no paragraph, heading or header cell) is purple."""
    assert not any(is_purple(run) for p in doc.paragraphs for run in p.runs)
    purple, other = [], []
    for table in doc.tables:
        for row in table.rows[1:]:
            runs = [run for cell in row.cells for p in cell.paragraphs for run in p.runs]
            flags = {is_purple(run) for run in runs if run.text}
            assert len(flags) == 1, "a row is wholly purple or not at all"
            if row.cells[0].text:
                (purple if flags == {True} else other).append(row.cells[0].text)
            else:
                assert flags == {False}, "the total row is not purple"
        assert not any(
            is_purple(run) for cell in table.rows[0].cells for p in cell.paragraphs for run in p.runs
        )
    xml = doc.element.xml
    assert "w:highlight" not in xml and "w:shd" not in xml
    return purple, other


@pytest.mark.parametrize("stage", ["shortlisting", "approvals", "tactical", "year-end"])
def test_action_plan_docx_shows_exactly_the_funded_actions_in_purple(
    cli: Cli, tmp_path: Path, stage: str
) -> None:
    demo_copy(cli.url, stage)
    doc = paper(cli, tmp_path, "action-plan")
    purple, other = purple_rows(doc)
    bids = run_json(cli, "bid", "list", "--json")
    bids = bids["bids"] if isinstance(bids, dict) else bids
    funded = [b["reference"] for b in bids if b["status"] in ("funded", "in_delivery", "delivered", "closed")]
    waiting = [
        b["reference"] for b in bids if b["status"] in ("shortlisted", "chair_approved", "clarification")
    ]
    assert purple == funded
    assert other == waiting
    assert purple or other
    plan = run_json(cli, "report", "action-plan", "--format", "json")
    total = rows(doc.tables[0])[-1]
    assert total[2] == "Total awarded" and total[7] == plan["total_award"]
    assert doc.sections[0].page_width > doc.sections[0].page_height
    assert_audit_head(doc, cli)


def test_action_plan_docx_of_the_next_year_shows_the_carried_project_in_purple(
    cli: Cli, tmp_path: Path
) -> None:
    demo_copy(cli.url, rollover=True)
    doc = paper(cli, tmp_path, "action-plan")
    assert headings(doc)[0][1].startswith("Community Safety Agreement action plan 2025/26")
    purple, other = purple_rows(doc)
    assert (purple, other) == (["CRG-2425-007"], [])
    assert rows(doc.tables[0])[1][-1] == "in delivery (carried from 2024/25)"


def test_working_group_docx_of_a_year_with_no_bids_says_so(cli: Cli, tmp_path: Path) -> None:
    demo_copy(cli.url, rollover=True)
    doc = paper(cli, tmp_path, "working-group")
    body = texts(doc)
    assert any(
        t.startswith("Summary This report updates")
        and t.endswith("the tactical pot and the underspend; no project proposal has been received yet.")
        for t in body
    )
    assert "No business case has been received for 2025/26 yet." in body
    assert not doc.tables[-1].rows[0].cells[0].text == "Reference"
    assert any("carried forward into 2025/26" in t and "CRG-2425-007" in t for t in body)


# --- the year-end statement ----------------------------------------------------------------------


@pytest.mark.parametrize("rollover", [False, True])
def test_year_end_docx_states_pots_projects_returns_carried_and_the_audit_head(
    cli: Cli, tmp_path: Path, rollover: bool
) -> None:
    demo_copy(cli.url, rollover=rollover)
    doc = paper(cli, tmp_path, "year-end", "--year", "2024/25")
    s = run_json(cli, "report", "year-end", "--year", "2024/25", "--json")
    body = texts(doc)
    names = [h[1] for h in headings(doc)]
    assert names[0] == "Kent Community Safety Partnership: Crime Reduction Grant year-end statement 2024/25"
    assert names[1:4] == ["1. The pots", "2. The projects", "3. Underspend and returns"]
    assert names[4] == "4. Projects carried forward"
    assert names[-1].endswith("The audit head")
    pots = rows(doc.tables[0])
    assert pots[0] == ["Pot", "Allocated", "Committed", "Free", "Spent", "Released", "Returned"]
    for row in pots[1:3]:
        figures = s["pots"][row[0].removesuffix(" pot")]
        assert row[1:] == [
            figures[n] for n in ("allocated", "committed", "free", "spent", "released", "returned")
        ]
    projects = rows(doc.tables[1])
    assert [r[0] for r in projects[1:-1]] == [p["reference"] for p in s["projects"]]
    verb = "returned" if rollover else "to be returned"
    assert any(f"{s['to_return']} is {verb} to the Kent Police and Crime Commissioner" in t for t in body)
    if rollover:
        assert s["carried"], "the demo's rollover carries a project forward"
        carried = s["carried"][0]
        assert any(carried["reference"] in t and t.endswith(carried["amount"]) for t in body)
    else:
        assert "4.1\tNo project is carried forward." in body
        assert "5. Before the year can close" in names
    count, head = head_of(cli)
    assert any(f"the audit trail then held {count} events, the last with hash {head}" in t for t in body)
    assert len(doc.inline_shapes) == 1
    assert_audit_head(doc, cli)


def test_year_end_docx_needs_out_and_other_formats_refuse_docx_options(demo: Cli, tmp_path: Path) -> None:
    result = demo("report", "year-end", "--format", "docx")
    assert result.exit_code == 2 and "give --out FILE" in result.output
    result = demo("report", "year-end", "--out", str(tmp_path / "y.docx"))
    assert result.exit_code == 2 and "--out belongs to --format docx" in result.output


# --- the pot chart -------------------------------------------------------------------------------


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    width, height = png_size(data)
    idat = b""
    at = 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 3 + 1
    assert len(raw) == stride * height and all(raw[r * stride] == 0 for r in range(height))
    return width, height, b"".join(raw[r * stride + 1 : (r + 1) * stride] for r in range(height))


def test_pot_chart_draws_bars_in_proportion_and_no_purple() -> None:
    from grants.papers.potchart import SERIES_COLOURS, bar_chart, grid_step

    assert [grid_step(n) for n in (1, 500, 2_644_000, 3_000_001)] == [100, 100, 1_000_000, 1_000_000]
    width, height, pixels = decode_png(bar_chart(["a", "b"], [[400_000, 200_000], [100_000, 0]], ["x", "y"]))

    def column_height(colour: tuple[int, int, int]) -> list[int]:
        counts = []
        for x in range(width):
            n = sum(
                1
                for y in range(height)
                if pixels[(y * width + x) * 3 : (y * width + x) * 3 + 3] == bytes(colour)
            )
            if n:
                counts.append(n)
        return counts

    first = max(column_height(SERIES_COLOURS[0]))
    second = max(column_height(SERIES_COLOURS[1]))
    assert first == 2 * second  # £4,000 against £2,000: the tallest bar in a plot 400 pixels high
    colours = {pixels[i : i + 3] for i in range(0, len(pixels), 3)}
    assert bytes((0x70, 0x30, 0xA0)) not in colours


# --- a paper as PDF, with LibreOffice ------------------------------------------------------------


@pytest.mark.slow  # starts LibreOffice
@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None, reason="LibreOffice not installed"
)
def test_working_group_docx_converts_to_a_pdf_with_its_text(demo: Cli, tmp_path: Path) -> None:
    out = tmp_path / "wg.docx"
    ok(demo("report", "working-group", "--format", "docx", "--meeting", "2024-07-04", "--out", str(out)))
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "wg.pdf"
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 3 <= pages <= 5
    for expected in (
        "Classification: For Information",
        "To: Kent Community Safety Partnership – 4 July 2024",
        "Appendix 1",
        "Total recommended",
        "£26,278",
    ):
        assert expected in text
