"""`grants org`: the partner organisations."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import JsonFlag, call, console, print_json
from cli.render import Grid, changes_text, folding, whole

org_app = typer.Typer(help="Partner organisations.", no_args_is_help=True)


@org_app.command("add")
def org_add(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Short key, e.g. vru.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    responsible_authority: Annotated[
        bool, typer.Option("--responsible-authority/--partner", help="Counts towards quorum?")
    ] = False,
    org_id: Annotated[str | None, typer.Option(help="Org-id for 360Giving, e.g. GB-LAE-KEN.")] = None,
) -> None:
    """Add a partner organisation (officer).

    Example: grants --as kcc-officer org add vru --name "Violence Reduction Unit" --partner
    """
    from grants.partnerships import add_organisation

    org = call(
        ctx,
        lambda scope: add_organisation(
            scope, key=key, name=name, responsible_authority=responsible_authority, org_id=org_id
        ),
        write=True,
    )
    kind = "responsible authority" if org.responsible_authority else "partner"
    console.print(f"Added {org.name} ({org.key}), {kind}.")


@org_app.command("list")
def org_list(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List the partnership's organisations.

    Example: grants org list --json
    """
    from grants.partnerships import list_organisations

    rows = call(ctx, list_organisations, write=False)
    if json_:
        print_json(
            [
                {
                    "key": org.key,
                    "name": org.name,
                    "responsible_authority": org.responsible_authority,
                    "org_id": org.org_id,
                    "members": count,
                    "retired_on": org.retired_at.date().isoformat() if org.retired_at else None,
                }
                for org, count in rows
            ]
        )
        return
    table = Grid(
        [
            whole("Key"),
            folding("Name"),
            folding("Responsible authority"),
            folding("Org-id"),
            whole("Members", right=True),
            whole("Retired"),
        ],
        title="Organisations",
    )
    for org, count in rows:
        table.add_row(
            org.key,
            org.name,
            "yes" if org.responsible_authority else "no",
            org.org_id or "",
            str(count),
            f"{org.retired_at:%Y-%m-%d}" if org.retired_at else "",
        )
    console.print(table)


@org_app.command("edit")
def org_edit(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The organisation's key.")],
    name: Annotated[str | None, typer.Option(help="Its new name.")] = None,
    responsible_authority: Annotated[
        bool | None,
        typer.Option("--responsible-authority/--partner", help="Does it count towards quorum?"),
    ] = None,
    org_id: Annotated[str | None, typer.Option(help="Its org-id for 360Giving ('' clears it).")] = None,
) -> None:
    """Change an organisation's name, responsible-authority standing or org-id (officer).

    Example: grants --as kcc-officer org edit kfrs --name "Kent Fire and Rescue" --org-id GB-GOV-KFRS
    """
    from grants.partnerships import edit_organisation

    org, changes = call(
        ctx,
        lambda scope: edit_organisation(
            scope, key, name=name, responsible_authority=responsible_authority, org_id=org_id
        ),
        write=True,
    )
    console.print(f"Changed {org.key}: {changes_text(changes)}.")


@org_app.command("retire")
def org_retire(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The organisation's key.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit trail.")] = None,
) -> None:
    """Retire an organisation with no active members (officer): its history stays.

    Example: grants --as kcc-officer org retire kalc --reason "Left the partnership"
    """
    from grants.partnerships import retire_organisation

    org = call(ctx, lambda scope: retire_organisation(scope, key, reason), write=True)
    console.print(f"Retired {org.name} ({org.key}); its bids and history stay.")


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
