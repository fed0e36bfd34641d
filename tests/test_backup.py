"""`grants db backup` on the whole demo year (bids, awards, spend, closures): the copy is the books.

tests/test_foundation_cli.py copies a database with no money spent; here the copy must give the
same reconciliation, pots, year-end statement, ledger journal and audit trail as the original, and
pass `grants check` and `grants audit verify`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import Cli

# Everything a treasurer or auditor would compare; each must be identical on the copy.
FIGURES = (
    ("report", "reconcile", "--json"),
    ("report", "year-end", "--json"),
    ("pot", "show", "--json"),
    ("status", "--json"),
    ("bid", "list", "--json"),
    ("audit", "log", "--json", "--limit", "100000"),
)


def figures(cli: Cli) -> dict[str, str]:
    out = {}
    for args in FIGURES:
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
        out[" ".join(args)] = result.stdout
    return out


def test_backup_of_the_whole_demo_gives_the_same_books(demo: Cli, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite"
    made = demo("db", "backup", str(target))
    assert made.exit_code == 0, made.output
    assert f"Backed up to {target}" in made.stdout
    copy = Cli(f"sqlite:///{target}")

    original = figures(demo)
    reconcile = json.loads(original["report reconcile --json"])
    # The demo has real spend: the copy is compared on money that moved, not just allocations.
    assert reconcile["balanced"] is True
    assert reconcile["year_totals"]["spent_pence"] > 0 and reconcile["year_totals"]["committed_pence"] > 0
    assert figures(copy) == original

    for cli in (demo, copy):
        checked = cli("check", "--json")
        assert checked.exit_code == 0, checked.output
        assert json.loads(checked.stdout)["problems"] == []
        verified = cli("audit", "verify")
        assert verified.exit_code == 0, verified.output

    # The ledger itself, row for row.
    def ledger(path: str) -> list[tuple]:
        with sqlite3.connect(path) as raw:
            return raw.execute("SELECT * FROM ledger_entry ORDER BY id").fetchall()

    assert ledger(str(target)) == ledger(demo.url.split("///", 1)[1])


def test_the_copy_is_independent_and_its_audit_chain_continues(demo: Cli, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite"
    assert demo("db", "backup", str(target)).exit_code == 0
    copy = Cli(f"sqlite:///{target}")
    before = demo("audit", "log", "--json", "--limit", "100000").stdout
    added = copy(
        "member", "add", "wg-restored", "--name", "After restore", "--org", "kcc", actor="kcc-officer"
    )
    assert added.exit_code == 0, added.output
    assert copy("audit", "verify").exit_code == 0
    assert demo("audit", "log", "--json", "--limit", "100000").stdout == before


def test_backup_while_a_writer_holds_the_database_copies_only_what_was_committed(
    demo: Cli, tmp_path: Path
) -> None:
    """Online: another connection is half-way through a write; the backup neither waits for it
    nor copies its uncommitted change."""
    path = demo.url.split("///", 1)[1]
    pots_before = demo("pot", "show", "--json").stdout
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE pot SET uncommitted_pence = uncommitted_pence + 100")
        target = tmp_path / "copy.sqlite"
        made = demo("db", "backup", str(target))
        assert made.exit_code == 0, made.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = Cli(f"sqlite:///{target}")
    assert copy("pot", "show", "--json").stdout == pots_before
    assert copy("check").exit_code == 0
    assert copy("audit", "verify").exit_code == 0


def test_backup_refuses_to_overwrite_or_to_write_nowhere(demo: Cli, tmp_path: Path) -> None:
    existing = tmp_path / "existing.sqlite"
    existing.write_bytes(b"keep me")
    refused = demo("db", "backup", str(existing))
    assert refused.exit_code == 2
    assert "already exists; choose a new file name" in refused.stderr
    assert existing.read_bytes() == b"keep me"
    nowhere = demo("db", "backup", str(tmp_path / "no-such-folder" / "copy.sqlite"))
    assert nowhere.exit_code == 2
    assert "does not exist" in nowhere.stderr


def test_backup_of_a_missing_database_says_so(tmp_path: Path) -> None:
    result = Cli(f"sqlite:///{tmp_path / 'none.sqlite'}")("db", "backup", str(tmp_path / "copy.sqlite"))
    assert result.exit_code == 3
    assert "there is no SQLite database at" in result.stderr
    assert not (tmp_path / "copy.sqlite").exists()
