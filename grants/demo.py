"""The demo: the Kent partnership's 2024/25 round replayed through the real services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from grants import approvals, bids, lifecycle, partnerships, scoring, years
from grants.db import get_engine, is_sqlite, normalise_url, schema_revision, session_scope
from grants.demo_data import PROPOSALS, SCORERS, TACTICAL_PROPOSAL, Proposal, demo_sheet
from grants.errors import Refused
from grants.models import FundingYear, PotKind, Stance
from grants.money import DEFAULT_TACTICAL_SHARE, Money
from grants.scope import Options, open_scope

PARTNERSHIP = "Kent Community Safety Partnership"
SLUG = "kcsp"
YEAR = "2024/25"
ALLOCATION = Money.pounds(39_661)

# (handle, name, organisation key, roles). No real people's names.
MEMBERS = (
    ("chair", "Chair of the KCSP", "kcc", "chair"),
    ("opcc", "OPCC Commissioning Officer", "opcc", "pcc"),
    ("treasurer", "KCSP Treasurer", "kcc", "treasurer"),
    ("wg-police", "Working Group: Kent Police", "kent-police", "member"),
    ("wg-kfrs", "Working Group: Kent Fire and Rescue", "kfrs", "member"),
    ("wg-nhs", "Working Group: NHS Kent and Medway", "nhs-icb", "member"),
    ("wg-probation", "Working Group: Probation", "probation", "member"),
    ("wg-district", "Working Group: District Councils", "districts", "member"),
    # The Violence Reduction Unit sits in the county council (seed 002: "KCC Violence Reduction Unit").
    ("wg-vru", "Working Group: Violence Reduction Unit", "kcc", "member"),
    ("wg-kcc", "Working Group: Kent County Council", "kcc", "member"),
)
OFFICER = "kcc-officer"


def default_demo_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("grants", appauthor=False)) / "demo.sqlite"


@dataclass(frozen=True)
class DemoResult:
    url: str
    steps: int


def prepare_database(url: str, *, replace: bool) -> None:
    """Make sure the demo starts from nothing; it never overwrites data unless asked."""
    if is_sqlite(url):
        path = Path(url.split("///", 1)[1]) if "///" in url else None
        if path is not None and path.exists():
            if not replace:
                raise Refused(f"{path} already exists; give --replace to build the demo over it")
            get_engine.cache_clear()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        return
    with session_scope(url, write=False) as session:
        if schema_revision(session) is not None and not replace:
            raise Refused(
                "that database already holds a grants schema; the demo builds only on an empty "
                "database (or give --replace to drop the grants tables first)"
            )
    if replace:
        from sqlalchemy import text
        from sqlmodel import SQLModel

        import grants.models  # noqa: F401

        with session_scope(url, write=True) as session:
            SQLModel.metadata.drop_all(session.connection())
            session.execute(text("DROP TABLE IF EXISTS alembic_version"))


STAGES = ("setup", "bids", "scored", "shortlisting", "approvals", "tactical")

# The OPCC asks the NHS proposal one question before funding it.
CLARIFIED = 1
QUESTION = "How many partner staff will the sessions reach, and from which agencies?"
ANSWER = "Up to 120 frontline staff from police, health, district councils and the VRU."


def build(
    db: str | None,
    *,
    replace: bool = False,
    until: str = STAGES[-1],
    progress: Callable[[str], None] = lambda _: None,
) -> DemoResult:
    """Build the demo database step by step, each step one transaction as a command would be."""
    url = normalise_url(db) if db else f"sqlite:///{default_demo_path()}"
    prepare_database(url, replace=replace or db is None)
    as_officer = Options(db=url, actor=OFFICER)
    steps = 0

    progress("Creating the Kent Community Safety Partnership")
    partnerships.init_partnership(
        as_officer,
        name=PARTNERSHIP,
        slug=SLUG,
        officer_handle=OFFICER,
        officer_name="Kent Community Safety Team Officer",
        officer_org="kcc",
        funder="Kent Police and Crime Commissioner",
        funder_prefix="kentpcc",
    )
    steps += 1
    with open_scope(as_officer, write=True) as scope:
        partnerships.add_organisation(
            scope,
            key="kalc",
            name="Kent Association of Local Councils",
            responsible_authority=False,
            org_id=None,
        )
    steps += 1
    progress("Adding the working group, the Chair, the OPCC and the treasurer")
    for handle, name, org, roles in MEMBERS:
        with open_scope(as_officer, write=True) as scope:
            partnerships.add_member(scope, handle=handle, name=name, organisation=org, roles=roles)
        steps += 1
    progress(f"Opening {YEAR} with {ALLOCATION}")
    with open_scope(as_officer, write=True) as scope:
        years.open_year(scope, YEAR, ALLOCATION, DEFAULT_TACTICAL_SHARE)
    steps += 1
    if until == "setup":
        return DemoResult(url, steps)

    progress(f"Receiving the {len(PROPOSALS)} proposals of {YEAR} and opening them for scoring")
    steps += 2 * len(add_proposals(url, PROPOSALS))
    with open_scope(as_officer, write=True) as scope:
        opened = [bid.reference for bid in lifecycle.open_scoring(scope, [], every_submitted=True)]
    steps += 1
    if until == "bids":
        return DemoResult(url, steps)

    progress("The working group scores the proposals")
    steps += score_proposals(url, opened)
    if until == "scored":
        return DemoResult(url, steps)

    progress("Recording the shortlisting decisions")
    for reference, proposal in zip(opened, PROPOSALS, strict=True):
        with open_scope(as_officer, write=True) as scope:
            if proposal.recommended:
                scoring.shortlist(scope, reference, override=False, reason=None)
            else:
                scoring.decline(
                    scope, reference, "No consensus of support at the working group of 29 April 2024"
                )
        steps += 1
    if until == "shortlisting":
        return DemoResult(url, steps)

    shortlisted = [ref for ref, proposal in zip(opened, PROPOSALS, strict=True) if proposal.recommended]
    progress(f"The Chair approves the {len(shortlisted)}; the OPCC asks one question, then funds them")
    steps += decide(url, shortlisted, clarify=(opened[CLARIFIED], PROPOSALS[CLARIFIED].lead))
    if until == "approvals":
        return DemoResult(url, steps)

    progress("The tactical pot is open: a tactical bid is scored, approved and funded in-year")
    (tactical,) = add_proposals(url, (TACTICAL_PROPOSAL,))
    steps += 2
    with open_scope(as_officer, write=True) as scope:
        lifecycle.open_scoring(scope, [tactical], every_submitted=False)
    steps += 1 + score_proposals(url, [tactical], first_position=len(PROPOSALS))
    with open_scope(as_officer, write=True) as scope:
        scoring.shortlist(scope, tactical, override=False, reason=None)
    steps += 1 + decide(url, [tactical], clarify=None)
    return DemoResult(url, steps)


def decide(url: str, references: list[str], *, clarify: tuple[str, str] | None) -> int:
    """The Chair approves each bid; the OPCC asks its question (if any), then funds each in full."""
    steps = 0
    for reference in references:
        with open_scope(Options(db=url, actor="chair"), write=True) as scope:
            approvals.approve(scope, reference, note="Recommended by the working group")
        steps += 1
    if clarify is not None:
        reference, lead = clarify
        with open_scope(Options(db=url, actor="opcc"), write=True) as scope:
            approvals.clarify(scope, reference, QUESTION)
        with open_scope(Options(db=url, actor=lead), write=True) as scope:
            approvals.answer(scope, reference, ANSWER)
        steps += 2
    for reference in references:
        with open_scope(Options(db=url, actor="opcc"), write=True) as scope:
            approvals.approve(scope, reference)
        steps += 1
    return steps


def score_proposals(url: str, references: list[str], *, first_position: int = 0) -> int:
    """Every scorer not recused submits a sheet for every proposal, one command each."""
    steps = 0
    for position, reference in enumerate(references, start=first_position):
        for scorer in SCORERS:
            with open_scope(Options(db=url, actor=scorer), write=True) as scope:
                bid = bids.find_bid(scope, reference)
                if scoring.recusal(scope, bid, scope.actor):
                    continue
                criteria = [
                    c.key for c in scoring.criteria_of(scope, scope.session.get(FundingYear, bid.year_id))
                ]
                given, stance, comment = demo_sheet(position, scorer, criteria)
                scoring.submit_sheet(scope, reference, given, Stance(stance), comment)
            steps += 1
    return steps


def add_proposals(url: str, proposals: tuple[Proposal, ...]) -> list[str]:
    """Each lead enters and submits their proposal, one command at a time; returns the references."""
    references = []
    for proposal in proposals:
        as_lead = Options(db=url, actor=proposal.lead)
        with open_scope(as_lead, write=True) as scope:
            bid = bids.new_bid(
                scope,
                proposal.org,
                bids.BidFields(
                    title=proposal.title,
                    summary=proposal.summary,
                    amount=Money.pounds(proposal.pounds),
                    pot=PotKind(proposal.pot),
                    pcc_priorities=list(proposal.pcc),
                    csa_priorities=list(proposal.csa),
                    outcomes=proposal.outcomes,
                    measures=proposal.measures,
                    delivery_end=date.fromisoformat(proposal.ends),
                ),
            )
        with open_scope(as_lead, write=True) as scope:
            lifecycle.submit(scope, bid.reference)
        references.append(bid.reference)
    return references
