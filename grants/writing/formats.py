"""The forms a report, paper or export can be written in: one name for each, so every command's
--format speaks the same words and each command declares which of them it writes."""

from __future__ import annotations

from enum import StrEnum


class OutputFormat(StrEnum):
    table = "table"  # the terminal's table
    json = "json"
    csv = "csv"
    markdown = "markdown"
    docx = "docx"  # a Word paper
    mermaid = "mermaid"  # the lifecycle diagram's source
    dot = "dot"
