"""Setting up a partnership: creating it, its organisations and its members."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session, col

from grants import audit_chain, clock, schema
from grants.audit_chain import GENESIS
from grants.db import session_scope
from grants.errors import BadInput, NotFound, Refused, shown
from grants.identity import (
    check_handle,
    check_member_kind,
    default_roles,
    find_member,
    holds_scoring_role,
    is_officer,
    parse_roles,
    roles_text,
    roles_text_has_officer,
)
from grants.models import (
    Bid,
    Criterion,
    FundingYear,
    Member,
    Organisation,
    Partnership,
    ReferenceItem,
    ScoreSheet,
    YearStatus,
    id_of,
)
from grants.options import Options
from grants.partnership_file import (
    CriterionSpec,
    MemberSpec,
    OrganisationSpec,
    PartnershipSpec,
    Rules,
    share_text,
)
from grants.permissions import require
from grants.reference import slugify
from grants.scope import Scope
from grants.wording import counted
from workflows.bid_lifecycle import TERMINAL
from workflows.policy import Action

MAX_NAME = 200
# DESIGN's defaults for a partnership set up without a file: a third tactical, quorum of 4
# responsible authorities, consensus at 50%, moderation beyond 40 points.
DEFAULT_RULES = Rules(Fraction(1, 3), 4, 50, 40)


# Control characters other than newline and tab (which a multi-line reason may hold), and lone
# surrogates: bytes on the command line that are not UTF-8 (Python keeps them this way). Fast
# paths (grants/spendfile.py) call clean_text only when this matches.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_NOT_TEXT = re.compile("[\ud800-\udfff]")


def clean_text(value: str, what: str, *, limit: int = MAX_NAME, required: bool = True) -> str:
    """Trimmed text without control characters, within a length; refuses otherwise."""
    value = (value or "").strip()
    if required and not value:
        from grants.wording import article

        raise BadInput(f"{what} is empty; give {article(what)}")
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
    authorities: int


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
            from grants.audit_chain import baseline_all

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


def blank_spec(*, name: str, slug: str, funder: str, funder_prefix: str | None) -> PartnershipSpec:
    """A partnership without a file: no organisations, priorities or members of anyone's; DESIGN §5's
    criteria and default rules, which the officer changes afterwards."""
    from grants.reference import DEFAULT_CRITERIA

    return PartnershipSpec(
        name=name,
        slug=slug,
        funder_name=funder,
        funder_org_id=None,
        grant_id_prefix=funder_prefix or f"{slugify(funder, 20)}-{slug}"[:50].rstrip("-"),
        rules=DEFAULT_RULES,
        organisations=(),
        members=(),
        criteria=tuple(CriterionSpec(k, t, w, d) for k, t, w, d in DEFAULT_CRITERIA),
        priorities={},
    )


def prepare_init(
    spec: PartnershipSpec | None,
    *,
    name: str | None = None,
    slug: str | None = None,
    officer_handle: str | None = None,
    officer_name: str | None = None,
    officer_org: str | None = None,
    officer_org_name: str | None = None,
    funder: str | None = None,
    funder_prefix: str | None = None,
) -> PartnershipSpec:
    """The partnership to create: the file (or preset) with the command line's changes, or a blank
    one from the command line alone; checked before the database is touched."""
    if spec is None:
        missing = [
            flag
            for flag, value in (("--partnership", name), ("--slug", slug), ("--funder", funder))
            if not value
        ]
        if missing:
            raise BadInput(
                f"give {', '.join(missing)} (or a partnership file with --from FILE, or --preset kent)"
            )
        spec = blank_spec(name=name or "", slug=slug or "", funder=funder or "", funder_prefix=funder_prefix)
    changes: dict[str, object] = {}
    if name:
        changes["name"] = clean_text(name, "partnership name")
    if slug:
        changes["slug"] = check_slug(slug, "partnership slug")
    if funder:
        changes["funder_name"] = clean_text(funder, "funder name")
    if funder_prefix:
        changes["grant_id_prefix"] = check_prefix(funder_prefix)
    spec = replace(spec, **changes)
    check_prefix(spec.grant_id_prefix)
    if officer_handle or officer_name or officer_org:
        spec = _with_officer(spec, officer_handle, officer_name, officer_org, officer_org_name)
    if not any("officer" in m.roles for m in spec.members):
        raise BadInput(
            "the partnership needs an officer to manage it: give --officer, --officer-name and "
            '--officer-org, or a member with roles = ["officer"] in the partnership file'
        )
    return spec


def _with_officer(
    spec: PartnershipSpec,
    handle: str | None,
    name: str | None,
    org: str | None,
    org_name: str | None,
) -> PartnershipSpec:
    """The spec with the command line's first officer, in an organisation of the spec or a new one."""
    if not (handle and name and org):
        raise BadInput("give all three of --officer, --officer-name and --officer-org for the first officer")
    check_handle(handle)
    if any(m.handle == handle for m in spec.members):
        raise BadInput(f"member {handle!r} is in the partnership file already; leave out --officer")
    keys = [o.key for o in spec.organisations]
    organisations = spec.organisations
    if org not in keys:
        if not org_name:
            raise BadInput(
                f"organisation {org!r} is not in the partnership"
                + (f" ({', '.join(keys)})" if keys else "")
                + "; choose one with --officer-org, or name a new one with --officer-org-name"
            )
        organisations = (
            *organisations,
            OrganisationSpec(
                check_slug(org, "organisation key"),
                clean_text(org_name, "organisation name"),
                responsible_authority=True,
            ),
        )
    officer = MemberSpec(handle, clean_text(name, "officer name"), org, ("officer",))
    return replace(spec, organisations=organisations, members=(*spec.members, officer))


def check_prefix(prefix: str) -> str:
    from grants.partnership_file import PREFIX

    if not PREFIX.match(prefix) or prefix.upper().startswith("360G-"):
        raise BadInput(
            f"360Giving grant-id prefix {shown(prefix)} is not usable: use letters, digits and '-' "
            "(up to 50), without 360G-, e.g. kentpcc"
        )
    return prefix


def init_partnership(options: Options, spec: PartnershipSpec) -> InitResult:
    """Create or upgrade the database, then the partnership as the spec (prepare_init) describes it."""
    with _removed_if_failed(options.url), _bootstrap_session(options.url) as session:
        _refuse_taken(session, spec)
        partnership = Partnership(
            slug=spec.slug,
            name=spec.name,
            funder_name=spec.funder_name,
            funder_prefix=spec.grant_id_prefix,
            funder_org_id=spec.funder_org_id,
            quorum_authorities=spec.rules.quorum,
            consensus_threshold=spec.rules.consensus_threshold,
            moderation_spread=spec.rules.moderation_spread,
            tactical_share=share_text(spec.rules.tactical_share),
            audit_head=GENESIS,
            audit_count=0,
            created_at=clock.now(),
        )
        session.add(partnership)
        session.flush()
        partnership_id = id_of(partnership)
        orgs = _add_organisations(session, partnership_id, spec)
        officer = _add_members(session, partnership_id, spec, orgs)
        _add_reference_data(session, partnership_id, spec)
        session.flush()
        audit_chain.record(
            session,
            partnership_id,
            officer.handle,
            "partnership.init",
            f"partnership {spec.slug}",
            details={
                "name": spec.name,
                "funder": spec.funder_name,
                "grant_id_prefix": spec.grant_id_prefix,
                "rules": rules_details(spec.rules),
                "officer": officer.handle,
                "organisations": [o.key for o in spec.organisations],
                "members": [m.handle for m in spec.members],
                "criteria": {c.key: c.weight for c in spec.criteria},
                "priorities": {kind.value: [i.key for i in items] for kind, items in spec.priorities.items()},
            },
        )
        authorities = sum(o.responsible_authority for o in spec.organisations)
        return InitResult(partnership, officer, len(orgs), authorities)


def _refuse_taken(session: Session, spec: PartnershipSpec) -> None:
    """Refused when the database has the partnership already, or another with its grant-id prefix."""
    exists = session.execute(select(Partnership).where(Partnership.slug == spec.slug)).scalar_one_or_none()
    if exists is not None:
        raise Refused(
            f"partnership {spec.slug!r} already exists; the database is upgraded and nothing else "
            "changed. Officers add members with `grants member add`"
        )
    clash = session.execute(
        select(Partnership.slug).where(func.lower(Partnership.funder_prefix) == spec.grant_id_prefix.lower())
    ).scalar_one_or_none()
    if clash is not None:
        raise Refused(
            f"the 360Giving grant-id prefix {spec.grant_id_prefix!r} is used by partnership {clash!r} "
            "in this database; grant ids must be unique, so give this partnership its own "
            "(grant_id_prefix in the file, or --funder-prefix)"
        )


def _add_organisations(session: Session, partnership_id: int, spec: PartnershipSpec) -> dict[str, Organisation]:
    orgs: dict[str, Organisation] = {}
    for o in spec.organisations:
        orgs[o.key] = Organisation(
            partnership_id=partnership_id,
            key=o.key,
            name=o.name,
            responsible_authority=o.responsible_authority,
            org_id=o.org_id,
        )
        session.add(orgs[o.key])
        session.flush()
    return orgs


def _add_members(
    session: Session, partnership_id: int, spec: PartnershipSpec, orgs: dict[str, Organisation]
) -> Member:
    """The spec's members; returns the first officer (prepare_init makes sure there is one)."""
    officer = None
    for m in spec.members:
        member = Member(
            partnership_id=partnership_id,
            handle=m.handle,
            name=m.name,
            organisation_id=id_of(orgs[m.organisation]),
            roles=",".join(m.roles),
            created_at=clock.now(),
        )
        session.add(member)
        session.flush()
        if officer is None and "officer" in m.roles:
            officer = member
    if officer is None:  # pragma: no cover - prepare_init refuses a spec without one
        raise BadInput("the partnership needs an officer to manage it")
    return officer


def _add_reference_data(session: Session, partnership_id: int, spec: PartnershipSpec) -> None:
    """The priorities and the criteria template, which each year copies when it opens."""
    for kind, items in spec.priorities.items():
        for position, item in enumerate(items, start=1):
            session.add(
                ReferenceItem(
                    partnership_id=partnership_id,
                    kind=kind,
                    key=item.key,
                    title=item.title,
                    position=position,
                )
            )
    for position, c in enumerate(spec.criteria, start=1):
        session.add(
            Criterion(
                partnership_id=partnership_id,
                year_id=None,
                key=c.key,
                title=c.title,
                weight=c.weight,
                description=c.description,
                descriptors=json.dumps(list(c.descriptors), ensure_ascii=False),
                position=position,
            )
        )


def rules_details(rules: Rules) -> dict[str, object]:
    return {
        "tactical_share": share_text(rules.tactical_share),
        "quorum": rules.quorum,
        "consensus_threshold": rules.consensus_threshold,
        "moderation_spread": rules.moderation_spread,
    }


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


def find_organisation(scope: Scope, key: str, *, active: bool = False) -> Organisation:
    """The organisation with this key; with `active`, refuses a retired one."""
    org = scope.session.execute(
        select(Organisation).where(
            Organisation.partnership_id == scope.partnership.id, Organisation.key == key
        )
    ).scalar_one_or_none()
    if org is None:
        keys = scope.session.execute(
            select(Organisation.key).where(
                Organisation.partnership_id == scope.partnership.id, Organisation.retired_at.is_(None)
            )
        ).scalars()
        raise NotFound(f"there is no organisation {shown(key)}; known: {', '.join(keys) or 'none'}")
    if active and org.retired_at is not None:
        raise Refused(
            f"organisation {org.key!r} was retired on {org.retired_at:%Y-%m-%d}; it takes no new members or bids"
        )
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


def _closed_years_scored(scope: Scope, member_ids: list[int | None]) -> list[str]:
    """Closed years in which these members scored bids: their organisation there is history."""
    if not member_ids:
        return []
    return list(
        scope.session.execute(
            select(FundingYear.label)
            .distinct()
            .join(Bid, Bid.year_id == FundingYear.id)
            .join(ScoreSheet, ScoreSheet.bid_id == Bid.id)
            .where(col(ScoreSheet.member_id).in_(member_ids), FundingYear.status == YearStatus.closed)
            .order_by(FundingYear.label)
        ).scalars()
    )


def _members_of(scope: Scope, org: Organisation, *, active_only: bool) -> list[Member]:
    query = select(Member).where(Member.organisation_id == org.id).order_by(Member.handle)
    if active_only:
        query = query.where(Member.retired_at.is_(None))
    return list(scope.session.execute(query).scalars())


def edit_organisation(
    scope: Scope,
    key: str,
    *,
    name: str | None = None,
    responsible_authority: bool | None = None,
    org_id: str | None = None,
) -> tuple[Organisation, dict[str, list[object]]]:
    """Change an organisation's name, responsible-authority standing or org-id (officer).

    Whether it is a responsible authority decides the quorum of every year its members scored in,
    so it cannot change once they scored in a closed year."""
    require(scope, Action.edit_organisation)
    org = find_organisation(scope, key, active=True)
    before = {"name": org.name, "responsible_authority": org.responsible_authority, "org_id": org.org_id}
    if name is not None:
        org.name = clean_text(name, "organisation name")
    if org_id is not None:
        org.org_id = clean_text(org_id, "org-id", limit=80, required=False) or None
    if responsible_authority is not None and responsible_authority != org.responsible_authority:
        closed = _closed_years_scored(scope, [m.id for m in _members_of(scope, org, active_only=False)])
        if closed:
            raise Refused(
                f"{org.key}'s members scored bids of {', '.join(closed)}, which "
                f"{'is' if len(closed) == 1 else 'are'} closed: whether {org.key} is a responsible "
                "authority decided those quorums, so it cannot change. Add a new organisation instead"
            )
        if not responsible_authority:
            scorers = [m.handle for m in _members_of(scope, org, active_only=True) if holds_scoring_role(m)]
            if scorers:
                raise Refused(
                    f"{org.key} has scoring working-group members ({', '.join(scorers)}); a partner "
                    "organisation has none: give them the partner role first (`grants member edit "
                    "HANDLE --roles partner`)"
                )
        org.responsible_authority = responsible_authority
    after = {"name": org.name, "responsible_authority": org.responsible_authority, "org_id": org.org_id}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        raise BadInput(
            f"nothing to change: give --name, --responsible-authority/--partner or --org-id for {org.key}"
        )
    scope.session.add(org)
    scope.session.flush()
    scope.audit("organisation.edit", f"organisation {org.key}", details={"changes": changes})
    return org, changes


def retire_organisation(scope: Scope, key: str, reason: str | None = None) -> Organisation:
    """Retire an organisation (officer): it keeps its history and takes no new members or bids."""
    require(scope, Action.retire_organisation)
    reason = clean_text(reason, "reason", limit=2000, required=False) if reason else None
    org = find_organisation(scope, key)
    if org.retired_at is not None:
        raise Refused(f"organisation {org.key!r} was retired on {org.retired_at:%Y-%m-%d} already")
    active = _members_of(scope, org, active_only=True)
    if active:
        raise Refused(
            f"{org.key} still has {counted(len(active), 'active member')} "
            f"({', '.join(m.handle for m in active)}); retire them or move them to another "
            "organisation (`grants member edit HANDLE --org KEY`) first"
        )
    live = list(
        scope.session.execute(
            select(Bid.reference, Bid.status)
            .join(FundingYear, FundingYear.id == Bid.year_id)
            .where(
                Bid.lead_organisation_id == org.id,
                col(Bid.status).not_in(TERMINAL),
                FundingYear.status == YearStatus.open,
            )
            .order_by(Bid.sequence)
        )
    )
    if live:
        listed = ", ".join(f"{ref} ({status.value})" for ref, status in live)
        raise Refused(f"{org.key} leads bids still under way: {listed}; retire it once they are finished")
    org.retired_at = clock.now()
    scope.session.add(org)
    scope.session.flush()
    scope.audit("organisation.retire", f"organisation {org.key}", reason=reason or None)
    return org


def list_organisations(scope: Scope) -> list[tuple[Organisation, int]]:
    """Organisations with their active member counts."""
    counts = (
        select(Member.organisation_id, func.count().label("n"))
        .where(Member.retired_at.is_(None))
        .group_by(Member.organisation_id)
        .subquery()
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
    org = find_organisation(scope, organisation, active=True)
    role_list = check_member_kind(
        handle, parse_roles(roles) if roles is not None else default_roles(org.responsible_authority), org
    )
    existing = find_member(scope.session, scope.partnership, handle)
    if existing is not None:
        retired = (
            f" (retired on {existing.retired_at:%Y-%m-%d}; a handle is never reused)"
            if existing.retired_at
            else ""
        )
        raise Refused(f"member {handle!r} already exists in {scope.partnership.slug}{retired}")
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


def find_member_to_manage(scope: Scope, handle: str) -> Member:
    member = find_member(scope.session, scope.partnership, handle)
    if member is None:
        raise NotFound(f"there is no member {shown(handle)}; `grants member list` shows them")
    if member.retired_at is not None:
        raise Refused(
            f"{member.handle} was retired on {member.retired_at:%Y-%m-%d}; a retired member does not change"
        )
    return member


def _other_officers(scope: Scope, member: Member) -> int:
    return sum(
        is_officer(other)
        for other in scope.session.execute(
            select(Member).where(
                Member.partnership_id == scope.partnership.id,
                Member.retired_at.is_(None),
                Member.id != member.id,
            )
        ).scalars()
    )


def edit_member(
    scope: Scope,
    handle: str,
    *,
    name: str | None = None,
    organisation: str | None = None,
    roles: str | None = None,
) -> tuple[Member, dict[str, list[object]]]:
    """Change a member's name, organisation or roles (officer). A member who scored in a closed year
    keeps their organisation: it decided that year's recusals and quorums."""
    require(scope, Action.edit_member)
    member = find_member_to_manage(scope, handle)
    old_org = scope.session.get_one(Organisation, member.organisation_id)
    before = {"name": member.name, "organisation": old_org.key, "roles": member.roles}
    if name is not None:
        member.name = clean_text(name, "member name")
    if organisation is not None and organisation != old_org.key:
        org = find_organisation(scope, organisation, active=True)
        closed = _closed_years_scored(scope, [member.id])
        if closed:
            raise Refused(
                f"{member.handle} scored bids of {', '.join(closed)} as a member of {old_org.key}, and "
                f"{'that year is' if len(closed) == 1 else 'those years are'} closed: moving them would "
                "change its record. Retire them and add them again under a new handle"
            )
        member.organisation_id = id_of(org)
    if roles is not None or organisation is not None:
        wanted = parse_roles(roles) if roles is not None else tuple(r for r in parse_roles(member.roles))
        check_member_kind(member.handle, wanted, scope.session.get_one(Organisation, member.organisation_id))
    if roles is not None:
        new_roles = roles_text(parse_roles(roles))
        if new_roles != member.roles and member.id == scope.actor.id:
            raise Refused(
                f"{member.handle} may not change their own roles; another officer must do it "
                "(so nobody can raise their own roles)"
            )
        if not roles_text_has_officer(new_roles) and is_officer(member):
            if not _other_officers(scope, member):
                raise Refused(
                    f"{member.handle} is the last officer of {scope.partnership.slug}; give another "
                    "member the officer role first"
                )
        member.roles = new_roles
    after = {
        "name": member.name,
        "organisation": scope.session.get_one(Organisation, member.organisation_id).key,
        "roles": member.roles,
    }
    changes: dict[str, list[object]] = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        raise BadInput(f"nothing to change: give --name, --org or --roles for {member.handle}")
    scope.session.add(member)
    scope.session.flush()
    scope.audit("member.edit", f"member {member.handle}", details={"changes": changes})
    return member, changes


def retire_member(scope: Scope, handle: str, reason: str | None = None) -> Member:
    """Retire a member (officer): their sheets, bids and audit events stay; they can no longer act."""
    require(scope, Action.retire_member)
    reason = clean_text(reason, "reason", limit=2000, required=False) if reason else None
    member = find_member_to_manage(scope, handle)
    if is_officer(member) and not _other_officers(scope, member):
        raise Refused(
            f"{member.handle} is the last officer of {scope.partnership.slug}; give another member "
            "the officer role first"
        )
    member.retired_at = clock.now()
    scope.session.add(member)
    scope.session.flush()
    scope.audit("member.retire", f"member {member.handle}", reason=reason or None)
    return member


def list_members(scope: Scope) -> list[tuple[Member, Organisation]]:
    rows = scope.session.execute(
        select(Member, Organisation)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Member.partnership_id == scope.partnership.id)
        .order_by(Member.handle)
    )
    return [(member, org) for member, org in rows]
