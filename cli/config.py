"""`grants config`: the partnership's configuration and terms-of-reference rules."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import JsonFlag, call, console, note, print_json

if TYPE_CHECKING:
    from grants.models import FundingYear
    from grants.partnership_file import PartnershipSpec
    from grants.scope import Scope

config_app = typer.Typer(
    help="The partnership's configuration and terms-of-reference rules.", no_args_is_help=True
)


@config_app.command("show")
def config_show(
    ctx: typer.Context,
    toml: Annotated[
        bool, typer.Option("--toml", help="Write the partnership file (TOML) on stdout.")
    ] = False,
    json_: JsonFlag = False,
) -> None:
    """Show the partnership's settings and rules; --toml writes it as a partnership file, which
    `grants init --from` reads back.

    Example: grants config show --toml > kcsp.toml
    """
    from grants import partnership_config as pc

    def work(
        scope: Scope,
    ) -> tuple[PartnershipSpec, dict[str, str], FundingYear | None, dict[str, str] | None]:
        year = pc.current_year(scope)
        in_force = pc.year_rule_values(year) if year is not None and year.status.value == "open" else None
        return pc.current_spec(scope), {key: pc.rule_value(scope, key) for key in pc.RULES}, year, in_force

    spec, rules, year, in_force = call(ctx, work, write=False)
    if toml:
        from grants.partnership_file import dumps

        sys.stdout.write(dumps(spec))
        sys.stdout.flush()
        return
    from grants.partnership_config import RULES

    if json_:
        print_json(
            {
                "name": spec.name,
                "slug": spec.slug,
                "funder": spec.funder_name,
                "funder_org_id": spec.funder_org_id,
                "grant_id_prefix": spec.grant_id_prefix,
                "rules": rules,
                "open_year": year.label if year is not None and in_force is not None else None,
                "open_year_rules": in_force,
            }
        )
        return
    from cli.render import styled

    console.print(styled("[bold]{}[/] ({}), funded by {}", spec.name, spec.slug, spec.funder_name))
    console.print(f"360Giving grant ids: 360G-{spec.grant_id_prefix}-<bid reference>")
    from rich.table import Table

    table = Table(title="Rules (from the next year opened)")
    for column in ("Rule", "Value", *((year.label,) if year is not None and in_force else ()), "Meaning"):
        table.add_column(column)
    for key, setting in RULES.items():
        table.add_row(key, rules[key], *((in_force[key],) if in_force else ()), setting.meaning)
    console.print(table)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    rule: Annotated[
        str, typer.Argument(help="quorum, consensus-threshold, moderation-spread or tactical-share.")
    ],
    value: Annotated[str, typer.Argument(help="The new value, e.g. 3, 55 or 1/4.")],
) -> None:
    """Change a terms-of-reference rule (officer); it applies from the next year opened.

    Example: grants --as kcc-officer config set quorum 3
    """
    from grants.partnership_config import set_rule

    before, after, year = call(ctx, lambda scope: set_rule(scope, rule, value), write=True)
    console.print(f"{rule} is {after} (was {before}) from the next year opened.")
    if year is not None:
        note(f"{year.label} keeps the rules it opened with.")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
