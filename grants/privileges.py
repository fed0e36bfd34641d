"""Least privilege on PostgreSQL with GRANTS_IDENTITY=database, derived from the permission policy.

Each member logs in to PostgreSQL as themselves (README "Deployment and identity"). What a login may
do to the tables follows from the roles its member holds:

- `ACTION_ACCESS` (here, on the storage side) says, for every action of the permission policy,
  which tables it writes and how: INSERT, or UPDATE of named columns. A test keeps it complete:
  every action of the policy has an entry, so a new action cannot be forgotten, and the writes the
  real commands make are each covered by the entry of their action.
- The policy says which roles may take each action. A group role per grants role
  (`grants_member_officer`, `grants_member_chair`, …) gets exactly the access of the actions that
  role may take; the base group (`grants_member`) gets reading, plus the access of the actions any
  member may take as the lead of a bid (any member's organisation may lead one).
- Each member's login is a member of the base group and of the group of each role it holds.
  After `member add` (or a change of roles) the owner runs `grants db grants --apply` again.

Grants' own rules (states, guards, visibility) still run in the application; the database adds a
floor that holds even for a member with `psql`: no writes to tables their roles never write, no
DELETE anywhere, the ledger and audit trail append-only, and the triggers of `triggers_sql`:

- a row that names its actor (audit event, ledger entry, payment, import, sheet, interest, bid)
  must name the login itself;
- a member's handle never changes (it is their login), no login changes its own roles, and a
  closed year never changes;
- the audit trail's head (`partnership.audit_head`, `audit_count`) moves only forward, one event
  at a time, to the event just appended after it; and an event can only be appended at the head.

The triggers check only logins of the base group that are not superusers; the owner (who runs
`grants init` and `grants db upgrade`) is not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.bid_lifecycle import Role
from workflows.policy import POLICY, Action

if TYPE_CHECKING:
    from sqlmodel import Session

DEFAULT_GROUP = "grants_member"
# The database-level privilege of a temporary table (spend import stages its rows in one).
DATABASE = "(database)"


@dataclass(frozen=True, order=True)
class Access:
    """One privilege on one table; an UPDATE names its columns (never the whole row)."""

    table: str
    privilege: str
    columns: tuple[str, ...] = ()

    def sql(self) -> str:
        if self.columns:
            return f"{self.privilege} ({', '.join(quoted(c) for c in self.columns)})"
        return self.privilege


def insert(table: str) -> Access:
    return Access(table, "INSERT")


def update(table: str, *columns: str) -> Access:
    if not columns:
        raise ValueError(f"an UPDATE of {table} must name its columns")
    return Access(table, "UPDATE", tuple(sorted(columns)))


# Every write appends to the partnership's audit chain: it inserts an event and moves the head.
# (UPDATE of the head's columns is also what `SELECT … FOR UPDATE` on the partnership row needs.)
CHAIN = (insert("audit_event"), update("partnership", "audit_count", "audit_head"))

# A bid's state change (every transition of the lifecycle).
_STATE = update("bid", "status", "updated_at")
# Pots' uncommitted balances move with every ledger entry between a pot and an award.
_POT = update("pot", "uncommitted_pence")

# Storage side of the policy: action → what it writes, beyond CHAIN (which every write needs).
# Keyed by the action names of the permission policy; tests/test_privileges.py checks that the
# keys are exactly the policy's actions and that the commands write nothing outside them.
ACTION_ACCESS: Mapping[str, tuple[Access, ...]] = {
    # Setting up: the officer's.
    "add-organisation": (insert("organisation"),),
    "add-member": (insert("member"),),
    "edit-organisation": (update("organisation", "name", "org_id", "responsible_authority"),),
    "retire-organisation": (update("organisation", "retired_at"),),
    "edit-member": (update("member", "name", "organisation_id", "roles"),),
    "retire-member": (update("member", "retired_at"),),
    "manage-priorities": (insert("reference_item"), update("reference_item", "retired_at", "title")),
    "set-rules": (
        update(
            "partnership", "consensus_threshold", "moderation_spread", "quorum_authorities", "tactical_share"
        ),
    ),
    "open-year": (
        insert("funding_year"),
        insert("pot"),
        insert("ledger_entry"),
        insert("criterion"),
        insert("reference_item"),
    ),
    "set-criteria": (
        insert("criterion"),
        update("criterion", "description", "descriptors", "position", "removed_at", "title", "weight"),
    ),
    # Bids.
    "create-bid": (insert("bid"),),
    "edit-bid": (
        update(
            "bid",
            "amount_requested_pence",
            "contact_member_id",
            "csa_priorities",
            "delivery_end",
            "end_explanation",
            "measures",
            "outcomes",
            "pcc_priorities",
            "pot",
            "summary",
            "title",
            "updated_at",
        ),
    ),
    "submit": (update("bid", "status", "submitted_at", "updated_at"),),
    "withdraw": (_STATE,),
    # Scoring.
    "open_scoring": (_STATE,),
    "score": (insert("score_sheet"), update("score_sheet", "current")),
    "declare-interest": (insert("interest"),),
    "shortlist": (_STATE,),
    "decline": (_STATE,),
    # Decisions and awards.
    "approve": (_STATE, update("bid", "award_pence"), insert("ledger_entry"), _POT),
    "clarify": (_STATE,),
    "answer": (_STATE,),
    "reject": (_STATE,),
    "vary": (update("bid", "award_pence", "updated_at"), insert("ledger_entry"), _POT),
    "cancel": (_STATE, insert("ledger_entry"), _POT),
    "change-end-date": (update("bid", "delivery_end", "updated_at"),),
    "transfer": (insert("ledger_entry"), _POT),
    # Delivery and spend.
    "start": (_STATE,),
    "complete": (_STATE, update("bid", "outcome_summary")),
    "close": (_STATE, insert("ledger_entry"), _POT),
    "record-spend": (insert("spend"), insert("ledger_entry"), update("bid", "spent_pence")),
    "import-spend": (
        insert("spend_import"),
        insert("spend"),
        insert("ledger_entry"),
        update("bid", "spent_pence"),
        Access(DATABASE, "TEMPORARY"),
    ),
    # Reading: SELECT on every table, which the base group holds; grants' own rules decide what
    # each member is shown.
    "see-sheets": (),
    "see-scores-summary": (),
    "read": (),
    "read-audit-log": (),
    "export-workbook": (),
    # Year end.
    "rollover": (
        update("funding_year", "closed_at", "status"),
        insert("funding_year"),
        insert("pot"),
        _POT,
        insert("ledger_entry"),
        insert("criterion"),
        insert("reference_item"),
        update("bid", "carried_to_year_id"),
    ),
}


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# Triggers: what privileges alone cannot say.

CHECKED_FUNCTION = "grants_login_is_checked"

# Rows that name who wrote them: table → (column, how it names the actor, the events checked).
# `handle`: the column holds the handle; `member`: it holds the member's id.
ATTRIBUTED: Mapping[str, tuple[str, str, str]] = {
    "audit_event": ("actor", "handle", "INSERT"),
    "ledger_entry": ("actor_id", "member", "INSERT"),
    "spend": ("actor_id", "member", "INSERT"),
    "spend_import": ("actor_id", "member", "INSERT"),
    "score_sheet": ("member_id", "member", "INSERT OR UPDATE"),
    "interest": ("declared_by_id", "member", "INSERT"),
    "bid": ("created_by_id", "member", "INSERT"),
}

# Every function runs with a fixed search path, so a login cannot put its own objects first.
_FIXED_PATH = "SET search_path = pg_catalog, public"


def _function(name: str, body: str, *, returns: str = "trigger") -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS {returns}\n"
        f"LANGUAGE plpgsql {_FIXED_PATH} AS $$\n{body.strip()}\n$$"
    )


# A row names its writer: the login itself (an audit event's handle) or the login's member.
_ACTOR_IS_LOGIN = """
DECLARE
    named text := to_jsonb(NEW) ->> TG_ARGV[0];
BEGIN
    IF grants_login_is_checked() THEN
        IF TG_ARGV[1] = 'handle' THEN
            IF named IS DISTINCT FROM session_user THEN
                RAISE EXCEPTION 'login % may not record an audit event in the name of %',
                    session_user, named USING ERRCODE = 'insufficient_privilege';
            END IF;
        ELSIF NOT EXISTS (SELECT 1 FROM member WHERE id = named::integer AND handle = session_user) THEN
            RAISE EXCEPTION 'login % may not write to % in the name of member #%',
                session_user, TG_TABLE_NAME, named USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END"""

# A member's handle is a database login: it never changes, and no login changes its own roles.
_MEMBER_HANDLE_FIXED = """
BEGIN
    IF grants_login_is_checked()
       AND (NEW.handle IS DISTINCT FROM OLD.handle OR NEW.partnership_id IS DISTINCT FROM OLD.partnership_id) THEN
        RAISE EXCEPTION 'login % may not change the handle of member #%: a handle is a database login',
            session_user, OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The officer's `member edit` may change roles, but never the officer's own: raising one's
    -- own roles takes another officer (grants.partnerships.edit_member refuses it too).
    IF grants_login_is_checked() AND OLD.handle = session_user
       AND NEW.roles IS DISTINCT FROM OLD.roles THEN
        RAISE EXCEPTION 'login % may not change its own roles: another officer must do it',
            session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END"""

# An audit event is appended only at the head of the partnership's chain.
_AUDIT_AT_HEAD = """
BEGIN
    IF grants_login_is_checked() AND NOT EXISTS (
        SELECT 1 FROM partnership p
        WHERE p.id = NEW.partnership_id AND p.audit_count + 1 = NEW.seq AND p.audit_head = NEW.prev_hash
    ) THEN
        RAISE EXCEPTION 'login % may not record audit event #%: an event is appended only at the head of the audit trail',
            session_user, NEW.seq USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END"""

# ...and by the commit the head has moved to it (a deferred constraint trigger).
_AUDIT_IN_HEAD = """
BEGIN
    IF grants_login_is_checked() AND NOT EXISTS (
        SELECT 1 FROM partnership p WHERE p.id = NEW.partnership_id AND p.audit_count >= NEW.seq
    ) THEN
        RAISE EXCEPTION 'login % recorded audit event #% without moving the head of the audit trail to it',
            session_user, NEW.seq USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END"""

# The head moves only to the event just recorded after it.
_AUDIT_HEAD_MOVES = """
BEGIN
    IF grants_login_is_checked()
       AND (NEW.audit_head, NEW.audit_count) IS DISTINCT FROM (OLD.audit_head, OLD.audit_count)
       AND NOT (NEW.audit_count = OLD.audit_count + 1 AND EXISTS (
            SELECT 1 FROM audit_event e
            WHERE e.partnership_id = NEW.id AND e.seq = NEW.audit_count
              AND e.hash = NEW.audit_head AND e.prev_hash = OLD.audit_head)) THEN
        RAISE EXCEPTION 'login % may not move the head of the audit trail from event #% to #%: it moves only to the event just recorded after it',
            session_user, OLD.audit_count, NEW.audit_count USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END"""

# The trigger functions that need nothing from the deployment, in the order they are created.
_TRIGGER_FUNCTIONS: Mapping[str, str] = {
    "grants_actor_is_login": _ACTOR_IS_LOGIN,
    "grants_member_handle_fixed": _MEMBER_HANDLE_FIXED,
    "grants_audit_at_head": _AUDIT_AT_HEAD,
    "grants_audit_in_head": _AUDIT_IN_HEAD,
    "grants_audit_head_moves": _AUDIT_HEAD_MOVES,
}

# The triggers on one table each, after the actor triggers of ATTRIBUTED: (trigger, table, the
# CREATE statement with {name} and {table} to fill in).
_TABLE_TRIGGERS: tuple[tuple[str, str, str], ...] = (
    (
        "member_handle_fixed",
        "member",
        "CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION grants_member_handle_fixed()",
    ),
    (
        "funding_year_stays_closed",
        "funding_year",
        "CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION grants_year_stays_closed()",
    ),
    (
        "audit_event_at_head",
        "audit_event",
        "CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION grants_audit_at_head()",
    ),
    (
        "audit_event_in_head",
        "audit_event",
        "CREATE CONSTRAINT TRIGGER {name} AFTER INSERT ON {table} DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION grants_audit_in_head()",
    ),
    (
        "partnership_audit_head_moves",
        "partnership",
        "CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION grants_audit_head_moves()",
    ),
)


def _checked_function(group: str) -> str:
    """Whether the session's login is one the triggers check: a login of `group`, not a superuser."""
    return _function(
        CHECKED_FUNCTION,
        f"""
BEGIN
    -- A login of the group that is no superuser: the owner and superusers are not checked.
    RETURN pg_has_role(session_user, {literal(group)}, 'MEMBER')
       AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user);
END""",
        returns="boolean",
    )


def _year_stays_closed_function() -> str:
    """A closed year never reopens or changes."""
    from grants.models import YearStatus

    return _function(
        "grants_year_stays_closed",
        f"""
BEGIN
    IF grants_login_is_checked() AND OLD.status = {literal(YearStatus.closed.value)} AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'login % may not change the closed year %: a closed year never reopens or changes',
            session_user, OLD.label USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END""",
    )


def _trigger(name: str, table: str, create: str) -> list[str]:
    """(Re)create one trigger: drop it if there, then create it."""
    return [
        f"DROP TRIGGER IF EXISTS {quoted(name)} ON {quoted(table)}",
        create.format(name=quoted(name), table=quoted(table)),
    ]


def triggers_sql(group: str) -> list[str]:
    """The triggers of the module docstring, for logins of `group`. Run as the tables' owner."""
    statements = [
        _checked_function(group),
        *(_function(name, body) for name, body in _TRIGGER_FUNCTIONS.items()),
        _year_stays_closed_function(),
    ]
    for table, (column, kind, events) in ATTRIBUTED.items():
        statements += _trigger(
            f"{table}_actor_is_login",
            table,
            "CREATE TRIGGER {name} BEFORE " + events + " ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION grants_actor_is_login({literal(column)}, {literal(kind)})",
        )
    for name, table, create in _TABLE_TRIGGERS:
        statements += _trigger(name, table, create)
    return statements


# ---------------------------------------------------------------------------------------------
# Privileges: a group role per grants role, with the access of that role's actions.

# Rows of these tables are never changed once written: nobody may update, delete or truncate them.
APPEND_ONLY_TABLES = ("ledger_entry", "audit_event")


def role_group(group: str, role: Role) -> str:
    """The group role holding what `role`'s actions need (the base group holds the lead's)."""
    return group if role is Role.LEAD else f"{group}_{role.value}"


def grants_tables() -> list[str]:
    from sqlmodel import SQLModel

    import grants.models  # noqa: F401 - registers every table

    return sorted(SQLModel.metadata.tables)


def access_by_group(group: str, role_actions: Mapping[Role, Iterable[str]]) -> dict[str, set[Access]]:
    """Each group role → the access of the actions its role may take (with the audit chain when
    it may write at all)."""
    result: dict[str, set[Access]] = {group: set()}
    for role in Role:
        access: set[Access] = set()
        for action in role_actions.get(role, ()):
            access.update(ACTION_ACCESS[action])
        if access:
            access.update(CHAIN)
        result.setdefault(role_group(group, role), set()).update(access)
    return result


def _grant_lines(access: set[Access], role: str) -> list[str]:
    """GRANTs for one group role: its INSERTs in one statement, then each table's UPDATE with
    the union of the columns its actions change, then the id sequences of the tables it inserts."""
    inserted = sorted({a.table for a in access if a.privilege == "INSERT"})
    columns: dict[str, set[str]] = {}
    for item in access:
        if item.privilege == "UPDATE":
            columns.setdefault(item.table, set()).update(item.columns)
    lines = []
    if inserted:
        lines.append(f"GRANT INSERT ON {', '.join(quoted(t) for t in inserted)} TO {quoted(role)}")
    for table, names in sorted(columns.items()):
        lines.append(f"GRANT {update(table, *names).sql()} ON {quoted(table)} TO {quoted(role)}")
    if inserted:
        sequences = ", ".join(quoted(f"{t}_id_seq") for t in inserted)
        lines.append(f"GRANT USAGE ON SEQUENCE {sequences} TO {quoted(role)}")
    return lines


def privileges_sql(group: str, database: str, role_actions: Mapping[Role, Iterable[str]]) -> list[str]:
    """The group roles and their privileges. Run as the owner of the grants tables, after
    `grants init` or `grants db upgrade`; it first takes away whatever the groups held before."""
    groups = access_by_group(group, role_actions)
    tables = grants_tables()
    statements: list[str] = []
    for role in groups:
        statements.append(
            f"DO $$ BEGIN CREATE ROLE {quoted(role)} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    every = ", ".join(quoted(role) for role in groups)
    statements += [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {every}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {every}",
        f"REVOKE ALL ON DATABASE {quoted(database)} FROM {every}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(quoted(t) for t in APPEND_ONLY_TABLES)} FROM PUBLIC",
        # Every role may make temporary tables by default; here only the roles whose actions do.
        f"REVOKE TEMPORARY ON DATABASE {quoted(database)} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {quoted(database)} TO {quoted(group)}",
        f"GRANT USAGE ON SCHEMA public TO {quoted(group)}",
        # Reading: grants' own rules decide what each member is shown.
        f"GRANT SELECT ON {', '.join(quoted(t) for t in [*tables, 'alembic_version'])} TO {quoted(group)}",
    ]
    for role, access in groups.items():
        if any(a.table == DATABASE for a in access):
            temporary = sorted(a.privilege for a in access if a.table == DATABASE)
            statements.append(
                f"GRANT {', '.join(temporary)} ON DATABASE {quoted(database)} TO {quoted(role)}"
            )
        statements += _grant_lines(access, role)
    return statements


@dataclass(frozen=True)
class Login:
    """A member's handle and roles, and whether the server has a login role of that name."""

    handle: str
    roles: frozenset[Role]
    exists: bool


def memberships_sql(group: str, logins: Iterable[Login]) -> list[str]:
    """Each member's login joins the base group and the group of each role it holds, and leaves
    the groups of roles it no longer holds. A member without a login role is named in a comment."""
    statements = []
    for login in sorted(logins, key=lambda item: item.handle):
        if not login.exists:
            statements.append(
                f"-- member {login.handle!r} has no login role: CREATE ROLE {quoted(login.handle)} LOGIN "
                "PASSWORD '…'; then run `grants db grants` again"
            )
            continue
        held = {role_group(group, role) for role in login.roles} | {group}
        every = {role_group(group, role) for role in Role}
        for role in sorted(held):
            statements.append(f"GRANT {quoted(role)} TO {quoted(login.handle)}")
        for role in sorted(every - held):
            statements.append(f"REVOKE {quoted(role)} FROM {quoted(login.handle)}")
    return statements


# ---------------------------------------------------------------------------------------------
# `grants db grants`, and the start-up check.


def policy_actions() -> set[str]:
    """Every action of the permission policy (workflows.policy), by name."""
    return {action.value for action in Action}


def policy_role_actions() -> dict[Role, set[str]]:
    """Role → the actions the permission policy lets it take (under the policy's conditions,
    which grants checks row by row; the database grants the tables)."""
    result: dict[Role, set[str]] = {}
    for action, permission in POLICY.items():
        for role in permission.roles:
            result.setdefault(role, set()).add(action.value)
    return result


def deployment_sql(session: Session, group: str = DEFAULT_GROUP) -> tuple[list[str], list[Login]]:
    """Everything `grants db grants` prints: privileges, triggers and each member's groups; and
    the members' logins."""
    from sqlalchemy import select, text

    from grants.identity import member_roles
    from grants.models import Member

    database = session.execute(text("SELECT current_database()")).scalar_one()
    existing = set(session.execute(text("SELECT rolname FROM pg_roles")).scalars())
    roles: dict[str, set[Role]] = {}
    for member in session.execute(select(Member)).scalars():
        roles.setdefault(member.handle, set()).update(member_roles(member))
    logins = [Login(handle, frozenset(held), handle in existing) for handle, held in sorted(roles.items())]
    statements = [
        *privileges_sql(group, database, policy_role_actions()),
        *triggers_sql(group),
        *memberships_sql(group, logins),
    ]
    return statements, logins


def check_identity_setup(session: Session) -> None:
    """At start-up: refuse a misspelt GRANTS_IDENTITY, GRANTS_IDENTITY=database on SQLite, and a
    login that the triggers of `grants db grants` check while GRANTS_IDENTITY is not `database`
    (its writes in any other member's name would be refused by the database half-way)."""
    from sqlalchemy import text

    from grants.errors import BadInput, Refused
    from grants.identity import identity_mode

    mode = identity_mode()
    if session.get_bind().dialect.name != "postgresql":
        if mode == "database":
            raise Refused(
                "GRANTS_IDENTITY=database needs PostgreSQL: SQLite has no logins to take the actor from"
            )
        return
    if mode == "database":
        return
    installed = session.execute(text(f"SELECT to_regproc('public.{CHECKED_FUNCTION}') IS NOT NULL")).scalar()
    if installed and session.execute(text(f"SELECT public.{CHECKED_FUNCTION}()")).scalar():
        login = session.execute(text("SELECT session_user")).scalar_one()
        raise BadInput(
            f"this database is set up for GRANTS_IDENTITY=database (`grants db grants`), and you are "
            f"logged in as {login!r}, whose writes it checks; set GRANTS_IDENTITY=database so that "
            "you act as yourself"
        )


GROUP_PATTERN = r"^[a-z_][a-z0-9_]{0,40}$"


@dataclass(frozen=True)
class Deployment:
    """What `grants db grants` printed or applied."""

    statements: list[str]
    applied: bool
    logins: list[str]
    without_login: list[str]


def deploy(url: str, group: str = DEFAULT_GROUP, *, apply: bool) -> Deployment:
    """The SQL of `grants db grants` for the database at `url`; with `apply`, run it there (as
    the owner of the grants tables, in one transaction)."""
    import re

    import psycopg

    from grants.db import ensure_schema, is_sqlite, session_scope
    from grants.errors import BadInput, Refused

    if is_sqlite(url):
        raise BadInput(
            "`grants db grants` is for PostgreSQL: SQLite has no logins, so its only access control "
            "is the file's permissions"
        )
    if not re.match(GROUP_PATTERN, group):
        raise BadInput(
            f"group {group!r} is not usable: use up to 41 lower-case letters, digits or '_', "
            "starting with a letter or '_'"
        )
    with session_scope(url, write=apply) as session:
        ensure_schema(session, url)
        statements, logins = deployment_sql(session, group)
        if apply:
            # The driver's own connection (in the same transaction): the SQL is run as printed,
            # with no parameter placeholders (its RAISE messages hold `%`).
            driver = session.connection().connection.driver_connection
            for statement in statements:
                if statement.startswith("--"):
                    continue
                try:
                    driver.execute(statement)
                except psycopg.Error as error:
                    reason = str(error).strip().splitlines()[0]
                    raise Refused(
                        f"the database refused `{statement.splitlines()[0][:70]}`: {reason}. Nothing was "
                        "changed. Run `grants db grants --apply` as the owner of the grants tables (the "
                        "role that ran `grants init`), with the right to create roles (CREATEROLE)"
                    ) from error
    return Deployment(
        statements,
        apply,
        [login.handle for login in logins if login.exists],
        [login.handle for login in logins if not login.exists],
    )
