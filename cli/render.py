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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from grants.text import visible

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions
    from rich.segment import Segment
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


@dataclass(frozen=True)
class Col:
    """A table column. A key column (a reference, money figure, date, state, percentage) is never
    cut or wrapped: it is as wide as its widest cell. A secondary column folds its text to fit;
    if it has a `drop` rank it is left out, lowest rank first, when the table cannot fit the
    terminal even with every secondary column folded (`--wide` keeps it)."""

    header: str
    key: bool = False
    right: bool = False
    drop: int = 0  # 0: never dropped; 1 gives way first, then 2, …


def whole(header: str, right: bool = False, drop: int = 0) -> Col:
    return Col(header, key=True, right=right, drop=drop)


def folding(header: str, drop: int = 0, right: bool = False) -> Col:
    return Col(header, right=right, drop=drop)


def dropped_columns(columns: Sequence[Col]) -> str:
    """The droppable columns in the order they give way ("Organisation, then Pot"), for --help."""
    names = [c.header for c in sorted((c for c in columns if c.drop), key=lambda c: c.drop)]
    return ", then ".join(names)


class Grid:
    """The one way a table reaches the terminal (every table in cli/ is one).

    At an interactive terminal the table fits the width by folding secondary columns and, if that
    is not enough, dropping the droppable ones in their declared order; key columns are never cut
    (if even they do not fit, the table is printed at their width and the terminal wraps it).
    Piped, or with `wide`, the table is printed at its natural width, every column whole, so that
    nothing is cut however the output is read. Cells are plain strings or Text: user text stays
    data (cli.console.SafeConsole).
    """

    def __init__(
        self,
        columns: Sequence[Col],
        title: str | Text | None = None,
        caption: str | None = None,
        compact: bool = False,
        wide: bool = False,
    ) -> None:
        self.columns = list(columns)
        self.title = title
        self.caption = caption
        self.compact = compact
        self.wide = wide
        self.rows: list[tuple[list[Any], str | None]] = []

    def add_row(self, *cells: Any, style: str | None = None) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append((list(cells), style))

    def _table(self, keep: Sequence[int]) -> Any:
        from rich import box
        from rich.cells import cell_len
        from rich.table import Table

        options: dict[str, Any] = {"title": self.title, "caption": self.caption}
        if self.compact:
            options.update(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        table = Table(**options)
        for i in keep:
            column = self.columns[i]
            justify: Literal["right", "left"] = "right" if column.right else "left"
            if column.key:
                cells = [column.header, *(self._plain(row[i]) for row, _ in self.rows)]
                widest = max(cell_len(line) for cell in cells for line in cell.splitlines() or [""])
                table.add_column(column.header, justify=justify, no_wrap=True, min_width=widest)
            else:
                table.add_column(column.header, justify=justify, overflow="fold")
        for row, style in self.rows:
            table.add_row(*(row[i] for i in keep), style=style)
        return table

    @staticmethod
    def _plain(cell: Any) -> str:
        return visible(cell.plain if hasattr(cell, "plain") else str(cell))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        from rich.measure import Measurement

        keep = list(range(len(self.columns)))
        table = self._table(keep)
        unbounded = options.update(width=10**6)
        if self.wide or not console.is_terminal:
            natural = Measurement.get(console, unbounded, table).maximum
            yield from console.render(table, options.update(width=natural))
            return
        droppable = sorted(
            (i for i, c in enumerate(self.columns) if c.drop), key=lambda i: self.columns[i].drop
        )
        needed = Measurement.get(console, unbounded, table).minimum
        while needed > options.max_width and droppable:
            keep.remove(droppable.pop(0))
            table = self._table(keep)
            needed = Measurement.get(console, unbounded, table).minimum
        yield from console.render(table, options.update(width=max(options.max_width, needed)))


class Card:
    """One record as labelled lines (a bid's card), on the same terms as Grid: the title is a line
    of its own, wrapped at words and never cut; each label has its value beside it. A value given
    as `whole` (a reference, money, a date, a state) is never cut: the value column is at least as
    wide as the widest of them, and text folds at words around them. Piped, or with `wide`, the
    card is printed at its natural width, every value on one line."""

    def __init__(self, title: str | Text, wide: bool = False) -> None:
        self.title = title
        self.wide = wide
        self.rows: list[tuple[str, Any, bool]] = []

    def add(self, label: str, value: Any, whole: bool = False) -> None:
        self.rows.append((label, value, whole))

    def _grid(self) -> Any:
        from rich.cells import cell_len
        from rich.table import Table

        widest = max((cell_len(Grid._plain(v)) for _, v, w in self.rows if w), default=0)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold", min_width=widest)
        for label, value, _ in self.rows:
            grid.add_row(label, value)
        return grid

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        from rich.measure import Measurement

        title = self.title if not isinstance(self.title, str) else text(self.title, style="bold")
        grid = self._grid()
        if self.wide or not console.is_terminal:
            unbounded = options.update(width=10**6)
            natural = max(Measurement.get(console, unbounded, grid).maximum, 1)
            yield from console.render(title, options.update(width=max(natural, options.max_width)))
            yield from console.render(grid, options.update(width=natural))
            return
        yield from console.render(title, options)
        yield from console.render(grid, options)


def pots_json(year: Any, figures: list[Any], gate: Any = None) -> dict[str, Any]:
    from grants.pots import pots_json as figures_json

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


def pots_table(year: Any, figures: list[Any]) -> Grid:
    from grants.money import Money
    from grants.pots import POT_FIGURES

    table = Grid(
        [whole("Pot"), *(whole(name.capitalize(), right=True) for name in POT_FIGURES)],
        title=f"Pots {year.label} ({year.status.value})",
        caption="Allocated = Committed + Free (Committed: awards in force, net of releases)",
        compact=True,
    )
    for f in figures:
        table.add_row(f.kind.value, *(str(getattr(f, name)) for name in POT_FIGURES))
    if len(figures) > 1:
        table.add_row(
            "total", *(str(sum((getattr(f, name) for f in figures), Money(0))) for name in POT_FIGURES)
        )
    return table


def changes_text(changes: dict[str, list[object]]) -> str:
    return "; ".join(
        f"{field.replace('_', ' ')} {before!r} → {after!r}" for field, (before, after) in changes.items()
    )
