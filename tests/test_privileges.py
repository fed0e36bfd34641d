"""The storage side of the permission policy (grants.privileges), without a PostgreSQL server.

- Every action of the policy has an entry in ACTION_ACCESS, naming tables and columns that exist.
- The writes each real command makes (traced from its SQL, on SQLite) are covered by the entries
  of the actions it records: a command that starts writing another table or column fails here
  until its action's entry says so (and `grants db grants` then grants it).
- GRANTS_IDENTITY misspelt, and an audit head wound back behind grants' back: clear errors.

The same privileges on real PostgreSQL roles: tests/postgres/test_pg_identity.py.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from grants.privileges import (
    ACTION_ACCESS,
    CHAIN,
    DATABASE,
    Access,
    access_by_group,
    grants_tables,
    policy_actions,
    policy_role_actions,
    privileges_sql,
    triggers_sql,
)
from tests.conftest import Cli, demo_copy
from workflows.bid_lifecycle import TRANSITIONS

OFFICER = "kcc-officer"


def test_every_action_of_the_policy_has_an_entry() -> None:
    missing = sorted(policy_actions() - set(ACTION_ACCESS))
    assert not missing, f"actions of the policy with no entry in grants.privileges.ACTION_ACCESS: {missing}"
    unknown = sorted(set(ACTION_ACCESS) - policy_actions())
    assert not unknown, f"entries in ACTION_ACCESS for actions the policy does not have: {unknown}"


def test_every_entry_names_tables_and_columns_that_exist() -> None:
    from sqlmodel import SQLModel

    tables = set(grants_tables())
    for action, accesses in {**ACTION_ACCESS, "(every write)": CHAIN}.items():
        for access in accesses:
            if access.table == DATABASE:
                assert access.privilege == "TEMPORARY", (action, access)
                continue
            assert access.table in tables, (action, access)
            assert access.privilege in ("INSERT", "UPDATE"), (action, access)
            columns = set(SQLModel.metadata.tables[access.table].columns.keys())
            assert set(access.columns) <= columns, (action, access, sorted(set(access.columns) - columns))
            assert (access.privilege == "UPDATE") == bool(access.columns), (action, access)


def test_the_append_only_tables_are_never_updated_and_nothing_is_deleted() -> None:
    for action, accesses in ACTION_ACCESS.items():
        for access in accesses:
            assert not (access.table in ("ledger_entry", "audit_event") and access.privilege != "INSERT"), (
                action
            )
    everything = " ".join(privileges_sql("g", "db", policy_role_actions()))
    assert "DELETE" not in everything.replace("REVOKE UPDATE, DELETE, TRUNCATE", "")
    assert "TRUNCATE" not in everything.replace("REVOKE UPDATE, DELETE, TRUNCATE", "")


def test_each_role_gets_only_what_its_actions_need() -> None:
    groups = access_by_group("g", policy_role_actions())
    tables = {role: {a.table for a in access if a.privilege == "INSERT"} for role, access in groups.items()}
    updates = {
        role: {(a.table, column) for a in access if a.privilege == "UPDATE" for column in a.columns}
        for role, access in groups.items()
    }
    # Members, organisations and years are written only by the officer's actions.
    for role, inserted in tables.items():
        if role != "g_officer":
            assert not inserted & {"member", "organisation", "funding_year", "pot", "criterion"}, role
    assert {"member", "organisation", "funding_year"} <= tables["g_officer"]
    # Nobody but the officer updates a member or a role (member edit and retire) or a partnership
    # column other than the audit head (its rules: config set); nobody updates an allocation.
    rules = {
        ("partnership", c)
        for c in ("consensus_threshold", "moderation_spread", "quorum_authorities", "tactical_share")
    }
    for role, columns in updates.items():
        if role != "g_officer":
            assert not {c for c in columns if c[0] == "member"}, role
        assert ("funding_year", "allocation_pence") not in columns, role
        allowed = {("partnership", "audit_head"), ("partnership", "audit_count")}
        assert {c for c in columns if c[0] == "partnership"} <= (
            allowed | rules if role == "g_officer" else allowed
        ), role
    # A year's status is the officer's (rollover); scoring is the members'; spend the treasurer's.
    assert ("funding_year", "status") in updates["g_officer"]
    assert "score_sheet" in tables["g_member"] and "score_sheet" not in tables["g_chair"]
    assert "spend" in tables["g_treasurer"] and "spend" not in tables["g_officer"]
    # What any member may do as the lead of a bid is the base group's.
    assert "bid" in tables["g"]


def test_the_triggers_name_every_function_they_use() -> None:
    sql = "\n".join(triggers_sql("grants_member"))
    for name in re.findall(r"EXECUTE FUNCTION (\w+)\(", sql):
        assert f"CREATE OR REPLACE FUNCTION {name}()" in sql, name


# --- the writes of the real commands are covered by their actions' entries ---------------------

# The audit trail's action names → the policy's. A new audit action fails the test until it is here.
AUDITED_AS = {
    "bid.new": "create-bid",
    "bid.edit": "edit-bid",
    "bid.vary": "vary",
    "bid.end_date": "change-end-date",
    "pot.transfer": "transfer",
    "organisation.add": "add-organisation",
    "member.add": "add-member",
    "member.interest": "declare-interest",
    "criterion.set": "set-criteria",
    "criterion.remove": "set-criteria",
    "organisation.edit": "edit-organisation",
    "organisation.retire": "retire-organisation",
    "member.edit": "edit-member",
    "member.retire": "retire-member",
    "priority.add": "manage-priorities",
    "priority.edit": "manage-priorities",
    "priority.retire": "manage-priorities",
    "partnership.rule": "set-rules",
    "score.submit": "score",
    "score.rescore": "score",
    "spend.add": "record-spend",
    "spend.refund": "record-spend",
    "spend.import": "import-spend",
    "year.open": "open-year",
    "year.rollover": "rollover",
    **{f"bid.{t.trigger}": t.trigger for t in TRANSITIONS},
}
# Run by the owner (`grants init`, `grants demo`), not by a member's login.
# Written by the schema owner, not a member: init, and the baseline seal that `db upgrade` records.
OWNERS_ACTIONS = {"partnership.init", "audit.baseline"}


def test_every_audit_action_in_the_code_is_mapped_to_a_policy_action() -> None:
    """So a new write command cannot escape the check below: its audit action must be mapped."""
    root = Path(__file__).resolve().parent.parent / "grants"
    written = set()
    for path in root.rglob("*.py"):
        text = path.read_text()
        for call in re.finditer(r"(?:scope\.audit|audit_chain\.record)\((.{0,300})", text, re.S):
            written.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', call.group(1)))
    assert "spend.add" in written and "partnership.init" in written  # the scan finds them
    assert sorted(written - set(AUDITED_AS) - OWNERS_ACTIONS) == []
    assert set(AUDITED_AS.values()) <= policy_actions()


@dataclass
class Tracer:
    """The INSERTs and UPDATEs of each committed transaction, with the audit actions it recorded."""

    writes: set[tuple[str, str, tuple[str, ...]]] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    transactions: list[tuple[set[str], set[tuple[str, str, tuple[str, ...]]]]] = field(default_factory=list)

    def statement(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        sql = " ".join(statement.split())
        if match := re.match(r"INSERT INTO (\w+) \(([^)]*)\)", sql):
            table, columns = match.group(1), [c.strip() for c in match.group(2).split(",")]
            self.writes.add((table, "INSERT", ()))
            if table == "audit_event":
                rows = parameters if executemany else [parameters]
                for row in rows:
                    self.actions.add(
                        row[columns.index("action")] if isinstance(row, tuple | list) else row["action"]
                    )
        elif match := re.match(r"UPDATE (\w+) SET (.*?)(?: WHERE |$)", sql):
            columns = tuple(sorted(set(re.findall(r"(\w+)=", match.group(2)))))
            self.writes.add((match.group(1), "UPDATE", columns))
        elif match := re.match(r"DELETE FROM (\w+)", sql):
            self.writes.add((match.group(1), "DELETE", ()))
        elif re.match(r"CREATE TEMP(ORARY)? TABLE", sql):
            self.writes.add((DATABASE, "TEMPORARY", ()))

    def orm_statement(self, state) -> None:  # type: ignore[no-untyped-def]
        """`SELECT … FOR UPDATE` (which SQLite leaves out of its SQL): PostgreSQL lets a login lock
        rows only where it may UPDATE at least one column."""
        statement = state.statement
        if state.is_select and getattr(statement, "_for_update_arg", None) is not None:
            for table in statement.get_final_froms():
                self.writes.add((table.name, "LOCK", ()))

    def commit(self, conn) -> None:  # type: ignore[no-untyped-def]
        if self.writes or self.actions:
            self.transactions.append((set(self.actions), set(self.writes)))
        self.rollback(conn)

    def rollback(self, conn) -> None:  # type: ignore[no-untyped-def]
        self.writes.clear()
        self.actions.clear()


@contextmanager
def traced() -> Iterator[Tracer]:
    tracer = Tracer()
    hooks = [
        (Engine, "before_cursor_execute", tracer.statement),
        (Engine, "commit", tracer.commit),
        (Engine, "rollback", tracer.rollback),
        (Session, "do_orm_execute", tracer.orm_statement),
    ]
    for target, name, hook in hooks:
        event.listen(target, name, hook)
    try:
        yield tracer
    finally:
        for target, name, hook in hooks:
            event.remove(target, name, hook)


def uncovered(tracer: Tracer) -> list[str]:
    """Each traced write that the entries of its transaction's actions do not grant."""
    tables = set(grants_tables())
    problems = []
    for actions, writes in tracer.transactions:
        if actions & OWNERS_ACTIONS:
            continue
        if not actions and writes <= {("partnership", "LOCK", ())}:
            continue  # a write scope that wrote nothing: every login may lock the audit head (CHAIN)
        unknown = sorted(a for a in actions if a not in AUDITED_AS)
        if unknown or not actions:
            problems.append(f"writes recorded as {unknown or 'no audit action'}: {sorted(writes)}")
            continue
        allowed: set[Access] = set(CHAIN)
        for action in actions:
            allowed.update(ACTION_ACCESS[AUDITED_AS[action]])
        inserts = {a.table for a in allowed if a.privilege == "INSERT"}
        updates = {(a.table, c) for a in allowed if a.privilege == "UPDATE" for c in a.columns}
        for table, verb, columns in sorted(writes):
            if table not in tables and table != DATABASE:
                table, verb = DATABASE, "TEMPORARY"  # a temporary table of the command's own
            ok = {
                "INSERT": table in inserts,
                "UPDATE": all((table, c) in updates for c in columns),
                "LOCK": any(t == table for t, _ in updates),
                "TEMPORARY": any(a.table == DATABASE for a in allowed),
            }.get(verb, False)
            if not ok:
                problems.append(f"{sorted(actions)} wrote {verb} {table} {columns or ''}")
    return sorted(set(problems))


S = ("fit_pcc", "fit_csa", "need", "outcomes", "value", "deliverable")
SCORES = tuple(part for key in S for part in ("--criterion", f"{key}=3"))
# (stage, actor, command): every write command, at a stage where it succeeds. The demo build
# (traced too) covers the rest: submit, open_scoring, shortlist, approve, clarify, answer, start,
# complete, close, spend import, rollover.
COMMANDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("setup", OFFICER, ("org", "add", "newco", "--name", "New Co")),
    (
        "setup",
        OFFICER,
        ("member", "add", "new-one", "--name", "New One", "--org", "kcc", "--roles", "member"),
    ),
    (
        "setup",
        OFFICER,
        ("criteria", "set", "fit_pcc", "--title", "Fit", "--description", "D", "--weight", "20"),
    ),
    ("setup", OFFICER, ("criteria", "set", "newcrit", "--title", "New", "--weight", "5")),
    (
        "setup",
        OFFICER,
        ("org", "edit", "kfrs", "--name", "KFRS", "--org-id", "GB-X", "--responsible-authority"),
    ),
    ("setup", OFFICER, ("org", "retire", "newco")),
    ("setup", OFFICER, ("member", "edit", "new-one", "--name", "N", "--org", "kfrs", "--roles", "member")),
    ("setup", OFFICER, ("member", "retire", "new-one")),
    ("setup", OFFICER, ("priority", "add", "pcc", "new-p", "--title", "P")),
    ("setup", OFFICER, ("priority", "edit", "pcc", "new-p", "--title", "Q")),
    ("setup", OFFICER, ("priority", "retire", "pcc", "new-p")),
    ("setup", OFFICER, ("criteria", "edit", "need", "--descriptors", "a|b|c|d|e|f")),
    ("setup", OFFICER, ("criteria", "remove", "newcrit")),
    ("setup", OFFICER, ("config", "set", "quorum", "3")),
    ("setup", OFFICER, ("pot", "transfer", "100", "--from", "upfront", "--to", "tactical", "--reason", "R")),
    ("setup", OFFICER, ("bid", "new", "--title", "Draft", "--amount", "1000", "--org", "kcc")),
    ("setup", "wg-police", ("bid", "new", "--title", "Ours", "--amount", "1000")),
    ("setup", OFFICER, ("bid", "edit", "CRG-2425-001", "--title", "T", "--amount", "900", "--summary", "S")),
    ("setup", OFFICER, ("bid", "withdraw", "CRG-2425-001", "--reason", "R")),
    ("bids", "wg-police", ("score", "CRG-2425-001", *SCORES, "--support", "--comment", "C")),
    ("bids", "wg-police", ("score", "CRG-2425-001", *SCORES, "--oppose", "--comment", "again")),
    ("bids", OFFICER, ("member", "interest", "wg-kfrs", "CRG-2425-001", "--reason", "R")),
    ("bids", "wg-police", ("member", "interest", "wg-police", "CRG-2425-002", "--reason", "R")),
    ("scored", OFFICER, ("decline", "CRG-2425-001", "--reason", "R")),
    ("scored", OFFICER, ("shortlist", "CRG-2425-008", "--override", "--reason", "R")),
    ("shortlisting", "chair", ("approve", "CRG-2425-001")),
    ("shortlisting", "chair", ("reject", "CRG-2425-002", "--reason", "R")),
    ("tactical", "opcc", ("vary", "CRG-2425-003", "2000", "--reason", "R")),
    ("tactical", "opcc", ("cancel", "CRG-2425-004", "--reason", "R")),
    ("tactical", "opcc", ("end-date", "CRG-2425-003", "2025-06-30", "--reason", "R")),
    (
        "tactical",
        "treasurer",
        ("spend", "add", "CRG-2425-003", "100", "--date", "2024-09-01", "--supplier", "S"),
    ),
    (
        "tactical",
        "treasurer",
        ("spend", "add", "CRG-2425-003", "40.00 CR", "--date", "2024-09-02", "--supplier", "S"),
    ),
]


def test_every_write_of_every_command_is_covered_by_its_actions_entry(tmp_path: Path) -> None:
    from grants.demo import build

    cli = {}
    for stage in sorted({stage for stage, _, _ in COMMANDS}):
        cli[stage] = Cli(f"sqlite:///{tmp_path / stage}.sqlite")
        demo_copy(cli[stage].url, stage)
    with traced() as tracer:
        build(f"sqlite:///{tmp_path / 'demo.sqlite'}", replace=True, rollover=True)
        for stage, actor, command in COMMANDS:
            result = cli[stage](*command, actor=actor)
            assert result.exit_code == 0, (command, result.output)
    recorded = {action for actions, _ in tracer.transactions for action in actions}
    assert {AUDITED_AS.get(a) for a in recorded} >= {a for a, access in ACTION_ACCESS.items() if access} - {
        "open-year"
    }, "a write action was not exercised"
    assert uncovered(tracer) == []


def test_the_tracer_sees_a_write_that_no_entry_grants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: without spend's UPDATE of the bid, recording spend is caught, both
    its lock of the bid's row and its update of what the bid has spent."""
    import grants.privileges as privileges

    cli = Cli(f"sqlite:///{tmp_path / 'g.sqlite'}")
    demo_copy(cli.url, "tactical")
    trimmed = {
        **ACTION_ACCESS,
        "record-spend": tuple(a for a in ACTION_ACCESS["record-spend"] if a.table != "bid"),
    }
    monkeypatch.setattr(privileges, "ACTION_ACCESS", trimmed)
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "ACTION_ACCESS", trimmed)
    with traced() as tracer:
        spend = ("spend", "add", "CRG-2425-003", "100", "--date", "2024-09-01", "--supplier", "S")
        assert cli(*spend, actor="treasurer").exit_code == 0
    assert uncovered(tracer) == [
        "['spend.add'] wrote LOCK bid ",
        "['spend.add'] wrote UPDATE bid ('spent_pence',)",
    ]


# --- start-up and the audit head ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["databse", "yes", "database please"])
def test_a_misspelt_grants_identity_is_refused_not_taken_for_flag(kcsp: Cli, value: str) -> None:
    before = kcsp.snapshot()
    for command in (("status",), ("bid", "new", "--title", "T", "--amount", "1000", "--org", "kcc")):
        result = kcsp(*command, actor=OFFICER, env={"GRANTS_IDENTITY": value})
        assert result.exit_code == 2, result.output
        assert f"GRANTS_IDENTITY={value!r} is not an identity mode" in result.stderr
        assert "Traceback" not in result.output
    assert kcsp.snapshot() == before
    for fine in ("flag", "FLAG", " flag ", ""):
        assert kcsp("status", actor=OFFICER, env={"GRANTS_IDENTITY": fine}).exit_code == 0


def test_grants_identity_database_on_sqlite_is_still_refused(kcsp: Cli) -> None:
    result = kcsp("status", actor=OFFICER, env={"GRANTS_IDENTITY": "database"})
    assert result.exit_code == 1, result.output
    assert "GRANTS_IDENTITY=database needs PostgreSQL" in result.stderr


def test_an_audit_head_wound_back_makes_the_next_write_a_clear_error(shortlisted: Cli) -> None:
    """`UPDATE partnership SET audit_count = audit_count - 1` behind grants' back: the next write
    says what is wrong (exit 4) instead of an IntegrityError traceback, and writes nothing."""
    path = shortlisted.url.split("///", 1)[1]
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE partnership SET audit_count = audit_count - 1")
    before = shortlisted.snapshot()
    result = shortlisted("approve", "CRG-2425-001", actor="chair")
    assert result.exit_code == 4, result.output
    assert "the audit trail is out of step with its head" in result.stderr
    assert "grants audit verify" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert shortlisted.snapshot() == before
    assert shortlisted("audit", "verify").exit_code == 4


def test_db_grants_is_for_postgresql(kcsp: Cli) -> None:
    for args in (("db", "grants"), ("db", "grants", "--apply")):
        result = kcsp(*args)
        assert result.exit_code == 2, result.output
        assert "`grants db grants` is for PostgreSQL" in result.stderr
