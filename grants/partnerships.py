"""Setting up a partnership: creating it, its organisations and its members."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from grants import audit, clock, schema
from grants.audit import GENESIS
from grants.db import session_scope
from grants.errors import BadInput, NotFound, Refused
from grants.identity import (
    check_handle,
    check_member_kind,
    default_roles,
    find_member,
    parse_roles,
    roles_text,
)
from grants.models import Member, Organisation, Partnership, ReferenceItem
from grants.permissions import require
from grants.reference import DEFAULT_REFERENCE, RESPONSIBLE_AUTHORITIES, slugify
from grants.scope import Options, Scope
from workflows.policy import Action

MAX_NAME = 200


# Control characters other than newline and tab (which a multi-line reason may hold), and lone
# surrogates: bytes on the command line that are not UTF-8 (Python keeps them this way). Fast
# paths (grants/spendfile.py) call clean_text only when this matches.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_NOT_TEXT = re.compile("[\ud800-\udfff]")


def clean_text(value: str, what: str, *, limit: int = MAX_NAME, required: bool = True) -> str:
    """Trimmed text without control characters, within a length; refuses otherwise."""
    value = (value or "").strip()
    if required and not value:
        raise BadInput(f"{what} is empty; give a {what}")
    if len(value) > limit:
        raise BadInput(f"{what} is {len(value)} characters long; the limit is {limit}")
    if _NOT_TEXT.search(value):
        raise BadInput(f"{what} is not valid UTF-8 text (bytes no character stands for); give it as UTF-8")
    if _CONTROL.search(value):
        raise BadInput(f"{what} contains control characters; remove them and try again")
    return value


def check_slug(slug: str, what: str = "slug") -> str:
    if slug != slugify(slug) or not slug:
        raise BadInput(
            f"{what} {slug!r} is not usable: use lower-case letters, digits and '-' (e.g. {slugify(slug) or 'kcsp'})"
        )
    return slug


@dataclass(frozen=True)
class InitResult:
    partnership: Partnership
    officer: Member
    organisations: int


@contextmanager
def _bootstrap_session(url: str) -> Iterator[Session]:
    """A write transaction that first brings the schema to the newest (foreign keys are off on
    SQLite while tables are rebuilt, and checked before it commits)."""
    with session_scope(url, write=True, rebuilding=True) as session:
        from grants.db import refuse_newer, schema_revision

        before = schema_revision(session)
        refuse_newer(before, url)
        schema.upgrade(session.connection())
        if before is not None:
            from grants.seals import baseline_all

            baseline_all(session, f"upgraded from schema {before}: the rows as they stood are sealed")
        yield session
        session.flush()
        schema.check_foreign_keys(session.connection())


@contextmanager
def _removed_if_failed(url: str) -> Iterator[None]:
    """A SQLite file that `init` creates is removed again if `init` fails (a full disk, a
    read-only folder), with its -wal and -shm files: no partial database is left behind."""
    from grants.db import get_engine, sqlite_file

    path = sqlite_file(url)
    fresh = path is not None and not path.exists()
    try:
        yield
    except BaseException:
        if fresh and path is not None:
            get_engine(url).dispose()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise


def init_partnership(
    options: Options,
    *,
    name: str,
    slug: str,
    officer_handle: str,
    officer_name: str,
    officer_org: str = "kcc",
    funder: str = "Kent Police and Crime Commissioner",
    funder_prefix: str | None = None,
) -> InitResult:
    """Create or upgrade the database, then the partnership, its authorities and first officer."""
    name = clean_text(name, "partnership name")
    slug = check_slug(slug, "partnership slug")
    check_handle(officer_handle)
    officer_name = clean_text(officer_name, "officer name")
    funder = clean_text(funder, "funder name")
    prefix = funder_prefix or slugify(funder)[:20]
    with _removed_if_failed(options.url), _bootstrap_session(options.url) as session:
        exists = session.execute(select(Partnership).where(Partnership.slug == slug)).scalar_one_or_none()
        if exists is not None:
            raise Refused(
                f"partnership {slug!r} already exists; the database is upgraded and nothing else "
                "changed. Officers add members with `grants member add`"
            )
        partnership = Partnership(
            slug=slug,
            name=name,
            funder_name=funder,
            funder_prefix=prefix,
            audit_head=GENESIS,
            audit_count=0,
            created_at=clock.now(),
        )
        session.add(partnership)
        session.flush()
        orgs = {}
        for key, org_name in RESPONSIBLE_AUTHORITIES:
            org = Organisation(
                partnership_id=partnership.id, key=key, name=org_name, responsible_authority=True
            )
            session.add(org)
            orgs[key] = org
        if officer_org not in orgs:
            raise BadInput(
                f"organisation {officer_org!r} is not one of the responsible authorities "
                f"({', '.join(orgs)}); choose one with --officer-org"
            )
        session.flush()
        officer = Member(
            partnership_id=partnership.id,
            handle=officer_handle,
            name=officer_name,
            organisation_id=orgs[officer_org].id,
            roles="officer",
            created_at=clock.now(),
        )
        session.add(officer)
        for kind, items in DEFAULT_REFERENCE.items():
            for position, (key, title) in enumerate(items, start=1):
                session.add(
                    ReferenceItem(
                        partnership_id=partnership.id,
                        kind=kind,
                        key=key,
                        title=title,
                        position=position,
                    )
                )
        session.flush()
        audit.record(
            session,
            partnership.id,
            officer_handle,
            "partnership.init",
            f"partnership {slug}",
            details={
                "name": name,
                "funder": funder,
                "officer": officer_handle,
                "organisations": [key for key, _ in RESPONSIBLE_AUTHORITIES],
            },
        )
        return InitResult(partnership, officer, len(orgs))


@dataclass(frozen=True)
class Upgrade:
    """What `grants db upgrade` did: the schema before and after, and the copy taken first."""

    before: str | None
    after: str
    backup: Path | None


def upgrade_database(options: Options) -> Upgrade:
    """Bring the database to the newest schema. On SQLite a copy of the file is taken first
    (beside it), unless there is nothing to upgrade; a newer schema is refused untouched."""
    from grants.db import HEAD_REVISION, refuse_newer, schema_revision, sqlite_file

    url = options.url
    path = sqlite_file(url)
    with session_scope(url, write=False) as session:
        before = schema_revision(session)
    refuse_newer(before, url)
    copy = None
    if path is not None and before is not None and before != HEAD_REVISION:
        from grants.backup import backup

        stamp = clock.now().strftime("%Y%m%dT%H%M%S")
        copy = backup(
            url, path.with_name(f"{path.stem}.before-{HEAD_REVISION}-{stamp}{path.suffix or '.sqlite'}")
        )
    with _bootstrap_session(url) as session:
        after = schema_revision(session) or "none"
    return Upgrade(before, after, copy)


def find_organisation(scope: Scope, key: str) -> Organisation:
    org = scope.session.execute(
        select(Organisation).where(
            Organisation.partnership_id == scope.partnership.id, Organisation.key == key
        )
    ).scalar_one_or_none()
    if org is None:
        keys = scope.session.execute(
            select(Organisation.key).where(Organisation.partnership_id == scope.partnership.id)
        ).scalars()
        raise NotFound(f"there is no organisation {key!r}; known: {', '.join(keys)}")
    return org


def add_organisation(
    scope: Scope, *, key: str, name: str, responsible_authority: bool, org_id: str | None
) -> Organisation:
    require(scope, Action.add_organisation)
    key = check_slug(key, "organisation key")
    name = clean_text(name, "organisation name")
    taken = scope.session.execute(
        select(Organisation.id).where(
            Organisation.partnership_id == scope.partnership.id, Organisation.key == key
        )
    ).first()
    if taken:
        raise Refused(f"organisation {key!r} already exists in {scope.partnership.slug}")
    org = Organisation(
        partnership_id=scope.partnership.id,
        key=key,
        name=name,
        responsible_authority=responsible_authority,
        org_id=clean_text(org_id, "org-id", limit=80) if org_id else None,
    )
    scope.session.add(org)
    scope.session.flush()
    scope.audit(
        "organisation.add",
        f"organisation {key}",
        details={"name": name, "responsible_authority": responsible_authority, "org_id": org.org_id},
    )
    return org


def list_organisations(scope: Scope) -> list[tuple[Organisation, int]]:
    """Organisations with their member counts."""
    counts = (
        select(Member.organisation_id, func.count().label("n")).group_by(Member.organisation_id).subquery()
    )
    rows = scope.session.execute(
        select(Organisation, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.organisation_id == Organisation.id)
        .where(Organisation.partnership_id == scope.partnership.id)
        .order_by(Organisation.key)
    )
    return [(org, int(n)) for org, n in rows]


def add_member(
    scope: Scope, *, handle: str, name: str, organisation: str, roles: str | None = None
) -> Member:
    """Add a member (officer). Without roles: `member` (a scorer) for a responsible authority,
    `partner` (who may lead and edit bids, never score) for any other organisation."""
    require(scope, Action.add_member)
    check_handle(handle)
    name = clean_text(name, "member name")
    org = find_organisation(scope, organisation)
    role_list = check_member_kind(
        handle, parse_roles(roles) if roles is not None else default_roles(org.responsible_authority), org
    )
    if find_member(scope.session, scope.partnership, handle) is not None:
        raise Refused(f"member {handle!r} already exists in {scope.partnership.slug}")
    member = Member(
        partnership_id=scope.partnership.id,
        handle=handle,
        name=name,
        organisation_id=org.id,
        roles=roles_text(role_list),
        created_at=clock.now(),
    )
    scope.session.add(member)
    scope.session.flush()
    scope.audit(
        "member.add",
        f"member {handle}",
        details={"name": name, "organisation": org.key, "roles": member.roles},
    )
    return member


def list_members(scope: Scope) -> list[tuple[Member, Organisation]]:
    rows = scope.session.execute(
        select(Member, Organisation)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Member.partnership_id == scope.partnership.id)
        .order_by(Member.handle)
    )
    return [(member, org) for member, org in rows]
