"""The Rich console every command prints through, for which every string is data (imported on
first use, so that `grants --help` never imports Rich)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from grants.text import visible


class SafeConsole(Console):
    """A Rich console for which every string is data.

    `render_str` (how Rich turns every printed string, table cell and table title into text)
    never parses markup or emoji codes and makes invisible characters visible; and `render`
    makes the text of every segment visible and drops hyperlinks, so that even a Text built
    elsewhere cannot send an escape sequence or an OSC 8 link to the terminal.
    """

    def render_str(self, text: str, **options: Any) -> Text:
        return Text(
            visible(text),
            style=options.get("style") or "",
            justify=options.get("justify"),
            overflow=options.get("overflow"),
        )

    def print(self, *objects: Any, **options: Any) -> None:
        """As Rich's, except that a table (cli.render.Grid) is never cropped to the console's
        width: piped it is printed at its natural width, so that no figure is cut."""
        from cli.render import Card, Grid

        if any(isinstance(o, Grid | Card) for o in objects):
            options.setdefault("crop", False)
        super().print(*objects, **options)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control:  # Rich's own cursor moves (progress bars), not text
                yield segment
                continue
            text, style = segment.text, segment.style
            if style is not None and style.link:
                style = style.update_link(None)
            yield Segment(visible(text), style)

    def on_broken_pipe(self) -> None:
        """The reader of the output went away (`grants … | head -1`): the rest of the output is
        dropped and the command ends as it would have, instead of Rich's exit 1 — a write that
        has committed must not look failed (a script would do it again)."""
        self.quiet = True
        stop_writing(self.file)


def stop_writing(stream: Any) -> None:
    """Send the rest of what goes to `stream` (stdout or stderr) nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass
