"""Random sequences of real commands never break the books (DESIGN §6, §7).

A Hypothesis state machine drives grants' service functions the way the command line does: each
rule is one command, one `open_scope(Options(db=url, actor=HANDLE), write=True)` transaction, by a
member picked at random (mostly one with the right role, sometimes not). After every step:

- `grants.checks.run_checks` finds nothing (ledger sums, balances, caches, closed years, audit
  chain, bid content);
- no pot holds less than nothing, no award account is below zero, no bid has spent past its award;
- an operation refused with a `GrantsError` changed nothing: every row of every table is as it
  was before it (a hash of the whole database, taken before each command);
- and any other exception is a failure.

Each example starts from a copy of a prepared database: the demo built up to `setup` (the
partnership, its members and 2024/25 open), or, so that short runs also reach delivery, spend and
the rollover, up to `shortlisting`, `tactical` or the whole demo. On SQLite a template file per
stage is copied; tests/postgres/test_pg_invariants.py runs the same machine on PostgreSQL from
template databases.

`TALLY` counts what ran: operations, refusals (by error class) and each rule's share.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlmodel import SQLModel

from grants import approvals, bids, budget, delivery, lifecycle, rollover, scoring, spend
from grants.checks import run_checks
from grants.db import get_engine
from grants.demo import MEMBERS, OFFICER
from grants.demo_data import PROPOSALS
from grants.errors import GrantsError
from grants.models import Bid, FundingYear, Organisation, Pot, PotKind, Stance, YearStatus
from grants.money import Money
from grants.options import Options
from grants.scope import acting_on, open_scope
from tests.conftest import demo_copy
from workflows.bid_lifecycle import LIVE, PRE_DECISION, SPENDABLE, WITHDRAWABLE, BidStatus

# --- the cast -------------------------------------------------------------------------------------

ORG_OF = {OFFICER: "kcc", **{handle: org for handle, _, org, _ in MEMBERS}}
HANDLES = tuple(ORG_OF)
SCORERS = tuple(h for h in HANDLES if h.startswith("wg-"))
ORGS = ("kcc", "opcc", "kent-police", "kfrs", "nhs-icb", "probation", "districts", "kalc")
NOBODY = "not-a-member"
UNKNOWN_BID = "CRG-2425-999"

# Where an example can start, and the day its story carries on from.
STAGES = ("setup", "bids", "shortlisting", "tactical", "delivery")
START_DAY = {
    "setup": date(2024, 4, 15),
    "bids": date(2024, 4, 20),
    "shortlisting": date(2024, 5, 1),
    "tactical": date(2024, 7, 10),
    "delivery": date(2025, 3, 29),
}

S = BidStatus
TEMPLATE = PROPOSALS[0]
SCORE_VALUES = ("5", "4", "4", "3", "3", "2", "1", "0", "na")

TALLY: Counter[str] = Counter()

# Examples (each a fresh database and up to STEPS commands) in every test run; more on PostgreSQL,
# where concurrency and locking differ most from what a developer runs day to day.
EXAMPLES_SQLITE = 200
EXAMPLES_POSTGRES = 250
STEPS = 30

# Every bid command, with made-up arguments, for `any_command`.
CHAOS: dict[str, Callable[[Any, str, Money, date], object]] = {
    "submit": lambda scope, ref, _, __: lifecycle.submit(scope, ref),
    "open_scoring": lambda scope, ref, _, __: lifecycle.open_scoring(scope, [ref], every_submitted=False),
    "shortlist": lambda scope, ref, _, __: lifecycle.shortlist(scope, ref, override=True, reason="Override"),
    "decline": lambda scope, ref, _, __: lifecycle.decline(scope, ref, "Declined"),
    "approve": lambda scope, ref, amount, __: approvals.approve(scope, ref, amount or None),
    "clarify": lambda scope, ref, _, __: approvals.clarify(scope, ref, "Why?"),
    "answer": lambda scope, ref, _, __: approvals.answer(scope, ref, "Because."),
    "reject": lambda scope, ref, _, __: approvals.reject(scope, ref, "Rejected"),
    "withdraw": lambda scope, ref, _, __: lifecycle.withdraw(scope, ref, "Withdrawn"),
    "vary": lambda scope, ref, amount, __: approvals.vary(scope, ref, amount, "Varied"),
    "cancel": lambda scope, ref, _, __: approvals.cancel(scope, ref, "Cancelled"),
    "start": lambda scope, ref, _, __: delivery.start(scope, ref),
    "complete": lambda scope, ref, _, __: delivery.complete(scope, ref, "Done"),
    "close": lambda scope, ref, _, __: delivery.close(scope, ref),
    "spend": lambda scope, ref, amount, day: spend.add(scope, ref, amount, day, "Acme", None),
    "edit": lambda scope, ref, amount, __: bids.edit_bid(scope, ref, bids.BidFields(amount=amount)),
}


# --- picking things -------------------------------------------------------------------------------

picks = st.integers(min_value=0, max_value=2**16)
# 0-17: the natural choice for the rule (a bid in the right state, a member with the right role);
# 18: any bid or member at all; 19: a bid or member that does not exist.
aims = st.integers(min_value=0, max_value=19)
ANY, NONE = 18, 19
pounds = st.one_of(
    st.integers(min_value=1, max_value=3_000),
    st.integers(min_value=3_000, max_value=15_000),
    st.integers(min_value=15_000, max_value=45_000),
)
reasons = st.sampled_from(
    (
        "Agreed by the working group",
        "Out of scope for this year",
        "Agreed at the KCSP",
        "Per the OPCC",
        "",
        "   ",
    )
)


class BidInfo:
    """What the rules know of a bid: its state, lead organisation, money and working year."""

    __slots__ = (
        "award",
        "ends_on",
        "open",
        "org",
        "pot",
        "reference",
        "requested",
        "spent",
        "starts_on",
        "status",
    )

    def __init__(self, reference: str, status: BidStatus, org: str, pot: PotKind, requested: int,
                 award: int | None, spent: int, year: FundingYear) -> None:  # fmt: skip
        self.reference, self.status, self.org, self.pot = reference, status, org, pot
        self.requested, self.award, self.spent = requested, award or 0, spent
        self.starts_on, self.ends_on = year.starts_on, year.ends_on
        self.open = year.status == YearStatus.open


# --- databases ------------------------------------------------------------------------------------


class SqliteDatabases:
    """Each example works on a copy of the demo built to one stage."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def fresh(self, stage: str) -> str:
        self.count += 1
        path = self.folder / f"example-{self.count}.sqlite"
        demo_copy(f"sqlite:///{path}", stage)  # the run's template of the stage (tests/conftest.py)
        return f"sqlite:///{path}"

    def discard(self, url: str) -> None:
        get_engine(url).dispose()
        get_engine.cache_clear()
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def fingerprint(url: str) -> str:
    """A hash of every row of every grants table: equal before and after means nothing changed.

    On PostgreSQL the server hashes each table's rows (as text, in key order) in one statement, so
    a step costs one round trip; on SQLite the rows are read raw and hashed here.
    """
    engine = get_engine(url)
    tables = SQLModel.metadata.sorted_tables
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            parts = [
                f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY "
                f"{', '.join(f't.{c.name}' for c in table.primary_key.columns)}), '')) "
                f'FROM "{table.name}" t)'
                for table in tables
            ]
            return "/".join(connection.exec_driver_sql(f"SELECT {', '.join(parts)}").one())
        digest = hashlib.sha256()
        for table in tables:
            digest.update(table.name.encode())
            order = ", ".join(c.name for c in table.primary_key.columns)
            for row in connection.exec_driver_sql(f'SELECT * FROM "{table.name}" ORDER BY {order}'):
                digest.update(repr(row).encode())
    return digest.hexdigest()


# --- the machine ----------------------------------------------------------------------------------


class GrantsMachine(RuleBasedStateMachine):
    """Commands by random members in random order; the books must always balance."""

    databases: Any = None  # set by the test that runs the machine

    def __init__(self) -> None:
        super().__init__()
        self.url: str | None = None
        self.day = START_DAY["setup"]
        self.bids: list[BidInfo] = []
        self.invoices = 0
        self.files = Path(tempfile.mkdtemp(prefix="grants-inv-"))
        self.unchecked = True  # the database has changed since the_books_balance last passed

    # -- plumbing --

    @initialize(stage=st.sampled_from(STAGES))
    def start(self, stage: str) -> None:
        event(f"start: {stage}")
        TALLY["examples"] += 1
        self.url = self.databases.fresh(stage)
        self.unchecked = True
        self.day = START_DAY[stage]
        self.refresh()

    def teardown(self) -> None:
        if self.url is not None:
            self.databases.discard(self.url)
        shutil.rmtree(self.files, ignore_errors=True)

    def refresh(self) -> None:
        """What the rules choose from: every bid with its state, organisation and money."""
        assert self.url is not None
        with open_scope(Options(db=self.url), write=False) as scope:
            rows = scope.session.execute(
                select(Bid, Organisation.key)
                .join(Organisation, Organisation.id == Bid.lead_organisation_id)
                .order_by(Bid.id)
            ).all()
            years = {y.id: y for y in scope.session.execute(select(FundingYear)).scalars()}
            self.bids = [
                BidInfo(
                    bid.reference,
                    bid.status,
                    org,
                    bid.pot,
                    bid.amount_requested_pence,
                    bid.award_pence,
                    bid.spent_pence,
                    years[bid.carried_to_year_id or bid.year_id],
                )  # fmt: skip
                for bid, org in rows
            ]

    def run(self, name: str, actor: str, command: Callable[[Any], object]) -> object | None:
        """One command in one write transaction, as the command line runs it."""
        assert self.url is not None
        before = fingerprint(self.url)
        TALLY["operations"] += 1
        TALLY[f"ran:{name}"] += 1
        try:
            with acting_on(self.day), open_scope(Options(db=self.url, actor=actor), write=True) as scope:
                result = command(scope)
        except GrantsError as error:
            kind = type(error).__name__
            TALLY["refused"] += 1
            TALLY[f"refused:{name}"] += 1
            TALLY[f"error:{kind}"] += 1
            event(f"{name}: refused ({kind})")
            if os.environ.get("GRANTS_INVARIANTS_DEBUG"):
                print(f"refused {name} as {actor}: {kind}: {str(error)[:160]}")
            assert fingerprint(self.url) == before, (
                f"{name} as {actor} was refused ({kind}: {error}) but the database changed"
            )
            return None
        TALLY[f"done:{name}"] += 1
        self.unchecked = True
        event(f"{name}: done")
        self.refresh()
        return result

    def has(self, statuses: frozenset[BidStatus] | set[BidStatus]) -> bool:
        """Whether a bid of an open year is in one of `statuses`: the rule for it can be tried."""
        return any(b.open and b.status in statuses for b in self.bids)

    def bid(self, pick: int, aim: int, statuses: frozenset[BidStatus] | set[BidStatus]) -> BidInfo | None:
        """A bid of an open year in one of `statuses` (most aims), any bid at all (ANY), or None: a
        bid that does not exist (NONE)."""
        if aim == NONE or not self.bids:
            return None
        fitting = [b for b in self.bids if b.open and b.status in statuses]
        pool = fitting if aim < ANY and fitting else self.bids
        return pool[pick % len(pool)]

    @staticmethod
    def who(pick: int, aim: int, right: tuple[str, ...]) -> str:
        """A member with the right role (most aims), anyone (ANY), or nobody the partnership knows."""
        if aim == NONE:
            return NOBODY
        pool = right if aim < ANY and right else HANDLES
        return pool[pick % len(pool)]

    @staticmethod
    def leads(info: BidInfo | None) -> tuple[str, ...]:
        """The bid's lead organisation's members and the officer."""
        if info is None:
            return (OFFICER,)
        return tuple(h for h in HANDLES if ORG_OF[h] == info.org) + (OFFICER,)

    @staticmethod
    def ref(info: BidInfo | None) -> str:
        return UNKNOWN_BID if info is None else info.reference

    def next_invoice(self) -> str:
        self.invoices += 1
        return f"INV-{self.invoices:04d}"

    # -- the invariants --

    @invariant()
    def the_books_balance(self) -> None:
        # Hypothesis checks invariants after every step, but only a command that was done can
        # have changed the database: a refused one is shown above to leave every row as it was,
        # and the other rules only read or move the calendar (the checks read the rows alone).
        # The whole of `grants check` on a database it already passed was three quarters of this
        # test's time.
        if self.url is None or not self.unchecked:
            return
        with open_scope(Options(db=self.url), write=False) as scope:
            session = scope.session
            problems = run_checks(session, scope.partnership)
            assert problems == [], [p.to_json() for p in problems]
            # run_checks has already refused a negative pot, award or spend balance in the ledger;
            # the cached figures must not go below nothing either.
            for pot in session.execute(select(Pot)).scalars():
                assert pot.uncommitted_pence >= 0, f"pot {pot.id} holds {pot.uncommitted_pence}p"
            for bid in session.execute(select(Bid)).scalars():
                assert 0 <= bid.spent_pence <= (bid.award_pence or 0), bid.reference
        self.unchecked = False

    # -- the calendar --

    @rule(days=st.integers(min_value=0, max_value=60))
    def time_passes(self, days: int) -> None:
        self.day += timedelta(days=days)

    # -- bids --

    @rule(
        actor_pick=picks,
        aim=aims,
        org_pick=picks,
        amount=pounds,
        pot=st.sampled_from((PotKind.upfront, PotKind.upfront, PotKind.tactical)),
        complete=st.integers(min_value=0, max_value=5),
        ends=st.sampled_from(("in year", "in year", "after", "after explained")),
    )
    def new_bid(
        self, actor_pick: int, aim: int, org_pick: int, amount: int, pot: PotKind, complete: int, ends: str
    ) -> None:
        org = ORGS[org_pick % len(ORGS)]
        right = tuple(h for h in HANDLES if ORG_OF[h] == org) + (OFFICER,)
        actor = self.who(actor_pick, aim, right)

        def command(scope: Any) -> object:
            from grants.years import find_year

            year = find_year(scope)
            end = year.ends_on - timedelta(days=1) if ends == "in year" else year.ends_on + timedelta(days=45)
            fields = bids.BidFields(
                title=f"Project {TALLY['operations']}",
                summary=TEMPLATE.summary,
                amount=Money.pounds(amount),
                pot=pot,
                pcc_priorities=list(TEMPLATE.pcc),
                csa_priorities=list(TEMPLATE.csa),
                outcomes=TEMPLATE.outcomes if complete else None,  # 1 in 6: incomplete
                measures=TEMPLATE.measures,
                delivery_end=end,
                end_explanation="Evaluation runs into the spring" if ends == "after explained" else None,
            )
            return bids.new_bid(scope, org, fields)

        self.run("new_bid", actor, command)

    @precondition(lambda self: self.has({S.draft, S.clarification}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, amount=st.none() | pounds)
    def edit_bid(self, pick: int, aim: int, actor_pick: int, actor_aim: int, amount: int | None) -> None:
        info = self.bid(pick, aim, {S.draft, S.clarification})
        actor = self.who(actor_pick, actor_aim, self.leads(info))
        fields = bids.BidFields(
            amount=Money.pounds(amount) if amount is not None else None,
            summary=None if amount is not None else f"Revised at step {TALLY['operations']}",
        )
        self.run("edit_bid", actor, lambda scope: bids.edit_bid(scope, self.ref(info), fields))

    @precondition(lambda self: self.has({S.draft}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims)
    def submit(self, pick: int, aim: int, actor_pick: int, actor_aim: int) -> None:
        info = self.bid(pick, aim, {S.draft})
        actor = self.who(actor_pick, actor_aim, self.leads(info))
        self.run("submit", actor, lambda scope: lifecycle.submit(scope, self.ref(info)))

    @precondition(lambda self: self.has({S.submitted}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, every=st.booleans())
    def open_scoring(self, pick: int, aim: int, actor_pick: int, actor_aim: int, every: bool) -> None:
        info = self.bid(pick, aim, {S.submitted})
        actor = self.who(actor_pick, actor_aim, (OFFICER,))
        named = [] if every else [self.ref(info)]
        self.run(
            "open_scoring", actor, lambda scope: lifecycle.open_scoring(scope, named, every_submitted=every)
        )

    @precondition(lambda self: self.has({S.scoring}))
    @rule(
        pick=picks,
        aim=aims,
        actor_pick=picks,
        actor_aim=aims,
        values=st.lists(st.sampled_from(SCORE_VALUES), min_size=6, max_size=6),
        stance=st.sampled_from(
            (Stance.support, Stance.support, Stance.support, Stance.abstain, Stance.oppose)
        ),
        drop=st.integers(min_value=0, max_value=9),
    )
    def score(
        self,
        pick: int,
        aim: int,
        actor_pick: int,
        actor_aim: int,
        values: list[str],
        stance: Stance,
        drop: int,
    ) -> None:
        info = self.bid(pick, aim, {S.scoring})
        right = tuple(h for h in SCORERS if info is None or ORG_OF[h] != info.org)
        actor = self.who(actor_pick, actor_aim, right)

        def command(scope: Any) -> object:
            bid = bids.find_bid(scope, self.ref(info))
            keys = [c.key for c in scoring.criteria_of(scope, scope.session.get(FundingYear, bid.year_id))]
            given = dict(zip(keys, values, strict=False))
            if drop == 0 and keys:  # a criterion left out
                given.pop(keys[0])
            return scoring.submit_sheet(scope, self.ref(info), given, stance, "")

        self.run("score", actor, command)

    @precondition(lambda self: self.has(PRE_DECISION))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, member_pick=picks)
    def declare_interest(
        self, pick: int, aim: int, actor_pick: int, actor_aim: int, member_pick: int
    ) -> None:
        info = self.bid(pick, aim, PRE_DECISION)
        actor = self.who(actor_pick, actor_aim, (*SCORERS, OFFICER, "chair"))
        member = actor if member_pick % 3 else HANDLES[member_pick % len(HANDLES)]
        self.run(
            "declare_interest",
            actor,
            lambda scope: scoring.declare_interest(
                scope, member, self.ref(info), "Sits on the project board"
            ),
        )

    @precondition(lambda self: self.has({S.scoring}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, override=st.booleans(), reason=reasons)
    def shortlist(
        self, pick: int, aim: int, actor_pick: int, actor_aim: int, override: bool, reason: str
    ) -> None:
        info = self.bid(pick, aim, {S.scoring})
        actor = self.who(actor_pick, actor_aim, (OFFICER,))
        self.run(
            "shortlist",
            actor,
            lambda scope: lifecycle.shortlist(scope, self.ref(info), override=override, reason=reason or None),
        )

    @precondition(lambda self: self.has({S.scoring}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, reason=reasons)
    def decline(self, pick: int, aim: int, actor_pick: int, actor_aim: int, reason: str) -> None:
        info = self.bid(pick, aim, {S.scoring})
        actor = self.who(actor_pick, actor_aim, (OFFICER,))
        self.run("decline", actor, lambda scope: lifecycle.decline(scope, self.ref(info), reason))

    # -- decisions --

    @precondition(lambda self: self.has({S.shortlisted, S.chair_approved}))
    @rule(
        pick=picks,
        aim=aims,
        actor_pick=picks,
        actor_aim=aims,
        amount=st.sampled_from(("requested", "requested", "less", "more", "any")),
        any_pounds=pounds,
    )
    def approve(
        self, pick: int, aim: int, actor_pick: int, actor_aim: int, amount: str, any_pounds: int
    ) -> None:
        info = self.bid(pick, aim, {S.shortlisted, S.chair_approved})
        deciding = "opcc" if info is not None and info.status == S.chair_approved else "chair"
        actor = self.who(actor_pick, actor_aim, (deciding,))
        award: Money | None = None
        if info is not None and amount != "requested":
            award = {
                "less": Money(max(1, info.requested - 100_00)),
                "more": Money(info.requested + 1),
                "any": Money.pounds(any_pounds),
            }[amount]
        self.run(
            "approve", actor, lambda scope: approvals.approve(scope, self.ref(info), award, note="Agreed")
        )

    @precondition(lambda self: self.has({S.chair_approved}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, question=reasons)
    def clarify(self, pick: int, aim: int, actor_pick: int, actor_aim: int, question: str) -> None:
        info = self.bid(pick, aim, {S.chair_approved})
        actor = self.who(actor_pick, actor_aim, ("opcc",))
        self.run("clarify", actor, lambda scope: approvals.clarify(scope, self.ref(info), question))

    @precondition(lambda self: self.has({S.clarification}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, text=reasons)
    def answer(self, pick: int, aim: int, actor_pick: int, actor_aim: int, text: str) -> None:
        info = self.bid(pick, aim, {S.clarification})
        actor = self.who(actor_pick, actor_aim, self.leads(info))
        self.run("answer", actor, lambda scope: approvals.answer(scope, self.ref(info), text))

    @precondition(lambda self: self.has({S.shortlisted, S.chair_approved, S.clarification}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, reason=reasons)
    def reject(self, pick: int, aim: int, actor_pick: int, actor_aim: int, reason: str) -> None:
        info = self.bid(pick, aim, {S.shortlisted, S.chair_approved, S.clarification})
        deciding = "chair" if info is not None and info.status == S.shortlisted else "opcc"
        actor = self.who(actor_pick, actor_aim, (deciding,))
        self.run("reject", actor, lambda scope: approvals.reject(scope, self.ref(info), reason))

    @precondition(lambda self: self.has(WITHDRAWABLE))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, reason=reasons)
    def withdraw(self, pick: int, aim: int, actor_pick: int, actor_aim: int, reason: str) -> None:
        info = self.bid(pick, aim, WITHDRAWABLE)
        actor = self.who(actor_pick, actor_aim, self.leads(info))
        self.run("withdraw", actor, lambda scope: lifecycle.withdraw(scope, self.ref(info), reason))

    @precondition(lambda self: self.has(LIVE))
    @rule(
        pick=picks,
        aim=aims,
        actor_pick=picks,
        actor_aim=aims,
        change=st.sampled_from(("down", "up", "to spent", "below spent", "same", "beyond", "zero")),
        step=st.integers(min_value=1, max_value=300_00) | st.integers(min_value=1, max_value=20_000_00),
        reason=reasons,
    )
    def vary(
        self, pick: int, aim: int, actor_pick: int, actor_aim: int, change: str, step: int, reason: str
    ) -> None:
        info = self.bid(pick, aim, LIVE)
        actor = self.who(actor_pick, actor_aim, ("opcc",))
        award = info.award if info is not None else 1_000_00
        spent = info.spent if info is not None else 0
        pence = {
            "down": max(spent, award - step),
            "up": award + step,
            "to spent": spent,
            "below spent": spent - 1,
            "same": award,
            "beyond": award + 100_000_00,
            "zero": 0,
        }[change]
        self.run(
            "vary",
            actor,
            lambda scope: approvals.vary(scope, self.ref(info), Money(pence), reason or "Re-profiled"),
        )

    @precondition(lambda self: self.has(LIVE))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, reason=reasons)
    def cancel(self, pick: int, aim: int, actor_pick: int, actor_aim: int, reason: str) -> None:
        info = self.bid(pick, aim, LIVE)
        actor = self.who(actor_pick, actor_aim, (OFFICER, "opcc"))
        self.run("cancel", actor, lambda scope: approvals.cancel(scope, self.ref(info), reason))

    @rule(
        actor_pick=picks,
        aim=aims,
        amount=pounds,
        direction=st.sampled_from(("up-tac", "up-tac", "tac-up", "tac-up", "same")),
        reason=reasons,
    )
    def transfer(self, actor_pick: int, aim: int, amount: int, direction: str, reason: str) -> None:
        actor = self.who(actor_pick, aim, (OFFICER,))
        source = PotKind.tactical if direction == "tac-up" else PotKind.upfront
        into = PotKind.tactical if direction == "up-tac" else PotKind.upfront
        self.run(
            "transfer",
            actor,
            lambda scope: budget.transfer(scope, Money.pounds(amount), source, into, reason or "Rebalancing"),
        )

    # -- delivery and spend --

    @precondition(lambda self: self.has({S.funded}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims)
    def start_delivery(self, pick: int, aim: int, actor_pick: int, actor_aim: int) -> None:
        info = self.bid(pick, aim, {S.funded})
        actor = self.who(actor_pick, actor_aim, self.leads(info))
        self.run("start", actor, lambda scope: delivery.start(scope, self.ref(info)))

    @precondition(lambda self: self.has({S.in_delivery}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims, outcome=reasons)
    def complete(self, pick: int, aim: int, actor_pick: int, actor_aim: int, outcome: str) -> None:
        info = self.bid(pick, aim, {S.in_delivery})
        actor = self.who(actor_pick, actor_aim, self.leads(info))
        self.run("complete", actor, lambda scope: delivery.complete(scope, self.ref(info), outcome))

    @precondition(lambda self: self.has({S.delivered}))
    @rule(pick=picks, aim=aims, actor_pick=picks, actor_aim=aims)
    def close(self, pick: int, aim: int, actor_pick: int, actor_aim: int) -> None:
        info = self.bid(pick, aim, {S.delivered})
        actor = self.who(actor_pick, actor_aim, ("treasurer",))
        self.run("close", actor, lambda scope: delivery.close(scope, self.ref(info)))

    @precondition(lambda self: self.has(SPENDABLE))
    @rule(
        pick=picks,
        aim=aims,
        actor_pick=picks,
        actor_aim=aims,
        share=st.sampled_from(("part", "part", "all", "over", "zero")),
        when=st.sampled_from(("in year", "in year", "in year", "before", "after")),
        invoice=st.sampled_from(("new", "new", "none", "repeat")),
    )
    def spend_add(
        self, pick: int, aim: int, actor_pick: int, actor_aim: int, share: str, when: str, invoice: str
    ) -> None:
        info = self.bid(pick, aim, SPENDABLE)
        actor = self.who(actor_pick, actor_aim, ("treasurer",))
        left = (info.award - info.spent) if info is not None else 100_00
        pence = {"part": max(1, left // 3), "all": left, "over": left + 1, "zero": 0}[share]
        starts_on = info.starts_on if info is not None else date(2024, 4, 1)
        ends_on = info.ends_on if info is not None else date(2025, 3, 31)
        paid_on = {
            "in year": starts_on + timedelta(days=pick % 365),
            "before": starts_on - timedelta(days=1),
            "after": ends_on + timedelta(days=1),
        }[when]
        paid_on = min(paid_on, ends_on) if when == "in year" else paid_on
        number = {"new": self.next_invoice(), "none": None, "repeat": "INV-0001"}[invoice]
        self.run(
            "spend_add",
            actor,
            lambda scope: spend.add(
                scope, self.ref(info), Money(pence), paid_on, "Acme Training Ltd", number
            ),
        )

    @precondition(lambda self: self.has(SPENDABLE))
    @rule(
        picks_=st.lists(picks, min_size=1, max_size=4),
        actor_pick=picks,
        actor_aim=aims,
        bad=st.sampled_from(
            (None,) * 6 + ("date", "amount", "reference", "outside", "over", "columns", "repeat")
        ),
        dry_run=st.integers(min_value=0, max_value=4),
    )
    def spend_import(
        self, picks_: list[int], actor_pick: int, actor_aim: int, bad: str | None, dry_run: int
    ) -> None:
        actor = self.who(actor_pick, actor_aim, ("treasurer",))
        spendable = [b for b in self.bids if b.open and b.status in SPENDABLE and b.award > b.spent]
        path = self.files / f"payments-{TALLY['operations']}.csv"
        rows: list[list[str]] = []
        taken: Counter[str] = Counter()
        for n, pick in enumerate(picks_):
            if not spendable:
                break
            info = spendable[pick % len(spendable)]
            left = info.award - info.spent - taken[info.reference]
            pence = max(1, left // (len(picks_) + 1))
            taken[info.reference] += pence
            paid_on = min(info.starts_on + timedelta(days=(pick + n) % 365), info.ends_on)
            rows.append(
                [paid_on.isoformat(), info.reference, f"{pence / 100:.2f}", "Acme", self.next_invoice()]
            )
        if bad is not None and rows:
            first = list(rows[0])
            if bad == "date":
                first[0] = "31/02/2025"
            elif bad == "amount":
                first[2] = "£6,00"
            elif bad == "reference":
                first[1] = UNKNOWN_BID
            elif bad == "outside":
                first[0] = "2023-01-01"
            elif bad == "over":
                first[2] = "999999.00"
            elif bad == "columns":
                first = [*first[:3], "6,000", "Acme", "INV-X"]
            first[4] = self.next_invoice() if bad != "repeat" else first[4]
            rows.append(first)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["date", "reference", "amount", "supplier", "invoice"])
            writer.writerows(rows)
        self.run("spend_import", actor, lambda scope: spend.import_spend(scope, path, dry_run=dry_run == 0))

    # -- anything, on any bid, by anyone --

    @rule(
        command=st.sampled_from(tuple(CHAOS)),
        pick=picks,
        actor=st.sampled_from((*HANDLES, NOBODY)),
        pence=st.integers(min_value=0, max_value=50_000_00),
    )
    def any_command(self, command: str, pick: int, actor: str, pence: int) -> None:
        """A command on a bid picked without regard to its state or year, by anybody."""
        reference = self.bids[pick % len(self.bids)].reference if self.bids else UNKNOWN_BID
        paid_on = self.day
        self.run(
            f"any:{command}", actor, lambda scope: CHAOS[command](scope, reference, Money(pence), paid_on)
        )

    # -- the year's end --

    @rule(
        actor_pick=picks,
        aim=aims,
        apply=st.integers(min_value=0, max_value=3).map(lambda n: n == 0),
        withdraw_pending=st.booleans(),
        carry=st.lists(picks, max_size=3),
        carry_any=st.booleans(),
        early=st.booleans(),
    )
    def rollover(
        self,
        actor_pick: int,
        aim: int,
        apply: bool,
        withdraw_pending: bool,
        carry: list[int],
        carry_any: bool,
        early: bool,
    ) -> None:
        actor = self.who(actor_pick, aim, (OFFICER,))
        # Carry forward what would otherwise block the rollover (sometimes any bid at all).
        pool = self.bids if carry_any else [b for b in self.bids if b.status in SPENDABLE]
        carried = sorted({pool[p % len(pool)].reference for p in carry}) if pool else []
        if not carry_any and apply:
            carried = sorted({*carried, *(b.reference for b in self.bids if b.status in SPENDABLE)})

        def command(scope: Any) -> object:
            from grants.years import find_year

            label = find_year(scope).label
            # Before the year's end date --apply is refused unless closed early with a reason.
            return rollover.rollover(
                scope,
                label,
                withdraw_pending=withdraw_pending,
                carry_forward=carried,
                apply=apply,
                close_early=early,
                reason="closed early by the state machine" if early else None,
            )

        statement = self.run("rollover" if apply else "rollover_preview", actor, command)
        if statement is not None and apply:
            self.day = max(self.day, date(self.day.year, 4, 2))

    @rule(actor_pick=picks, aim=aims)
    def close_year_check(self, actor_pick: int, aim: int) -> None:
        """Nothing can be written to a closed year: a bid there refuses to move."""
        with open_scope(Options(db=self.url), write=False) as scope:
            closed = scope.session.execute(
                select(Bid.reference)
                .join(FundingYear, FundingYear.id == Bid.year_id)
                .where(FundingYear.status == YearStatus.closed, Bid.carried_to_year_id.is_(None))
                .limit(1)
            ).scalar_one_or_none()
        if closed is None:
            return
        actor = self.who(actor_pick, aim, (OFFICER,))
        self.run("closed_year_write", actor, lambda scope: lifecycle.withdraw(scope, closed, "late"))


def run_machine(machine: type[GrantsMachine], databases: Any, *, examples: int, steps: int) -> Counter[str]:
    """Run the machine on those databases; returns (and prints) what it did."""
    TALLY.clear()
    bound = type(f"{machine.__name__}Bound", (machine,), {"databases": databases})
    run_state_machine_as_test(
        bound,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        ),
    )
    tally = Counter(TALLY)
    print(summary(tally))
    return tally


def summary(tally: Counter[str]) -> str:
    ran = {k.split(":", 1)[1]: v for k, v in tally.items() if k.startswith("ran:")}
    done = {k.split(":", 1)[1]: v for k, v in tally.items() if k.startswith("done:")}
    errors = {k.split(":", 1)[1]: v for k, v in tally.items() if k.startswith("error:")}
    lines = [
        f"invariants: {tally['examples']} examples, {tally['operations']} operations, "
        f"{tally['refused']} refused "
        f"({', '.join(f'{k} {v}' for k, v in sorted(errors.items()))})",
        *(f"  {name:<18} {ran[name]:>5} ran {done.get(name, 0):>5} done" for name in sorted(ran)),
    ]
    return "\n".join(lines)


def assert_exercised(tally: Counter[str], examples: int) -> None:
    """The run tried as many examples as asked, did real work and met real refusals. (Hypothesis
    enables a random subset of the rules in each example, so which rules succeeded varies from run
    to run.)"""
    assert tally["examples"] >= examples, summary(tally)
    assert tally["refused"] > 0, summary(tally)
    assert tally["operations"] > tally["refused"], summary(tally)
    money = ("approve", "vary", "cancel", "close", "spend_add", "spend_import", "transfer", "rollover")
    assert sum(tally[f"done:{name}"] for name in money) > 0, summary(tally)


def test_random_commands_keep_the_books(tmp_path_factory: pytest.TempPathFactory) -> None:
    databases = SqliteDatabases(tmp_path_factory.mktemp("invariants"))
    tally = run_machine(GrantsMachine, databases, examples=EXAMPLES_SQLITE, steps=STEPS)
    assert_exercised(tally, EXAMPLES_SQLITE)
