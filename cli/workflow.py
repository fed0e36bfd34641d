"""`grants workflow diagram`: the lifecycle as Mermaid, generated from the declared table."""

from __future__ import annotations

import typer

workflow_app = typer.Typer(help="The bid lifecycle.", no_args_is_help=True)


@workflow_app.command("diagram")
def diagram() -> None:
    """Print the Mermaid state diagram of the bid lifecycle.

    Example: grants workflow diagram > lifecycle.mmd
    """
    from workflows.bid_lifecycle import mermaid_diagram

    typer.echo(mermaid_diagram())


def register(app: typer.Typer) -> None:
    app.add_typer(workflow_app, name="workflow")
