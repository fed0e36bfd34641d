"""The bid lifecycle of DESIGN §4, declared as data and run by one shared `transitions` machine."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterable, Mapping
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
    """Who may act. `member` is a working-group member from a responsible authority, who scores;
    `partner` is a member from any other organisation (a charity), who may lead and edit bids but
    never scores; `lead` is not given: it is any member of the bid's lead organisation."""

    officer = "officer"
    member = "member"
    partner = "partner"
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
# Recommended by the Working Group and not yet confirmed by the Chair and the PCC.
RECOMMENDED_UNCONFIRMED = frozenset({S.shortlisted, S.chair_approved, S.clarification})
TERMINAL = frozenset({S.not_shortlisted, S.rejected, S.withdrawn, S.closed, S.cancelled})
DECIDED = frozenset(TERMINAL | LIVE | {S.delivered})
SCORABLE = frozenset({S.scoring})
# Projects that may still be paid: funded, in delivery, or delivered and not yet closed.
SPENDABLE = frozenset({S.funded, S.in_delivery, S.delivered})
# The lifecycle's stages, in order, each with its states: how `grants workflow diagram` groups
# them (every state in exactly one stage, checked when imported).
STAGES: tuple[tuple[str, tuple[BidStatus, ...]], ...] = (
    ("Proposal", (S.draft, S.submitted, S.withdrawn)),
    ("Working group", (S.scoring, S.shortlisted, S.not_shortlisted)),
    ("Chair and PCC", (S.chair_approved, S.clarification, S.funded, S.rejected)),
    ("Delivery", (S.in_delivery, S.delivered, S.closed, S.cancelled)),
)
# Bids the working group is scoring or has scored: what a ranking of the round shows.
SCORED = frozenset(set(S) - {S.draft, S.submitted, S.withdrawn})
# Bids that have left scoring (shortlisted or not, and everything after): decided on their sheets.
LEFT_SCORING = frozenset(SCORED - SCORABLE)
# The Working Group's decision on a bid in scoring: recommended (shortlisted) or not.
SHORTLISTING_OUTCOMES = frozenset({S.shortlisted, S.not_shortlisted})

# Guard name → the rule it stands for. Each guard is a boolean fact the caller computes; the caller
# may give more exact words for a refusal, otherwise the refusal quotes the rule.
GUARDS: dict[str, str] = {
    "required_fields_present": "the required-fields rule: a bid needs its required fields before it is submitted",
    "year_open": "the open-year rule: a closed year takes no changes",
    "amount_within_pot": "the pot-size rule: the amount requested must be more than £0 and no more than its pot",
    "quorum_met": "the quorum rule: sheets from members of enough responsible authorities",
    "consensus_or_override": (
        "the consensus rule: quorum met, nobody opposing and a mean score at the threshold, "
        "or an officer's override with a reason"
    ),
    "moderation_noted": "the moderation rule: widely diverging sheets need a note with the decision",
    "reason_given": "the reason rule: a reason must be given",
    "tactical_pot_open": "the tactical-pot rule: the tactical pot opens only once every upfront bid is decided",
    "chair_not_conflicted": "the conflict-of-interest rule: the chair may not approve a bid they have an interest in",
    "award_within_requested": "the award rule: the award may not exceed the amount requested",
    "award_within_uncommitted": "the budget rule: the award must fit in what its pot has uncommitted",
    "question_given": "the clarification rule: a clarification needs a question",
    "answer_given": "the answer rule: an answer must be given",
    "outcome_given": "the outcome rule: completing delivery needs an outcome summary",
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


def role_name(role: Role) -> str:
    return "lead (a member of the bid's lead organisation)" if role == Role.LEAD else role.value


def roles_text(roles: Iterable[Role]) -> str:
    """`officer or lead (…)`, in the enum's order."""
    order = list(Role)
    return " or ".join(role_name(r) for r in sorted(set(roles), key=order.index))


class NotPermitted(WorkflowError):
    """A refusal by role: the acting member holds none of the roles an action needs, or holds one
    but not its condition. The one permission error of the engine: the transition table and the
    permission policy (workflows.policy) both raise it. Its message names the action and the role
    it needs; a wrong state is InvalidTransition instead."""

    def __init__(
        self,
        action: str,
        needed: Iterable[Role],
        *,
        doing: str | None = None,
        who: str | None = None,
        held: Iterable[Role] | None = None,
        condition: str | None = None,
        rule: str | None = None,
        detail: str | None = None,
    ) -> None:
        order = list(Role)
        self.action, self.condition = action, condition
        self.needed_roles = sorted(set(needed), key=order.index)
        self.held_roles = sorted(set(held or ()), key=order.index)
        subject = who or "you"
        head = f"{subject} may not {doing or action}: "
        if condition is None:
            has = ", ".join(r.value for r in self.held_roles) or "no role"
            tail = f" ({subject} has {has})" if who else ""
            message = f"{head}the action {action} needs the role {roles_text(self.needed_roles)}{tail}"
        else:
            needs = f"the action {action} needs the role {roles_text(self.needed_roles)}"
            message = f"{head}{detail or rule or condition} ({needs}, and {rule or condition})"
        super().__init__(message)


def _transition_refusal(status: BidStatus, trigger: str, needed: Iterable[Role]) -> NotPermitted:
    return NotPermitted(trigger, needed, doing=f"{trigger} a bid that is {status.value}")


class GuardRefused(WorkflowError):
    """A guard's fact is false or missing; the message names the rule."""

    def __init__(self, status: BidStatus, trigger: str, guard: str, detail: str | None = None) -> None:
        self.status, self.trigger, self.guard = status, trigger, guard
        self.rule = GUARDS.get(guard, guard)
        self.detail = detail
        super().__init__(detail or f"{trigger} refused by {self.rule}")


def _reachable(table: tuple[Transition, ...]) -> set[BidStatus]:
    reached, frontier = {S.draft}, [S.draft]
    while frontier:
        state = frontier.pop()
        for row in table:
            if state in row.sources and row.dest not in reached:
                reached.add(row.dest)
                frontier.append(row.dest)
    return reached


def validate_table(table: tuple[Transition, ...] = TRANSITIONS, guards: Mapping[str, str] = GUARDS) -> None:
    """Raise TableError unless every state is reachable, every guard defined and no row ambiguous."""
    for row in table:
        if not row.sources or not row.roles:
            raise TableError(f"the {row.trigger} transition to {row.dest.value} needs sources and roles")
    undefined = sorted({g for row in table for g in row.guards if g not in guards})
    if undefined:
        raise TableError(f"guards used but not defined: {', '.join(undefined)}")
    staged = [state for _, states in STAGES for state in states]
    if sorted(staged) != sorted(S):
        raise TableError("STAGES must hold every state exactly once")
    reached = _reachable(table)
    unreachable = [s.value for s in S if s not in reached]
    if unreachable:
        raise TableError(f"states not reachable from draft: {', '.join(unreachable)}")
    for i, a in enumerate(table):
        for b in table[i + 1 :]:
            shared = [s.value for s in S if s in a.sources and s in b.sources]
            if a.trigger == b.trigger and shared and a.roles & b.roles:
                # Same trigger from the same state is fine only when the role picks the row.
                raise TableError(
                    f"two {a.trigger} transitions from {', '.join(shared)} share the role "
                    f"{' or '.join(r.value for r in Role if r in a.roles & b.roles)}"
                )


validate_table()


def _held_by(roles: frozenset[Role]) -> Callable[[Any], bool]:
    """Machine condition: the acting member holds one of the row's roles."""

    def holds(event: Any) -> bool:
        return bool(roles & event.kwargs.get("roles", frozenset()))

    return holds


def _fact(guard: str) -> Callable[[Any], bool]:
    """Machine condition: the caller's fact for this guard is true."""

    def holds(event: Any) -> bool:
        return bool(event.kwargs.get("facts", {}).get(guard, False))

    return holds


class _BidProxy:
    """A plain stand-in for a bid while the shared machine runs one trigger on it."""

    def __init__(self) -> None:
        self.state: BidStatus | None = None


# One shared machine; models are added for a single call. `auto_transitions=False` so no
# `to_<state>()` shortcut can skip the table. The role and guard conditions repeat what `fire`
# checks first, so the machine cannot be driven past the rules even when used directly.
MACHINE = Machine(
    model=None,
    states=BidStatus,
    transitions=[
        {
            "trigger": row.trigger,
            "source": list(row.sources),
            "dest": row.dest,
            "conditions": [_held_by(row.roles), *(_fact(g) for g in row.guards)],
        }
        for row in TRANSITIONS
    ],
    initial=S.draft,
    auto_transitions=False,
    send_event=True,
    model_attribute="state",
)
_MACHINE_LOCK = threading.Lock()  # add_model/remove_model change the machine's shared model list


def _rows_from(status: BidStatus) -> list[Transition]:
    return [row for row in TRANSITIONS if status in row.sources]


def allowed_triggers(status: BidStatus, roles: Iterable[Role] | None = None) -> list[str]:
    """Triggers that may be fired from this state (by these roles, when given), sorted."""
    status = BidStatus(status)
    held = None if roles is None else set(roles)
    return sorted({row.trigger for row in _rows_from(status) if held is None or row.roles & held})


def transition_for(status: BidStatus, trigger: str, roles: Iterable[Role]) -> Transition:
    """The row a member with these roles would fire; raises InvalidTransition or NotPermitted."""
    status = BidStatus(status)
    rows = [row for row in _rows_from(status) if row.trigger == trigger]
    if not rows:
        raise InvalidTransition(status, trigger, allowed_triggers(status))
    held = set(roles)
    for row in rows:
        if row.roles & held:
            return row
    raise _transition_refusal(status, trigger, {r for row in rows for r in row.roles})


def guards_for(status: BidStatus, trigger: str, roles: Iterable[Role]) -> tuple[str, ...]:
    """The guard names the caller must compute facts for, in the order they are checked."""
    return transition_for(status, trigger, roles).guards


def fire(
    status: BidStatus,
    trigger: str,
    roles: Iterable[Role],
    facts: Mapping[str, bool] | None = None,
    details: Mapping[str, str] | None = None,
) -> BidStatus:
    """Fire a trigger from a state for a member holding these roles; returns the new state.

    Checks the state, then the roles, then each guard in declared order. A missing fact refuses
    like a false one; `details[guard]` replaces the rule's words in the refusal.
    """
    status = BidStatus(status)
    held = frozenset(roles)
    row = transition_for(status, trigger, held)
    facts, details = dict(facts or {}), dict(details or {})
    for guard in row.guards:
        if not facts.get(guard, False):
            raise GuardRefused(status, trigger, guard, details.get(guard))
    model = _BidProxy()
    with _MACHINE_LOCK:
        MACHINE.add_model(model, initial=status)
        try:
            # `transitions` adds `trigger` to the model when it is added to the machine.
            fired = model.trigger(trigger, roles=held, facts=facts)  # type: ignore[attr-defined]
        except MachineError as error:  # pragma: no cover - transition_for checked the state
            raise InvalidTransition(status, trigger, allowed_triggers(status)) from error
        finally:
            MACHINE.remove_model(model)
    if not fired:  # pragma: no cover - the checks above mirror the machine's conditions
        raise WorkflowError(f"the machine refused to {trigger} a bid that is {status.value}")
    if model.state is None:  # pragma: no cover - add_model gave the proxy its initial state
        raise WorkflowError(f"the machine lost the state of a bid that was {status.value}")
    return BidStatus(model.state)


def mermaid_diagram() -> str:
    """The Mermaid `stateDiagram-v2` source, drawn by `transitions` from TRANSITIONS."""
    from transitions.extensions.diagrams import GraphMachine

    graph = GraphMachine(
        model=_BidProxy(),
        states=BidStatus,
        transitions=[
            {"trigger": row.trigger, "source": list(row.sources), "dest": row.dest} for row in TRANSITIONS
        ],
        initial=S.draft,
        auto_transitions=False,
        graph_engine="mermaid",
        title="Bid lifecycle",
        show_conditions=False,
    )
    source = graph.models[0].get_graph().draw(None)
    if source is None:  # pragma: no cover - drawing to no file returns the source
        raise WorkflowError("transitions drew no Mermaid source")
    return source.rstrip() + "\n"
