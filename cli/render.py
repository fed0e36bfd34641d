"""How everything reaches the terminal: user text as data through one console, and the shared
renderings (pots as a table or JSON).

Nothing a user typed is ever read as Rich markup, an emoji code, an escape sequence or a
hyperlink: every string printed, put in a table cell or a title is plain text (the console
parses no markup in strings), with control and direction characters shown as escapes
(grants.text.visible; the console is cli.console.SafeConsole); the only markup is the code's
own, in `styled` templates, whose values are data. Rendering therefore cannot fail on what a
user typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grants.text import visible

if TYPE_CHECKING:
    from rich.text import Text


def text(value: object, style: str = "") -> Text:
    """A user value as Rich text: plain, visible, never markup."""
    from rich.text import Text

    return Text(visible(str(value)), style=style)


def styled(template: str, *values: object) -> Text:
    """The code's own Rich markup with `{}` fields filled by values that are data: each value is
    made visible and escaped, so only the template's tags style anything.

    styled("[red]✗[/] {}: {}", problem.check, problem.message)
    """
    from rich.markup import escape
    from rich.text import Text

    filled = template.format(*(escape(visible(str(v))) for v in values))
    return Text.from_markup(filled, emoji=False)


def pots_json(year: Any, figures: list[Any], gate: Any = None) -> dict[str, Any]:
    from grants.years import pots_json as figures_json

    data: dict[str, Any] = {"year": year.label, "status": year.status.value, "pots": figures_json(figures)}
    if gate is not None:
        data["tactical_gate"] = gate.to_json()
    return data


def gate_line(gate: Any) -> Text:
    """One sentence on the tactical pot's gate."""
    if gate.open:
        return styled("Tactical pot: [green]open[/] (every upfront bid is decided).")
    return styled(
        "Tactical pot: [yellow]closed[/] until every upfront bid is decided; held by {}.",
        ", ".join(gate.held_by),
    )


def pots_table(year: Any, figures: list[Any]) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=f"Pots {year.label} ({year.status.value})", box=box.SIMPLE_HEAD, pad_edge=False)
    from grants.money import Money
    from grants.years import POT_FIGURES

    table.add_column("Pot")
    for name in POT_FIGURES:
        table.add_column(name.capitalize(), justify="right")
    for f in figures:
        table.add_row(f.kind.value, *(str(getattr(f, name)) for name in POT_FIGURES))
    if len(figures) > 1:
        table.add_row(
            "total", *(str(sum((getattr(f, name) for f in figures), Money(0))) for name in POT_FIGURES)
        )
    table.caption = "Allocated = Committed + Free (Committed: awards in force, net of releases)"
    return table
