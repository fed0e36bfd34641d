"""A deterministic generator of realistic grants data, for the benchmarks.

    python -m bench.generate --partnerships 3 --years 5 --bids 200 --spend 20
    python -m bench.generate --db /tmp/big.sqlite --replace --bids 2000 --spend 100
    python -m bench.generate --db postgresql://localhost/bench --replace

The same seed and sizes give the same data (only wall-clock stamps differ). What it makes:

- `--partnerships` Community Safety Partnerships (named after Kent's districts), each set up
  through the service layer as `grants init`, `grants org add` and `grants member add` would:
  an officer, the Chair, the OPCC, a treasurer, a working-group member per responsible
  authority, and leads in three organisations that are not responsible authorities;
- `--years` funding years per partnership, ending with 2026/27 (the open year). The first is
  opened with `grants.years.open_year`; each year but the last ends with every project closed or
  cancelled and is then closed by `grants.rollover.rollover(..., apply=True)`, which returns what
  the pots hold to the PCC (pot:X → returned) and opens the next year. So pots, reference data,
  criteria and the funder → pot and pot → returned ledger entries are the services' own;
- `--bids` bids per year, a third of them tactical, taken through the lifecycle of DESIGN §4 to a
  realistic spread of states (the open year has projects in delivery and tactical bids at every
  stage; closed years hold only decided bids), with score sheets from the working group (quorum
  and consensus hold for every shortlisted bid), awards, a few variations, and releases;
- up to `--spend` payments per funded project (the full number for completed projects, fewer for
  projects still running), imported month by month as the treasurer's finance-system files.

Bids, sheets, ledger entries, payments and audit events are written in bulk with SQLAlchemy core,
but row for row as the services write them: the ledger entries move money between the accounts
of DESIGN §6 (pot:X → award:BID, award:BID → spent:BID, award:BID → pot:X), the pots' cached
balances and each bid's award and spend equal the ledger, and every step appends to the
partnership's SHA-256 audit chain exactly as `grants.audit_chain.record` does. `grants check` passes
on the result (this script runs the same checks at the end unless given --no-check).

Importable: `generate(url, seed, partnerships, years, bids, spend)` returns a `Generated` with the
counts, so other benchmarks can build their data with it.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

LAST_YEAR = 2026  # the open year is 2026/27
AS_OF_MONTH_DAY = (11, 23)  # the open year has run until 23 November
SPEND_CHUNK = 20_000  # rows per bulk insert

DISTRICTS = (
    "Ashford",
    "Canterbury",
    "Dartford",
    "Dover",
    "Folkestone and Hythe",
    "Gravesham",
    "Maidstone",
    "Sevenoaks",
    "Swale",
    "Thanet",
    "Tonbridge and Malling",
    "Tunbridge Wells",
    "Medway",
)

# Working-group members: (handle, organisation key, role). One per responsible authority but the
# OPCC, and the Violence Reduction Unit sits in the county council (as in the demo).
WORKING_GROUP = (
    ("wg-kcc", "kcc"),
    ("wg-vru", "kcc"),
    ("wg-police", "kent-police"),
    ("wg-district", "districts"),
    ("wg-kfrs", "kfrs"),
    ("wg-nhs", "nhs-icb"),
    ("wg-probation", "probation"),
)
OTHER_ORGS = (
    ("kalc", "Kent Association of Local Councils", "lead-kalc"),
    ("youth-trust", "Kent Youth Diversion Trust", "lead-youth"),
    ("safe-spaces", "Safe Spaces Community Interest Company", "lead-safe"),
)
OFFICER = "officer"
ORG_NAMES = {
    "kcc": "Kent County Council",
    "kent-police": "Kent Police",
    "districts": "the district and borough councils",
    "kfrs": "Kent Fire and Rescue Service",
    "nhs-icb": "NHS Kent and Medway",
    "probation": "the Probation Service",
    **{key: name for key, name, _ in OTHER_ORGS},
}

ACTIVITIES = (
    (
        "Youth diversion football sessions",
        ("diversionary-activities", "asb-and-crime"),
        ("neighbourhood-crime-asb",),
    ),
    (
        "Street pastors in the night-time economy",
        ("day-and-night-economy",),
        ("neighbourhood-crime-asb", "vawg"),
    ),
    ("Domestic abuse awareness training for frontline staff", ("vawg",), ("domestic-abuse", "safeguarding")),
    ("Safe space for women and girls on Saturday nights", ("vawg", "day-and-night-economy"), ("vawg",)),
    (
        "Redeployable CCTV for ASB hotspots",
        ("asb-and-crime", "crime-prevention"),
        ("neighbourhood-crime-asb",),
    ),
    ("Shop theft prevention with local retailers", ("crime-prevention",), ("neighbourhood-crime-asb",)),
    ("Knife crime education in secondary schools", ("diversionary-activities",), ("serious-violence",)),
    ("Rural crime watch and farm security marking", ("crime-prevention",), ("neighbourhood-crime-asb",)),
    ("Hate crime reporting campaign", ("partnership-approaches",), ("extremism-and-hate",)),
    ("Drug and alcohol outreach at the town centre hub", ("drug-and-alcohol",), ("substance-misuse",)),
    ("Mentoring for young people leaving custody", ("reoffending",), ("serious-violence",)),
    (
        "Cuckooing awareness for housing officers",
        ("partnership-approaches", "drug-and-alcohol"),
        ("safeguarding",),
    ),
    ("Road safety speed watch equipment", ("crime-prevention",), ("road-safety",)),
    ("Scam and fraud prevention talks for older residents", ("crime-prevention",), ("safeguarding",)),
    ("Bystander training for licensed premises", ("vawg", "day-and-night-economy"), ("vawg",)),
    ("Prevent awareness sessions for community groups", ("partnership-approaches",), ("extremism-and-hate",)),
)
SUPPLIERS = (
    ("Community Safety Learning Hub", "CSLH"),
    ("Youth Sport Kent CIC", "YSK"),
    ("Safer Futures Training", "SFT"),
    ("Kent Conference Centre", "KCC-EV"),
    ("Secure Vision CCTV Ltd", "SVC"),
    ("Street Pastors Kent", "SPK"),
    ("Open Doors Outreach", "ODO"),
    ("Bright Minds Education", "BME"),
    ("Coastal Print and Design", "CPD"),
    ("Safe Roads Equipment Ltd", "SRE"),
)
OUTCOMES = (
    "Fewer reports of anti-social behaviour in the target area than the year before.",
    "Practitioners more confident in recognising and referring the harm concerned.",
    "Young people engaged in positive activities during the peak hours for ASB.",
    "Victims better supported and more willing to report.",
)
MEASURES = (
    "Police and council ASB reports; attendance registers; participant surveys.",
    "Attendance; pre- and post-training confidence survey; referrals citing the training.",
    "Sessions delivered; young people attending; referrals to mentoring.",
    "Reports to police and partner agencies; feedback from service users.",
)
DECLINE_REASONS = (
    "No consensus of support at the working group",
    "Better funded by another partner's budget",
    "Duplicates an existing scheme in the district",
)
REJECT_REASONS = (
    "Does not fit the PCC's priorities closely enough",
    "Outcomes and measures are not clear enough to fund",
)
WITHDRAW_REASONS = (
    "Funded from another source",
    "Lead officer left; the project cannot be delivered this year",
)
CANCEL_REASONS = (
    "Venue no longer available",
    "Delivery partner withdrew",
    "Project merged into a county scheme",
)
QUESTION = "How many people will the project reach, and how will the partners know it worked?"
ANSWER = "Around 150 people across the district; the partners will see it in the quarterly ASB figures."


# --- what it made ---------------------------------------------------------------------------------


@dataclass
class Generated:
    """Counts of what `generate` made, and how long it took."""

    url: str
    partnerships: int = 0
    years: int = 0
    bids: int = 0
    states: Counter[str] = field(default_factory=Counter)
    score_sheets: int = 0
    spend_lines: int = 0
    spend_imports: int = 0
    ledger_entries: int = 0
    audit_events: int = 0
    awarded_pence: int = 0
    spent_pence: int = 0
    seconds: float = 0.0
    check_seconds: float | None = None
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.states.items(), key=lambda kv: -kv[1]))
        lines = [
            f"database: {self.url}",
            f"{self.partnerships} partnerships × {self.years // max(self.partnerships, 1)} years "
            f"= {self.years} funding years",
            f"{self.bids:,} bids ({states})",
            f"{self.score_sheets:,} score sheets, {self.spend_lines:,} spend lines in "
            f"{self.spend_imports:,} imports, {self.ledger_entries:,} ledger entries, "
            f"{self.audit_events:,} audit events",
            f"awarded £{self.awarded_pence / 100:,.2f}, spent £{self.spent_pence / 100:,.2f}",
            f"generated in {self.seconds:.1f} s",
        ]
        if self.check_seconds is not None:
            verdict = "all clean" if not self.problems else f"{len(self.problems)} PROBLEMS"
            lines.append(f"grants checks: {verdict} ({self.check_seconds:.1f} s)")
            lines.extend(f"  ✗ {p}" for p in self.problems[:20])
        return "\n".join(lines)


# --- planning a bid -------------------------------------------------------------------------------


@dataclass
class Step:
    """One audited step of a bid (or of the year), with its time."""

    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class BidPlan:
    sequence: int
    pot: str
    org: str
    contact: str
    title: str
    summary: str
    amount: int
    pcc: str
    csa: str
    outcomes: str
    measures: str
    delivery_end: date
    final: str
    steps: list[Step] = field(default_factory=list)
    sheets: list[tuple[str, dict[str, int | None], str, str, datetime]] = field(default_factory=list)
    award: int | None = None
    spent: int = 0
    outcome_summary: str = ""
    # (kind, from, to, amount, booked_on, actor, reason, created_at)
    # (movement from grants.ledger, booked on, actor, when): written by grants.ledger.post_many.
    ledger: list[tuple[Any, date, str, datetime]] = field(default_factory=list)
    # (paid_on, pence, supplier, invoice)
    payments: list[tuple[date, int, str, str]] = field(default_factory=list)
    submitted_at: datetime | None = None


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([s for s, _ in table], weights=[w for _, w in table])[0]


CLOSED_UPFRONT = (
    ("closed", 56),
    ("not_shortlisted", 18),
    ("rejected", 8),
    ("withdrawn", 9),
    ("cancelled", 9),
)
CLOSED_TACTICAL = (
    ("closed", 60),
    ("not_shortlisted", 15),
    ("rejected", 7),
    ("withdrawn", 10),
    ("cancelled", 8),
)
OPEN_UPFRONT = (
    ("closed", 8),
    ("delivered", 7),
    ("in_delivery", 40),
    ("funded", 5),
    ("not_shortlisted", 18),
    ("rejected", 8),
    ("withdrawn", 8),
    ("cancelled", 6),
)
OPEN_TACTICAL = (
    ("draft", 8),
    ("submitted", 10),
    ("scoring", 14),
    ("shortlisted", 6),
    ("chair_approved", 6),
    ("clarification", 4),
    ("funded", 10),
    ("in_delivery", 20),
    ("delivered", 4),
    ("closed", 4),
    ("not_shortlisted", 6),
    ("rejected", 4),
    ("withdrawn", 4),
)
FUNDED_STATES = {"funded", "in_delivery", "delivered", "closed", "cancelled"}


class Clock:
    """Times of one bid's steps: each on its day, strictly after the step before."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.last: datetime | None = None

    def at(self, day: date) -> datetime:
        moment = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(
            seconds=self.rng.randrange(8 * 3600)
        )
        if self.last is not None and moment <= self.last:
            moment = self.last + timedelta(seconds=self.rng.randrange(30, 900))
        self.last = moment
        return moment


def _month_after(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _month_end_before(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` pence in `parts` positive amounts."""
    parts = max(1, min(parts, total))
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    edges = [0, *cuts, total]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)]


@dataclass
class YearContext:
    label: str
    starts_on: date
    ends_on: date
    is_open: bool
    as_of: date  # nothing in the year happens after this day
    criteria: dict[str, int]  # key → weight
    members: dict[str, tuple[int, str]]  # handle → (member id, organisation key)
    orgs: dict[str, int]  # key → organisation id
    code: str
    programme: str


def _day(year: YearContext, offset: int) -> date:
    return min(year.starts_on + timedelta(days=offset), year.as_of)


def plan_bid(
    rng: random.Random, year: YearContext, sequence: int, pot: str, final: str, new_on: date, spend: int
) -> BidPlan:
    """One bid's content, and the steps, sheets, money and payments that take it to `final`."""
    from grants import ledger
    from grants.models import PotKind

    org, _, lead = rng.choice(
        [(org_key, None, handle) for handle, org_key in WORKING_GROUP]
        + [(key, None, handle) for key, _, handle in OTHER_ORGS]
        + [("kcc", None, OFFICER)] * 2
    )
    activity, pcc, csa = rng.choice(ACTIVITIES)
    place = rng.choice(DISTRICTS)
    amount = rng.choice(
        (rng.randrange(500, 3_000), rng.randrange(1_500, 8_000), rng.randrange(4_000, 15_000))
    )
    amount = amount * 100 if rng.random() < 0.8 else amount * 100 + rng.randrange(1, 100)
    ends = year.ends_on if rng.random() < 0.75 else date(year.ends_on.year, rng.choice((1, 2)), 28)
    bid = BidPlan(
        sequence=sequence,
        pot=pot,
        org=org,
        contact=lead,
        title=f"{activity} in {place}",
        summary=(
            f"{activity} in {place}, delivered by {ORG_NAMES[org]} with the district's community "
            f"safety unit through {year.label}."
        ),
        amount=amount,
        pcc=",".join(pcc),
        csa=",".join(csa),
        outcomes=rng.choice(OUTCOMES),
        measures=rng.choice(MEASURES),
        delivery_end=ends,
        final=final,
    )
    clock = Clock(rng)
    state = "draft"

    def step(day: date, actor: str, action: str, to: str | None = None, **extra: Any) -> datetime:
        nonlocal state
        moment = clock.at(min(day, year.as_of))
        to_state = to if to is not None else state
        bid.steps.append(
            Step(moment, actor, action, state if action != "bid.new" else None, to_state, **extra)
        )
        state = to_state
        return moment

    # Upfront bids follow the round: proposals in early April, the working group meets on the 29th,
    # decisions by the end of June (the tactical pot opens then). Tactical bids come in-year.
    upfront = pot == "upfront"
    withdraw_at = None
    if final == "withdrawn":
        withdraw_at = rng.choice(
            ("scoring", "shortlisted", "chair_approved") + (() if upfront else ("draft", "submitted"))
        )
    reject_by = rng.choice(("chair", "opcc")) if final == "rejected" else None
    cancel_at = ("funded" if rng.random() < 0.3 else "in_delivery") if final == "cancelled" else None

    def withdraw(day: date) -> BidPlan:
        step(day, lead, "bid.withdraw", "withdrawn", reason=rng.choice(WITHDRAW_REASONS))
        return bid

    day = new_on
    step(day, lead, "bid.new", "draft", details={"organisation": org})
    if final == "draft":
        return bid
    if withdraw_at == "draft":
        return withdraw(day + timedelta(days=rng.randrange(1, 10)))
    day = day + timedelta(days=rng.randrange(0, 5))
    bid.submitted_at = step(day, lead, "bid.submit", "submitted")
    if final == "submitted":
        return bid
    if withdraw_at == "submitted":
        return withdraw(day + timedelta(days=rng.randrange(1, 10)))
    day = _day(year, 21) if upfront else day + timedelta(days=rng.randrange(1, 8))
    step(day, OFFICER, "bid.open_scoring", "scoring")

    # Sheets from the working group: everyone not of the lead organisation, a few absent. Bids that
    # go forward have quorum, nobody opposing and a mean score well over the threshold.
    eligible = [h for h, o in WORKING_GROUP if o != org]
    goes_forward = final not in ("scoring", "not_shortlisted") and withdraw_at != "scoring"
    if final == "scoring":
        scorers = rng.sample(eligible, rng.randrange(0, len(eligible)))
    else:
        scorers = [h for h in eligible if rng.random() < 0.85]
        orgs_scoring = {o for h, o in WORKING_GROUP if h in scorers}
        while len(orgs_scoring) < 4:  # quorum: four responsible authorities
            extra = next(h for h in eligible if h not in scorers)
            scorers.append(extra)
            orgs_scoring.add(dict(WORKING_GROUP)[extra])
    scorers.sort(key=[h for h, _ in WORKING_GROUP].index)
    quality = rng.uniform(0.62, 0.95) if goes_forward else rng.uniform(0.2, 0.6)
    opposer = None if goes_forward or not scorers or rng.random() < 0.5 else rng.choice(scorers)
    first_key = next(iter(year.criteria))
    last_sheet = day
    for handle in scorers:
        scores: dict[str, int | None] = {}
        for key in year.criteria:
            if key != first_key and rng.random() < 0.05:
                scores[key] = None
            else:
                scores[key] = max(0, min(5, round(quality * 5 + rng.uniform(-1.2, 1.2))))
        stance = (
            "oppose"
            if handle == opposer
            else ("support" if goes_forward or rng.random() < 0.6 else "abstain")
        )
        comment = "" if stance != "oppose" else rng.choice(DECLINE_REASONS[1:])
        sheet_day = day + timedelta(days=rng.randrange(0, 7 if upfront else 5))
        last_sheet = max(last_sheet, sheet_day)
        moment = step(
            sheet_day,
            handle,
            "score.submit",
            details={"member": handle, "version": 1, "scores": scores, "stance": stance, "comment": comment},
        )
        bid.sheets.append((handle, scores, stance, comment, moment))
    if final == "scoring":
        return bid
    day = _day(year, 28) if upfront else last_sheet + timedelta(days=rng.randrange(1, 4))
    if final == "not_shortlisted":
        step(day, OFFICER, "bid.decline", "not_shortlisted", reason=rng.choice(DECLINE_REASONS))
        return bid
    if withdraw_at == "scoring":
        return withdraw(day)
    step(day, OFFICER, "bid.shortlist", "shortlisted")
    if final == "shortlisted":
        return bid
    day += timedelta(days=rng.randrange(1, 15))
    if reject_by == "chair":
        step(day, "chair", "bid.reject", "rejected", reason=rng.choice(REJECT_REASONS))
        return bid
    if withdraw_at == "shortlisted":
        return withdraw(day)
    step(day, "chair", "bid.approve", "chair_approved", reason="Recommended by the working group")
    if final == "chair_approved":
        return bid
    if final == "clarification" or rng.random() < 0.15:
        day += timedelta(days=rng.randrange(1, 8))
        step(day, "opcc", "bid.clarify", "clarification", details={"question": QUESTION})
        if final == "clarification":
            return bid
        day += timedelta(days=rng.randrange(1, 8))
        step(day, lead, "bid.answer", "chair_approved", details={"answer": ANSWER})
    day += timedelta(days=rng.randrange(1, 15))
    if reject_by == "opcc":
        step(day, "opcc", "bid.reject", "rejected", reason=rng.choice(REJECT_REASONS))
        return bid
    if withdraw_at == "chair_approved":
        return withdraw(day)

    # Funded: the OPCC awards the request, now and then a little less.
    award = amount if rng.random() < 0.85 else max(100, amount * rng.randrange(70, 96) // 10_000 * 100)
    award = min(award, amount)
    paid = step(day, "opcc", "bid.approve", "funded", details=_money("award", award))
    ref = reference(year, sequence)
    bid.ledger.append(
        (ledger.award_movement("award", PotKind(pot), ref, award, "award"), paid.date(), "opcc", paid)
    )
    bid.award = award
    if final != "funded" and rng.random() < 0.05:  # the OPCC varies the award down before delivery
        new = max(100, award * rng.randrange(80, 96) // 10_000 * 100)
        if new < award:
            day += timedelta(days=rng.randrange(1, 10))
            reason = "Match funding found for part of the project"
            moment = step(
                day,
                "opcc",
                "bid.vary",
                reason=reason,
                details={"actor_role": "pcc", **_money("from", award), **_money("to", new)},
            )
            varied = ledger.release_movement("vary", PotKind(pot), ref, award - new, reason)
            bid.ledger.append((varied, moment.date(), "opcc", moment))
            bid.award = award = new
    if final == "funded":
        return bid
    if cancel_at == "funded":
        _cancel(rng, bid, step, day + timedelta(days=rng.randrange(5, 30)), ref, pot)
        return bid

    start = day + timedelta(days=rng.randrange(7, 29))
    step(start, rng.choice((lead, OFFICER)), "bid.start", "in_delivery")
    # Payments are imported on the 3rd of the month after they are made, so a project completes
    # or is cancelled only after its last payment is in: from the 4th of a later month.
    hi = min(year.as_of - timedelta(days=3), date(year.ends_on.year, 3, 20))
    if final in ("delivered", "closed", "cancelled"):
        low = _month_after(start).replace(day=4)
        if low >= hi:
            end = hi
        else:
            shape = (3, 1.2) if final != "cancelled" else (1.5, 2)
            end = low + timedelta(days=int((hi - low).days * rng.betavariate(*shape)))
        if end.day < 4:
            end = end.replace(day=4)
        last_payment = _month_end_before(end)
    else:
        end = None
        last_payment = _month_end_before(year.as_of)
    share = {
        "closed": (0.8, 1.0),
        "delivered": (0.85, 1.0),
        "in_delivery": (0.2, 0.7),
        "cancelled": (0.05, 0.5),
    }[final]
    # Payments draw on a generator of their own, so that --spend changes the payments only, never
    # which bids there are or where they end up.
    pay = random.Random(rng.getrandbits(64))
    lines = spend if final != "in_delivery" else (pay.randint(1, spend) if spend else 0)
    if lines and last_payment >= start:
        total = award if final == "closed" and pay.random() < 0.4 else int(award * pay.uniform(*share))
        supplier, prefix = pay.choice(SUPPLIERS)
        window = (last_payment - start).days
        days = sorted(start + timedelta(days=pay.randrange(window + 1)) for _ in range(lines))
        if total > 0:
            for n, (paid_on, pence) in enumerate(zip(days, _split(pay, total, lines), strict=False), start=1):
                bid.payments.append((paid_on, pence, supplier, f"{prefix}-{year.code}{sequence:04d}-{n:03d}"))
            bid.spent = sum(p[1] for p in bid.payments)
    if final == "in_delivery":
        return bid
    if final == "cancelled":
        _cancel(rng, bid, step, end, ref, pot)
        return bid
    outcome = f"Delivered as planned. {rng.choice(OUTCOMES)}"
    step(end, rng.choice((lead, OFFICER)), "bid.complete", "delivered", details={"outcome": outcome})
    bid.outcome_summary = outcome
    if final == "delivered":
        return bid
    close_day = min(end + timedelta(days=rng.randrange(1, 11)), year.as_of, year.ends_on)
    underspend = award - bid.spent
    moment = step(close_day, "treasurer", "bid.close", "closed", details=_money("released", underspend))
    if underspend:
        released = ledger.release_movement(
            "release", PotKind(pot), ref, underspend, f"underspend of {ref} at close"
        )
        bid.ledger.append((released, moment.date(), "treasurer", moment))
    return bid


def _cancel(
    rng: random.Random, bid: BidPlan, step: Callable[..., datetime], day: date, ref: str, pot: str
) -> None:
    from grants import ledger
    from grants.models import PotKind

    reason = rng.choice(CANCEL_REASONS)
    who = rng.choice(("opcc", OFFICER))
    unspent = (bid.award or 0) - bid.spent
    moment = step(day, who, "bid.cancel", "cancelled", reason=reason, details=_money("released", unspent))
    if unspent:
        released = ledger.release_movement("release", PotKind(pot), ref, unspent, f"cancelled: {reason}")
        bid.ledger.append((released, moment.date(), who, moment))


def _money(prefix: str, pence: int) -> dict[str, Any]:
    from grants.money import Money, money_fields

    return money_fields(prefix, Money(pence))


def reference(year: YearContext, sequence: int) -> str:
    return f"{year.programme}-{year.code}-{sequence:03d}"


def plan_year(rng: random.Random, year: YearContext, bids: int, spend: int) -> list[BidPlan]:
    """The year's bids, upfront first (the spring round), then tactical ones through the year."""
    n_tactical = bids // 3
    n_upfront = bids - n_tactical
    plans = []
    upfront_table = OPEN_UPFRONT if year.is_open else CLOSED_UPFRONT
    tactical_table = OPEN_TACTICAL if year.is_open else CLOSED_TACTICAL
    upfront_days = sorted(rng.randrange(0, 15) for _ in range(n_upfront))
    early = ("draft", "submitted", "scoring", "shortlisted", "chair_approved", "clarification")
    tactical = []
    for _ in range(n_tactical):
        final = _weighted(rng, tactical_table)
        if year.is_open and final in early:
            offset = (year.as_of - year.starts_on).days - rng.randrange(5, 45)
        elif year.is_open:
            offset = rng.randrange(91, 115)
        else:
            offset = rng.randrange(91, 200)
        tactical.append((offset, final))
    tactical.sort(key=lambda item: item[0])
    sequence = 0
    for offset in upfront_days:
        sequence += 1
        plans.append(
            plan_bid(rng, year, sequence, "upfront", _weighted(rng, upfront_table), _day(year, offset), spend)
        )
    for offset, final in tactical:
        sequence += 1
        plans.append(plan_bid(rng, year, sequence, "tactical", final, _day(year, offset), spend))
    return plans


# --- writing --------------------------------------------------------------------------------------


def _allocation(plans: list[BidPlan]) -> int:
    """An allocation (whole pounds, in pence) whose pots hold every award and request with room."""
    from grants.money import DEFAULT_TACTICAL_SHARE, Money, split_allocation

    need = {"upfront": 0, "tactical": 0}
    biggest = {"upfront": 0, "tactical": 0}
    for plan in plans:
        need[plan.pot] += max((e[0].pence for e in plan.ledger if e[0].kind == "award"), default=0)
        biggest[plan.pot] = max(biggest[plan.pot], plan.amount)
    want = {k: max(need[k] * 108 // 100, biggest[k]) for k in need}
    pounds = max(39_661, -(-max(want["upfront"] * 3 // 2, want["tactical"] * 3) // 100))
    while True:
        upfront, tactical = split_allocation(Money.pounds(pounds), 1 - DEFAULT_TACTICAL_SHARE)
        if upfront.pence >= want["upfront"] and tactical.pence >= want["tactical"]:
            return pounds * 100
        pounds += max(1, pounds // 100)


def chain(connection: Any, partnership_id: int) -> Any:
    """The partnership's audit chain, appended to by grants.audit_chain's bulk writer."""
    from grants.audit_chain import BulkChain

    return BulkChain(connection, partnership_id, batch=SPEND_CHUNK)


def stamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def write_year(
    connection: Any,
    partnership_id: int,
    year_id: int,
    year: YearContext,
    plans: list[BidPlan],
    result: Generated,
) -> None:
    """Insert the year's bids, sheets, payments, ledger entries and audit events in bulk."""
    from sqlalchemy import insert, select, update

    from grants import ledger
    from grants.audit_chain import canonical_json
    from grants.bids import content_hash, content_of
    from grants.models import Bid, Pot, PotKind, ScoreSheet, Spend, SpendImport, Stance
    from grants.scoring import percent_text, sheet_percent
    from grants.spendfile import invoice_key
    from workflows.bid_lifecycle import BidStatus

    member_id = {handle: mid for handle, (mid, _) in year.members.items()}

    # Bids, then their ids.
    rows = []
    for plan in plans:
        created = plan.steps[0].at
        rows.append(
            {
                "partnership_id": partnership_id,
                "year_id": year_id,
                "sequence": plan.sequence,
                "reference": reference(year, plan.sequence),
                "lead_organisation_id": year.orgs[plan.org],
                "contact_member_id": member_id[plan.contact],
                "title": plan.title,
                "summary": plan.summary,
                "amount_requested_pence": plan.amount,
                "pot": PotKind(plan.pot),
                "pcc_priorities": plan.pcc,
                "csa_priorities": plan.csa,
                "outcomes": plan.outcomes,
                "measures": plan.measures,
                "delivery_end": plan.delivery_end,
                "end_explanation": "",
                "status": BidStatus(plan.final),
                "award_pence": plan.award,
                "spent_pence": plan.spent,
                "outcome_summary": plan.outcome_summary,
                "created_by_id": member_id[plan.contact],
                "created_at": created,
                "updated_at": plan.steps[-1].at,
                "submitted_at": plan.submitted_at,
            }
        )
    for start in range(0, len(rows), SPEND_CHUNK):
        connection.execute(insert(Bid.__table__), rows[start : start + SPEND_CHUNK])
    ids = dict(connection.execute(select(Bid.reference, Bid.id).where(Bid.year_id == year_id)).all())
    hashes = {}
    for row in rows:
        bid = SimpleNamespace(**row)  # what content_hash reads of a bid, without a model's cost
        hashes[row["reference"]] = (content_hash(bid), content_of(bid))

    # Score sheets.
    sheets = []
    for plan in plans:
        bid_id = ids[reference(year, plan.sequence)]
        for handle, scores, stance, comment, moment in plan.sheets:
            sheets.append(
                {
                    "bid_id": bid_id,
                    "member_id": member_id[handle],
                    "version": 1,
                    "current": True,
                    "scores": canonical_json(scores),
                    "stance": Stance(stance),
                    "comment": comment,
                    "created_at": moment,
                }
            )
    for start in range(0, len(sheets), SPEND_CHUNK):
        connection.execute(insert(ScoreSheet.__table__), sheets[start : start + SPEND_CHUNK])
    result.score_sheets += len(sheets)

    # Ledger entries of awards, variations and releases.
    entries = []
    balance = {"upfront": 0, "tactical": 0}
    for plan in plans:
        bid_id = ids[reference(year, plan.sequence)]
        pot = ledger.pot_account(PotKind(plan.pot))
        for movement, booked, actor, moment in plan.ledger:
            entries.append(
                ledger.entry_row(
                    partnership_id,
                    year_id,
                    movement,
                    actor_id=member_id[actor],
                    on=booked,
                    created_at=moment,
                    bid_id=bid_id,
                )
            )
            if movement.from_account == pot:
                balance[plan.pot] -= movement.pence
            if movement.to_account == pot:
                balance[plan.pot] += movement.pence
        result.awarded_pence += plan.award or 0
    result.ledger_entries += ledger.post_many(connection, entries)
    # The pots' cached balances move with the ledger, by conditional update as debit_pot does.
    for kind, delta in balance.items():
        done = connection.execute(
            update(Pot)
            .where(Pot.year_id == year_id, Pot.kind == PotKind(kind), Pot.uncommitted_pence + delta >= 0)
            .values(uncommitted_pence=Pot.uncommitted_pence + delta)
        )
        if done.rowcount != 1:
            raise RuntimeError(f"the {kind} pot of {year.label} cannot take {delta} pence")

    # Payments, as monthly finance-system imports on the 3rd of the next month.
    by_month: dict[date, list[tuple[BidPlan, date, int, str, str]]] = defaultdict(list)
    for plan in plans:
        for paid_on, pence, supplier, invoice in plan.payments:
            by_month[paid_on.replace(day=1)].append((plan, paid_on, pence, supplier, invoice))
            result.spent_pence += pence
    import_events = []
    treasurer = member_id["treasurer"]
    for month in sorted(by_month):
        lines = by_month[month]
        lines.sort(key=lambda item: (item[1], item[0].sequence, item[4]))
        imported_on = _month_after(month).replace(day=3)
        moment = datetime(imported_on.year, imported_on.month, imported_on.day, 8, tzinfo=UTC)
        name = f"finance-{month:%Y-%m}.csv"
        digest = hashlib.sha256(b"date,reference,amount,supplier,invoice\r\n")
        by_bid: dict[str, int] = defaultdict(int)
        for plan, paid_on, pence, supplier, invoice in lines:
            ref = reference(year, plan.sequence)
            digest.update(f"{paid_on},{ref},{pence / 100:.2f},{supplier},{invoice}\r\n".encode())
            by_bid[ref] += pence
        total = sum(by_bid.values())
        import_id = connection.execute(
            insert(SpendImport.__table__).returning(SpendImport.__table__.c.id),
            {
                "partnership_id": partnership_id,
                "file_name": name,
                "sha256": digest.hexdigest(),
                "rows": len(lines),
                "imported": len(lines),
                "skipped": 0,
                "total_pence": total,
                "actor_id": treasurer,
                "created_at": moment,
            },
        ).scalar_one()
        for start in range(0, len(lines), SPEND_CHUNK):
            chunk = lines[start : start + SPEND_CHUNK]
            connection.execute(
                insert(Spend.__table__),
                [
                    {
                        "bid_id": ids[reference(year, plan.sequence)],
                        "paid_on": paid_on,
                        "amount_pence": pence,
                        "supplier": supplier,
                        "invoice": invoice,
                        "invoice_key": invoice_key(invoice),
                        "import_id": import_id,
                        "actor_id": treasurer,
                        "created_at": moment,
                    }
                    for plan, paid_on, pence, supplier, invoice in chunk
                ],
            )
            # The services' own movement (accounts, kind, reason) for each line, so the generated
            # ledger cannot drift from what `spend import` books.
            entries = []
            for plan, paid_on, pence, supplier, invoice in chunk:
                ref = reference(year, plan.sequence)
                movement = ledger.payment_movement(ref, pence, supplier, invoice)
                entries.append(
                    ledger.entry_row(
                        partnership_id,
                        year_id,
                        movement,
                        actor_id=treasurer,
                        on=paid_on,
                        created_at=moment,
                        bid_id=ids[ref],
                    )
                )
            ledger.post_many(connection, entries)
        result.spend_lines += len(lines)
        result.ledger_entries += len(lines)
        result.spend_imports += 1
        import_events.append(
            Step(
                moment,
                "treasurer",
                "spend.import",
                None,
                None,
                details={
                    "file": name,
                    "sha256": digest.hexdigest(),
                    "rows": len(lines),
                    "imported": len(lines),
                    "skipped": 0,
                    **_money("total", total),
                    "by_bid": dict(sorted(by_bid.items())),
                },
            )
        )

    # The audit trail: every step of every bid and every import, in time order.
    events: list[tuple[datetime, int, int, str | None, Step]] = []
    for plan in plans:
        ref = reference(year, plan.sequence)
        for n, item in enumerate(plan.steps):
            events.append((item.at, plan.sequence, n, ref, item))
    for n, item in enumerate(import_events):
        events.append((item.at, 0, n, None, item))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    events_chain = chain(connection, partnership_id)
    weights = year.criteria
    for _, _, _, ref, item in events:
        if ref is None:
            subject = f"import {item.details['file']}"
            events_chain.add(item.actor, item.action, subject, at=stamp(item.at), details=item.details)
            continue
        digest, content = hashes[ref]
        details = item.details
        if item.action == "bid.new":
            details = {**details, **{k: v for k, v in content.items() if v not in ("", None)}}
        elif item.action == "score.submit":
            details = {**details, "percent": percent_text(sheet_percent(details["scores"], weights))}
        events_chain.add(
            item.actor,
            item.action,
            f"bid {ref}",
            at=stamp(item.at),
            from_state=item.from_state,
            to_state=item.to_state,
            reason=item.reason,
            details=details,
            content_hash=digest,
        )
    events_chain.flush()
    result.audit_events += events_chain.written
    result.bids += len(plans)
    result.states.update(plan.final for plan in plans)


def close_year(connection: Any, partnership_id: int, year_id: int, year: YearContext) -> int:
    """Close a year as a rollover does, for a grants without `grants.rollover`: what the pots hold
    goes back to the PCC (pot:X → returned) and the year closes."""
    from sqlalchemy import select, update

    from grants import ledger
    from grants.models import FundingYear, Pot, YearStatus

    officer = year.members[OFFICER][0]
    moment = datetime(year.ends_on.year, year.ends_on.month, year.ends_on.day, 17, tzinfo=UTC)
    returned = {}
    for pot_id, kind, left in connection.execute(
        select(Pot.id, Pot.kind, Pot.uncommitted_pence).where(Pot.year_id == year_id).order_by(Pot.kind)
    ).all():
        returned[kind.value] = left
        if left:
            returned_entry = ledger.return_movement(kind, year.label, left)
            ledger.post_many(
                connection,
                [
                    ledger.entry_row(
                        partnership_id,
                        year_id,
                        returned_entry,
                        actor_id=officer,
                        on=year.ends_on,
                        created_at=moment,
                    )
                ],
            )
            connection.execute(
                update(Pot).where(Pot.id == pot_id, Pot.uncommitted_pence == left).values(uncommitted_pence=0)
            )
    connection.execute(
        update(FundingYear)
        .where(FundingYear.id == year_id)
        .values(status=YearStatus.closed, closed_at=moment)
    )
    closing = chain(connection, partnership_id)
    closing.add(
        OFFICER,
        "year.close",
        f"year {year.label}",
        at=stamp(moment),
        from_state="open",
        to_state="closed",
        details={f"returned_{kind}_pence": pence for kind, pence in sorted(returned.items())}
        | {"returned_pence": sum(returned.values())},
    )
    closing.flush()
    return sum(1 for v in returned.values() if v)


# --- the whole run --------------------------------------------------------------------------------


def _setup_partnership(url: str, index: int) -> tuple[str, str]:
    """A partnership, its organisations and its members, through the services."""
    from grants import partnerships
    from grants.options import Options
    from grants.scope import open_scope

    district = DISTRICTS[index % len(DISTRICTS)]
    suffix = "" if index < len(DISTRICTS) else f" {index // len(DISTRICTS) + 1}"
    name = f"{district} Community Safety Partnership{suffix}"
    from grants.reference import slugify

    slug = slugify(f"{district} csp{suffix}")[:40]
    from grants.partnership_file import preset

    spec = partnerships.prepare_init(
        preset("kent"),
        name=name,
        slug=slug,
        officer_handle=OFFICER,
        officer_name=f"{district} Community Safety Officer",
        officer_org="kcc",
        # Each partnership its own 360Giving prefix: their bid references repeat.
        funder_prefix=f"kentpcc-{slug}"[:50],
    )
    partnerships.init_partnership(Options(db=url, actor=OFFICER), spec)
    options = Options(db=url, actor=OFFICER, partnership=slug)
    with open_scope(options, write=True) as scope:
        for key, org_name, _ in OTHER_ORGS:
            partnerships.add_organisation(
                scope, key=key, name=org_name, responsible_authority=False, org_id=None
            )
        people = [
            ("chair", f"Chair of the {district} CSP", "districts", "chair"),
            ("opcc", "OPCC Commissioning Officer", "opcc", "pcc"),
            ("treasurer", f"{district} CSP Treasurer", "districts", "treasurer"),
            *((handle, f"Working Group: {org}", org, "member") for handle, org in WORKING_GROUP),
            *((handle, f"Project lead: {org_name}", key, "partner") for key, org_name, handle in OTHER_ORGS),
        ]
        for handle, person, org, roles in people:
            partnerships.add_member(scope, handle=handle, name=person, organisation=org, roles=roles)
    return slug, name


def generate(
    url: str | None = None,
    seed: int = 1,
    partnerships: int = 1,
    years: int = 1,
    bids: int = 50,
    spend: int = 5,
    *,
    replace: bool = False,
    check: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> Generated:
    """Fill a new grants database at `url` (default: a SQLite file in a new temporary folder)."""
    from sqlalchemy import select

    from grants import years as years_service
    from grants.db import normalise_url, session_scope
    from grants.demo import prepare_database
    from grants.models import Criterion, FundingYear, Member, Organisation, Partnership
    from grants.money import DEFAULT_TACTICAL_SHARE, Money
    from grants.options import Options
    from grants.scope import acting_on, open_scope

    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='grants-bench-')) / 'grants.sqlite'}"
    url = normalise_url(url)
    if min(partnerships, years) < 1 or min(bids, spend) < 0:
        raise ValueError("partnerships and years must be at least 1; bids and spend at least 0")
    prepare_database(url, replace=replace)
    result = Generated(url)
    started = time.perf_counter()
    first = LAST_YEAR - years + 1
    try:  # the year-end rollover service, where this version of grants has one
        from grants.rollover import rollover
    except ImportError:
        rollover = None
    from grants.reference import DEFAULT_CRITERIA

    for p in range(partnerships):
        slug, _ = _setup_partnership(url, p)
        result.partnerships += 1
        options = Options(db=url, actor=OFFICER, partnership=slug)
        with session_scope(url, write=False) as session:
            pid = session.execute(select(Partnership.id).where(Partnership.slug == slug)).scalar_one()
            members = {
                m.handle: (m.id, org)
                for m, org in session.execute(
                    select(Member, Organisation.key)
                    .join(Organisation, Organisation.id == Member.organisation_id)
                    .where(Member.partnership_id == pid)
                ).all()
            }
            orgs = dict(
                session.execute(
                    select(Organisation.key, Organisation.id).where(Organisation.partnership_id == pid)
                ).all()
            )
            programme = session.get(Partnership, pid).programme

        def plan(y: int, p: int = p, members: dict = members, orgs: dict = orgs, programme: str = programme):
            start_year = first + y
            label = f"{start_year}/{(start_year + 1) % 100:02d}"
            is_open = y == years - 1
            ends_on = date(start_year + 1, 3, 31)
            context = YearContext(
                label=label,
                starts_on=date(start_year, 4, 1),
                ends_on=ends_on,
                is_open=is_open,
                as_of=date(start_year, *AS_OF_MONTH_DAY) if is_open else ends_on,
                # The default criteria, copied forward each year (checked against the year below).
                criteria={key: weight for key, _, weight, _ in DEFAULT_CRITERIA},
                members=members,
                orgs=orgs,
                code=years_service.year_code(label),
                programme=programme,
            )
            plans = plan_year(random.Random(f"{seed}:{p}:{start_year}"), context, bids, spend)
            return context, plans, _allocation(plans)

        context, plans, allocation = plan(0)
        progress(f"{slug} {context.label}: opening with £{allocation // 100:,}")
        with acting_on(context.starts_on), open_scope(options, write=True) as scope:
            years_service.open_year(scope, context.label, Money(allocation), DEFAULT_TACTICAL_SHARE)
        for y in range(years):
            progress(f"{slug} {context.label}: writing {len(plans):,} bids")
            with session_scope(url, write=True) as session:
                year_id = session.execute(
                    select(FundingYear.id).where(
                        FundingYear.partnership_id == pid, FundingYear.label == context.label
                    )
                ).scalar_one()
                weights = dict(
                    session.execute(
                        select(Criterion.key, Criterion.weight).where(Criterion.year_id == year_id)
                    ).all()
                )
                if set(weights) != set(context.criteria):
                    raise RuntimeError(f"{context.label} has criteria {sorted(weights)}, not the defaults")
                context.criteria = {k: weights[k] for k in context.criteria}
                write_year(session.connection(), pid, year_id, context, plans, result)
            result.years += 1
            if y == years - 1:
                break
            # Every project of the year is closed or cancelled and every bid decided: the rollover
            # returns what the pots hold to the PCC, closes the year and opens the next.
            following, next_plans, next_allocation = plan(y + 1)
            progress(
                f"{slug} {context.label}: rollover into {following.label} with £{next_allocation // 100:,}"
            )
            if rollover is not None:
                with acting_on(context.ends_on), open_scope(options, write=True) as scope:
                    rollover(scope, context.label, allocation=Money(next_allocation), apply=True)
            else:
                with session_scope(url, write=True) as session:
                    close_year(session.connection(), pid, year_id, context)
                with acting_on(following.starts_on), open_scope(options, write=True) as scope:
                    years_service.open_year(
                        scope, following.label, Money(next_allocation), DEFAULT_TACTICAL_SHARE
                    )
            context, plans = following, next_plans
    # The events written in bulk carry no seals: one baseline event per partnership seals the rows
    # and state as generated (what `grants db upgrade` does for a database made before seals).
    from grants.audit_chain import baseline_all

    with session_scope(url, write=True) as session:
        baseline_all(session, "generated in bulk by bench.generate: the rows as generated are sealed")
    result.seconds = time.perf_counter() - started
    if check:
        from grants.checks import run_checks

        started = time.perf_counter()
        with session_scope(url, write=False) as session:
            for partnership in session.execute(select(Partnership).order_by(Partnership.id)).scalars():
                result.problems.extend(
                    f"{partnership.slug}: {p.check}: {p.message}" for p in run_checks(session, partnership)
                )
        result.check_seconds = time.perf_counter() - started
    # The audit events the services wrote (partnership, organisations, members) count too.
    with session_scope(url, write=False) as session:
        from sqlalchemy import func

        from grants.models import AuditEvent, LedgerEntry

        result.audit_events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        result.ledger_entries = session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--partnerships", type=int, default=1, help="partnerships (default 1)")
    parser.add_argument(
        "--years", type=int, default=1, help="funding years per partnership, ending 2026/27 (default 1)"
    )
    parser.add_argument("--bids", type=int, default=50, help="bids per year (default 50)")
    parser.add_argument("--spend", type=int, default=5, help="payments per completed project (default 5)")
    parser.add_argument("--db", help="database URL or SQLite path (default: a new temporary folder)")
    parser.add_argument("--replace", action="store_true", help="replace an existing database at --db")
    parser.add_argument("--no-check", dest="check", action="store_false", help="skip the integrity checks")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    say = (lambda _: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    result = generate(
        args.db,
        args.seed,
        args.partnerships,
        args.years,
        args.bids,
        args.spend,
        replace=args.replace,
        check=args.check,
        progress=say,
    )
    print(result.summary())
    return 1 if result.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
