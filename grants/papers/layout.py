"""What every paper shares: who it is from, its header block, the pots' table and chart, the one-line
summary the command prints, and saving it whole. Each paper states the audit head it was made at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from grants.audit_chain import AuditHead
from grants.identity import is_officer
from grants.models import Member, Organisation
from grants.money import sum_money
from grants.papers.potchart import POT_SERIES, pot_chart
from grants.papers.word import Paper
from grants.pots import PotFigures
from grants.scope import Scope
from grants.writing.files import write_whole

# The seed's papers to the partnership are "For Information": the partnership is asked to note them.
CLASSIFICATION = "For Information"
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


def header_block(paper: Paper, rows: list[tuple[str, str]]) -> None:
    """The From / To / Subject / Classification lines under the title."""
    for label, value in rows:
        paper.paragraph(value, label=f"{label}:")


def pots_section(paper: Paper, pots: list[PotFigures], caption: str) -> None:
    """Each pot's money as a table with its total, and the same figures as a chart."""
    rows = [[f"{f.kind.value} pot", *(str(getattr(f, name)) for name, _ in POT_SERIES)] for f in pots]
    total = ["Total", *(str(sum_money(getattr(f, name) for f in pots)) for name, _ in POT_SERIES)]
    paper.table(POT_COLUMNS, rows, total=total, numeric=range(1, len(POT_COLUMNS)))
    paper.picture(pot_chart(pots), caption)


def save(paper: Paper, path: Path, title: str) -> None:
    """Write the paper at `path` whole or not at all."""
    write_whole(path, lambda partial: paper.save(partial, title))
