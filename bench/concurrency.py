"""Many processes making and varying awards against one pot at once.

    python -m bench.concurrency                      # SQLite, 16 processes
    python -m bench.concurrency --postgres URL       # and PostgreSQL (a server URL; a database
                                                     # of its own is created and dropped)

Every process is a separate Python interpreter with its own connections, acting as the OPCC:
it funds its share of chair-approved bids (each one command, one transaction) and, between
awards, varies awards it has made up or down. The bids together ask for more than the upfront
pot holds, so many awards are refused for want of money. Afterwards it reports operations per
second and checks that the pot was never overspent and that no commitment was lost.

The test suite imports `prepare`, `run` and `verify` from here (tests/test_concurrency.py).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import time
from dataclasses import dataclass, field
from datetime import date

POT_KIND = "upfront"
YEAR_STARTS = date(2024, 4, 1)  # the first day of the demo's year, 2024/25
SCORERS = ("wg-police", "wg-kfrs", "wg-nhs", "wg-probation")  # four authorities: quorum


def setup(url: str, allocation_pounds: int | None = None) -> None:
    """The demo's partnership, members and 2024/25, with the demo's allocation or another."""
    from grants.demo import ALLOCATION, MEMBERS, OFFICER, PARTNERSHIP, SLUG, YEAR, prepare_database
    from grants.money import Money
    from grants.options import Options
    from grants.partnership_file import preset
    from grants.partnerships import add_member, init_partnership, prepare_init
    from grants.scope import open_scope
    from grants.years import open_year

    prepare_database(url, replace=True)
    as_officer = Options(db=url, actor=OFFICER)
    spec = prepare_init(
        preset("kent"),
        name=PARTNERSHIP,
        slug=SLUG,
        officer_handle=OFFICER,
        officer_name="Officer",
        officer_org="kcc",
    )
    init_partnership(as_officer, spec)
    with open_scope(as_officer, write=True) as scope:
        for handle, name, org, roles in MEMBERS:
            add_member(scope, handle=handle, name=name, organisation=org, roles=roles)
        allocation = ALLOCATION if allocation_pounds is None else Money.pounds(allocation_pounds)
        open_year(scope, YEAR, allocation)


def prepare(
    url: str, bids: int, pounds: int, *, allocation_pounds: int | None = None, fund: bool = False
) -> list[str]:
    """The demo's partnership and year, then `bids` upfront bids taken to chair_approved (or,
    with `fund`, funded by the OPCC).

    Everything after the demo's setup is one transaction with each member acting in turn, so
    that preparing hundreds of bids takes seconds, through the real services all the same.
    """
    from grants import approvals, lifecycle, scoring
    from grants.bids import BidFields, new_bid
    from grants.demo import OFFICER
    from grants.demo_data import PROPOSALS, demo_sheet
    from grants.models import PotKind, Stance
    from grants.money import Money
    from grants.options import Options
    from grants.scope import Scope, acting_on, open_scope
    from grants.years import find_year

    setup(url, allocation_pounds)
    template = PROPOSALS[0]
    references = []
    # The round is played on the first day of its year, so that a payment dated any day in the
    # year comes after the award (a payment is never dated before its project was funded).
    with acting_on(YEAR_STARTS), open_scope(Options(db=url, actor=OFFICER), write=True) as officer:

        def acting(handle: str) -> Scope:
            return officer.acting_as(handle)

        criteria = [c.key for c in scoring.criteria_of(officer, find_year(officer))]
        for n in range(bids):
            bid = new_bid(
                officer,
                "kcc",
                BidFields(
                    title=f"Load test project {n + 1}",
                    summary=template.summary,
                    amount=Money.pounds(pounds),
                    pot=PotKind(POT_KIND),
                    pcc_priorities=list(template.pcc),
                    csa_priorities=list(template.csa),
                    outcomes=template.outcomes,
                    measures=template.measures,
                    delivery_end=template_end(template.ends),
                ),
            )
            lifecycle.submit(officer, bid.reference)
            lifecycle.open_scoring(officer, [bid.reference], every_submitted=False)
            for scorer in SCORERS:
                given, _, _ = demo_sheet(0, scorer, criteria)
                scoring.submit_sheet(acting(scorer), bid.reference, given, Stance.support, "")
            lifecycle.shortlist(officer, bid.reference, override=False, reason=None)
            approvals.approve(acting("chair"), bid.reference, note="load test")
            if fund:
                approvals.approve(acting("opcc"), bid.reference)
            references.append(bid.reference)
    return references


def template_end(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    return date.fromisoformat(text)


@dataclass
class Tally:
    """What one process did."""

    awarded: dict[str, int] = field(default_factory=dict)  # reference → pence
    refused_budget: int = 0
    refused_other: int = 0
    varied: int = 0
    busy: int = 0
    operations: int = 0

    def add(self, other: Tally) -> None:
        self.awarded.update(other.awarded)
        self.refused_budget += other.refused_budget
        self.refused_other += other.refused_other
        self.varied += other.varied
        self.busy += other.busy
        self.operations += other.operations


def worker(url: str, references: list[str], seed: int, vary_every: int) -> Tally:
    """Fund each bid in turn as the OPCC; every `vary_every` awards, vary one of them."""
    from grants import approvals
    from grants.errors import DatabaseUnavailable, Refused
    from grants.money import Money
    from grants.options import Options
    from grants.scope import open_scope

    rng = random.Random(seed)
    tally = Tally()
    as_opcc = Options(db=url, actor="opcc")

    def attempt(work) -> object | None:  # type: ignore[no-untyped-def]
        tally.operations += 1
        try:
            with open_scope(as_opcc, write=True) as scope:
                return work(scope)
        except Refused as error:
            if "uncommitted" in str(error):
                tally.refused_budget += 1
            else:
                tally.refused_other += 1
        except DatabaseUnavailable:
            tally.busy += 1
        return None

    # The OPCC's default award is the amount requested, and no award may ever exceed it: a
    # variation goes up and down below that ceiling.
    requested: dict[str, int] = {}
    for n, reference in enumerate(references, start=1):
        decision = attempt(lambda scope, ref=reference: approvals.approve(scope, ref))
        if decision is not None:
            tally.awarded[reference] = requested[reference] = decision.award.pence  # type: ignore[attr-defined]
        if vary_every and n % vary_every == 0 and tally.awarded:
            target = rng.choice(sorted(tally.awarded))
            change = rng.choice((-1, 1)) * rng.randrange(100, 5_000)
            new = min(requested[target], max(100, tally.awarded[target] + change))
            if new == tally.awarded[target]:
                continue
            varied = attempt(
                lambda scope, ref=target, pence=new: approvals.vary(scope, ref, Money(pence), "load test")
            )
            if varied is not None:
                tally.varied += 1
                tally.awarded[target] = new
    return tally


def _work(args: tuple[str, list[str], int, int]) -> Tally:
    return worker(*args)


@dataclass(frozen=True)
class Result:
    engine: str
    processes: int
    bids: int
    seconds: float
    tally: Tally
    allocated_pence: int
    committed_pence: int  # awards in force: what the ledger holds in award accounts
    uncommitted_pence: int
    overspent_pence: int
    lost: list[str]
    problems: list[str]

    @property
    def per_second(self) -> float:
        return self.tally.operations / self.seconds

    def summary(self) -> str:
        from grants.money import Money

        t = self.tally
        return (
            f"{self.engine}: {self.processes} processes, {t.operations} operations in {self.seconds:.2f} s "
            f"= {self.per_second:.0f} ops/s; {len(t.awarded)} funded, {t.varied} variations, "
            f"{t.refused_budget} refused for want of money, {t.refused_other} other refusals, {t.busy} busy; "
            f"pot {Money(self.allocated_pence)}: awards in force {Money(self.committed_pence)}, "
            f"uncommitted {Money(self.uncommitted_pence)}; overspent by {Money(self.overspent_pence)}; "
            f"lost commitments {len(self.lost)}; check problems {len(self.problems)}"
        )


def run(url: str, references: list[str], processes: int, *, vary_every: int = 3, engine: str = "") -> Result:
    """Share the bids between `processes` fresh interpreters, run them at once, then verify."""
    shares = [references[i::processes] for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        # Start every interpreter before the clock, so the figure is of the work, not of imports.
        pool.map(_warm, [url] * processes)
        started = time.perf_counter()
        tallies = pool.map(_work, [(url, share, seed, vary_every) for seed, share in enumerate(shares)])
        seconds = time.perf_counter() - started
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return verify(url, total, processes, len(references), seconds, engine or url.split(":", 1)[0])


def _warm(url: str) -> None:
    from grants.options import Options
    from grants.scope import open_scope

    with open_scope(Options(db=url, actor="opcc"), write=False):
        pass


def verify(url: str, tally: Tally, processes: int, bids: int, seconds: float, engine: str) -> Result:
    """Compare what the processes were told with what the database holds."""
    from sqlalchemy import select

    from grants import ledger
    from grants.checks import run_checks
    from grants.models import Bid, PotKind
    from grants.options import Options
    from grants.pots import pot_figures
    from grants.scope import open_scope
    from grants.years import find_year
    from workflows.bid_lifecycle import LIVE

    with open_scope(Options(db=url), write=False) as scope:
        year = find_year(scope)
        figures = next(f for f in pot_figures(scope.session, year) if f.kind == PotKind(POT_KIND))
        balances = ledger.balances(scope.session, year.id)
        funded = {
            reference: award
            for reference, award in scope.session.execute(
                select(Bid.reference, Bid.award_pence).where(Bid.year_id == year.id, Bid.status.in_(LIVE))
            )
        }
        in_force = sum(balances.get(ledger.award_account(ref), 0) for ref in funded)
        problems = [f"{p.check}: {p.message}" for p in run_checks(scope.session, scope.partnership)]
    lost = sorted(ref for ref, pence in tally.awarded.items() if funded.get(ref) != pence) + sorted(
        ref for ref in funded if ref not in tally.awarded
    )
    allocated = figures.allocated.pence
    return Result(
        engine=engine,
        processes=processes,
        bids=bids,
        seconds=seconds,
        tally=tally,
        allocated_pence=allocated,
        committed_pence=in_force,
        uncommitted_pence=figures.uncommitted.pence,
        overspent_pence=max(0, in_force - allocated),
        lost=lost,
        problems=problems,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--bids", type=int, default=320, help="chair-approved bids to fund (default 320)")
    parser.add_argument("--pounds", type=int, default=100, help="each bid's request (default £100)")
    parser.add_argument("--sqlite", default=None, help="SQLite file (default: a temporary one)")
    parser.add_argument(
        "--postgres", default=None, help="PostgreSQL server URL, e.g. postgresql://postgres@127.0.0.1/test"
    )
    args = parser.parse_args()

    import tempfile
    import uuid
    from pathlib import Path

    targets = []
    with tempfile.TemporaryDirectory() as folder:
        targets.append(("sqlite", f"sqlite:///{args.sqlite or Path(folder) / 'concurrency.sqlite'}", None))
        if args.postgres:
            targets.append(
                ("postgresql", *_pg_database(args.postgres, f"grants_bench_{uuid.uuid4().hex[:8]}"))
            )
        for engine, url, drop in targets:
            try:
                started = time.perf_counter()
                references = prepare(url, args.bids, args.pounds)
                print(
                    f"{engine}: prepared {len(references)} chair-approved bids in {time.perf_counter() - started:.1f} s"
                )
                result = run(url, references, args.processes, engine=engine)
                print(result.summary())
            finally:
                if drop:
                    drop()


def _pg_database(server: str, name: str):  # type: ignore[no-untyped-def]
    import psycopg
    from sqlalchemy.engine import make_url

    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(plain.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)

    def drop() -> None:
        from grants.db import get_engine

        get_engine.cache_clear()
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.render_as_string(hide_password=False), drop


if __name__ == "__main__":
    main()
