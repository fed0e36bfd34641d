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
the member's handle; the schema is owned by another role (the one that runs `grants init` /
`grants db upgrade`). `grants db grants` gives each login the privileges its member's roles need,
and installs the triggers that keep every write in the login's own name (grants/privileges.py).
"""

from __future__ import annotations

import os
import re

from sqlalchemy import select, text
from sqlmodel import Session

from grants.errors import BadInput, Refused, shown
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


def holds_scoring_role(member: Member) -> bool:
    """Whether the member holds the working group's scoring role (`member`)."""
    return Role.member in member_roles(member)


def roles_text_has_officer(roles: str) -> bool:
    """Whether a stored roles text ("officer,chair") includes the officer role."""
    return Role.officer.value in roles.split(",")


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


IDENTITY_MODES = ("flag", "database")


def identity_mode() -> str:
    """GRANTS_IDENTITY: `flag` (the default) or `database`; anything else is refused, never taken
    for `flag` (a misspelt `database` would otherwise let `--as` name anybody)."""
    given = os.environ.get("GRANTS_IDENTITY", "")
    mode = given.strip().lower() or "flag"
    if mode not in IDENTITY_MODES:
        raise BadInput(
            f"GRANTS_IDENTITY={shown(given)} is not an identity mode: use `flag` (the default: "
            "--as or GRANTS_USER names you) or `database` (PostgreSQL: your database login names you)"
        )
    return mode


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
    if member.retired_at is not None:
        raise Refused(
            f"{member.handle} was retired from {partnership.slug} on {member.retired_at:%Y-%m-%d} and can "
            "no longer act; their history is kept"
        )
    return member
