"""Helpers shared by the exports: where a file goes, writing it whole or not at all, and cells a
spreadsheet will not run."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from grants.errors import BadInput, shown

T = TypeVar("T")


def output_path(path: Path) -> Path:
    """Where an export is to be written: refused when its folder does not exist or it is a folder."""
    path = path.expanduser()
    if path.is_dir():
        raise BadInput(f"{path} is a folder; give a file name such as {path / 'export'}")
    if not path.parent.is_dir():
        raise BadInput(f"the folder {path.parent} does not exist; create it or write somewhere else")
    return path


def write_whole(path: Path, write: Callable[[Path], T]) -> T:
    """Let `write` make the file beside `path` and move it into place only once it is complete:
    a failed export leaves any earlier file as it was. Returns what `write` returned. A file the
    system will not write (no permission, a name too long, a full disk) is refused with its reason."""
    try:
        target = output_path(path)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            result = write(partial)
            os.replace(partial, target)
        except BaseException:
            with suppress(OSError):
                partial.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise BadInput(
            f"cannot write {shown(path, 80)}: {error.strerror or error}; choose another file name or folder"
        ) from error
    return result


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV or workbook cell: text that a spreadsheet would read as a formula gets a leading
    apostrophe, and control or direction characters are shown as escapes (grants.text.visible);
    numbers pass."""
    if not isinstance(value, str):
        return value
    from grants.text import visible

    value = visible(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value
