"""Hostile input: fuzzed dates and amounts, fuzzed CSV files through `grants spend import`,
spreadsheet formulas through every export, control characters and over-long text in every
free-text option, and unknown references everywhere.

Every case ends in a value or a clear message with the documented exit code, never a traceback,
and a refused command changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grants.errors import BadInput
from grants.money import Money, MoneyError
from grants.spend import parse_paid_on
from tests.conftest import Cli, demo_copy

# --- helpers ---------------------------------------------------------------------------------------

TRACEBACK = "Traceback (most recent call last)"


def clean_exit(result, code: int) -> str:  # type: ignore[no-untyped-def]
    """The result ended with `code`, through the CLI's own exit, with no traceback; its output."""
    output = (result.stdout or "") + (result.stderr or "")
    assert TRACEBACK not in output, output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        raise AssertionError(
            "uncaught exception: "
            + "".join(traceback.format_exception(result.exception)).strip().splitlines()[-1]
        ) from result.exception
    assert result.exit_code == code, (result.exit_code, output[-2000:])
    return output


def error_message(result, code: int) -> str:  # type: ignore[no-untyped-def]
    """A refusal with `code` and a message on stderr that says what was wrong."""
    clean_exit(result, code)
    message = " ".join(result.stderr.split())
    assert message.startswith("Error: ") and len(message) > 15, message
    return message


@pytest.fixture
def at_stage(tmp_path: Path) -> Callable[[str], Cli]:
    def copy(until: str) -> Cli:
        target = tmp_path / f"{until}.sqlite"
        demo_copy(f"sqlite:///{target}", until)
        return Cli(f"sqlite:///{target}")

    return copy


def ok(result) -> str:  # type: ignore[no-untyped-def]
    return clean_exit(result, 0)


# --- 1. the date parser --------------------------------------------------------------------------

COUNTS: dict[str, int] = {}


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


def _date_outcome(text: str) -> date | None:
    """parse_paid_on gives a date or BadInput; anything else fails the test."""
    _count("dates")
    try:
        value = parse_paid_on(text)
    except BadInput as error:
        assert "is not a date" in str(error)
        return None
    assert isinstance(value, date)
    return value


unicode_digits = st.sampled_from("0123456789٠١٢٣٤٥٦٧٨٩०१२३४५६७८९０１２３４５６７８９")
numberish = st.text(alphabet=unicode_digits, min_size=0, max_size=6)
# A day or month that overflows a C int (grants.spend.parse_paid_on lets OverflowError out) is
# kept out of the general fuzz and pinned by test_a_day_too_big_for_a_machine_int_is_bad_input.


def _overflows(text: str) -> bool:
    raw = (text or "").strip()
    if raw.count("/") != 2:
        return False
    day, month, year = raw.split("/")
    if len(year) != 4:
        return False
    try:
        values = int(year), int(month), int(day)
    except ValueError:
        return False
    return any(abs(v) > 2**31 for v in values)


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.builds(lambda d, m, y: f"{d}/{m}/{y}", numberish, numberish, numberish),
        st.builds(lambda y, m, d: f"{y}-{m}-{d}", numberish, numberish, numberish),
        st.text(alphabet="0123456789-/ \t\n+_.", max_size=14),
    )
)
@example("2024-06-30")
@example("30/06/2024")
@example("31/02/2024")
@example("\x00")
@example("2024-06-30\x00")
@example("1/1/" + "9" * 5000)  # beyond int()'s digit limit
@example("9" * 100_000)
@example("٣٠/٠٦/٢٠٢٤")  # Arabic-Indic digits: int() reads them
@example("2024-06-3٠")
def test_date_parser_gives_a_date_or_bad_input(text: str) -> None:
    if _overflows(text):
        return  # the known bug below
    value = _date_outcome(text)
    if value is not None:
        assert date(1, 1, 1) <= value <= date(9999, 12, 31)


def test_a_day_too_big_for_a_machine_int_is_bad_input() -> None:
    with pytest.raises(BadInput):
        parse_paid_on("99999999999999999999/1/2024")


def test_spend_add_with_an_overflowing_day_is_exit_2(at_stage: Callable[[str], Cli]) -> None:
    cli = at_stage("tactical")
    result = cli(
        "spend",
        "add",
        "CRG-2425-003",
        "100",
        "--date",
        "99999999999999999999/1/2024",
        "--supplier",
        "S",
        actor="treasurer",
    )
    error_message(result, 2)


# --- 2. the money parser (what tests/test_money.py does not fuzz) ---------------------------------


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.text(alphabet="0123456789,.£-٠١٢३４５", max_size=20),
        st.builds(
            lambda a, b: f"£{a},{b}", st.text(alphabet=unicode_digits, max_size=4), st.text(max_size=4)
        ),
    ),
    st.booleans(),
    st.booleans(),
)
@example("٦٠٠٠", False, True)  # Arabic-Indic digits
@example("６,０００", False, True)  # full-width digits
@example("1" * 100_000, False, True)  # a huge string
@example("£" + "1,000" * 20_000, False, True)
@example("-" * 50_000, True, True)
@example("6000\x00", False, True)
@example("\u00a36,000", False, True)
@example("6\u202f000", False, True)  # narrow no-break space as a thousands separator
def test_money_parser_gives_money_or_money_error(text: str, negative: bool, zero: bool) -> None:
    _count("amounts")
    try:
        value = Money.parse(text, allow_negative=negative, allow_zero=zero)
    except MoneyError as error:
        message = str(error)
        assert len(message) < 400, "the message echoes the whole input"
        return
    assert isinstance(value.pence, int) and abs(value.pence) <= 1_000_000_000 * 100
    assert negative or value.pence >= 0
    assert zero or value.pence != 0
    # Only ASCII digits make money: a unicode digit is never read as a number.
    assert all(c in "0123456789,.£- " for c in text.strip()), text


# --- 3. the CSV importer, end to end through the CLI -----------------------------------------------

HEADER = ["date", "reference", "amount", "supplier", "invoice"]
FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(1)", "-2+3", "=1+1"]


def _csv_text(rows: list[list[str]], newline: str = "\r\n") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows([HEADER, *rows])
    return out.getvalue()


def _imported(cli: Cli, path: Path) -> None:
    """Import as the treasurer: it must end in 0 (imported), 1 (a rule) or 2 (bad input) with a
    message, never a traceback; on anything but success the database must not change."""
    _count("csv files")
    before = cli.snapshot()
    result = cli("spend", "import", str(path), "--json", actor="treasurer")
    output = clean_exit(result, result.exit_code)
    assert result.exit_code in (0, 1, 2), output
    if result.exit_code != 0:
        assert cli.snapshot() == before
        assert result.stderr.strip(), "a refused import says why"


GOOD_ROW = ["2024-07-01", "CRG-2425-001", "10.00", "ASB Training Partnership"]

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["2024-07-01", "CRG-2425-001", "CRG-2425-003", "10", "£1,000.00", "", '"', "\x00"]),
    st.sampled_from(FORMULAS),
)


@st.composite
def hostile_files(draw: st.DrawFn) -> bytes:
    """A CSV file as a finance system (or an attacker) might write it."""
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=8), max_size=6))
    rows.append([*GOOD_ROW, f"INV-{draw(st.integers(0, 10**6))}"])
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = _csv_text(rows, newline)
    if draw(st.booleans()):  # mixed newlines
        text = text.replace("\r\n", "\n", 1)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = (
            text.encode("utf-8", "surrogatepass") if encoding != "utf-8" else text.encode("utf-8", "replace")
        )
    damage = draw(st.sampled_from(["none", "nul", "latin1-byte", "truncate", "bom-middle"]))
    if damage == "nul":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" + data[at:]
    elif damage == "latin1-byte":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xe9" + data[at:]
    elif damage == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == "bom-middle":
        data = data + b"\xef\xbb\xbf2024-07-02,CRG-2425-001,1,X,B\n"
    return data


@pytest.fixture
def funded_copy(at_stage: Callable[[str], Cli]) -> Cli:
    return at_stage("tactical")


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=hostile_files())
def test_fuzzed_csv_files_import_or_are_refused_cleanly(
    funded_copy: Cli, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "payments.csv"
    path.write_bytes(data)
    _imported(funded_copy, path)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: b"\xef\xbb\xbf" + _csv_text([[*GOOD_ROW, "BOM-1"]]).encode(), id="bom"),
        pytest.param(lambda: _csv_text([[*GOOD_ROW, "U16-1"]]).encode("utf-16"), id="utf-16"),
        pytest.param(lambda: _csv_text([[*GOOD_ROW[:3], "Caf\xe9", "L-1"]]).encode("latin-1"), id="latin-1"),
        pytest.param(lambda: _csv_text([[*GOOD_ROW, "N\x00-1"]]).encode(), id="nul-in-invoice"),
        pytest.param(lambda: b"\x00" * 1000, id="only-nuls"),
        pytest.param(lambda: _csv_text([[*GOOD_ROW, "M-1"]], "\r").encode(), id="cr-newlines"),
        pytest.param(
            lambda: (
                b"date,reference,amount,supplier,invoice\n2024-07-01,CRG-2425-001,1,A,M-1\r\n"
                b"2024-07-02,CRG-2425-001,1,A,M-2\r2024-07-03,CRG-2425-001,1,A,M-3\n"
            ),
            id="mixed-newlines",
        ),
        pytest.param(  # one field beyond csv's field size limit (131,072 characters)
            lambda: _csv_text([[*GOOD_ROW[:3], "S" * 200_000, "H-1"]]).encode(), id="huge-field"
        ),
        pytest.param(  # an unclosed quote swallows the rest of the file into one field
            lambda: (",".join(HEADER) + '\n2024-07-01,CRG-2425-001,1,"' + "x" * 300_000 + "\n").encode(),
            id="unclosed-quote",
        ),
        pytest.param(lambda: _csv_text([[*GOOD_ROW, "L-" + "9" * 1_000_000]]).encode(), id="long-line"),
        pytest.param(
            lambda: _csv_text([[*GOOD_ROW, "C-1", *(["x"] * 5000)]]).encode(), id="many-columns-row"
        ),
        pytest.param(
            lambda: (
                ",".join(HEADER + [f"extra{n}" for n in range(5000)])
                + "\n"
                + ",".join([*GOOD_ROW, "C-2"] + [""] * 5000)
                + "\n"
            ).encode(),
            id="many-columns-header",
        ),
        pytest.param(
            lambda: _csv_text([["99999999999999999999/1/2024", "CRG-2425-001", "1", "A", "D-1"]]).encode(),
            id="overflowing-date",
        ),
        pytest.param(
            lambda: _csv_text([["2024-07-01", "CRG-2425-001", "1" * 100_000, "A", "A-1"]]).encode(),
            id="huge-amount",
        ),
        pytest.param(
            lambda: _csv_text([["2024-07-01", "X" * 100_000, "1", "A", "R-1"]]).encode(), id="huge-ref"
        ),
        pytest.param(lambda: b"\xff\xfe\x00\x00garbage", id="utf-32-bom"),
        pytest.param(lambda: bytes(range(256)) * 64, id="binary"),
    ],
)
def test_hostile_csv_files_import_or_are_refused_cleanly(
    funded_copy: Cli, tmp_path: Path, make: Callable[[], bytes]
) -> None:
    path = tmp_path / "payments.csv"
    path.write_bytes(make())
    _imported(funded_copy, path)


def test_formulas_import_as_text_and_every_export_escapes_them(
    at_stage: Callable[[str], Cli], tmp_path: Path
) -> None:
    cli = at_stage("tactical")
    ok(cli("delivery", "start", "CRG-2425-001", actor="kcc-officer"))
    rows = [
        ["2024-07-01", "CRG-2425-001", "10", supplier, invoice]
        for supplier, invoice in zip(
            FORMULAS, ["=1+1", "+2", "@A1", "-3", '=HYPERLINK("http://x","i")'], strict=True
        )
    ]
    path = tmp_path / "formulas.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    imported = json.loads(ok(cli("spend", "import", str(path), "--json", actor="treasurer")))
    assert imported["imported"] == len(rows)
    # A formula also reaches the bid's title and the outcome, which exports carry.
    ok(cli("delivery", "complete", "CRG-2425-001", "--outcome", "=1+2", actor="kcc-officer"))
    # Kept exactly as given.
    listed = json.loads(ok(cli("spend", "list", "--json")))
    kept = {(p["supplier"], p["invoice"]) for p in listed["payments"]}
    assert {(r[3], r[4]) for r in rows} <= kept

    dangerous = re.compile(r"^[=+\-@\t\r]")

    def cells_of_csv(text: str) -> list[str]:
        return [c for row in csv.reader(io.StringIO(text)) for c in row]

    def assert_escaped(cells: list[str], where: str, expect: list[str]) -> None:
        _count("export cells")
        for value in cells:
            if isinstance(value, str) and dangerous.match(value):
                # A negative number is data, not a formula.
                assert re.fullmatch(r"-[£0-9,.]+%?", value), f"{where}: {value!r} would run as a formula"
        text = "\n".join(str(c) for c in cells)
        for needle in expect:
            assert needle in text, f"{where} lost {needle!r}"

    # spend list --json keeps the raw text (JSON is not a spreadsheet).
    exports = {
        "report reconcile": cli("report", "reconcile", "--format", "csv"),
        "scoring ranking": cli("scoring", "ranking", "--format", "csv", actor="kcc-officer"),
        "report action-plan": cli("report", "action-plan", "--format", "csv"),
        "export 360giving": cli("export", "360giving", "--format", "csv"),
    }
    for where, result in exports.items():
        assert_escaped(cells_of_csv(ok(result)), where, [])
    # Bid titles with formulas, through every export that shows titles.
    from openpyxl import load_workbook

    book = tmp_path / "year.xlsx"
    ok(cli("export", "xlsx", "--out", str(book), actor="kcc-officer"))
    workbook = load_workbook(book)
    cells: list[str] = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                if c.data_type == "f":
                    raise AssertionError(f"xlsx {sheet.title}!{c.coordinate} is a formula: {c.value!r}")
                if isinstance(c.value, str):
                    cells.append(c.value)
    assert_escaped(cells, "export xlsx", ["'=HYPERLINK", "'+cmd", "'@SUM(1)"])


def test_formula_titles_are_escaped_in_every_export(at_stage: Callable[[str], Cli], tmp_path: Path) -> None:
    """A funded bid whose title and summary are formulas (edited in clarification), through every
    CSV export and the workbook."""
    cli = at_stage("shortlisting")
    ok(cli("approve", "CRG-2425-001", actor="chair"))
    ok(cli("clarify", "CRG-2425-001", "--question", "Q?", actor="opcc"))
    title = '=HYPERLINK("http://x","y")'
    ok(
        cli(
            "bid",
            "edit",
            "CRG-2425-001",
            "--title",
            title,
            "--summary",
            "@SUM(1)",
            "--outcomes",
            "+cmd",
            actor=OFFICER,
        )
    )
    ok(cli("answer", "CRG-2425-001", "--text", "-1+1", actor=OFFICER))
    ok(cli("approve", "CRG-2425-001", actor="opcc"))
    dangerous = re.compile(r"^[=+\-@\t\r]")
    for args in (
        ("scoring", "ranking", "--format", "csv"),
        ("report", "action-plan", "--format", "csv"),
        ("export", "360giving", "--format", "csv"),
        ("report", "reconcile", "--format", "csv"),
    ):
        text = ok(cli(*args, actor=OFFICER))
        values = [value for row in csv.reader(io.StringIO(text)) for value in row]
        for value in values:
            _count("export cells")
            if dangerous.match(value):
                assert re.fullmatch(r"-[£0-9,.]+%?", value), f"{args}: {value!r}"
        if args[0] != "report" or args[1] == "action-plan":
            assert any(v == "'" + title for v in values), f"{args} lost the title"
    from openpyxl import load_workbook

    book = tmp_path / "titles.xlsx"
    ok(cli("export", "xlsx", "--out", str(book), actor=OFFICER))
    found = []
    for sheet in load_workbook(book).worksheets:
        for row in sheet.iter_rows():
            for c in row:
                _count("export cells")
                assert c.data_type != "f", f"xlsx {sheet.title}!{c.coordinate} is a formula: {c.value!r}"
                if isinstance(c.value, str):
                    assert not dangerous.match(c.value) or re.fullmatch(r"-[£0-9,.]+%?", c.value), c.value
                    found.append(c.value)
    assert "'" + title in found


# --- 4. control characters and over-long text in every free-text option ---------------------------

HOSTILE_TEXT = {
    "nul": "before\x00after",
    "escape": "red \x1b[31mtext\x1b[0m",
    "carriage-return": "line\rover",
    "over-long": "x" * 100_000,
}

# (stage, setup commands [(actor, args)], actor, the command with {} for the hostile text)
OFFICER = "kcc-officer"
FREE_TEXT_CASES: list[tuple[str, str, list[tuple[str, tuple[str, ...]]], str, tuple[str, ...]]] = [
    ("org-name", "setup", [], OFFICER, ("org", "add", "newco", "--name", "{}")),
    ("org-id", "setup", [], OFFICER, ("org", "add", "newco", "--name", "New Co", "--org-id", "{}")),
    ("member-name", "setup", [], OFFICER, ("member", "add", "new-one", "--name", "{}", "--org", "kcc")),
    ("criterion-title", "setup", [], OFFICER, ("criteria", "set", "fit_pcc", "--title", "{}")),
    ("criterion-description", "setup", [], OFFICER, ("criteria", "set", "fit_pcc", "--description", "{}")),
    ("criterion-new", "setup", [], OFFICER, ("criteria", "set", "newcrit", "--title", "{}", "--weight", "5")),
    (
        "pot-transfer-reason",
        "setup",
        [],
        OFFICER,
        ("pot", "transfer", "100", "--from", "upfront", "--to", "tactical", "--reason", "{}"),
    ),
    *[
        (
            f"bid-new-{name}",
            "setup",
            [],
            OFFICER,
            ("bid", "new", "--title", "T", "--amount", "1000", "--org", "kcc", f"--{name}", "{}")
            if name != "title"
            else ("bid", "new", "--title", "{}", "--amount", "1000", "--org", "kcc"),
        )
        for name in ("title", "summary", "outcomes", "measures", "explanation")
    ],
    *[
        (
            f"bid-edit-{name}",
            "setup",
            [(OFFICER, ("bid", "new", "--title", "Draft", "--amount", "1000", "--org", "kcc"))],
            OFFICER,
            ("bid", "edit", "CRG-2425-001", f"--{name}", "{}"),
        )
        for name in ("title", "summary", "outcomes", "measures", "explanation")
    ],
    (
        "bid-withdraw-reason",
        "setup",
        [(OFFICER, ("bid", "new", "--title", "Draft", "--amount", "1000", "--org", "kcc"))],
        OFFICER,
        ("bid", "withdraw", "CRG-2425-001", "--reason", "{}"),
    ),
    (
        "score-comment",
        "bids",
        [],
        "wg-police",
        (
            "score",
            "CRG-2425-001",
            *sum(
                (
                    ["--criterion", f"{k}=3"]
                    for k in ("fit_pcc", "fit_csa", "need", "outcomes", "value", "deliverable")
                ),
                [],
            ),
            "--support",
            "--comment",
            "{}",
        ),
    ),
    (
        "interest-reason",
        "bids",
        [],
        OFFICER,
        ("member", "interest", "wg-kfrs", "CRG-2425-001", "--reason", "{}"),
    ),
    ("decline-reason", "scored", [], OFFICER, ("decline", "CRG-2425-001", "--reason", "{}")),
    (
        "shortlist-override-reason",
        "scored",
        [],
        OFFICER,
        ("shortlist", "CRG-2425-008", "--override", "--reason", "{}"),
    ),
    ("approve-note", "shortlisting", [], "chair", ("approve", "CRG-2425-001", "--note", "{}")),
    ("reject-reason", "shortlisting", [], "chair", ("reject", "CRG-2425-001", "--reason", "{}")),
    (
        "clarify-question",
        "shortlisting",
        [("chair", ("approve", "CRG-2425-001"))],
        "opcc",
        ("clarify", "CRG-2425-001", "--question", "{}"),
    ),
    (
        "answer-text",
        "shortlisting",
        [("chair", ("approve", "CRG-2425-001")), ("opcc", ("clarify", "CRG-2425-001", "--question", "Q?"))],
        OFFICER,
        ("answer", "CRG-2425-001", "--text", "{}"),
    ),
    ("vary-reason", "tactical", [], "opcc", ("vary", "CRG-2425-003", "2000", "--reason", "{}")),
    ("cancel-reason", "tactical", [], "opcc", ("cancel", "CRG-2425-003", "--reason", "{}")),
    (
        "delivery-outcome",
        "tactical",
        [(OFFICER, ("delivery", "start", "CRG-2425-003"))],
        OFFICER,
        ("delivery", "complete", "CRG-2425-003", "--outcome", "{}"),
    ),
    (
        "spend-supplier",
        "tactical",
        [],
        "treasurer",
        ("spend", "add", "CRG-2425-003", "100", "--date", "2024-09-01", "--supplier", "{}"),
    ),
    (
        "spend-invoice",
        "tactical",
        [],
        "treasurer",
        ("spend", "add", "CRG-2425-003", "100", "--date", "2024-09-01", "--supplier", "S", "--invoice", "{}"),
    ),
    (
        "spend-date",
        "tactical",
        [],
        "treasurer",
        ("spend", "add", "CRG-2425-003", "100", "--date", "{}", "--supplier", "S"),
    ),
    (
        "spend-amount",
        "tactical",
        [],
        "treasurer",
        ("spend", "add", "CRG-2425-003", "{}", "--date", "2024-09-01", "--supplier", "S"),
    ),
    (
        "bid-new-amount",
        "setup",
        [],
        OFFICER,
        ("bid", "new", "--title", "T", "--amount", "{}", "--org", "kcc"),
    ),
    (
        "bid-new-ends",
        "setup",
        [],
        OFFICER,
        ("bid", "new", "--title", "T", "--amount", "1", "--org", "kcc", "--ends", "{}"),
    ),
    ("year-open-label", "setup", [], OFFICER, ("year", "open", "{}", "--allocation", "1000")),
    ("org-edit-name", "setup", [], OFFICER, ("org", "edit", "kfrs", "--name", "{}")),
    ("org-edit-org-id", "setup", [], OFFICER, ("org", "edit", "kfrs", "--org-id", "{}")),
    (
        "org-retire-reason",
        "setup",
        [(OFFICER, ("org", "add", "newco", "--name", "New Co"))],
        OFFICER,
        ("org", "retire", "newco", "--reason", "{}"),
    ),
    ("member-edit-name", "setup", [], OFFICER, ("member", "edit", "wg-police", "--name", "{}")),
    ("member-retire-reason", "setup", [], OFFICER, ("member", "retire", "wg-police", "--reason", "{}")),
    ("priority-add-title", "setup", [], OFFICER, ("priority", "add", "pcc", "new-one", "--title", "{}")),
    ("priority-edit-title", "setup", [], OFFICER, ("priority", "edit", "pcc", "vawg", "--title", "{}")),
    ("criterion-descriptors", "setup", [], OFFICER, ("criteria", "edit", "need", "--descriptors", "{}")),
    ("config-set-value", "setup", [], OFFICER, ("config", "set", "quorum", "{}")),
    (
        "year-open-share",
        "setup",
        [],
        OFFICER,
        ("year", "open", "2025/26", "--allocation", "1000", "--tactical-share", "{}"),
    ),
]


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in FREE_TEXT_CASES
        if c[0] in ("spend-date", "bid-new-ends", "year-open-label", "year-open-share")
    ],
    ids=lambda c: c[0],
)
def test_over_long_dates_years_and_shares_get_a_short_message(at_stage: Callable[[str], Cli], case) -> None:  # type: ignore[no-untyped-def]
    _, stage, _, actor, command = case
    cli = at_stage(stage)
    result = cli(*["9" * 100_000 if part == "{}" else part for part in command], actor=actor)
    assert len(error_message(result, 2)) < 1000


@pytest.mark.parametrize(
    ("stage", "steps", "actor", "command"),
    [pytest.param(*case[1:], id=case[0]) for case in FREE_TEXT_CASES],
)
def test_hostile_text_in_every_free_text_option_is_bad_input(
    at_stage: Callable[[str], Cli],
    stage: str,
    steps: list[tuple[str, tuple[str, ...]]],
    actor: str,
    command: tuple[str, ...],
) -> None:
    cli = at_stage(stage)
    for who, args in steps:
        ok(cli(*args, actor=who))
    before = cli.snapshot()
    for name, text in HOSTILE_TEXT.items():
        _count("free-text inputs")
        result = cli(*[text if part == "{}" else part for part in command], actor=actor)
        message = error_message(result, 2)
        assert "\x00" not in message and "\x1b" not in message and "\r" not in message, (name, message)
        assert len(message) < 1000, (name, len(message))
        assert cli.snapshot() == before, f"{name}: a refused command changed the database"


@pytest.mark.parametrize("field", ["partnership", "officer-name", "funder"])
def test_hostile_text_at_init_is_bad_input(cli: Cli, field: str) -> None:
    base = {"partnership": "P", "officer-name": "O", "funder": "F"}
    ok(
        cli(
            "init",
            "--partnership",
            "First",
            "--slug",
            "first",
            "--funder",
            "F",
            "--officer",
            "off",
            "--officer-name",
            "Off",
            "--officer-org",
            "org",
            "--officer-org-name",
            "Org",
        )
    )
    before = cli.snapshot()
    for name, text in HOSTILE_TEXT.items():
        _count("free-text inputs")
        values = {**base, field: text}
        result = cli(
            "init",
            "--slug",
            "second",
            "--officer",
            "off2",
            "--officer-org",
            "org",
            "--officer-org-name",
            "Org",
            *sum(([f"--{k}", v] for k, v in values.items()), []),
        )
        error_message(result, 2)
        assert cli.snapshot() == before, name


# --- 5. unknown references everywhere --------------------------------------------------------------

MISSING = "CRG-2425-999"
UNKNOWN_CASES: list = [
    (OFFICER, "bid show", ("bid", "show", MISSING)),
    (OFFICER, "bid edit", ("bid", "edit", MISSING, "--title", "T")),
    (OFFICER, "bid submit", ("bid", "submit", MISSING)),
    (OFFICER, "bid withdraw", ("bid", "withdraw", MISSING, "--reason", "R")),
    (OFFICER, "bid history", ("bid", "history", MISSING)),
    (OFFICER, "scoring open", ("scoring", "open", MISSING)),
    ("wg-police", "score", ("score", MISSING, "--criterion", "need=3", "--support")),
    (OFFICER, "scoring sheets", ("scoring", "sheets", MISSING)),
    (OFFICER, "shortlist", ("shortlist", MISSING)),
    (OFFICER, "decline", ("decline", MISSING, "--reason", "R")),
    ("chair", "approve", ("approve", MISSING)),
    ("chair", "reject", ("reject", MISSING, "--reason", "R")),
    ("opcc", "clarify", ("clarify", MISSING, "--question", "Q")),
    (OFFICER, "answer", ("answer", MISSING, "--text", "A")),
    ("opcc", "vary", ("vary", MISSING, "100", "--reason", "R")),
    ("opcc", "cancel", ("cancel", MISSING, "--reason", "R")),
    (OFFICER, "delivery start", ("delivery", "start", MISSING)),
    (OFFICER, "delivery complete", ("delivery", "complete", MISSING, "--outcome", "O")),
    ("treasurer", "spend add", ("spend", "add", MISSING, "1", "--date", "2024-09-01", "--supplier", "S")),
    ("treasurer", "spend list", ("spend", "list", MISSING)),
    ("treasurer", "close", ("close", MISSING)),
    (OFFICER, "member interest bid", ("member", "interest", "wg-police", MISSING, "--reason", "R")),
    (OFFICER, "member interest member", ("member", "interest", "nobody", "CRG-2425-001", "--reason", "R")),
    (OFFICER, "member add org", ("member", "add", "new-one", "--name", "N", "--org", "no-such-org")),
    (OFFICER, "bid new org", ("bid", "new", "--title", "T", "--amount", "1", "--org", "no-such-org")),
    (
        OFFICER,
        "bid new contact",
        ("bid", "new", "--title", "T", "--amount", "1", "--org", "kcc", "--contact", "nobody"),
    ),
    (OFFICER, "year show", ("year", "show", "2031/32")),
    (OFFICER, "--year", ("--year", "2031/32", "status")),
    (OFFICER, "--partnership", ("--partnership", "nowhere", "status")),
    (OFFICER, "rollover year", ("rollover", "2031/32")),
    pytest.param(
        OFFICER,
        ("rollover", "2024/25", "--carry-forward", MISSING),
        id="rollover carry",
    ),
    ("treasurer", "spend import", ("spend", "import", "/no/such/file.csv")),
]


@pytest.mark.parametrize(
    ("actor", "command"),
    [c if hasattr(c, "marks") else pytest.param(c[0], c[2], id=c[1]) for c in UNKNOWN_CASES],
)
def test_unknown_references_are_not_found(
    at_stage: Callable[[str], Cli], actor: str, command: tuple[str, ...]
) -> None:
    cli = at_stage("bids")
    before = cli.snapshot()
    _count("unknown references")
    result = cli(*command, actor=actor)
    message = error_message(result, 3)
    assert (
        "no " in message or "not found" in message or "unknown" in message or "does not exist" in message
    ), message
    assert cli.snapshot() == before


def test_unknown_actor_is_refused_and_audit_filter_is_empty(at_stage: Callable[[str], Cli]) -> None:
    """Two deliberate exceptions: an unknown --as is a permission refusal (1, grants/identity.py);
    `audit log REF` is a filter, so an unknown reference lists nothing."""
    cli = at_stage("bids")
    _count("unknown references")
    assert "not a member of kcsp" in error_message(cli("bid", "show", "CRG-2425-001", actor="nobody"), 1)
    _count("unknown references")
    assert json.loads(ok(cli("audit", "log", MISSING, "--json"))) == []


FILE_NAMES = {
    "too long for the file system": "y" * 300,
    "looks like Rich markup": "[red]payments [link=x]",
}
FILE_COMMANDS = {
    "spend import": ("treasurer", ("spend", "import", "{}")),
    "db backup": ("kcc-officer", ("db", "backup", "{}")),
    "export journal": ("kcc-officer", ("export", "journal", "--out", "{}")),
    "export xlsx": ("kcc-officer", ("export", "xlsx", "--out", "{}")),
    "export 360giving": ("kcc-officer", ("export", "360giving", "--out", "{}")),
    "report working-group docx": (None, ("report", "working-group", "--format", "docx", "--out", "{}")),
    "report action-plan docx": (None, ("report", "action-plan", "--format", "docx", "--out", "{}")),
    "report year-end docx": (None, ("report", "year-end", "--format", "docx", "--out", "{}")),
}


@pytest.mark.parametrize("command", list(FILE_COMMANDS))
@pytest.mark.parametrize("name", list(FILE_NAMES))
def test_hostile_file_names_are_a_clear_refusal(
    at_stage: Callable[[str], Cli], tmp_path: Path, command: str, name: str
) -> None:
    """A file the system will not open or make is exit 2 naming the file (cut short), or, for a
    name it can take, the command's own answer — never a traceback; and the name is shown as
    given, not read as markup."""
    cli = at_stage("delivery")
    before = cli.snapshot()
    _count("file names")
    actor, argv = FILE_COMMANDS[command]
    folder = tmp_path / "files"
    folder.mkdir()
    path = folder / FILE_NAMES[name]
    result = cli(*(a.format(path) for a in argv), actor=actor)
    assert "Traceback" not in result.output, result.output
    if name == "too long for the file system":
        message = error_message(result, 2)
        assert "File name too long" in message and len(message) < 200, message
        assert list(folder.iterdir()) == []
    elif command == "spend import":
        assert FILE_NAMES[name] in error_message(result, 3)  # no such file, named as given
    else:
        assert result.exit_code == 0, result.output
        assert path.is_file()
    assert cli.snapshot() == before


def test_a_database_file_name_too_long_is_a_clear_refusal(tmp_path: Path) -> None:
    _count("file names")
    result = Cli(f"sqlite:///{tmp_path / ('d' * 300)}.sqlite")("status", actor="kcc-officer")
    assert "File name too long" in error_message(result, 2)


def test_report_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints what this module tried (for the README); runs last in the file."""
    with capsys.disabled():
        print(f"\nhostile inputs tried: {COUNTS}")


# --- 6. text is data: markup, escapes, links and HTML shown as typed everywhere -----------------
#
# One hostile value goes into every free-text field through the CLI; then every command that
# shows data, in every format, runs on that database. The list of commands comes from the CLI
# itself: a new command must be put in SHOW_ARGS or WRITES below, or
# test_every_command_is_in_the_hostile_text_matrix fails.

HOSTILE_MARKUP = (
    "[/]<script>x</script>[link=http://e.example/p]P[/link][b]:warning:"
    "\u202eR\u202c\x9b1m\x9d8;;h\x9c[x](javascript:y)#"
)


def hostile(tag: str) -> str:
    """The hostile value, told apart per field by a tag at its end (within the 100-character
    limit of the shortest field, the invoice)."""
    return f"{HOSTILE_MARKUP}{tag}"


def shown_forms(tag: str) -> list[tuple[str, ...]]:
    """What must be found in the outputs, each in one of its forms: the markup as typed, and the
    invisible characters as escapes (`\\x9b` on a terminal, CSV or Markdown; `\\u009b` in JSON)."""
    from grants.text import json_text, visible

    value = hostile(tag)
    return [
        ("[/]<script>x</script>[link=http://e.example/p]P[/link][b]:warning:",),
        (visible(value)[-40:], json_text(value)[-44:]),
    ]


RAW_INVISIBLE = ("\x1b", "\x9b", "\x9d", "\x9c", "\u202e", "\u202c")

# The commands that show data, with the arguments each needs ({ref}: the bid the case touched,
# {out}: a file to write). Each runs once as given, once with --json if it has that option,
# and once per format if it has --format.
SHOW_ARGS: dict[str, tuple[str, ...]] = {
    "status": (),
    "check": (),
    "org list": (),
    "member list": (),
    "year list": (),
    "year show": (),
    "pot show": (),
    "bid list": (),
    "bid show": ("{ref}",),
    "bid history": ("{ref}",),
    "scoring ranking": (),
    "scoring sheets": ("{ref}",),
    "criteria list": (),
    "spend list": (),
    "report reconcile": (),
    "report working-group": (),
    "report action-plan": (),
    "report year-end": (),
    "export journal": (),
    "export xlsx": ("--out", "{out}.xlsx"),
    "export 360giving": (),
    "workflow diagram": (),
    "workflow permissions": (),
    "audit log": (),
    "audit verify": (),
    "rollover": ("2024/25",),  # without --apply it only shows the statement
    "config show": (),
    "priority list": (),
    "db backup": ("{out}.backup",),
}
# Commands that change data (their free text is put in by FREE_TEXT_CASES) or build databases.
WRITES = {
    "init", "score", "shortlist", "decline", "approve", "reject", "clarify", "answer", "vary",
    "cancel", "close", "demo", "org add", "member add", "member interest", "year open",
    "pot transfer", "bid new", "bid edit", "bid submit", "bid withdraw", "scoring open",
    "criteria set", "delivery start", "delivery complete", "spend add", "spend import",
    "db upgrade", "end-date", "org edit", "org retire", "member edit", "member retire",
    "priority add", "priority edit", "priority retire", "criteria edit", "criteria remove",
    "config set",
    "db grants",  # PostgreSQL logins' privileges, from the policy: no user text (exit 2 on SQLite)
}  # fmt: skip
FORMAT_CHOICES = ("table", "json", "csv", "markdown")


def _cli_commands() -> dict[str, list[str]]:
    """Every leaf command of the CLI, with the names of its options."""
    import typer.main

    from cli.main import app

    found: dict[str, list[str]] = {}

    def walk(command, path: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        else:
            found[" ".join(path)] = [opt for p in command.params for opt in getattr(p, "opts", [])]

    walk(typer.main.get_command(app), ())
    return found


def test_every_command_is_in_the_hostile_text_matrix() -> None:
    commands = set(_cli_commands())
    assert commands - set(SHOW_ARGS) - WRITES == set(), "classify the new command in SHOW_ARGS or WRITES"
    assert set(SHOW_ARGS) | WRITES <= commands, "a command in the matrix no longer exists"


def _show_runs(ref: str, out: Path) -> list[tuple[str, ...]]:
    runs = []
    for name, options in _cli_commands().items():
        if name not in SHOW_ARGS:
            continue
        args = (
            *name.split(),
            *(a.format(ref=ref, out=out / name.replace(" ", "-")) for a in SHOW_ARGS[name]),
        )
        runs.append(args)
        if "--json" in options:
            runs.append((*args, "--json"))
        if "--format" in options:
            runs += [(*args, "--format", fmt) for fmt in FORMAT_CHOICES]
            if "--out" in options and "--out" not in args:  # Word papers are written to a file
                runs.append((*args, "--format", "docx", "--out", str(out / f"{name.replace(' ', '-')}.docx")))
    return runs


@pytest.fixture
def wide_console():  # type: ignore[no-untyped-def]
    """The consoles wide enough that no table cell wraps, so a value can be found whole."""
    from cli.common import console, err_console

    consoles = [console, err_console]
    saved = []
    for c in consoles:
        c.width  # noqa: B018  (makes the console)
        saved.append(c._console.width)
        c._console.width = 5000
    yield
    for c, width in zip(consoles, saved, strict=True):
        c._console.width = width


def _shown_everywhere(
    cli: Cli, ref: str, out: Path, expect: list[tuple[str, ...]], also: str = "", tolerate_check: bool = False
) -> dict[str, str]:
    """Run every show command; none may fail or let an invisible character through. Returns the
    outputs by command line."""
    outputs = {}
    for args in _show_runs(ref, out):
        _count("hostile text views")
        result = cli(*args, actor=OFFICER)
        output = clean_exit(result, result.exit_code)
        line = " ".join(args)
        # It works, or a rule refuses it at this stage (1: nothing funded to publish yet), or it
        # does not offer the format (2).
        # (With data changed behind the application's back, check and verify may find it: 4.)
        found = tolerate_check and result.exit_code == 4 and args[0] in ("check", "audit", "report")
        assert found or result.exit_code in (0, 1) or (result.exit_code == 2 and "--format" in args), (
            line,
            output[-800:],
        )
        for raw in RAW_INVISIBLE:
            assert raw not in output, f"{line}: {raw!r} reached the output"
        assert "\x1b]8;" not in output, f"{line}: a terminal hyperlink"
        outputs[line] = output
    for path in out.glob("*.xlsx"):
        outputs[path.name] = _xlsx_text(path)
    for path in out.glob("*.docx"):
        outputs[path.name] = _docx_text(path)
    for name, text in outputs.items():  # the files too
        for raw in RAW_INVISIBLE:
            assert raw not in text, f"{name}: {raw!r} reached the output"
    whole = "\n".join([*outputs.values(), also])
    for forms in expect:
        assert any(form in whole for form in forms), f"{forms!r} is shown by no command"
    return outputs


def _docx_text(path: Path) -> str:
    from docx import Document

    document = Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    return "\n".join(
        str(c.value) for sheet in load_workbook(path).worksheets for row in sheet.iter_rows() for c in row
    )


TEXT_CASES = [
    c
    for c in FREE_TEXT_CASES
    if c[0]
    not in (
        "org-id",
        "org-edit-org-id",
        "org-retire-reason",
        "criterion-descriptors",  # six texts separated by '|'; one hostile value is refused
        "member-retire-reason",
        "config-set-value",
        "spend-date",
        "spend-amount",
        "bid-new-amount",
        "bid-new-ends",
        "year-open-label",
        "year-open-share",
    )
]


def _put(cli: Cli, case, tag: str) -> str | None:  # type: ignore[no-untyped-def]
    """Run a case's steps and its command with the hostile value; the command's output, or None
    when this database's state does not allow it (another case got there first)."""
    _, _, steps, actor, command = case
    for who, args in steps:
        cli(*args, actor=who)
    result = cli(*[hostile(tag) if part == "{}" else part for part in command], actor=actor)
    clean_exit(result, result.exit_code)
    return result.stdout + " ".join(command) if result.exit_code == 0 else None


@pytest.mark.slow  # about a minute per stage: 70 command lines on each database
@pytest.mark.parametrize("stage", sorted({c[1] for c in TEXT_CASES}))
def test_hostile_text_in_every_free_text_field_is_shown_as_typed_by_every_command(
    tmp_path: Path, wide_console: None, stage: str
) -> None:
    """Every free-text field of the stage gets the hostile value (tagged per field) through the
    CLI, in one database where the cases allow it, else in one of its own; the command that
    saved it says so (it does not fail after committing); then every show command in every
    format runs, and each field's value is shown as typed (in JSON, exactly as typed)."""

    def fresh(name: str) -> Cli:
        folder = tmp_path / name
        folder.mkdir()
        demo_copy(f"sqlite:///{folder / 'g.sqlite'}", stage)
        return Cli(f"sqlite:///{folder / 'g.sqlite'}")

    databases: list[tuple[Cli, list[str], list[str]]] = [(fresh("shared"), [], [])]  # (db, tags, bids)
    authors: dict[int, set[str]] = {}  # who typed the values: a scorer sees their own sheet
    sheets_of: dict[int, set[str]] = {}  # the bids the cases named
    for n, case in enumerate(c for c in TEXT_CASES if c[1] == stage):
        tag = f"~{n:02d}"
        _count("free-text inputs")
        target = databases[0]
        said = _put(target[0], case, tag)
        if said is None:  # this case needs the stage as it was: a database of its own
            target = (fresh(f"own-{n}"), [], [])
            said = _put(target[0], case, tag)
            assert said is not None, f"{case[0]}: the hostile value was refused"
            databases.append(target)
        target[1].append(tag)
        target[2].extend(re.findall(r"CRG-\d{4}-\d{3}", said))
        authors.setdefault(id(target[0]), set()).add(case[3])
        sheets_of.setdefault(id(target[0]), set()).update(re.findall(r"CRG-\d{4}-\d{3}", " ".join(case[4])))
    for i, (cli, tags, refs) in enumerate(databases):
        if not tags:
            continue
        if not refs:  # a bid for the commands that show one
            made = ok(cli("bid", "new", "--title", "Plain", "--amount", "100", "--org", "kcc", actor=OFFICER))
            refs = re.findall(r"CRG-\d{4}-\d{3}", made)
        refs = sorted(set(refs))
        out = tmp_path / f"out-{i}"
        out.mkdir()
        extra = {}  # the views of one bid, for the other bids the cases touched
        for ref in refs[1:]:
            for args in (("bid", "show", ref, "--json"), ("bid", "history", ref, "--json")):
                extra[" ".join(args)] = ok(cli(*args, actor=OFFICER))
        # A sheet's comment is withheld from the officer while its bid is in scoring (blind
        # scoring); its author sees it.
        for author in sorted(authors.get(id(cli), set()) - {OFFICER}):
            for ref in sorted(sheets_of.get(id(cli), set())):
                own = cli("scoring", "sheets", ref, "--json", actor=author)
                if own.exit_code == 0:
                    extra[f"as {author}: scoring sheets {ref} --json"] = own.stdout
        expect = [form for tag in tags for form in shown_forms(tag)]
        outputs = {**extra, **_shown_everywhere(cli, refs[0], out, expect, also="\n".join(extra.values()))}
        # JSON keeps the very text typed.
        as_json = json.dumps(
            [
                # The JSON document on stdout; messages the runner mixed in from stderr follow it.
                json.JSONDecoder().raw_decode(text)[0]
                for line, text in outputs.items()
                if line.endswith("--json") and not text.startswith("Error: ")  # refused at this stage
            ],
            ensure_ascii=False,
        )
        for tag in tags:
            assert hostile(tag) in as_json, f"no JSON view keeps the value {tag} as typed"


def test_bid_title_and_supplier_of_closing_bracket_save_and_list(at_stage: Callable[[str], Cli]) -> None:
    """The issue's own cases: `[/]` as a title and as a supplier."""
    cli = at_stage("tactical")
    created = ok(cli("bid", "new", "--title", "[/]", "--amount", "100", "--org", "kcc", actor=OFFICER))
    ref = re.search(r"CRG-\d{4}-\d{3}", created).group()
    assert created.startswith(f"Created {ref} ([/]), a draft for")
    ok(
        cli(
            "spend",
            "add",
            "CRG-2425-003",
            "100",
            "--date",
            "2024-09-01",
            "--supplier",
            "[/]",
            actor="treasurer",
        )
    )
    assert "│ [/] " in ok(cli("bid", "list", actor=OFFICER))
    assert "[/]" in ok(cli("bid", "show", ref, actor=OFFICER))
    assert "| [/] " in ok(cli("spend", "list", actor="treasurer")).replace("│", "|")
    ok(cli("bid", "history", ref, actor=OFFICER))
    ok(cli("audit", "log", actor=OFFICER))


def test_the_console_on_a_terminal_sends_no_escape_link_or_style_from_user_text() -> None:
    """On a real terminal (colours and hyperlinks on), user text in a table, a title, a panel
    and a styled message still reaches it as plain text."""
    import io as _io

    from rich.panel import Panel
    from rich.table import Table

    from cli.console import SafeConsole
    from cli.render import styled

    out = _io.StringIO()
    console = SafeConsole(file=out, force_terminal=True, color_system="truecolor", width=400)
    value = "[link=http://evil.example/pay]Pay[/link] [bold]b \x1b[31mred\x1b]8;;http://x\x1b\\X \u202eR"
    table = Table(title=value)
    table.add_column(value)
    table.add_row(value)
    console.print(table)
    console.print(Panel("x", title=styled("{}", value)))
    console.print(value)
    console.print(styled("[red]✗[/] {}", value))
    printed = out.getvalue()
    assert "\x1b]8;" not in printed  # no hyperlink
    assert "\x1b[31mred" not in printed and "\u202e" not in printed
    shown = "[link=http://evil.example/pay]Pay[/link] [bold]b \\x1b[31mred\\x1b]8;;http://x\\x1b\\X \\u202eR"
    assert printed.count(shown) >= 5, printed


@pytest.mark.parametrize(
    ("typed", "markdown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[pay](javascript:alert(1))", "\\[pay\\](javascript:alert(1))"),
        ("<javascript:alert(1)>", "&lt;javascript:alert(1)&gt;"),
        ("![i](http://x/i.png)", "!\\[i\\](http://x/i.png)"),
        ("# heading\n- item\n1. one", "\\# heading\n\\- item\n1\\. one"),
        ("*em* _em_ `code` ~~s~~ a|b", "\\*em\\* \\_em\\_ \\`code\\` \\~\\~s\\~\\~ a\\|b"),
        ("in_delivery £3,500.00 CRG-2425-001", "in_delivery £3,500.00 CRG-2425-001"),
        ("R&D \u202eevil", "R&amp;D \\\\u202eevil"),
    ],
)
def test_markdown_text_is_inert(typed: str, markdown: str) -> None:
    from grants.text import markdown_text

    assert markdown_text(typed) == markdown


def test_escape_sequences_already_stored_are_shown_not_sent(
    at_stage: Callable[[str], Cli], tmp_path: Path, wide_console: None
) -> None:
    """Text with ESC sequences (an ANSI colour, an OSC 8 hyperlink) that reached the database
    another way (an older release, SQL): every command shows it as escapes."""
    import sqlite3

    cli = at_stage("delivery")
    sneaky = "\x1b[31mRed\x1b[0m \x1b]8;;http://evil.example\x1b\\Pay\x1b]8;;\x1b\\ \x07"
    with sqlite3.connect(cli.url.split("///", 1)[1]) as db:
        db.execute("UPDATE bid SET title = ?, summary = ? WHERE reference = 'CRG-2425-001'", (sneaky, sneaky))
        db.execute("UPDATE organisation SET name = ? WHERE key = 'kcc'", (sneaky,))
        db.execute("UPDATE spend SET supplier = ?", (sneaky,))
    out = tmp_path / "out"
    out.mkdir()
    from grants.text import visible

    _shown_everywhere(cli, "CRG-2425-001", out, [(visible(sneaky),)], tolerate_check=True)


def test_markup_in_the_cli_is_only_in_styled_templates() -> None:
    """The console reads no markup in strings, so a tag in an f-string would show as typed, and
    user values mixed into markup are what crashed commands: every tag in cli/ is in a
    `styled("…", values)` template, never in an f-string."""
    tag = re.compile(r"""f(["'])[^"']*\[/?(?:bold|red|yellow|green|dim|link|italic|blue|cyan)?[\]=]""")
    found = []
    for path in sorted(Path("cli").glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if tag.search(line):
                found.append(f"{path}:{number}: {line.strip()}")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    "command",
    [
        ("bid", "new", "--title", "[/]", "--amount", "100", "--org", "kcc"),
        ("bid", "new", "--title", "[/]", "--amount", "100", "--org", "kcc", "--json"),
    ],
    ids=["table", "json"],
)
def test_a_write_whose_reader_has_gone_still_succeeds(tmp_path: Path, command: tuple[str, ...]) -> None:
    """`grants bid new … | true`: the output cannot be written, but the bid is saved, so the
    command must not look failed (a script would make it twice)."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'g.sqlite'}"
    from tests.conftest import demo_copy

    demo_copy(url, "setup")
    grants = Path(sys.executable).with_name("grants")
    proc = subprocess.Popen(
        [str(grants), "--db", url, "--as", OFFICER, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader goes away before the command writes
    errors = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, errors
    assert errors == ""
    listed = json.loads(ok(Cli(url)("bid", "list", "--json", actor=OFFICER)))
    assert [b["title"] for b in listed if b["title"] == "[/]"] == ["[/]"]


@pytest.mark.parametrize(
    ("actor", "command", "message"),
    [
        (
            OFFICER,
            ("bid", "new", "--title", "ab\udcffcd", "--amount", "1", "--org", "kcc"),
            "Error: title is not valid UTF-8 text (bytes no character stands for); give it as UTF-8",
        ),
        (
            "treasurer",
            ("spend", "add", "CRG-2425-003", "1", "--date", "2024-09-01", "--supplier", "S\udcff"),
            "Error: supplier is not valid UTF-8 text (bytes no character stands for); give it as UTF-8",
        ),
        (
            OFFICER,
            ("bid", "show", "CRG-2425-00\udcff"),
            "Error: the input holds bytes that are not UTF-8 text (\\udcff); give it as UTF-8. Nothing was changed",
        ),
    ],
    ids=["title", "supplier", "reference"],
)
def test_bytes_that_are_not_utf8_on_the_command_line_are_bad_input(
    at_stage: Callable[[str], Cli], actor: str, command: tuple[str, ...], message: str
) -> None:
    """Invalid UTF-8 in an argument (Python keeps it as lone surrogates, which no database takes)."""
    cli = at_stage("tactical")
    before = cli.snapshot()
    assert error_message(cli(*command, actor=actor), 2) == message
    assert cli.snapshot() == before
