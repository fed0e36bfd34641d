"""The foundation through the command line: init, organisations, members, years, pots, checks, audit."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.conftest import Cli


def init(cli: Cli):  # type: ignore[no-untyped-def]
    return cli(
        "init",
        "--preset",
        "kent",
        "--officer",
        "kcc-officer",
        "--officer-name",
        "Community Safety Officer",
        "--officer-org",
        "kcc",
    )


def test_init_creates_partnership_authorities_and_officer(cli: Cli) -> None:
    result = init(cli)
    assert result.exit_code == 0, result.output
    assert (
        "Created Kent Community Safety Partnership (kcsp) with 7 organisations (7 responsible authorities)"
        in result.stdout
    )
    orgs = json.loads(cli("org", "list", "--json").stdout)
    assert [o["key"] for o in orgs] == [
        "districts",
        "kcc",
        "kent-police",
        "kfrs",
        "nhs-icb",
        "opcc",
        "probation",
    ]
    assert all(o["responsible_authority"] for o in orgs)
    members = json.loads(cli("member", "list", "--json").stdout)
    assert members == [
        {
            "handle": "kcc-officer",
            "name": "Community Safety Officer",
            "organisation": "kcc",
            "roles": ["officer"],
            "retired_on": None,
        }
    ]


def test_init_twice_refuses_and_changes_nothing(cli: Cli) -> None:
    init(cli)
    again = init(cli)
    assert again.exit_code == 1
    assert "partnership 'kcsp' already exists" in again.stderr


def test_year_open_splits_allocation_into_seed_pots(cli: Cli) -> None:
    init(cli)
    result = cli("year", "open", "2024/25", "--allocation", "£39,661", "--json", actor="kcc-officer")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["pots"]["upfront"]["allocated"] == "£26,440"
    assert data["pots"]["tactical"]["allocated_pence"] == 1_322_100
    assert data["pots"]["upfront"]["uncommitted_pence"] == 2_644_000


def test_year_open_refuses_bad_grouping_and_writes_nothing(cli: Cli) -> None:
    init(cli)
    before = cli("audit", "log", "--json").stdout
    result = cli("year", "open", "2024/25", "--allocation", "£6,00", actor="kcc-officer")
    assert result.exit_code == 2
    assert "bad digit grouping" in result.stderr
    assert cli("audit", "log", "--json").stdout == before
    assert cli("year", "list", "--json").stdout.strip() == "[]"


def test_year_open_refuses_bad_year_label(cli: Cli) -> None:
    init(cli)
    result = cli("year", "open", "2024/26", "--allocation", "100", actor="kcc-officer")
    assert result.exit_code == 2
    assert "year '2024/26' is not a UK financial year; write it as 2024/25" in result.stderr


def test_write_without_actor_is_refused(cli: Cli) -> None:
    init(cli)
    result = cli("year", "open", "2024/25", "--allocation", "39661")
    assert result.exit_code == 1
    assert "nobody is acting: give --as HANDLE or set GRANTS_USER" in result.stderr


def test_write_by_unknown_actor_is_refused(cli: Cli) -> None:
    init(cli)
    result = cli("year", "open", "2024/25", "--allocation", "39661", actor="mallory")
    assert result.exit_code == 1
    assert "'mallory' is not a member of kcsp" in result.stderr


def test_write_with_wrong_role_names_the_role_needed(kcsp: Cli) -> None:
    result = kcsp("member", "add", "x", "--name", "X", "--org", "kcc", actor="treasurer")
    assert result.exit_code == 1
    assert (
        "treasurer may not add members: the action add-member needs the role officer (treasurer has treasurer)"
        in result.stderr
    )


def test_actor_from_environment(kcsp: Cli) -> None:
    result = kcsp(
        "member", "add", "wg-extra", "--name", "Extra", "--org", "kcc", env={"GRANTS_USER": "kcc-officer"}
    )
    assert result.exit_code == 0, result.output


def test_global_options_may_follow_the_command(kcsp: Cli) -> None:
    result = kcsp(
        "org",
        "add",
        "kmsab",
        "--name",
        "Kent Association of Local Councils",
        "--partner",
        "--as",
        "kcc-officer",
    )
    assert result.exit_code == 0, result.output


def test_member_add_refuses_unknown_role_and_organisation(kcsp: Cli) -> None:
    bad_role = kcsp(
        "member", "add", "x", "--name", "X", "--org", "kcc", "--roles", "boss", actor="kcc-officer"
    )
    assert bad_role.exit_code == 2
    assert "unknown role 'boss'" in bad_role.stderr
    bad_org = kcsp("member", "add", "x", "--name", "X", "--org", "nowhere", actor="kcc-officer")
    assert bad_org.exit_code == 3
    assert "there is no organisation 'nowhere'" in bad_org.stderr


def test_pot_show_json_has_pence_and_display(kcsp: Cli) -> None:
    data = json.loads(kcsp("pot", "show", "--json").stdout)
    assert data["year"] == "2024/25"
    assert data["pots"]["upfront"] == {
        "allocated_pence": 2644000,
        "allocated": "£26,440",
        "committed_pence": 0,
        "committed": "£0",
        "free_pence": 2644000,
        "free": "£26,440",
        "spent_pence": 0,
        "spent": "£0",
        "released_pence": 0,
        "released": "£0",
        "returned_pence": 0,
        "returned": "£0",
        "uncommitted_pence": 2644000,
        "uncommitted": "£26,440",
    }


def test_year_show_lists_reference_data(kcsp: Cli) -> None:
    data = json.loads(kcsp("year", "show", "2024/25", "--json").stdout)
    kinds = {item["kind"] for item in data["reference"]}
    assert kinds == {"pcc_priority", "csa_priority", "cross_cutting_theme"}
    assert "asb-and-crime" in {item["key"] for item in data["reference"]}


def test_second_open_year_is_refused(kcsp: Cli) -> None:
    result = kcsp("year", "open", "2025/26", "--allocation", "39661", actor="kcc-officer")
    assert result.exit_code == 1
    assert "2024/25 is still open" in result.stderr


def test_check_and_verify_pass_on_demo(kcsp: Cli) -> None:
    assert kcsp("check").exit_code == 0
    verified = kcsp("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "The audit chain verifies" in verified.stdout


def test_verify_names_event_changed_by_raw_sql(kcsp: Cli) -> None:
    path = kcsp.url.split("///", 1)[1]
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3")
    result = kcsp("audit", "verify")
    assert result.exit_code == 4
    assert "audit event #3" in result.stderr and "was changed after it was recorded" in result.stderr
    assert kcsp("check").exit_code == 4


def test_verify_notices_deleted_last_event(kcsp: Cli) -> None:
    path = kcsp.url.split("///", 1)[1]
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)")
    result = kcsp("audit", "verify")
    assert result.exit_code == 4
    assert "events were removed" in result.stderr


def test_check_finds_pot_cache_out_of_step_with_ledger(kcsp: Cli) -> None:
    path = kcsp.url.split("///", 1)[1]
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE pot SET uncommitted_pence = uncommitted_pence + 100 WHERE kind = 'upfront'")
    result = kcsp("check", "--json")
    assert result.exit_code == 4
    problems = json.loads(result.stdout)["problems"]
    assert [p["check"] for p in problems] == ["pot-cache"]
    assert "records £26,441 uncommitted but the ledger gives £26,440" in problems[0]["message"]


def test_commands_on_missing_database_say_run_init(cli: Cli) -> None:
    result = cli("status")
    assert result.exit_code == 3
    assert "create one with `grants init`" in result.stderr


def test_audit_log_shows_who_did_what(kcsp: Cli) -> None:
    events = json.loads(kcsp("audit", "log", "--json", "--limit", "1000").stdout)
    assert events[0]["action"] == "partnership.init"
    opened = [e for e in events if e["action"] == "year.open"]
    assert opened[0]["actor"] == "kcc-officer" and opened[0]["subject"] == "year 2024/25"
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_backup_copy_passes_checks(kcsp: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "copy.sqlite"
    assert kcsp("db", "backup", str(target)).exit_code == 0
    restored = Cli(f"sqlite:///{target}")
    assert restored("check").exit_code == 0
    assert restored("audit", "verify").exit_code == 0
    assert restored("pot", "show", "--json").stdout == kcsp("pot", "show", "--json").stdout


def test_help_and_version_do_not_import_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "from cli.main import run\n"
        "for args in (['--help'], ['--version'], ['bid', '--help'] if False else ['year', '--help']):\n"
        "    try:\n"
        "        run(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('sqlalchemy' in sys.modules, 'sqlmodel' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_every_command_has_help_with_an_example() -> None:
    from typer.main import get_command

    from cli.main import app

    def walk(command, path):  # type: ignore[no-untyped-def]
        sub = getattr(command, "commands", None)
        if sub:
            for name, child in sub.items():
                yield from walk(child, [*path, name])
        else:
            yield " ".join(path), command

    missing = [name for name, command in walk(get_command(app), []) if "Example:" not in (command.help or "")]
    assert missing == []


def test_the_line_builds_only_the_command_it_names() -> None:
    import typer.main

    from cli.main import COMMANDS, app

    group = typer.main.get_command(app)
    assert group.commands._built == {}  # type: ignore[attr-defined]
    approve = group.commands["approve"]
    built = set(group.commands._built)  # type: ignore[attr-defined]
    assert approve.name == "approve" and built == {n for n, m in COMMANDS.items() if m is COMMANDS["approve"]}
    assert list(group.commands) == list(COMMANDS)  # help, and "Did you mean", know every name


def test_every_module_registers_exactly_the_commands_the_table_gives_it() -> None:
    import typer
    import typer.main

    from cli.main import COMMANDS

    for module in set(COMMANDS.values()):
        holder = typer.Typer()
        holder.callback()(lambda: None)
        module.register(holder)
        names = set(typer.main.get_command(holder).commands)  # type: ignore[attr-defined]
        assert names == {n for n, m in COMMANDS.items() if m is module}, module.__name__


@pytest.mark.parametrize(
    "line",
    [
        ["--as", "kcc-officer", "--year", "2024/25", "bid", "list", "--json"],
        ["bid", "list", "--json", "--as", "kcc-officer", "--year", "2024/25"],
        ["bid", "--as", "kcc-officer", "list", "--year=2024/25", "--json"],
    ],
)
def test_global_options_stand_before_or_after_the_command(demo: Cli, line: list[str]) -> None:
    from cli.main import app

    result = CliRunner().invoke(app, ["--db", demo.url, *line])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 10


def test_a_global_option_after_a_report_names_its_year(demo: Cli) -> None:
    result = demo("report", "reconcile", "--year", "2023/24", actor="kcc-officer")
    assert result.exit_code == 3
    assert "kcsp has no year 2023/24" in result.stderr
    shown = demo("report", "reconcile", "--format", "json", "--year", "2024/25", actor="kcc-officer")
    assert json.loads(shown.stdout)["year"] == "2024/25"


def test_init_keeps_its_own_partnership_option(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cli.main import app

    url = str(tmp_path / "x.sqlite")
    made = CliRunner().invoke(
        app,
        [
            "init",
            "--partnership",
            "Wealden CSP",
            "--slug",
            "wealden",
            "--funder",
            "Sussex PCC",
            "--officer",
            "wdc-officer",
            "--officer-name",
            "Officer",
            "--officer-org",
            "wdc",
            "--officer-org-name",
            "Wealden DC",
            "--db",
            url,
        ],
    )
    assert made.exit_code == 0, made.output
    assert "Created Wealden CSP (wealden)" in made.stdout


def test_a_slim_line_runs_like_the_whole_application(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = str(tmp_path / "none.sqlite")
    code = f"from cli.main import run\nrun(['--db', {target!r}, 'year', 'list', '--json'])\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 3
    assert "there is no grants database" in out.stderr
