"""The budget: committing and releasing awards against a pot, and moving money between pots."""

from __future__ import annotations

from dataclasses import dataclass

from grants import ledger
from grants.errors import BadInput, Refused
from grants.models import Bid, FundingYear, PotKind
from grants.money import Money
from grants.partnerships import clean_text
from grants.permissions import require
from grants.pots import credit_pot, debit_pot, pot_of, pots_of, tactical_gate
from grants.scope import Scope
from grants.years import ensure_open, find_year
from workflows.policy import Action


def commit_award(
    scope: Scope, bid: Bid, year: FundingYear, amount: Money, *, kind: str, reason: str | None
) -> None:
    """Move money from the bid's pot to its award account; refused with the figures when short."""
    pot = pot_of(scope.session, year, bid.pot)
    debit_pot(scope.session, pot, amount, what=f"the {'award' if kind == 'award' else 'increase'}")
    _post(scope, year, bid, ledger.award_movement(kind, bid.pot, bid.reference, amount.pence, reason))


def release_award(
    scope: Scope, bid: Bid, year: FundingYear, amount: Money, *, kind: str, reason: str | None
) -> None:
    """Give unspent award money back to the bid's pot in `year`, the year its money is in; for a
    project the rollover carried into a later year (outside that year's allocation), back to the
    PCC instead."""
    if amount.pence <= 0:
        return
    if year.id != bid.year_id:  # `year` is the bid's money year (grants.years.money_year)
        ledger.post(
            scope.session,
            year,
            "return",
            ledger.award_account(bid.reference),
            ledger.RETURNED,
            amount,
            actor_id=scope.actor.id,
            on=scope.today,
            reason=reason,
            bid_id=bid.id,
        )
        return
    pot = pot_of(scope.session, year, bid.pot)
    credit_pot(scope.session, pot, amount)
    _post(scope, year, bid, ledger.release_movement(kind, bid.pot, bid.reference, amount.pence, reason))


def _post(scope: Scope, year: FundingYear, bid: Bid, movement: ledger.Movement) -> None:
    ledger.post(
        scope.session,
        year,
        movement.kind,
        movement.from_account,
        movement.to_account,
        Money(movement.pence),
        actor_id=scope.actor.id,
        on=scope.today,
        reason=movement.reason,
        bid_id=bid.id,
    )


@dataclass(frozen=True)
class Transfer:
    year: FundingYear
    amount: Money
    source: PotKind
    target: PotKind


def transfer(scope: Scope, amount: Money, source: PotKind, target: PotKind, reason: str) -> Transfer:
    """Move uncommitted money between the year's pots (officer); audited."""
    actor = require(scope, Action.transfer)
    reason = clean_text(reason, "reason", limit=2000)
    if source == target:
        raise BadInput(f"--from and --to are both {source.value}; choose two different pots")
    if amount.pence <= 0:
        raise BadInput(f"the amount to transfer must be more than £0, not {amount}")
    year = find_year(scope)
    ensure_open(year)
    if target == PotKind.tactical:
        gate = tactical_gate(scope.session, year)
        if not gate.open:
            raise Refused(f"cannot transfer into the tactical pot yet: {gate.message(year)}")
    pots = pots_of(scope.session, year)
    debit_pot(scope.session, pots[source], amount, what="the transfer")
    credit_pot(scope.session, pots[target], amount)
    ledger.post(
        scope.session,
        year,
        "transfer",
        ledger.pot_account(source),
        ledger.pot_account(target),
        amount,
        actor_id=actor.id,
        on=scope.today,
        reason=reason,
    )
    scope.audit(
        "pot.transfer",
        f"year {year.label}",
        reason=reason,
        details={"amount_pence": amount.pence, "from": source.value, "to": target.value},
    )
    return Transfer(year, amount, source, target)
