"""Funding years and their pots: opening a year, finding it, and what its pots hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction

from sqlalchemy import select
from sqlmodel import Session

from grants import ledger
from grants.errors import BadInput, NotFound, Refused, shown
from grants.models import FundingYear, Pot, PotKind, ReferenceItem, YearStatus
from grants.money import Money, split_allocation
from grants.permissions import require
from grants.scope import Scope
from workflows.policy import Action

YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")


def year_bounds(label: str) -> tuple[date, date]:
    """`2024/25` → 1 April 2024 and 31 March 2025; refuses anything that is not such a year."""
    match = YEAR_PATTERN.match(label.strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise BadInput(
            f"year {shown(label)} is not a UK financial year; write it as 2024/25 (1 April 2024 to 31 March 2025)"
        )
    start = int(match.group(1))
    if not 2000 <= start <= 2200:
        raise BadInput(f"year {label!r} is out of range; give a year between 2000/01 and 2200/01")
    return date(start, 4, 1), date(start + 1, 3, 31)


def year_code(label: str) -> str:
    """`2024/25` → `2425`, for bid references."""
    return label[2:4] + label[5:7]


def next_label(label: str) -> str:
    start, _ = year_bounds(label)
    return f"{start.year + 1}/{(start.year + 2) % 100:02d}"


def format_share(share: Fraction) -> str:
    return f"{share.numerator}/{share.denominator}"


def find_year(scope: Scope, label: str | None = None) -> FundingYear:
    """The year named (or --year), else the open year, else the newest."""
    label = label or scope.options.year
    query = select(FundingYear).where(FundingYear.partnership_id == scope.partnership.id)
    if label:
        year_bounds(label)
        found = scope.session.execute(query.where(FundingYear.label == label)).scalar_one_or_none()
        if found is None:
            raise NotFound(
                f"{scope.partnership.slug} has no year {label}; open it with "
                f"`grants year open {label} --allocation AMOUNT`"
            )
        return found
    years = list(scope.session.execute(query.order_by(FundingYear.starts_on.desc())).scalars())
    if not years:
        raise NotFound(
            f"{scope.partnership.slug} has no funding year yet; open one with "
            "`grants year open 2024/25 --allocation 39,661`"
        )
    return next((y for y in years if y.status == YearStatus.open), years[0])


def ensure_open(year: FundingYear) -> None:
    """A closed year refuses every write."""
    if year.status != YearStatus.open:
        raise Refused(f"the year {year.label} is closed; nothing in it can change")


def pots_of(session: Session, year: FundingYear) -> dict[PotKind, Pot]:
    pots = session.execute(select(Pot).where(Pot.year_id == year.id)).scalars()
    return {pot.kind: pot for pot in pots}


def open_year(scope: Scope, label: str, allocation: Money, tactical_share: Fraction) -> FundingYear:
    """Open a year: its pots, the ledger entries funding them, and its reference data."""
    actor = require(scope, Action.open_year)
    starts_on, ends_on = year_bounds(label)
    if allocation.pence <= 0:
        raise BadInput(f"the allocation must be more than zero, not {allocation}")
    session = scope.session
    years = {
        y.label: y
        for y in session.execute(
            select(FundingYear).where(FundingYear.partnership_id == scope.partnership.id)
        ).scalars()
    }
    if label in years:
        raise Refused(f"{label} already exists for {scope.partnership.slug} ({years[label].status.value})")
    still_open = [y.label for y in years.values() if y.status == YearStatus.open]
    if still_open:
        raise Refused(
            f"{still_open[0]} is still open; close it with `grants rollover {still_open[0]} --apply`, "
            "which opens the next year"
        )
    return create_year(scope, label, starts_on, ends_on, allocation, tactical_share, actor.id)


def create_year(
    scope: Scope,
    label: str,
    starts_on: date,
    ends_on: date,
    allocation: Money,
    tactical_share: Fraction,
    actor_id: int,
) -> FundingYear:
    """Create a year and its pots, fund them in the ledger and copy reference data forward."""
    session = scope.session
    upfront, tactical = split_allocation(allocation, 1 - tactical_share)
    year = FundingYear(
        partnership_id=scope.partnership.id,
        label=label,
        starts_on=starts_on,
        ends_on=ends_on,
        status=YearStatus.open,
        allocation_pence=allocation.pence,
        tactical_share=format_share(tactical_share),
        opened_at=datetime.now(UTC),
    )
    session.add(year)
    session.flush()
    for kind, amount in ((PotKind.upfront, upfront), (PotKind.tactical, tactical)):
        pot = Pot(year_id=year.id, kind=kind, uncommitted_pence=amount.pence)
        session.add(pot)
        if amount.pence:
            ledger.post(
                session,
                year,
                "allocation",
                ledger.FUNDER,
                ledger.pot_account(kind),
                amount,
                actor_id=actor_id,
                on=starts_on,
                reason=f"{label} allocation",
            )
    previous = copy_reference_data(session, scope.partnership.id, year)
    from grants.scoring import copy_criteria

    copy_criteria(session, year, session.get(FundingYear, previous) if previous else None)
    session.flush()
    scope.audit(
        "year.open",
        f"year {label}",
        to_state=YearStatus.open.value,
        details={
            "allocation_pence": allocation.pence,
            "upfront_pence": upfront.pence,
            "tactical_pence": tactical.pence,
            "tactical_share": format_share(tactical_share),
        },
    )
    return year


def copy_reference_data(session: Session, partnership_id: int, year: FundingYear) -> int | None:
    """Give a new year the newest earlier year's reference data, or the partnership's template.

    Returns the id of the year copied from, if any.
    """
    source_year = session.execute(
        select(FundingYear.id)
        .where(FundingYear.partnership_id == partnership_id, FundingYear.id != year.id)
        .where(FundingYear.starts_on < year.starts_on)
        .order_by(FundingYear.starts_on.desc())
        .limit(1)
    ).scalar_one_or_none()
    items = session.execute(
        select(ReferenceItem).where(
            ReferenceItem.partnership_id == partnership_id,
            ReferenceItem.year_id == source_year
            if source_year is not None
            else ReferenceItem.year_id.is_(None),
        )
    ).scalars()
    for item in list(items):
        session.add(
            ReferenceItem(
                partnership_id=partnership_id,
                year_id=year.id,
                kind=item.kind,
                key=item.key,
                title=item.title,
                position=item.position,
            )
        )
    return source_year


@dataclass(frozen=True)
class PotFigures:
    """What one pot holds, from the ledger: allocated − committed + released − returned."""

    kind: PotKind
    allocated: Money
    committed: Money
    spent: Money
    released: Money
    returned: Money
    uncommitted: Money


def pot_figures(
    session: Session, year: FundingYear, account_flows: dict[str, tuple[int, int]] | None = None
) -> list[PotFigures]:
    """Per pot, its figures from ledger aggregates (the cached balance is checked elsewhere)."""
    spent_by_pot = ledger.spent_by_pot(session, year.id, account_flows)
    figures = []
    for kind in (PotKind.upfront, PotKind.tactical):
        flows = ledger.flows_by_kind(session, year.id, ledger.pot_account(kind))

        def into(*kinds: str, flows: dict[str, tuple[int, int]] = flows) -> int:
            return sum(flows.get(k, (0, 0))[0] for k in kinds)

        def out(*kinds: str, flows: dict[str, tuple[int, int]] = flows) -> int:
            return sum(flows.get(k, (0, 0))[1] for k in kinds)

        allocated = into("allocation", "transfer") - out("transfer")
        committed = out("award", "vary")
        released = into("vary", "release")
        returned = out("return")
        uncommitted = allocated - committed + released - returned
        figures.append(
            PotFigures(
                kind,
                Money(allocated),
                Money(committed),
                Money(spent_by_pot[kind]),
                Money(released),
                Money(returned),
                Money(uncommitted),
            )
        )
    return figures


def list_years(scope: Scope) -> list[FundingYear]:
    return list(
        scope.session.execute(
            select(FundingYear)
            .where(FundingYear.partnership_id == scope.partnership.id)
            .order_by(FundingYear.starts_on)
        ).scalars()
    )


def reference_items(session: Session, year: FundingYear) -> list[ReferenceItem]:
    return list(
        session.execute(
            select(ReferenceItem)
            .where(ReferenceItem.year_id == year.id)
            .order_by(ReferenceItem.kind, ReferenceItem.position)
        ).scalars()
    )
