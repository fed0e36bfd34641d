"""Who is acting: members, their roles, and the refusals that name the role needed.

Identity modes (GRANTS_IDENTITY):

- `flag` (the default, and the only mode on SQLite): the actor is `--as HANDLE` or GRANTS_USER.
  That is a claim, not an authentication: anyone who can open the database file can name any
  member, or edit the file directly. `grants audit verify` detects edits of audited rows; it
  cannot tell who ran a command.
- `database` (PostgreSQL only): the actor is the member whose handle equals the database login
  (`session_user`, so `SET ROLE` cannot change it). `--as` / GRANTS_USER may only repeat the
  login; naming anyone else is refused, and so is a login that is no member.

Deployment with GRANTS_IDENTITY=database: one PostgreSQL LOGIN role per member, named exactly as
the member's handle, each a member of one group role that holds the application's privileges.
The schema is owned by another role (the one that runs `grants init` / `grants db upgrade`), so
members cannot change it. `member_grants_sql` writes the GRANTs; in short:

    CREATE ROLE grants_member NOLOGIN;
    GRANT CONNECT, TEMPORARY ON DATABASE grants TO grants_member;   -- TEMPORARY: spend import
    GRANT USAGE ON SCHEMA public TO grants_member;
    GRANT SELECT ON <every grants table, and alembic_version> TO grants_member;
    GRANT INSERT, UPDATE ON <every table but ledger_entry and audit_event> TO grants_member;
    GRANT INSERT ON ledger_entry, audit_event TO grants_member;      -- append-only: no UPDATE
    REVOKE UPDATE, DELETE, TRUNCATE ON ledger_entry, audit_event FROM PUBLIC, grants_member;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO grants_member;
    CREATE ROLE chair LOGIN PASSWORD '…' IN ROLE grants_member;    -- one per member

The application never deletes a row and never updates a ledger entry or an audit event, so
members need no DELETE anywhere. Run the GRANTs again after an upgrade that adds tables.
`member_attribution_sql` adds triggers so that a login can insert audit events and ledger entries
only in its own name.
"""

from __future__ import annotations

import os
import re

from sqlalchemy import select, text
from sqlmodel import Session

from grants.errors import BadInput, Refused
from grants.models import Member, Organisation, Partnership
from workflows.bid_lifecycle import Role

# Roles a member can be given; `lead` is not given, it follows from the member's organisation.
ASSIGNABLE_ROLES = (Role.officer, Role.member, Role.partner, Role.chair, Role.pcc, Role.treasurer)
HANDLE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


def parse_roles(text_roles: str) -> tuple[Role, ...]:
    """`officer,member` → (Role.officer, Role.member), in a fixed order; refuses unknown roles."""
    wanted = {part.strip().lower() for part in text_roles.split(",") if part.strip()}
    known = {role.value for role in ASSIGNABLE_ROLES}
    unknown = sorted(wanted - known)
    if unknown:
        raise BadInput(
            f"unknown role {', '.join(repr(u) for u in unknown)}; roles are: {', '.join(sorted(known))}"
        )
    if not wanted:
        raise BadInput(f"give at least one role: {', '.join(sorted(known))}")
    return tuple(role for role in ASSIGNABLE_ROLES if role.value in wanted)


def is_officer(member: Member) -> bool:
    """Whether the member holds the officer role (who a paper is from; not a permission)."""
    return Role.officer in member_roles(member)


def default_roles(responsible_authority: bool) -> tuple[Role, ...]:
    """What `member add` gives without --roles: a scorer from a responsible authority, else a partner."""
    return (Role.member,) if responsible_authority else (Role.partner,)


def check_member_kind(handle: str, roles: tuple[Role, ...], organisation: Organisation) -> tuple[Role, ...]:
    """Only working-group members from responsible authorities score: `member` needs one."""
    if Role.member in roles and not organisation.responsible_authority:
        raise BadInput(
            f"{organisation.name} is not a responsible authority, so {handle} cannot be a scoring "
            f"working-group member; give --roles partner (may lead and edit bids, never scores)"
        )
    return roles


def roles_text(roles: tuple[Role, ...]) -> str:
    return ",".join(role.value for role in roles)


def member_roles(member: Member) -> frozenset[Role]:
    return frozenset(Role(value) for value in member.roles.split(",") if value)


def roles_for_bid(member: Member, lead_organisation_id: int | None) -> frozenset[Role]:
    """The member's roles for a bid: their own, plus `lead` when they belong to its lead org."""
    roles = set(member_roles(member))
    if lead_organisation_id is not None and member.organisation_id == lead_organisation_id:
        roles.add(Role.LEAD)
    return frozenset(roles)


def check_handle(handle: str) -> str:
    if not HANDLE_PATTERN.match(handle):
        raise BadInput(
            f"handle {handle!r} is not usable: use 1–40 lower-case letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    return handle


def identity_mode() -> str:
    return os.environ.get("GRANTS_IDENTITY", "flag").strip().lower() or "flag"


def acting_handle(session: Session, requested: str | None) -> str | None:
    """The handle of whoever is acting.

    With GRANTS_IDENTITY=database (PostgreSQL) it is the database login and cannot be chosen;
    otherwise it is `--as` / GRANTS_USER.
    """
    if identity_mode() != "database":
        return requested
    if session.get_bind().dialect.name != "postgresql":
        raise Refused(
            "GRANTS_IDENTITY=database needs PostgreSQL: SQLite has no logins to take the actor from"
        )
    # The login itself: session_user, not current_user, which SET ROLE can change.
    login = session.execute(text("SELECT session_user")).scalar_one()
    if requested and requested != login:
        raise Refused(
            f"you are logged in to the database as {login!r}; with GRANTS_IDENTITY=database "
            f"you cannot act as {requested!r}"
        )
    return login


# Rows of these tables are never changed once written: members may only insert them.
APPEND_ONLY_TABLES = ("ledger_entry", "audit_event")


def member_grants_sql(group: str, database: str) -> list[str]:
    """The SQL that gives a PostgreSQL group role what members need to run grants, and no more.

    Run it as the owner of the grants tables, after `grants init` or `grants db upgrade`; then
    make each member's login a member of `group` (`GRANT group TO handle`).
    """
    from sqlmodel import SQLModel

    import grants.models  # noqa: F401 - registers every table

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    tables = sorted(SQLModel.metadata.tables)
    mutable = [t for t in tables if t not in APPEND_ONLY_TABLES]
    role = quoted(group)
    return [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {quoted(database)} TO {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT ON {', '.join(quoted(t) for t in [*tables, 'alembic_version'])} TO {role}",
        f"GRANT INSERT, UPDATE ON {', '.join(quoted(t) for t in mutable)} TO {role}",
        f"GRANT INSERT ON {', '.join(quoted(t) for t in APPEND_ONLY_TABLES)} TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(quoted(t) for t in APPEND_ONLY_TABLES)} "
        f"FROM PUBLIC, {role}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}",
    ]


ATTRIBUTION_FUNCTION = "grants_actor_is_login"


def member_attribution_sql(group: str) -> list[str]:
    """With GRANTS_IDENTITY=database: triggers so that a member's login can write the audit trail
    and the ledger only in its own name.

    The privileges of `member_grants_sql` stop a member from changing or deleting an audit event or
    a ledger entry, but a member with `psql` could still insert one naming somebody else. These
    `BEFORE INSERT` triggers refuse a row from a login of `group` whose actor is not that login
    (`session_user`: the audit event's `actor`, the ledger entry's `actor_id` member). The owner and
    superusers are not checked. Run as the owner, after `member_grants_sql`. Do not install them
    where a shared login acts for several members with `--as` (`GRANTS_IDENTITY=flag`): every
    write by another member would be refused.
    """
    literal = "'" + group.replace("'", "''") + "'"
    function = f"""CREATE OR REPLACE FUNCTION {ATTRIBUTION_FUNCTION}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_has_role(session_user, {literal}, 'MEMBER')
       AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
        IF TG_TABLE_NAME = 'audit_event' THEN
            IF NEW.actor IS DISTINCT FROM session_user THEN
                RAISE EXCEPTION 'login % may not record an audit event in the name of %',
                    session_user, NEW.actor USING ERRCODE = 'insufficient_privilege';
            END IF;
        ELSIF NOT EXISTS (SELECT 1 FROM member WHERE id = NEW.actor_id AND handle = session_user) THEN
            RAISE EXCEPTION 'login % may not write to % in the name of member #%',
                session_user, TG_TABLE_NAME, NEW.actor_id USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END
$$"""
    statements = [function]
    for table in APPEND_ONLY_TABLES:
        trigger = f"{table}_actor_is_login"
        statements += [
            f'DROP TRIGGER IF EXISTS "{trigger}" ON "{table}"',
            f'CREATE TRIGGER "{trigger}" BEFORE INSERT ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {ATTRIBUTION_FUNCTION}()",
        ]
    return statements


def find_member(session: Session, partnership: Partnership, handle: str) -> Member | None:
    return session.execute(
        select(Member).where(Member.partnership_id == partnership.id, Member.handle == handle)
    ).scalar_one_or_none()


def resolve_actor(session: Session, partnership: Partnership, handle: str | None) -> Member:
    """The acting member, or a refusal saying how to name one."""
    if not handle:
        raise Refused("nobody is acting: give --as HANDLE or set GRANTS_USER to your member handle")
    member = find_member(session, partnership, handle)
    if member is None and identity_mode() == "database":
        raise Refused(
            f"you are logged in to the database as {handle!r}, which is not a member of "
            f"{partnership.slug}; with GRANTS_IDENTITY=database the database login must be a member's "
            "handle (an officer can add one with `grants member add`)"
        )
    if member is None:
        raise Refused(
            f"{handle!r} is not a member of {partnership.slug}; an officer can add them with "
            "`grants member add`"
        )
    return member
