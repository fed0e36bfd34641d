"""The treasurer's real finance exports: credit notes, other cost centres, references in narratives,
encodings, spreadsheets, repeats, dates; each file written as a council finance system writes it."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_approvals import ok, refused

# A council ledger export (Agresso/Unit4 style): its own column names, UK dates, £ signs, thousands
# separators, the grant reference inside the narrative, and lines for other cost centres.
COUNCIL_HEADER = ["Posting Date", "Cost Centre", "Supplier Name", "Invoice No", "Net Amount", "Narrative"]
MAPPED = [
    "--column",
    "date=Posting Date",
    "--column",
    "supplier=Supplier Name",
    "--column",
    "invoice=Invoice No",
    "--column",
    "amount=Net Amount",
    "--column",
    "reference=Narrative",
]


def council_csv(rows: list[list[str]]) -> str:
    """CSV text as the finance system writes it: every cell quoted, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COUNCIL_HEADER)
    writer.writerows(rows)
    return out.getvalue()


def save(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def spend(cli: Cli, reference: str | None = None) -> dict:
    args = ["spend", "list", "--json", "--limit", "0"] + ([reference] if reference else [])
    return json.loads(ok(cli(*args)).stdout)


def projects(cli: Cli) -> dict[str, dict]:
    report = json.loads(ok(cli("report", "reconcile", "--format", "json")).stdout)
    return {p["reference"]: p for p in report["projects"]}


def ledger_rows(cli: Cli) -> list[tuple]:
    """The ledger's payment entries, as a comparable multiset (no ids or times)."""
    import sqlite3

    with sqlite3.connect(cli.url.split("///", 1)[1]) as connection:
        rows = connection.execute(
            "SELECT kind, from_account, to_account, amount_pence, booked_on, reason FROM ledger_entry "
            "WHERE kind IN ('spend', 'refund') ORDER BY 1, 2, 3, 4, 5, 6"
        ).fetchall()
        spent = connection.execute("SELECT reference, spent_pence FROM bid ORDER BY reference").fetchall()
    return [*rows, *spent]


def import_args(path: str, *more: str) -> tuple[str, ...]:
    return ("spend", "import", path, *MAPPED, *more)


# --- refunds and credit notes --------------------------------------------------------------------


def test_credit_notes_in_all_four_forms_are_refunds(funded: Cli, tmp_path: Path) -> None:
    path = save(
        tmp_path,
        "ledger.csv",
        council_csv(
            [
                [
                    "01/07/2024",
                    "CS100",
                    "ASB Training Partnership",
                    "T-1",
                    "£1,200.00",
                    "CRG-2425-001 training",
                ],
                ["02/07/2024", "CS100", "ASB Training Partnership", "T-1C", "-150.00", "CRG-2425-001 credit"],
                [
                    "03/07/2024",
                    "CS100",
                    "ASB Training Partnership",
                    "T-2C",
                    "-£150.00",
                    "CRG-2425-001 credit",
                ],
                [
                    "04/07/2024",
                    "CS100",
                    "ASB Training Partnership",
                    "T-3C",
                    "(120.00)",
                    "CRG-2425-001 credit",
                ],
                [
                    "05/07/2024",
                    "CS100",
                    "ASB Training Partnership",
                    "T-4C",
                    "120.00 CR",
                    "CRG-2425-001 credit",
                ],
            ]
        ),
    )
    result = json.loads(ok(funded(*import_args(path, "--json"), actor="treasurer")).stdout)
    assert (result["imported"], result["refunds"], result["refunded"], result["total"]) == (
        5,
        4,
        "£540",
        "£660",
    )
    listed = spend(funded, "CRG-2425-001")
    assert (listed["count"], listed["total"], listed["refunds"], listed["refunded"]) == (5, "£660", 4, "£540")
    kinds = sorted((p["invoice"], p["kind"], p["amount_pence"]) for p in listed["payments"])
    assert kinds == [
        ("T-1", "spend", 120000),
        ("T-1C", "refund", -15000),
        ("T-2C", "refund", -15000),
        ("T-3C", "refund", -12000),
        ("T-4C", "refund", -12000),
    ]
    table = ok(funded("spend", "list", "CRG-2425-001")).stdout
    assert "refund" in table and "-£120" in table and "after 4 refunds of £540" in table
    project = projects(funded)["CRG-2425-001"]
    assert (project["spent"], project["refunds"], project["refunded"], project["remaining"]) == (
        "£660",
        4,
        "£540",
        "£5,340",
    )
    ok(funded("check"))


def test_spend_add_takes_a_refund_and_refuses_one_below_zero(funded: Cli) -> None:
    base = ("--date", "2024-07-10", "--supplier", "ASB Training Partnership")
    ok(funded("spend", "add", "CRG-2425-001", "500", *base, "--invoice", "A-1", actor="treasurer"))
    said = ok(
        funded("spend", "add", "CRG-2425-001", "(100.00)", *base, "--invoice", "CN-1", actor="treasurer")
    )
    assert "Refund of £100 from ASB Training Partnership" in said.stdout
    ok(funded("spend", "add", "CRG-2425-001", "-50.00", *base, "--invoice", "CN-2", actor="treasurer"))
    ok(funded("spend", "add", *base, "--invoice", "CN-2B", "--", "CRG-2425-001", "-£5.00", actor="treasurer"))
    unknown = funded("spend", "add", "CRG-2425-001", "5", *base, "--invoce", "X", actor="treasurer")
    assert unknown.exit_code == 2 and "--invoce" in unknown.output
    ok(funded("spend", "add", "CRG-2425-001", "25 CR", *base, "--invoice", "CN-3", actor="treasurer"))
    assert spend(funded, "CRG-2425-001")["total"] == "£320"
    message = refused(
        funded, "spend", "add", "CRG-2425-001", "(320.01)", *base, "--invoice", "CN-4", actor="treasurer"
    )
    assert message == (
        "Error: the refund is £320.01, but CRG-2425-001 has £320 spent, so its spend would be -£0.01: "
        "a refund cannot take a project's spend below zero"
    )
    refused(funded, "spend", "add", "CRG-2425-001", "0.00 CR", *base, actor="treasurer", code=2)
    history = json.loads(ok(funded("audit", "log", "--json")).stdout)
    assert [e["action"] for e in history][-4:] == ["spend.refund"] * 4
    ok(funded("check"))


@pytest.mark.parametrize("amount", ["\u2013150.00", "\u2212£150.00", "\u2010150.00", "\uff0d150.00"])
def test_a_refund_written_with_a_look_alike_minus_is_a_refund(funded: Cli, amount: str) -> None:
    base = ("--date", "2024-07-10", "--supplier", "ASB Training Partnership", "--invoice")
    ok(funded("spend", "add", "CRG-2425-001", "500", *base, "INV-1", actor="treasurer"))
    ok(funded("spend", "add", "CRG-2425-001", amount, *base, "CN-1", actor="treasurer"))
    assert spend(funded, "CRG-2425-001")["total"] == "£350"


@pytest.mark.parametrize(
    ("amount", "total"),
    [("150.00 DR", "£650"), ("£150.00DR", "£650"), ("1,150.00 dr", "£1,650"), ("-150.00 DR", None), ("(150.00) DR", None)],
)
def test_a_debit_marked_dr_is_a_payment(funded: Cli, amount: str, total: str | None) -> None:
    """A ledger that marks its credit notes CR marks its payments DR; a DR that is negative too
    says two things at once and is refused, naming both."""
    base = ("--date", "2024-07-10", "--supplier", "ASB Training Partnership", "--invoice")
    ok(funded("spend", "add", "CRG-2425-001", "500", *base, "INV-1", actor="treasurer"))
    result = funded("spend", "add", "CRG-2425-001", amount, *base, "INV-2", actor="treasurer")
    if total is None:
        assert result.exit_code == 2 and "is a debit (DR) and negative at once" in result.output
        assert spend(funded, "CRG-2425-001")["total"] == "£500"
    else:
        ok(result)
        assert spend(funded, "CRG-2425-001")["total"] == total


@pytest.mark.parametrize(
    ("amount", "total"),
    [
        ("£ 150.00", "£650"),
        ("- 150.00", "£350"),
        ("- £ 1,50.00", None),
        ("-£ 150.00", "£350"),
        ("( £ 150.00 )", "£350"),
    ],
)
def test_spaces_after_a_sign_or_the_pound_sign_are_read_past(
    funded: Cli, amount: str, total: str | None
) -> None:
    """Excel's accounting format writes `£ 150.00` (and `-£ 150.00`) into a CSV; the figure is
    still checked as a whole."""
    base = ("--date", "2024-07-10", "--supplier", "ASB Training Partnership", "--invoice")
    ok(funded("spend", "add", "CRG-2425-001", "500", *base, "INV-1", actor="treasurer"))
    result = funded("spend", "add", "CRG-2425-001", amount, *base, "X-1", actor="treasurer")
    if total is None:
        assert result.exit_code == 2 and "bad digit grouping" in result.stderr
    else:
        assert result.exit_code == 0, result.output
        assert spend(funded, "CRG-2425-001")["total"] == total


def test_a_credit_note_under_the_invoices_own_number_is_refused_saying_what_to_do(funded: Cli) -> None:
    base = ("--date", "2024-07-10", "--supplier", "ASB Training Partnership", "--invoice", "INV-9")
    ok(funded("spend", "add", "CRG-2425-001", "500", *base, actor="treasurer"))
    message = refused(funded, "spend", "add", "CRG-2425-001", "(100.00)", *base, actor="treasurer")
    assert message == (
        "Error: invoice INV-9 is already recorded for CRG-2425-001 (2024-07-10, £500 to ASB Training "
        "Partnership); record the credit note under its own number, e.g. --invoice INV-9-CN"
    )


def test_an_import_that_takes_a_project_below_zero_is_refused_with_the_figures(
    funded: Cli, tmp_path: Path
) -> None:
    first = save(
        tmp_path, "jul.csv", council_csv([["01/07/2024", "CS1", "Venue", "V-1", "300", "CRG-2425-005"]])
    )
    ok(funded(*import_args(first), actor="treasurer"))
    second = save(
        tmp_path,
        "aug.csv",
        council_csv(
            [
                ["01/08/2024", "CS1", "Venue", "V-1C", "(200.00)", "CRG-2425-005"],
                ["02/08/2024", "CS1", "Venue", "V-2C", "150.00 CR", "CRG-2425-005"],
            ]
        ),
    )
    before = funded.snapshot()
    result = funded(*import_args(second, "--json"), actor="treasurer")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["bad_rows"] == [
        {
            "line": 2,
            "reason": "the 2 new payments on lines 2 and 3 to CRG-2425-005 add up to -£350, but CRG-2425-005 has "
            "£300 spent, so its spend would be -£50: a refund cannot take a project's spend below zero",
        }
    ]
    assert funded.snapshot() == before


def test_one_new_line_past_its_award_or_below_zero_is_named_as_one_line(funded: Cli, tmp_path: Path) -> None:
    path = save(
        tmp_path,
        "one.csv",
        council_csv(
            [
                ["01/07/2024", "CS1", "Venue", "V-1", "9,999.00", "CRG-2425-004"],
                ["02/07/2024", "CS1", "Venue", "V-2C", "(5.00)", "CRG-2425-005"],
                ["03/07/2024", "CS9", "Stationery", "S-1", "12.50", "Not a grant"],
            ]
        ),
    )
    result = funded(*import_args(path, "--json"), actor="treasurer")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["error"] == (
        "one.csv: 3 bad rows; nothing was imported; 1 of them names no grant project (--skip-unmatched "
        "imports the rest and reports what it skipped)"
    )
    assert (data["unmatched"], data["more_bad_rows"], len(data["bad_rows"])) == (1, 0, 3)
    assert [row["reason"] for row in data["bad_rows"][:2]] == [
        "the new payment on line 2 to CRG-2425-004 is £9,999, but the award is £4,578 with £0 spent, "
        "leaving £4,578",
        "the new refund on line 3 to CRG-2425-005 is £5, but CRG-2425-005 has £0 spent, so its spend "
        "would be -£5: a refund cannot take a project's spend below zero",
    ]


# --- lines that are not grant spend --------------------------------------------------------------


def cost_centre_export() -> list[list[str]]:
    return [
        ["01/07/2024", "CS100", "ASB Training Partnership", "T-1", "£1,200.00", "crg-2425-001 venue hire"],
        ["01/07/2024", "HW200", "Kent Highways", "H-9", "£9,999.00", ""],
        ["02/07/2024", "CS100", "Stationery Direct", "S-1", "12.50", "Not a grant"],
        ["10/07/2024", "CS100", "Youth Sport Kent CIC", "Y-1", "3,000.00", "Grant CRG-2425-010/July"],
        ["04/07/2024", "CS100", "Stationery Direct", "S-2", "(2.50)", "Not a grant"],
    ]


def test_lines_for_other_cost_centres_are_listed_and_the_file_refused(funded: Cli, tmp_path: Path) -> None:
    path = save(tmp_path, "ledger.csv", council_csv(cost_centre_export()))
    before = funded.snapshot()
    result = funded(*import_args(path), actor="treasurer")
    assert result.exit_code == 2
    assert "3 bad rows; nothing was imported; 3 of them name no grant project" in result.stderr
    assert "--skip-unmatched" in result.stderr
    assert (
        "line 3: names no grant project in 'Narrative': '01/07/2024,HW200,Kent Highways,H-9" in result.stderr
    )
    assert "line 4: names no grant project" in result.stderr and "Not a grant" in result.stderr
    # the line as the file has it: a cell with a comma in quotes, as it is written there
    assert """'01/07/2024,HW200,Kent Highways,H-9,"£9,999.00",'""" in result.stderr
    assert "line 6: names no grant project" in result.stderr
    assert funded.snapshot() == before


def test_skip_unmatched_imports_the_grant_lines_and_reports_the_rest(funded: Cli, tmp_path: Path) -> None:
    path = save(tmp_path, "ledger.csv", council_csv(cost_centre_export()))
    said = ok(funded(*import_args(path, "--skip-unmatched"), actor="treasurer")).stdout
    assert "Imported 2 payments worth £4,200" in said
    assert "skipped 3 lines naming no grant project, £10,009 in all" in said
    assert spend(funded, "CRG-2425-001")["total"] == "£1,200"
    assert spend(funded, "CRG-2425-010")["total"] == "£3,000"
    data = json.loads(ok(funded(*import_args(path, "--skip-unmatched", "--json"), actor="treasurer")).stdout)
    assert (data["imported"], data["skipped"], data["unmatched"], data["unmatched_total"]) == (
        0,
        2,
        3,
        "£10,009",
    )


def test_a_footer_line_of_another_shape_is_a_line_naming_no_grant_project(
    funded: Cli, tmp_path: Path
) -> None:
    """Finance reports end with a footer ("End of report", in one cell): it names no grant project,
    so --skip-unmatched skips it like any other such line; a short line naming a project is still
    an error of its shape."""
    text = council_csv(cost_centre_export()) + "End of report: 5 lines\r\n"
    path = save(tmp_path, "footer.csv", text)
    result = funded(*import_args(path, "--json"), actor="treasurer")
    assert result.exit_code == 2
    bad = json.loads(result.stdout)["bad_rows"]
    assert bad[-1] == {"line": 7, "reason": "names no grant project in 'Narrative': 'End of report: 5 lines'"}
    data = json.loads(ok(funded(*import_args(path, "--skip-unmatched", "--json"), actor="treasurer")).stdout)
    assert (data["imported"], data["unmatched"], data["unmatched_total"]) == (2, 4, "£10,009")
    short = save(tmp_path, "short.csv", council_csv([]) + '"01/07/2024","CS1","CRG-2425-001 venue"\r\n')
    result = funded(*import_args(short, "--skip-unmatched", "--json"), actor="treasurer")
    assert json.loads(result.stdout)["bad_rows"] == [{"line": 2, "reason": "has 3 columns; the header has 6"}]
    one = save(tmp_path, "one.csv", council_csv([]) + "CRG-2425-001\r\n")
    result = funded(*import_args(one, "--json"), actor="treasurer")
    assert json.loads(result.stdout)["bad_rows"] == [{"line": 2, "reason": "has 1 column; the header has 6"}]


@pytest.mark.parametrize(
    ("narrative", "found"),
    [
        ("CRG-2425-003", "found"),
        ("crg-2425-003", "found"),
        ("  Crg-2425-003  ", "found"),
        ("payment for crg-2425-003 venue hire", "found"),
        ("(CRG-2425-003)", "found"),
        ("ref:CRG-2425-003;", "found"),
        ("CRG-2425-0031", "there is no bid 'CRG-2425-0031'"),  # the whole word: another bid
        ("XCRG-2425-003", "names no grant project"),
        ("CRG-2425-003A", "names no grant project"),
        ("CRG-2425-003-2", "names no grant project"),
        ("CRG2425003", "names no grant project"),
        ("", "names no grant project"),
        # look-alikes, as an invoice's are: Unicode hyphens pasted from a document, full width
        ("CRG\u20112425\u2011003 venue hire", "found"),
        ("Grant CRG\u20102425\u2013003", "found"),
        ("\uff23\uff32\uff27-2425-003", "found"),
        ("X\u2011CRG\u20112425\u2011003", "names no grant project"),
    ],
)
def test_the_reference_is_found_anywhere_in_its_column_as_a_whole_word(
    funded: Cli, tmp_path: Path, narrative: str, found: str
) -> None:
    path = save(tmp_path, "one.csv", council_csv([["01/07/2024", "CS1", "Safer", "E-1", "100", narrative]]))
    result = funded(*import_args(path, "--json"), actor="treasurer")
    if found == "found":
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["by_bid"] == {
            "CRG-2425-003": {"amount_pence": 10000, "amount": "£100"}
        }
    else:
        assert result.exit_code == 2
        assert found in json.loads(result.stdout)["bad_rows"][0]["reason"]


def test_a_narrative_naming_two_bids_or_an_unknown_bid_is_an_error_not_skipped(
    funded: Cli, tmp_path: Path
) -> None:
    path = save(
        tmp_path,
        "two.csv",
        council_csv(
            [
                ["01/07/2024", "CS1", "Safer", "E-1", "100", "CRG-2425-003 and CRG-2425-004"],
                ["01/07/2024", "CS1", "Safer", "E-2", "100", "crg-2425-099 hall"],
            ]
        ),
    )
    result = funded(*import_args(path, "--skip-unmatched", "--json"), actor="treasurer")
    assert result.exit_code == 2
    bad = {row["line"]: row["reason"] for row in json.loads(result.stdout)["bad_rows"]}
    assert bad[2] == (
        "'Narrative' 'CRG-2425-003 and CRG-2425-004' names more than one bid (CRG-2425-003, "
        "CRG-2425-004); a line pays one project"
    )
    assert bad[3] == "there is no bid 'CRG-2425-099'"


# --- encodings -----------------------------------------------------------------------------------


def test_windows_1252_is_detected(funded: Cli, tmp_path: Path) -> None:
    text = council_csv(
        [
            ["15/07/2024", "CS1", "Café Société — “Youth”", "Y-1", "£1,000.00", "CRG-2425-010"],
            ["16/07/2024", "CS1", "Café Société — “Youth”", "Y-1C", "£100.00 CR", "CRG-2425-010"],
        ]
    )
    path = save(tmp_path, "excel.csv", text, "cp1252")
    said = ok(funded(*import_args(path, "--dry-run"), actor="treasurer")).stdout
    assert "from excel.csv (read as Windows-1252)" in said  # so a wrong guess is seen, and overridden
    assert (
        json.loads(ok(funded(*import_args(path, "--dry-run", "--json"), actor="treasurer")).stdout)["read_as"]
        == "Windows-1252"
    )
    ok(funded(*import_args(path), actor="treasurer"))
    payments = spend(funded, "CRG-2425-010")["payments"]
    assert {p["supplier"] for p in payments} == {"Café Société — “Youth”"}
    assert spend(funded, "CRG-2425-010")["total"] == "£900"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_utf8_and_utf16_with_or_without_a_bom(funded: Cli, tmp_path: Path, encoding: str) -> None:
    text = council_csv([["15/07/2024", "CS1", "Café Société", "Y-1", "£1,000.00", "CRG-2425-010"]])
    path = save(tmp_path, "export.csv", text, encoding)
    said = ok(funded(*import_args(path), actor="treasurer")).stdout
    assert spend(funded, "CRG-2425-010")["payments"][0]["supplier"] == "Café Société"
    assert f"(read as {'UTF-8' if encoding.startswith('utf-8') else 'UTF-16'})" in said


def test_utf16_tab_separated_as_excel_saves_unicode_text(funded: Cli, tmp_path: Path) -> None:
    text = "\t".join(COUNCIL_HEADER) + "\r\n" + "15/07/2024\tCS1\tŁódź Café\tY-1\t£1,000.00\tCRG-2425-010\r\n"
    path = save(tmp_path, "unicode.txt", text, "utf-16")
    ok(funded(*import_args(path), actor="treasurer"))
    assert spend(funded, "CRG-2425-010")["payments"][0]["supplier"] == "Łódź Café"


def test_encoding_errors_name_the_real_line_and_byte(funded: Cli, tmp_path: Path) -> None:
    text = council_csv(
        [
            ["15/07/2024", "CS1", "Plain", "Y-1", "10.00", "CRG-2425-010"],
            ["16/07/2024", "CS1", "Café", "Y-2", "10.00", "CRG-2425-010"],
        ]
    )
    path = save(tmp_path, "excel.csv", text, "cp1252")
    message = refused(funded, *import_args(path, "--encoding", "utf-8"), actor="treasurer", code=2)
    assert "excel.csv is not utf-8 text: line 3 has the byte 0xE9 at position 24" in message
    ok(funded(*import_args(path, "--encoding", "cp1252"), actor="treasurer"))
    assert "is not an encoding" in refused(
        funded, *import_args(path, "--encoding", "klingon"), actor="treasurer", code=2
    )
    broken = tmp_path / "broken.csv"
    broken.write_bytes(text.encode("cp1252").replace(b"Plain", b"Pl\x81in"))
    message = refused(funded, *import_args(str(broken)), actor="treasurer", code=2)
    assert "not UTF-8 nor Windows-1252 text: line 2 has the byte 0x81 at position 23" in message


@pytest.mark.parametrize("given", ["utf-16", "hex", "rot13", "utf-32"])
def test_an_encoding_that_cannot_read_the_file_is_an_error_not_a_traceback(
    funded: Cli, tmp_path: Path, given: str
) -> None:
    text = council_csv([["15/07/2024", "CS1", "Plain", "Y-1", "10.00", "CRG-2425-010"]])
    path = save(tmp_path, "plain.csv", text, "utf-8")
    message = refused(funded, *import_args(path, "--encoding", given), actor="treasurer", code=2)
    assert message.startswith("Error: ") and "--encoding" in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("saved", "given"),
    [("utf-16", "utf-16-le"), ("utf-8-sig", "utf-8"), ("utf-16", "UTF-16"), ("utf-16-be", "utf-16")],
)
def test_a_byte_order_mark_is_not_part_of_the_header_whatever_encoding_is_named(
    funded: Cli, tmp_path: Path, saved: str, given: str
) -> None:
    text = council_csv([["15/07/2024", "CS1", "Café", "Y-1", "10.00", "CRG-2425-010"]])
    path = save(tmp_path, "export.csv", text, saved)
    ok(funded(*import_args(path, "--encoding", given), actor="treasurer"))
    assert spend(funded, "CRG-2425-010")["payments"][0]["supplier"] == "Café"


def test_an_encoding_named_against_the_files_byte_order_mark_is_refused(funded: Cli, tmp_path: Path) -> None:
    text = council_csv([["15/07/2024", "CS1", "Café", "Y-1", "10.00", "CRG-2425-010"]])
    path = save(tmp_path, "export.csv", text, "utf-8-sig")
    message = refused(funded, *import_args(path, "--encoding", "cp1252"), actor="treasurer", code=2)
    assert "export.csv starts with a UTF-8 byte-order mark" in message and "leave --encoding out" in message


def test_a_utf8_file_with_one_stray_byte_is_refused_not_read_as_windows_1252(
    funded: Cli, tmp_path: Path
) -> None:
    """A UTF-8 export (Café, as UTF-8) with one byte UTF-8 cannot read (a Windows-1252 é pasted in
    on line 3) would read as Windows-1252 and garble every other line's accents: it is refused
    naming the line and byte."""
    text = council_csv(
        [
            ["15/07/2024", "CS1", "Café", "Y-1", "10.00", "CRG-2425-010"],
            ["16/07/2024", "CS1", "Plain", "Y-2", "10.00", "CRG-2425-010"],
            ["17/07/2024", "CS1", "Société", "Y-3", "10.00", "CRG-2425-010"],
        ]
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(text.encode("utf-8").replace(b"Plain", b"Pl\xe9in"))
    message = refused(funded, *import_args(str(path)), actor="treasurer", code=2)
    assert "mixed.csv is UTF-8 text" in message
    assert "line 3 has the byte 0xE9 at position 23" in message
    ok(funded(*import_args(str(path), "--encoding", "cp1252"), actor="treasurer"))


def test_a_windows_1252_file_with_a_pair_that_reads_as_utf8_is_still_windows_1252(
    funded: Cli, tmp_path: Path
) -> None:
    """`CAFÉ’S` in Windows-1252 is the bytes C9 92, which UTF-8 also reads (as one character); the
    file's other accents are bytes UTF-8 cannot read, so it is Windows-1252, and imports."""
    text = council_csv(
        [
            ["15/07/2024", "CS1", "CAFÉ’S KITCHEN", "W-1", "10.00", "CRG-2425-001"],
            ["16/07/2024", "CS1", "Société Générale", "W-2", "10.00", "CRG-2425-001"],
            ["17/07/2024", "CS1", "Crèche Zoë", "W-3", "10.00", "CRG-2425-001"],
        ]
    )
    path = save(tmp_path, "cp1252.csv", text, "cp1252")
    ok(funded(*import_args(path), actor="treasurer"))
    suppliers = {p["supplier"] for p in spend(funded, "CRG-2425-001")["payments"]}
    assert suppliers == {"CAFÉ’S KITCHEN", "Société Générale", "Crèche Zoë"}


def test_a_bad_byte_at_the_end_of_a_long_file_is_named_in_flat_memory(tmp_path: Path) -> None:
    """Finding the line and position of a bad byte streams the file, as the check that found it
    does: 30 MB before it are not read into memory at once."""
    import tracemalloc

    from grants.errors import BadInput
    from grants.spendfile import detect_encoding

    path = tmp_path / "long.csv"
    line = b"2024-07-01,CRG-2425-001,10.00,Caf\xc3\xa9,E-1\r\n"
    count = 30_000_000 // len(line)
    path.write_bytes(b"date,reference,amount,supplier,invoice\r\n" + line * count + b"2024-07-02,\xff\r\n")
    tracemalloc.start()
    try:
        with pytest.raises(BadInput, match=f"line {count + 2} has the byte 0xFF at position 12"):
            detect_encoding(path, "utf-8", "long.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12_000_000


def test_a_utf16_file_with_a_broken_character_names_its_two_bytes(funded: Cli, tmp_path: Path) -> None:
    text = council_csv([["15/07/2024", "CS1", "Caf\udc00", "Y-1", "10.00", "CRG-2425-010"]])
    path = tmp_path / "unicode.csv"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le", "surrogatepass"))
    message = refused(funded, *import_args(str(path)), actor="treasurer", code=2)
    assert "unicode.csv is not UTF-16 text: line 2 has the bytes 0x00 0xDC at position 24" in message


def test_an_encoding_error_on_the_first_line_of_a_file_with_a_bom_names_the_right_position(
    funded: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfPo\x81sting Date,Cost Centre\r\n")
    message = refused(funded, *import_args(str(path)), actor="treasurer", code=2)
    assert "line 1 has the byte 0x81 at position 3" in message


# --- spreadsheets --------------------------------------------------------------------------------


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> str:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return str(path)


def test_xlsx_exports_are_read_directly(funded: Cli, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        COUNCIL_HEADER,
        [date(2024, 7, 11), "CS1", "Youth Sport Kent CIC", "Y-1", 1000.1, "CRG-2425-010 coaching"],
        [date(2024, 7, 12), "CS1", "Youth Sport Kent CIC", 40012, -100, "CRG-2425-010"],
        [],
        ["03/07/2024", "HW2", "Kent Highways", "H-1", 99.99, "roads"],
        [date(2024, 7, 14), "CS1", "Youth Sport Kent CIC", "Y-3", "(50.00)", "CRG-2425-010"],
    ]
    path = write_xlsx(tmp_path / "ledger.xlsx", {"Summary": [["nothing here"]], "Transactions": rows})
    message = refused(funded, *import_args(path), actor="treasurer", code=2)
    assert "has no column 'Posting Date'" in message  # the first sheet is the summary
    message = refused(funded, *import_args(path, "--sheet", "Data"), actor="treasurer", code=2)
    assert message == "Error: ledger.xlsx has no sheet 'Data'; its sheets are 'Summary', 'Transactions'"
    refused(funded, *import_args(path, "--sheet", "Transactions"), actor="treasurer", code=2)
    data = json.loads(
        ok(
            funded(
                *import_args(path, "--sheet", "Transactions", "--skip-unmatched", "--json"), actor="treasurer"
            )
        ).stdout
    )
    assert (data["imported"], data["unmatched"], data["unmatched_total"], data["total"]) == (
        3,
        1,
        "£99.99",
        "£850.10",
    )
    assert data["read_as"] == "sheet 'Transactions'"
    invoices = sorted(p["invoice"] for p in spend(funded, "CRG-2425-010")["payments"])
    assert invoices == ["40012", "Y-1", "Y-3"]
    only = write_xlsx(tmp_path / "only.xlsx", {"Sheet1": rows})
    again = json.loads(ok(funded(*import_args(only, "--skip-unmatched", "--json"), actor="treasurer")).stdout)
    assert (again["imported"], again["skipped"]) == (0, 3)
    assert "--encoding is for CSV" in refused(
        funded, *import_args(only, "--encoding", "cp1252"), actor="treasurer", code=2
    )


def test_a_sheet_is_named_in_any_case_as_excel_names_it(funded: Cli, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        COUNCIL_HEADER,
        [date(2024, 7, 11), "CS1", "Youth Sport Kent CIC", "Y-1", 1000, "CRG-2425-010"],
    ]
    path = write_xlsx(tmp_path / "ledger.xlsx", {"Summary": [["nothing here"]], "Transactions": rows})
    data = json.loads(
        ok(funded(*import_args(path, "--sheet", " transactions", "--json"), actor="treasurer")).stdout
    )
    assert (data["imported"], data["read_as"]) == (1, "sheet 'Transactions'")


def test_xlsx_bad_lines_are_listed_by_row(funded: Cli, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        COUNCIL_HEADER,
        [date(2024, 7, 11), "CS1", "Youth Sport", "Y-1", "lots", "CRG-2425-010"],
        [date(2024, 7, 11), "CS1", "", "Y-2", 10, "CRG-2425-010"],
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", {"Sheet1": rows})
    result = funded(*import_args(path, "--json"), actor="treasurer")
    assert result.exit_code == 2
    assert [row["line"] for row in json.loads(result.stdout)["bad_rows"]] == [2, 3]


def test_an_xlsx_whose_writer_gave_a_wrong_used_range_is_read_whole(funded: Cli, tmp_path: Path) -> None:
    """Some finance systems write a sheet's used range (its `dimension`) as A1; read-only openpyxl
    then reads one cell of each row. The rows are read whole, however short the range says."""
    import re
    import zipfile

    rows: list[list[object]] = [
        COUNCIL_HEADER,
        [date(2024, 7, 11), "CS1", "Youth Sport Kent CIC", "Y-1", 1000, "CRG-2425-010 coaching"],
        [date(2024, 7, 12), "CS1", "Youth Sport Kent CIC", "Y-1C", "(100.00)", "CRG-2425-010"],
        [date(2024, 7, 13), "HW2", "Kent Highways", "H-1", 99.99],  # no narrative: the row ends early
        [date(2024, 7, 14), "CS1", "Youth Sport Kent CIC", "Y-2", 1, "CRG-2425-010", None, "a note"],
    ]
    made = Path(write_xlsx(tmp_path / "made.xlsx", {"Sheet1": rows}))
    path = tmp_path / "finance.xlsx"
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', data)
            target.writestr(item, data)
    data = json.loads(
        ok(funded(*import_args(str(path), "--skip-unmatched", "--json"), actor="treasurer")).stdout
    )
    assert (data["imported"], data["refunds"], data["total"], data["unmatched"]) == (3, 1, "£901", 1)


def test_an_xlsx_with_a_chart_sheet_first_reads_its_first_sheet_of_rows(funded: Cli, tmp_path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    book = Workbook()
    sheet = book.active
    sheet.title = "Ledger"
    sheet.append(COUNCIL_HEADER)
    sheet.append([date(2024, 7, 11), "CS1", "Youth Sport Kent CIC", "Y-1", 1000, "CRG-2425-010"])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=5, min_row=1, max_row=2))
    book.create_chartsheet("Spend chart", 0).add_chart(chart)
    path = tmp_path / "charted.xlsx"
    book.save(path)
    message = refused(funded, *import_args(str(path), "--sheet", "Spend chart"), actor="treasurer", code=2)
    assert message == (
        "Error: charted.xlsx's sheet 'Spend chart' is a chart, not rows of payments; its sheets of rows "
        "are 'Ledger'"
    )
    data = json.loads(ok(funded(*import_args(str(path), "--json"), actor="treasurer")).stdout)
    assert (data["imported"], data["total"]) == (1, "£1,000")


def test_an_xls_or_password_protected_workbook_is_named_as_one(funded: Cli, tmp_path: Path) -> None:
    """Excel 97-2003 (.xls) and password-protected workbooks are OLE compound files, not text."""
    path = tmp_path / "ledger.xls"
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(range(256)) * 8)
    message = refused(funded, *import_args(str(path)), actor="treasurer", code=2)
    assert message == (
        "Error: ledger.xls is an Excel 97-2003 (.xls) workbook or a password-protected one; save it "
        "from Excel as .xlsx without a password, or as CSV"
    )


# --- repeats -------------------------------------------------------------------------------------


def test_the_same_invoice_at_a_different_amount_or_date_is_refused_naming_both(
    funded: Cli, tmp_path: Path
) -> None:
    first = save(
        tmp_path, "jul.csv", council_csv([["01/07/2024", "CS1", "Venue", "V-1", "300.00", "CRG-2425-005"]])
    )
    ok(funded(*import_args(first), actor="treasurer"))
    changed = save(
        tmp_path,
        "ytd.csv",
        council_csv(
            [
                ["01/07/2024", "CS1", "Venue", "v-1", "350.00", "CRG-2425-005"],
                ["01/08/2024", "CS1", "Venue", "V-2", "10.00", "CRG-2425-005"],
            ]
        ),
    )
    before = funded.snapshot()
    result = funded(*import_args(changed, "--json"), actor="treasurer")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["bad_rows"] == [
        {
            "line": 2,
            "reason": "invoice v-1 for CRG-2425-005 was imported before (as V-1) as £300 on 2024-07-01; "
            "this line says £350 on 2024-07-01. Correct the file, or record the difference as its own "
            "payment or credit note",
        }
    ]
    assert funded.snapshot() == before
    moved = save(
        tmp_path, "moved.csv", council_csv([["02/07/2024", "CS1", "Venue", "V-1", "300.00", "CRG-2425-005"]])
    )
    message = refused(funded, *import_args(moved), actor="treasurer", code=2)
    assert "as £300 on 2024-07-01; this line says £300 on 2024-07-02" in message


@pytest.mark.parametrize(
    "look_alike",
    [
        "INV\u2010001",
        "INV\u2011001",
        "INV\u2013001",
        "INV\u2212001",
        "ＩＮＶ－００１",
        " inv-001 ",
        "INV\ufe63001",
    ],
)
def test_look_alike_invoices_are_one_invoice(funded: Cli, tmp_path: Path, look_alike: str) -> None:
    first = save(
        tmp_path, "a.csv", council_csv([["01/07/2024", "CS1", "Venue", "INV-001", "300", "CRG-2425-005"]])
    )
    ok(funded(*import_args(first), actor="treasurer"))
    same = save(
        tmp_path, "b.csv", council_csv([["01/07/2024", "CS1", "Venue", look_alike, "300", "CRG-2425-005"]])
    )
    data = json.loads(ok(funded(*import_args(same, "--json"), actor="treasurer")).stdout)
    assert (data["imported"], data["skipped"]) == (0, 1)
    dearer = save(
        tmp_path, "c.csv", council_csv([["01/07/2024", "CS1", "Venue", look_alike, "301", "CRG-2425-005"]])
    )
    assert "was imported before" in refused(funded, *import_args(dearer), actor="treasurer", code=2)
    message = refused(
        funded,
        "spend",
        "add",
        "CRG-2425-005",
        "300",
        "--date",
        "2024-07-01",
        "--supplier",
        "Venue",
        "--invoice",
        look_alike,
        actor="treasurer",
    )
    assert "is already recorded for CRG-2425-005" in message
    both = save(
        tmp_path,
        "d.csv",
        council_csv(
            [
                ["01/08/2024", "CS1", "Venue", "INV-777", "1", "CRG-2425-006"],
                [
                    "01/08/2024",
                    "CS1",
                    "Venue",
                    look_alike.replace("001", "777").replace("００１", "７７７"),
                    "1",
                    "CRG-2425-006",
                ],
            ]
        ),
    )
    assert "repeats line 2" in refused(funded, *import_args(both), actor="treasurer", code=2)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "date,reference,amount,supplier,invoice,amount",
            "names a column twice: 'amount' is columns 3 and 6",
        ),
        ("Date,reference,DATE,amount,supplier,invoice", "names a column twice: 'date' is columns 1 and 3"),
        (" Invoice No ,reference,date,amount,supplier,Invoice\u00a0 no", "'Invoice No' is columns 1 and 6"),
    ],
)
def test_a_column_named_twice_is_an_error(funded: Cli, tmp_path: Path, header: str, message: str) -> None:
    path = save(tmp_path, "twice.csv", header + "\n" + "2024-07-01,CRG-2425-005,1,V,1,2\n")
    named = ("--column", "invoice=Invoice No") if "Invoice" in header else ()
    assert message in refused(funded, "spend", "import", path, *named, actor="treasurer", code=2)


def test_a_file_refused_whole_gives_its_json_too(funded: Cli, tmp_path: Path) -> None:
    """With --json a refused file gives JSON on stdout whatever refused it: bad rows, or the file
    as a whole (a column named twice, an encoding it is not in)."""
    twice = save(
        tmp_path, "twice.csv", "date,reference,amount,amount,supplier,invoice\n2024-07-01,X,1,1,V,1\n"
    )
    result = funded("spend", "import", twice, "--json", actor="treasurer")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": "twice.csv names a column twice: 'amount' is columns 3 and 4. Rename one in the file, or map "
        'another column with --column, e.g. --column amount="Net Amount"',
        "bad_rows": [],
        "more_bad_rows": 0,
        "unmatched": 0,
    }
    assert "Error: twice.csv names a column twice" in result.stderr
    result = funded("spend", "import", twice, "--json", "--encoding", "klingon", actor="treasurer")
    assert result.exit_code == 2 and "is not an encoding" in json.loads(result.stdout)["error"]


def test_a_column_is_found_whatever_the_spaces_inside_its_name(funded: Cli, tmp_path: Path) -> None:
    header = ["Posting  Date", "Cost Centre", "Supplier\u00a0Name", "Invoice No", "Net Amount", "Narrative"]
    line = ["01/07/2024", "CS1", "Venue", "V-1", "300", "CRG-2425-005"]
    path = save(tmp_path, "spaced.csv", ",".join(header) + "\r\n" + ",".join(line) + "\r\n")
    ok(funded(*import_args(path), actor="treasurer"))


def test_a_year_to_date_export_imported_monthly_across_a_project_close(funded: Cli, tmp_path: Path) -> None:
    """Each month the treasurer imports the year-to-date export; a project closes in between."""
    months = {
        "2024-07": [
            ["15/07/2024", "CS1", "ASB Training", "T-1", "£2,000.00", "CRG-2425-001 course"],
            ["16/07/2024", "CS1", "Venue Hire Ltd", "V-1", "300.00", "CRG-2425-005 hall"],
            ["17/07/2024", "HW2", "Kent Highways", "H-1", "£5,000.00", ""],
        ],
        "2024-08": [
            ["15/08/2024", "CS1", "ASB Training", "T-2", "£3,000.00", "CRG-2425-001 course"],
            ["16/08/2024", "CS1", "ASB Training", "T-2C", "(500.00)", "CRG-2425-001 credit"],
            ["20/08/2024", "CS1", "Venue Hire Ltd", "V-2", "200.00", "CRG-2425-005 hall"],
        ],
        "2024-09": [
            ["10/09/2024", "CS1", "Venue Hire Ltd", "V-3", "100.00", "CRG-2425-005 hall"],
            ["11/09/2024", "CS1", "Stationery", "S-1", "9.99", "Not a grant"],
        ],
    }
    ytd: list[list[str]] = []
    for month, lines in months.items():
        ytd += lines
        path = save(tmp_path, f"ytd-{month}.csv", council_csv(ytd), "cp1252")
        ok(funded(*import_args(path, "--skip-unmatched"), actor="treasurer"))
        if month == "2024-08":
            # CRG-2425-001 is delivered and closed: its underspend goes back to the pot.
            ok(funded("delivery", "start", "CRG-2425-001", actor="kcc-officer"))
            ok(funded("delivery", "complete", "CRG-2425-001", "--outcome", "done", actor="kcc-officer"))
            ok(funded("close", "CRG-2425-001", actor="treasurer"))
    assert spend(funded, "CRG-2425-001")["total"] == "£4,500"
    assert spend(funded, "CRG-2425-005")["total"] == "£600"
    before = funded.snapshot()
    again = ok(funded(*import_args(path, "--skip-unmatched", "--json"), actor="treasurer"))
    data = json.loads(again.stdout)
    assert (data["imported"], data["skipped"], data["unmatched"]) == (0, 6, 2)
    assert funded.snapshot() == before  # re-running changes nothing, not even a record of it
    # A new line for the closed project is still refused, and the file with it changes nothing.
    late = save(
        tmp_path,
        "ytd-late.csv",
        council_csv([*ytd, ["12/09/2024", "CS1", "ASB Training", "T-3", "10.00", "CRG-2425-001"]]),
    )
    message = refused(funded, *import_args(late, "--skip-unmatched"), actor="treasurer", code=2)
    assert "line 10: CRG-2425-001 is closed" in message
    assert funded.snapshot() == before
    ok(funded("check"))


# --- dates ---------------------------------------------------------------------------------------


def test_a_date_written_with_its_time_of_day_as_timestamp_exports_write_it_is_a_date(
    funded: Cli, tmp_path: Path
) -> None:
    path = save(
        tmp_path,
        "stamped.csv",
        council_csv(
            [
                ["01/07/2024 00:00", "CS1", "A", "D-1", "10.00", "CRG-2425-001"],
                ["2024-07-02 00:00:00", "CS1", "A", "D-2", "10.00", "CRG-2425-001"],
                ["2024-07-03T14:30:00.000", "CS1", "A", "D-3", "10.00", "CRG-2425-001"],
                ["4/7/2024 9:05", "CS1", "A", "D-4", "10.00", "CRG-2425-001"],
            ]
        ),
    )
    ok(funded(*import_args(path), actor="treasurer"))
    days = sorted(p["paid_on"] for p in spend(funded, "CRG-2425-001")["payments"])
    assert days == ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-04"]
    base = ("--supplier", "A", "--invoice", "D-5", "--date")
    ok(funded("spend", "add", "CRG-2425-001", "10", *base, "2024-07-05 00:00", actor="treasurer"))
    for wrong in ("2024-07-06 25:00", "2024-07-06 12", "2024-07-06 noon", "12:00 2024-07-06"):
        message = refused(
            funded, "spend", "add", "CRG-2425-001", "10", *base, wrong, actor="treasurer", code=2
        )
        assert f"date {wrong!r} is not a date" in message


def test_a_long_cell_with_a_colon_in_the_date_column_is_refused_at_once() -> None:
    """The time of day is looked for after a date's own shape only: a field of spaces and a colon
    (100,000 characters) once took minutes to refuse."""
    import time

    from grants.errors import BadInput
    from grants.spendfile import parse_paid_on

    started = time.monotonic()
    with pytest.raises(BadInput, match="is not a date"):
        parse_paid_on("1" + " " * 100_000 + "x:00")
    assert time.monotonic() - started < 5


def test_payment_dates_before_funding_or_after_today_are_refused_late_ones_warned(
    funded: Cli, tmp_path: Path
) -> None:
    path = save(
        tmp_path,
        "dates.csv",
        council_csv(
            [
                ["01/07/2024", "CS1", "Youth Sport", "Y-0", "10", "CRG-2425-010"],  # 2: before 8 July
                ["30/05/2024", "CS1", "ASB Training", "T-0", "10", "CRG-2425-001"],  # 3: before 3 June
                ["02/09/2024", "CS1", "ASB Training", "T-1", "10", "CRG-2425-001"],  # 4: after "today"
                ["09/07/2024", "CS1", "Youth Sport", "Y-1", "10", "CRG-2425-010"],
            ]
        ),
    )
    env = {"GRANTS_TODAY": "2024-09-01"}
    before = funded.snapshot()
    result = funded(*import_args(path, "--json"), actor="treasurer", env=env)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["bad_rows"] == [
        {
            "line": 2,
            "reason": "2024-07-01 is before CRG-2425-010 was funded on 2024-07-08: a project is paid only "
            "after its award",
        },
        {
            "line": 3,
            "reason": "2024-05-30 is before CRG-2425-001 was funded on 2024-06-03: a project is paid only "
            "after its award",
        },
        {
            "line": 4,
            "reason": "2024-09-02 is after today (2024-09-01): a payment is recorded once it is made, never ahead",
        },
    ]
    assert funded.snapshot() == before
    message = refused(
        funded,
        "spend",
        "add",
        "CRG-2425-010",
        "10",
        "--date",
        "2024-07-07",
        "--supplier",
        "Youth Sport",
        actor="treasurer",
    )
    assert message == (
        "Error: 2024-07-07 is before CRG-2425-010 was funded on 2024-07-08: a project is paid only after its award"
    )
    late = save(
        tmp_path,
        "late.csv",
        council_csv(
            [
                ["15/10/2024", "CS1", "Youth Sport", "Y-9", "10", "CRG-2425-010"],  # after its end, 30 Sept
                ["16/10/2024", "CS1", "Youth Sport", "Y-8", "10", "CRG-2425-002"],
            ]
        ),
    )
    result = ok(funded(*import_args(late), actor="treasurer", env={"GRANTS_TODAY": "2024-11-01"}))
    assert "Imported 2 payments" in result.stdout
    assert "line 2: 2024-10-15 is after CRG-2425-010's end date 2024-09-30; taken" in result.stderr
    assert "line 3" not in result.stderr
    added = ok(
        funded(
            "spend",
            "add",
            "CRG-2425-010",
            "5",
            "--date",
            "2024-10-20",
            "--supplier",
            "Youth Sport",
            "--json",
            actor="treasurer",
            env={"GRANTS_TODAY": "2024-11-01"},
        )
    )
    assert "after CRG-2425-010's end date" in json.loads(added.stdout)["warning"]


# --- every error at once -------------------------------------------------------------------------


def test_every_error_lists_every_bad_line_at_once_and_changes_nothing(funded: Cli, tmp_path: Path) -> None:
    ok(
        funded(
            "spend",
            "add",
            "CRG-2425-002",
            "100",
            "--date",
            "2024-07-01",
            "--supplier",
            "A",
            "--invoice",
            "Z-1",
            actor="treasurer",
        )
    )
    path = save(
        tmp_path,
        "bad.csv",
        council_csv(
            [
                ["01/07/2024", "CS1", "A", "A-1", "1.00", "CRG-2425-001"],  # 2: fine
                ["01/07/2024", "CS1", "A", "A-2", "1.00 XR", "CRG-2425-001"],  # 3: bad amount
                ["01/07/2024", "CS1", "A", "A-3", "1.00", "nothing"],  # 4: no reference
                ["31/02/2024", "CS1", "A", "A-4", "1.00", "CRG-2425-001"],  # 5: bad date
                ["01/07/2024", "CS1", "A", "Z-1", "99.00", "CRG-2425-002"],  # 6: changed repeat
                ["01/07/2024", "CS1", "A", "A-1", "1.00", "CRG-2425-001"],  # 7: repeats line 2
                ["01/07/2024", "CS1", "A", "A-7", "0.00", "CRG-2425-001"],  # 8: zero
                ["01/07/2024", "CS1", "A", "A-8", "(-1.00)", "CRG-2425-001"],  # 9: negative twice
                ["01/07/2024", "CS1", "A", "A-9", "1.00", "CRG-2425-008"],  # 10: not funded
                ["01/07/2024", "CS1", "A", "A-10", "(500.00)", "CRG-2425-003"],  # 11: below zero
            ]
        ),
    )
    before = funded.snapshot()
    result = funded(*import_args(path, "--json"), actor="treasurer")
    assert result.exit_code == 2
    bad = {row["line"]: row["reason"] for row in json.loads(result.stdout)["bad_rows"]}
    assert sorted(bad) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert bad[3] == (
        "amount '1.00 XR' is not an amount; write it as 1250.00, or a refund as -150.00, (150.00) or 150.00 CR"
    )
    assert bad[8] == "amount '0.00' must be more than zero"
    assert (
        bad[9]
        == "amount '(-1.00)' is negative twice; write it as 1250.00, or a refund as -150.00, (150.00) or 150.00 CR"
    )
    assert bad[11].endswith("a refund cannot take a project's spend below zero")
    assert funded.snapshot() == before


def test_a_bad_line_with_a_narrative_over_several_lines_is_named_by_the_line_it_starts_on(
    funded: Cli, tmp_path: Path
) -> None:
    """A quoted narrative may run over lines; the row is the one it starts on, as in a text editor
    (and as Excel numbers it, header at row 1, when there is no earlier multi-line row)."""
    path = save(
        tmp_path,
        "multi.csv",
        council_csv(
            [
                ["01/07/2024", "CS1", "A", "A-1", "abc", "CRG-2425-001 venue\r\nhire\r\nJuly"],  # 2-4
                ["02/07/2024", "CS1", "A", "A-2", "xyz", "CRG-2425-001"],  # 5
            ]
        ),
    )
    result = funded(*import_args(path, "--json"), actor="treasurer")
    assert result.exit_code == 2
    assert [row["line"] for row in json.loads(result.stdout)["bad_rows"]] == [2, 5]


# --- the books after refunds ---------------------------------------------------------------------


def test_reconcile_after_refunds_adds_up_and_the_journal_passes_hledger_check(
    demo: Cli, tmp_path: Path
) -> None:
    path = save(
        tmp_path,
        "refunds.csv",
        council_csv(
            [
                ["20/03/2025", "CS1", "Supplier", "R-1", "(250.00)", "CRG-2425-007"],
                ["21/03/2025", "CS1", "Supplier", "R-2", "100.00 CR", "CRG-2425-007"],
                ["22/03/2025", "CS1", "Supplier", "R-3", "75.00", "CRG-2425-007"],
            ]
        ),
    )
    ok(demo(*import_args(path), actor="treasurer"))
    report = json.loads(ok(demo("report", "reconcile", "--format", "json")).stdout)
    assert report["balanced"] is True
    project = {p["reference"]: p for p in report["projects"]}["CRG-2425-007"]
    assert (project["refunds"], project["refunded_pence"]) == (2, 35000)
    assert (
        project["spent_pence"] + project["remaining_pence"] + project["released_pence"]
        == project["award_pence"]
    )
    totals = report["year_totals"]
    assert sum(p["spent_pence"] for p in report["projects"]) == totals["spent_pence"]
    assert totals["spent_pence"] == 2677800 - 35000 + 7500
    table = ok(demo("report", "reconcile")).stdout
    assert "Refunded" in table and "£350" in table
    rows = list(csv.DictReader(io.StringIO(ok(demo("report", "reconcile", "--format", "csv")).stdout)))
    row = {r["reference"]: r for r in rows if r["line"] == "project"}["CRG-2425-007"]
    assert (row["refunded"], row["refunded_pence"], row["refunds"]) == ("350.00", "35000", "2")
    year = [r for r in rows if r["line"] == "year"][0]
    assert (year["spent"], year["spent_pence"]) == (
        f"{totals['spent_pence'] / 100:.2f}",
        str(totals["spent_pence"]),
    )
    hledger = shutil.which("hledger")
    if hledger is None:
        pytest.skip("hledger is not installed")
    journal = tmp_path / "books.journal"
    ok(demo("export", "journal", "--out", str(journal)))
    text = journal.read_text()
    assert "refund CRG-2425-007: credit note R-1 from Supplier" in text
    check = subprocess.run(
        [hledger, "-f", str(journal), "check"], capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stderr
    workbook = tmp_path / "books.xlsx"
    ok(demo("export", "xlsx", "--out", str(workbook), actor="treasurer"))
    from openpyxl import load_workbook

    sheet = load_workbook(workbook, read_only=True)["Spend"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    refunds = [r for r in cells if "R-1" in r or "R-2" in r]
    assert len(refunds) == 2 and all("refund" in r for r in refunds)


def test_a_refund_leaves_the_award_as_awarded_and_releases_nothing(funded: Cli) -> None:
    """A refund moves money back from spent to the award account: the project's award in the
    books is still what was awarded, and nothing is released until the close releases the rest."""
    base = ("--date", "2024-07-10", "--supplier", "ASB Training Partnership", "--invoice")
    ok(funded("spend", "add", "CRG-2425-001", "1,000", *base, "T-1", actor="treasurer"))
    ok(funded("spend", "add", "CRG-2425-001", "(150.00)", *base, "T-1C", actor="treasurer"))
    project = projects(funded)["CRG-2425-001"]
    assert (project["award"], project["spent"], project["released"], project["remaining"]) == (
        "£6,000",
        "£850",
        "£0",
        "£5,150",
    )
    assert project["variance"] == "£5,150"
    ok(funded("delivery", "start", "CRG-2425-001", actor="kcc-officer"))
    ok(funded("delivery", "complete", "CRG-2425-001", "--outcome", "Trained", actor="kcc-officer"))
    ok(funded("close", "CRG-2425-001", actor="treasurer"))
    project = projects(funded)["CRG-2425-001"]
    assert (project["award"], project["spent"], project["released"], project["remaining"]) == (
        "£6,000",
        "£850",
        "£5,150",
        "£0",
    )


def test_reconcile_csv_gives_pounds_beside_pence(demo: Cli) -> None:
    rows = list(csv.DictReader(io.StringIO(ok(demo("report", "reconcile", "--format", "csv")).stdout)))
    first = {r["reference"]: r for r in rows if r["line"] == "project"}["CRG-2425-001"]
    assert (first["award"], first["award_pence"], first["spent"], first["spent_pence"]) == (
        "6000.00",
        "600000",
        "5000.00",
        "500000",
    )
    header = list(rows[0])
    for name in ("award", "spent", "released", "remaining", "variance", "allocated", "uncommitted"):
        assert header.index(f"{name}_pence") == header.index(name) + 1
    for row in rows:
        for name in header:
            if name.endswith("_pence") and row[name] != "":
                assert row[name[: -len("_pence")]] == f"{int(row[name]) / 100:.2f}"
    # Every figure the JSON gives a project, the CSV gives too, in pence and pounds.
    report = json.loads(ok(demo("report", "reconcile", "--format", "json")).stdout)
    by_reference = {r["reference"]: r for r in rows if r["line"] == "project"}
    for project in report["projects"]:
        row = by_reference[project["reference"]]
        for name, value in project.items():
            if name.endswith("_pence"):
                assert int(row[name]) == value, (project["reference"], name)
        assert row["carried_from"] == (project["carried_from"] or "")


# --- any split into monthly files gives the same ledger as the whole file ------------------------

AWARDS = {
    "CRG-2425-001": 600000,
    "CRG-2425-002": 530000,
    "CRG-2425-003": 240000,
    "CRG-2425-005": 300000,
    "CRG-2425-006": 150000,
}
REFERENCES = sorted(AWARDS)


def _valid_lines(drawn: list[tuple[int, int, int, bool]]) -> list[tuple[date, str, int, str]]:
    """The drawn lines in date order, keeping only those that leave every project's running spend
    between zero and its award: (date, reference, signed pence, invoice)."""
    from datetime import timedelta

    spent = dict.fromkeys(AWARDS, 0)
    lines = []
    for n, (which, offset, pence, refund) in enumerate(sorted(drawn, key=lambda d: d[1])):
        reference = REFERENCES[which]
        change = -pence if refund else pence
        if not 0 <= spent[reference] + change <= AWARDS[reference]:
            continue
        spent[reference] += change
        day = date(2024, 7, 1) + timedelta(days=offset)
        lines.append((day, reference, change, f"INV-{n:04d}"))
    return lines


def _export(lines: list[tuple[date, str, int, str]]) -> str:
    def amount(pence: int) -> str:
        text = f"{abs(pence) // 100:,}.{abs(pence) % 100:02d}"
        return f"({text})" if pence < 0 else text

    return council_csv(
        [[f"{d:%d/%m/%Y}", "CS1", "Supplier Ltd", inv, amount(p), f"{ref} works"] for d, ref, p, inv in lines]
    )


def test_any_split_into_monthly_files_gives_the_same_ledger_as_the_whole(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.conftest import demo_copy

    lines_strategy = st.lists(
        st.tuples(
            st.integers(0, len(REFERENCES) - 1),
            st.integers(0, 180),
            st.integers(1, 150_000),
            st.booleans(),
        ),
        min_size=1,
        max_size=25,
    )

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=lines_strategy, cuts=st.sets(st.integers(8, 12)))
    def check(drawn: list[tuple[int, int, int, bool]], cuts: set[int]) -> None:
        lines = _valid_lines(drawn)
        if not lines:
            return
        folder = tmp_path_factory.mktemp("split")
        whole, split = (
            Cli(f"sqlite:///{folder / 'whole.sqlite'}"),
            Cli(f"sqlite:///{folder / 'split.sqlite'}"),
        )
        demo_copy(whole.url, "tactical")
        demo_copy(split.url, "tactical")
        ok(whole(*import_args(save(folder, "whole.csv", _export(lines))), actor="treasurer"))
        # The months July–December, cut into consecutive files before each month in `cuts`.
        groups: list[list[int]] = [[]]
        for month in range(7, 13):
            if month in cuts and groups[-1]:
                groups.append([])
            groups[-1].append(month)
        for i, months in enumerate(groups):
            part = [line for line in lines if line[0].month in months]
            if part:
                ok(split(*import_args(save(folder, f"part-{i}.csv", _export(part))), actor="treasurer"))
        assert ledger_rows(split) == ledger_rows(whole)
        ok(split("check"))

    check()


def test_a_carried_project_refunds_no_more_than_it_spent_in_its_new_year(cli: Cli, tmp_path: Path) -> None:
    """A refund is booked in the year the project's money is in now; refunding spend of the year
    before there would take that year's spent account below zero."""
    from tests.conftest import demo_copy

    demo_copy(cli.url, rollover=True)
    total = spend(cli, "CRG-2425-007")
    here = sum(p["amount_pence"] for p in total["payments"] if p["paid_on"] >= "2025-04-01")
    assert total["total_pence"] > here
    too_much = here + 1
    amount = f"({too_much // 100}.{too_much % 100:02d})"
    args = ("spend", "add", "CRG-2425-007", amount, "--date", "2025-05-01", "--supplier", "PES")
    before = cli.snapshot()
    result = cli(*args, "--invoice", "CN-1", actor="treasurer", env={"GRANTS_TODAY": "2025-06-01"})
    assert result.exit_code == 1 and cli.snapshot() == before
    message = " ".join(result.stderr.split())
    assert "was carried forward and has" in message and "spent in 2025/26" in message
    if here:
        exact = f"({here // 100}.{here % 100:02d})"
        args = ("spend", "add", "CRG-2425-007", exact, "--date", "2025-05-01", "--supplier", "PES")
        ok(cli(*args, "--invoice", "CN-2", actor="treasurer", env={"GRANTS_TODAY": "2025-06-01"}))
    ok(cli("check"))


def test_an_import_runs_with_foreign_keys_off_and_leaves_none_broken(funded: Cli, tmp_path: Path) -> None:
    """A spend import is the one write whose SQLite transaction skips the per-row foreign-key
    checks (grants.db.session_scope's `bulk`): every row it writes refers to rows it read or
    wrote under its own write lock. Every other transaction has them on, and after an import with
    payments, refunds, a late line and a re-run nothing refers to a missing row."""
    import sqlite3

    from grants.db import get_engine, session_scope

    path = save(
        tmp_path,
        "ledger.csv",
        council_csv(
            [
                [
                    "01/07/2024",
                    "CS100",
                    "ASB Training Partnership",
                    "K-1",
                    "£1,200.00",
                    "CRG-2425-001 training",
                ],
                ["02/07/2024", "CS100", "ASB Training Partnership", "K-2", "(150.00)", "CRG-2425-001 credit"],
                ["03/07/2024", "CS100", "Venue Ltd", "K-3", "300.00", "crg-2425-002 venue hire"],
            ]
        ),
    )
    ok(funded(*import_args(path), actor="treasurer"))
    ok(funded(*import_args(path), actor="treasurer"))  # a re-run: every line already imported
    with sqlite3.connect(funded.url.split("///", 1)[1]) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        invoices = connection.execute(
            "SELECT invoice FROM spend WHERE invoice LIKE 'K-%' ORDER BY 1"
        ).fetchall()
    assert invoices == [("K-1",), ("K-2",), ("K-3",)]

    def keys(**kinds: bool) -> int:
        with session_scope(funded.url, **kinds) as session:
            return int(session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar_one())

    try:
        assert keys(write=True, bulk=True) == 0
        assert keys(write=True) == 1
        assert keys(write=False) == 1
        assert keys(write=False, bulk=True) == 1  # a read is never bulk
        assert keys(write=True) == 1  # and the next write on the same connection has them back
    finally:
        get_engine.cache_clear()


def test_the_totals_counted_while_reading_are_the_totals_sql_sums(
    funded: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file with no line imported before is booked with the per-bid totals counted as it was
    read; a file with one is booked with totals summed again in SQL over its new lines. The two are
    one rule: for a file with payments, refunds and several bids, both give the same."""
    import grants.spend as spend_module

    seen = []
    check_stage = spend_module._check_stage

    def both(connection, stage, payables, faults, read):  # type: ignore[no-untyped-def]
        totals = check_stage(connection, stage, payables, faults, read)
        seen.append((sorted(read), sorted(spend_module._new_totals(connection, stage)), totals is read))
        return totals

    monkeypatch.setattr(spend_module, "_check_stage", both)
    rows = [
        ["01/07/2024", "CS1", "A", "S-1", "£1,200.00", "CRG-2425-001"],
        ["02/07/2024", "CS1", "A", "S-2", "(150.00)", "CRG-2425-001"],
        ["03/07/2024", "CS1", "B", "S-3", "300.00", "crg-2425-002 venue"],
        ["04/07/2024", "CS1", "B", "S-4", "20.00 CR", "CRG-2425-002"],
    ]
    ok(funded(*import_args(save(tmp_path, "july.csv", council_csv(rows))), actor="treasurer"))
    rows.append(["05/07/2024", "CS1", "A", "S-5", "99.99", "CRG-2425-001"])
    ok(funded(*import_args(save(tmp_path, "to-date.csv", council_csv(rows))), actor="treasurer"))
    (read, summed, counted), (_, summed_again, counted_again) = seen
    assert counted and read == summed
    assert sorted((t.net, t.lines, t.first, t.refunds, t.refunded) for t in read) == [
        (28000, 2, 4, 1, 2000),
        (105000, 2, 2, 1, 15000),
    ]
    assert not counted_again  # four lines imported before: summed in SQL over the new one only
    assert [(t.net, t.lines, t.first, t.refunds, t.refunded) for t in summed_again] == [(9999, 1, 6, 0, 0)]
