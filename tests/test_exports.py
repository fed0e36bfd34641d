"""Exports: the ledger as a journal hledger and ledger-cli accept, and the workbook for the PCC."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from tests.conftest import Cli

FORMULA = '=HYPERLINK("http://evil.example/x","Click me")'


def ok(result):  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return result


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def tool(name: str) -> str:
    """The path of hledger or ledger; skipped where it is missing, except on CI where it must be there."""
    found = shutil.which(name)
    if found:
        return found
    if on_ci():
        pytest.fail(f"{name} is not installed but CI is set: install it (apt-get install {name})")
    pytest.skip(f"{name} is not installed (apt-get install {name}); set CI=true to make this a failure")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, encoding="utf-8", timeout=120)


def export_journal(cli: Cli, tmp_path: Path, *args: str) -> Path:
    path = tmp_path / "books.journal"
    ok(cli("export", "journal", "--out", str(path), *args))
    return path


def year_balances(cli: Cli, label: str = "2024/25") -> dict[str, int]:
    from grants import ledger
    from grants.options import Options
    from grants.scope import open_scope
    from grants.years import find_year

    with open_scope(Options(db=cli.url, year=label), write=False) as scope:
        return ledger.balances(scope.session, find_year(scope).id)


def pence(text: str) -> int:
    """An amount as hledger prints it (`£-26440.00`, `0`) in pence."""
    from grants.money import Money

    return Money.parse(text, allow_negative=True).pence


def hledger_balances(path: Path, *query: str) -> dict[str, int]:
    result = run(tool("hledger"), "-f", str(path), "bal", "-O", "csv", "--no-total", "-E", *query)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["account", "balance"]
    return {account: pence(amount) for account, amount in rows[1:]}


def add_payment(cli: Cli, supplier: str, invoice: str = "X-1", amount: str = "100") -> None:
    ok(
        cli(
            "spend",
            "add",
            "CRG-2425-007",
            amount,
            "--date",
            "2025-03-01",
            "--supplier",
            supplier,
            "--invoice",
            invoice,
            actor="treasurer",
        )
    )


def test_tool_is_skipped_when_missing_but_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="hledger is not installed"):
        tool("hledger")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="hledger is not installed but CI is set"):
        tool("hledger")


# --- the journal ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (2_644_000, "£26440.00"),
        (-2_644_000, "£-26440.00"),
        (5, "£0.05"),
        (-5, "£-0.05"),
        (0, "£0.00"),
        (123_456_789_012, "£1234567890.12"),
    ],
)
def test_journal_amount_has_two_decimals_and_no_grouping(amount: int, shown: str) -> None:
    from grants.exports.journal import journal_amount

    assert journal_amount(amount) == shown


@pytest.mark.parametrize(
    ("kind", "reference", "reason", "described"),
    [
        ("award", "CRG-2425-001", "award", "award CRG-2425-001"),
        ("allocation", None, "2024/25 allocation", "allocation: 2024/25 allocation"),
        ("spend", "CRG-2425-007", "payment to Acme; Ltd", "spend CRG-2425-007: payment to Acme, Ltd"),
        ("spend", "CRG-2425-007", "line one\n  line two", "spend CRG-2425-007: line one line two"),
        ("release", "CRG-2425-001", None, "release CRG-2425-001"),
    ],
)
def test_journal_description_is_one_safe_line(
    kind: str, reference: str | None, reason: str | None, described: str
) -> None:
    from grants.exports.journal import describe

    assert describe(kind, reference, reason) == described


def test_journal_passes_hledger_check(demo: Cli, tmp_path: Path) -> None:
    path = export_journal(demo, tmp_path)
    hledger = tool("hledger")
    for checks in ((), ("-s", "ordereddates")):
        result = run(hledger, "-f", str(path), "check", *checks)
        assert result.returncode == 0, result.stderr


def test_journal_balances_equal_the_ledger(demo: Cli, tmp_path: Path) -> None:
    path = export_journal(demo, tmp_path)
    expected = {f"2024-25:{account}": amount for account, amount in year_balances(demo).items()}
    assert expected["2024-25:pot:upfront"] == 116_200  # the demo's £162 plus CRG-2425-001's £1,000
    assert hledger_balances(path) == expected


def test_journal_balances_equal_report_reconcile(demo: Cli, tmp_path: Path) -> None:
    path = export_journal(demo, tmp_path)
    report = json.loads(ok(demo("report", "reconcile", "--format", "json")).stdout)
    figures = hledger_balances(path)
    for project in report["projects"]:
        reference = project["reference"]
        assert figures[f"2024-25:spent:{reference}"] == project["spent_pence"], reference
        assert figures[f"2024-25:award:{reference}"] == project["remaining_pence"], reference
    for kind, pot in report["pots"].items():
        assert figures[f"2024-25:pot:{kind}"] == pot["uncommitted_pence"], kind


def test_journal_has_one_transaction_per_entry_with_its_id_and_actor(demo: Cli, tmp_path: Path) -> None:
    text = export_journal(demo, tmp_path).read_text(encoding="utf-8")
    with sqlite3.connect(demo.url.split("///", 1)[1]) as db:
        entries = db.execute(
            "SELECT e.id, e.booked_on, m.handle FROM ledger_entry e JOIN member m ON m.id = e.actor_id "
            "ORDER BY e.booked_on, e.id"
        ).fetchall()
    found = re.findall(r"^(\d{4}-\d\d-\d\d) .*\n    ; entry: (\d+)\n    ; actor: (\S+)$", text, re.M)
    assert found == [(booked_on, str(entry_id), handle) for entry_id, booked_on, handle in entries]
    assert "2024-06-03 award CRG-2425-001\n    ; entry: 3\n    ; actor: opcc\n" in text
    assert "    2024-25:award:CRG-2425-001    £6000.00\n    2024-25:pot:upfront    £-6000.00\n" in text


def test_journal_asserts_every_account_at_year_end(demo: Cli, tmp_path: Path) -> None:
    text = export_journal(demo, tmp_path).read_text(encoding="utf-8")
    block = text.split("\n2025-03-31 year-end balances 2024/25\n", 1)[1]
    asserted = dict(re.findall(r"^    (\S+)    £0 = (\S+)$", block, re.M))
    expected = year_balances(demo)
    assert {account: pence(amount) for account, amount in asserted.items()} == {
        f"2024-25:{account}": amount for account, amount in expected.items()
    }
    assert "    2024-25:pot:upfront    £0 = £1162.00\n" in block
    assert "    2024-25:funder    £0 = £-39661.00\n" in block


def test_journal_assertions_catch_a_wrong_figure_in_both_tools(demo: Cli, tmp_path: Path) -> None:
    path = export_journal(demo, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.count("    2024-25:pot:upfront    £0 = £1162.00\n") == 1
    path.write_text(
        text.replace("pot:upfront    £0 = £1162.00", "pot:upfront    £0 = £1163.00"), encoding="utf-8"
    )
    result = run(tool("hledger"), "-f", str(path), "check")
    assert result.returncode != 0 and "balance assertion" in result.stderr
    if shutil.which("ledger") or on_ci():
        result = run(tool("ledger"), "-f", str(path), "bal")
        assert result.returncode != 0 and "Balance assertion off by" in result.stderr


def test_journal_reads_in_ledger_cli(demo: Cli, tmp_path: Path) -> None:
    path = export_journal(demo, tmp_path)
    ledger = tool("ledger")
    result = run(ledger, "-f", str(path), "bal")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # --pedantic: every account, commodity and tag used is declared.
    result = run(ledger, "-f", str(path), "--pedantic", "bal", "--flat", "--no-total", "2024-25:pot")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["£10221.00", "2024-25:pot:tactical", "£1162.00", "2024-25:pot:upfront"]


def test_journal_to_stdout_is_the_file(demo: Cli, tmp_path: Path) -> None:
    path = export_journal(demo, tmp_path)
    printed = ok(demo("export", "journal")).stdout
    assert printed == path.read_text(encoding="utf-8")
    assert printed.startswith("; The Crime Reduction Grant ledger of Kent Community Safety Partnership")


def test_journal_out_says_what_it_wrote(demo: Cli, tmp_path: Path) -> None:
    path = tmp_path / "books.journal"
    result = ok(demo("export", "journal", "--out", str(path)))
    assert result.stdout == ""
    assert " ".join(result.stderr.split()) == (
        f"Wrote 24 ledger entries (2024/25) to {path}; check it with `hledger -f {path} check`."
    )


def test_journal_refuses_a_missing_folder(demo: Cli, tmp_path: Path) -> None:
    result = demo("export", "journal", "--out", str(tmp_path / "nowhere" / "books.journal"))
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == (
        f"Error: the folder {tmp_path / 'nowhere'} does not exist; create it or write somewhere else"
    )
    assert not (tmp_path / "nowhere").exists()


def test_journal_keeps_hostile_text_out_of_the_syntax(demo: Cli, tmp_path: Path) -> None:
    add_payment(demo, "Acme; Ltd\n  2024-25:funder  £1.00", invoice="A;1")
    path = export_journal(demo, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "spend CRG-2425-007: invoice A,1 from Acme, Ltd 2024-25:funder £1.00\n" in text
    result = run(tool("hledger"), "-f", str(path), "check", "-s")
    assert result.returncode == 0, result.stderr
    assert hledger_balances(path)["2024-25:spent:CRG-2425-007"] == 210_000


def add_second_year(cli: Cli) -> None:
    """2025/26 opened beside 2024/25, with CRG-2425-007's £1,500 carried into it on 10 April 2025
    and a pot transfer on 1 June 2025: the old year's last entry comes after the new year's first,
    and before the new year's last."""
    from grants import ledger
    from grants.models import FundingYear
    from grants.money import Money
    from grants.options import Options
    from grants.scope import open_scope
    from grants.years import create_year, find_year

    with open_scope(Options(db=cli.url, actor="kcc-officer"), write=True) as scope:
        old = find_year(scope, "2024/25")
        new = create_year(
            scope,
            "2025/26",
            date(2025, 4, 1),
            date(2026, 3, 31),
            Money.pounds(40_000),
            Fraction(1, 3),
            scope.actor.id,
        )
        assert isinstance(new, FundingYear)
        carried, award = Money(150_000), ledger.award_account("CRG-2425-007")
        for year, source, target in ((old, award, ledger.CARRIED), (new, ledger.CARRIED, award)):
            ledger.post(
                scope.session,
                year,
                "carry",
                source,
                target,
                carried,
                actor_id=scope.actor.id,
                on=date(2025, 4, 10),
            )
        ledger.post(
            scope.session,
            new,
            "transfer",
            "pot:upfront",
            "pot:tactical",
            Money.pounds(1_000),
            actor_id=scope.actor.id,
            on=date(2025, 6, 1),
            reason="more for in-year work",
        )


def test_journal_keeps_years_apart(demo: Cli, tmp_path: Path) -> None:
    add_second_year(demo)
    path = export_journal(demo, tmp_path)
    result = run(tool("hledger"), "-f", str(path), "check", "-s", "ordereddates")
    assert result.returncode == 0, result.stderr
    text = path.read_text(encoding="utf-8")
    # 2024/25's assertions wait for its last entry (10 April 2025), after 2025/26's first,
    # and come before 2025/26's later entries: the file stays in date order.
    old_close = text.index("\n2025-04-10 year-end balances 2024/25\n")
    assert text.index("\n2025-04-01 allocation: 2025/26") < old_close
    assert old_close < text.index("\n2025-06-01 transfer: more for in-year work\n")
    assert "\n2026-03-31 year-end balances 2025/26\n" in text
    for label in ("2024/25", "2025/26"):
        segment = label.replace("/", "-")
        expected = {f"{segment}:{account}": amount for account, amount in year_balances(demo, label).items()}
        assert hledger_balances(path, f"^{segment}:") == expected
    assert hledger_balances(path, "^2024-25:carried")["2024-25:carried"] == 150_000
    assert hledger_balances(path, "^2025-26:carried")["2025-26:carried"] == -150_000
    if shutil.which("ledger") or on_ci():
        result = run(tool("ledger"), "-f", str(path), "--pedantic", "bal")
        assert result.returncode == 0, result.stderr


def test_journal_year_option_exports_one_year(demo: Cli, tmp_path: Path) -> None:
    add_second_year(demo)
    path = export_journal(demo, tmp_path, "--year", "2025/26")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(";")]
    assert lines and not [line for line in lines if "2024" in line]
    assert set(hledger_balances(path)) == {f"2025-26:{account}" for account in year_balances(demo, "2025/26")}
    result = run(tool("hledger"), "-f", str(path), "check", "-s")
    assert result.returncode == 0, result.stderr


def test_journal_streams_the_entries(demo: Cli) -> None:
    """Peak memory while writing stays the same whether the ledger has 5,000 extra entries or 50,000."""
    import tracemalloc

    from grants.exports.journal import write_journal
    from grants.options import Options
    from grants.scope import open_scope

    class Counter(io.TextIOBase):
        written = 0

        def write(self, text: str) -> int:
            self.written += len(text)
            return len(text)

    def peak_with(extra: int) -> int:
        with sqlite3.connect(demo.url.split("///", 1)[1]) as db:
            db.execute("DELETE FROM ledger_entry WHERE kind = 'bulk'")
            pid, year, actor = db.execute(
                "SELECT partnership_id, year_id, actor_id FROM ledger_entry"
            ).fetchone()
            now = datetime.now(UTC).isoformat()
            db.executemany(
                "INSERT INTO ledger_entry (partnership_id, year_id, kind, from_account, to_account, amount_pence,"
                " booked_on, actor_id, reason, created_at) VALUES (?, ?, 'bulk', 'pot:upfront', 'pot:tactical',"
                " ?, '2024-12-01', ?, 'a bulk movement for the memory test', ?)",
                ((pid, year, 1 + n % 997, actor, now) for n in range(extra)),
            )
        with open_scope(Options(db=demo.url), write=False) as scope:
            out = Counter()
            tracemalloc.start()
            try:
                summary = write_journal(scope, out)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert summary.entries == 24 + extra
        assert out.written > extra * 150
        return peak

    small, large = peak_with(5_000), peak_with(50_000)
    assert large < small * 1.5 + 1_000_000, (small, large)


# --- the workbook ---------------------------------------------------------------------------------


def export_workbook(cli: Cli, tmp_path: Path, actor: str = "kcc-officer"):  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    path = tmp_path / "crg.xlsx"
    ok(cli("export", "xlsx", "--out", str(path), actor=actor))
    return path, load_workbook(path)


def rows_of(sheet) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def cell_pence(value: int | float | Decimal) -> int:
    exact = Decimal(str(value)) * 100
    assert exact == exact.to_integral_value(), value
    return int(exact)


def test_workbook_has_its_five_sheets(demo: Cli, tmp_path: Path) -> None:
    _, book = export_workbook(demo, tmp_path)
    assert book.sheetnames == ["Summary", "Projects", "Spend", "Spend by month", "Scores"]


def test_workbook_summary_equals_pot_show(demo: Cli, tmp_path: Path) -> None:
    _, book = export_workbook(demo, tmp_path)
    shown = json.loads(ok(demo("pot", "show", "--json")).stdout)["pots"]
    rows = {row["Pot"]: row for row in rows_of(book["Summary"]) if row["Pot"] in ("upfront", "tactical")}
    assert set(rows) == set(shown) == {"upfront", "tactical"}
    for pot, figures in shown.items():
        for name in ("allocated", "committed", "free", "spent", "released", "returned", "uncommitted"):
            assert cell_pence(rows[pot][name.capitalize()]) == figures[f"{name}_pence"], (pot, name)
    assert cell_pence(rows["upfront"]["Uncommitted"]) == 116_200


def test_workbook_money_cells_are_pounds_with_a_pound_format(demo: Cli, tmp_path: Path) -> None:
    _, book = export_workbook(demo, tmp_path)
    projects = book["Projects"]
    first = next(projects.iter_rows(min_row=2, max_row=2))
    award = first[5]
    assert award.data_type == "n" and award.value == 6000
    assert award.number_format.startswith('"£"#,##0.00')
    (row,) = [r for r in rows_of(projects) if r["Reference"] == "CRG-2425-001"]
    # The demo's project under budget: £1,000 of its award released at close, nothing left in it.
    assert (cell_pence(row["Award"]), cell_pence(row["Spent"]), cell_pence(row["Remaining"])) == (
        600_000,
        500_000,
        0,
    )


def test_workbook_projects_and_spend_match_the_reports(demo: Cli, tmp_path: Path) -> None:
    add_payment(demo, "Prevent Education Services", invoice="PES-31-02", amount="12.34")
    _, book = export_workbook(demo, tmp_path)
    report = json.loads(ok(demo("report", "reconcile", "--format", "json")).stdout)
    projects = rows_of(book["Projects"])
    assert [p["Reference"] for p in projects] == [p["reference"] for p in report["projects"]]
    assert len(projects) == 8
    for row, line in zip(projects, report["projects"], strict=True):
        assert cell_pence(row["Award"]) == line["award_pence"]
        assert cell_pence(row["Spent"]) == line["spent_pence"]
        assert cell_pence(row["Remaining"]) == line["remaining_pence"]
        assert row["Status"] == line["status"]
    payments = json.loads(ok(demo("spend", "list", "--limit", "0", "--json")).stdout)
    spend = rows_of(book["Spend"])
    assert len(spend) == payments["count"] == 14
    assert sum(cell_pence(r["Amount"]) for r in spend) == payments["total_pence"]
    assert spend[-1]["Amount"] == pytest.approx(12.34) and spend[-1]["Date"].date() == date(2025, 3, 1)


def test_workbook_scores_are_the_ranking(demo: Cli, tmp_path: Path) -> None:
    _, book = export_workbook(demo, tmp_path)
    ranking = json.loads(ok(demo("scoring", "ranking", "--json", actor="kcc-officer")).stdout)["bids"]
    scores = rows_of(book["Scores"])
    assert [r["Reference"] for r in scores] == [b["reference"] for b in ranking]
    for row, bid in zip(scores, ranking, strict=True):
        assert Decimal(str(row["Mean score"])) * 1000 == bid["mean_tenths"]
        assert (row["Sheets"], row["Support"], row["Oppose"], row["Abstain"]) == (
            bid["sheets"],
            bid["support"],
            bid["oppose"],
            bid["abstain"],
        )
        assert row["Recommendation"] == bid["recommendation"]


def test_workbook_supplier_formula_stays_text(demo: Cli, tmp_path: Path) -> None:
    add_payment(demo, FORMULA)
    path, book = export_workbook(demo, tmp_path)
    cells = [row[2] for row in book["Spend"].iter_rows(min_row=2)]
    (hostile,) = [c for c in cells if FORMULA in str(c.value)]
    assert hostile.data_type == "s"
    assert hostile.value == "'" + FORMULA
    with zipfile.ZipFile(path) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets and not any(
            b"<f>" in archive.read(name) or b"<f " in archive.read(name) for name in sheets
        )


def test_workbook_needs_out(demo: Cli) -> None:
    result = demo("export", "xlsx", actor="kcc-officer")
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == (
        "Error: a workbook is not written to the terminal: give --out FILE, e.g. --out crg-2024-25.xlsx"
    )


def test_workbook_refuses_a_missing_folder(demo: Cli, tmp_path: Path) -> None:
    result = demo("export", "xlsx", "--out", str(tmp_path / "nowhere" / "crg.xlsx"), actor="kcc-officer")
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == (
        f"Error: the folder {tmp_path / 'nowhere'} does not exist; create it or write somewhere else"
    )


@pytest.mark.parametrize(
    "command",
    [("export", "journal"), ("export", "xlsx"), ("export", "360giving")],
    ids=["journal", "xlsx", "360giving"],
)
def test_every_file_export_refuses_a_file_the_system_will_not_write(
    demo: Cli, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """One way of writing for every file export: a name too long for the file system is exit 2
    with the system's reason, no traceback, and nothing left behind; a folder is refused too."""
    folder = tmp_path / "out"
    folder.mkdir()
    result = demo(*command, "--out", str(folder / ("x" * 300)), actor="kcc-officer")
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert message.startswith("Error: cannot write '") and "File name too long" in message, message
    assert "Traceback" not in result.output and len(message) < 200
    onto_folder = demo(*command, "--out", str(folder), actor="kcc-officer")
    assert onto_folder.exit_code == 2 and "is a folder" in onto_folder.stderr
    assert list(folder.iterdir()) == []


def test_workbook_refused_leaves_no_file(demo: Cli, tmp_path: Path) -> None:
    result = demo("export", "xlsx", "--out", str(tmp_path / "crg.xlsx"))
    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == (
        "Error: nobody is acting: give --as HANDLE or set GRANTS_USER to your member handle"
    )
    assert list(tmp_path.glob("*.xlsx")) == [] and list(tmp_path.glob(".*partial")) == []


def test_workbook_goes_on_in_a_second_sheet_past_the_row_limit(
    demo: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import grants.exports.workbook

    monkeypatch.setattr(grants.exports.workbook, "EXCEL_ROWS", 11)  # a header and ten rows a sheet
    _, book = export_workbook(demo, tmp_path)
    # Spend by month's twelve months go on too (at Excel's real limit they never do).
    assert book.sheetnames == [
        "Summary",
        "Projects",
        "Spend",
        "Spend 2",
        "Spend by month",
        "Spend by month 2",
        "Scores",
    ]
    first, second = rows_of(book["Spend"]), rows_of(book["Spend 2"])
    assert (len(first), len(second)) == (10, 3)
    assert [r["Date"] for r in first + second] == sorted(r["Date"] for r in first + second)


def test_workbook_follows_a_carried_project_into_the_next_year(demo: Cli, tmp_path: Path) -> None:
    """A project carried forward spends in two years: each year's workbook shows it with that
    year's spend and payments, as `report reconcile` does: the payments before the rollover in the
    first year's workbook, those after it in the second's."""
    from openpyxl import load_workbook

    ok(demo("rollover", "2024/25", "--carry-forward", "CRG-2425-007", "--apply", actor="kcc-officer"))
    ok(demo("spend", "add", "CRG-2425-007", "400", "--supplier", "PES", "--date", "2025-05-02",
            "--invoice", "PES-MAY", actor="treasurer"))  # fmt: skip
    books = {}
    for label in ("2024/25", "2025/26"):
        path = tmp_path / f"{label.replace('/', '-')}.xlsx"
        ok(demo("export", "xlsx", "--year", label, "--out", str(path), actor="kcc-officer"))
        books[label] = load_workbook(path)
        report = json.loads(ok(demo("report", "reconcile", "--year", label, "--json")).stdout)
        projects = rows_of(books[label]["Projects"])
        assert [p["Reference"] for p in projects] == [p["reference"] for p in report["projects"]]
        for row, line in zip(projects, report["projects"], strict=True):
            assert cell_pence(row["Spent"]) == line["spent_pence"], (label, row["Reference"])
            assert cell_pence(row["Remaining"]) == line["remaining_pence"], (label, row["Reference"])
        # The year's Spend sheet holds exactly the payments its Projects sheet counts as spent.
        spent = sum(line["spent_pence"] for line in report["projects"])
        assert sum(cell_pence(r["Amount"]) for r in rows_of(books[label]["Spend"])) == spent, label
        listed = json.loads(ok(demo("spend", "list", "--year", label, "--limit", "0", "--json")).stdout)
        assert (listed["count"], listed["total_pence"]) == (len(rows_of(books[label]["Spend"])), spent)
    (carried,) = rows_of(books["2025/26"]["Projects"])
    # In 2025/26's books the project has what was carried into it: £1,500 of its £3,500 award.
    assert (
        carried["Reference"],
        carried["Carried from"],
        cell_pence(carried["Award"]),
        cell_pence(carried["Spent"]),
        cell_pence(carried["Remaining"]),
    ) == ("CRG-2425-007", "2024/25", 150_000, 40_000, 110_000)
    before = [r for r in rows_of(books["2024/25"]["Spend"]) if r["Reference"] == "CRG-2425-007"]
    after = rows_of(books["2025/26"]["Spend"])
    assert [r["Invoice"] for r in after] == ["PES-MAY"]
    assert all(r["Date"].date() <= date(2025, 3, 31) for r in before)
    (earlier,) = [r for r in rows_of(books["2024/25"]["Projects"]) if r["Reference"] == "CRG-2425-007"]
    assert cell_pence(earlier["Spent"]) == sum(cell_pence(r["Amount"]) for r in before) == 200_000
