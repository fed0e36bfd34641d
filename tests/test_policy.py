"""The permission policy: one declared table, one check, one NotPermitted; and every command asks it."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from tests.conftest import Cli
from workflows import bid_lifecycle as wf
from workflows import policy
from workflows.policy import CONDITIONS, POLICY, Action, NotPermitted, Role

ROOT = Path(__file__).resolve().parent.parent

# What the issue asks, written out by hand: action → {role: conditions (None = no grant)}.
# A change to the policy table has to change this too, on purpose.
RA_SCORER = ("responsible_authority", "not_lead_organisation", "no_interest_declared")
OWN_SHEET = ("own_sheet_in", "not_lead_organisation", "no_interest_declared")
EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    "add-organisation": {"officer": ()},
    "add-member": {"officer": ()},
    "edit-organisation": {"officer": ()},
    "retire-organisation": {"officer": ()},
    "edit-member": {"officer": ()},
    "retire-member": {"officer": ()},
    "manage-priorities": {"officer": ()},
    "set-rules": {"officer": ()},
    "open-year": {"officer": ()},
    "set-criteria": {"officer": ()},
    "transfer": {"officer": ()},
    "rollover": {"officer": ()},
    "create-bid": {"officer": (), "lead": ()},
    "edit-bid": {"officer": (), "lead": ()},
    "declare-interest": {
        "officer": (),
        **{r: ("own_declaration",) for r in ("member", "partner", "chair", "pcc", "treasurer", "lead")},
    },
    "submit": {"officer": (), "lead": ()},
    "open_scoring": {"officer": ()},
    "shortlist": {"officer": ()},
    "decline": {"officer": ()},
    "approve": {"chair": (), "pcc": ()},
    "clarify": {"pcc": ()},
    "answer": {"officer": (), "lead": ()},
    "reject": {"chair": (), "pcc": ()},
    "withdraw": {"officer": (), "lead": ()},
    "start": {"officer": (), "lead": ()},
    "complete": {"officer": (), "lead": ()},
    "close": {"treasurer": ()},
    "cancel": {"officer": (), "pcc": ()},
    "score": {"member": RA_SCORER},
    "see-sheets": {
        "officer": ("bid_left_scoring",),
        "chair": ("bid_left_scoring",),
        "pcc": ("bid_left_scoring",),
        "member": OWN_SHEET,
    },
    "see-scores-summary": {
        "officer": ("bid_left_scoring",),
        "chair": ("bid_left_scoring",),
        "pcc": ("bid_left_scoring",),
        "member": OWN_SHEET,
        "lead": ("bid_decided",),
    },
    "vary": {"pcc": ()},
    "change-end-date": {"pcc": ()},
    "record-spend": {"treasurer": ()},
    "import-spend": {"treasurer": ()},
    "read": {r.value: () for r in Role},
    "read-audit-log": {r.value: () for r in Role},
    "export-workbook": {"officer": (), "chair": (), "pcc": (), "treasurer": ()},
}


def test_the_table_is_what_the_issue_asks() -> None:
    declared = {row.action.value: {g.role.value: g.conditions for g in row.grants} for row in POLICY.values()}
    assert declared == EXPECTED
    assert [a.value for a in Action] == list(EXPECTED)


def test_lifecycle_rows_take_their_roles_from_the_transition_table() -> None:
    for trigger in {row.trigger for row in wf.TRANSITIONS}:
        roles = {r for row in wf.TRANSITIONS if row.trigger == trigger for r in row.roles}
        assert set(policy.roles_for(Action(trigger))) == roles
        assert POLICY[Action(trigger)].transition


def _fact_sets(conditions: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Every truth assignment of the conditions an action uses."""
    for values in itertools.product([False, True], repeat=len(conditions)):
        yield dict(zip(conditions, values, strict=True))


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_every_action_and_role_gives_what_the_table_says(action: Action) -> None:
    used = tuple(sorted({c for g in POLICY[action].grants for c in g.conditions}))
    for role in Role:
        wanted = EXPECTED[action.value].get(role.value)
        for facts in _fact_sets(used):
            allowed = wanted is not None and all(facts[c] for c in wanted)
            assert policy.permitted(action, {role}, facts) is allowed, (action, role, facts)
            if allowed:
                assert policy.check(action, {role}, facts).role == role
                continue
            with pytest.raises(NotPermitted) as caught:
                policy.check(action, {role}, facts, who="someone")
            message = str(caught.value)
            assert message.startswith("someone may not ")
            # The refusal names the action and the role it needs.
            assert f"the action {action.value} needs the role " in message
            for needed in policy.roles_for(action):
                assert wf.role_name(needed) in message
            if wanted is not None:  # held the role, not the condition: the rule is named
                failed = next(c for c in wanted if not facts[c])
                assert CONDITIONS[failed] in message


def test_no_role_at_all_is_refused_everything() -> None:
    for action in Action:
        with pytest.raises(NotPermitted):
            policy.check(action, set(), {c: True for c in CONDITIONS})


def test_not_permitted_and_invalid_transition_are_distinct() -> None:
    with pytest.raises(NotPermitted) as refused:
        wf.fire(wf.BidStatus.shortlisted, "approve", {Role.member}, dict.fromkeys(wf.GUARDS, True))
    with pytest.raises(wf.InvalidTransition) as invalid:
        wf.fire(wf.BidStatus.draft, "approve", {Role.chair}, dict.fromkeys(wf.GUARDS, True))
    assert not isinstance(refused.value, wf.InvalidTransition)
    assert not isinstance(invalid.value, NotPermitted)
    assert "may not" in str(refused.value) and "needs the role" in str(refused.value)
    assert str(invalid.value).startswith("cannot approve a bid that is draft")


def test_the_policy_imports_neither_the_database_nor_the_command_line() -> None:
    import subprocess
    import sys

    code = (
        "import sys, workflows.policy; "
        "bad = [m for m in ('sqlalchemy', 'sqlmodel', 'typer', 'rich', 'grants') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


# --- the table is the only place a role is named for a permission -------------------------------

ROLE_ALLOWED = {
    Path("workflows/policy.py"),
    Path("workflows/bid_lifecycle.py"),
    Path("grants/identity.py"),
    Path("grants/privileges.py"),  # identity on PostgreSQL: a login group per role
}


def test_no_role_comparisons_outside_the_policy_and_identity_code() -> None:
    offenders = []
    for folder in ("grants", "cli", "workflows"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative in ROLE_ALLOWED:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if re.search(r"\bRole\.[A-Za-z_]", line) or re.search(r"member_roles\(", line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_no_service_checks_a_role_its_own_way() -> None:
    """The old ways are gone: `scope.require`, `require_role`, copied 'needs the role' messages."""
    offenders = []
    for folder in ("grants", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text()
            for pattern in (r"scope\.require\(", r"\brequire_role\(", r"needs the role", r"may not \{?doing"):
                if re.search(pattern, text):
                    offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


# --- grants workflow permissions ------------------------------------------------------------------


def test_permissions_command_prints_the_matrix(cli: Cli) -> None:
    table = cli("workflow", "permissions")
    assert table.exit_code == 0, table.output
    for action in Action:
        assert action.value in table.stdout
    for role in Role:
        assert role.value in table.stdout
    for name, rule in CONDITIONS.items():
        assert f"{policy.condition_number(name)}. {name}: {rule}" in table.stdout
    data = json.loads(cli("workflow", "permissions", "--json").stdout)
    assert data == policy.to_json()
    assert [row["action"] for row in data["actions"]] == [a.value for a in Action]
    score = next(row for row in data["actions"] if row["action"] == "score")
    assert score["cells"]["member"] == "if " + " and ".join(RA_SCORER)
    assert score["cells"]["partner"] == "no"
    markdown = cli("workflow", "permissions", "--format", "markdown")
    assert markdown.stdout == policy.markdown()
    assert markdown.stdout.startswith(
        "| Action | officer | member | partner | chair | pcc | treasurer | lead |"
    )
    bad = cli("workflow", "permissions", "--format", "pdf")
    assert bad.exit_code == 2 and "--format 'pdf' is not one of table, json, markdown" in bad.stderr


def test_readme_shows_the_generated_matrix() -> None:
    readme = (ROOT / "README.md").read_text()
    assert policy.markdown() in readme


# --- every command asks the policy ----------------------------------------------------------------

# (action, a command that takes it, whether the command names a bid that the actor could lead)
COMMANDS: dict[Action, tuple[str, ...]] = {
    Action.add_organisation: ("org", "add", "newbody", "--name", "New body"),
    Action.add_member: ("member", "add", "newbie", "--name", "New", "--org", "kcc"),
    Action.open_year: ("year", "open", "2031/32", "--allocation", "1,000"),
    Action.set_criteria: ("criteria", "set", "fit_pcc", "--weight", "30"),
    Action.transfer: ("pot", "transfer", "100", "--from", "upfront", "--to", "tactical", "--reason", "x"),
    Action.rollover: ("rollover", "2024/25"),
    Action.vary: ("vary", "CRG-2425-001", "1,000", "--reason", "x"),
    Action.record_spend: ("spend", "add", "CRG-2425-001", "10", "--supplier", "S", "--date", "2024-06-01"),
    Action.score: ("score", "CRG-2425-001", "--criterion", "fit_pcc=4", "--support"),
    Action.export_workbook: ("export", "xlsx", "--out", "{tmp}/book.xlsx"),
}

PEOPLE = {  # a demo member holding each assignable role alone
    "officer": "kcc-officer",
    "member": "wg-kfrs",
    "chair": "chair",
    "pcc": "opcc",
    "treasurer": "treasurer",
}


@pytest.mark.parametrize("action", list(COMMANDS), ids=str)
def test_every_role_is_refused_by_the_policy_or_let_through(
    round_: Cli, tmp_path: Path, action: Action
) -> None:
    for role, handle in PEOPLE.items():
        result = round_(*(a.format(tmp=tmp_path) for a in COMMANDS[action]), actor=handle)
        message = f"may not {POLICY[action].doing}"
        refused_by_policy = "needs the role" in result.stderr and result.exit_code == 1
        if role in EXPECTED[action.value]:
            assert not refused_by_policy, (action, role, result.stderr)
        else:
            assert refused_by_policy, (action, role, result.output)
            assert f"the action {action.value} needs the role" in result.stderr
            assert message in result.stderr or "may not" in result.stderr


# --- a partner from an organisation that is not a responsible authority ---------------------------


def test_a_partner_bids_but_never_scores(round_: Cli) -> None:
    ok = round_(
        "org", "add", "kcvs", "--name", "Kent Community Voluntary Services", "--partner", actor="kcc-officer"
    )
    assert ok.exit_code == 0, ok.output
    before = round_.snapshot()
    as_member = round_(
        "member",
        "add",
        "cv-lead",
        "--name",
        "Charity lead",
        "--org",
        "kcvs",
        "--roles",
        "member",
        actor="kcc-officer",
    )
    assert as_member.exit_code == 2
    assert "Kent Community Voluntary Services is not a responsible authority" in as_member.stderr
    assert "--roles partner" in as_member.stderr
    assert round_.snapshot() == before
    added = round_("member", "add", "cv-lead", "--name", "Charity lead", "--org", "kcvs", actor="kcc-officer")
    assert added.exit_code == 0, added.output
    assert "with roles partner" in added.stdout
    listed = json.loads(round_("member", "list", "--json").stdout)
    assert next(m for m in listed if m["handle"] == "cv-lead")["roles"] == ["partner"]
    assert "partner" in round_("member", "list").stdout
    # The partner leads a bid of its own organisation: creates, edits and submits it.
    bid = round_(
        "bid",
        "new",
        "--title",
        "Safe spaces",
        "--amount",
        "1,000",
        "--summary",
        "s",
        "--pcc-priority",
        "crime-prevention",
        "--csa-priority",
        "neighbourhood-crime-asb",
        "--outcomes",
        "o",
        "--measures",
        "m",
        "--ends",
        "2025-03-31",
        "--json",
        actor="cv-lead",
    )
    assert bid.exit_code == 0, bid.output
    reference = json.loads(bid.stdout)["reference"]
    assert round_("bid", "edit", reference, "--title", "Safe spaces for all", actor="cv-lead").exit_code == 0
    assert round_("bid", "submit", reference, actor="cv-lead").exit_code == 0
    # …but scores nobody's bid, its own or a rival's.
    before = round_.snapshot()
    for target in ("CRG-2425-008", reference):
        refused = round_("score", target, "--criterion", "fit_pcc=4", "--support", actor="cv-lead")
        assert refused.exit_code == 1, refused.output
        assert "cv-lead may not score" in refused.stderr
        assert "the action score needs the role member" in refused.stderr
    assert round_.snapshot() == before
    assert round_("score", "--next", actor="cv-lead").exit_code == 1


def test_a_sheet_from_outside_the_responsible_authorities_never_counts(round_: Cli) -> None:
    """A member given the scoring role before their organisation stopped being a responsible
    authority (or by editing the database): their sheet is not in the mean, nor the quorum."""
    import sqlite3

    round_("org", "add", "kcvs", "--name", "KCVS", "--responsible-authority", actor="kcc-officer")
    round_("member", "add", "cv-1", "--name", "C", "--org", "kcvs", actor="kcc-officer")
    scored = round_(
        "score",
        "CRG-2425-008",
        *[f"--criterion={k}=5" for k in ("fit_pcc", "fit_csa", "need", "outcomes", "value", "deliverable")],
        "--support",
        actor="cv-1",
    )
    assert scored.exit_code == 0, scored.output
    with sqlite3.connect(round_.url.split("///", 1)[1]) as db:
        db.execute("UPDATE organisation SET responsible_authority = 0 WHERE key = 'kcvs'")
    refused = round_("score", "CRG-2425-008", "--criterion", "fit_pcc=4", "--support", actor="cv-1")
    assert refused.exit_code == 1 and "not a responsible authority" in refused.stderr
    five = [f"--criterion={k}=1" for k in ("fit_pcc", "fit_csa", "need", "outcomes", "value", "deliverable")]
    assert round_("score", "CRG-2425-008", *five, "--support", actor="wg-kfrs").exit_code == 0
    seen = json.loads(round_("scoring", "sheets", "CRG-2425-008", "--json", actor="wg-kfrs").stdout)
    assert [s["member"] for s in seen["sheet_details"]] == ["wg-kfrs"]
    assert seen["mean"] == "20.0%" and seen["sheets"] == 1 and "kcvs" not in seen["authorities"]
    assert "cv-1" in seen["recused"]
