"""GRANTS_IDENTITY=database on a real PostgreSQL server, with a LOGIN role per member.

Each test makes roles whose names are unique to the run (`gi_<hex>_chair`, …), adds members with
those handles, deploys the privileges and triggers of `grants db grants --apply` (a base group
role and one per grants role, derived from the permission policy), connects as each, and drops
every role afterwards.

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

from grants.privileges import deploy, role_group
from tests.conftest import Cli
from tests.postgres.conftest import _admin_connect
from workflows.bid_lifecycle import Role

DATABASE_IDENTITY = {"GRANTS_IDENTITY": "database"}
SHORTLISTED = "CRG-2425-001"  # shortlisted by the demo's working group; the chair approves it next


@dataclass
class Logins:
    """The database, the group role and four logins: three members and one who is no member."""

    admin_url: str
    database: str
    group: str
    chair: str
    opcc: str
    officer: str
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


def group_roles(group: str) -> list[str]:
    """The base group and the group of each grants role (`grants db grants` makes them)."""
    return sorted({role_group(group, role) for role in Role})


@contextmanager
def make_logins(pg_url: str, *, with_demo: bool) -> Iterator[Logins]:
    """Roles for one test; `with_demo` (the database holds the demo, built by the superuser):
    members whose handles are the logins, and the deployment of README "Deployment and identity":
    the privileges and the triggers that keep the audit trail and ledger in the login's name."""
    tag = uuid.uuid4().hex[:8]
    logins = Logins(
        admin_url=pg_url,
        database=make_url(pg_url).database or "",
        group=f"gi_{tag}_app",
        chair=f"gi_{tag}_chair",
        opcc=f"gi_{tag}_opcc",
        officer=f"gi_{tag}_officer",
        stranger=f"gi_{tag}_nobody",
    )
    with _admin_connect() as admin:
        admin.execute(f'CREATE ROLE "{logins.group}" NOLOGIN')
        for login in (logins.chair, logins.opcc, logins.officer, logins.stranger):
            admin.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{logins.group}"')
    try:
        if with_demo:
            officer = Cli(pg_url)
            members = (
                (logins.chair, "kcc", "chair"),
                (logins.opcc, "opcc", "pcc"),
                (logins.officer, "kcc", "officer"),
            )
            for handle, org, roles in members:
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
            deploy(pg_url, logins.group, apply=True)
        yield logins
    finally:
        from grants.db import get_engine

        for login in (logins.chair, logins.opcc, logins.officer, logins.stranger):
            get_engine(logins.url(login)).dispose()
            get_engine(logins.url(login, options=f"-c role={logins.group}")).dispose()
        get_engine.cache_clear()
        made = [logins.chair, logins.opcc, logins.officer, logins.stranger, *group_roles(logins.group)]
        with _admin_connect() as admin:
            existing = {row[0] for row in admin.execute("SELECT rolname FROM pg_roles")}
        made = [role for role in made if role in existing]
        with _database_connect(pg_url) as owner:
            for role in made:
                owner.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
                )
                owner.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
                owner.execute(f'DROP OWNED BY "{role}"')
        with _admin_connect() as admin:
            for role in made:
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def logins(pg_demo_copy) -> Iterator[Logins]:  # type: ignore[no-untyped-def]
    """The demo up to the shortlist, with two members who log in as themselves."""
    with make_logins(pg_demo_copy("shortlisting"), with_demo=True) as made:
        yield made


def as_reader(cli: Cli) -> dict:
    """How `cli` reads: the superuser in flag mode as the demo's officer; a member's login in
    database mode (with the triggers installed, a checked login in flag mode is refused)."""
    if make_url(cli.url).username == "postgres":
        return {"actor": "kcc-officer"}
    return {"env": DATABASE_IDENTITY}


def bid_status(cli: Cli, reference: str) -> str:
    listed = cli("bid", "list", "--json", **as_reader(cli))
    assert listed.exit_code == 0, listed.output
    return next(b["status"] for b in json.loads(listed.stdout) if b["reference"] == reference)


def last_event(cli: Cli) -> dict:
    listed = cli("audit", "log", "--json", "--limit", "1", **as_reader(cli))
    assert listed.exit_code == 0, listed.output
    return json.loads(listed.stdout)[0]


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

    for cli in (chair, opcc):
        assert cli("check", env=DATABASE_IDENTITY).exit_code == 0
        assert cli("audit", "verify", env=DATABASE_IDENTITY).exit_code == 0
    assert Cli(logins.admin_url)("check").exit_code == 0
    assert Cli(logins.admin_url)("audit", "verify").exit_code == 0


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


def test_the_whole_demo_year_runs_on_each_members_privileges(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The privileges derived from the policy are enough for every command of a year: bids,
    scoring, approvals, spend import (a temporary table), closing and rollover, each step run by a
    login that holds exactly the groups of its actor's roles (`privileges_sql`, as `grants db
    grants` gives them). The owner makes the schema and the partnership (`grants init`). The demo
    names its actors with `--as`, so this shows the privileges; the triggers, which tie the actor
    to the login, are shown by the tests above."""
    from dataclasses import replace

    from grants import demo
    from grants.demo import MEMBERS, OFFICER, STAGE_DATES, STAGE_STEPS, STAGES, _rollover
    from grants.identity import parse_roles
    from grants.privileges import policy_role_actions, privileges_sql
    from grants.scope import acting_on

    tag = uuid.uuid4().hex[:8]
    group = f"gi_{tag}_app"
    roles = {handle: parse_roles(held) for handle, _, _, held in MEMBERS} | {OFFICER: parse_roles("officer")}
    login = {handle: f"gi_{tag}_{handle}" for handle in roles}
    database = make_url(pg_url).database or ""

    def url_of(handle: str) -> str:
        return make_url(pg_url).set(username=login[handle]).render_as_string(hide_password=False)

    real_open_scope = demo.open_scope
    monkeypatch.setattr(
        demo,
        "open_scope",
        lambda options, *, write: real_open_scope(replace(options, db=url_of(options.actor)), write=write),
    )
    made: list[str] = []
    try:
        owner = Cli(pg_url)
        upgraded = owner("db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.output
        with _database_connect(pg_url) as connection:
            for statement in privileges_sql(group, database, policy_role_actions()):
                connection.execute(statement)
            made = group_roles(group)
            for handle, held in roles.items():
                groups = ", ".join(f'"{role_group(group, role)}"' for role in (Role.LEAD, *held))
                connection.execute(f'CREATE ROLE "{login[handle]}" LOGIN IN ROLE {groups}')
                made.append(login[handle])
        for stage in STAGES:
            with acting_on(STAGE_DATES[stage]):
                STAGE_STEPS[stage](pg_url, lambda _: None)
        _rollover(pg_url, lambda _: None)
        treasurer = Cli(url_of("treasurer"))
        assert treasurer("check").exit_code == 0
        assert treasurer("audit", "verify").exit_code == 0
        assert treasurer("report", "reconcile", "--year", "2024/25", "--json").exit_code == 0
        with psycopg.connect(url_of("treasurer").replace("postgresql+psycopg://", "postgresql://")) as raw:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute("UPDATE audit_event SET reason = 'edited' WHERE seq = 1")
    finally:
        from grants.db import get_engine

        for handle in login:
            get_engine(url_of(handle)).dispose()
        get_engine.cache_clear()
        with _database_connect(pg_url) as owner_connection:
            for role in made:
                owner_connection.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
                owner_connection.execute(f'DROP OWNED BY "{role}"')
        with _admin_connect() as admin:
            for role in made:
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


# ---------------------------------------------------------------------------------------------
# Least privilege from the policy, and the three attacks of issue 13, refused by the database.

OPCC_ENTRY = (
    "INSERT INTO ledger_entry (partnership_id, year_id, kind, from_account, to_account, amount_pence, booked_on, "
    "actor_id, created_at) SELECT y.partnership_id, y.id, 'transfer', 'pot:upfront', 'pot:tactical', 100, "
    "'2024-06-01', m.id, now() FROM funding_year y, member m WHERE m.handle = %s LIMIT 1"
)


def refused(logins: Logins, login: str, *statements: tuple[str, tuple], match: str = "") -> None:
    """Run the statements in one transaction as `login`; the database must refuse (the first
    refusal ends it), and nothing it did stays."""
    with logins.raw(login) as raw:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=match):
            for statement, parameters in statements:
                raw.execute(statement, parameters)
            raw.commit()  # a deferred check refuses here
        raw.rollback()


def test_the_handle_swap_is_refused(logins: Logins) -> None:
    """Attack (a): a login swaps its member's handle with the OPCC's, books a ledger entry as the
    OPCC, and swaps back. No role's action updates `member`, so no login may; and a handle is fixed
    by a trigger even for a login that is given UPDATE on `member` by mistake."""
    swap = [
        ("UPDATE member SET handle = 'swapping' WHERE handle = %s", (logins.opcc,)),
        ("UPDATE member SET handle = %s WHERE handle = %s", (logins.opcc, logins.chair)),
        (OPCC_ENTRY, (logins.opcc,)),
        ("UPDATE member SET handle = %s WHERE handle = %s", (logins.chair, logins.opcc)),
        ("UPDATE member SET handle = %s WHERE handle = 'swapping'", (logins.opcc,)),
    ]
    for login in (logins.chair, logins.officer):
        refused(logins, login, *swap, match="permission denied for table member")
    with _database_connect(logins.admin_url) as owner:
        owner.execute(f'GRANT UPDATE ON member TO "{logins.chair}"')
    refused(logins, logins.chair, *swap, match="a handle is a database login")
    assert Cli(logins.admin_url)("check").exit_code == 0
    assert Cli(logins.admin_url)("audit", "verify").exit_code == 0


def test_a_login_cannot_raise_its_own_roles(logins: Logins) -> None:
    """Attack (b): `UPDATE member SET roles = …` on the login's own row (even the officer's)."""
    every = "officer,member,chair,pcc,treasurer"
    for login in (logins.chair, logins.opcc):
        refused(
            logins,
            login,
            ("UPDATE member SET roles = %s WHERE handle = %s", (every, login)),
            match="permission denied for table member",
        )
    # The officer may edit members' roles (member edit), but never their own.
    refused(
        logins,
        logins.officer,
        ("UPDATE member SET roles = %s WHERE handle = %s", (every, logins.officer)),
        match="may not change its own roles",
    )
    members = json.loads(logins.cli(logins.chair)("member", "list", "--json", env=DATABASE_IDENTITY).stdout)
    assert next(m for m in members if m["handle"] == logins.chair)["roles"] in ("chair", ["chair"])


def test_the_audit_head_moves_only_through_a_recorded_event(logins: Logins) -> None:
    """Attack (c): winding the partnership's audit count back (which would make everybody's next
    write collide with an existing event), or moving the head anywhere but to the event just
    appended after it; and appending an event anywhere but at the head."""
    head = "the head of the audit trail"
    for login in (logins.chair, logins.opcc, logins.officer):
        refused(logins, login, ("UPDATE partnership SET audit_count = audit_count - 1", ()), match=head)
        refused(logins, login, ("UPDATE partnership SET audit_head = repeat('0', 64)", ()), match=head)
        refused(logins, login, ("UPDATE partnership SET audit_count = audit_count + 1", ()), match=head)
        if login != logins.officer:  # the officer's `config set` owns the partnership's rules
            refused(logins, login, ("UPDATE partnership SET quorum_authorities = 1", ()), match="partnership")
    own_event = (
        "INSERT INTO audit_event (partnership_id, seq, at, actor, action, subject, details, prev_hash, hash) "
        "SELECT id, audit_count + %s, '2025-01-01T00:00:00+00:00', %s, 'bid.approve', 'bid CRG-2425-001', "
        "'{}', audit_head, repeat('1', 64) FROM partnership"
    )
    # In the login's own name, but past the head, or at the head without moving the head to it.
    refused(logins, logins.chair, (own_event, (2, logins.chair)), match="only at the head")
    refused(logins, logins.chair, (own_event, (1, logins.chair)), match="without moving the head")
    # Nothing happened: every other member's next write goes through.
    funded = logins.cli(logins.chair)("approve", SHORTLISTED, env=DATABASE_IDENTITY)
    assert funded.exit_code == 0, funded.output
    assert Cli(logins.admin_url)("audit", "verify").exit_code == 0


def test_a_head_wound_back_by_the_owner_is_a_clear_error_not_a_traceback(logins: Logins) -> None:
    """The owner is not checked: if it winds the count back, the next write says what is wrong
    (exit 4) and writes nothing."""
    with _database_connect(logins.admin_url) as owner:
        owner.execute("UPDATE partnership SET audit_count = audit_count - 1")
    result = logins.cli(logins.chair)("approve", SHORTLISTED, env=DATABASE_IDENTITY)
    assert result.exit_code == 4, result.output
    assert "the audit trail is out of step with its head" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert bid_status(Cli(logins.admin_url), SHORTLISTED) == "shortlisted"


def test_years_allocations_and_members_change_only_through_the_officers_actions(logins: Logins) -> None:
    """Only the officer's actions write members, organisations and years; nobody may change an
    allocation (no action does), and a closed year never changes."""
    for login in (logins.chair, logins.opcc):
        refused(
            logins,
            login,
            (
                "INSERT INTO member (partnership_id, handle, name, organisation_id, roles, created_at) "
                "SELECT partnership_id, 'mallory', 'M', organisation_id, 'officer', now() FROM member LIMIT 1",
                (),
            ),
            match="permission denied for table member",
        )
        refused(logins, login, ("UPDATE funding_year SET status = 'closed'", ()), match="funding_year")
    for login in (logins.chair, logins.opcc, logins.officer):
        refused(logins, login, ("UPDATE funding_year SET allocation_pence = 1", ()), match="funding_year")
        refused(logins, login, ("UPDATE pot SET kind = 'tactical'", ()), match="pot")
    # Only spend import stages rows in a temporary table: nobody else may make one.
    for login in (logins.chair, logins.opcc, logins.officer):
        refused(logins, login, ("CREATE TEMPORARY TABLE scratch (a integer)", ()), match="temporary")
    with _database_connect(logins.admin_url) as owner:
        owner.execute("UPDATE funding_year SET status = 'closed'")
    refused(logins, logins.officer, ("UPDATE funding_year SET status = 'open'", ()), match="never reopens")
    # The officer's own action works on its privileges.
    added = logins.cli(logins.officer)(
        "member",
        "add",
        "newcomer",
        "--name",
        "New",
        "--org",
        "kcc",
        "--roles",
        "member",
        env=DATABASE_IDENTITY,
    )
    assert added.exit_code == 0, added.output


def test_a_login_whose_roles_outgrow_its_privileges_gets_a_clear_refusal(logins: Logins) -> None:
    """An officer makes a login's member an officer; until the owner runs `grants db grants
    --apply` again, the database refuses that login's officer actions, with a message saying so."""
    officer = logins.cli(logins.officer)
    added = officer(
        "member",
        "add",
        logins.stranger,
        "--name",
        "S",
        "--org",
        "kcc",
        "--roles",
        "officer",
        env=DATABASE_IDENTITY,
    )
    assert added.exit_code == 0, added.output
    newcomer = logins.cli(logins.stranger)
    args = ("org", "add", "charity", "--name", "A charity")
    result = newcomer(*args, env=DATABASE_IDENTITY)
    assert result.exit_code == 1, result.output
    assert "the database refused this command" in result.stderr
    assert "grants db grants --apply" in result.stderr
    applied = Cli(logins.admin_url)("db", "grants", "--apply", "--group", logins.group)
    assert applied.exit_code == 0, applied.output
    assert newcomer(*args, env=DATABASE_IDENTITY).exit_code == 0


def test_triggers_with_identity_switched_off_are_a_clear_error_at_start_up(logins: Logins) -> None:
    chair = logins.cli(logins.chair)
    for env in ({}, {"GRANTS_IDENTITY": "flag"}):
        result = chair("status", actor=logins.chair, env=env)
        assert result.exit_code == 2, result.output
        assert "this database is set up for GRANTS_IDENTITY=database" in result.stderr
        assert f"logged in as '{logins.chair}'" in result.stderr
    misspelt = chair("status", env={"GRANTS_IDENTITY": "databse"})
    assert misspelt.exit_code == 2
    assert "GRANTS_IDENTITY='databse' is not an identity mode" in misspelt.stderr
    # The owner, whom the triggers do not check, keeps `--as`.
    assert Cli(logins.admin_url)("status", actor="kcc-officer").exit_code == 0


def test_db_grants_prints_and_applies_only_as_the_owner(logins: Logins) -> None:
    printed = Cli(logins.admin_url)("db", "grants", "--group", logins.group)
    assert printed.exit_code == 0, printed.output
    assert f'GRANT "{logins.group}_officer" TO "{logins.officer}";' in printed.stdout
    assert f'REVOKE "{logins.group}_officer" FROM "{logins.chair}";' in printed.stdout
    assert "-- member 'wg-police' has no login role" in printed.stdout
    by_member = logins.cli(logins.chair)(
        "db", "grants", "--apply", "--group", logins.group, env=DATABASE_IDENTITY
    )
    assert by_member.exit_code == 1, by_member.output
    assert "as the owner of the grants tables" in by_member.stderr
