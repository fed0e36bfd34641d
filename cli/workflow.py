"""`grants workflow diagram` and `grants workflow permissions`: the lifecycle and the permission
policy, printed from the tables the engine runs on."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import JsonFlag, console, fail, print_json
from cli.render import Grid, folding, whole

FORMATS = ("table", "json", "markdown")

workflow_app = typer.Typer(help="The bid lifecycle.", no_args_is_help=True)


@workflow_app.command("diagram")
def diagram() -> None:
    """Print the Mermaid state diagram of the bid lifecycle.

    Example: grants workflow diagram > lifecycle.mmd
    """
    from workflows.bid_lifecycle import mermaid_diagram

    typer.echo(mermaid_diagram())


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

    if fmt not in FORMATS:
        fail(f"--format {fmt!r} is not one of {', '.join(FORMATS)}", 2)
    fmt = "json" if json_ else fmt
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
