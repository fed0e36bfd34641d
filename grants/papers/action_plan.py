"""The action plan's grant lines as a landscape Word paper: the funded actions in purple (and only
they), then the projects recommended but not yet confirmed (grants.reports.action_plan)."""

from __future__ import annotations

from pathlib import Path

from grants.audit_chain import audit_head
from grants.papers.layout import CLASSIFICATION, PaperSummary, header_block, officer_line, save
from grants.papers.word import Paper
from grants.reports.action_plan import ACTION_COLUMNS, ActionPlan, action_plan, awaiting_confirmation
from grants.scope import Scope
from grants.wording import counted_in_words, verb
from grants.writing.prose import programme_title, state_text


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
    header_block(
        paper,
        [
            ("From", officer_line(scope)),
            ("To", funded.partnership),
            ("Subject", f"{grant} {funded.year.label}: the action plan's funded projects"),
            ("Classification", CLASSIFICATION),
        ],
    )
    paper.paragraph(_key_text(funded, pending, grant), label="Key:")
    paper.heading(f"1. Actions funded by the {grant}")
    _actions_table(paper, funded, pending)
    paper.audit(head, f"Made from the books of the {funded.partnership}")
    save(paper, path, title)
    return PaperSummary(
        title,
        funded.year.label,
        f"{counted_in_words(len(funded.actions), 'funded action')} in purple, "
        f"{counted_in_words(len(pending.actions), 'project')} awaiting confirmation",
        head,
    )


def _key_text(funded: ActionPlan, pending: ActionPlan, grant: str) -> str:
    """What purple means in this paper, and what the lines after the purple ones are."""
    text = (
        f"Purple actions – funded projects supported by the {funded.partnership} using the "
        f"{funded.funder}'s {grant} ({counted_in_words(len(funded.actions), 'project')}, {funded.total} awarded). "
    )
    if pending.actions:
        text += (
            f"{counted_in_words(len(pending.actions), 'recommended project').capitalize()} "
            f"{verb(len(pending.actions), 'is', 'are')} listed after them, to be shown in purple "
            "once the funding is confirmed."
        )
    return text


def _actions_table(paper: Paper, funded: ActionPlan, pending: ActionPlan) -> None:
    """The funded lines in purple, then the ones awaiting confirmation; or a sentence when neither."""
    rows = [a.row(state_text(a.status) + a.carried_note) for a in funded.actions]
    rows += [a.row(f"awaiting confirmation ({state_text(a.status)})") for a in pending.actions]
    if not rows:
        paper.paragraph(f"No project of {funded.year.label} has been recommended or funded yet.")
        return
    paper.table(
        ACTION_COLUMNS,
        rows,
        purple=range(len(funded.actions)),
        total=["", "", "Total awarded", "", "", "", "", str(funded.total), ""],
        numeric=(7,),
        widths=(2.8, 2.6, 4.6, 3.6, 3.4, 2.2, 2.6, 1.8, 2.1),
    )
