"""A partnership's configuration as a whole: written out as its partnership file, and the
terms-of-reference rules set after init (`grants config`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlmodel import col

from grants.errors import BadInput, shown
from grants.models import Criterion, FundingYear, Member, Organisation, ReferenceItem, YearStatus
from grants.partnership_file import (
    PRIORITY_TABLES,
    CriterionSpec,
    ItemSpec,
    MemberSpec,
    OrganisationSpec,
    PartnershipSpec,
    Rules,
    parse_share,
    share_text,
)
from grants.permissions import require
from grants.scope import Scope
from workflows.policy import Action


def current_year(scope: Scope) -> FundingYear | None:
    """The year whose criteria and priorities the file holds: the open one, else the newest."""
    years = list(
        scope.session.execute(
            select(FundingYear)
            .where(FundingYear.partnership_id == scope.partnership.id)
            .order_by(col(FundingYear.starts_on).desc())
        ).scalars()
    )
    return next((y for y in years if y.status == YearStatus.open), years[0] if years else None)


def current_spec(scope: Scope) -> PartnershipSpec:
    """The partnership as a partnership file: its settings and rules (those the next year will take),
    its active organisations and members, and the current year's criteria and priorities (the
    template from init while no year is open)."""
    p = scope.partnership
    session = scope.session
    year = current_year(scope)
    year_id = year.id if year else None
    orgs = list(
        session.execute(
            select(Organisation)
            .where(Organisation.partnership_id == p.id, Organisation.retired_at.is_(None))
            .order_by(Organisation.id)
        ).scalars()
    )
    keys = {
        o.id: o.key
        for o in session.execute(select(Organisation).where(Organisation.partnership_id == p.id)).scalars()
    }
    members = session.execute(
        select(Member).where(Member.partnership_id == p.id, Member.retired_at.is_(None)).order_by(Member.id)
    ).scalars()
    in_year = Criterion.year_id == year_id if year_id else Criterion.year_id.is_(None)
    criteria = session.execute(
        select(Criterion)
        .where(Criterion.partnership_id == p.id, in_year, Criterion.removed_at.is_(None))
        .order_by(Criterion.position, Criterion.key)
    ).scalars()
    items_in_year = ReferenceItem.year_id == year_id if year_id else ReferenceItem.year_id.is_(None)
    items = list(
        session.execute(
            select(ReferenceItem)
            .where(ReferenceItem.partnership_id == p.id, items_in_year, ReferenceItem.retired_at.is_(None))
            .order_by(ReferenceItem.position, ReferenceItem.id)
        ).scalars()
    )
    return PartnershipSpec(
        name=p.name,
        slug=p.slug,
        funder_name=p.funder_name,
        funder_org_id=p.funder_org_id,
        grant_id_prefix=p.funder_prefix,
        rules=partnership_rules(scope),
        organisations=tuple(OrganisationSpec(o.key, o.name, o.responsible_authority, o.org_id) for o in orgs),
        members=tuple(
            MemberSpec(m.handle, m.name, keys[m.organisation_id], tuple(m.roles.split(","))) for m in members
        ),
        criteria=tuple(
            CriterionSpec(c.key, c.title, c.weight, c.description, tuple(json.loads(c.descriptors or "[]")))
            for c in criteria
        ),
        priorities={
            kind: tuple(ItemSpec(i.key, i.title) for i in items if i.kind == kind)
            for kind in PRIORITY_TABLES.values()
        },
    )


def partnership_rules(scope: Scope) -> Rules:
    p = scope.partnership
    return Rules(Fraction(p.tactical_share), p.quorum_authorities, p.consensus_threshold, p.moderation_spread)


@dataclass(frozen=True)
class RuleSetting:
    """One rule `grants config set` changes: its column, and what it says in a sentence."""

    column: str
    meaning: str


# The rules of the terms of reference, each in one declared place: the key `config set` takes,
# the partnership's column, and the sentence the README and `config show` give.
RULES: dict[str, RuleSetting] = {
    "quorum": RuleSetting(
        "quorum_authorities",
        "a bid may be shortlisted only once members of this many responsible authorities have scored it",
    ),
    "consensus-threshold": RuleSetting(
        "consensus_threshold",
        "a bid is recommended when nobody opposes it and its mean score is at least this percentage",
    ),
    "moderation-spread": RuleSetting(
        "moderation_spread",
        "sheets further apart than this many points flag the bid for moderation, and its decision needs a note",
    ),
    "tactical-share": RuleSetting(
        "tactical_share",
        "this share of each year's allocation goes to the tactical pot for in-year bids; the rest is upfront",
    ),
}


def year_rule_values(year: FundingYear) -> dict[str, str]:
    """The rules a year opened with, by `config set` key."""
    return {key: str(getattr(year, setting.column)) for key, setting in RULES.items()}


def rule_value(scope: Scope, key: str) -> str:
    return str(getattr(scope.partnership, RULES[key].column))


def _parse_rule(key: str, value: str, authorities: int) -> int | str:
    if key == "tactical-share":
        share = parse_share(value)
        if share is None:
            raise BadInput(
                f"tactical-share {shown(value)} is not a share; write a fraction below 1, e.g. 1/3"
            )
        return share_text(share)
    text = value.strip()
    if not text.isdigit():
        raise BadInput(f"{key} {shown(value)} is not a whole number")
    number = int(text)
    if key == "quorum":
        if not 1 <= number <= max(authorities, 1):
            raise BadInput(
                f"a quorum of {number} cannot be met: the partnership has {authorities} active responsible "
                f"authorit{'y' if authorities == 1 else 'ies'}; give 1 to {max(authorities, 1)}"
            )
    elif not 0 <= number <= 100:
        raise BadInput(f"{key} {number} is out of range; give 0 to 100")
    return number


def set_rule(scope: Scope, key: str, value: str) -> tuple[str, str, FundingYear | None]:
    """Change one rule (officer). Audited; the open year keeps the rule it opened with, and the
    next year opened takes the new one. Returns (before, after, the open year if any)."""
    require(scope, Action.set_rules)
    key = key.strip().lower().replace("_", "-")
    if key not in RULES:
        raise BadInput(f"there is no rule {shown(key)}; the rules are: {', '.join(RULES)}")
    authorities = len(
        list(
            scope.session.execute(
                select(Organisation.id).where(
                    Organisation.partnership_id == scope.partnership.id,
                    Organisation.responsible_authority,
                    Organisation.retired_at.is_(None),
                )
            )
        )
    )
    parsed = _parse_rule(key, value, authorities)
    before = rule_value(scope, key)
    if str(parsed) == before:
        raise BadInput(f"{key} is {before} already; nothing changed")
    setattr(scope.partnership, RULES[key].column, parsed)
    scope.session.add(scope.partnership)
    scope.session.flush()
    year = current_year(scope)
    open_year = year if year is not None and year.status == YearStatus.open else None
    scope.audit(
        "partnership.rule",
        f"partnership {scope.partnership.slug}",
        details={"rule": key, "before": before, "after": str(parsed), "from_next_year": True},
    )
    return before, str(parsed), open_year
