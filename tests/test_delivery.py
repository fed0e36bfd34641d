"""Delivery and the treasurer: starting and completing projects, payments, imports, closing,
reconciliation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_approvals import ok, pots, refused

HEADER = "date,reference,amount,supplier,invoice\n"


def write(tmp_path: Path, text: str, name: str = "payments.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def spend_count(cli: Cli, reference: str | None = None) -> int:
    args = ["spend", "list", "--json"] + ([reference] if reference else [])
    return json.loads(ok(cli(*args)).stdout)["count"]


def test_demo_delivers_spends_and_closes(demo: Cli) -> None:
    shown = pots(demo)
    assert (shown["pots"]["upfront"]["committed"], shown["tactical_gate"]["open"]) == ("£25,278", True)
    data = shown["pots"]
    assert (data["upfront"]["spent"], data["upfront"]["released"]) == ("£23,778", "£1,000")
    assert (data["upfront"]["uncommitted"], data["tactical"]["spent"]) == ("£1,162", "£3,000")
    report = json.loads(ok(demo("report", "reconcile", "--format", "json")).stdout)
    assert report["balanced"] is True and report["problems"] == []
    by_ref = {p["reference"]: p for p in report["projects"]}
    assert len(by_ref) == 8
    first = by_ref["CRG-2425-001"]
    assert (first["status"], first["award"], first["spent"], first["released"]) == (
        "closed",
        "£6,000",
        "£5,000",
        "£1,000",
    )
    assert (first["remaining"], first["variance"], first["last_payment"]) == ("£0", "£1,000", "2025-01-20")
    assert by_ref["CRG-2425-007"]["status"] == "in_delivery"
    assert by_ref["CRG-2425-007"]["remaining"] == "£1,500"
    assert report["year_totals"]["spent"] == "£26,778"
    assert spend_count(demo) == 13
    history = json.loads(ok(demo("bid", "history", "CRG-2425-001", "--json")).stdout)
    assert [e["action"] for e in history][-3:] == ["bid.start", "bid.complete", "bid.close"]
    assert history[-1]["details"]["released"] == "£1,000"
    ok(demo("check"))
    ok(demo("audit", "verify"))


def test_delivery_steps_and_who_may_take_them(funded: Cli) -> None:
    refused(funded, "delivery", "start", "CRG-2425-001", actor="wg-police")
    ok(funded("delivery", "start", "CRG-2425-001", actor="kcc-officer"))
    message = refused(funded, "delivery", "complete", "CRG-2425-001", "--outcome", " ", actor="kcc-officer")
    assert message.endswith("give the outcome (--outcome) of CRG-2425-001")
    ok(funded("delivery", "complete", "CRG-2425-001", "--outcome", "46 trained", actor="kcc-officer"))
    shown = json.loads(ok(funded("bid", "show", "CRG-2425-001", "--json")).stdout)
    assert shown["outcome_summary"] == "46 trained"
    assert "role treasurer" in refused(funded, "close", "CRG-2425-001", actor="kcc-officer")
    result = ok(funded("close", "CRG-2425-001", actor="treasurer"))
    assert "£6,000 of its award was not spent and goes back to the upfront pot" in " ".join(
        result.stdout.split()
    )
    upfront = pots(funded)["pots"]["upfront"]
    assert (upfront["released"], upfront["uncommitted"]) == ("£6,000", "£6,162")
    ok(funded("check"))


def test_spend_beyond_the_award_gives_award_spent_and_left(funded: Cli) -> None:
    args = ("spend", "add", "CRG-2425-003", "--date", "2024-09-01", "--supplier", "Safer Futures")
    ok(funded(*args[:3], "2,000", *args[3:], "--invoice", "A1", actor="treasurer"))
    message = refused(funded, *args[:3], "400.01", *args[3:], actor="treasurer")
    assert message == (
        "Error: the award of CRG-2425-003 is £2,400, £2,000 is spent and £400 is left; the payment is £400.01"
    )
    ok(funded(*args[:3], "400", *args[3:], actor="treasurer"))
    assert spend_count(funded, "CRG-2425-003") == 2
    ok(funded("check"))


def test_spend_is_refused_outside_the_rules(funded: Cli) -> None:
    base = ("spend", "add", "CRG-2425-003", "100", "--supplier", "Safer Futures")
    assert refused(funded, *base, "--date", "2025-04-01", actor="treasurer") == (
        "Error: 2025-04-01 is outside 2024/25 (1 April 2024 to 31 March 2025), the year of CRG-2425-003"
    )
    assert "role treasurer" in refused(funded, *base, "--date", "2024-09-01", actor="kcc-officer")
    refused(funded, *base, "--date", "31/02/2024", actor="treasurer", code=2)
    # A negative amount is a refund, refused while nothing is spent.
    assert "a refund cannot take a project's spend below zero" in refused(
        funded, *base[:3], "-5", *base[4:], "--date", "2024-09-01", actor="treasurer"
    )
    assert "CRG-2425-008 is not_shortlisted" in refused(
        funded,
        "spend",
        "add",
        "CRG-2425-008",
        "5",
        "--date",
        "2024-09-01",
        "--supplier",
        "X",
        actor="treasurer",
    )
    ok(funded(*base, "--date", "01/09/2024", "--invoice", "INV-1", actor="treasurer"))
    assert "invoice INV-1 is already recorded for CRG-2425-003" in refused(
        funded, *base, "--date", "2024-09-02", "--invoice", "INV-1", actor="treasurer"
    )


def test_import_good_file_once_then_skips(funded: Cli, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + '2024-07-01,CRG-2425-001,"£1,200.00",ASB Training Partnership,T-1\n'
        + "02/08/2024,crg-2425-001,800,ASB Training Partnership,T-2\n"
        + "\n"
        + "2024-09-01,CRG-2425-010,3000,Youth Sport Kent CIC,Y-1\n",
    )
    first = json.loads(ok(funded("spend", "import", path, "--json", actor="treasurer")).stdout)
    assert (first["rows"], first["imported"], first["skipped"], first["total"]) == (3, 3, 0, "£5,000")
    assert first["by_bid"]["CRG-2425-001"]["amount"] == "£2,000"
    again = json.loads(ok(funded("spend", "import", path, "--json", actor="treasurer")).stdout)
    assert (again["imported"], again["skipped"], again["total"]) == (0, 3, "£0")
    assert spend_count(funded) == 3
    assert pots(funded)["pots"]["upfront"]["spent"] == "£2,000"
    # A re-run with nothing new writes nothing at all: the first import is the last event.
    log = json.loads(ok(funded("audit", "log", "--json")).stdout)
    assert log[-1]["action"] == "spend.import" and log[-1]["details"]["imported"] == 3
    assert log[-2]["action"] != "spend.import"
    ok(funded("check"))


def test_one_bad_line_imports_nothing_and_is_listed(funded: Cli, tmp_path: Path) -> None:
    ok(
        funded(
            "spend",
            "add",
            "CRG-2425-006",
            "100",
            "--date",
            "2024-07-01",
            "--supplier",
            "Hub",
            actor="treasurer",
        )
    )
    path = write(
        tmp_path,
        HEADER
        + "2024-07-01,CRG-2425-001,1200,ASB Training Partnership,T-1\n"
        + '2024-07-02,CRG-2425-001,"£6,00",ASB Training Partnership,T-2\n'
        + "2024-07-03,CRG-2425-001,100,ASB Training Partnership,T-3\n",
    )
    before = funded.snapshot()
    result = funded("spend", "import", path, actor="treasurer")
    assert result.exit_code == 2, result.output
    assert funded.snapshot() == before
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: payments.csv: 1 bad row; nothing was imported"
    assert lines[1].startswith("  line 3: amount '£6,00' has bad digit grouping")
    assert spend_count(funded) == 1


def test_every_kind_of_bad_row_is_listed_with_its_line(funded: Cli, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "2024-07-01,CRG-2425-099,10,A,1\n"  # line 2: unknown bid
        + "2024-07-01,CRG-2425-008,10,A,2\n"  # 3: not funded
        + "2025-04-01,CRG-2425-001,10,A,3\n"  # 4: outside the year
        + "yesterday,CRG-2425-001,10,A,4\n"  # 5: bad date
        + "2024-07-01,CRG-2425-001,10,,5\n"  # 6: no supplier
        + "2024-07-01,CRG-2425-001,10,A\n"  # 7: short row
        + "2024-07-01,CRG-2425-002,10,A,D\n"  # 8
        + "2024-07-02,CRG-2425-002,10,A,D\n"  # 9: repeats line 8's invoice
        + "2024-07-01,CRG-2425-003,2000,A,E1\n"  # 10
        + "2024-07-02,CRG-2425-003,500,A,E2\n",  # 11: with line 10, beyond the £2,400 award
    )
    result = funded("spend", "import", path, "--json", actor="treasurer")
    assert result.exit_code == 2
    bad = {row["line"]: row["reason"] for row in json.loads(result.stdout)["bad_rows"]}
    assert bad[2] == "there is no bid 'CRG-2425-099'"
    assert bad[3].startswith("CRG-2425-008 is not_shortlisted")
    assert bad[4].startswith("2025-04-01 is outside 2024/25")
    assert bad[5].startswith("date 'yesterday' is not a date")
    assert bad[6] == "supplier is empty; give a supplier"
    assert bad[7] == "has 4 columns; the header has 5"
    assert bad[9] == "invoice D for CRG-2425-002 repeats line 8"
    assert bad[10] == (
        "the 2 new payments on lines 10 and 11 to CRG-2425-003 add up to £2,500, but the award is £2,400 "
        "with £0 spent, leaving £2,400"
    )
    assert len(bad) == 8
    unquoted = write(tmp_path, HEADER + "2024-07-01,CRG-2425-001,6,000,A,F\n", "unquoted.csv")
    result = funded("spend", "import", unquoted, "--json", actor="treasurer")
    assert json.loads(result.stdout)["bad_rows"] == [
        {
            "line": 2,
            "reason": 'has 6 columns; the header has 5 (an amount with a comma needs quotes: "6,000")',
        }
    ]
    assert spend_count(funded) == 0


def test_import_reads_another_systems_columns(funded: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "Posting Date,Project,Net,Payee,Doc No\n2024-07-01,CRG-2425-005,1500,Venue,V-1\n")
    result = funded("spend", "import", path, actor="treasurer")
    assert result.exit_code == 2
    assert "has no column 'date' (the date)" in result.stderr
    assert "--column" in result.stderr
    mapped = [
        "--column",
        "date=Posting Date",
        "--column",
        "reference=Project",
        "--column",
        "amount=Net",
        "--column",
        "supplier=Payee",
        "--column",
        "invoice=Doc No",
    ]
    ok(funded("spend", "import", path, *mapped, actor="treasurer"))
    assert spend_count(funded, "CRG-2425-005") == 1
    refused(funded, "spend", "import", path, "--column", "colour=Red", actor="treasurer", code=2)


def test_import_dry_run_changes_nothing(funded: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2024-07-01,CRG-2425-005,1500,Venue,V-1\n")
    before = funded.snapshot()
    result = ok(funded("spend", "import", path, "--dry-run", actor="treasurer"))
    assert "Would import 1 payment worth £1,500" in result.stdout
    assert funded.snapshot() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "payments.csv is empty; it needs a header row"),
        (HEADER.encode(), "payments.csv has a header row but no payments"),
        (
            HEADER.encode() + b"2024-07-01,CRG-2425-005,1500,Caf\x81,V-1\n",
            "payments.csv is not UTF-8 nor Windows-1252 text: line 2 has the byte 0x81 at position 33",
        ),
    ],
)
def test_unreadable_files_are_refused_clearly(
    funded: Cli, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "payments.csv"
    path.write_bytes(content)
    assert message in refused(funded, "spend", "import", str(path), actor="treasurer", code=2)


def test_import_of_a_missing_file_is_not_found(funded: Cli, tmp_path: Path) -> None:
    refused(funded, "spend", "import", str(tmp_path / "nope.csv"), actor="treasurer", code=3)


def test_reconcile_reports_a_payment_changed_outside_grants(demo: Cli) -> None:
    import sqlite3

    with sqlite3.connect(demo.url.split("///", 1)[1]) as connection:
        connection.execute("UPDATE spend SET amount_pence = amount_pence + 1 WHERE invoice = 'SFT-77-01'")
    result = demo("report", "reconcile", "--format", "json")
    assert result.exit_code == 4
    problems = json.loads(result.stdout)["problems"]
    assert [p["message"] for p in problems] == [
        "bid CRG-2425-003 records £2,400 spent but its payments add up to £2,400.01"
    ]


def test_reconcile_formats(demo: Cli) -> None:
    csv_text = ok(demo("report", "reconcile", "--format", "csv")).stdout
    rows = csv_text.splitlines()
    assert rows[0].startswith("line,reference,title")
    assert sum(row.startswith("project,") for row in rows) == 8
    assert rows[-1].startswith("year,") and ",26778.00,2677800," in rows[-1]
    markdown = ok(demo("report", "reconcile", "--format", "markdown")).stdout
    assert "| CRG-2425-001 | Expert level training" in markdown
    assert refused(demo, "report", "reconcile", "--format", "pdf", actor="treasurer", code=2) == (
        "Error: --format 'pdf' is not one of table, json, csv, markdown"
    )
