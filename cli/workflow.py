"""`grants workflow diagram` and `grants workflow permissions`: the lifecycle and the permission
policy, printed from the tables the engine runs on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import JsonFlag, WideFlag, check_format, console, json_format, print_json
from cli.render import Grid, folding, whole
from grants.writing.formats import OutputFormat

if TYPE_CHECKING:
    from workflows.bid_lifecycle import BidStatus
    from workflows.diagram import Move

FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.markdown)

workflow_app = typer.Typer(help="The bid lifecycle.", no_args_is_help=True)


DIAGRAM_FORMATS = (OutputFormat.table, OutputFormat.mermaid, OutputFormat.dot, OutputFormat.json)


@workflow_app.command("diagram")
def diagram(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="table (the lifecycle by stage, for the terminal), mermaid or dot (diagram "
            "sources, for documents), or json.",
        ),
    ] = "table",
    json_: JsonFlag = False,
    wide: WideFlag = False,
) -> None:
    """Draw the bid lifecycle: its states grouped by stage, and each move out of a state with
    the roles that may make it and the rules it checks, from the table the engine runs on.

    At a narrow terminal the Rules column gives way; --wide, or a pipe, prints every column whole.

    Example: grants workflow diagram

    Example: grants workflow diagram --format mermaid > lifecycle.mmd
    """
    from workflows import diagram as drawing

    fmt = json_format(check_format(fmt, DIAGRAM_FORMATS), json_, "table")
    if fmt == "json":
        print_json(drawing.to_json())
    elif fmt == "mermaid":
        from workflows.bid_lifecycle import mermaid_diagram

        typer.echo(mermaid_diagram())
    elif fmt == "dot":
        typer.echo(drawing.dot_diagram(), nl=False)
    else:
        for table in lifecycle_tables(drawing.outline(), wide=wide):
            console.print(table)
        console.print("lead: any member of the bid's lead organisation. A state with no move is an end.")


LIFECYCLE_COLUMNS = (
    whole("State"),
    whole("Action"),
    whole("To"),
    folding("Who"),
    folding("Rules", drop=1),
)


def lifecycle_tables(
    outline: list[tuple[str, list[tuple[BidStatus, list[Move]]]]], wide: bool = False
) -> list[Grid]:
    """A table per stage: each state's moves, one a row, the state named on its first."""
    from workflows.diagram import rule_name

    tables = []
    for number, (stage, states) in enumerate(outline, start=1):
        table = Grid(LIFECYCLE_COLUMNS, title=f"{number}. {stage}", compact=True, wide=wide)
        for state, moves in states:
            if not moves:
                table.add_row(state.value, "(end)", "", "", "")
            for index, move in enumerate(moves):
                table.add_row(
                    state.value if index == 0 else "",
                    move.action,
                    move.to.value,
                    ", ".join(r.value for r in move.roles),
                    ", ".join(rule_name(g).replace("-", " ") for g in move.guards),  # folds at words
                )
        tables.append(table)
    return tables


@workflow_app.command("permissions")
def permissions(
    fmt: Annotated[str, typer.Option("--format", help="table, json or markdown.")] = "table",
    json_: JsonFlag = False,
) -> None:
    """Print who may do and see what: every action against every role, from the declared policy.

    A cell says yes, no, or the conditions under which the role allows the action.

    Example: grants workflow permissions --format markdown
    """
    from workflows import policy

    fmt = json_format(check_format(fmt, FORMATS), json_, "table")
    if fmt == "json":
        print_json(policy.to_json())
        return
    if fmt == "markdown":
        typer.echo(policy.markdown(), nl=False)
        return
    roles = [role.value for role in policy.Role]
    table = Grid([whole("Action"), *(folding(role) for role in roles)], title="Who may do what", compact=True)
    for row in policy.matrix(numbered=True):
        name = row["action"] + (" *" if row["transition"] else "")
        table.add_row(name, *(row["cells"][r] for r in roles))
    console.print(table)
    console.print(
        "* a move through the lifecycle: `grants workflow diagram` shows its states. "
        "lead: any member of the bid's lead organisation.",
        soft_wrap=True,
    )
    for name, rule in policy.CONDITIONS.items():
        console.print(f"{policy.condition_number(name)}. {name}: {rule}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(workflow_app, name="workflow")
