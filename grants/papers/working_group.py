"""The Working Group's update to the partnership as a Word paper (seed 002's "KCSP Working Group
Update"): every sentence is the text report's (grants.reports.working_group); this module only lays
them out as a paper, with the decided bids' mean scores where the reader may see them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from grants.audit_chain import audit_head
from grants.models import Bid, Organisation
from grants.papers.layout import CLASSIFICATION, PaperSummary, header_block, officer_line, pots_section, save
from grants.papers.word import Paper
from grants.reports.working_group import WorkingGroupReport, working_group_report
from grants.scope import Scope
from grants.wording import counted_in_words, day_text
from grants.writing.prose import programme_title

APPENDIX_COLUMNS = ("Reference", "Title", "Lead", "Amount requested", "Mean score", "Recommendation")


def summary_text(r: WorkingGroupReport) -> str:
    n, recommended = len(r.received), len(r.recommended)
    text = (
        f"This report updates the {r.partnership} on the {programme_title(r.programme)} for {r.year.label}: "
        f"the allocation of {r.allocation} and its split"
    )
    if not n:
        return text + ", the tactical pot and the underspend; no project proposal has been received yet."
    text += f", the {counted_in_words(n, 'project proposal')} received"
    if recommended:
        text += f", the {counted_in_words(recommended, 'project')} recommended for funding ({r.recommended_total})"
    return text + ", the tactical pot and the underspend."


def recommendation_text(r: WorkingGroupReport) -> str:
    if not r.recommended:
        return f"The {r.partnership} is asked to note this update."
    return (
        f"The {r.partnership} is asked to note this update and the "
        f"{counted_in_words(len(r.recommended), 'project')} recommended for funding, totalling "
        f"{r.recommended_total} (Appendix 1)."
    )


def _decided_scores(scope: Scope, r: WorkingGroupReport) -> dict[str, str]:
    """Mean scores of the bids the Working Group has decided; a bid still being decided keeps its
    scores to the scorers (blind scoring), so the paper shows no figure for it."""
    from grants.scoring import assess, percent_text

    decided = {p.reference for p in r.recommended + r.declined}
    rows = [
        (bid, organisation)
        for bid, organisation in scope.session.execute(
            select(Bid, Organisation)
            .join(Organisation, Organisation.id == Bid.lead_organisation_id)
            .where(Bid.year_id == r.year.id, col(Bid.reference).in_(sorted(decided)))
            .order_by(Bid.sequence)
        )
    ]
    from grants.visibility import WITHHELD, Viewer

    viewer = Viewer.of(scope)
    return {
        a.bid.reference: (percent_text(a.mean) if a.sheets else "—")
        if viewer.sees_summary(a.bid)
        else WITHHELD
        for a in assess(scope, rows)
    }


def _why(reference: str, means: dict[str, str]) -> str:
    mean = means.get(reference, "—")
    return f"mean score {mean}" if mean != "—" else "not scored"  # `withheld` when the viewer may not see it


def write_working_group(
    scope: Scope, path: Path, *, label: str | None, meeting: date | None, template: Path | None
) -> PaperSummary:
    """The Working Group's update as a Word paper in the shape of seed 002's."""
    r = working_group_report(scope, label)
    paper = Paper(template)
    head = audit_head(scope.session, scope.partnership.id)
    means = _decided_scores(scope, r)
    title = f"{r.partnership} Working Group Update"
    paper.title(title)
    header_block(
        paper,
        [
            ("From", officer_line(scope)),
            ("To", f"{r.partnership} – {day_text(meeting)}" if meeting else r.partnership),
            ("Subject", f"{programme_title(r.programme)} {r.year.label}: {title}"),
            ("Classification", CLASSIFICATION),
        ],
    )
    paper.paragraph(summary_text(r), label="Summary")
    paper.paragraph(recommendation_text(r), label="Recommendation")
    _round_sections(paper, r, means, f"Figure 1: each pot's money on {day_text(scope.today)}")
    _appendix(paper, r, means)
    paper.audit(head, f"Made from the books of the {r.partnership}")
    save(paper, path, title)
    return PaperSummary(
        title, r.year.label, f"{len(r.received)} bids, {r.recommended_total} recommended", head
    )


def _round_sections(paper: Paper, r: WorkingGroupReport, means: dict[str, str], chart_caption: str) -> None:
    """Sections 1 to 5: the allocation and its split, the round, the recommendations and why, the
    tactical pot, and the underspend."""
    paper.heading(f"1. The {programme_title(r.programme)} for {r.year.label} and its split")
    paper.numbered("1.1", r.allocation_paragraph())
    pots_section(paper, r.pots, chart_caption)

    paper.heading("2. The round")
    paper.numbered("2.1", r.proposals_paragraph())
    for index, line in enumerate(r.outcome_lines(), start=2):
        paper.numbered(f"2.{index}", line)

    paper.heading("3. Recommended for funding, and why")
    if r.recommended:
        paper.numbered(
            "3.1",
            f"The Working Group recommended {counted_in_words(len(r.recommended), 'project')} for funding, "
            f"totalling {r.recommended_total}, on the partners' scores and "
            + (
                "the consensus of support:"
                if not r.overrides
                else f"the consensus rule, with {counted_in_words(r.overrides, 'override')} of it (the reasons recorded):"
            ),
        )
        paper.bullets(
            f"{p.title} ({p.reference}, {p.amount}): {_why(p.reference, means)}" for p in r.recommended
        )
        paper.numbered("3.2", r.approvals_paragraph())
    else:
        paper.numbered("3.1", r.approvals_paragraph())

    paper.heading("4. The tactical pot")
    paper.numbered("4.1", r.tactical_paragraph())

    paper.heading("5. Underspend and returns")
    paper.numbered("5.1", r.underspend_paragraph())


def _appendix(paper: Paper, r: WorkingGroupReport, means: dict[str, str]) -> None:
    """Appendix 1: every business case received, its mean score and the Working Group's decision."""
    paper.heading(f"Appendix 1: {r.programme} business cases {r.year.label}")
    recommended = {p.reference for p in r.recommended}
    outcome: dict[str, str] = {
        **{p.reference: "Not recommended" for p in r.declined},
        **{p.reference: "Withdrawn" for p in r.withdrawn},
        **{p.reference: "Recommended" for p in r.recommended},
    }
    rows = [
        [
            p.reference,
            p.title,
            p.organisation,
            str(p.amount),
            means.get(p.reference, "—"),
            outcome.get(p.reference, "Awaiting decision"),
        ]
        for p in r.received
    ]
    if rows:
        paper.table(
            APPENDIX_COLUMNS,
            rows,
            total=["", "Total recommended", "", str(r.recommended_total), "", f"{len(recommended)} projects"],
            numeric=(3, 4),
            widths=(2.9, 4.4, 3.3, 2.2, 1.8, 2.4),
        )
    else:
        paper.paragraph(f"No business case has been received for {r.year.label} yet.")
