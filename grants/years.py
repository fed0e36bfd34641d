"""Funding years and their pots: opening a year, finding it, and what its pots hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from grants import clock, ledger
from grants.errors import BadInput, NotFound, Refused, shown
from grants.models import Bid, Criterion, FundingYear, LedgerEntry, Pot, PotKind, ReferenceItem, YearStatus
from grants.money import Money, money_fields, split_allocation
from grants.permissions import require
from grants.reference import DEFAULT_CRITERIA
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


def label_containing(day: date) -> str:
    """The UK financial year (1 April to 31 March) that contains the day: 2 December 2026 → 2026/27."""
    start = day.year if day >= date(day.year, 4, 1) else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def year_code(label: str) -> str:
    """`2024/25` → `2425`, for bid references."""
    return label[2:4] + label[5:7]


def next_label(label: str) -> str:
    start, _ = year_bounds(label)
    return f"{start.year + 1}/{(start.year + 2) % 100:02d}"


def format_share(share: Fraction) -> str:
    return f"{share.numerator}/{share.denominator}"


# --- which year a bid's money is in: the one rule, used by every service, report and export -----


def money_year_id() -> Any:
    """SQL: the id of the year a bid's money is in now — its own year, or the year the last
    rollover carried it into. `money_year` is the same rule for one bid in Python."""
    return func.coalesce(Bid.carried_to_year_id, Bid.year_id)


def money_year(session: Session, bid: Bid) -> FundingYear:
    """The year a bid's money is in now: its own, or the year the last rollover carried it into.
    Its writes (payments, variations, releases) are booked there and need that year open."""
    return session.get_one(FundingYear, bid.carried_to_year_id or bid.year_id)


def carried_into(year_id: int) -> Any:
    """SQL: the bid is a project carried forward into this year (even if later carried on again):
    the rollover booked its carried award into the year's ledger."""
    return Bid.id.in_(
        select(LedgerEntry.bid_id).where(
            LedgerEntry.year_id == year_id,
            LedgerEntry.kind == "carry",
            LedgerEntry.from_account == ledger.CARRIED,
        )
    )


def in_year(year_id: int) -> Any:
    """SQL: the bid belongs to this year's books — its own bids and the projects carried into it."""
    return or_(Bid.year_id == year_id, carried_into(year_id))


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
    years = list(scope.session.execute(query.order_by(col(FundingYear.starts_on).desc())).scalars())
    if not years:
        raise NotFound(
            f"{scope.partnership.slug} has no funding year yet; open one with "
            f"`grants year open {label_containing(scope.today)} --allocation AMOUNT`"
        )
    return next((y for y in years if y.status == YearStatus.open), years[0])


def ensure_open(year: FundingYear) -> None:
    """A closed year refuses every write."""
    if year.status != YearStatus.open:
        raise Refused(f"the year {year.label} is closed; nothing in it can change")


def open_year(
    scope: Scope, label: str, allocation: Money, tactical_share: Fraction | None = None
) -> FundingYear:
    """Open a year: its pots, the ledger entries funding them, and its reference data. The tactical
    share is the partnership's rule unless given for this year."""
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
    if years:
        # After the first, each year follows the last: no overlap, no gap, no going back.
        last = max(years.values(), key=lambda y: y.starts_on)
        following = next_label(last.label)
        if label != following:
            raise Refused(
                f"{label} does not follow {scope.partnership.slug}'s last year, {last.label} "
                f"({'it would skip a year' if starts_on > last.ends_on else 'it is not after it'}); "
                f"the next year is {following}"
            )
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
    tactical_share: Fraction | None,
    actor_id: int,
) -> FundingYear:
    """Create a year and its pots, fund them in the ledger and copy reference data forward. The
    year takes the partnership's rules as they are now: a later change applies from the next year."""
    session = scope.session
    p = scope.partnership
    if tactical_share is None:
        tactical_share = Fraction(p.tactical_share)
    upfront, tactical = split_allocation(allocation, 1 - tactical_share)
    year = FundingYear(
        partnership_id=scope.partnership.id,
        label=label,
        starts_on=starts_on,
        ends_on=ends_on,
        status=YearStatus.open,
        allocation_pence=allocation.pence,
        tactical_share=format_share(tactical_share),
        quorum_authorities=p.quorum_authorities,
        consensus_threshold=p.consensus_threshold,
        moderation_spread=p.moderation_spread,
        opened_at=clock.now(),
    )
    session.add(year)
    session.flush()
    _fund_pots(session, year, {PotKind.upfront: upfront, PotKind.tactical: tactical}, actor_id)
    previous = copy_reference_data(session, scope.partnership.id, year)
    copy_criteria(
        session, scope.partnership.id, year, session.get(FundingYear, previous) if previous else None
    )
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
            "quorum": year.quorum_authorities,
            "consensus_threshold": year.consensus_threshold,
            "moderation_spread": year.moderation_spread,
        },
    )
    return year


def _fund_pots(session: Session, year: FundingYear, amounts: dict[PotKind, Money], actor_id: int) -> None:
    """The year's pots, each funded from the funder in the ledger on the year's first day."""
    for kind, amount in amounts.items():
        session.add(Pot(year_id=year.id, kind=kind, uncommitted_pence=amount.pence))
        if amount.pence:
            ledger.post(
                session,
                year,
                "allocation",
                ledger.FUNDER,
                ledger.pot_account(kind),
                amount,
                actor_id=actor_id,
                on=year.starts_on,
                reason=f"{year.label} allocation",
            )


def copy_reference_data(session: Session, partnership_id: int, year: FundingYear) -> int | None:
    """Give a new year the newest earlier year's reference data, or the partnership's template.

    Returns the id of the year copied from, if any.
    """
    source_year = session.execute(
        select(FundingYear.id)
        .where(FundingYear.partnership_id == partnership_id, FundingYear.id != year.id)
        .where(FundingYear.starts_on < year.starts_on)
        .order_by(col(FundingYear.starts_on).desc())
        .limit(1)
    ).scalar_one_or_none()
    items = session.execute(
        select(ReferenceItem).where(
            ReferenceItem.partnership_id == partnership_id,
            ReferenceItem.year_id == source_year
            if source_year is not None
            else ReferenceItem.year_id.is_(None),
            ReferenceItem.retired_at.is_(None),
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


# --- the figures: each defined once, here, and used by every screen, report and export ---------
# (the pots' figures are computed in grants.pots, the projects' below)
#
# Per pot:            Allocated = Committed + Free
#   Committed: the awards in force from the pot, net of what variations down, closes and
#   cancellations released back to it; Free (the historic name `uncommitted`): the rest — what
#   the pot holds now in an open year, what was returned to the PCC in a closed one.
# Per project, in a year's books:   Award = Spent + Released + Remaining
#   Award: what the project had in that year (its award and any increase; for a project carried
#   forward into the year, what was carried in); Released: given back (variations down, the
#   underspend at close, cancellation); Remaining: neither spent nor released — still held, or
#   carried forward into the next year (`carried`, part of Remaining).
# Per closed year:    Allocation = Spent + Returned + Carried
#   of the year's own projects; projects carried in from the year before are outside the
#   allocation and shown apart: Carried in = Spent + Returned + Carried on.


@dataclass(frozen=True)
class ProjectFigures:
    """One project in one year's books: Award = Spent + Released + Remaining."""

    bid_id: int
    reference: str
    award: Money
    spent: Money
    released: Money
    carried: Money  # carried forward out of this year (part of remaining)
    carried_from: str | None  # for a project carried forward into the year: its own year

    @property
    def remaining(self) -> Money:
        return self.award - self.spent - self.released

    def to_json(self) -> dict[str, Any]:
        return {
            **money_fields("award", self.award),
            **money_fields("spent", self.spent),
            **money_fields("released", self.released),
            **money_fields("remaining", self.remaining),
            **money_fields("carried", self.carried),
            "carried_from": self.carried_from,
        }


def project_figures(
    session: Session, year: FundingYear, account_flows: dict[str, tuple[int, int]] | None = None
) -> dict[int, ProjectFigures]:
    """Per bid id, the figures of every project in the year's books (its own awarded bids and the
    projects carried into it), from the ledger's per-account sums."""
    account_flows = ledger.flows(session, year.id) if account_flows is None else account_flows
    carried_out = ledger.carried_by_bid(session, year.id)
    rows = session.execute(
        select(Bid.id, Bid.reference, Bid.year_id, FundingYear.label)
        .join(FundingYear, FundingYear.id == Bid.year_id)
        .where(in_year(year.id), Bid.award_pence.is_not(None))
        .order_by(Bid.year_id, Bid.sequence)
    )
    found = {}
    for bid_id, reference, own_year, own_label in rows:
        award_in, award_out = account_flows.get(ledger.award_account(reference), (0, 0))
        spent_in, spent_out = account_flows.get(ledger.spent_account(reference), (0, 0))
        carried = carried_out.get(bid_id, 0)
        # A refund moves money back, spent:BID → award:BID (the only flow out of a spent
        # account): it undoes part of a payment, so it is netted against the payments, never
        # counted as more award in or as award released.
        found[bid_id] = ProjectFigures(
            bid_id,
            reference,
            Money(award_in - spent_out),
            Money(spent_in - spent_out),
            Money(award_out - spent_in - carried),
            Money(carried),
            None if own_year == year.id else own_label,
        )
    return found


def copy_criteria(session: Any, partnership_id: int, year: FundingYear, previous: FundingYear | None) -> None:
    """Give a new year the previous year's criteria, or the partnership's template (its file's),
    or, for a partnership made before templates, DESIGN §5's defaults."""
    source = Criterion.year_id == previous.id if previous is not None else Criterion.year_id.is_(None)
    rows = [
        (c.key, c.title, c.weight, c.description, c.position, c.descriptors)
        for c in session.execute(
            select(Criterion).where(
                Criterion.partnership_id == partnership_id, source, Criterion.removed_at.is_(None)
            )
        ).scalars()
    ]
    if not rows and previous is None:
        rows = [(k, t, w, d, i, "[]") for i, (k, t, w, d) in enumerate(DEFAULT_CRITERIA, start=1)]
    for key, title, weight, description, position, descriptors in rows:
        session.add(
            Criterion(
                partnership_id=partnership_id,
                year_id=year.id,
                key=key,
                title=title,
                weight=weight,
                description=description,
                descriptors=descriptors,
                position=position,
            )
        )


def list_years(scope: Scope) -> list[FundingYear]:
    return list(
        scope.session.execute(
            select(FundingYear)
            .where(FundingYear.partnership_id == scope.partnership.id)
            .order_by(FundingYear.starts_on)
        ).scalars()
    )


def reference_items(session: Session, year: FundingYear) -> list[ReferenceItem]:
    """The year's priorities and themes in use (retired ones are left out)."""
    return list(
        session.execute(
            select(ReferenceItem)
            .where(ReferenceItem.year_id == year.id, ReferenceItem.retired_at.is_(None))
            .order_by(ReferenceItem.kind, ReferenceItem.position)
        ).scalars()
    )
