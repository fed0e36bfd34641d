"""Who may do and see what: the permission policy, declared as data beside the lifecycle table.

Every action a member can take or a view they can ask for is a row of `POLICY`: the roles that
allow it, each with the named conditions (facts about the member and the bid) that must also hold.
The moves of a bid through its lifecycle are rows too; their roles come from the transition table
(`workflows.bid_lifecycle.TRANSITIONS`), which also checks their states and guards.

`check` is the one function every command and service asks; it raises `NotPermitted`, naming the
action and the role it needs. A wrong state is `InvalidTransition`, a different error.

No database and no command line here: callers compute the facts and pass them in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workflows.bid_lifecycle import TRANSITIONS, NotPermitted, Role, roles_text

__all__ = [
    "CONDITIONS",
    "POLICY",
    "Action",
    "Grant",
    "NotPermitted",
    "Permission",
    "Role",
    "check",
    "conditions_of",
    "markdown",
    "matrix",
    "permitted",
    "roles_for",
    "to_json",
]


class Action(enum.StrEnum):
    """Everything the policy decides. Values are the names the matrix and refusals use."""

    # Setting up the partnership and its year
    add_organisation = "add-organisation"
    add_member = "add-member"
    open_year = "open-year"
    set_criteria = "set-criteria"
    transfer = "transfer"
    rollover = "rollover"
    # Bids
    create_bid = "create-bid"
    edit_bid = "edit-bid"
    declare_interest = "declare-interest"
    # Moves through the lifecycle (roles from the transition table)
    submit = "submit"
    open_scoring = "open_scoring"
    shortlist = "shortlist"
    decline = "decline"
    approve = "approve"
    clarify = "clarify"
    answer = "answer"
    reject = "reject"
    withdraw = "withdraw"
    start = "start"
    complete = "complete"
    close = "close"
    cancel = "cancel"
    # Scoring
    score = "score"
    see_sheets = "see-sheets"
    see_scores_summary = "see-scores-summary"
    # Money after the award
    vary = "vary"
    change_end_date = "change-end-date"
    record_spend = "record-spend"
    import_spend = "import-spend"
    # Reading
    read = "read"
    read_audit_log = "read-audit-log"
    export_workbook = "export-workbook"


# Condition name → the rule it stands for. Each is a fact about the acting member (and the bid)
# that the caller computes; a missing fact counts as false.
CONDITIONS: dict[str, str] = {
    "own_declaration": "a member declares their own interests",
    "responsible_authority": "only working-group members from responsible authorities score",
    "not_lead_organisation": "the lead organisation never scores or sees the sheets of its own bid",
    "no_interest_declared": "a member who declared an interest in a bid neither scores nor sees its sheets",
    "own_sheet_in": "blind scoring: a member sees other sheets of a bid only once their own is in",
    "bid_left_scoring": "the sheets are shown to those who decide once the bid has left scoring",
    "bid_decided": "the lead organisation sees the mean and the stances once its bid is decided",
}


@dataclass(frozen=True)
class Grant:
    """One role that allows an action, when all of its conditions hold."""

    role: Role
    conditions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role.value, "conditions": list(self.conditions)}


@dataclass(frozen=True)
class Permission:
    """One row of the policy."""

    action: Action
    doing: str  # how a refusal says it: "vary awards"
    grants: tuple[Grant, ...]
    transition: bool = False  # a lifecycle move: its states and guards are the transition table's
    one: str = ""  # how a refusal says it of one thing: "score {}" → "score CRG-2425-001"

    def doing_text(self, subject: str | None) -> str:
        if not subject:
            return self.doing
        return self.one.format(subject) if self.one else f"{self.doing} ({subject})"

    @property
    def roles(self) -> list[Role]:
        order = list(Role)
        return sorted({g.role for g in self.grants}, key=order.index)


R = Role
EVERY_ROLE = tuple(Role)
DECIDERS = (R.officer, R.chair, R.pcc)
SCORER = ("responsible_authority", "not_lead_organisation", "no_interest_declared")


def _g(roles: Iterable[Role], *conditions: str) -> tuple[Grant, ...]:
    return tuple(Grant(role, tuple(conditions)) for role in roles)


def _transition_grants(trigger: str) -> tuple[Grant, ...]:
    roles = {role for row in TRANSITIONS if row.trigger == trigger for role in row.roles}
    return _g(sorted(roles, key=list(Role).index))


_ROWS: tuple[Permission, ...] = (
    Permission(Action.add_organisation, "add organisations", _g([R.officer])),
    Permission(Action.add_member, "add members", _g([R.officer])),
    Permission(Action.open_year, "open a year", _g([R.officer])),
    Permission(Action.set_criteria, "set criteria", _g([R.officer])),
    Permission(Action.transfer, "transfer between pots", _g([R.officer])),
    Permission(Action.rollover, "roll a year over", _g([R.officer])),
    Permission(Action.create_bid, "create bids", _g([R.officer, R.LEAD]), one="create a bid {}"),
    Permission(Action.edit_bid, "edit bids", _g([R.officer, R.LEAD]), one="edit {}"),
    Permission(
        Action.declare_interest,
        "declare interests",
        (*_g([R.officer]), *_g([r for r in EVERY_ROLE if r != R.officer], "own_declaration")),
        one="declare an interest {}",
    ),
    *(
        Permission(action, f"{action.value} bids", _transition_grants(action.value), transition=True)
        for action in (
            Action.submit,
            Action.open_scoring,
            Action.shortlist,
            Action.decline,
            Action.approve,
            Action.clarify,
            Action.answer,
            Action.reject,
            Action.withdraw,
            Action.start,
            Action.complete,
            Action.close,
            Action.cancel,
        )
    ),
    Permission(Action.score, "score bids", _g([R.member], *SCORER), one="score {}"),
    Permission(
        Action.see_sheets,
        "see score sheets",
        (
            *_g(DECIDERS, "bid_left_scoring"),
            *_g([R.member], "own_sheet_in", "not_lead_organisation", "no_interest_declared"),
        ),
        one="see the sheets of {}",
    ),
    Permission(
        Action.see_scores_summary,
        "see mean scores and stances",
        (
            *_g(DECIDERS, "bid_left_scoring"),
            *_g([R.member], "own_sheet_in", "not_lead_organisation", "no_interest_declared"),
            *_g([R.LEAD], "bid_decided"),
        ),
        one="see the mean score and stances of {}",
    ),
    Permission(Action.vary, "vary awards", _g([R.pcc])),
    Permission(Action.change_end_date, "change a project's end date", _g([R.pcc])),
    Permission(Action.record_spend, "record spend", _g([R.treasurer])),
    Permission(Action.import_spend, "import spend", _g([R.treasurer])),
    Permission(Action.read, "read the year's bids, pots and reports", _g(EVERY_ROLE)),
    Permission(Action.read_audit_log, "read the audit log", _g(EVERY_ROLE)),
    Permission(Action.export_workbook, "export the workbook for the PCC", _g([*DECIDERS, R.treasurer])),
)

POLICY: dict[Action, Permission] = {row.action: row for row in _ROWS}


class PolicyError(Exception):
    """The declared policy is inconsistent."""


def validate_policy() -> None:
    """Every action has a row with at least one role; every condition is defined."""
    missing = [a.value for a in Action if a not in POLICY or not POLICY[a].grants]
    if missing:
        raise PolicyError(f"actions without a row or a role: {', '.join(missing)}")
    undefined = sorted({c for row in _ROWS for g in row.grants for c in g.conditions} - set(CONDITIONS))
    if undefined:
        raise PolicyError(f"conditions used but not defined: {', '.join(undefined)}")
    triggers = {row.trigger for row in TRANSITIONS}
    unlisted = sorted(triggers - {row.action.value for row in _ROWS if row.transition})
    if unlisted:
        raise PolicyError(f"lifecycle triggers without a policy row: {', '.join(unlisted)}")


validate_policy()


def roles_for(action: Action) -> list[Role]:
    """The roles that may take an action (under its conditions)."""
    return POLICY[Action(action)].roles


def conditions_of(action: Action, roles: Iterable[Role]) -> tuple[str, ...]:
    """The condition names a caller must compute facts for, for a member holding these roles."""
    held = set(roles)
    names = [c for g in POLICY[Action(action)].grants if g.role in held for c in g.conditions]
    return tuple(dict.fromkeys(names))


def _allowing(action: Action, roles: Iterable[Role], facts: Mapping[str, bool]) -> Grant | None:
    held = set(roles)
    for grant in POLICY[action].grants:
        if grant.role in held and all(facts.get(c, False) for c in grant.conditions):
            return grant
    return None


def permitted(action: Action, roles: Iterable[Role], facts: Mapping[str, bool] | None = None) -> bool:
    """Whether a member holding these roles, with these facts, may take the action."""
    return _allowing(Action(action), roles, facts or {}) is not None


def check(
    action: Action,
    roles: Iterable[Role],
    facts: Mapping[str, bool] | None = None,
    *,
    who: str | None = None,
    subject: str | None = None,
    details: Mapping[str, str] | None = None,
) -> Grant:
    """The grant that allows the action; otherwise NotPermitted, naming the action and the role.

    When the member holds a role of the action but one of its conditions is false, the refusal
    names that condition's rule; `details[condition]` gives the exact words.
    """
    action = Action(action)
    row = POLICY[action]
    facts, details = dict(facts or {}), dict(details or {})
    held = frozenset(roles)
    grant = _allowing(action, held, facts)
    if grant is not None:
        return grant
    doing = row.doing_text(subject)
    for candidate in row.grants:
        if candidate.role in held:
            failed = next(c for c in candidate.conditions if not facts.get(c, False))
            raise NotPermitted(
                action.value,
                row.roles,
                doing=doing,
                who=who,
                held=held,
                condition=failed,
                rule=CONDITIONS[failed],
                detail=details.get(failed),
            )
    raise NotPermitted(action.value, row.roles, doing=doing, who=who, held=held)


def condition_number(name: str) -> int:
    """A condition's number in the legend of the printed matrix (1, 2, …)."""
    return list(CONDITIONS).index(name) + 1


def _cell(grants: list[Grant], *, numbered: bool) -> str:
    if not grants:
        return "no"
    if any(not g.conditions for g in grants):
        return "yes"

    def named(c: str) -> str:
        return str(condition_number(c)) if numbered else c

    joiner = "+" if numbered else " and "
    return " or ".join("if " + joiner.join(named(c) for c in g.conditions) for g in grants)


def matrix(*, numbered: bool = False) -> list[dict[str, Any]]:
    """The policy as rows: each action with, for every role, `yes`, `no` or `if` its conditions
    (by name, or by number in the legend when `numbered`)."""
    rows = []
    for row in _ROWS:
        cells = {
            role.value: _cell([g for g in row.grants if g.role == role], numbered=numbered) for role in Role
        }
        rows.append(
            {
                "action": row.action.value,
                "doing": row.doing,
                "transition": row.transition,
                "roles": [r.value for r in row.roles],
                "grants": [g.to_json() for g in row.grants],
                "cells": cells,
            }
        )
    return rows


def needs_text(action: Action) -> str:
    return roles_text(roles_for(action))


def markdown() -> str:
    """The matrix as a Markdown table, then what each condition means (README shows this)."""
    roles = [role.value for role in Role]
    lines = [
        "| Action | " + " | ".join(roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for row in matrix(numbered=True):
        name = row["action"] + (" \\*" if row["transition"] else "")
        lines.append(f"| {name} | " + " | ".join(row["cells"][r] for r in roles) + " |")
    lines.append("")
    lines.append(
        "\\* a move through the lifecycle: its states and guards are the transition table's. "
        "`lead` is any member of the bid's lead organisation. Conditions:"
    )
    lines.append("")
    for name, rule in CONDITIONS.items():
        lines.append(f"{condition_number(name)}. `{name}`: {rule}")
    return "\n".join(lines) + "\n"


def to_json() -> dict[str, Any]:
    """The matrix with the meaning of each role and condition."""
    return {
        "roles": [role.value for role in Role],
        "conditions": dict(CONDITIONS),
        "actions": matrix(),
    }
