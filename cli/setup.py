"""Commands that set a partnership up: init, organisations and members."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import JsonFlag, call, console, guarded, note, options, print_json
from cli.render import Grid, folding, whole

org_app = typer.Typer(help="Partner organisations.", no_args_is_help=True)
member_app = typer.Typer(help="Members: people, their organisations and roles.", no_args_is_help=True)


def init(
    ctx: typer.Context,
    partnership: Annotated[str, typer.Option("--partnership", help="The partnership's name.")],
    slug: Annotated[str, typer.Option(help="Short name used in commands, e.g. kcsp.")],
    officer: Annotated[str, typer.Option(help="Handle of the first officer, e.g. kcc-officer.")],
    officer_name: Annotated[str, typer.Option(help="The first officer's name.")],
    officer_org: Annotated[str, typer.Option(help="The first officer's organisation key.")] = "kcc",
    funder: Annotated[str, typer.Option(help="Who gives the grant.")] = "Kent Police and Crime Commissioner",
    funder_prefix: Annotated[
        str | None, typer.Option(help="360Giving prefix for grant ids (default: from the funder).")
    ] = None,
) -> None:
    """Create (or upgrade) the database, a partnership, its responsible authorities and first officer.

    Example: grants init --partnership "Kent Community Safety Partnership" --slug kcsp
    --officer kcc-officer --officer-name "Community Safety Officer"
    """
    from grants.partnerships import init_partnership

    result = guarded(
        lambda: init_partnership(
            options(ctx),
            name=partnership,
            slug=slug,
            officer_handle=officer,
            officer_name=officer_name,
            officer_org=officer_org,
            funder=funder,
            funder_prefix=funder_prefix,
        )
    )
    console.print(
        f"Created {result.partnership.name} ({result.partnership.slug}) with "
        f"{result.organisations} responsible authorities and officer {result.officer.handle}."
    )
    from grants.clock import today
    from grants.years import label_containing

    note(
        f"Next: grants --as {result.officer.handle} year open {label_containing(today())} --allocation AMOUNT"
    )


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
        ],
        title="Organisations",
    )
    for org, count in rows:
        table.add_row(
            org.key, org.name, "yes" if org.responsible_authority else "no", org.org_id or "", str(count)
        )
    console.print(table)


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

    Example: grants --as kcc-officer member add wg-police --name "Police lead" --org kent-police --roles member
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
                {"handle": m.handle, "name": m.name, "organisation": o.key, "roles": m.roles.split(",")}
                for m, o in rows
            ]
        )
        return
    table = Grid(
        [whole("Handle"), folding("Name"), folding("Organisation"), folding("Roles")], title="Members"
    )
    for m, o in rows:
        table.add_row(m.handle, m.name, o.name, m.roles.replace(",", ", "))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(org_app, name="org")
    app.add_typer(member_app, name="member")
