"""The bid lifecycle of DESIGN §4, declared as data and run by one shared `transitions` machine."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from transitions import Machine, MachineError


class BidStatus(enum.StrEnum):
    """The fourteen states a bid can be in."""

    draft = "draft"
    submitted = "submitted"
    scoring = "scoring"
    shortlisted = "shortlisted"
    not_shortlisted = "not_shortlisted"
    chair_approved = "chair_approved"
    clarification = "clarification"
    funded = "funded"
    rejected = "rejected"
    in_delivery = "in_delivery"
    delivered = "delivered"
    closed = "closed"
    withdrawn = "withdrawn"
    cancelled = "cancelled"


class Role(enum.StrEnum):
    """Who may fire a transition; `lead` is any member of the bid's lead organisation."""

    officer = "officer"
    member = "member"
    chair = "chair"
    pcc = "pcc"
    treasurer = "treasurer"
    LEAD = "lead"


S = BidStatus

# State groupings, defined once.
PRE_DECISION = frozenset({S.submitted, S.scoring, S.shortlisted, S.chair_approved, S.clarification})
WITHDRAWABLE = frozenset({S.draft, *PRE_DECISION})
EDITABLE = frozenset({S.draft, S.clarification})
FROZEN = frozenset(set(S) - EDITABLE)
LIVE = frozenset({S.funded, S.in_delivery})
AWARDED = frozenset({S.funded, S.in_delivery, S.delivered, S.closed})
TERMINAL = frozenset({S.not_shortlisted, S.rejected, S.withdrawn, S.closed, S.cancelled})
DECIDED = frozenset(TERMINAL | LIVE | {S.delivered})
SCORABLE = frozenset({S.scoring})

# Guard name → the rule it stands for, used when the caller gives no more exact words.
GUARDS: dict[str, str] = {
    "required_fields_present": "a bid needs its required fields before it is submitted",
    "year_open": "a closed year takes no changes",
    "amount_within_pot": "the amount requested must be more than £0 and no more than its pot",
    "quorum_met": "the quorum rule: sheets from enough responsible authorities",
    "consensus_or_override": "the consensus rule: quorum, nobody opposing and a mean at the threshold, or an officer's override with a reason",
    "moderation_noted": "widely diverging sheets need a note with the decision",
    "reason_given": "a reason must be given",
    "tactical_pot_open": "the tactical pot opens only once every upfront bid is decided",
    "chair_not_conflicted": "the chair may not decide a bid of their own organisation",
    "award_within_requested": "the award may not exceed the amount requested",
    "award_within_uncommitted": "the award must fit in what the pot has uncommitted",
    "question_given": "a clarification needs a question",
    "answer_given": "an answer must be given",
    "outcome_given": "completing delivery needs an outcome summary",
}


@dataclass(frozen=True)
class Transition:
    """One row of the lifecycle table."""

    trigger: str
    sources: tuple[BidStatus, ...]
    dest: BidStatus
    roles: frozenset[Role]
    guards: tuple[str, ...] = ()


def _t(
    trigger: str, sources: Iterable[BidStatus], dest: BidStatus, roles: Iterable[Role], *guards: str
) -> Transition:
    return Transition(trigger, tuple(sources), dest, frozenset(roles), tuple(guards))


LEAD_OR_OFFICER = (Role.LEAD, Role.officer)

TRANSITIONS: tuple[Transition, ...] = (
    _t(
        "submit",
        [S.draft],
        S.submitted,
        LEAD_OR_OFFICER,
        "required_fields_present",
        "year_open",
        "amount_within_pot",
    ),
    _t("open_scoring", [S.submitted], S.scoring, [Role.officer]),
    _t(
        "shortlist",
        [S.scoring],
        S.shortlisted,
        [Role.officer],
        "quorum_met",
        "consensus_or_override",
        "moderation_noted",
    ),
    _t("decline", [S.scoring], S.not_shortlisted, [Role.officer], "reason_given"),
    _t(
        "approve",
        [S.shortlisted],
        S.chair_approved,
        [Role.chair],
        "chair_not_conflicted",
        "tactical_pot_open",
    ),
    _t(
        "approve",
        [S.chair_approved],
        S.funded,
        [Role.pcc],
        "award_within_requested",
        "tactical_pot_open",
        "award_within_uncommitted",
    ),
    _t("clarify", [S.chair_approved], S.clarification, [Role.pcc], "question_given"),
    _t("answer", [S.clarification], S.chair_approved, LEAD_OR_OFFICER, "answer_given"),
    _t("reject", [S.shortlisted], S.rejected, [Role.chair], "reason_given"),
    _t("reject", [S.chair_approved, S.clarification], S.rejected, [Role.pcc], "reason_given"),
    _t("withdraw", sorted(WITHDRAWABLE, key=list(S).index), S.withdrawn, LEAD_OR_OFFICER, "reason_given"),
    _t("start", [S.funded], S.in_delivery, LEAD_OR_OFFICER),
    _t("complete", [S.in_delivery], S.delivered, LEAD_OR_OFFICER, "outcome_given"),
    _t("close", [S.delivered], S.closed, [Role.treasurer]),
    _t("cancel", [S.funded, S.in_delivery], S.cancelled, [Role.officer, Role.pcc], "reason_given"),
)


class TableError(Exception):
    """The declared lifecycle table is inconsistent."""


class WorkflowError(Exception):
    """A transition was refused."""


class InvalidTransition(WorkflowError):
    """The trigger cannot be fired from the bid's current state."""

    def __init__(self, status: BidStatus, trigger: str, allowed: list[str]) -> None:
        self.status, self.trigger, self.allowed = status, trigger, allowed
        super().__init__(
            f"cannot {trigger} a bid that is {status.value}; from {status.value} the allowed "
            f"actions are: {', '.join(allowed) or 'none'}"
        )


def _role_name(role: Role) -> str:
    return "lead (a member of the bid's lead organisation)" if role == Role.LEAD else role.value


class NotPermitted(WorkflowError):
    """The acting member holds none of the roles the transition needs."""

    def __init__(self, status: BidStatus, trigger: str, needed: Iterable[Role]) -> None:
        order = list(Role)
        self.status, self.trigger = status, trigger
        self.needed_roles = sorted(set(needed), key=order.index)
        super().__init__(
            f"{trigger} from {status.value} needs the role "
            f"{' or '.join(_role_name(r) for r in self.needed_roles)}"
        )


class GuardRefused(WorkflowError):
    """A guard's fact does not hold; the message names the rule."""

    def __init__(self, guard: str, message: str) -> None:
        self.guard = guard
        super().__init__(message)


def validate_table(table: tuple[Transition, ...] = TRANSITIONS, guards: Mapping[str, str] = GUARDS) -> None:
    """Every state reachable from draft, every guard defined, no ambiguous transition."""
    undefined = sorted({g for t in table for g in t.guards if g not in guards})
    if undefined:
        raise TableError(f"guards used but not defined: {', '.join(undefined)}")
    reached, frontier = {S.draft}, [S.draft]
    while frontier:
        state = frontier.pop()
        for t in table:
            if state in t.sources and t.dest not in reached:
                reached.add(t.dest)
                frontier.append(t.dest)
    unreachable = [s.value for s in S if s not in reached]
    if unreachable:
        raise TableError(f"states not reachable from draft: {', '.join(unreachable)}")
    for i, a in enumerate(table):
        for b in table[i + 1 :]:
            if a.trigger == b.trigger and set(a.sources) & set(b.sources) and a.roles & b.roles:
                raise TableError(
                    f"two transitions on {a.trigger} from "
                    f"{', '.join(s.value for s in set(a.sources) & set(b.sources))} share a role"
                )


validate_table()


def _role_allows(event: Any) -> bool:
    """Machine condition: the transition's roles meet the roles passed with the event."""
    return bool(event.transition.grants_roles & event.kwargs["roles"])


class _Adapter:
    """A plain stand-in for a bid while the shared machine runs one trigger on it."""

    def __init__(self) -> None:
        self.state: BidStatus | None = None


def _machine_transitions(table: tuple[Transition, ...]) -> list[dict[str, Any]]:
    return [
        {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest, "conditions": [_role_allows]}
        for t in table
    ]


MACHINE = Machine(
    model=None,
    states=BidStatus,
    transitions=_machine_transitions(TRANSITIONS),
    initial=S.draft,
    auto_transitions=False,
    send_event=True,
    model_attribute="state",
)
# Each machine transition learns the roles of its row, so the role condition can read them.
for _row in TRANSITIONS:
    for _source in _row.sources:
        for _transition in MACHINE.events[_row.trigger].transitions[_source.name]:
            if _transition.dest == _row.dest.name:
                _transition.grants_roles = _row.roles


def triggers_from(status: BidStatus) -> list[Transition]:
    return [t for t in TRANSITIONS if status in t.sources]


def allowed_triggers(status: BidStatus, roles: Iterable[Role] | None = None) -> list[str]:
    """Triggers that may be fired from this state (by these roles, when given)."""
    held = None if roles is None else set(roles)
    return sorted({t.trigger for t in triggers_from(status) if held is None or t.roles & held})


def transition_for(status: BidStatus, trigger: str, roles: Iterable[Role]) -> Transition:
    """The row a member with these roles would fire, or InvalidTransition / NotPermitted."""
    rows = [t for t in triggers_from(status) if t.trigger == trigger]
    if not rows:
        raise InvalidTransition(status, trigger, allowed_triggers(status))
    held = set(roles)
    for row in rows:
        if row.roles & held:
            return row
    raise NotPermitted(status, trigger, {r for row in rows for r in row.roles})


def guards_for(status: BidStatus, trigger: str, roles: Iterable[Role]) -> tuple[str, ...]:
    return transition_for(status, trigger, roles).guards


def fire(
    status: BidStatus,
    trigger: str,
    roles: Iterable[Role],
    facts: Mapping[str, bool] | None = None,
    details: Mapping[str, str] | None = None,
) -> BidStatus:
    """Fire a trigger from a state for a member with these roles; returns the new state.

    Guards are facts the caller computed; a missing fact refuses like a false one.
    """
    held = frozenset(roles)
    row = transition_for(status, trigger, held)
    facts, details = facts or {}, details or {}
    for guard in row.guards:
        if not facts.get(guard, False):
            raise GuardRefused(guard, details.get(guard) or f"refused by the rule: {GUARDS[guard]}")
    model = _Adapter()
    MACHINE.add_model(model, initial=status)
    try:
        if not model.trigger(trigger, roles=held):
            raise NotPermitted(status, trigger, row.roles)
        return BidStatus(model.state)
    except MachineError as error:  # pragma: no cover - transition_for checked the state already
        raise InvalidTransition(status, trigger, allowed_triggers(status)) from error
    finally:
        MACHINE.remove_model(model)


def mermaid_diagram() -> str:
    """The Mermaid state diagram, drawn by `transitions` from the same table."""
    from transitions.extensions.diagrams import GraphMachine

    graph = GraphMachine(
        model=_Adapter(),
        states=BidStatus,
        transitions=[{"trigger": t.trigger, "source": list(t.sources), "dest": t.dest} for t in TRANSITIONS],
        initial=S.draft,
        auto_transitions=False,
        graph_engine="mermaid",
        title="Bid lifecycle",
        show_conditions=False,
    )
    return graph.models[0].get_graph().draw(None).rstrip() + "\n"
