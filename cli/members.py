"""`grants member`: members, their organisations and roles, and their declared interests."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import JsonFlag, call, console, print_json
from cli.render import Grid, changes_text, folding, whole

Ref = Annotated[str, typer.Argument(help="Bid reference, e.g. CRG-2425-001.")]


member_app = typer.Typer(help="Members: people, their organisations and roles.", no_args_is_help=True)


@member_app.command("add")
def member_add(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="Handle, e.g. wg-police.")],
    name: Annotated[str, typer.Option(help="The person's name.")],
    org: Annotated[str, typer.Option(help="Organisation key.")],
    roles: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated: officer, member, partner, chair, pcc, treasurer. Default: member "
            "(scores) for a responsible authority, partner (leads bids, never scores) otherwise."
        ),
    ] = None,
) -> None:
    """Add a member with an organisation and roles (officer).

    Example: grants --as kcc-officer member add wg-housing --name "Housing lead" --org districts --roles member
    """
    from grants.partnerships import add_member

    member = call(
        ctx,
        lambda scope: add_member(scope, handle=handle, name=name, organisation=org, roles=roles),
        write=True,
    )
    console.print(f"Added {member.handle} ({member.name}) with roles {member.roles.replace(',', ', ')}.")


@member_app.command("list")
def member_list(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List members with their organisations and roles.

    Example: grants member list
    """
    from grants.partnerships import list_members

    rows = call(ctx, list_members, write=False)
    if json_:
        print_json(
            [
                {
                    "handle": m.handle,
                    "name": m.name,
                    "organisation": o.key,
                    "roles": m.roles.split(","),
                    "retired_on": m.retired_at.date().isoformat() if m.retired_at else None,
                }
                for m, o in rows
            ]
        )
        return
    table = Grid(
        [whole("Handle"), folding("Name"), folding("Organisation"), folding("Roles"), whole("Retired")],
        title="Members",
    )
    for m, o in rows:
        retired = f"{m.retired_at:%Y-%m-%d}" if m.retired_at else ""
        table.add_row(m.handle, m.name, o.name, m.roles.replace(",", ", "), retired)
    console.print(table)


@member_app.command("edit")
def member_edit(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="The member's handle.")],
    name: Annotated[str | None, typer.Option(help="Their new name.")] = None,
    org: Annotated[str | None, typer.Option(help="Their new organisation's key.")] = None,
    roles: Annotated[
        str | None,
        typer.Option(
            help="Their roles, all of them, comma-separated: officer, member, partner, chair, pcc, treasurer."
        ),
    ] = None,
) -> None:
    """Change a member's name, organisation or roles (officer).

    Example: grants --as kcc-officer member edit wg-kfrs --roles member,chair
    """
    from grants.partnerships import edit_member

    member, changes = call(
        ctx, lambda scope: edit_member(scope, handle, name=name, organisation=org, roles=roles), write=True
    )
    console.print(f"Changed {member.handle}: {changes_text(changes)}.")


@member_app.command("retire")
def member_retire(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="The member's handle.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit trail.")] = None,
) -> None:
    """Retire a member (officer): their sheets and history stay; they can no longer act.

    Example: grants --as kcc-officer member retire wg-probation --reason "Moved to another post"
    """
    from grants.partnerships import retire_member

    member = call(ctx, lambda scope: retire_member(scope, handle, reason), write=True)
    console.print(f"Retired {member.handle} ({member.name}); their history stays and they can no longer act.")


@member_app.command("interest")
def member_interest(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="The member with the interest.")],
    reference: Ref,
    reason: Annotated[str, typer.Option(help="The interest, e.g. 'spouse works for the provider'.")],
) -> None:
    """Declare a member's interest in a bid; they are recused from scoring it.

    Example: grants --as wg-police member interest wg-police CRG-2425-004 --reason "Sits on the provider's board"
    """
    from grants.scoring import declare_interest

    call(ctx, lambda scope: declare_interest(scope, handle, reference, reason), write=True)
    console.print(f"Recorded {handle}'s interest in {reference.upper()}; they are recused from scoring it.")


def register(app: typer.Typer) -> None:
    app.add_typer(member_app, name="member")
