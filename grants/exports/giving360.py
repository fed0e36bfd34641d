"""The year's awards as a 360Giving data package (JSON) or its flattened spreadsheet form (CSV).

Which awards are published: every project the PCC funded (funded, in delivery, delivered, closed) at
its award as approved or varied. A cancelled award is published only when money was paid before it
was cancelled, and then at what was paid: the cancellation released the rest, so that is what the
grant came to. A cancellation before any payment means no grant was made, and nothing is published.

Identifiers follow 360Giving's guidance: grants are `360G-<funder prefix>-<bid reference>`; an
organisation is its org-id when one is recorded (`grants org add --org-id`), otherwise the funder's
360Giving prefix with the partnership's internal key (`360G-<prefix>-ORG-<key>`), as the guidance
says to do for organisations without an external registration number. No org-id is ever guessed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from grants.audit_chain import AuditHead, audit_head
from grants.errors import Refused
from grants.models import Bid, FundingYear, LedgerEntry, Organisation, Partnership
from grants.money import Money
from grants.scope import Scope
from grants.writing.files import write_whole
from grants.writing.formats import OutputFormat
from grants.writing.prose import programme_title
from grants.years import find_year
from workflows.bid_lifecycle import AWARDED, BidStatus

PACKAGE_SCHEMA = "360-giving-package-schema.json"
GRANT_SCHEMA = "360-giving-schema.json"
# The package schema's reference to the grant schema, which the shipped copy stands for.
GRANT_SCHEMA_URI = (
    "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"
)
STANDARD_VERSION = "1.4"
CURRENCY = "GBP"
AWARD_KIND = "award"  # the ledger entry that commits an award (pot:X → award:BID)
FORMATS = (OutputFormat.json, OutputFormat.csv)

CSV_COLUMNS = (
    "Identifier",
    "Title",
    "Description",
    "Currency",
    "Amount Applied For",
    "Amount Awarded",
    "Amount Disbursed",
    "Award Date",
    "Recipient Org:Identifier",
    "Recipient Org:Name",
    "Funding Org:Identifier",
    "Funding Org:Name",
    "Grant Programme:Code",
    "Grant Programme:Title",
    "Planned Dates:Start Date",
    "Planned Dates:End Date",
)
# The columns of text a user or the partnership typed, escaped so a spreadsheet will not run them;
# the currency, amounts and dates are written as they are.
CSV_TEXT_COLUMNS = tuple(
    name
    for name in CSV_COLUMNS
    if name != "Currency" and not name.startswith(("Amount", "Award Date", "Planned"))
)


def load_schema(name: str) -> dict[str, Any]:
    """One of the shipped 360Giving schemas (package data, so validation needs no network)."""
    return json.loads(resources.files("grants").joinpath("data", name).read_text(encoding="utf-8"))


def amount_number(amount: Money) -> int | Decimal:
    """A JSON number for an amount, never through float: whole pounds as int, else exact pounds."""
    if amount.pence % 100 == 0:
        return amount.pence // 100
    return Decimal(amount.pence).scaleb(-2)


def amount_text(amount: Money) -> str:
    number = amount_number(amount)
    return format(number, "f") if isinstance(number, Decimal) else str(number)


def dumps(value: Any, indent: int = 2, level: int = 0) -> str:
    """JSON text like json.dumps(indent=2), writing Decimal amounts digit for digit."""
    pad, end = " " * (indent * (level + 1)), " " * (indent * level)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{pad}{json.dumps(str(k), ensure_ascii=False)}: {dumps(v, indent, level + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{end}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"{pad}{dumps(v, indent, level + 1)}" for v in value) + f"\n{end}]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("no float is written as money; use Decimal or int")
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def plain_prefix(prefix: str) -> str:
    """The funder's 360Giving prefix without its `360G-` (a setting may be written either way)."""
    return prefix[5:] if prefix.upper().startswith("360G-") else prefix


def grant_id(partnership: Partnership, reference: str) -> str:
    return f"360G-{plain_prefix(partnership.funder_prefix)}-{reference}"


def organisation_id(partnership: Partnership, org: Organisation) -> str:
    """The recorded org-id, or the 360Giving form for an organisation without one."""
    return org.org_id or f"360G-{plain_prefix(partnership.funder_prefix)}-ORG-{org.key}"


def funder_id(partnership: Partnership) -> str:
    """The funder's recorded org-id, or its own 360Giving prefix, which names it as the publisher."""
    return partnership.funder_org_id or f"360G-{plain_prefix(partnership.funder_prefix)}"


@dataclass(frozen=True)
class Grant:
    """One published award."""

    id: str
    title: str
    description: str
    applied_for: Money
    awarded: Money
    disbursed: Money
    award_date: date
    end_date: date | None
    recipient_id: str
    recipient_name: str
    status: BidStatus

    def to_json(self, package: Package) -> dict[str, Any]:
        planned: dict[str, Any] = {"startDate": self.award_date.isoformat()}
        if self.end_date is not None:
            planned["endDate"] = self.end_date.isoformat()
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "currency": CURRENCY,
            "amountAppliedFor": amount_number(self.applied_for),
            "amountAwarded": amount_number(self.awarded),
            "amountDisbursed": amount_number(self.disbursed),
            "awardDate": self.award_date.isoformat(),
            "plannedDates": [planned],
            "recipientOrganization": [{"id": self.recipient_id, "name": self.recipient_name}],
            "fundingOrganization": [{"id": package.funder_id, "name": package.funder}],
            "grantProgramme": [{"code": package.programme, "title": programme_title(package.programme)}],
        }

    def csv_row(self, package: Package) -> dict[str, Any]:
        cells = [
            self.id,
            self.title,
            self.description,
            CURRENCY,
            amount_text(self.applied_for),
            amount_text(self.awarded),
            amount_text(self.disbursed),
            self.award_date.isoformat(),
            self.recipient_id,
            self.recipient_name,
            package.funder_id,
            package.funder,
            package.programme,
            programme_title(package.programme),
            self.award_date.isoformat(),
            self.end_date.isoformat() if self.end_date else "",
        ]
        return dict(zip(CSV_COLUMNS, cells, strict=True))


@dataclass(frozen=True)
class Package:
    """A 360Giving data package of one year's awards."""

    partnership: str
    slug: str
    funder: str
    funder_id: str
    programme: str
    year: str
    issued: date
    grants: list[Grant]
    audit_head: AuditHead | None = None

    @property
    def total(self) -> Money:
        return Money(sum(g.awarded.pence for g in self.grants))

    def to_json(self) -> dict[str, Any]:
        title = programme_title(self.programme)
        return {
            "grants": [g.to_json(self) for g in self.grants],
            "version": STANDARD_VERSION,
            "title": f"{self.funder}: {title} awards to projects of the {self.partnership}, {self.year}",
            "description": (
                f"The {self.funder}'s {title} awards of {self.year} to projects of the {self.partnership} "
                f"({len(self.grants)} grants, {self.total})."
                + (f" Audit head {self.audit_head.anchor}." if self.audit_head else "")
            ),
            "identifier": f"{self.slug}-{self.programme}-{self.year.replace('/', '-')}",
            "issued": self.issued.isoformat(),
            "publisher": {"name": self.funder, "identifier": self.funder_id},
        }

    def json_text(self) -> str:
        from grants.text import json_text

        return json_text(dumps(self.to_json())) + "\n"

    def csv_text(self) -> str:
        from grants.writing.csv_text import csv_text

        return csv_text(CSV_COLUMNS, [g.csv_row(self) for g in self.grants], escaped=CSV_TEXT_COLUMNS)

    def text(self, fmt: str) -> str:
        return self.csv_text() if fmt == "csv" else self.json_text()


def published(status: BidStatus, award_pence: int | None, spent_pence: int) -> Money | None:
    """What a bid's grant amounts to in the package, or None when it is not published."""
    if award_pence is None:
        return None
    if status in AWARDED:
        return Money(award_pence)
    if status == BidStatus.cancelled and spent_pence > 0:
        return Money(spent_pence)
    return None


def package(scope: Scope, label: str | None = None) -> Package:
    """The year's awards (default: the open year) as a 360Giving package; refused when there are none."""
    year: FundingYear = find_year(scope, label)
    p = scope.partnership
    award_dates = (
        select(LedgerEntry.bid_id.label("bid_id"), func.min(LedgerEntry.booked_on).label("awarded_on"))
        .where(LedgerEntry.year_id == year.id, LedgerEntry.kind == AWARD_KIND)
        .group_by(LedgerEntry.bid_id)
        .subquery()
    )
    rows = scope.session.execute(
        select(Bid, Organisation, award_dates.c.awarded_on)
        .join(Organisation, Organisation.id == Bid.lead_organisation_id)
        .join(award_dates, award_dates.c.bid_id == Bid.id)
        .where(Bid.year_id == year.id, Bid.award_pence.is_not(None))
        .order_by(Bid.sequence)
    ).all()
    grants = []
    for bid, org, awarded_on in rows:
        amount = published(bid.status, bid.award_pence, bid.spent_pence)
        if amount is None:
            continue
        grants.append(
            Grant(
                id=grant_id(p, bid.reference),
                title=bid.title,
                description=" ".join(bid.summary.split()) or bid.title,
                applied_for=Money(bid.amount_requested_pence),
                awarded=amount,
                disbursed=Money(bid.spent_pence),
                award_date=awarded_on
                if isinstance(awarded_on, date)
                else date.fromisoformat(str(awarded_on)),
                end_date=bid.delivery_end,
                recipient_id=organisation_id(p, org),
                recipient_name=org.name,
                status=bid.status,
            )
        )
    if not grants:
        raise Refused(
            f"{year.label} has no awards to publish yet: a 360Giving package holds at least one grant, "
            "and a project is published once the PCC has funded it"
        )
    return Package(
        p.name,
        p.slug,
        p.funder_name,
        funder_id(p),
        p.programme,
        year.label,
        scope.today,
        grants,
        audit_head(scope.session, p.id),
    )


def save_package(scope: Scope, path: Path, fmt: str, label: str | None = None) -> Package:
    """Write the year's package to a file; a failed export leaves any earlier file as it was."""
    data = package(scope, label)
    text = data.text(fmt)
    write_whole(path, lambda partial: partial.write_text(text, encoding="utf-8"))
    return data
