"""What every command shares: the two consoles, options, JSON output and turning errors into exits."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from grants.writing.formats import OutputFormat

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from grants.options import Options


class LazyConsole:
    """A Rich console made on first use, so that `grants --help` never imports Rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from cli.console import SafeConsole

            self._console = SafeConsole(**self._options)
        return getattr(self._console, name)


console: Any = LazyConsole(highlight=False)
err_console: Any = LazyConsole(stderr=True, highlight=False)

T = TypeVar("T")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")]


def json_format(fmt: str, json_: bool, default: str) -> str:
    """The format a command with both --format and --json prints: --json is --format json, and
    asking for two different formats is bad input."""
    if json_ and fmt not in (default, "json"):
        fail(f"--json and --format {fmt} ask for two formats; give one of them", 2)
    return "json" if json_ else fmt


def check_format(value: str, allowed: tuple[OutputFormat, ...]) -> OutputFormat:
    """The --format given, if it is one the command writes; otherwise exit 2 naming those it does."""
    if value not in allowed:
        fail(f"--format {value!r} is not one of {', '.join(allowed)}", 2)
    return OutputFormat(value)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print the message on stderr and leave with the exit code (the only exit path). The message
    is shown as written: text in it that looks like Rich markup (a file named `[bold]x.csv`) or an
    escape sequence is data (cli/render.py)."""
    from cli.render import styled

    err_console.print(styled("[bold red]Error:[/] {}", message), soft_wrap=True)
    raise typer.Exit(code)


def note(message: str | Text) -> None:
    """A message for the person, on stderr, so stdout stays clean for data."""
    err_console.print(message, soft_wrap=True)


def options(ctx: typer.Context) -> Options:
    """The global options, as grants.scope.Options."""
    from grants.options import Options

    root = ctx.find_root()
    return root.obj if isinstance(root.obj, Options) else Options()


def guarded(work: Callable[[], T], *, passthrough: tuple[type[Exception], ...] = ()) -> T:
    """Run work; a domain error becomes its message and exit code, and so does a file the system
    refuses (a name too long, no permission): exit 2, naming the file. Errors in `passthrough`
    are left for the caller to show."""
    from grants.errors import GrantsError, shown

    try:
        return work()
    except passthrough:
        raise
    except GrantsError as error:
        fail(str(error), error.exit_code)
    except UnicodeEncodeError as error:
        # Bytes on the command line that are not UTF-8 reached the database (which refused them
        # before anything was written): the user's input.
        from grants.text import visible

        bad = visible(str(error.object[error.start : error.end]))
        fail(
            f"the input holds bytes that are not UTF-8 text ({bad}); give it as UTF-8. Nothing was changed", 2
        )
    except OSError as error:
        if error.filename is None:
            raise
        fail(f"cannot use the file {shown(error.filename, 80)}: {error.strerror or error}", 2)


def call(
    ctx: typer.Context,
    work: Callable[[Any], T],
    *,
    write: bool,
    bulk: bool = False,
    passthrough: tuple[type[Exception], ...] = (),
) -> T:
    """Run one service call in the command's one transaction and return its result (`bulk`: a
    write whose rows refer only to rows it read or wrote itself; see grants.db.session_scope)."""
    from grants.scope import open_scope

    def run() -> T:
        with open_scope(options(ctx), write=write, bulk=bulk) as scope:
            return work(scope)

    return guarded(run, passthrough=passthrough)


def print_document(document: str, fmt: str) -> None:
    """A report or export on stdout as it is (CSV, Markdown, JSON, a journal), with any control
    or direction character in it shown as an escape (for JSON, a `\\uXXXX` one): a terminal
    never acts on what a user typed."""
    from grants.text import json_text, visible

    write_stdout(json_text(document) if fmt == "json" else visible(document))


def print_json(data: Any) -> None:
    """JSON straight to stdout, never through Rich markup; invisible characters in strings as
    `\\uXXXX` escapes (the same data, inert on a terminal)."""
    from grants.text import json_text

    write_stdout(json_text(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n")


def write_stdout(text: str) -> None:
    """Data on stdout; if its reader has gone (a closed pipe), the rest is dropped and the command
    ends as it would have: printing can never make a committed command look failed."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        from cli.console import stop_writing

        stop_writing(sys.stdout)


WideFlag = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="Show every column of the table, at full width (lines may be longer than the terminal).",
    ),
]
