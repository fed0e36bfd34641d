"""The Working Group's funding update to the partnership (seed 002, "KCSP Working Group Update"
section 2 and Appendix 1): every sentence and figure from the year's bids, ledger and the state
changes the audit trail records."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from grants import ledger
from grants.audit_chain import AuditHead, audit_head, with_head
from grants.bids import subject
from grants.models import AuditEvent, Bid, FundingYear, Organisation, PotKind
from grants.money import Money, money_fields, sum_money
from grants.pots import Gate, PotFigures, pot_figures, pots_json, tactical_gate
from grants.scope import Scope
from grants.text import markdown_table, markdown_text
from grants.wording import count_text, counted_in_words, sentence, share_text, span_text, verb
from grants.writing.prose import programme_title, standing_text
from grants.years import carried_into, find_year
from workflows.bid_lifecycle import AWARDED, PRE_DECISION, SHORTLISTING_OUTCOMES, SPENDABLE, BidStatus


@dataclass(frozen=True)
class Proposal:
    """One bid as the papers show it."""

    reference: str
    title: str
    organisation: str
    summary: str
    pot: PotKind
    amount: Money
    award: Money | None
    status: BidStatus

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "title": self.title,
            "organisation": self.organisation,
            "pot": self.pot.value,
            **money_fields("amount", self.amount),
            **(money_fields("award", self.award) if self.award else {"award_pence": None, "award": None}),
            "status": self.status.value,
        }


def _listed(proposals: list[Proposal]) -> str:
    return ", ".join(f"{p.title} ({p.reference}, {p.award or p.amount})" for p in proposals)


@dataclass(frozen=True)
class WorkingGroupReport:
    """The funding section of the Working Group's update to the partnership, and its appendix."""

    partnership: str
    funder: str
    programme: str
    year: FundingYear
    previous: FundingYear | None
    split: dict[PotKind, Money]
    pots: list[PotFigures]
    received: list[Proposal]
    received_on: tuple[date, date] | None
    decided_on: tuple[date, date] | None
    recommended: list[Proposal]
    declined: list[Proposal]
    overrides: int
    tactical: list[Proposal]
    gate: Gate
    still_to_spend: Money
    # Projects carried forward into the year from the one before (outside its allocation).
    carried: list[Proposal] = field(default_factory=list)
    audit_head: AuditHead | None = None

    @property
    def allocation(self) -> Money:
        return Money(self.year.allocation_pence)

    @property
    def tactical_share(self) -> Fraction:
        return Fraction(self.year.tactical_share)

    @property
    def recommended_total(self) -> Money:
        return sum_money(p.amount for p in self.recommended)

    @property
    def awarded(self) -> list[Proposal]:
        return [p for p in self.recommended if p.status in AWARDED]

    @property
    def withdrawn(self) -> list[Proposal]:
        decided = {p.reference for p in self.recommended + self.declined}
        return [p for p in self.received if p.reference not in decided and p.status == BidStatus.withdrawn]

    @property
    def awaiting(self) -> list[Proposal]:
        decided = {p.reference for p in self.recommended + self.declined + self.withdrawn}
        return [p for p in self.received if p.reference not in decided]

    @property
    def standing(self) -> dict[BidStatus, int]:
        """How many recommended projects are in each state, in the lifecycle's order."""
        counts = Counter(p.status for p in self.recommended)
        return {status: counts[status] for status in BidStatus if counts[status]}

    def figures(self, kind: PotKind) -> PotFigures:
        return next(f for f in self.pots if f.kind == kind)

    @property
    def uncommitted(self) -> Money:
        return sum_money(f.uncommitted for f in self.pots)

    @property
    def change(self) -> str:
        if self.previous is None:
            return "first"
        before, now = self.previous.allocation_pence, self.year.allocation_pence
        if now == before:
            return "same"
        return "up" if now > before else "down"

    # --- the paragraphs ------------------------------------------------------------------------

    def allocation_paragraph(self) -> str:
        label = self.year.label
        text = f"The funding allocation to the {self.partnership} for {label} "
        if self.previous is None:
            text += (
                f"is {self.allocation}. This is the first year recorded, so there is no earlier "
                "allocation to compare it with."
            )
        elif self.change == "same":
            text += f"remains the same as in {self.previous.label} ({self.allocation})."
        else:
            before = Money(self.previous.allocation_pence)
            text += f"is {self.allocation}, {self.change} from {before} in {self.previous.label}."
        share = self.tactical_share
        text += (
            f" {sentence(share_text(share))} of the funding ({self.split[PotKind.tactical]}) has been "
            "allocated to a tactical pot for in-year spending, with the remaining "
            f"{share_text(1 - share)} ({self.split[PotKind.upfront]}) available for upfront project "
            "spend. The tactical pot is accessible once every upfront business case has been decided."
        )
        upfront, tactical = self.figures(PotKind.upfront), self.figures(PotKind.tactical)
        if (upfront.allocated, tactical.allocated) != (
            self.split[PotKind.upfront],
            self.split[PotKind.tactical],
        ):
            text += (
                f" After transfers between the pots, the upfront pot holds {upfront.allocated} and the "
                f"tactical pot {tactical.allocated}."
            )
        return text

    def proposals_paragraph(self) -> str:
        n = len(self.received)
        if not n:
            return f"No upfront project proposals have been received for {self.year.label} yet."
        text = f"{sentence(counted_in_words(n, 'project proposal'))} {verb(n, 'was', 'were')} received from partners"
        if self.received_on:
            text += f" {span_text(self.received_on)}"
        text += " for consideration by the Working Group"
        if self.decided_on:
            text += f", which recorded its decisions {span_text(self.decided_on)}"
        text += "."
        r = len(self.recommended)
        if r:
            of = (
                f"{count_text(r)} of the {count_text(n)}"
                if r < n
                else ("the proposal" if n == 1 else f"all {count_text(n)}")
            )
            consensus = (
                "received a consensus of support (see below) and"
                if not self.overrides
                else f"({counted_in_words(self.overrides, 'by an override', 'by overrides')} of the consensus rule, "
                "with the reasons recorded)"
            )
            text += (
                f" Based on the shortlisting exercise by partners and discussion at the multi-agency "
                f"Working Group, {of} {consensus} {verb(r, 'was', 'were')} recommended for funding and "
                f"submitted to the Chair of the {self.partnership} and the {self.funder} for approval. "
                "Details can be found in Appendix 1."
            )
        return text

    def outcome_lines(self) -> list[str]:
        lines = []
        if self.declined:
            other = "The other" if len(self.recommended) + len(self.declined) == len(self.received) else ""
            n = len(self.declined)
            text = (
                f"{other} {counted_in_words(n, 'proposal')}"
                if other
                else sentence(counted_in_words(n, "proposal"))
            )
            lines.append(
                f"{text.strip()} {verb(n, 'was', 'were')} not recommended: {_listed(self.declined)}."
            )
        if self.withdrawn:
            n = len(self.withdrawn)
            lines.append(
                f"{sentence(counted_in_words(n, 'proposal'))} {verb(n, 'was', 'were')} withdrawn before a "
                f"decision: {_listed(self.withdrawn)}."
            )
        if self.awaiting:
            n = len(self.awaiting)
            lines.append(
                f"{sentence(counted_in_words(n, 'proposal'))} {verb(n, 'is', 'are')} still awaiting the "
                f"Working Group's decision: {_listed(self.awaiting)}."
            )
        return lines

    def approvals_paragraph(self) -> str:
        r = len(self.recommended)
        if not r:
            return "No project has been recommended yet, so there are no approvals to report."
        if r == 1:
            text = f"The recommended project is {standing_text(self.recommended[0].status)}."
        else:
            parts = [
                f"{count_text(n)} {verb(n, 'is', 'are')} {standing_text(status)}"
                for status, n in sorted(self.standing.items(), key=lambda item: -item[1])
            ]
            joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
            text = f"Of the {counted_in_words(r, 'recommended project')}, {joined}."
        awarded = self.awarded
        if awarded:
            total = sum_money(p.award or Money(0) for p in awarded)
            whom = (
                "it"
                if r == 1
                else "all of them"
                if len(awarded) == r
                else f"{count_text(len(awarded))} of them"
            )
            text += f" The {self.funder} has funded {whom}, awarding {total}."
        return text

    def tactical_paragraph(self) -> str:
        figures = self.figures(PotKind.tactical)
        if self.gate.open:
            text = "The tactical pot is open, as every upfront bid has been decided."
        else:
            text = (
                "The tactical pot is not open yet: it opens once every upfront bid has been decided "
                f"(still undecided: {', '.join(self.gate.held_by)})."
            )
        text += f" {figures.committed} of its {figures.allocated} is committed"
        if figures.released:
            text += f" (after {figures.released} released back)"
        text += f" and {figures.free} is uncommitted."
        funded = [p for p in self.tactical if p.status in AWARDED]
        if funded:
            text += f" Funded from it: {_listed(funded)}."
        pending = [p for p in self.tactical if p.status in PRE_DECISION]
        if pending:
            text += (
                f" {sentence(counted_in_words(len(pending), 'further tactical proposal'))} "
                f"{verb(len(pending), 'is', 'are')} being considered: {_listed(pending)}."
            )
        return text

    def underspend_paragraph(self) -> str:
        upfront, tactical = self.figures(PotKind.upfront), self.figures(PotKind.tactical)
        released = upfront.released + tactical.released
        returned = upfront.returned + tactical.returned
        text = (
            f"Underspend to date: {self.uncommitted} is uncommitted ({upfront.uncommitted} in the upfront "
            f"pot and {tactical.uncommitted} in the tactical pot)"
        )
        if released:
            text += f", including {released} released back from awards that were not spent"
        text += "."
        if returned:
            text += f" {returned} has been returned to the {self.funder}."
        if self.still_to_spend:
            text += f" Projects still under way have {self.still_to_spend} of their awards left to spend."
        if self.carried:
            n = len(self.carried)
            text += (
                f" {sentence(counted_in_words(n, 'project'))} {verb(n, 'was', 'were')} carried forward into "
                f"{self.year.label} with the {self.funder}'s agreement, outside its allocation: "
                f"{_listed(self.carried)}."
            )
        return text

    def as_markdown_text(self) -> WorkingGroupReport:
        """The report with every name and text a user typed made inert Markdown
        (grants.text.markdown_text), for the paragraphs; tables escape their own cells."""

        def inert(proposals: list[Proposal]) -> list[Proposal]:
            return [
                replace(
                    p,
                    title=markdown_text(p.title),
                    organisation=markdown_text(p.organisation),
                    summary=markdown_text(p.summary or ""),
                )
                for p in proposals
            ]

        return replace(
            self,
            partnership=markdown_text(self.partnership),
            funder=markdown_text(self.funder),
            programme=markdown_text(self.programme),
            received=inert(self.received),
            recommended=inert(self.recommended),
            declined=inert(self.declined),
            tactical=inert(self.tactical),
            carried=inert(self.carried),
        )

    def to_markdown(self) -> str:
        return self.as_markdown_text()._markdown(self.recommended)

    def _markdown(self, recommended: list[Proposal]) -> str:
        """The papers, from a report already made inert; `recommended` as typed, for the table."""
        label = self.year.label
        lines = [
            f"# {self.partnership} Working Group Update",
            "",
            f"## 2. Funding – {programme_title(self.programme)} {label}",
            "",
            f"2.1 {self.allocation_paragraph()}",
            "",
            f"2.2 {self.proposals_paragraph()}",
            "",
        ]
        if self.recommended:
            lines += [f"- {p.title} ({p.amount})" for p in self.recommended]
            lines += [f"- Total recommended: {self.recommended_total}", ""]
        for line in self.outcome_lines():
            lines += [line, ""]
        lines += [
            f"2.3 {self.approvals_paragraph()}",
            "",
            f"2.4 {self.tactical_paragraph()}",
            "",
            f"2.5 {self.underspend_paragraph()}",
            "",
            f"## Appendix 1: {self.programme} business cases – recommended projects",
            "",
        ]
        if not self.recommended:
            return with_head(
                "\n".join([*lines, "No project has been recommended yet."]) + "\n", self.audit_head
            )
        rows = [
            [p.reference, p.title, p.organisation, str(p.amount), str(p.award or "—"), p.status.value]
            for p in recommended
        ]
        awarded = sum_money(p.award or Money(0) for p in self.recommended)
        rows.append(["", "Total", "", str(self.recommended_total), str(awarded), ""])
        lines += markdown_table(
            ("Reference", "Project", "Lead organisation", "Amount", "Awarded", "Status"), rows
        )
        for p in self.recommended:
            lines += ["", f"**{p.title}** ({p.reference})"]
            if p.summary:
                lines.append(" ".join(p.summary.split()))  # already inert: see as_markdown_text
        return with_head("\n".join(lines) + "\n", self.audit_head)

    def to_json(self) -> dict[str, Any]:
        pots = pots_json(self.pots)
        tactical = self.figures(PotKind.tactical)
        return {
            **({"audit_head": self.audit_head.to_json()} if self.audit_head else {}),
            "partnership": self.partnership,
            "funder": self.funder,
            "programme": self.programme,
            "year": self.year.label,
            "status": self.year.status.value,
            **money_fields("allocation", self.allocation),
            "previous_year": None
            if self.previous is None
            else {
                "year": self.previous.label,
                **money_fields("allocation", Money(self.previous.allocation_pence)),
            },
            "allocation_change": self.change,
            "tactical_share": self.year.tactical_share,
            "split": {kind.value: money_fields("amount", amount) for kind, amount in self.split.items()},
            "proposals_received": len(self.received),
            "received_on": _span_json(self.received_on),
            "decided_on": _span_json(self.decided_on),
            "recommended_count": len(self.recommended),
            **money_fields("recommended_total", self.recommended_total),
            "recommended": [p.to_json() for p in self.recommended],
            "not_recommended": [p.to_json() for p in self.declined],
            "withdrawn_before_decision": [p.to_json() for p in self.withdrawn],
            "awaiting_decision": [p.to_json() for p in self.awaiting],
            "overrides": self.overrides,
            "approvals": {status.value: n for status, n in self.standing.items()},
            "awarded_count": len(self.awarded),
            **money_fields("awarded_total", sum_money(p.award or Money(0) for p in self.awarded)),
            "tactical_pot": {
                **self.gate.to_json(),
                **money_fields("allocated", tactical.allocated),
                **money_fields("committed", tactical.committed),
                **money_fields("free", tactical.free),
                **money_fields("released", tactical.released),
                **money_fields("uncommitted", tactical.uncommitted),
                "projects": [p.to_json() for p in self.tactical],
            },
            "underspend": {
                **money_fields("uncommitted", self.uncommitted),
                **money_fields("released", sum_money(f.released for f in self.pots)),
                **money_fields("returned", sum_money(f.returned for f in self.pots)),
                **money_fields("still_to_spend", self.still_to_spend),
            },
            "pots": pots,
            "carried_in": [p.to_json() for p in self.carried],
            "paragraphs": {
                "allocation": self.allocation_paragraph(),
                "proposals": self.proposals_paragraph(),
                "outcomes": self.outcome_lines(),
                "approvals": self.approvals_paragraph(),
                "tactical_pot": self.tactical_paragraph(),
                "underspend": self.underspend_paragraph(),
            },
        }


def _span_json(days: tuple[date, date] | None) -> dict[str, str] | None:
    return None if days is None else {"first": days[0].isoformat(), "last": days[1].isoformat()}


@dataclass(frozen=True)
class Decision:
    """The Working Group's decision on one bid, read from the state change the audit trail records
    (scoring → shortlisted or not_shortlisted), whichever command made it."""

    subject: str
    outcome: BidStatus
    day: date  # the day it took effect: a replay's `effective_on`, else the day it was recorded
    override: bool  # shortlisted by overriding the consensus rule


def _decisions(scope: Scope, subjects: list[str]) -> list[Decision]:
    rows = scope.session.execute(
        select(AuditEvent.subject, AuditEvent.to_state, AuditEvent.at, AuditEvent.details).where(
            AuditEvent.partnership_id == scope.partnership.id,
            col(AuditEvent.subject).in_(subjects),
            AuditEvent.from_state == BidStatus.scoring.value,
            col(AuditEvent.to_state).in_([state.value for state in SHORTLISTING_OUTCOMES]),
        )
    ).all()
    decisions = []
    for subject_, to_state, at, details in rows:
        facts = json.loads(details or "{}")
        day = date.fromisoformat(facts.get("effective_on") or at[:10])
        decisions.append(Decision(subject_, BidStatus(to_state), day, bool(facts.get("override"))))
    return decisions


def _span(days: list[date]) -> tuple[date, date] | None:
    return (min(days), max(days)) if days else None


def _proposals(scope: Scope, year: FundingYear, *, carried_in: bool = False) -> list[tuple[Bid, Proposal]]:
    """The year's proposals; or (carried_in) the projects carried forward into it."""
    which = (
        (Bid.year_id != year.id) & carried_into(year.id)
        if carried_in
        else (Bid.year_id == year.id) & Bid.submitted_at.is_not(None)
    )
    rows = scope.session.execute(
        select(Bid, Organisation.name)
        .join(Organisation, Organisation.id == Bid.lead_organisation_id)
        .where(which)
        .order_by(Bid.sequence)
    ).all()
    return [
        (
            bid,
            Proposal(
                bid.reference,
                bid.title,
                org,
                bid.summary,
                bid.pot,
                Money(bid.amount_requested_pence),
                None if bid.award_pence is None else Money(bid.award_pence),
                bid.status,
            ),
        )
        for bid, org in rows
    ]


def _allocation_split(scope: Scope, year: FundingYear) -> dict[PotKind, Money]:
    """What each pot was allocated when the year opened, before any transfer between them."""
    return {
        kind: Money(
            ledger.flows_by_kind(scope.session, year.id, ledger.pot_account(kind)).get("allocation", (0, 0))[
                0
            ]
        )
        for kind in (PotKind.upfront, PotKind.tactical)
    }


def previous_year(scope: Scope, year: FundingYear) -> FundingYear | None:
    """The partnership's newest year before this one, if any."""
    return scope.session.execute(
        select(FundingYear)
        .where(FundingYear.partnership_id == scope.partnership.id, FundingYear.starts_on < year.starts_on)
        .order_by(col(FundingYear.starts_on).desc())
        .limit(1)
    ).scalar_one_or_none()


def working_group_report(scope: Scope, label: str | None = None) -> WorkingGroupReport:
    """The Working Group's funding update for a year (default: the open year)."""
    session = scope.session
    year = find_year(scope, label)
    proposals = _proposals(scope, year)
    upfront = [(bid, p) for bid, p in proposals if p.pot == PotKind.upfront]
    subjects = {subject(p.reference): p for _, p in upfront}
    decisions = _decisions(scope, list(subjects))
    outcome = {d.subject: d.outcome for d in decisions}
    carried = _proposals(scope, year, carried_in=True)
    still_to_spend = sum_money(
        Money((bid.award_pence or 0) - bid.spent_pence)
        for bid, _ in proposals + carried
        if bid.status in SPENDABLE
    )
    return WorkingGroupReport(
        audit_head=audit_head(session, scope.partnership.id),
        partnership=scope.partnership.name,
        funder=scope.partnership.funder_name,
        programme=scope.partnership.programme,
        year=year,
        previous=previous_year(scope, year),
        split=_allocation_split(scope, year),
        pots=pot_figures(session, year),
        received=[p for _, p in upfront],
        received_on=_span([bid.submitted_at.date() for bid, _ in upfront if bid.submitted_at]),
        decided_on=_span([d.day for d in decisions]),
        recommended=[p for s, p in subjects.items() if outcome.get(s) == BidStatus.shortlisted],
        declined=[p for s, p in subjects.items() if outcome.get(s) == BidStatus.not_shortlisted],
        overrides=sum(1 for d in decisions if d.override),
        tactical=[p for _, p in proposals if p.pot == PotKind.tactical],
        gate=tactical_gate(session, year),
        still_to_spend=still_to_spend,
        carried=[p for _, p in carried],
    )
