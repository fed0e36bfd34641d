"""Moving bids through the declared lifecycle: facts for the guards, the audit, the errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from grants.bids import acting_roles, content_hash, find_bid, missing_fields, subject
from grants.errors import BadInput, Refused
from grants.models import Bid, FundingYear, YearStatus
from grants.money import Money
from grants.scope import Scope, now
from grants.wording import about
from grants.years import ensure_open, money_year
from workflows import bid_lifecycle as wf
from workflows.bid_lifecycle import BidStatus

REASON_LIMIT = 2000


@dataclass
class Facts:
    """Guard facts the service computed, with the words to use when one is false."""

    values: dict[str, bool]
    details: dict[str, str]


# A fact computer returns (holds, message when it does not).
FactComputer = Callable[[Scope, Bid, dict[str, Any]], tuple[bool, str]]


def _required_fields(scope: Scope, bid: Bid, _: dict[str, Any]) -> tuple[bool, str]:
    year = scope.session.get(FundingYear, bid.year_id)
    missing = missing_fields(bid, year)
    return not missing, f"{bid.reference} cannot be submitted yet: it needs {', '.join(missing)}"


def _year_open(scope: Scope, bid: Bid, _: dict[str, Any]) -> tuple[bool, str]:
    year = money_year(scope.session, bid)
    return year.status == YearStatus.open, f"the year {year.label} is closed"


def _amount_within_pot(scope: Scope, bid: Bid, _: dict[str, Any]) -> tuple[bool, str]:
    return amount_within_pot(scope, bid)


def amount_within_pot(scope: Scope, bid: Bid) -> tuple[bool, str]:
    """The pot-size rule, at submission and for a change during clarification."""
    from grants.pots import pot_figures

    year = scope.session.get(FundingYear, bid.year_id)
    size = next(f.allocated for f in pot_figures(scope.session, year) if f.kind == bid.pot)
    amount = Money(bid.amount_requested_pence)
    return (
        0 < amount.pence <= size.pence,
        f"{bid.reference} asks for {amount}, more than the whole {bid.pot.value} pot of {size}",
    )


def _reason_given(_: Scope, bid: Bid, args: dict[str, Any]) -> tuple[bool, str]:
    return bool(
        (args.get("reason") or "").strip()
    ), f"give a reason (--reason) to {args['trigger']} {bid.reference}"


FACTS: dict[str, FactComputer] = {
    "required_fields_present": _required_fields,
    "year_open": _year_open,
    "amount_within_pot": _amount_within_pot,
    "reason_given": _reason_given,
}


def register_fact(name: str, computer: FactComputer) -> None:
    """Later capabilities (scoring, budget) add the facts their guards need."""
    FACTS[name] = computer


# The modules that register the facts of later capabilities; loaded on first need so that firing
# any trigger works whichever service module the caller happened to import.
FACT_MODULES = ("grants.scoring", "grants.approvals", "grants.delivery")


def _load_fact_modules() -> None:
    import importlib

    for name in FACT_MODULES:
        importlib.import_module(name)


def compute_facts(scope: Scope, bid: Bid, guards: Iterable[str], args: dict[str, Any]) -> Facts:
    guards = list(guards)
    if any(guard not in FACTS for guard in guards):
        _load_fact_modules()
    values: dict[str, bool] = {}
    details: dict[str, str] = {}
    for guard in guards:
        computer = FACTS.get(guard)
        if computer is None:
            continue  # the workflow refuses a guard without a fact, naming its rule
        holds, message = computer(scope, bid, args)
        values[guard] = holds
        details[guard] = message
    return Facts(values, details)


def fire(
    scope: Scope,
    reference: str,
    trigger: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    **args: Any,
) -> tuple[Bid, BidStatus]:
    """Fire a trigger on a bid as the acting member; returns the bid and the state it left."""
    bid = find_bid(scope, reference, lock=True)
    ensure_open(money_year(scope.session, bid))
    if reason is not None:
        from grants.partnerships import clean_text

        reason = clean_text(reason, "reason", limit=REASON_LIMIT, required=False)
    roles = acting_roles(scope, bid)
    before = bid.status
    try:
        guards = wf.guards_for(before, trigger, roles)
        facts = compute_facts(scope, bid, guards, {"trigger": trigger, "reason": reason, **args})
        after = wf.fire(before, trigger, set(roles), facts.values, facts.details)
    except wf.NotPermitted as error:
        from grants.permissions import NotPermitted

        named = wf.NotPermitted(
            trigger,
            error.needed_roles,
            doing=f"{trigger} {bid.reference} ({before.value})",
            who=scope.actor.handle,
            held=roles,
        )
        raise NotPermitted(named) from None
    except wf.WorkflowError as error:
        raise Refused(about(bid.reference, str(error))) from error
    bid.status = after
    bid.updated_at = now()
    if after == BidStatus.submitted:
        bid.submitted_at = bid.updated_at
    scope.session.flush()
    scope.audit(
        f"bid.{trigger}",
        subject(bid),
        from_state=before.value,
        to_state=after.value,
        reason=reason or None,
        details=details or {},
        content_hash=content_hash(bid),
    )
    return bid, before


def submit(scope: Scope, reference: str) -> Bid:
    return fire(scope, reference, "submit")[0]


def withdraw(scope: Scope, reference: str, reason: str) -> Bid:
    return fire(scope, reference, "withdraw", reason=reason)[0]


def open_scoring(scope: Scope, references: list[str], *, every_submitted: bool) -> list[Bid]:
    """Move submitted bids into scoring: the ones named, or every submitted bid of the year."""
    from grants.years import find_year

    if every_submitted == bool(references):
        raise BadInput("name the bids to open for scoring, or give --all (not both)")
    if every_submitted:
        year = find_year(scope)
        references = list(
            scope.session.execute(
                select(Bid.reference)
                .where(Bid.year_id == year.id, Bid.status == BidStatus.submitted)
                .order_by(Bid.sequence)
            ).scalars()
        )
        if not references:
            raise Refused(f"no bid of {year.label} is waiting in submitted; nothing to open")
    return [fire(scope, ref, "open_scoring")[0] for ref in references]


def allowed_for(scope: Scope, bid: Bid) -> list[str]:
    """The triggers the acting member may fire on this bid now (by state and role)."""
    if scope.actor_or_none is None:
        return []
    return wf.allowed_triggers(bid.status, set(acting_roles(scope, bid)))
