"""GRANTS_IDENTITY=database on a real PostgreSQL server, with a LOGIN role per member.

Each test makes roles whose names are unique to the run (`gi_<hex>_chair`, …), adds members with
those handles, gives them the privileges of `grants.identity.member_grants_sql` through a group
role, connects as each, and drops every role afterwards.

The server's pg_hba.conf may trust every local role (it does on the development machine), so
these tests show who the login is, not that a password is checked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy.engine import make_url

from grants.identity import member_attribution_sql, member_grants_sql
from tests.conftest import Cli
from tests.postgres.conftest import _admin_connect

DATABASE_IDENTITY = {"GRANTS_IDENTITY": "database"}
SHORTLISTED = "CRG-2425-001"  # shortlisted by the demo's working group; the chair approves it next


@dataclass
class Logins:
    """The database, the group role and three logins: two members and one who is no member."""

    admin_url: str
    database: str
    group: str
    chair: str
    opcc: str
    stranger: str

    def url(self, login: str, **query: str) -> str:
        url = make_url(self.admin_url).set(username=login)
        if query:
            url = url.update_query_dict(query)
        return url.render_as_string(hide_password=False)

    def cli(self, login: str, **query: str) -> Cli:
        return Cli(self.url(login, **query))

    def raw(self, login: str) -> psycopg.Connection:
        return psycopg.connect(self.url(login).replace("postgresql+psycopg://", "postgresql://"))


def _database_connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


@contextmanager
def make_logins(pg_url: str, *, build_until: str | None) -> Iterator[Logins]:
    """Roles for one test; with `build_until`, the demo (built by the superuser) up to that stage,
    members whose handles are the logins, and the deployment of README "Deployment and identity":
    the privileges and the triggers that keep the audit trail and ledger in the login's name."""
    tag = uuid.uuid4().hex[:8]
    logins = Logins(
        admin_url=pg_url,
        database=make_url(pg_url).database or "",
        group=f"gi_{tag}_app",
        chair=f"gi_{tag}_chair",
        opcc=f"gi_{tag}_opcc",
        stranger=f"gi_{tag}_nobody",
    )
    with _admin_connect() as admin:
        admin.execute(f'CREATE ROLE "{logins.group}" NOLOGIN')
        for login in (logins.chair, logins.opcc, logins.stranger):
            admin.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{logins.group}"')
    try:
        if build_until is not None:
            from grants.demo import build

            build(pg_url, replace=True, until=build_until)
            officer = Cli(pg_url)
            for handle, org, roles in ((logins.chair, "kcc", "chair"), (logins.opcc, "opcc", "pcc")):
                added = officer(
                    "member",
                    "add",
                    handle,
                    "--name",
                    handle,
                    "--org",
                    org,
                    "--roles",
                    roles,
                    actor="kcc-officer",
                )
                assert added.exit_code == 0, added.output
            with _database_connect(pg_url) as owner:
                for statement in member_grants_sql(logins.group, logins.database):
                    owner.execute(statement)
                for statement in member_attribution_sql(logins.group):
                    owner.execute(statement)
        yield logins
    finally:
        from grants.db import get_engine

        for login in (logins.chair, logins.opcc, logins.stranger):
            get_engine(logins.url(login)).dispose()
            get_engine(logins.url(login, options=f"-c role={logins.group}")).dispose()
        get_engine.cache_clear()
        with _database_connect(pg_url) as owner:
            for role in (logins.chair, logins.opcc, logins.stranger, logins.group):
                owner.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
                )
                owner.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
                owner.execute(f'DROP OWNED BY "{role}"')
        with _admin_connect() as admin:
            for role in (logins.chair, logins.opcc, logins.stranger, logins.group):
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def logins(pg_url: str) -> Iterator[Logins]:
    """The demo up to the shortlist, with two members who log in as themselves."""
    with make_logins(pg_url, build_until="shortlisting") as made:
        yield made


def bid_status(cli: Cli, reference: str) -> str:
    bids = json.loads(cli("bid", "list", "--json").stdout)
    return next(b["status"] for b in bids if b["reference"] == reference)


def last_event(cli: Cli) -> dict:
    return json.loads(cli("audit", "log", "--json", "--limit", "1").stdout)[0]


def test_a_login_cannot_act_as_another_member(logins: Logins) -> None:
    chair = logins.cli(logins.chair)
    before = last_event(Cli(logins.admin_url))
    for how in ({"actor": logins.opcc}, {"env": {**DATABASE_IDENTITY, "GRANTS_USER": logins.opcc}}):
        env = how.get("env", DATABASE_IDENTITY)
        result = chair("approve", SHORTLISTED, actor=how.get("actor"), env=env)
        assert result.exit_code == 1, result.output
        assert (
            f"you are logged in to the database as '{logins.chair}'; with GRANTS_IDENTITY=database "
            f"you cannot act as '{logins.opcc}'" in result.stderr
        )
    # Nothing was written: the bid is still shortlisted and the audit chain has not moved.
    assert bid_status(Cli(logins.admin_url), SHORTLISTED) == "shortlisted"
    assert last_event(Cli(logins.admin_url)) == before


def test_each_login_acts_as_itself_and_the_audit_names_it(logins: Logins) -> None:
    chair = logins.cli(logins.chair)
    approved = chair("approve", SHORTLISTED, env=DATABASE_IDENTITY)
    assert approved.exit_code == 0, approved.output
    event = last_event(chair)
    assert (event["actor"], event["action"], event["subject"]) == (
        logins.chair,
        "bid.approve",
        f"bid {SHORTLISTED}",
    )
    assert bid_status(chair, SHORTLISTED) == "chair_approved"

    # The chair's login cannot fund it as the OPCC; the OPCC's login can (naming itself is fine).
    refused = chair("approve", SHORTLISTED, actor=logins.opcc, env=DATABASE_IDENTITY)
    assert refused.exit_code == 1
    opcc = logins.cli(logins.opcc)
    funded = opcc("approve", SHORTLISTED, "--amount", "5,500", actor=logins.opcc, env=DATABASE_IDENTITY)
    assert funded.exit_code == 0, funded.output
    event = last_event(opcc)
    assert event["actor"] == logins.opcc and event["to"] == "funded"
    # The award's ledger entry was written by the OPCC's login, with INSERT only on the ledger.
    with logins.raw(logins.opcc) as raw:
        booked = raw.execute(
            "SELECT m.handle, l.amount_pence FROM ledger_entry l JOIN member m ON m.id = l.actor_id "
            "JOIN bid b ON b.id = l.bid_id ORDER BY l.id DESC LIMIT 1"
        ).fetchone()
    assert booked == (logins.opcc, 550_000)

    # Without GRANTS_IDENTITY=database the same login is back to `--as`: the mode is the switch.
    assert chair("status", actor="kcc-officer").exit_code == 0
    for cli in (chair, opcc, Cli(logins.admin_url)):
        assert cli("check").exit_code == 0
        assert cli("audit", "verify").exit_code == 0


FORGED_EVENT = (
    "INSERT INTO audit_event (partnership_id, seq, at, actor, action, subject, details, prev_hash, hash) "
    "SELECT id, audit_count + 1, '2025-01-01T00:00:00+00:00', %s, 'bid.approve', 'bid CRG-2425-001', "
    "'{}', audit_head, repeat('0', 64) FROM partnership"
)
FORGED_ENTRY = (
    "INSERT INTO ledger_entry (partnership_id, year_id, kind, from_account, to_account, amount_pence, booked_on, "
    "actor_id, created_at) SELECT y.partnership_id, y.id, 'transfer', 'pot:upfront', 'pot:tactical', 100, '2024-06-01', "
    "m.id, now() FROM funding_year y, member m WHERE m.handle = %s LIMIT 1"
)


@pytest.mark.parametrize("statement", [FORGED_EVENT, FORGED_ENTRY], ids=["audit event", "ledger entry"])
def test_a_login_cannot_write_the_trail_in_another_members_name(logins: Logins, statement: str) -> None:
    """With `psql` a member can insert into the audit trail and the ledger (grants needs that), but
    the triggers of member_attribution_sql refuse a row naming anybody but the login itself."""
    with logins.raw(logins.chair) as raw:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="in the name of"):
            raw.execute(statement, (logins.opcc,))
        raw.rollback()
        # The same row in the chair's own name passes the trigger (and is then rolled back): the
        # refusal above is about the name, not the privilege.
        assert raw.execute(statement, (logins.chair,)).rowcount == 1
        raw.rollback()
    assert Cli(logins.admin_url)("audit", "verify").exit_code == 0


def test_a_login_that_is_no_member_is_refused(logins: Logins) -> None:
    stranger = logins.cli(logins.stranger)
    result = stranger("approve", SHORTLISTED, env=DATABASE_IDENTITY)
    assert result.exit_code == 1, result.output
    assert (
        f"you are logged in to the database as '{logins.stranger}', which is not a member of kcsp"
        in result.stderr
    )
    # Nor can it borrow a member's handle.
    borrowed = stranger("approve", SHORTLISTED, actor=logins.chair, env=DATABASE_IDENTITY)
    assert borrowed.exit_code == 1
    assert f"you cannot act as '{logins.chair}'" in borrowed.stderr
    # The superuser who built the demo is no member either.
    admin = Cli(logins.admin_url)("approve", SHORTLISTED, actor="chair", env=DATABASE_IDENTITY)
    assert admin.exit_code == 1
    assert "you are logged in to the database as 'postgres'; with GRANTS_IDENTITY=database" in admin.stderr
    assert bid_status(Cli(logins.admin_url), SHORTLISTED) == "shortlisted"


def test_set_role_does_not_change_who_is_acting(logins: Logins) -> None:
    # The login joins its group role at connection time (current_user becomes the group); the
    # actor is still the login (session_user).
    chair = logins.cli(logins.chair, options=f"-c role={logins.group}")
    from grants.db import get_engine

    with get_engine(chair.url).connect() as connection:
        who = connection.exec_driver_sql("SELECT session_user, current_user").one()
    assert tuple(who) == (logins.chair, logins.group)
    with psycopg.connect(logins.url(logins.chair).replace("postgresql+psycopg://", "postgresql://")) as raw:
        raw.execute(f'SET ROLE "{logins.group}"')
        assert raw.execute("SELECT session_user, current_user").fetchone() == (logins.chair, logins.group)
    refused = chair("approve", SHORTLISTED, actor=logins.group, env=DATABASE_IDENTITY)
    assert refused.exit_code == 1
    assert f"you are logged in to the database as '{logins.chair}'" in refused.stderr
    approved = chair("approve", SHORTLISTED, env=DATABASE_IDENTITY)
    assert approved.exit_code == 0, approved.output
    assert last_event(chair)["actor"] == logins.chair


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET amount_pence = amount_pence + 1",
        "DELETE FROM ledger_entry",
        "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM audit_event WHERE seq = 2",
        "TRUNCATE audit_event",
        "DELETE FROM bid",
        "DROP TABLE pot",
        "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    ],
)
def test_a_member_login_cannot_change_the_books_behind_the_application(
    logins: Logins, statement: str
) -> None:
    with logins.raw(logins.chair) as raw, pytest.raises(psycopg.errors.InsufficientPrivilege):
        raw.execute(statement)
    assert Cli(logins.admin_url)("audit", "verify").exit_code == 0


def test_the_whole_demo_year_runs_on_member_privileges(pg_url: str) -> None:
    """The grants of member_grants_sql are enough for every command of a year: bids, scoring,
    approvals, spend import (a temporary table), closing and rollover. The schema is made by the
    owner; every step after runs as a login of the group (with `--as`, as the demo names its
    actors: this shows the privileges, not the identity)."""
    from grants.demo import STAGE_DATES, STAGE_STEPS, STAGES, _rollover
    from grants.scope import acting_on

    with make_logins(pg_url, build_until=None) as logins:
        owner = Cli(pg_url)
        upgraded = owner("db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.output
        with _database_connect(pg_url) as connection:
            for statement in member_grants_sql(logins.group, logins.database):
                connection.execute(statement)
        url = logins.url(logins.chair)
        for stage in STAGES:
            with acting_on(STAGE_DATES[stage]):
                STAGE_STEPS[stage](url, lambda _: None)
        _rollover(url, lambda _: None)
        member = logins.cli(logins.chair)
        assert member("check").exit_code == 0
        assert member("audit", "verify").exit_code == 0
        assert member("report", "reconcile", "--year", "2024/25", "--json").exit_code == 0
        with logins.raw(logins.chair) as raw, pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("UPDATE audit_event SET reason = 'edited' WHERE seq = 1")
