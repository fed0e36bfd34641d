"""The demo: the Kent partnership's 2024/25 round replayed through the real services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from grants import approvals, bids, lifecycle, partnerships, permissions, scoring, years
from grants.db import get_engine, is_sqlite, normalise_url, redact, session_scope, sqlite_file
from grants.demo_data import (
    DELIVERY,
    PROPOSALS,
    SCORERS,
    TACTICAL_PROPOSAL,
    TACTICAL_REFERENCE,
    Proposal,
    demo_sheet,
)
from grants.errors import Refused
from grants.models import FundingYear, PotKind, Stance, YearStatus
from grants.money import Money
from grants.options import Options
from grants.partnership_file import preset
from grants.scope import acting_on, open_scope
from workflows.bid_lifecycle import BidStatus
from workflows.policy import Action

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


# The demo's last step: the treasurer closes this project. A demo database in which it is closed
# was built to the end; one in which it is not was left unfinished by a build that stopped.
FINAL_CLOSE = [reference for reference, plan in DELIVERY if plan.outcome is not None][-1]
OFFICER_NAME = "Kent Community Safety Team Officer"


class DemoState(StrEnum):
    """What a database holds, as far as the demo is concerned."""

    absent = "absent"  # no file, or (PostgreSQL) no grants tables: the demo builds there
    empty = "empty"  # a file or schema holding no data at all (a build stopped before its first step)
    unfinished = "unfinished"  # the demo's own data, from a build that stopped part-way
    not_rolled_over = "not rolled over"  # finished, unchanged since, and now asked to roll over
    finished = "finished"  # the demo, built to the end (and rolled over, when that is asked)
    other = "other"  # anything else: somebody's data, never overwritten without --replace


def _grants_tables() -> set[str]:
    from sqlmodel import SQLModel

    import grants.models  # noqa: F401

    return set(SQLModel.metadata.tables) | {"alembic_version"}


def demo_state(url: str, *, rollover: bool = False) -> DemoState:
    """Read (never change) what is at `url`: nothing, an unfinished demo, a finished one or other data.

    A database counts as the demo's only when everything in it could have come from the demo: its
    one partnership, members, years and bids are the demo's. A real partnership's database (its
    members have real names, its bids real titles) is therefore never taken for an unfinished demo.
    """
    if is_sqlite(url):
        path = sqlite_file(url)
        if path is None or not path.exists():
            return DemoState.absent
        if path.is_dir():
            return DemoState.other
        if path.stat().st_size == 0:
            return DemoState.empty
        import sqlite3

        # The sqlite3 module directly, with no settings: reading must not change another
        # program's file (the engine would switch it to WAL).
        try:
            connection = sqlite3.connect(path)
        except sqlite3.Error:
            return DemoState.other
        try:
            tables = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if tables - _grants_tables():
                return DemoState.other  # tables that are not the grants schema's
            return _state_of(lambda sql: connection.execute(sql).fetchall(), tables, rollover)
        except sqlite3.Error:
            return DemoState.other  # not a database, or not one we can read
        finally:
            connection.close()
    from sqlalchemy import inspect, text

    engine = get_engine(url)
    with engine.connect() as server:
        tables = set(inspect(server).get_table_names()) & _grants_tables()
        return _state_of(lambda sql: list(server.execute(text(sql)).all()), tables, rollover)


def _state_of(query: Callable[[str], list[Any]], tables: set[str], rollover: bool) -> DemoState:
    if not tables:
        return DemoState.empty
    data = [name for name in sorted(tables - {"alembic_version"}) if query(f"SELECT 1 FROM {name} LIMIT 1")]
    if not data:
        return DemoState.empty
    if not {"partnership", "member", "funding_year", "bid", "audit_event"} <= tables:
        return DemoState.other
    partnerships = query("SELECT id, slug, name FROM partnership")
    if [(slug, name) for _, slug, name in partnerships] != [(SLUG, PARTNERSHIP)]:
        return DemoState.other
    members = {(handle, name) for handle, name, *_ in MEMBERS} | {(OFFICER, OFFICER_NAME)}
    if not {tuple(row) for row in query("SELECT handle, name FROM member")} <= members:
        return DemoState.other
    years = {tuple(row) for row in query("SELECT label, status FROM funding_year")}
    if not {label for label, _ in years} <= {YEAR, _next_year()}:
        return DemoState.other
    titles = {p.title for p in (*PROPOSALS, TACTICAL_PROPOSAL)}
    if not {row[0] for row in query("SELECT title FROM bid")} <= titles:
        return DemoState.other
    closed = query(f"SELECT status FROM bid WHERE reference = '{FINAL_CLOSE}'")
    if not closed or closed[0][0] != BidStatus.closed.value:
        return DemoState.unfinished
    if not rollover or (YEAR, YearStatus.closed.value) in years:
        return DemoState.finished
    # Built to the end without the rollover, and `grants demo --rollover` asked again: unfinished
    # when nothing has happened since the demo's last step (the rollover was its step to come).
    last = query("SELECT action, subject FROM audit_event ORDER BY seq DESC LIMIT 1")
    if last and tuple(last[0]) == ("bid.close", f"bid {FINAL_CLOSE}"):
        return DemoState.not_rolled_over
    return DemoState.finished


def _next_year() -> str:
    from grants.years import next_label

    return next_label(YEAR)


def prepare_database(
    url: str, *, replace: bool, rollover: bool = False, notice: Callable[[str], None] = lambda _: None
) -> None:
    """Make sure the demo starts from nothing; it never overwrites data unless asked.

    Without `replace` it builds where there is nothing yet, and builds again over a demo left
    unfinished (a build that was stopped: a crash, Ctrl-C, a full disk), saying so; it refuses a
    finished demo and anything that is not the demo's."""
    state = DemoState.absent if replace else demo_state(url, rollover=rollover)
    where = sqlite_file(url) if is_sqlite(url) else redact(url)
    if state == DemoState.finished:
        raise Refused(
            f"{where} already holds the finished demo; give --replace to build it again from the start"
        )
    if state == DemoState.other:
        if is_sqlite(url):
            raise Refused(
                f"{where} already exists and is not a demo database; the demo never overwrites other "
                "data (give --replace to build the demo over it, losing what it holds)"
            )
        raise Refused(
            "that database already holds a grants schema; the demo builds only on an empty "
            "database (or give --replace to drop the grants tables first)"
        )
    if state == DemoState.unfinished:
        notice(
            f"{where} holds a demo whose build stopped part-way (the demo was interrupted); "
            "building it again from the start"
        )
    if state == DemoState.not_rolled_over:
        notice(f"{where} holds the demo without its rollover, unchanged since; building it again with it")
    wipe = replace or state in (DemoState.empty, DemoState.unfinished, DemoState.not_rolled_over)
    if is_sqlite(url):
        path = sqlite_file(url)
        if path is not None:
            get_engine.cache_clear()
            # The database first, then its WAL and shared memory: a stop between them leaves no
            # database, and a WAL without its database is removed before the next build.
            names = ("", "-wal", "-shm") if wipe or not path.exists() else ()
            for suffix in names:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
        return
    if wipe:
        from sqlalchemy import text
        from sqlmodel import SQLModel

        import grants.models  # noqa: F401

        with session_scope(url, write=True) as session:
            SQLModel.metadata.drop_all(session.connection())
            session.execute(text("DROP TABLE IF EXISTS alembic_version"))


STAGES = ("setup", "bids", "scored", "shortlisting", "approvals", "tactical", "delivery")

# The OPCC asks the NHS proposal one question before funding it.
CLARIFIED = 1
QUESTION = "How many partner staff will the sessions reach, and from which agencies?"
ANSWER = "Up to 120 frontline staff from police, health, district councils and the VRU."


def build(
    db: str | None,
    *,
    replace: bool = False,
    until: str = STAGES[-1],
    rollover: bool = False,
    progress: Callable[[str], None] = lambda _: None,
    notice: Callable[[str], None] | None = None,
) -> DemoResult:
    """Build the demo database step by step, each step one transaction as a command would be,
    each on its day of the 2024/25 round (the ledger books money on those dates).

    `notice` hears what a person must be told even when progress is quiet (default: progress)."""
    url = normalise_url(db) if db else f"sqlite:///{default_demo_path()}"
    prepare_database(url, replace=replace or db is None, rollover=rollover, notice=notice or progress)
    steps = 0
    for stage in STAGES:
        steps += run_stage(url, stage, progress)
        if stage == until:
            break
    if rollover and until == STAGES[-1]:
        steps += _rollover(url, progress)
    return DemoResult(url, steps)


def run_stage(url: str, stage: str, progress: Callable[[str], None] = lambda _: None) -> int:
    """Run one stage of the demo on its day, on a database that holds the stages before it (the
    tests keep a copy after each stage and build the next on a copy of it); returns its steps."""
    with acting_on(STAGE_DATES[stage]):
        return STAGE_STEPS[stage](url, progress)


# The OPCC agreed to carry the Hateful Extremism CPD event, deferred to the spring, into 2025/26.
CARRIED = ("CRG-2425-007",)


def _rollover(url: str, progress: Callable[[str], None]) -> int:
    from grants.rollover import rollover

    progress(f"Rolling {YEAR} over: the underspend goes back to the PCC; 2025/26 opens at {ALLOCATION}")
    with acting_on(date(2025, 4, 14)), open_scope(Options(db=url, actor=OFFICER), write=True) as scope:
        rollover(scope, YEAR, carry_forward=list(CARRIED), apply=True)
    return 1


# The day each stage happened (seed 002: the working group met on 29 April 2024).
STAGE_DATES = {
    "setup": date(2024, 4, 2),
    "bids": date(2024, 4, 15),
    "scored": date(2024, 4, 29),
    "shortlisting": date(2024, 4, 29),
    "approvals": date(2024, 5, 14),
    "tactical": date(2024, 6, 10),
    "delivery": date(2024, 6, 17),
}


def _setup(url: str, progress: Callable[[str], None]) -> int:
    as_officer = Options(db=url, actor=OFFICER)
    progress("Creating the Kent Community Safety Partnership")
    spec = partnerships.prepare_init(
        preset("kent"),
        name=PARTNERSHIP,
        slug=SLUG,
        officer_handle=OFFICER,
        officer_name="Kent Community Safety Team Officer",
        officer_org="kcc",
    )
    partnerships.init_partnership(as_officer, spec)
    with open_scope(as_officer, write=True) as scope:
        partnerships.add_organisation(
            scope,
            key="kalc",
            name="Kent Association of Local Councils",
            responsible_authority=False,
            org_id=None,
        )
    progress("Adding the working group, the Chair, the OPCC and the treasurer")
    for handle, name, org, roles in MEMBERS:
        with open_scope(as_officer, write=True) as scope:
            partnerships.add_member(scope, handle=handle, name=name, organisation=org, roles=roles)
    progress(f"Opening {YEAR} with {ALLOCATION}")
    with open_scope(as_officer, write=True) as scope:
        years.open_year(scope, YEAR, ALLOCATION)
    return 3 + len(MEMBERS)


def _references(url: str) -> list[str]:
    """The round's upfront references in order (each stage finds them as a person would)."""
    from sqlalchemy import select

    from grants.models import Bid

    with open_scope(Options(db=url, actor=OFFICER), write=False) as scope:
        return list(
            scope.session.execute(
                select(Bid.reference).where(Bid.pot == PotKind.upfront).order_by(Bid.sequence)
            ).scalars()
        )


def _bids(url: str, progress: Callable[[str], None]) -> int:
    progress(f"Receiving the {len(PROPOSALS)} proposals of {YEAR} and opening them for scoring")
    steps = 2 * len(add_proposals(url, PROPOSALS))
    with open_scope(Options(db=url, actor=OFFICER), write=True) as scope:
        lifecycle.open_scoring(scope, [], every_submitted=True)
    return steps + 1


def _scored(url: str, progress: Callable[[str], None]) -> int:
    progress("The working group scores the proposals")
    return score_proposals(url, _references(url))


def _shortlisting(url: str, progress: Callable[[str], None]) -> int:
    progress("Recording the shortlisting decisions")
    steps = 0
    for reference, proposal in zip(_references(url), PROPOSALS, strict=True):
        with open_scope(Options(db=url, actor=OFFICER), write=True) as scope:
            if proposal.recommended:
                lifecycle.shortlist(scope, reference, override=False, reason=None)
            else:
                lifecycle.decline(
                    scope, reference, "No consensus of support at the working group of 29 April 2024"
                )
        steps += 1
    return steps


def _approvals(url: str, progress: Callable[[str], None]) -> int:
    opened = _references(url)
    shortlisted = [ref for ref, proposal in zip(opened, PROPOSALS, strict=True) if proposal.recommended]
    progress(f"The Chair approves the {len(shortlisted)}; the OPCC asks one question, then funds them")
    return decide(
        url,
        shortlisted,
        clarify=(opened[CLARIFIED], PROPOSALS[CLARIFIED].lead),
        days=(date(2024, 5, 14), date(2024, 5, 20), date(2024, 5, 24), date(2024, 6, 3)),
    )


def _tactical(url: str, progress: Callable[[str], None]) -> int:
    progress("The tactical pot is open: a tactical bid is scored, approved and funded in-year")
    as_officer = Options(db=url, actor=OFFICER)
    (tactical,) = add_proposals(url, (TACTICAL_PROPOSAL,))
    with acting_on(date(2024, 6, 24)):
        with open_scope(as_officer, write=True) as scope:
            lifecycle.open_scoring(scope, [tactical], every_submitted=False)
        steps = 3 + score_proposals(url, [tactical], first_position=len(PROPOSALS))
        with open_scope(as_officer, write=True) as scope:
            lifecycle.shortlist(scope, tactical, override=False, reason=None)
    days = (date(2024, 7, 1), date(2024, 7, 1), date(2024, 7, 1), date(2024, 7, 8))
    return steps + 1 + decide(url, [tactical], clarify=None, days=days)


def _delivery(url: str, progress: Callable[[str], None]) -> int:
    from grants import delivery, spend

    progress("The projects start; the treasurer imports the year's payments from the finance system")
    funded = [ref for ref, _ in DELIVERY]
    for reference in funded:
        day = date(2024, 7, 15) if reference == TACTICAL_REFERENCE else date(2024, 6, 17)
        with acting_on(day), open_scope(Options(db=url, actor=OFFICER), write=True) as scope:
            delivery.start(scope, reference)
    csv_path = spend_csv_path(url)
    write_spend_csv(csv_path)
    with acting_on(date(2025, 3, 24)), open_scope(Options(db=url, actor="treasurer"), write=True) as scope:
        spend.import_spend(scope, csv_path)
    progress("Projects complete and the treasurer closes them; one comes in £1,000 under budget")
    steps = len(funded) + 1
    for reference, plan in DELIVERY:
        if plan.outcome is None:
            continue  # still delivering at the year's end
        with acting_on(date(2025, 3, 26)), open_scope(Options(db=url, actor=OFFICER), write=True) as scope:
            delivery.complete(scope, reference, plan.outcome)
        with (
            acting_on(date(2025, 3, 28)),
            open_scope(Options(db=url, actor="treasurer"), write=True) as scope,
        ):
            delivery.close(scope, reference)
        steps += 2
    return steps


def spend_csv_path(url: str) -> Path:
    """Beside a SQLite demo database; in the temporary folder for a server database."""
    import tempfile

    database = sqlite_file(url)
    if database is not None:
        return database.with_name("demo-spend-2024-25.csv")
    return Path(tempfile.gettempdir()) / "grants-demo-spend-2024-25.csv"


def write_spend_csv(path: Path) -> None:
    """The finance system's export of the year's payments, as the treasurer would receive it."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "reference", "amount", "supplier", "invoice"])
        for reference, plan in DELIVERY:
            for n, (day, pounds) in enumerate(plan.payments, start=1):
                writer.writerow([day, reference, f"{pounds:,.2f}", plan.supplier, f"{plan.invoice}-{n:02d}"])


STAGE_STEPS: dict[str, Callable[[str, Callable[[str], None]], int]] = {
    "setup": _setup,
    "bids": _bids,
    "scored": _scored,
    "shortlisting": _shortlisting,
    "approvals": _approvals,
    "tactical": _tactical,
    "delivery": _delivery,
}


def decide(
    url: str, references: list[str], *, clarify: tuple[str, str] | None, days: tuple[date, date, date, date]
) -> int:
    """The Chair approves each bid; the OPCC asks its question (if any), then funds each in full.

    `days`: the chair's decisions, the question, the answer and the OPCC's awards."""
    steps = 0
    with acting_on(days[0]):
        for reference in references:
            with open_scope(Options(db=url, actor="chair"), write=True) as scope:
                approvals.approve(scope, reference, note="Recommended by the working group")
            steps += 1
    if clarify is not None:
        reference, lead = clarify
        with acting_on(days[1]), open_scope(Options(db=url, actor="opcc"), write=True) as scope:
            approvals.clarify(scope, reference, QUESTION)
        with acting_on(days[2]), open_scope(Options(db=url, actor=lead), write=True) as scope:
            approvals.answer(scope, reference, ANSWER)
        steps += 2
    with acting_on(days[3]):
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
                if not permissions.allows(scope, Action.score, bid):
                    continue
                criteria = [
                    c.key for c in scoring.criteria_of(scope, scope.session.get_one(FundingYear, bid.year_id))
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
