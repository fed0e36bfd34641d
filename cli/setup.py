"""Commands that set a partnership up: init, organisations and members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import JsonFlag, call, console, guarded, note, options, print_json
from cli.render import Grid, folding, whole

if TYPE_CHECKING:
    from grants.partnerships import InitResult

org_app = typer.Typer(help="Partner organisations.", no_args_is_help=True)
member_app = typer.Typer(help="Members: people, their organisations and roles.", no_args_is_help=True)


def _example_epilog() -> str:
    """The commented example partnership file for `init --help`, kept as written: each paragraph
    starts with \\b, which stops Click re-wrapping it. Read from the package's data folder."""
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "grants" / "data" / "presets" / "example.toml"
    text = example.read_text(encoding="utf-8").strip()
    return "A partnership file for --from, commented:\n\n" + "\n\n".join(
        "\b\n" + chunk for chunk in text.split("\n\n")
    )


FromFile = Annotated[
    str | None, typer.Option("--from", help="A partnership file (TOML) to create the partnership from.")
]
Preset = Annotated[str | None, typer.Option(help="A partnership shipped with grants: kent.")]
PartnershipName = Annotated[
    str | None, typer.Option("--partnership", help="The partnership's name (or change the file's).")
]
Slug = Annotated[str | None, typer.Option(help="Short name used in commands, e.g. kcsp.")]
Officer = Annotated[str | None, typer.Option(help="Handle of the first officer, e.g. kcc-officer.")]
OfficerName = Annotated[str | None, typer.Option(help="The first officer's name.")]
OfficerOrg = Annotated[str | None, typer.Option(help="The first officer's organisation key.")]
OfficerOrgName = Annotated[
    str | None,
    typer.Option(help="Name of the officer's organisation when it is new (a responsible authority)."),
]
Funder = Annotated[
    str | None, typer.Option(help="Who gives the grant, e.g. Sussex Police and Crime Commissioner.")
]
FunderPrefix = Annotated[
    str | None,
    typer.Option(
        "--funder-prefix",
        "--grant-id-prefix",
        help="360Giving grant-id prefix, unique per partnership (default: from the funder and slug).",
    ),
]


def init(
    ctx: typer.Context,
    from_file: FromFile = None,
    preset: Preset = None,
    partnership: PartnershipName = None,
    slug: Slug = None,
    officer: Officer = None,
    officer_name: OfficerName = None,
    officer_org: OfficerOrg = None,
    officer_org_name: OfficerOrgName = None,
    funder: Funder = None,
    funder_prefix: FunderPrefix = None,
) -> None:
    """Create (or upgrade) the database and a partnership: from a partnership file, a preset, or
    only the command line (then with no organisations but the officer's, and no priorities).

    Example: grants init --from wealden.toml

    Example: grants init --preset kent --officer kcc-officer --officer-name "Community Safety Officer" --officer-org kcc

    Example: grants init --partnership "Wealden CSP" --slug wealden-csp --funder "Sussex PCC" --officer wdc-officer --officer-name "Officer" --officer-org wdc --officer-org-name "Wealden District Council"
    """
    from grants.partnership_file import read_chosen
    from grants.partnerships import init_partnership, prepare_init

    def work() -> InitResult:
        spec = prepare_init(
            read_chosen(from_file, preset),
            name=partnership,
            slug=slug,
            officer_handle=officer,
            officer_name=officer_name,
            officer_org=officer_org,
            officer_org_name=officer_org_name,
            funder=funder,
            funder_prefix=funder_prefix,
        )
        return init_partnership(options(ctx), spec)

    _report_init(guarded(work))


def _report_init(result: InitResult) -> None:
    from grants.clock import today
    from grants.years import label_containing

    console.print(
        f"Created {result.partnership.name} ({result.partnership.slug}) with {result.organisations} "
        f"organisation{'s' if result.organisations != 1 else ''} ({result.authorities} responsible "
        f"authorit{'y' if result.authorities == 1 else 'ies'}) and officer {result.officer.handle}."
    )
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


def _changes_text(changes: dict[str, list[object]]) -> str:
    return "; ".join(
        f"{field.replace('_', ' ')} {before!r} → {after!r}" for field, (before, after) in changes.items()
    )


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
    console.print(f"Changed {org.key}: {_changes_text(changes)}.")


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
    console.print(f"Changed {member.handle}: {_changes_text(changes)}.")


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


def register(app: typer.Typer) -> None:
    app.command("init", epilog=_example_epilog())(init)
    app.add_typer(org_app, name="org")
    app.add_typer(member_app, name="member")
