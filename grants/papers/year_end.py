"""The year-end statement for the PCC as a Word paper: pots, projects, underspend, returns,
carried-forward projects and the audit head, from the year-end statement (grants.reports.year_end)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grants.audit_chain import AuditHead, audit_head
from grants.money import Money, sum_money
from grants.papers.layout import CLASSIFICATION, PaperSummary, header_block, officer_line, save
from grants.papers.potchart import pot_chart
from grants.papers.word import Paper
from grants.pots import POT_FIGURES
from grants.scope import Scope
from grants.wording import counted_in_words, sentence, verb
from grants.writing.prose import programme_title, state_text

if TYPE_CHECKING:
    from grants.reports.year_end import Statement


def write_year_end(scope: Scope, path: Path, *, label: str | None, template: Path | None) -> PaperSummary:
    """The year-end statement for the PCC: pots, projects, underspend, returns, carried-forward
    projects and the audit head."""
    from grants.reports.year_end import year_end

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
    header_block(
        paper,
        [
            ("From", officer_line(scope)),
            ("To", p.funder_name),
            ("Subject", f"{grant} {s.year.label}: underspend return and year-end statement ({state})"),
            ("Classification", CLASSIFICATION),
        ],
    )
    returned_verb = "returned" if (s.applied or s.already_closed) else "to be returned"
    paper.paragraph(_summary_text(s, p.name, p.funder_name, returned_verb), label="Summary")
    _pots_section(paper, s)
    _projects_section(paper, s)
    paper.heading("3. Underspend and returns")
    paper.numbered(
        "3.1",
        f"Projects left {sum_money(f.released for f in s.pots)} of their awards unspent, released back "
        f"to the pots. {s.to_return} is {returned_verb} to the {p.funder_name}.",
    )
    _carried_section(paper, s)
    _closing_sections(paper, s, head, p.name)
    paper.audit(head, f"Made from the books of the {p.name}")
    save(paper, path, title)
    return PaperSummary(title, s.year.label, f"{s.to_return} {returned_verb}", head)


def _summary_text(s: Statement, partnership: str, funder: str, returned_verb: str) -> str:
    awarded = sum_money(x.award for x in s.projects)
    return (
        f"In {s.year.label} the {partnership} was allocated {Money(s.year.allocation_pence)}, awarded "
        f"{awarded} to {counted_in_words(len(s.projects), 'project')} and spent {s.spent}; {s.to_return} is "
        f"{returned_verb} to the {funder}"
        + (f" and {s.carried_total} is carried forward into {s.next_label}." if s.carried else ".")
    )


def _pots_section(paper: Paper, s: Statement) -> None:
    """Section 1: each pot's figures, Allocated = Committed + Free (grants.pots defines each)."""
    paper.heading("1. The pots")
    names = POT_FIGURES
    columns = ("Pot", *(name.capitalize() for name in names))
    rows = [[f"{f.kind.value} pot", *(str(getattr(f, n)) for n in names)] for f in s.pots]
    total = ["Total", *(str(sum_money(getattr(f, n) for f in s.pots)) for n in names)]
    paper.table(columns, rows, total=total, numeric=range(1, len(columns)))
    paper.picture(pot_chart(s.pots), f"Figure 1: each pot's money in {s.year.label}")


def _projects_section(paper: Paper, s: Statement) -> None:
    """Section 2: each project's award, spend, release and carried amount, with the totals."""
    paper.heading("2. The projects")
    if not s.projects:
        paper.paragraph(f"No project was awarded in {s.year.label}.")
        return
    paper.table(
        ("Reference", "Title", "Pot", "Status", "Award", "Spent", "Released", "Carried"),
        [
            [
                x.reference,
                x.title + (f" (carried from {x.carried_from})" if x.carried_from else ""),
                x.pot.value,
                state_text(x.status),
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
            str(sum_money(x.award for x in s.projects)),
            str(sum_money(x.spent for x in s.projects)),
            str(sum_money(x.underspend for x in s.projects)),
            str(sum_money(x.carried for x in s.projects)),
        ],
        numeric=range(4, 8),
    )


def _carried_section(paper: Paper, s: Statement) -> None:
    """Section 4: the projects carried forward into the next year, or a sentence saying none is."""
    paper.heading("4. Projects carried forward")
    if not s.carried:
        paper.numbered("4.1", "No project is carried forward.")
        return
    titles = {x.reference: x.title for x in s.projects}
    paper.numbered(
        "4.1",
        f"{counted_in_words(len(s.carried), 'project').capitalize()} {verb(len(s.carried), 'is', 'are')} "
        f"carried forward into {s.next_label}, {s.carried_total} in all:",
    )
    paper.bullets(f"{titles.get(ref, ref)} ({ref}): {amount}" for ref, amount in s.carried)


def _closing_sections(paper: Paper, s: Statement, head: AuditHead, partnership: str) -> None:
    """What still stops the year closing, if anything, then the audit head the statement was made at."""
    if s.blockers:
        paper.heading("5. Before the year can close")
        for index, blocker in enumerate(s.blockers, start=1):
            paper.numbered(f"5.{index}", f"{sentence(blocker)}.")
    section = 6 if s.blockers else 5
    paper.heading(f"{section}. The audit head")
    paper.numbered(
        f"{section}.1",
        f"This statement was made from the {partnership}'s books at {head.text}: the audit trail then held "
        f"{counted_in_words(head.count, 'event')}, the last with hash {head.hash}. `grants audit verify` proves "
        "the trail has not changed since.",
    )
