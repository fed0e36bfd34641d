"""Reading payments as finance systems write them: one row parser for `spend add` and `spend import`,
and the files themselves (CSV in UTF-8, UTF-16 or Windows-1252, and .xlsx workbooks).

No database here: `grants.spend` stages what this module reads and checks it against the bids.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from grants.errors import BadInput, shown
from grants.money import Money, plain_pence
from grants.partnerships import _CONTROL, clean_text
from grants.wording import article

SUPPLIER_LIMIT = 200
INVOICE_LIMIT = 100
FIELDS = ("date", "reference", "amount", "supplier", "invoice")
DEFAULT_COLUMNS = {name: name for name in FIELDS}
AMOUNT_EXAMPLE = "write it as 1250.00, or a refund as -150.00, (150.00) or 150.00 CR"


# --- one payment's values ------------------------------------------------------------------------


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UK_DAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
# A time of day after the date, as a timestamp export writes it (2024-06-30 00:00:00, 30/06/2024
# 09:05, 2024-06-30T14:30:00.000): the day is what counts.
_TIME_OF_DAY = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4})(?:T| {1,3})"
    r"(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
)


def parse_paid_on(text: str) -> date:
    """A payment date as finance systems write it: 2024-06-30 or 30/06/2024 (ASCII digits only),
    with or without a time of day after it."""
    raw = (text or "").strip()
    timed = _TIME_OF_DAY.fullmatch(raw) if ":" in raw else None
    day = timed[1] if timed else raw
    try:
        if _ISO_DAY.fullmatch(day):
            return date.fromisoformat(day)
        uk = _UK_DAY.fullmatch(day)
        if uk:
            return date(int(uk[3]), int(uk[2]), int(uk[1]))
    except ValueError:
        pass
    raise BadInput(f"date {shown(raw)} is not a date; write it as 2024-06-30 or 30/06/2024")


_AFTER_SIGN = re.compile(r"(?<=[£(-])\s+")


def parse_amount(text: str) -> int:
    """Signed pence: a payment is positive; a refund or credit note negative, written as finance
    systems write it: `-150.00`, `-£150.00`, `(150.00)`, `150.00 CR` (or `150.00-`, SAP's way). A
    ledger that marks credits CR marks payments DR: `1,200.00 DR` is a payment."""
    pence = plain_pence(text)
    if pence is not None:  # the common case, 1250.00: fast
        return pence
    raw = (text or "").strip()
    if not raw.isascii():  # a look-alike minus (−, –, ‐, full width －) is a minus
        raw = raw.translate(_DASHES)
    raw = _AFTER_SIGN.sub("", raw)  # `£ 150.00`, `-£ 150.00`: Excel's accounting format
    credit = debit = False
    if len(raw) > 2 and raw[0] == "(" and raw[-1] == ")":
        raw, credit = raw[1:-1].strip(), True
    elif raw[-2:].upper() == "CR" and len(raw) > 2:
        raw, credit = raw[:-2].strip(), True
    elif raw[-2:].upper() == "DR" and len(raw) > 2:
        raw, debit = raw[:-2].strip(), True
    elif len(raw) > 1 and raw[-1] == "-" and raw[-2].isdigit():
        raw, credit = raw[:-1].strip(), True
    if credit and (raw.startswith("-") or raw.startswith("£-")):
        raise BadInput(f"amount {shown(text.strip())} is negative twice; {AMOUNT_EXAMPLE}")
    if debit and (raw.startswith("-") or raw.startswith("£-") or raw[:1] == "("):
        raise BadInput(f"amount {shown(text.strip())} is a debit (DR) and negative at once; {AMOUNT_EXAMPLE}")
    try:
        money = Money.parse(raw, allow_negative=not (credit or debit), allow_zero=False)
    except BadInput as error:
        if "is not a number" in str(error):
            raise BadInput(
                f"amount {shown((text or '').strip())} is not an amount; {AMOUNT_EXAMPLE}"
            ) from None
        message = str(error)
        if raw != (text or "").strip():  # name the amount as the file wrote it
            message = message.replace(repr(raw), repr(text.strip()), 1)
        raise BadInput(message) from None
    return -money.pence if credit else money.pence


_DASHES = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u02d7\ufe58\ufe63\uff0d", "-")
)
_INNER_SPACE = re.compile(r"\s+")


def invoice_key(invoice: str) -> str:
    """An invoice number's identity: NFKC, look-alike dashes as `-`, spaces collapsed, any case.

    `INV‐001` (a Unicode hyphen), `inv-001` and ` INV-001 ` are one invoice; paying it twice is
    what this prevents.
    """
    if invoice.isascii():
        text = invoice.strip()
        return (_INNER_SPACE.sub(" ", text) if "  " in text or "\t" in text else text).lower()
    text = unicodedata.normalize("NFKC", invoice).translate(_DASHES).replace("\u00ad", "")
    return _INNER_SPACE.sub(" ", text).strip().casefold()


class PaymentLine(NamedTuple):
    """One payment or refund as read, before it meets the bids (a tuple: a million are read)."""

    paid_on: date
    pence: int
    supplier: str
    invoice: str | None
    key: str | None

    @property
    def is_refund(self) -> bool:
        return self.pence < 0


# PaymentLine built from a tuple of its five fields, without the keyword handling of its __new__.
_new_line = PaymentLine._make


# A file has few distinct dates (a year's days) and amounts, and a million lines: each distinct
# text is parsed once and its value remembered. Only values are kept, never errors (a bad text
# is parsed, and refused, every time); the caches are emptied when full, so memory stays flat.
_CACHED = 8192
_DAYS: dict[str, date] = {}
_AMOUNTS: dict[str, int] = {}


def _day_of(text: str) -> date:
    paid_on = _DAYS.get(text)
    if paid_on is None:
        paid_on = parse_paid_on(text)
        if len(_DAYS) >= _CACHED:
            _DAYS.clear()
        _DAYS[text] = paid_on
    return paid_on


def _pence_of(text: str) -> int:
    pence = _AMOUNTS.get(text)
    if pence is None:
        pence = parse_amount(text)
        if len(_AMOUNTS) >= _CACHED:
            _AMOUNTS.clear()
        _AMOUNTS[text] = pence
    return pence


def _plain(text: str) -> bool:
    """No control character in it (what clean_text would refuse or clean): `isprintable` is the
    quick answer for nearly every cell (a control character or surrogate is never printable);
    otherwise the exact rule, which lets tabs and line breaks through to clean_text's own."""
    return text.isprintable() or _CONTROL.search(text) is None


def read_payment(
    day: str | date, amount: str | int, supplier: str, invoice: str | None, *, invoice_required: bool
) -> PaymentLine:
    """The row parser: date, signed amount, supplier and invoice of one line, checked and cleaned.

    `spend add` and `spend import` both read through here, so a value one accepts the other does.
    """
    # A text seen before is looked up where it is (a million lines, a few thousand texts).
    paid_on = day if isinstance(day, date) else (_DAYS.get(day) or _day_of(day))
    pence = amount if isinstance(amount, int) else (_AMOUNTS.get(amount) or _pence_of(amount))
    if pence == 0:
        raise BadInput(f"the amount must not be £0; {AMOUNT_EXAMPLE}")
    supplier = supplier.strip()
    if not supplier or len(supplier) > SUPPLIER_LIMIT or not _plain(supplier):
        supplier = clean_text(supplier, "supplier", limit=SUPPLIER_LIMIT)
    text = (invoice or "").strip()
    if not text or len(text) > INVOICE_LIMIT or not _plain(text):
        text = clean_text(text, "invoice", limit=INVOICE_LIMIT, required=invoice_required)
    if not text:
        return PaymentLine(paid_on, pence, supplier, None, None)
    return _new_line((paid_on, pence, supplier, text, invoice_key(text)))


# --- the grant reference in a line ---------------------------------------------------------------


class ReferenceFinder:
    """Finds the bid a line pays: its reference anywhere in the cell, in any case, as a whole word
    (`crg-2627-001 venue hire`), its look-alikes read as an invoice number's are (NFKC, Unicode
    dashes as `-`: `CRG‑2627‑001` pasted from a document). A cell with no reference is not grant
    spend (None)."""

    def __init__(self, programme: str, known: set[str]) -> None:
        self.known = known
        self.pattern = re.compile(
            rf"(?<![\w-])({re.escape(programme)}-[0-9]{{4}}-[0-9]{{3,}})(?![\w-])", re.IGNORECASE
        )

    def find(self, cell: str) -> str | None:
        whole = cell.strip().upper()
        if whole in self.known:
            return whole
        text = cell if cell.isascii() else unicodedata.normalize("NFKC", cell).translate(_DASHES)
        found = sorted({match.upper() for match in self.pattern.findall(text)})
        if not found:
            return None
        if len(found) > 1:
            raise BadInput(f"names more than one bid ({', '.join(found)}); a line pays one project")
        return found[0]


# --- the file: its encoding and its rows ---------------------------------------------------------


ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
_CHUNK = 1 << 20


def _line_of(path: Path, offset: int, encoding: str) -> tuple[int, int]:
    """The line (from 1) and the byte's position in it (from 1) of a byte offset in the file:
    the bytes before it decoded a chunk at a time, so memory stays flat however far in it is."""
    # A byte-order mark is no character of line 1: utf-8-sig drops it, as utf-16 does its own.
    name = "utf-8-sig" if encoding.startswith("utf-8") else encoding
    decoder = codecs.getincrementaldecoder(name)(errors="replace")
    line, column, left = 1, 0, offset
    with path.open("rb") as handle:
        while left > 0:
            chunk = handle.read(min(_CHUNK, left))
            left = left - len(chunk) if chunk else 0
            text = decoder.decode(chunk, final=left == 0)
            newlines = text.count("\n")
            line += newlines
            column = len(text) - text.rfind("\n") - 1 if newlines else column + len(text)
    return line, column + 1


def _first_bad_byte(path: Path, encoding: str) -> tuple[int, str] | None:
    """The offset of the first byte the encoding cannot read and the bytes it could not read, as
    a message names them ("the byte 0xE9"; in UTF-16, "the bytes 0x00 0xDC"), or None: streamed,
    so memory stays flat however large the file."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                # The bad byte may sit in bytes the decoder held back from the previous chunk.
                at = max(0, offset + error.start - len(error.object) + len(chunk))
                with path.open("rb") as again:
                    again.seek(at)
                    value = again.read(max(1, min(error.end - error.start, 4)))
                said = " ".join(f"0x{byte:02X}" for byte in value) or "0x00"
                return at, f"the byte {said}" if len(value) <= 1 else f"the bytes {said}"
            if not chunk:
                return None
            offset += len(chunk)


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 saved without a byte-order mark: text of ASCII letters has every other byte zero."""
    sample = head[: len(head) - len(head) % 2][:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.6 and even == 0:
        return "utf-16-le"
    if even > half * 0.6 and odd == 0:
        return "utf-16-be"
    return None


# A byte-order mark: the encoding it makes certain (which also drops it from the header).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def _marked(head: bytes) -> tuple[str, str] | None:
    """The encoding and its name that the file's byte-order mark makes certain, or None."""
    for bom, encoding, shown_as in _BOMS:
        if head.startswith(bom):
            return encoding, shown_as
    return None


def _has_utf8_text(path: Path) -> bool:
    """Whether the file is UTF-8 text with a stray byte rather than Windows-1252: more of its
    characters beyond ASCII read as UTF-8 (é as the two bytes C3 A9) than there are bytes UTF-8
    cannot read. A Windows-1252 file may hold a pair that happens to read as UTF-8 (`É’`, C9 92),
    but its other accents are bytes UTF-8 cannot read, so they outnumber it. Streamed, and asked
    only of a file UTF-8 cannot read whole."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # an unreadable byte: U+FFFD
    read = unreadable = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            text = decoder.decode(chunk)
            if text.isascii():
                continue
            bad = text.count("\ufffd")
            unreadable += bad
            read += len(text) - len(text.encode("ascii", "ignore")) - bad
    unreadable += decoder.decode(b"", final=True).count("\ufffd")
    return read > unreadable


def _named_encoding(path: Path, given: str, name: str, head: bytes) -> str:
    """The encoding `--encoding` names, checked against the file: every byte must read in it, and
    a byte-order mark decides (a UTF-8 file is not read as cp1252 because it was named)."""
    try:
        info = codecs.lookup(given.strip())
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):  # unknown, or hex, rot13…
        what = "an encoding Python knows" if info is None else "an encoding of text"
        raise BadInput(f"--encoding {given!r} is not {what}; use utf-8, utf-16 or cp1252 (Windows-1252)")
    encoding, marked = info.name, _marked(head)
    if marked is not None:
        if not encoding.startswith(marked[0].removesuffix("-sig")):
            raise BadInput(
                f"{name} starts with {article(marked[1])} byte-order mark, so it is {marked[1]} text, not {given}; "
                f"leave --encoding out to have it read as {marked[1]}"
            )
        encoding = marked[0]  # the mark gives the byte order, and is not part of the header
    elif encoding == "utf-16":  # no mark: the byte order is told from the text
        encoding = _utf16_without_bom(head) or encoding
    try:
        bad = _first_bad_byte(path, encoding)
    except UnicodeError as error:  # not a byte it cannot read: UTF-16 with no mark, say
        raise BadInput(
            f"{name} cannot be read as {given} text ({error}); check --encoding, or leave it out to have "
            "the encoding detected"
        ) from None
    if bad is not None:
        line, column = _line_of(path, bad[0], encoding)
        raise BadInput(
            f"{name} is not {given} text: line {line} has {bad[1]} at position {column}; "
            "check --encoding, or leave it out to have the encoding detected"
        )
    return encoding


def detect_encoding(path: Path, given: str | None, name: str) -> str:
    """The text encoding of a CSV: `--encoding` if given, else told from the bytes: a byte-order
    mark (UTF-8 or UTF-16), UTF-16 without one, UTF-8, else Windows-1252 (Excel's "CSV" save).
    The whole file is then checked in that encoding, so an error names the real line and byte."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if given:
        return _named_encoding(path, given, name, head)
    marked, utf16 = _marked(head), _utf16_without_bom(head)
    candidates = [marked[0]] if marked else [utf16] if utf16 else ["utf-8", "cp1252"]
    bad = _first_bad_byte(path, candidates[0])
    if bad is None:
        return candidates[0]
    if candidates[0] == "utf-8" and _has_utf8_text(path):
        # UTF-8 with a stray byte: read as Windows-1252, every other accent would be garbled.
        line, column = _line_of(path, bad[0], "utf-8")
        raise BadInput(
            f"{name} is UTF-8 text, but line {line} has {bad[1]} at position {column}, "
            "which UTF-8 cannot read. Correct that line, or save the file from the finance system as "
            "CSV UTF-8 again; if it is Windows-1252 text, say so with --encoding cp1252"
        )
    if len(candidates) > 1:
        second = _first_bad_byte(path, candidates[1])
        if second is None:
            return candidates[1]
        bad = second
    line, column = _line_of(path, bad[0], candidates[0])
    tried = " nor ".join(ENCODING_NAMES.get(c, c) for c in candidates)
    raise BadInput(
        f"{name} is not {tried} text: line {line} has {bad[1]} at position {column}. "
        "Save it from the finance system as CSV UTF-8, or name its encoding, e.g. --encoding cp1252"
    )


def _xlsx_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold: dates ISO, whole numbers without `.0`,
    other numbers to the penny when the float is a penny amount."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        exact = Decimal(repr(value))
        pennies = exact.quantize(Decimal("0.01"))
        return str(pennies if abs(exact - pennies) < Decimal("0.000001") else exact)
    return str(value)


def _delimiter(path: Path, encoding: str) -> str:
    """Commas, or tabs when the header has tabs and no commas (Excel's "Unicode text" save is
    UTF-16 with tabs)."""
    with path.open("r", encoding=encoding, newline="") as handle:
        header = handle.readline()
    return "\t" if "\t" in header and "," not in header else ","


_OLE = bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE compound file: .xls, or an .xlsx with a password


def is_xlsx(path: Path, name: str) -> bool:
    """Whether the file is an .xlsx workbook (a zip), else text; a workbook it cannot read is named."""
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic == _OLE:
        raise BadInput(
            f"{name} is an Excel 97-2003 (.xls) workbook or a password-protected one; save it from Excel "
            "as .xlsx without a password, or as CSV"
        )
    return magic[:4] == b"PK\x03\x04"


class Source:
    """A finance export opened for reading: its header and then (line number, cells) per row."""

    def __init__(
        self, path: Path, name: str, *, encoding: str | None = None, sheet: str | None = None
    ) -> None:
        self.path, self.name = path, name
        self.xlsx = is_xlsx(path, name)
        self._raw: Any = None
        self._workbook: Any = None
        if self.xlsx:
            if encoding:
                raise BadInput(f"{name} is a spreadsheet (.xlsx); --encoding is for CSV files only")
            self._open_xlsx(sheet)
        else:
            if sheet:
                raise BadInput(f"{name} is a CSV file; --sheet is for .xlsx spreadsheets only")
            self.encoding = detect_encoding(path, encoding, name)
            self.delimiter = _delimiter(path, self.encoding)
            self._raw = path.open("rb")
            self._reader = csv.reader(
                io.TextIOWrapper(self._raw, encoding=self.encoding, newline=""), delimiter=self.delimiter
            )
        try:
            self.header = [cell.strip() for cell in self._first()]
        except StopIteration:
            self.close()
            raise BadInput(
                f"{name} is empty; it needs a header row ({', '.join(FIELDS)}) and then one row per payment"
            ) from None
        except csv.Error as error:
            self.close()
            raise BadInput(f"{name} line 1: not readable as CSV ({error})") from None

    @property
    def read_as(self) -> str:
        """How the file was read, for the import's report: its encoding, or its sheet."""
        if self.xlsx:
            return f"sheet {self.sheet!r}"
        return ENCODING_NAMES.get(self.encoding.removesuffix("-le").removesuffix("-be"), self.encoding)

    def _open_xlsx(self, sheet: str | None) -> None:
        from openpyxl import load_workbook

        try:
            self._workbook = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as error:  # a damaged zip or a workbook openpyxl cannot read
            raise BadInput(f"{self.name} is not a readable .xlsx workbook ({error})") from None
        names = self._workbook.sheetnames
        # The sheets of rows: a chart sheet (which may come first) has no rows to read.
        tables = [each.title for each in self._workbook.worksheets]
        listed = ", ".join(repr(n) for n in tables) or "none"
        if sheet is not None and sheet not in names:  # Excel's sheet names are one in any case
            sheet = next((n for n in names if n.casefold() == sheet.strip().casefold()), sheet)
        problem = None
        if sheet is not None and sheet not in names:
            problem = (
                f"{self.name} has no sheet {sheet!r}; its sheets are {', '.join(repr(n) for n in names)}"
            )
        elif sheet is not None and sheet not in tables:
            problem = f"{self.name}'s sheet {sheet!r} is a chart, not rows of payments; its sheets of rows are {listed}"
        elif not tables:
            problem = f"{self.name} has only chart sheets; export the payments as rows"
        if problem is not None:
            self.close()
            raise BadInput(problem)
        worksheet = self._workbook[sheet or tables[0]]
        self.sheet = worksheet.title
        # Read-only openpyxl trusts the used range the writer recorded, which some finance systems
        # give as A1 (one cell a row): forget it, and read each row to its last cell.
        worksheet.reset_dimensions()
        self._rows = enumerate(worksheet.iter_rows(values_only=True), start=1)

    def _first(self) -> list[str]:
        if self.xlsx:
            _, row = next(self._rows)
            return [_xlsx_text(value) for value in row]
        return next(self._reader)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells) of every row after the header, blank rows left out."""
        if self.xlsx:
            width = len(self.header)
            for line, values in self._rows:
                row = [_xlsx_text(value) for value in values]
                if any(cell.strip() for cell in row):
                    # A sheet's row ends at its last cell: the empty cells after it are still cells,
                    # and a cell beyond the header's is in no column we read.
                    yield line, row[:width] + [""] * (width - len(row))
            return
        reader = self._reader
        ended = reader.line_num  # a row is named by the line it starts on (a quoted cell may run on)
        try:
            for row in reader:
                started, ended = ended + 1, reader.line_num
                if not row or (not row[0].strip() and not "".join(row).strip()):
                    continue
                yield started, row
        except csv.Error as error:
            raise BadInput(f"{self.name} line {reader.line_num}: not readable as CSV ({error})") from None

    def position(self) -> int:
        """How far through the file, in bytes (for a progress bar)."""
        return self._raw.tell() if self._raw is not None else 0

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
        if self._workbook is not None:
            self._workbook.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_columns(pairs: list[str] | None) -> dict[str, str]:
    """`--column date="Posting Date"` names another system's column for one of our fields."""
    columns = dict(DEFAULT_COLUMNS)
    for pair in pairs or []:
        name, sep, header = pair.partition("=")
        name = name.strip().lower()
        if not sep or name not in FIELDS or not header.strip():
            raise BadInput(
                f"--column {pair!r} is not FIELD=HEADER with FIELD one of {', '.join(FIELDS)}, "
                'e.g. --column date="Posting Date"'
            )
        columns[name] = header.strip()
    return columns


def _column_name(text: str) -> str:
    """A column's name as it is matched: any case, spaces (a no-break space too) counted as one."""
    return " ".join(text.split()).casefold()


def header_positions(header: list[str], columns: dict[str, str], name: str) -> dict[str, int]:
    """Where each field's column is; a column we read that the header names twice is an error
    (which of the two would be meant?)."""
    found: dict[str, list[int]] = {}
    for i, cell in enumerate(header):
        found.setdefault(_column_name(cell), []).append(i)
    positions, missing, twice = {}, [], []
    for field_name in FIELDS:
        wanted = columns[field_name]
        places = found.get(_column_name(wanted))
        if not places:
            missing.append(f"{wanted!r} (the {field_name})")
        elif len(places) > 1:
            twice.append(f"{wanted!r} is columns {' and '.join(str(p + 1) for p in places)}")
        else:
            positions[field_name] = places[0]
    if twice:
        raise BadInput(
            f"{name} names a column twice: {'; '.join(twice)}. Rename one in the file, or map another "
            'column with --column, e.g. --column amount="Net Amount"'
        )
    if missing:
        cells = ", ".join(repr(cell.strip()) for cell in header[:20]) or "none"
        raise BadInput(
            f"{name} has no column {' or '.join(missing)}; its header row has {cells}. "
            'Name your columns with --column, e.g. --column date="Posting Date"'
        )
    return positions
