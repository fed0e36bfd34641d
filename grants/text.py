"""User text as data: the one place that decides how typed text is shown, so that nothing a user
typed is ever read as a terminal escape, a bidirectional override, Markdown or HTML.

The terminal (cli/render.py), the Markdown reports, CSV and workbook cells and printed JSON all
take their text through these functions.
"""

from __future__ import annotations

import re

# Characters that change how the text around them is shown rather than showing themselves:
# C0 controls but tab and newline, DEL, C1 controls (0x9b is an 8-bit CSI, 0x9d an 8-bit OSC),
# the Arabic letter mark, zero-width and direction marks, line and paragraph separators,
# bidirectional embeddings, overrides and isolates (U+202A-E, U+2066-9), invisible operators,
# the byte-order mark, interlinear annotation controls, and lone surrogates (invalid UTF-8 on the
# command line), which a terminal cannot even be sent.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


def _escape_code(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """The text with every control, direction or invisible character written as an escape
    (`\\x1b`, `\\u202e`), so that it shows what is there instead of acting on the display.
    Tab and newline stay. Applying it twice changes nothing more."""
    return INVISIBLE.sub(_escape_code, text)


def has_invisible(text: str) -> bool:
    return INVISIBLE.search(text) is not None


# The characters that make Markdown (CommonMark and GitHub's dialect) anywhere in a line:
# emphasis, code, links and images (`[`, `]`), tables, strikethrough, escapes. An underscore
# between two letters or digits (`in_delivery`) can never start or end emphasis, so it stays.
_MARKDOWN_INLINE = re.compile(r"([\\`*\[\]|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
# What makes a block at the start of a line: a heading, a list item, a setext underline, a quote
# (already an entity), a numbered list item; and indentation (a code block).
_MARKDOWN_LINE_START = re.compile(r"^[ \t]*(?:([#+\-=])|(\d+)([.)]))", re.MULTILINE)


def markdown_text(text: str) -> str:
    """User text as inert Markdown: HTML is written as entities (`<script>` shows as typed and
    never runs), each character Markdown could read as syntax is backslash-escaped (so `[pay](…)`
    or a `javascript:` link never becomes a link, `# x` never a heading), and invisible
    characters are made visible. Rendered, it reads exactly as typed."""
    return _MARKDOWN_LINE_START.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", _inline(text)
    )


def _inline(text: str) -> str:
    text = visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_INLINE.sub(r"\\\1", text)


def markdown_cell(text: str) -> str:
    """User text inside one Markdown table cell: inert, and on one line."""
    return _inline(" ".join(text.split()))


def markdown_table(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    """The lines of a Markdown table whose cells are data (each through markdown_cell)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(markdown_cell(str(c)) for c in row) + " |" for row in rows]


def json_text(dumped: str) -> str:
    """JSON text (from json.dumps with ensure_ascii=False) with invisible characters written as
    `\\uXXXX` escapes: the same data when parsed, but inert on a terminal. They can only stand
    inside JSON strings, so the replacement never touches the structure."""
    return INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
