"""Scoring and shortlisting: criteria, blind score sheets, conflicts, quorum and consensus."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from grants import clock
from grants.audit_chain import canonical_json
from grants.bids import BidRow, content_hash, find_bid, subject
from grants.errors import BadInput, NotFound, Refused, shown
from grants.identity import find_member, holds_scoring_role, roles_for_bid
from grants.models import (
    Bid,
    Criterion,
    FundingYear,
    Interest,
    Member,
    Organisation,
    ScoreSheet,
    Stance,
    id_of,
)
from grants.money import Money
from grants.partnerships import clean_text
from grants.permissions import require
from grants.scope import Scope
from grants.wording import counted, verb
from grants.years import ensure_open, find_year, money_year
from workflows import policy
from workflows.bid_lifecycle import SCORABLE, SCORED
from workflows.policy import Action

MAX_SCORE = 5
CRITERION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COMMENT_LIMIT = 2000

# --- the maths -------------------------------------------------------------------------------


def sheet_percent(scores: dict[str, int | None], weights: dict[str, int]) -> Fraction | None:
    """Weighted mean of the scored criteria as a percentage; `na` (None) counts in neither part."""
    scored = [(weights[key], value) for key, value in scores.items() if value is not None and key in weights]
    denominator = sum(weight * MAX_SCORE for weight, _ in scored)
    if not denominator:
        return None
    return Fraction(100 * sum(weight * value for weight, value in scored), denominator)


def percent_text(value: Fraction | None) -> str:
    """One decimal place, halves rounded up: Fraction(145, 2) → '72.5%'."""
    if value is None:
        return "—"
    tenths = (value * 10 + Fraction(1, 2)).__floor__()
    return f"{tenths // 10}.{tenths % 10}%"


def tenths(value: Fraction | None) -> int | None:
    return None if value is None else (value * 10 + Fraction(1, 2)).__floor__()


# --- criteria --------------------------------------------------------------------------------


def criteria_of(scope: Scope, year: FundingYear) -> list[Criterion]:
    return list(
        scope.session.execute(
            select(Criterion)
            .where(Criterion.year_id == year.id, Criterion.removed_at.is_(None))
            .order_by(Criterion.position, Criterion.key)
        ).scalars()
    )


def descriptors_of(criterion: Criterion) -> list[str]:
    """What a score of 0, 1, … 5 means for this criterion ([] when the partnership set none)."""
    return list(json.loads(criterion.descriptors or "[]"))


# What 0–5 mean to a member scoring a criterion whose partnership described no scale of its own
# (the Kent preset describes none): the scale `criteria edit --descriptors` suggests.
GENERIC_MEANINGS = ("Not addressed", "Poor", "Weak", "Adequate", "Good", "Excellent")


def score_meanings(criterion: Criterion) -> list[str]:
    """What 0, 1, … 5 mean when scoring this criterion: its own six descriptors, or the generic scale."""
    own = descriptors_of(criterion)
    return own if len(own) == MAX_SCORE + 1 else list(GENERIC_MEANINGS)


def criteria_in(scope: Scope, year: FundingYear | None, *, removed: bool = False) -> list[Criterion]:
    """A year's criteria, or the partnership's template (year None); or those removed from it."""
    where = Criterion.year_id == year.id if year else Criterion.year_id.is_(None)
    gone = Criterion.removed_at.is_not(None) if removed else Criterion.removed_at.is_(None)
    return list(
        scope.session.execute(
            select(Criterion)
            .where(Criterion.partnership_id == scope.partnership.id, where, gone)
            .order_by(Criterion.position, Criterion.key)
        ).scalars()
    )


def criteria_year(scope: Scope) -> FundingYear | None:
    """The year whose criteria may change: the open year while none of its bids is in scoring and
    no sheet is scored (changing them would change every score), or the template before any year."""
    from grants.priorities import editable_year

    year = editable_year(scope, "criteria change")
    if year is None:
        return None
    in_scoring = list(
        scope.session.execute(
            select(Bid.reference)
            .where(Bid.year_id == year.id, col(Bid.status).in_(SCORABLE))
            .order_by(Bid.sequence)
        ).scalars()
    )
    if in_scoring:
        raise Refused(
            f"the criteria of {year.label} are fixed while bids are in scoring ({', '.join(in_scoring)}); "
            "changing them would change every score"
        )
    sheets = scope.session.execute(
        select(func.count())
        .select_from(ScoreSheet)
        .join(Bid, Bid.id == ScoreSheet.bid_id)
        .where(Bid.year_id == year.id)
    ).scalar_one()
    if sheets:
        raise Refused(
            f"the criteria of {year.label} are fixed once scoring has begun ({sheets} sheets scored); "
            "changing them would change every score"
        )
    return year


def parse_descriptors(text: str) -> list[str]:
    """`Not addressed|Poor|Weak|Adequate|Good|Excellent` → six texts, for scores 0 to 5 ('' clears)."""
    if not text.strip():
        return []
    parts = [clean_text(part, "descriptor", limit=300) for part in text.split("|")]
    if len(parts) != MAX_SCORE + 1:
        raise BadInput(
            f"give six descriptors separated by '|', for the scores 0, 1, 2, 3, 4 and 5 ({len(parts)} given)"
        )
    return parts


def set_criterion(
    scope: Scope,
    key: str,
    *,
    title: str | None,
    weight: int | None,
    description: str | None,
    descriptors: str | None = None,
    must_exist: bool = False,
) -> tuple[Criterion, bool]:
    """Add or change a criterion of the year (officer), only before its scoring begins."""
    require(scope, Action.set_criteria)
    year = criteria_year(scope)
    if not CRITERION_KEY.match(key):
        raise BadInput(
            f"criterion key {key!r} is not usable: use lower-case letters, digits and '_', e.g. fit_pcc"
        )
    if weight is not None and not 1 <= weight <= 100:
        raise BadInput(f"weight {weight} is out of range; give a whole number from 1 to 100")
    criterion, created = _criterion_to_set(scope, year, key, title, weight, must_exist)
    before = _criterion_fields(criterion)
    if title is not None:
        criterion.title = clean_text(title, "criterion title")
    if weight is not None:
        criterion.weight = weight
    if description is not None:
        criterion.description = clean_text(description, "criterion description", limit=1000, required=False)
    if descriptors is not None:
        criterion.descriptors = json.dumps(parse_descriptors(descriptors), ensure_ascii=False)
    after = _criterion_fields(criterion)
    if not created and before == after:
        raise BadInput(f"nothing to change: give --title, --weight, --description or --descriptors for {key}")
    scope.session.add(criterion)
    scope.session.flush()
    scope.audit(
        "criterion.set",
        f"criterion {key} {year.label if year else 'template'}",
        details={"before": None if created else before, "after": after},
    )
    return criterion, created


def _criterion_to_set(
    scope: Scope,
    year: FundingYear | None,
    key: str,
    title: str | None,
    weight: int | None,
    must_exist: bool,
) -> tuple[Criterion, bool]:
    """The criterion `key` of the year (or template), and whether it is new: an existing one, a
    removed one brought back, or a new row; `must_exist` refuses the last two."""
    existing = {c.key: c for c in criteria_in(scope, year)}
    criterion = existing.get(key)
    if criterion is not None:
        return criterion, False
    if must_exist:
        label = year.label if year else "the template"
        raise NotFound(f"{label} has no criterion {key!r}; known: {', '.join(existing) or 'none'}")
    if not title or weight is None:
        raise BadInput(f"a new criterion needs --title and --weight (there is no criterion {key!r} yet)")
    position = max((c.position for c in existing.values()), default=0) + 1
    removed = next((c for c in criteria_in(scope, year, removed=True) if c.key == key), None)
    if removed is not None:
        # Adding back a removed criterion brings its row back (a key is unique within its year).
        removed.removed_at = None
        removed.position = position
        return removed, True
    criterion = Criterion(
        partnership_id=scope.partnership.id,
        year_id=year.id if year else None,
        key=key,
        title="",
        weight=weight,
        description="",
        position=position,
    )
    return criterion, True


def _criterion_fields(criterion: Criterion) -> dict[str, Any]:
    """What `criterion.set` records before and after a change."""
    return {
        "title": criterion.title,
        "weight": criterion.weight,
        "description": criterion.description,
        "descriptors": json.loads(criterion.descriptors or "[]"),
    }


def remove_criterion(scope: Scope, key: str) -> tuple[Criterion, FundingYear | None, int]:
    """Remove a criterion of the year (officer), only before its scoring begins. Returns it, the
    year, and what the remaining weights sum to."""
    require(scope, Action.set_criteria)
    year = criteria_year(scope)
    existing = criteria_in(scope, year)
    criterion = next((c for c in existing if c.key == key), None)
    label = year.label if year else "the template"
    if criterion is None:
        raise NotFound(
            f"{label} has no criterion {shown(key)}; known: {', '.join(c.key for c in existing) or 'none'}"
        )
    if len(existing) == 1:
        raise Refused(f"{key} is the only criterion of {label}; a bid needs at least one to be scored")
    # Never a DELETE (members' database logins have none): the row stays, marked removed.
    criterion.removed_at = clock.now()
    scope.session.add(criterion)
    scope.session.flush()
    remaining = sum(c.weight for c in existing if c.key != key)
    scope.audit(
        "criterion.remove",
        f"criterion {key} {year.label if year else 'template'}",
        details={"title": criterion.title, "weight": criterion.weight, "remaining_weights": remaining},
    )
    return criterion, year, remaining


# --- conflicts -------------------------------------------------------------------------------


def declare_interest(scope: Scope, handle: str, reference: str, reason: str) -> Interest:
    """Record a member's interest in a bid (the member themself, or an officer)."""
    actor = scope.actor
    member = find_member(scope.session, scope.partnership, handle)
    if member is None:
        raise NotFound(f"there is no member {handle!r}")
    require(scope, Action.declare_interest, for_handle=handle, subject=f"for {handle}")
    reason = clean_text(reason, "reason", limit=COMMENT_LIMIT)
    # No row lock on the bid (FOR UPDATE needs UPDATE privilege on it, which a scorer has not):
    # every write holds the partnership's row lock, so writes to one partnership are serial.
    bid = find_bid(scope, reference)
    ensure_open(money_year(scope.session, bid))
    if scope.session.execute(
        select(Interest.id).where(Interest.bid_id == bid.id, Interest.member_id == member.id)
    ).first():
        raise Refused(f"{handle} has already declared an interest in {bid.reference}")
    interest = Interest(
        bid_id=bid.id,
        member_id=member.id,
        reason=reason,
        declared_by_id=actor.id,
        created_at=clock.now(),
    )
    scope.session.add(interest)
    scope.session.flush()
    scope.audit(
        "member.interest",
        subject(bid),
        from_state=bid.status.value,
        to_state=bid.status.value,
        reason=reason,
        details={"member": handle},
        content_hash=content_hash(bid),
    )
    return interest


# --- sheets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    """The bids in scoring a member may score, in order, and which of them have their sheet."""

    references: list[str]
    saved: frozenset[str]

    @property
    def waiting(self) -> list[str]:
        return [ref for ref in self.references if ref not in self.saved]

    def place(self, reference: str) -> str:
        """'bid 3 of 7; 4 waiting for your sheet' (the place is left out for a bid not in it)."""
        total = len(self.references)
        waiting = len(self.waiting)
        rest = f"{waiting} waiting for your sheet" if waiting else "every one has your sheet"
        if reference not in self.references:
            return f"{total} bid{'s' if total != 1 else ''} to score; {rest}"
        return f"bid {self.references.index(reference) + 1} of {total}; {rest}"


@dataclass(frozen=True)
class SheetForm:
    """What a member needs in front of them to score a bid: the bid, the criteria, their last
    sheet of it (to pre-fill), and their place in their queue."""

    row: BidRow
    criteria: list[Criterion]
    previous: ScoreSheet | None
    queue: Queue

    def earlier_answers(self) -> tuple[dict[str, str], Stance | None, str]:
        """The member's last sheet as answers to start from: {'need': '4', 'value': 'na'},
        stance and comment; nothing when this is their first sheet of the bid."""
        if self.previous is None:
            return {}, None, ""
        scores = json.loads(self.previous.scores)
        answers = {
            c.key: ("na" if scores[c.key] is None else str(scores[c.key]))
            for c in self.criteria
            if c.key in scores
        }
        return answers, self.previous.stance, self.previous.comment

    def percent_so_far(self, given: dict[str, str]) -> Fraction | None:
        """The weighted percentage of the answers given so far (unusable ones left out): the live
        figure while scoring, the same rule as the saved sheet's."""
        scores: dict[str, int | None] = {}
        for key, answer in given.items():
            try:
                scores[key] = parse_score(key, answer)
            except BadInput:
                continue
        return sheet_percent(scores, {c.key: c.weight for c in self.criteria})


def _scorable(scope: Scope, reference: str, *, lock: bool) -> tuple[Bid, Member]:
    bid = find_bid(scope, reference, lock=lock)
    member = require(scope, Action.score, bid)
    ensure_open(money_year(scope.session, bid))
    if bid.status not in SCORABLE:
        raise Refused(
            f"{bid.reference} is {bid.status.value}: sheets can be scored or changed only while it is in scoring"
        )
    return bid, member


def own_sheet(scope: Scope, bid: Bid, member: Member) -> ScoreSheet | None:
    return scope.session.execute(
        select(ScoreSheet).where(
            ScoreSheet.bid_id == bid.id, ScoreSheet.member_id == member.id, ScoreSheet.current
        )
    ).scalar_one_or_none()


def sheet_form(scope: Scope, reference: str) -> SheetForm:
    """Check the actor may score the bid and give them its details and the criteria."""
    from grants.bids import bid_detail

    bid, member = _scorable(scope, reference, lock=False)
    row, _ = bid_detail(scope, bid.reference)
    return SheetForm(row, criteria_of(scope, row.year), own_sheet(scope, bid, member), scoring_queue(scope))


def parse_score(key: str, text: str) -> int | None:
    value = text.strip().lower()
    if value in ("na", "n/a"):
        return None
    if value.isdigit() and 0 <= int(value) <= MAX_SCORE:
        return int(value)
    raise BadInput(f"score {text!r} for {key} is not usable; give a whole number from 0 to 5, or na")


def parse_criterion_flags(flags: list[str]) -> dict[str, str]:
    """`fit_pcc=4` … → {'fit_pcc': '4'}."""
    given: dict[str, str] = {}
    for flag in flags:
        key, sep, value = flag.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--criterion {flag!r} should look like KEY=N or KEY=na, e.g. fit_pcc=4")
        key = key.strip()
        if key in given:
            raise BadInput(
                f"--criterion {key} is given twice ({shown(given[key])} and {shown(value)}); give each criterion once"
            )
        given[key] = value
    return given


def stance_at_odds(percent: Fraction | None, stance: Stance) -> str | None:
    """Words for a stance the scores contradict (support at 0%, oppose at 100%), or None.

    Not a refusal: a member may weigh what the criteria do not. But it is most often a slip (a
    stance left at its default, a score typed in the wrong box), so a person at the keyboard is
    asked to confirm it and a scripted sheet is saved with a warning.
    """
    if percent == 0 and stance == Stance.support:
        return "the scores come to 0.0% but the stance is support"
    if percent == 100 and stance == Stance.oppose:
        return "the scores come to 100.0% but the stance is oppose"
    return None


def parse_stance(text: str) -> Stance:
    try:
        return Stance(text.strip().lower())
    except ValueError as error:
        raise BadInput(f"stance {text!r} is not one of support, oppose, abstain") from error


@dataclass(frozen=True)
class SheetResult:
    bid: Bid
    sheet: ScoreSheet
    percent: Fraction | None
    replaced: bool


def submit_sheet(
    scope: Scope, reference: str, given: dict[str, str], stance: Stance, comment: str = ""
) -> SheetResult:
    """Record the actor's sheet for a bid in scoring; a re-score replaces it and keeps history."""
    bid, member = _scorable(scope, reference, lock=False)  # serial already: see declare_interest
    criteria = criteria_of(scope, scope.session.get_one(FundingYear, bid.year_id))
    keys = [c.key for c in criteria]
    unknown = sorted(set(given) - set(keys))
    if unknown:
        raise BadInput(f"unknown criterion {', '.join(unknown)}; the criteria are: {', '.join(keys)}")
    missing = [k for k in keys if k not in given]
    if missing:
        raise BadInput(f"give a score for every criterion; missing: {', '.join(missing)}")
    scores = {key: parse_score(key, given[key]) for key in keys}
    if all(v is None for v in scores.values()):
        raise BadInput("score at least one criterion; a sheet of only na has no score")
    comment = clean_text(comment or "", "comment", limit=COMMENT_LIMIT, required=False)
    previous = own_sheet(scope, bid, member)
    if previous is not None:
        previous.current = False
        scope.session.add(previous)
        scope.session.flush()
    sheet = ScoreSheet(
        bid_id=bid.id,
        member_id=member.id,
        version=(previous.version + 1) if previous else 1,
        current=True,
        scores=canonical_json(scores),
        stance=stance,
        comment=comment,
        created_at=clock.now(),
    )
    scope.session.add(sheet)
    scope.session.flush()
    percent = sheet_percent(scores, {c.key: c.weight for c in criteria})
    scope.audit(
        "score.rescore" if previous else "score.submit",
        subject(bid),
        from_state=bid.status.value,
        to_state=bid.status.value,
        details={
            "member": member.handle,
            "version": sheet.version,
            "scores": scores,
            "stance": stance.value,
            "comment": comment,
            "percent": percent_text(percent),
        },
        content_hash=content_hash(bid),
    )
    return SheetResult(bid, sheet, percent, previous is not None)


def scoring_queue(scope: Scope) -> Queue:
    """The actor's queue: the year's bids in scoring that they may score (not their own
    organisation's, not one they declared an interest in), and which already have their sheet."""
    member = require(scope, Action.score)
    year = find_year(scope)
    done = select(ScoreSheet.bid_id).where(ScoreSheet.member_id == member.id, ScoreSheet.current)
    declared = select(Interest.bid_id).where(Interest.member_id == member.id)
    rows = scope.session.execute(
        select(Bid.reference, Bid.id.in_(done))
        .where(
            Bid.year_id == year.id,
            col(Bid.status).in_(SCORABLE),
            Bid.lead_organisation_id != member.organisation_id,
            Bid.id.not_in(declared),
        )
        .order_by(Bid.sequence)
    ).all()
    return Queue([ref for ref, _ in rows], frozenset(ref for ref, saved in rows if saved))


def next_for(scope: Scope) -> str | None:
    """The first bid in scoring still waiting for the actor's sheet (not one they are recused from)."""
    waiting = scoring_queue(scope).waiting
    return waiting[0] if waiting else None


# --- assessing bids --------------------------------------------------------------------------


@dataclass
class SheetView:
    member: str
    organisation: str
    responsible_authority: bool
    scores: dict[str, int | None]
    stance: Stance
    comment: str
    percent: Fraction | None
    version: int


@dataclass
class Assessment:
    """Everything the working group needs to decide on one bid."""

    bid: Bid
    organisation: Organisation
    sheets: list[SheetView] = field(default_factory=list)
    recused: list[str] = field(default_factory=list)
    mean: Fraction | None = None
    spread: Fraction | None = None
    authorities: list[str] = field(default_factory=list)
    missing_authorities: list[str] = field(default_factory=list)
    # Members who may score the bid and have not, from responsible authorities not yet represented.
    still_to_score: list[str] = field(default_factory=list)
    quorum_needed: int = 0
    quorum: bool = False
    consensus: bool = False
    flags: list[str] = field(default_factory=list)
    recommendation: str = ""
    running_total: Money | None = None
    rank: int | None = None
    # Set when the viewer may not see these scores: the policy's reason. `sheets_withheld` alone:
    # the viewer sees the mean and stances, not the sheets.
    withheld: str | None = None
    sheets_withheld: str | None = None
    order_withheld: str | None = None

    def stance_counts(self) -> dict[str, int]:
        counts = Counter(s.stance.value for s in self.sheets)
        return {stance.value: counts.get(stance.value, 0) for stance in Stance}

    def to_row(self, rank: int | None = None) -> dict[str, Any]:
        """One ranking line, the same for the table, JSON, CSV and Markdown; what the viewer may
        not see is WITHHELD, with the reason."""
        from grants.money import money_fields
        from grants.visibility import WITHHELD

        rank = self.rank if rank is None else rank

        counts = self.stance_counts()
        row: dict[str, Any] = {
            "rank": rank,
            "reference": self.bid.reference,
            "title": self.bid.title,
            "organisation": self.organisation.key,
            **money_fields("amount", Money(self.bid.amount_requested_pence)),
            "pot": self.bid.pot.value,
            "state": self.bid.status.value,
            "mean": percent_text(self.mean) if self.sheets else None,
            "mean_tenths": tenths(self.mean),
            "spread": percent_text(self.spread)[:-1] if self.spread is not None else None,
            "sheets": len(self.sheets),
            "organisations": len({s.organisation for s in self.sheets}),
            "authorities": self.authorities,
            "quorum": self.quorum,
            "support": counts["support"],
            "oppose": counts["oppose"],
            "abstain": counts["abstain"],
            "flags": self.flags,
            "recommendation": self.recommendation,
        }
        if self.running_total is not None:
            row.update(money_fields("running_total", self.running_total))
        else:
            row.update(running_total_pence=None, running_total=None)
        row["withheld"] = self.withheld
        if self.withheld:
            for key in SCORE_FIELDS:
                row[key] = WITHHELD
            row["flags"] = [WITHHELD]
        if self.withheld or self.order_withheld:
            for key in ORDER_FIELDS:
                row[key] = WITHHELD
            row["withheld"] = self.withheld or self.order_withheld
        return row

    def sheets_json(self) -> list[dict[str, Any]] | str:
        from grants.visibility import WITHHELD

        if self.withheld or self.sheets_withheld:
            return WITHHELD
        return [
            {
                "member": s.member,
                "organisation": s.organisation,
                "scores": s.scores,
                "stance": s.stance.value,
                "comment": s.comment,
                "percent": percent_text(s.percent),
                "version": s.version,
            }
            for s in self.sheets
        ]


# What a ranking line says about the scores, and what depends on every line's scores.
SCORE_FIELDS = ("mean", "mean_tenths", "spread", "support", "oppose", "abstain", "recommendation")
ORDER_FIELDS = ("rank", "running_total_pence", "running_total")


def year_rules(year: FundingYear) -> tuple[int, int, int]:
    """The year's quorum, consensus threshold and moderation spread, as they were when it opened."""
    return year.quorum_authorities, year.consensus_threshold, year.moderation_spread


@dataclass(frozen=True)
class _Room:
    """What every bid of one assessment is judged against: the year's rules and criteria, the
    partnership's responsible authorities, who could still score, and the interests declared."""

    quorum_needed: int
    threshold: int
    spread_limit: int
    weights: dict[str, int]
    authorities: dict[int, Organisation]
    scorers: list[tuple[Member, Organisation]]
    interests: set[tuple[int, int]]


def assess(scope: Scope, bids: list[tuple[Bid, Organisation]]) -> list[Assessment]:
    """Mean, spread, quorum, consensus and flags for each bid, from the current, eligible sheets."""
    if not bids:
        return []
    ids = [bid.id for bid, _ in bids]
    room = _room(scope, scope.session.get_one(FundingYear, bids[0][0].year_id), ids)
    sheets: dict[int, list[tuple[ScoreSheet, Member, Organisation]]] = {}
    for sheet, member, org in scope.session.execute(
        select(ScoreSheet, Member, Organisation)
        .join(Member, Member.id == ScoreSheet.member_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(col(ScoreSheet.bid_id).in_(ids), ScoreSheet.current)
        .order_by(Member.handle)
    ):
        sheets.setdefault(sheet.bid_id, []).append((sheet, member, org))
    results = []
    for bid, lead in bids:
        a = Assessment(bid, lead)
        _count_sheets(a, sheets.get(id_of(bid), []), room)
        _judge(a, room)
        results.append(a)
    return results


def _room(scope: Scope, year: FundingYear, ids: list[int | None]) -> _Room:
    quorum_needed, threshold, spread_limit = year_rules(year)
    authorities = {
        id_of(org): org
        for org in scope.session.execute(
            select(Organisation).where(
                Organisation.partnership_id == scope.partnership.id,
                Organisation.responsible_authority,
                Organisation.retired_at.is_(None),
            )
        ).scalars()
    }
    # Who could still bring an authority to the quorum: active members with the member role.
    scorers = [
        (member, authorities[member.organisation_id])
        for member in scope.session.execute(
            select(Member)
            .where(
                Member.partnership_id == scope.partnership.id,
                Member.retired_at.is_(None),
                col(Member.organisation_id).in_(list(authorities)),
            )
            .order_by(Member.handle)
        ).scalars()
        if holds_scoring_role(member)
    ]
    interests = {
        (bid_id, member_id)
        for bid_id, member_id in scope.session.execute(
            select(Interest.bid_id, Interest.member_id).where(col(Interest.bid_id).in_(ids))
        )
    }
    weights = {c.key: c.weight for c in criteria_of(scope, year)}
    return _Room(quorum_needed, threshold, spread_limit, weights, authorities, scorers, interests)


def _count_sheets(a: Assessment, sheets: list[tuple[ScoreSheet, Member, Organisation]], room: _Room) -> None:
    """Take in the bid's current sheets that the scoring policy counts; the others are recusals."""
    bid = a.bid
    for sheet, member, org in sheets:
        counts = policy.permitted(
            Action.score,
            roles_for_bid(member, bid.lead_organisation_id),
            {
                "responsible_authority": org.responsible_authority,
                "not_lead_organisation": org.id != bid.lead_organisation_id,
                "no_interest_declared": (bid.id, member.id) not in room.interests,
            },
        )
        if not counts:  # the policy's scoring rule, applied to sheets already in
            a.recused.append(member.handle)
            continue
        scores = json.loads(sheet.scores)
        a.sheets.append(
            SheetView(
                member.handle,
                org.key,
                org.responsible_authority,
                scores,
                sheet.stance,
                sheet.comment,
                sheet_percent(scores, room.weights),
                sheet.version,
            )
        )


def _judge(a: Assessment, room: _Room) -> None:
    """The bid's mean and spread, quorum, consensus, flags and recommendation from its sheets."""
    bid = a.bid
    percents = [s.percent for s in a.sheets if s.percent is not None]
    if percents:
        a.mean = sum(percents, Fraction(0)) / len(percents)
        a.spread = max(percents) - min(percents)
    represented = {s.organisation for s in a.sheets if s.responsible_authority}
    a.authorities = sorted(represented)
    a.missing_authorities = sorted(
        org.key
        for org in room.authorities.values()
        if org.key not in represented and org.id != bid.lead_organisation_id
    )
    a.still_to_score = [
        f"{member.handle} ({org.key})"
        for member, org in room.scorers
        if org.key not in represented
        and org.id != bid.lead_organisation_id
        and (bid.id, member.id) not in room.interests
    ]
    a.quorum_needed = room.quorum_needed
    a.quorum = len(represented) >= room.quorum_needed
    opposed = any(s.stance == Stance.oppose for s in a.sheets)
    a.consensus = a.quorum and not opposed and a.mean is not None and a.mean >= room.threshold
    if not a.quorum:
        a.flags.append("no quorum")
    if opposed:
        a.flags.append("opposed")
    if a.spread is not None and a.spread > room.spread_limit:
        a.flags.append("moderate")
    if any(bid_id == bid.id for bid_id, _ in room.interests):
        a.flags.append("interest declared")
    a.recommendation = "shortlist" if a.consensus else "more sheets needed" if not a.quorum else "decline"


def quorum_shortfall(a: Assessment) -> str:
    """'needs 4 responsible authorities, has 2 (kcc, kfrs); still to score: …', counting only the
    sheets, and the members, that may count for this bid."""
    waiting = ", ".join(a.still_to_score) or (
        "nobody: no member of another responsible authority may score it (add one with `grants member add`)"
    )
    return (
        f"needs {a.quorum_needed} responsible authorities, has {len(a.authorities)}"
        f"{' (' + ', '.join(a.authorities) + ')' if a.authorities else ''}; still to score: {waiting}"
    )


def quorum_message(scope: Scope, a: Assessment) -> str:
    lead_note = (
        f"; {a.organisation.key} leads the bid, so its members are recused"
        if a.organisation.responsible_authority
        else ""
    )
    return f"the quorum rule {quorum_shortfall(a)}{lead_note}"


def consensus_message(scope: Scope, a: Assessment) -> str:
    """Why there is no consensus; naming who opposes and the mean only to a viewer who may see the
    sheets (blind scoring holds in refusals too)."""
    from grants.visibility import Viewer

    sees = Viewer.of(scope).sees_sheets(a.bid)
    reasons = []
    opposing = [s.member for s in a.sheets if s.stance == Stance.oppose]
    if opposing and sees:
        reasons.append(f"{', '.join(opposing)} {verb(len(opposing), 'opposes', 'oppose')}")
    elif opposing:
        reasons.append(
            f"{counted(len(opposing), 'sheet')} {verb(len(opposing), 'opposes', 'oppose')}"
        )
    threshold = scope.session.get_one(FundingYear, a.bid.year_id).consensus_threshold
    if a.mean is None or a.mean < threshold:
        mean = f"its mean {percent_text(a.mean)}" if sees else "its mean"
        reasons.append(f"{mean} is below the {threshold}% threshold")
    return (
        f"{a.bid.reference} has no consensus ({'; '.join(reasons)}); to shortlist it anyway give "
        "--override with --reason"
    )



def bid_sheets(scope: Scope, reference: str) -> Assessment:
    """A bid's sheets, if the viewer may see them; its mean and stances alone to a viewer who may
    see only those (the lead organisation once it is decided); otherwise NotPermitted."""
    from grants.visibility import Viewer

    bid = find_bid(scope, reference)
    viewer = Viewer.of(scope)
    a = assess(scope, [(bid, scope.session.get_one(Organisation, bid.lead_organisation_id))])[0]
    if viewer.sees_sheets(bid):
        return a
    if viewer.sees_summary(bid):
        a.sheets_withheld = viewer.why_not(Action.see_sheets, bid)
        return a
    require(scope, Action.see_sheets, bid)
    raise AssertionError("unreachable: the policy refused above")  # pragma: no cover


RANKED_STATES = SCORED


@dataclass(frozen=True)
class Ranking:
    """The ranked bids and the size of each pot they are counted against."""

    assessments: list[Assessment]
    pot_sizes: dict[str, Money]

    def rows(self) -> list[dict[str, Any]]:
        return [a.to_row() for a in self.assessments]


def ranking(scope: Scope) -> Ranking:
    """The year's scored bids by mean score, with the running total of recommended amounts per pot.

    Every figure is computed from every sheet that counts, whoever asks. A bid whose scores the
    viewer may not see (blind scoring, the policy's see-scores-summary) has them WITHHELD; and
    then the ranks and running totals, which depend on every bid's scores, are withheld on every
    line, and the lines the viewer may see come first, by their mean.
    """
    from grants.visibility import Viewer

    year = find_year(scope)
    rows = list(
        scope.session.execute(
            select(Bid, Organisation)
            .join(Organisation, Organisation.id == Bid.lead_organisation_id)
            .where(Bid.year_id == year.id, col(Bid.status).in_(RANKED_STATES))
            .order_by(Bid.sequence)
        )
    )
    assessed = assess(scope, rows)
    assessed.sort(key=lambda a: (a.mean is None, -(a.mean or 0), a.bid.sequence))
    totals: dict[str, Money] = {}
    rank = 0
    for a in assessed:
        if a.sheets:
            rank += 1
            a.rank = rank
        if a.recommendation == "shortlist":
            totals[a.bid.pot.value] = totals.get(a.bid.pot.value, Money(0)) + Money(
                a.bid.amount_requested_pence
            )
            a.running_total = totals[a.bid.pot.value]
    viewer = Viewer.of(scope)
    for a in assessed:
        if not viewer.sees_summary(a.bid):
            a.withheld = viewer.why_not(Action.see_scores_summary, a.bid)
    hidden = [a for a in assessed if a.withheld]
    if hidden:
        because = (
            f"the order depends on the scores of {counted(len(hidden), 'bid')} "
            "withheld from you"
        )
        for a in assessed:
            a.order_withheld = because
        assessed = [a for a in assessed if not a.withheld] + sorted(hidden, key=lambda a: a.bid.sequence)
    from grants.pots import pot_figures

    sizes = {f.kind.value: f.allocated for f in pot_figures(scope.session, year)}
    return Ranking(assessed, sizes)
