"""The pots of a year: their figures (Allocated = Committed + Free) from the ledger, the tactical
pot's gate, and the cached uncommitted balance that awards and transfers move atomically."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select, update
from sqlmodel import Session, col

from grants import ledger
from grants.errors import BadInput, Refused
from grants.models import Bid, FundingYear, Pot, PotKind
from grants.money import Money, money_fields
from workflows.bid_lifecycle import PRE_DECISION

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

    from grants.scope import Scope


def pots_of(session: Session, year: FundingYear) -> dict[PotKind, Pot]:
    pots = session.execute(select(Pot).where(Pot.year_id == year.id)).scalars()
    return {pot.kind: pot for pot in pots}


def pot_of(session: Session, year: FundingYear, kind: PotKind) -> Pot:
    return pots_of(session, year)[kind]


POT_FIGURES = ("allocated", "committed", "free", "spent", "released", "returned")


@dataclass(frozen=True)
class PotFigures:
    """What one pot of a year holds, from the ledger (the figures are defined in grants.years)."""

    kind: PotKind
    allocated: Money
    committed: Money  # awards in force, net of releases and cancellations
    spent: Money
    released: Money  # given back to the pot by variations down, closes and cancellations
    returned: Money  # returned to the PCC at the rollover

    @property
    def free(self) -> Money:
        """Allocated − Committed: uncommitted money (returned to the PCC once the year is closed)."""
        return self.allocated - self.committed

    @property
    def uncommitted(self) -> Money:
        return self.free

    @property
    def balance(self) -> Money:
        """What the pot account holds now: Free less what was returned."""
        return self.free - self.returned

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        for name in (*POT_FIGURES, "uncommitted"):
            entry.update(money_fields(name, getattr(self, name)))
        return entry


def pots_json(figures: list[PotFigures]) -> dict[str, Any]:
    """The pots as every --json shows them."""
    return {f.kind.value: f.to_json() for f in figures}


def pots_total_json(figures: list[PotFigures]) -> dict[str, Any]:
    """The pots' figures summed (the same identity holds for the total)."""
    total: dict[str, Any] = {}
    for name in (*POT_FIGURES, "uncommitted"):
        total.update(money_fields(name, sum((getattr(f, name) for f in figures), Money(0))))
    return total


def pot_figures(
    session: Session, year: FundingYear, account_flows: dict[str, tuple[int, int]] | None = None
) -> list[PotFigures]:
    """Per pot, its figures from ledger aggregates (the cached balance is checked elsewhere)."""
    spent = spent_by_pot(session, year.id, account_flows)
    figures = []
    for kind in (PotKind.upfront, PotKind.tactical):
        flows = ledger.flows_by_kind(session, year.id, ledger.pot_account(kind))

        def into(*kinds: str, flows: dict[str, tuple[int, int]] = flows) -> int:
            return sum(flows.get(k, (0, 0))[0] for k in kinds)

        def out(*kinds: str, flows: dict[str, tuple[int, int]] = flows) -> int:
            return sum(flows.get(k, (0, 0))[1] for k in kinds)

        allocated = into("allocation", "transfer") - out("transfer")
        released = into("vary", "release")
        committed = out("award", "vary") - released
        figures.append(
            PotFigures(
                kind,
                Money(allocated),
                Money(committed),
                Money(spent[kind]),
                Money(released),
                Money(out("return")),
            )
        )
    return figures


def spent_by_pot(
    session: Session, year_id: int, account_flows: dict[str, tuple[int, int]] | None = None
) -> dict[PotKind, int]:
    """Pence spent in the year on each pot's projects: the balances of their spent accounts."""
    account_flows = ledger.flows(session, year_id) if account_flows is None else account_flows
    spent = {kind: 0 for kind in PotKind}
    for reference, pot in session.execute(select(Bid.reference, Bid.pot).where(Bid.year_id == year_id)):
        into, out = account_flows.get(ledger.spent_account(reference), (0, 0))
        spent[pot] += into - out
    return spent


@dataclass(frozen=True)
class Gate:
    """Whether the tactical pot is open, and which upfront bids still hold it shut."""

    open: bool
    held_by: list[str]

    def message(self, year: FundingYear) -> str:
        return (
            f"the tactical pot of {year.label} opens only once every upfront bid is decided; "
            f"still undecided: {', '.join(self.held_by)}"
        )

    def to_json(self) -> dict[str, object]:
        return {"open": self.open, "held_by": self.held_by}


def tactical_gate(session: Session, year: FundingYear) -> Gate:
    """Open when no upfront bid of the year is submitted, in scoring, shortlisted, approved by the
    chair or in clarification."""
    holding = list(
        session.execute(
            select(Bid.reference)
            .where(Bid.year_id == year.id, Bid.pot == PotKind.upfront, col(Bid.status).in_(PRE_DECISION))
            .order_by(Bid.sequence)
        ).scalars()
    )
    return Gate(not holding, holding)


def parse_pot_kind(text: str) -> PotKind:
    try:
        return PotKind(text.strip().lower())
    except ValueError as error:
        raise BadInput(f"pot {text!r} is not a pot; use upfront or tactical") from error


def credit_pot(session: Session, pot: Pot, amount: Money) -> None:
    """Add money to a pot's cached uncommitted balance (the ledger entry is posted beside it)."""
    session.execute(
        update(Pot)
        .where(Pot.id == pot.id)
        .values(uncommitted_pence=Pot.uncommitted_pence + amount.pence)
        .execution_options(synchronize_session=False)
    )


def debit_pot(session: Session, pot: Pot, amount: Money, *, what: str) -> None:
    """Take money out of a pot atomically, or refuse with the figures.

    One conditional UPDATE: it succeeds only when the balance covers the amount at the moment
    the row is written, so two approvers can never both spend the same pound.
    """
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(Pot)
            .where(Pot.id == pot.id, Pot.uncommitted_pence >= amount.pence)
            .values(uncommitted_pence=Pot.uncommitted_pence - amount.pence)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        left = session.execute(select(Pot.uncommitted_pence).where(Pot.id == pot.id)).scalar_one()
        raise Refused(f"the {pot.kind.value} pot has {Money(int(left))} uncommitted; {what} is {amount}")


def pot_balance(session: Session, pot_id: int) -> Money:
    return Money(int(session.execute(select(Pot.uncommitted_pence).where(Pot.id == pot_id)).scalar_one()))


def amount_within_pot(scope: Scope, bid: Bid) -> tuple[bool, str]:
    """The pot-size rule, at submission and for a change during clarification."""
    from grants.pots import pot_figures

    year = scope.session.get_one(FundingYear, bid.year_id)
    size = next(f.allocated for f in pot_figures(scope.session, year) if f.kind == bid.pot)
    amount = Money(bid.amount_requested_pence)
    return (
        0 < amount.pence <= size.pence,
        f"{bid.reference} asks for {amount}, more than the whole {bid.pot.value} pot of {size}",
    )
