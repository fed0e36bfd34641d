"""The bid lifecycle table, its machine, its errors and its diagram, checked against DESIGN §4."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from workflows import bid_lifecycle as wf
from workflows.bid_lifecycle import (
    AWARDED,
    DECIDED,
    EDITABLE,
    FROZEN,
    GUARDS,
    LIVE,
    MACHINE,
    PRE_DECISION,
    SCORABLE,
    TERMINAL,
    TRANSITIONS,
    WITHDRAWABLE,
    BidStatus,
    GuardRefused,
    InvalidTransition,
    NotPermitted,
    Role,
    TableError,
    Transition,
    fire,
    mermaid_diagram,
    validate_table,
)

# DESIGN §4 written out by hand, independent of TRANSITIONS: (trigger, from) → (to, who).
LIFECYCLE: dict[tuple[str, str], tuple[str, set[str]]] = {
    ("submit", "draft"): ("submitted", {"lead", "officer"}),
    ("open_scoring", "submitted"): ("scoring", {"officer"}),
    ("shortlist", "scoring"): ("shortlisted", {"officer"}),
    ("decline", "scoring"): ("not_shortlisted", {"officer"}),
    ("approve", "shortlisted"): ("chair_approved", {"chair"}),
    ("approve", "chair_approved"): ("funded", {"pcc"}),
    ("clarify", "chair_approved"): ("clarification", {"pcc"}),
    ("answer", "clarification"): ("chair_approved", {"lead", "officer"}),
    ("reject", "shortlisted"): ("rejected", {"chair"}),
    ("reject", "chair_approved"): ("rejected", {"pcc"}),
    ("reject", "clarification"): ("rejected", {"pcc"}),
    ("withdraw", "draft"): ("withdrawn", {"lead", "officer"}),
    ("withdraw", "submitted"): ("withdrawn", {"lead", "officer"}),
    ("withdraw", "scoring"): ("withdrawn", {"lead", "officer"}),
    ("withdraw", "shortlisted"): ("withdrawn", {"lead", "officer"}),
    ("withdraw", "chair_approved"): ("withdrawn", {"lead", "officer"}),
    ("withdraw", "clarification"): ("withdrawn", {"lead", "officer"}),
    ("start", "funded"): ("in_delivery", {"lead", "officer"}),
    ("complete", "in_delivery"): ("delivered", {"lead", "officer"}),
    ("close", "delivered"): ("closed", {"treasurer"}),
    ("cancel", "funded"): ("cancelled", {"officer", "pcc"}),
    ("cancel", "in_delivery"): ("cancelled", {"officer", "pcc"}),
}

STATES = [
    "draft",
    "submitted",
    "scoring",
    "shortlisted",
    "not_shortlisted",
    "chair_approved",
    "clarification",
    "funded",
    "rejected",
    "in_delivery",
    "delivered",
    "closed",
    "withdrawn",
    "cancelled",
]
TRIGGERS = sorted({trigger for trigger, _ in LIFECYCLE})
ROLES = ["officer", "member", "partner", "chair", "pcc", "treasurer", "lead"]
ALL_FACTS = dict.fromkeys(GUARDS, True)


def _all_true_but(guard: str) -> dict[str, bool]:
    return {**ALL_FACTS, guard: False}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("state", STATES)
def test_fire_follows_the_design_table(state: str, trigger: str, role: str) -> None:
    expected = LIFECYCLE.get((trigger, state))
    if expected is None:
        with pytest.raises(InvalidTransition):
            fire(BidStatus(state), trigger, {Role(role)}, ALL_FACTS)
    elif role not in expected[1]:
        with pytest.raises(NotPermitted):
            fire(BidStatus(state), trigger, {Role(role)}, ALL_FACTS)
    else:
        assert fire(BidStatus(state), trigger, {Role(role)}, ALL_FACTS) is BidStatus(expected[0])


def test_lifecycle_has_exactly_the_design_states_roles_and_triggers() -> None:
    assert [s.value for s in BidStatus] == STATES
    assert [r.value for r in Role] == ROLES
    assert {t.trigger for t in TRANSITIONS} == set(TRIGGERS)


def test_fire_refuses_an_unknown_trigger_as_invalid() -> None:
    with pytest.raises(InvalidTransition) as caught:
        fire(BidStatus.draft, "frobnicate", {Role.officer}, ALL_FACTS)
    assert caught.value.allowed == ["submit", "withdraw"]


def test_fire_lets_the_role_pick_the_approve_step() -> None:
    both = {Role.chair, Role.pcc}
    assert fire(BidStatus.shortlisted, "approve", both, ALL_FACTS) is BidStatus.chair_approved
    assert fire(BidStatus.chair_approved, "approve", both, ALL_FACTS) is BidStatus.funded


def test_fire_accepts_any_one_of_several_held_roles() -> None:
    assert fire(BidStatus.draft, "withdraw", {Role.member, Role.LEAD}, ALL_FACTS) is BidStatus.withdrawn


def test_fire_accepts_plain_strings_for_status_and_roles() -> None:
    assert fire("funded", "start", {"lead"}) is BidStatus.in_delivery  # type: ignore[arg-type]


# (trigger, from) → guards in the order DESIGN §4 lists them (plus §5's moderation note).
GUARDS_BY_ROW: dict[tuple[str, str], list[str]] = {
    ("submit", "draft"): ["required_fields_present", "year_open", "amount_within_pot"],
    ("open_scoring", "submitted"): [],
    ("shortlist", "scoring"): ["quorum_met", "consensus_or_override", "moderation_noted"],
    ("decline", "scoring"): ["reason_given"],
    ("approve", "shortlisted"): ["chair_not_conflicted", "tactical_pot_open"],
    ("approve", "chair_approved"): [
        "award_within_requested",
        "tactical_pot_open",
        "award_within_uncommitted",
    ],
    ("clarify", "chair_approved"): ["question_given"],
    ("answer", "clarification"): ["answer_given"],
    ("reject", "shortlisted"): ["reason_given"],
    ("reject", "chair_approved"): ["reason_given"],
    ("withdraw", "draft"): ["reason_given"],
    ("start", "funded"): [],
    ("complete", "in_delivery"): ["outcome_given"],
    ("close", "delivered"): [],
    ("cancel", "in_delivery"): ["reason_given"],
}


@pytest.mark.parametrize(("trigger", "state"), sorted(GUARDS_BY_ROW))
def test_guards_for_lists_the_design_guards_in_order(trigger: str, state: str) -> None:
    roles = {Role(r) for r in LIFECYCLE[(trigger, state)][1]}
    assert list(wf.guards_for(BidStatus(state), trigger, roles)) == GUARDS_BY_ROW[(trigger, state)]


@pytest.mark.parametrize(("trigger", "state"), [k for k, v in sorted(GUARDS_BY_ROW.items()) if v])
def test_fire_refuses_when_any_guard_is_false(trigger: str, state: str) -> None:
    roles = {Role(r) for r in LIFECYCLE[(trigger, state)][1]}
    for guard in GUARDS_BY_ROW[(trigger, state)]:
        with pytest.raises(GuardRefused) as caught:
            fire(BidStatus(state), trigger, roles, _all_true_but(guard))
        assert caught.value.guard == guard


def test_guard_refusal_names_the_rule() -> None:
    with pytest.raises(GuardRefused) as caught:
        fire(BidStatus.scoring, "shortlist", {Role.officer}, _all_true_but("quorum_met"))
    assert str(caught.value) == f"shortlist refused by {GUARDS['quorum_met']}"
    assert str(caught.value).startswith("shortlist refused by the quorum rule: ")
    assert caught.value.rule == GUARDS["quorum_met"]


def test_guard_refusal_uses_the_callers_detail() -> None:
    detail = "the quorum rule: sheets from 3 responsible authorities; 4 are needed"
    with pytest.raises(GuardRefused) as caught:
        fire(
            BidStatus.scoring,
            "shortlist",
            {Role.officer},
            _all_true_but("quorum_met"),
            {"quorum_met": detail, "year_open": "unused"},
        )
    assert str(caught.value) == detail
    assert caught.value.detail == detail


def test_guard_missing_fact_refuses() -> None:
    with pytest.raises(GuardRefused) as caught:
        fire(BidStatus.draft, "withdraw", {Role.LEAD})
    assert caught.value.guard == "reason_given"


def test_guard_checks_run_in_declared_order() -> None:
    with pytest.raises(GuardRefused) as caught:
        fire(BidStatus.draft, "submit", {Role.officer}, {"amount_within_pot": True})
    assert caught.value.guard == "required_fields_present"


def test_fire_checks_state_before_role_and_role_before_guards() -> None:
    with pytest.raises(InvalidTransition):
        fire(BidStatus.withdrawn, "approve", {Role.member}, {})
    with pytest.raises(NotPermitted):
        fire(BidStatus.scoring, "decline", {Role.member}, {})


def test_invalid_transition_message_lists_allowed_triggers() -> None:
    with pytest.raises(InvalidTransition) as caught:
        fire(BidStatus.chair_approved, "submit", {Role.LEAD}, ALL_FACTS)
    assert str(caught.value) == (
        "cannot submit a bid that is chair_approved; from chair_approved the allowed actions are: "
        "approve, clarify, reject, withdraw"
    )
    assert caught.value.status is BidStatus.chair_approved and caught.value.trigger == "submit"


def test_invalid_transition_message_says_none_from_a_terminal_state() -> None:
    with pytest.raises(InvalidTransition) as caught:
        fire(BidStatus.withdrawn, "submit", {Role.LEAD}, ALL_FACTS)
    assert str(caught.value) == (
        "cannot submit a bid that is withdrawn; from withdrawn the allowed actions are: none"
    )
    assert caught.value.allowed == []


def test_not_permitted_names_the_role() -> None:
    with pytest.raises(NotPermitted) as caught:
        fire(BidStatus.shortlisted, "approve", {Role.officer, Role.pcc}, ALL_FACTS)
    assert str(caught.value) == (
        "you may not approve a bid that is shortlisted: the action approve needs the role chair"
    )
    assert caught.value.needed_roles == [Role.chair]


def test_not_permitted_spells_out_the_lead_role() -> None:
    with pytest.raises(NotPermitted) as caught:
        fire(BidStatus.draft, "submit", {Role.member}, ALL_FACTS)
    assert str(caught.value) == (
        "you may not submit a bid that is draft: the action submit needs the role officer or lead "
        "(a member of the bid's lead organisation)"
    )


def test_allowed_triggers_filters_by_role() -> None:
    assert wf.allowed_triggers(BidStatus.chair_approved) == ["approve", "clarify", "reject", "withdraw"]
    assert wf.allowed_triggers(BidStatus.chair_approved, {Role.pcc}) == ["approve", "clarify", "reject"]
    assert wf.allowed_triggers(BidStatus.chair_approved, {Role.member}) == []
    assert wf.allowed_triggers(BidStatus.closed) == []


def test_transition_for_returns_the_row_for_the_role() -> None:
    row = wf.transition_for(BidStatus.chair_approved, "approve", {Role.pcc})
    assert row.dest is BidStatus.funded and row.roles == {Role.pcc}


def test_machine_has_no_auto_transitions_and_enforces_conditions_itself() -> None:
    model = wf._BidProxy()
    MACHINE.add_model(model, initial=BidStatus.scoring)
    try:
        assert not hasattr(model, "to_funded")
        assert model.trigger("decline", roles=frozenset({Role.member}), facts=ALL_FACTS) is False
        assert model.trigger("decline", roles=frozenset({Role.officer}), facts={}) is False
        assert model.state is BidStatus.scoring
        assert model.trigger("decline", roles=frozenset({Role.officer}), facts=ALL_FACTS) is True
        assert model.state is BidStatus.not_shortlisted
    finally:
        MACHINE.remove_model(model)


def test_fire_leaves_no_model_on_the_shared_machine() -> None:
    before = len(MACHINE.models)
    fire(BidStatus.funded, "start", {Role.officer})
    with pytest.raises(GuardRefused):
        fire(BidStatus.funded, "cancel", {Role.officer})
    assert len(MACHINE.models) == before


def _doctored(*, drop: str | None = None, extra: Transition | None = None) -> tuple[Transition, ...]:
    rows = tuple(row for row in TRANSITIONS if row.trigger != drop)
    return (*rows, extra) if extra else rows


def test_validate_table_accepts_the_declared_table() -> None:
    validate_table()
    validate_table(TRANSITIONS, GUARDS)


def test_validate_table_catches_an_unreachable_state() -> None:
    with pytest.raises(TableError, match="not reachable from draft: closed"):
        validate_table(_doctored(drop="close"))


def test_validate_table_catches_an_undefined_guard() -> None:
    row = dataclasses.replace(TRANSITIONS[0], guards=("moon_is_full",))
    with pytest.raises(TableError, match="not defined: moon_is_full"):
        validate_table((row, *TRANSITIONS[1:]))


def test_validate_table_catches_an_ambiguous_transition() -> None:
    extra = Transition("reject", (BidStatus.shortlisted,), BidStatus.withdrawn, frozenset({Role.chair}), ())
    with pytest.raises(TableError, match="two reject transitions from shortlisted share the role chair"):
        validate_table(_doctored(extra=extra))


def test_validate_table_allows_one_trigger_split_by_disjoint_roles() -> None:
    extra = Transition(
        "reject", (BidStatus.shortlisted,), BidStatus.withdrawn, frozenset({Role.treasurer}), ()
    )
    validate_table(_doctored(extra=extra))


def test_validate_table_catches_a_row_nobody_may_fire() -> None:
    extra = Transition("start", (BidStatus.delivered,), BidStatus.in_delivery, frozenset(), ())
    with pytest.raises(TableError, match="needs sources and roles"):
        validate_table(_doctored(extra=extra))


def test_mermaid_diagram_shows_every_state_and_transition() -> None:
    diagram = mermaid_diagram()
    assert diagram.startswith("---\nBid lifecycle\n---\nstateDiagram-v2\n")
    for state in STATES:
        assert f'state "{state}" as {state}' in diagram
    for (trigger, source), (dest, _) in LIFECYCLE.items():
        assert f"{source} --> {dest}: {trigger}" in diagram
    assert "[*] --> draft" in diagram
    assert diagram.endswith("\n") and not diagram.endswith("\n\n")


def test_mermaid_diagram_is_identical_across_calls() -> None:
    assert mermaid_diagram() == mermaid_diagram()


def test_groupings_are_consistent() -> None:
    every = set(BidStatus)
    assert PRE_DECISION < WITHDRAWABLE
    assert WITHDRAWABLE == PRE_DECISION | {BidStatus.draft}
    assert EDITABLE | FROZEN == every and not EDITABLE & FROZEN
    assert EDITABLE < WITHDRAWABLE
    assert SCORABLE < PRE_DECISION
    assert LIVE < AWARDED < DECIDED
    assert TERMINAL < DECIDED
    assert not DECIDED & WITHDRAWABLE
    assert DECIDED | WITHDRAWABLE == every


def test_groupings_match_the_table() -> None:
    def sources(trigger: str) -> set[BidStatus]:
        return {s for row in TRANSITIONS if row.trigger == trigger for s in row.sources}

    assert sources("withdraw") == WITHDRAWABLE
    assert sources("shortlist") == sources("decline") == SCORABLE
    assert sources("cancel") == LIVE
    assert {s for s in BidStatus if not wf.allowed_triggers(s)} == TERMINAL
    assert {s for (_, s), _ in LIFECYCLE.items()} == set(BidStatus) - TERMINAL


def test_workflows_imports_no_database_cli_or_grants() -> None:
    code = (
        "import json, sys, workflows.bid_lifecycle as wf; wf.mermaid_diagram(); "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'sqlalchemy', 'sqlmodel', 'typer', 'grants', 'cli', 'rich'})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_every_guard_of_the_transition_table_has_its_fact_in_the_one_table() -> None:
    """The guards are named in workflows/ and their facts declared in grants.guards, nowhere else."""
    from grants.guards import FACTS

    in_transitions = {guard for t in TRANSITIONS for guard in t.guards}
    assert set(FACTS) == set(wf.GUARDS)
    assert in_transitions <= set(FACTS)
