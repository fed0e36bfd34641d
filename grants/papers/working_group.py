"""The papers the partnership circulates, as Word documents: the Working Group's update (seed 002's
"KCSP Working Group Update"), the action plan with its funded actions in purple, and the year-end
statement for the PCC.

Every sentence is the text report's, from the same data (grants.reports.working_group, grants.rollover); this
module only lays them out as a paper. Each paper states the audit head it was made at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from grants.audit_chain import AuditHead, audit_head
from grants.identity import is_officer
from grants.models import Bid, Member, Organisation
from grants.money import Money, sum_money
from grants.papers.potchart import POT_SERIES, pot_chart
from grants.papers.word import Paper
from grants.pots import PotFigures
from grants.reports.working_group import (
    ACTION_COLUMNS,
    Action,
    WorkingGroupReport,
    action_plan,
    awaiting_confirmation,
    counted,
    day_text,
    programme_title,
    working_group_report,
)
from grants.scope import Scope
from grants.writing.files import write_whole

# The seed's papers to the partnership are "For Information": the partnership is asked to note them.
CLASSIFICATION = "For Information"
APPENDIX_COLUMNS = ("Reference", "Title", "Lead", "Amount requested", "Mean score", "Recommendation")
POT_COLUMNS = ("Pot", *(label for _, label in POT_SERIES))


@dataclass(frozen=True)
class PaperSummary:
    """What a paper holds, for the command's one-line note."""

    title: str
    year: str
    detail: str
    head: AuditHead


def officer_line(scope: Scope) -> str:
    """Who the paper is from: the acting member if an officer, else the partnership's first officer."""
    actor = scope.actor_or_none
    if actor is None or not is_officer(actor):
        members = scope.session.execute(
            select(Member).where(Member.partnership_id == scope.partnership.id).order_by(Member.id)
        ).scalars()
        actor = next((m for m in members if is_officer(m)), None)
    if actor is None:
        return f"the {scope.partnership.name} Working Group"
    organisation = scope.session.get(Organisation, actor.organisation_id)
    return f"{actor.name}, {organisation.name}" if organisation else actor.name


def _header_block(paper: Paper, rows: list[tuple[str, str]]) -> None:
    for label, value in rows:
        paper.paragraph(value, label=f"{label}:")


def _pots(paper: Paper, pots: list[PotFigures], caption: str) -> None:
    rows = [[f"{f.kind.value} pot", *(str(getattr(f, name)) for name, _ in POT_SERIES)] for f in pots]
    total = ["Total", *(str(sum_money(getattr(f, name) for f in pots)) for name, _ in POT_SERIES)]
    paper.table(POT_COLUMNS, rows, total=total, numeric=range(1, len(POT_COLUMNS)))
    paper.picture(pot_chart(pots), caption)


def _save(paper: Paper, path: Path, title: str) -> None:
    write_whole(path, lambda partial: paper.save(partial, title))


# --- the Working Group's update ------------------------------------------------------------------


def summary_text(r: WorkingGroupReport) -> str:
    n, recommended = len(r.received), len(r.recommended)
    text = (
        f"This report updates the {r.partnership} on the {programme_title(r.programme)} for {r.year.label}: "
        f"the allocation of {r.allocation} and its split"
    )
    if not n:
        return text + ", the tactical pot and the underspend; no project proposal has been received yet."
    text += f", the {counted(n, 'project proposal')} received"
    if recommended:
        text += f", the {counted(recommended, 'project')} recommended for funding ({r.recommended_total})"
    return text + ", the tactical pot and the underspend."


def recommendation_text(r: WorkingGroupReport) -> str:
    if not r.recommended:
        return f"The {r.partnership} is asked to note this update."
    return (
        f"The {r.partnership} is asked to note this update and the "
        f"{counted(len(r.recommended), 'project')} recommended for funding, totalling "
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
    subject = f"{programme_title(r.programme)} {r.year.label}: {title}"
    paper.title(title)
    _header_block(
        paper,
        [
            ("From", officer_line(scope)),
            ("To", f"{r.partnership} – {day_text(meeting)}" if meeting else r.partnership),
            ("Subject", subject),
            ("Classification", CLASSIFICATION),
        ],
    )
    paper.paragraph(summary_text(r), label="Summary")
    paper.paragraph(recommendation_text(r), label="Recommendation")

    paper.heading(f"1. The {programme_title(r.programme)} for {r.year.label} and its split")
    paper.numbered("1.1", r.allocation_paragraph())
    _pots(paper, r.pots, f"Figure 1: each pot's money on {day_text(scope.today)}")

    paper.heading("2. The round")
    paper.numbered("2.1", r.proposals_paragraph())
    for index, line in enumerate(r.outcome_lines(), start=2):
        paper.numbered(f"2.{index}", line)

    paper.heading("3. Recommended for funding, and why")
    if r.recommended:
        paper.numbered(
            "3.1",
            f"The Working Group recommended {counted(len(r.recommended), 'project')} for funding, "
            f"totalling {r.recommended_total}, on the partners' scores and "
            + (
                "the consensus of support:"
                if not r.overrides
                else f"the consensus rule, with {counted(r.overrides, 'override')} of it (the reasons recorded):"
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
    paper.audit(head, f"Made from the books of the {r.partnership}")
    _save(paper, path, title)
    return PaperSummary(
        title, r.year.label, f"{len(r.received)} bids, {r.recommended_total} recommended", head
    )


# --- the action plan -----------------------------------------------------------------------------


def _action_row(a: Action, status: str) -> list[str]:
    return [
        a.reference,
        "; ".join(a.priorities) or "—",
        a.objective,
        a.actions or "—",
        a.measures or "—",
        day_text(a.timescale) if a.timescale else "—",
        a.lead_agency,
        str(a.award) if a.award.pence else "—",
        status,
    ]


def write_action_plan(scope: Scope, path: Path, *, label: str | None, template: Path | None) -> PaperSummary:
    """The action plan's grant lines as a table: funded actions in purple (and only they), the
    projects recommended but not yet confirmed after them, not purple."""
    funded = action_plan(scope, label)
    pending = awaiting_confirmation(scope, funded.year.label)
    head = audit_head(scope.session, scope.partnership.id)
    paper = Paper(template, landscape=True)
    grant = programme_title(funded.programme)
    title = f"Community Safety Agreement action plan {funded.year.label}: projects funded by the {grant}"
    paper.title(title)
    _header_block(
        paper,
        [
            ("From", officer_line(scope)),
            ("To", funded.partnership),
            ("Subject", f"{grant} {funded.year.label}: the action plan's funded projects"),
            ("Classification", CLASSIFICATION),
        ],
    )
    paper.paragraph(
        f"Purple actions – funded projects supported by the {funded.partnership} using the "
        f"{funded.funder}'s {grant} ({counted(len(funded.actions), 'project')}, {funded.total} awarded). "
        + (
            f"{counted(len(pending.actions), 'recommended project').capitalize()} "
            f"{'is' if len(pending.actions) == 1 else 'are'} listed after them, to be shown in purple "
            "once the funding is confirmed."
            if pending.actions
            else ""
        ),
        label="Key:",
    )
    paper.heading(f"1. Actions funded by the {grant}")
    rows = [
        _action_row(
            a,
            a.status.value.replace("_", " ")
            + (f" (carried from {a.carried_from})" if a.carried_from else ""),
        )
        for a in funded.actions
    ]
    rows += [
        _action_row(a, f"awaiting confirmation ({a.status.value.replace('_', ' ')})") for a in pending.actions
    ]
    if rows:
        total = ["", "", "Total awarded", "", "", "", "", str(funded.total), ""]
        paper.table(
            ACTION_COLUMNS,
            rows,
            purple=range(len(funded.actions)),
            total=total,
            numeric=(7,),
            widths=(2.8, 2.6, 4.6, 3.6, 3.4, 2.2, 2.6, 1.8, 2.1),
        )
    else:
        paper.paragraph(f"No project of {funded.year.label} has been recommended or funded yet.")
    paper.audit(head, f"Made from the books of the {funded.partnership}")
    _save(paper, path, title)
    return PaperSummary(
        title,
        funded.year.label,
        f"{counted(len(funded.actions), 'funded action')} in purple, "
        f"{counted(len(pending.actions), 'project')} awaiting confirmation",
        head,
    )


# --- the year-end statement ----------------------------------------------------------------------


def write_year_end(scope: Scope, path: Path, *, label: str | None, template: Path | None) -> PaperSummary:
    """The year-end statement for the PCC: pots, projects, underspend, returns, carried-forward
    projects and the audit head."""
    from grants.rollover import year_end

    s = year_end(scope, label)
    head = audit_head(scope.session, scope.partnership.id)
    p = scope.partnership
    grant = programme_title(p.programme)
    paper = Paper(template)
    title = f"{p.name}: {grant} year-end statement {s.year.label}"
    state = (
        "provisional: the year is still open"
        if s.provisional
        else f"final: the year is {s.year.status.value}"
    )
    paper.title(title)
    _header_block(
        paper,
        [
            ("From", officer_line(scope)),
            ("To", p.funder_name),
            ("Subject", f"{grant} {s.year.label}: underspend return and year-end statement ({state})"),
            ("Classification", CLASSIFICATION),
        ],
    )
    awarded = sum_money(x.award for x in s.projects)
    returned_verb = "returned" if (s.applied or s.already_closed) else "to be returned"
    paper.paragraph(
        f"In {s.year.label} the {p.name} was allocated {Money(s.year.allocation_pence)}, awarded "
        f"{awarded} to {counted(len(s.projects), 'project')} and spent {s.spent}; {s.to_return} is "
        f"{returned_verb} to the {p.funder_name}"
        + (f" and {s.carried_total} is carried forward into {s.next_label}." if s.carried else "."),
        label="Summary",
    )

    paper.heading("1. The pots")
    from grants.pots import POT_FIGURES

    # Allocated = Committed + Free (grants.years: the one definition of each figure)
    names = POT_FIGURES
    columns = ("Pot", *(name.capitalize() for name in names))
    rows = [[f"{f.kind.value} pot", *(str(getattr(f, n)) for n in names)] for f in s.pots]
    total = ["Total", *(str(sum_money(getattr(f, n) for f in s.pots)) for n in names)]
    paper.table(columns, rows, total=total, numeric=range(1, len(columns)))
    paper.picture(pot_chart(s.pots), f"Figure 1: each pot's money in {s.year.label}")

    paper.heading("2. The projects")
    if s.projects:
        paper.table(
            ("Reference", "Title", "Pot", "Status", "Award", "Spent", "Released", "Carried"),
            [
                [
                    x.reference,
                    x.title + (f" (carried from {x.carried_from})" if x.carried_from else ""),
                    x.pot.value,
                    x.status.value.replace("_", " "),
                    str(x.award),
                    str(x.spent),
                    str(x.underspend),
                    str(x.carried),
                ]
                for x in s.projects
            ],
            total=[
                "",
                "Total",
                "",
                "",
                str(awarded),
                str(sum_money(x.spent for x in s.projects)),
                str(sum_money(x.underspend for x in s.projects)),
                str(sum_money(x.carried for x in s.projects)),
            ],
            numeric=range(4, 8),
        )
    else:
        paper.paragraph(f"No project was awarded in {s.year.label}.")

    paper.heading("3. Underspend and returns")
    released = sum_money(f.released for f in s.pots)
    paper.numbered(
        "3.1",
        f"Projects left {released} of their awards unspent, released back to the pots. "
        f"{s.to_return} is {returned_verb} to the {p.funder_name}.",
    )

    paper.heading("4. Projects carried forward")
    if s.carried:
        titles = {x.reference: x.title for x in s.projects}
        paper.numbered(
            "4.1",
            f"{counted(len(s.carried), 'project').capitalize()} {'is' if len(s.carried) == 1 else 'are'} "
            f"carried forward into {s.next_label}, {s.carried_total} in all:",
        )
        paper.bullets(f"{titles.get(ref, ref)} ({ref}): {amount}" for ref, amount in s.carried)
    else:
        paper.numbered("4.1", "No project is carried forward.")
    if s.blockers:
        paper.heading("5. Before the year can close")
        for index, blocker in enumerate(s.blockers, start=1):
            paper.numbered(f"5.{index}", f"{blocker[:1].upper()}{blocker[1:]}.")

    paper.heading(f"{6 if s.blockers else 5}. The audit head")
    paper.numbered(
        f"{6 if s.blockers else 5}.1",
        f"This statement was made from the {p.name}'s books at {head.text}: the audit trail then held "
        f"{counted(head.count, 'event')}, the last with hash {head.hash}. `grants audit verify` proves "
        "the trail has not changed since.",
    )
    paper.audit(head, f"Made from the books of the {p.name}")
    _save(paper, path, title)
    return PaperSummary(title, s.year.label, f"{s.to_return} {returned_verb}", head)
