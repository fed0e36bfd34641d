"""Commands that set a partnership up: init, organisations and members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import console, guarded, note, options
from grants.wording import counted

if TYPE_CHECKING:
    from grants.partnerships import InitResult


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
        f"Created {result.partnership.name} ({result.partnership.slug}) with "
        f"{counted(result.organisations, 'organisation')} "
        f"({counted(result.authorities, 'responsible authority')}) and officer {result.officer.handle}."
    )
    note(
        f"Next: grants --as {result.officer.handle} year open {label_containing(today())} --allocation AMOUNT"
    )


def register(app: typer.Typer) -> None:
    app.command("init", epilog=_example_epilog())(init)
