"""The year's priorities and themes after init: add, edit and retire (`grants priority`).

They belong to the open year (a closed year's never change); before the first year is opened
they are the partnership's template, which that year copies."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from grants import clock
from grants.errors import BadInput, NotFound, Refused, shown
from grants.models import FundingYear, ReferenceItem, ReferenceKind
from grants.partnerships import check_slug, clean_text
from grants.permissions import require
from grants.scope import Scope
from grants.wording import article
from grants.years import ensure_open, find_year
from workflows.policy import Action

# The names `grants priority` takes for each kind (the partnership file's, shortened).
KIND_NAMES: dict[str, ReferenceKind] = {
    "pcc": ReferenceKind.pcc_priority,
    "partnership": ReferenceKind.csa_priority,
    "theme": ReferenceKind.cross_cutting_theme,
}
KIND_TEXT = {
    ReferenceKind.pcc_priority: "PCC priority",
    ReferenceKind.csa_priority: "partnership priority",
    ReferenceKind.cross_cutting_theme: "cross-cutting theme",
}


def parse_kind(text: str) -> ReferenceKind:
    kind = KIND_NAMES.get(text.strip().lower())
    if kind is None:
        raise BadInput(f"kind {shown(text)} is not one of {', '.join(KIND_NAMES)}")
    return kind


def kind_name(kind: ReferenceKind) -> str:
    return next(name for name, k in KIND_NAMES.items() if k == kind)


def editable_year(scope: Scope, doing: str) -> FundingYear | None:
    """The open year (--year may name it), or None for the template while no year exists yet;
    refuses a closed year."""
    has_years = scope.session.execute(
        select(func.count())
        .select_from(FundingYear)
        .where(FundingYear.partnership_id == scope.partnership.id)
    ).scalar_one()
    if not has_years:
        return None
    year = find_year(scope)
    try:
        ensure_open(year)
    except Refused as error:
        raise Refused(f"{error}: {doing} only in the open year") from error
    return year


def year_text(year: FundingYear | None) -> str:
    return year.label if year else "the first year (not yet opened)"


def _items(scope: Scope, year: FundingYear | None, kind: ReferenceKind | None = None) -> list[ReferenceItem]:
    query = select(ReferenceItem).where(
        ReferenceItem.partnership_id == scope.partnership.id,
        ReferenceItem.year_id == year.id if year else ReferenceItem.year_id.is_(None),
    )
    if kind is not None:
        query = query.where(ReferenceItem.kind == kind)
    return list(scope.session.execute(query.order_by(ReferenceItem.kind, ReferenceItem.position)).scalars())


def _find(scope: Scope, year: FundingYear | None, kind: ReferenceKind, key: str) -> ReferenceItem:
    for item in _items(scope, year, kind):
        if item.key == key:
            if item.retired_at is not None:
                raise Refused(
                    f"{KIND_TEXT[kind]} {key!r} of {year_text(year)} is retired; it does not change"
                )
            return item
    known = ", ".join(i.key for i in _items(scope, year, kind) if i.retired_at is None) or "none"
    raise NotFound(f"{year_text(year)} has no {KIND_TEXT[kind]} {shown(key)}; known: {known}")


def _subject(kind: ReferenceKind, key: str, year: FundingYear | None) -> str:
    return f"{kind_name(kind)} {key} {year.label if year else 'template'}"[:80]


def add_priority(
    scope: Scope, kind: ReferenceKind, key: str, title: str
) -> tuple[ReferenceItem, FundingYear | None]:
    require(scope, Action.manage_priorities)
    year = editable_year(scope, "priorities change")
    key = check_slug(key, f"{KIND_TEXT[kind]} key")
    title = clean_text(title, "title", limit=300)
    existing = _items(scope, year, kind)
    if any(i.key == key for i in existing):
        raise Refused(f"{year_text(year)} has {article(KIND_TEXT[kind])} {key!r} already (`grants priority list`)")
    item = ReferenceItem(
        partnership_id=scope.partnership.id,
        year_id=year.id if year else None,
        kind=kind,
        key=key,
        title=title,
        position=max((i.position for i in existing), default=0) + 1,
    )
    scope.session.add(item)
    scope.session.flush()
    scope.audit("priority.add", _subject(kind, key, year), details={"kind": kind.value, "title": title})
    return item, year


def edit_priority(scope: Scope, kind: ReferenceKind, key: str, title: str) -> tuple[ReferenceItem, str]:
    require(scope, Action.manage_priorities)
    year = editable_year(scope, "priorities change")
    item = _find(scope, year, kind, key)
    before = item.title
    item.title = clean_text(title, "title", limit=300)
    if item.title == before:
        raise BadInput(f"{KIND_TEXT[kind]} {key!r} is titled {before!r} already; nothing changed")
    scope.session.add(item)
    scope.session.flush()
    scope.audit("priority.edit", _subject(kind, key, year), details={"title": [before, item.title]})
    return item, before


def retire_priority(scope: Scope, kind: ReferenceKind, key: str) -> ReferenceItem:
    """Retire a priority of the year: new bids cannot choose it; bids that chose it keep it, and the
    next year does not copy it."""
    require(scope, Action.manage_priorities)
    year = editable_year(scope, "priorities change")
    item = _find(scope, year, kind, key)
    item.retired_at = clock.now()
    scope.session.add(item)
    scope.session.flush()
    scope.audit("priority.retire", _subject(kind, key, year), details={"kind": kind.value})
    return item


@dataclass(frozen=True)
class PriorityList:
    year: FundingYear | None
    items: list[ReferenceItem]


def list_priorities(scope: Scope, *, retired: bool = False) -> PriorityList:
    """The year's priorities (the open year, --year, or the template before any year)."""
    has_years = scope.session.execute(
        select(func.count())
        .select_from(FundingYear)
        .where(FundingYear.partnership_id == scope.partnership.id)
    ).scalar_one()
    year = find_year(scope) if has_years else None
    order = list(KIND_NAMES.values())
    items = [i for i in _items(scope, year) if retired or i.retired_at is None]
    items.sort(key=lambda i: (order.index(i.kind), i.position))
    return PriorityList(year, items)
