"""Tamper evidence on SQLite: each edit behind grants' back (tests/tampers.py) is found by
`grants check` and `grants audit verify`, exit 4, naming the row; an anchor proves the chain."""

from __future__ import annotations

import pytest

from tests.conftest import Cli, demo_copy
from tests.tampers import TAMPERS, Tamper, apply


@pytest.fixture
def rolled(cli: Cli) -> Cli:
    demo_copy(cli.url, rollover=True)
    return cli


def made(cli: Cli, tamper: Tamper) -> Cli:
    if tamper.stage == "rollover":
        demo_copy(cli.url, rollover=True)
    else:
        demo_copy(cli.url, tamper.stage)
    return cli


def assert_found(cli: Cli, tamper: Tamper) -> None:
    checked = cli("check")
    assert checked.exit_code == 4, (tamper.name, checked.output)
    shown = " ".join(checked.output.split())
    assert any(name in shown for name in tamper.names), (tamper.name, shown)
    assert "Traceback" not in checked.output
    if tamper.verify:
        verified = cli("audit", "verify")
        assert verified.exit_code == 4, (tamper.name, verified.output)
        assert any(name in " ".join(verified.output.split()) for name in tamper.names), tamper.name


def test_the_untouched_demo_passes(rolled: Cli) -> None:
    assert rolled("check").exit_code == 0
    assert rolled("audit", "verify").exit_code == 0


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.name for t in TAMPERS])
def test_each_tamper_is_found_naming_the_row(cli: Cli, tamper: Tamper) -> None:
    made(cli, tamper)
    assert cli("check").exit_code == 0
    apply(cli.url, tamper)
    assert_found(cli, tamper)


def test_an_interest_declared_through_grants_then_changed_is_found(shortlisted: Cli) -> None:
    done = shortlisted(
        "member", "interest", "wg-police", "CRG-2425-008", "--reason", "Partner", actor="kcc-officer"
    )
    assert done.exit_code == 0, done.output
    assert shortlisted("check").exit_code == 0
    apply(shortlisted.url, Tamper("reason", ("UPDATE interest SET reason = 'nothing'",), ()))
    result = shortlisted("check")
    assert result.exit_code == 4 and "declared interest #" in " ".join(result.output.split())


def _rewrite_chain(url: str, reason: str) -> None:
    """What only an anchor catches: an event changed and every hash after it recomputed, the
    partnership's head moved to the new end: the chain is whole again."""
    import sqlite3
    from types import SimpleNamespace

    from grants.audit_chain import GENESIS, chain_hash

    with sqlite3.connect(url.split("///", 1)[1]) as db:
        db.row_factory = sqlite3.Row
        db.execute("UPDATE audit_event SET reason = ? WHERE seq = 2", (reason,))
        prev = GENESIS
        for row in db.execute("SELECT * FROM audit_event WHERE partnership_id = 1 ORDER BY seq").fetchall():
            event = SimpleNamespace(**dict(row))
            digest = chain_hash(prev, event)
            db.execute(
                "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, row["id"])
            )
            prev = digest
        db.execute("UPDATE partnership SET audit_head = ? WHERE id = 1", (prev,))


def test_an_anchor_proves_the_chain_was_not_rewritten(rolled: Cli) -> None:
    import json

    verified = rolled("audit", "verify", "--json")
    head = json.loads(verified.stdout)["audit_head"]
    count, digest = head["count"], head["hash"]
    assert head["anchor"] == f"{count}:{digest[:12]}"
    plain = rolled("audit", "verify")
    assert f"Audit head {count}:{digest[:12]}" in " ".join(plain.output.split())
    proved = rolled("audit", "verify", "--anchor", head["anchor"])
    assert proved.exit_code == 0 and "It contains the anchor" in proved.output
    # An older head, as committee papers printed it months ago, is still in the chain.
    older = rolled("audit", "log", "--json")
    assert older.exit_code == 0
    _rewrite_chain(rolled.url, "rewritten")
    assert rolled("audit", "verify").exit_code == 0  # whole again: nothing inside can tell
    caught = rolled("audit", "verify", "--anchor", head["anchor"])
    assert caught.exit_code == 4
    assert f"audit event #{count} has hash" in " ".join(caught.output.split())
    assert rolled("audit", "verify", "--anchor", f"{count + 5}:{digest[:12]}").exit_code == 4


@pytest.mark.parametrize("anchor", ["139", "abc:def", "0:0123456789ab", "12:xyz12345", "12:0123"])
def test_a_malformed_anchor_is_bad_input(rolled: Cli, anchor: str) -> None:
    result = rolled("audit", "verify", "--anchor", anchor)
    assert result.exit_code == 2 and "COUNT:HASH" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_every_report_and_export_states_the_audit_head(rolled: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    head = json.loads(rolled("audit", "verify", "--json").stdout)["audit_head"]
    anchor = head["anchor"]
    officer = "kcc-officer"
    printed = [
        ("report", "reconcile", "--year", "2024/25"),
        ("report", "reconcile", "--year", "2024/25", "--format", "markdown"),
        ("report", "reconcile", "--year", "2024/25", "--format", "csv"),
        ("report", "reconcile", "--year", "2024/25", "--format", "json"),
        ("report", "working-group", "--year", "2024/25"),
        ("report", "working-group", "--year", "2024/25", "--format", "json"),
        ("report", "action-plan", "--year", "2024/25"),
        ("report", "action-plan", "--year", "2024/25", "--format", "json"),
        ("report", "year-end", "--year", "2024/25"),
        ("report", "year-end", "--year", "2024/25", "--format", "json"),
        ("export", "journal"),
        ("export", "360giving", "--year", "2024/25"),
    ]
    for argv in printed:
        result = rolled(*argv, actor=officer)
        assert result.exit_code == 0, (argv, result.output)
        assert anchor in result.stdout, argv
    workbook = tmp_path / "books.xlsx"
    assert rolled("export", "xlsx", "--year", "2024/25", "--out", str(workbook), actor=officer).exit_code == 0
    from openpyxl import load_workbook

    cells = [c for row in load_workbook(workbook)["Summary"].iter_rows(values_only=True) for c in row]
    assert anchor in cells
    assert rolled("audit", "verify", "--anchor", anchor).exit_code == 0


def _payments_file(tmp_path, rows: int, start: int = 0):  # type: ignore[no-untyped-def]
    lines = ["date,reference,amount,supplier,invoice"]
    for n in range(start, start + rows):
        lines.append(
            f"2024-08-{1 + n % 28:02d},CRG-2425-00{1 + n % 3},{1 + n % 7}.{n % 100:02d},Supplier {n % 5} Ltd,INV-{n:04d}"
        )
    path = tmp_path / f"payments-{start}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_a_big_import_seals_what_it_read_as_the_database_reads_it(funded: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An import of more than 16 rows: its payments are sealed by digest and its spend entries by
    count; check agrees with the tables, and still finds each kind of edit."""
    first = funded("spend", "import", _payments_file(tmp_path, 40), actor="treasurer")
    assert first.exit_code == 0, first.output
    assert funded("check").exit_code == 0
    mixed = funded("spend", "import", _payments_file(tmp_path, 40, start=30), actor="treasurer")
    assert mixed.exit_code == 0, mixed.output
    assert funded("check").exit_code == 0
    import sqlite3

    from tests.conftest import Cli as Copy

    for statement, named in (
        ("UPDATE spend SET supplier = 'Z' WHERE invoice = 'INV-0005'", "payment rows written by"),
        ("UPDATE ledger_entry SET booked_on = '2024-08-20' WHERE id = (SELECT max(id) FROM ledger_entry)",
         "a spend ledger entry with no payment to match"),
        ("DELETE FROM ledger_entry WHERE id = (SELECT max(id) FROM ledger_entry)", "ledger entry rows written by"),
    ):  # fmt: skip
        path = tmp_path / f"copy-{abs(hash(statement))}.sqlite"
        with sqlite3.connect(funded.url.split("///", 1)[1]) as source, sqlite3.connect(path) as target:
            source.backup(target)
        copy = Copy(f"sqlite:///{path}")
        apply(copy.url, Tamper(statement, (statement,), ()))
        result = copy("check")
        assert result.exit_code == 4, (statement, result.output)
        assert named in " ".join(result.output.split()), (statement, result.output)
