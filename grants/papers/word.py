"""A committee paper as a Word document: python-docx behind the few shapes the papers use.

Headings use Word's own heading styles (Title, Heading 1, Heading 2), so the officer's template
restyles them and the navigation pane lists them. A paper may start from the partnership's own
template (`--template FILE.docx`, or a Word template .dotx): its styles, page set-up, headers and
footers are kept and its body is replaced. Every paper ends, and every page's footer says, which audit head it came from.

python-docx is imported only here, and this module only by the commands that write a docx.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell

from grants.audit_chain import AuditHead
from grants.errors import BadInput, shown
from grants.text import visible

# Funded actions are shown in purple, as the partnership's action plan keys them (seed 002: "Purple
# actions – funded projects supported by the KCSP using the PCC's Crime Reduction Grant"). Word's
# standard "Purple". Nothing else in any paper is this colour.
PURPLE = RGBColor(0x70, 0x30, 0xA0)
HEADING_STYLES = ("Title", "Heading 1", "Heading 2")
TABLE_STYLE = "Table Grid"


def _open(template: Path | None) -> DocxDocument:
    if template is None:
        return Document()
    path = template.expanduser()
    where = f"--template {shown(template, 80)}"
    if not path.is_file():
        raise BadInput(f"{where}: there is no such file; give the partnership's template as a .docx file")
    try:
        document = Document(_as_document(path))
    except (PackageNotFoundError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise BadInput(
            f"{where} is not a Word document python-docx can open ({error}); save it from Word as a "
            "Word Document (.docx) and give that"
        ) from error
    except OSError as error:
        raise BadInput(f"{where}: cannot read it: {error.strerror or error}") from error
    missing = [name for name in HEADING_STYLES if name not in _style_names(document)]
    if missing:
        raise BadInput(
            f"{where} has no {', '.join(repr(m) for m in missing)} style; the papers use Word's built-in "
            "heading styles: use them once in the template (or start from a blank Word document) and save"
        )
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return document


TEMPLATE_TYPES = (b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",)
DOCUMENT_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _as_document(path: Path) -> io.BytesIO | str:
    """A Word template (.dotx) read as the document it makes; anything else as it is."""
    if not zipfile.is_zipfile(path):
        return str(path)
    with zipfile.ZipFile(path) as source:
        types = source.read("[Content_Types].xml") if "[Content_Types].xml" in source.namelist() else b""
        if not any(t in types for t in TEMPLATE_TYPES):
            return str(path)
        copy = io.BytesIO()
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "[Content_Types].xml":
                    for t in TEMPLATE_TYPES:
                        data = data.replace(t, DOCUMENT_TYPE)
                target.writestr(item, data)
    copy.seek(0)
    return copy


def _style_names(document: DocxDocument) -> set[str]:
    return {style.name for style in document.styles if style.name}


class Paper:
    """One Word document being written, top to bottom."""

    def __init__(self, template: Path | None = None, *, landscape: bool = False) -> None:
        self.document = _open(template)
        section = self.document.sections[-1]
        if template is None:
            # A4 with 2 cm margins, as the partnership's papers are printed.
            section.page_width, section.page_height = Cm(21.0), Cm(29.7)
            for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
                setattr(section, side, Cm(2.0))
        width, height = section.page_width, section.page_height
        if landscape and width is not None and height is not None and width < height:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = section.page_height, section.page_width
        self.table_style = TABLE_STYLE if TABLE_STYLE in _style_names(self.document) else None
        self.headings: list[str] = []

    def title(self, text: str) -> None:
        self.document.add_heading(visible(text), level=0)

    def heading(self, text: str, level: int = 1) -> None:
        self.document.add_heading(visible(text), level=level)
        self.headings.append(text)

    def paragraph(self, text: str, *, label: str | None = None) -> None:
        """A paragraph; with a label, the label in bold first (`Summary`, `From:`)."""
        p = self.document.add_paragraph()
        if label:
            p.add_run(visible(label)).bold = True
            p.add_run(" ")
        p.add_run(visible(text))

    def numbered(self, number: str, text: str) -> None:
        """A numbered paragraph of a section, `2.1 …`, as committee papers number them."""
        p = self.document.add_paragraph()
        p.add_run(visible(number)).bold = True
        p.add_run("\t" + visible(text))
        p.paragraph_format.left_indent = Cm(1.0)
        p.paragraph_format.first_line_indent = Cm(-1.0)

    def bullets(self, lines: Iterable[str]) -> None:
        # The style's id, looked up once: python-docx scans every style each time it is given one.
        names = _style_names(self.document)
        style_id = self.document.styles["List Bullet"].style_id if "List Bullet" in names else None
        for line in lines:
            p = self.document.add_paragraph(visible(line if style_id else f"• {line}"))
            if style_id:
                p._p.style = style_id
            p.paragraph_format.left_indent = Cm(1.5)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        purple: Iterable[int] = (),
        total: Sequence[str] | None = None,
        numeric: Iterable[int] = (),
        widths: Sequence[float] = (),
    ) -> Table:
        """A table with a bold header row; the rows whose indexes are in `purple` in purple; a
        bold total row last. Columns in `numeric` are right-aligned."""
        table = self.document.add_table(rows=0, cols=len(header))
        if self.table_style:
            table.style = self.document.styles[self.table_style]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        right = set(numeric)
        purple_rows = set(purple)
        self._row(table, header, bold=True, right=right)
        _repeat_as_header(table.rows[0])
        for index, row in enumerate(rows):
            self._row(table, row, colour=PURPLE if index in purple_rows else None, right=right)
        if total is not None:
            self._row(table, total, bold=True, right=right)
        if widths:
            table.autofit = False
            for column, width in zip(table.columns, widths, strict=True):
                column.width = Cm(width)
            for tr in table._tbl.tr_lst:  # each row's own cells (`row.cells` rebuilds the grid)
                for tc, width in zip(tr.tc_lst, widths, strict=True):
                    tc.width = Cm(width)
        self.document.add_paragraph()
        return table

    @staticmethod
    def _row(
        table: Table,
        values: Sequence[str],
        *,
        bold: bool = False,
        colour: RGBColor | None = None,
        right: set[int],
    ) -> None:
        # The new row's own cells: `row.cells` rebuilds the whole table's grid on every call.
        cells = [_Cell(tc, table) for tc in table.add_row()._tr.tc_lst]
        for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
            p = cell.paragraphs[0]
            run = p.add_run(visible(value))
            run.font.size = Pt(9)
            run.bold = bold or None
            if colour is not None:
                run.font.color.rgb = colour
            if index in right:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    def picture(self, png: bytes, caption: str, width_cm: float = 15.0) -> None:
        self.document.add_picture(io.BytesIO(png), width=Cm(width_cm))
        self.document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        p = self.document.add_paragraph()
        p.add_run(visible(caption)).italic = True
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def audit(self, head: AuditHead, made_from: str) -> None:
        """The last paragraph and every page's footer name the audit head the paper came from."""
        line = f"{made_from} at {head.text} (sha256 {head.hash})."
        self.document.add_paragraph()
        p = self.document.add_paragraph()
        run = p.add_run(visible(line))
        run.italic = True
        run.font.size = Pt(8)
        for section in self.document.sections:
            footer = section.footer
            footer.is_linked_to_previous = False
            fp = footer.add_paragraph()
            fr = fp.add_run(visible(head.text))
            fr.font.size = Pt(8)
        self.document.core_properties.comments = head.text

    def save(self, path: Path, title: str) -> None:
        self.document.core_properties.title = visible(title)
        self.document.save(str(path))


def _repeat_as_header(row: object) -> None:
    """A long table repeats its header row on every page."""
    # python-docx makes its get_or_add_* element methods when the class is made: mypy cannot see them.
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    element = tr_pr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    tr_pr.append(element)
