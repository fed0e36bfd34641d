"""Any partnership: the partnership file, init from it, its round trip, managing organisations,
members, priorities, criteria and rules after init, and 360Giving ids unique across partnerships."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Cli, demo_copy
from tests.test_approvals import ok
from tests.test_publish import problems

# A Welsh partnership: a quarter tactical, a quorum of three, its own thresholds and criteria.
CARDIFF = """\
# Cardiff's partnership file
name = "Cardiff Community Safety Partnership"
slug = "cardiff-csp"

[funder]
name = "South Wales Police and Crime Commissioner"
grant_id_prefix = "swpcc-cardiff"

[rules]
tactical_share = "1/4"
quorum = 3
consensus_threshold = 60
moderation_spread = 30

[[organisations]]
key = "cardiff-council"
name = "Cardiff Council"
responsible_authority = true
org_id = "GB-LAE-CRF"

[[organisations]]
key = "south-wales-police"
name = "South Wales Police"
responsible_authority = true

[[organisations]]
key = "swfrs"
name = "South Wales Fire and Rescue Service"
responsible_authority = true

[[organisations]]
key = "cv-uhb"
name = "Cardiff and Vale University Health Board"
responsible_authority = true

[[organisations]]
key = "probation"
name = "The Probation Service in Wales"
responsible_authority = true

[[organisations]]
key = "victim-support"
name = "Victim Support Cymru"
responsible_authority = false

[[members]]
handle = "officer"
name = "Community Safety Officer"
organisation = "cardiff-council"
roles = ["officer"]

[[members]]
handle = "chair"
name = "Partnership Chair"
organisation = "cardiff-council"
roles = ["chair"]

[[members]]
handle = "opcc"
name = "OPCC Commissioning"
organisation = "south-wales-police"
roles = ["pcc"]

[[members]]
handle = "treasurer"
name = "Treasurer"
organisation = "cardiff-council"
roles = ["treasurer"]

[[members]]
handle = "wg-council"
name = "Council lead"
organisation = "cardiff-council"
roles = ["member"]

[[members]]
handle = "wg-police"
name = "Police lead"
organisation = "south-wales-police"
roles = ["member"]

[[members]]
handle = "wg-fire"
name = "Fire lead"
organisation = "swfrs"
roles = ["member"]

[[members]]
handle = "wg-health"
name = "Health lead"
organisation = "cv-uhb"
roles = ["member"]

[[members]]
handle = "wg-probation"
name = "Probation lead"
organisation = "probation"
roles = ["member"]

[[members]]
handle = "wg-victims"
name = "Victim Support lead"
organisation = "victim-support"
roles = ["partner"]

[[criteria]]
key = "fit"
title = "Fit with the priorities"
weight = 50
descriptors = ["Not at all", "Barely", "In part", "Mostly", "Well", "Exactly"]

[[criteria]]
key = "need"
title = "Evidence of need"
weight = 30

[[criteria]]
key = "value"
title = "Value for money"
weight = 20

[[pcc_priorities]]
key = "safer-communities"
title = "Safer communities"

[[partnership_priorities]]
key = "night-time-economy"
title = "A safe night-time economy"

[[cross_cutting_themes]]
key = "early-intervention"
title = "Early intervention"
"""


@pytest.fixture(autouse=True)
def in_2024_25(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands act in the year they work on (a payment after its award, a rollover after the
    year's end: `after_year_end`)."""
    monkeypatch.setenv("GRANTS_TODAY", "2024-06-03")


AFTER_YEAR_END = {"GRANTS_TODAY": "2025-04-02"}


def write(tmp_path: Path, text: str, name: str = "partnership.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def cardiff(cli: Cli, tmp_path: Path) -> Cli:
    ok(cli("init", "--from", write(tmp_path, CARDIFF, "cardiff.toml")))
    return cli


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- init ------------------------------------------------------------------------------------


def test_init_without_preset_or_file_loads_nothing_of_kent(cli: Cli) -> None:
    result = ok(
        cli(
            "init",
            "--partnership",
            "Wealden Community Safety Partnership",
            "--slug",
            "wealden-csp",
            "--funder",
            "Sussex Police and Crime Commissioner",
            "--officer",
            "wdc-officer",
            "--officer-name",
            "Community Safety Officer",
            "--officer-org",
            "wdc",
            "--officer-org-name",
            "Wealden District Council",
        )
    )
    assert "Created Wealden Community Safety Partnership (wealden-csp) with 1 organisation" in one_line(
        result.stdout
    )
    orgs = json.loads(ok(cli("org", "list", "--json")).stdout)
    assert [(o["key"], o["name"]) for o in orgs] == [("wdc", "Wealden District Council")]
    assert json.loads(ok(cli("priority", "list", "--json")).stdout) == []
    ok(cli("year", "open", "2025/26", "--allocation", "10,000", actor="wdc-officer"))
    year = json.loads(ok(cli("year", "show", "--json")).stdout)
    assert year["reference"] == []
    text = ok(cli("config", "show", "--toml")).stdout.lower()
    assert "kent" not in text and "kcc" not in text
    assert 'grant_id_prefix = "sussex-police-and-cr-wealden-csp"' in text


def test_init_officer_organisation_must_exist_or_be_named(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", "--preset", "kent", "--officer", "o", "--officer-name", "O", "--officer-org", "wdc")
    assert result.exit_code == 2
    assert "organisation 'wdc' is not in the partnership (kcc, kent-police" in one_line(result.stderr)
    assert not Path(cli.url.split("///", 1)[1]).exists()


def test_init_needs_an_officer(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", "--preset", "kent")
    assert result.exit_code == 2
    assert "the partnership needs an officer to manage it" in one_line(result.stderr)


def test_kent_preset_is_the_demo_partnership(cli: Cli) -> None:
    ok(
        cli(
            "init",
            "--preset",
            "kent",
            "--officer",
            "kcc-officer",
            "--officer-name",
            "O",
            "--officer-org",
            "kcc",
        )
    )
    ok(cli("year", "open", "2024/25", "--allocation", "39,661", actor="kcc-officer"))
    year = json.loads(ok(cli("year", "show", "--json")).stdout)
    assert (
        year["pots"]["upfront"]["allocated"] == "£26,440"
        and year["pots"]["tactical"]["allocated"] == "£13,221"
    )
    kinds = [item["kind"] for item in year["reference"]]
    assert (kinds.count("pcc_priority"), kinds.count("csa_priority"), kinds.count("cross_cutting_theme")) == (
        8,
        8,
        5,
    )


# --- the round trip --------------------------------------------------------------------------


def test_round_trip_of_a_partnership_changed_after_init(demo: Cli, tmp_path: Path) -> None:
    """The demo (a year open, members added, then changes of every kind) → file → new database → file."""
    officer = "kcc-officer"
    ok(demo("org", "edit", "kfrs", "--org-id", "GB-GOV-KFRS", "--name", "Kent Fire & Rescue", actor=officer))
    ok(demo("org", "add", "vcs", "--name", "Voluntary sector", "--partner", actor=officer))
    ok(demo("member", "edit", "wg-kfrs", "--roles", "member,chair", actor=officer))
    ok(demo("member", "retire", "wg-probation", actor=officer))
    ok(demo("priority", "add", "theme", "digital", "--title", 'Online harms "and" scams', actor=officer))
    ok(demo("priority", "retire", "pcc", "vawg", actor=officer))
    ok(demo("config", "set", "quorum", "3", actor=officer))
    ok(demo("config", "set", "tactical-share", "1/4", actor=officer))
    first = ok(demo("config", "show", "--toml")).stdout
    assert 'org_id = "GB-GOV-KFRS"' in first and 'handle = "wg-probation"' not in first
    assert 'key = "vawg"' in first  # the CSA priority of that key stays; the PCC one is retired
    assert first.count('key = "vawg"') == 1
    other = Cli(f"sqlite:///{tmp_path / 'other.sqlite'}")
    ok(other("init", "--from", write(tmp_path, first)))
    second = ok(other("config", "show", "--toml")).stdout
    assert second == first


def test_round_trip_of_the_example_file_and_the_preset(cli: Cli, tmp_path: Path) -> None:
    from grants.partnership_file import dumps, example_text, parse, preset_text

    for text in (example_text(), preset_text("kent"), CARDIFF):
        once = dumps(parse(text))
        assert dumps(parse(once)) == once
    ok(cli("init", "--from", write(tmp_path, CARDIFF)))
    shown = ok(cli("config", "show", "--toml")).stdout
    other = Cli(f"sqlite:///{tmp_path / 'b.sqlite'}")
    ok(other("init", "--from", write(tmp_path, shown, "shown.toml")))
    assert ok(other("config", "show", "--toml")).stdout == shown
    assert '"Not at all"' in shown


def test_readme_and_init_help_show_the_example_file() -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from grants.partnership_file import example_text

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- partnership-file -->\n```toml\n", 1)[1].split(
        "```\n<!-- /partnership-file -->"
    )[0]
    assert block == example_text()
    help_text = CliRunner().invoke(app, ["init", "--help"]).stdout
    for line in example_text().splitlines():
        assert line.strip() in help_text


# --- a file with every kind of mistake -------------------------------------------------------

MISTAKES = [
    (
        "unknown key",
        CARDIFF.replace("quorum = 3\n", "quorum = 3\nquorate = 4\n"),
        "line 12: rules.quorate: unknown key 'quorate'; the keys here are: tactical_share, quorum, "
        "consensus_threshold, moderation_spread",
    ),
    (
        "wrong type",
        CARDIFF.replace("quorum = 3", 'quorum = "three"'),
        "line 11: rules.quorum: should be a whole number, not the text 'three'",
    ),
    (
        "wrong type of flag",
        CARDIFF.replace("responsible_authority = false", 'responsible_authority = "no"'),
        "line 44: organisations[6].responsible_authority: should be true or false, not the text 'no'",
    ),
    (
        "duplicate organisation",
        CARDIFF.replace('key = "cv-uhb"', 'key = "swfrs"'),
        "line 32: organisations[4].key: organisation 'swfrs' is listed twice; give each key once",
    ),
    (
        "weights not summing to 100",
        CARDIFF.replace("weight = 20", "weight = 15"),
        "line 106: criteria: the weights sum to 95 (50 + 30 + 15); they must sum to 100",
    ),
    (
        "member of an unknown organisation",
        CARDIFF.replace('organisation = "probation"', 'organisation = "nps"'),
        "line 97: members[9].organisation: there is no organisation 'nps' in this file; known: "
        "cardiff-council, cv-uhb, probation, south-wales-police, swfrs, victim-support",
    ),
    (
        "missing key",
        CARDIFF.replace('grant_id_prefix = "swpcc-cardiff"\n', ""),
        "line 5: funder: 'grant_id_prefix' is missing; add grant_id_prefix = …",
    ),
    (
        "unknown role",
        CARDIFF.replace('roles = ["chair"]', 'roles = ["chiar"]'),
        "line 56: members[2].roles: unknown role 'chiar'; roles are: officer, member, partner, chair, pcc, treasurer",
    ),
    (
        "quorum that cannot be met",
        CARDIFF.replace("quorum = 3", "quorum = 6"),
        "line 11: rules.quorum: a quorum of 6 responsible authorities cannot be met: the file has 5",
    ),
    (
        "a share that is not one",
        CARDIFF.replace('"1/4"', '"a quarter"'),
        "line 10: rules.tactical_share: 'a quarter' is not a share; write a fraction below 1, e.g. \"1/3\"",
    ),
    (
        "five descriptors",
        CARDIFF.replace('"Not at all", ', ""),
        "line 110: criteria[1].descriptors: has 5 texts; give six, saying what a score of 0, 1, 2, 3, 4 and 5 means",
    ),
    (
        "not TOML",
        CARDIFF.replace('slug = "cardiff-csp"', "slug = cardiff-csp"),
        "is not valid TOML: Invalid value (at line 3, column 8)",
    ),
]


@pytest.mark.parametrize(("mistake", "text", "message"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_file_mistake_is_a_clear_error_creating_nothing(
    cli: Cli, tmp_path: Path, mistake: str, text: str, message: str
) -> None:
    result = cli("init", "--from", write(tmp_path, text))
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not Path(cli.url.split("///", 1)[1]).exists(), "a refused file created the database"


def test_file_with_every_mistake_lists_them_all_in_line_order(cli: Cli, tmp_path: Path) -> None:
    text = (
        CARDIFF.replace("quorum = 3\n", "quorum = 3\nquorate = 4\n")
        .replace('key = "cv-uhb"', 'key = "swfrs"')
        .replace("weight = 20", "weight = 15")
        .replace('organisation = "probation"', 'organisation = "nps"')
    )
    result = cli("init", "--from", write(tmp_path, text))
    assert result.exit_code == 2
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("line ")]
    assert [line.split(":")[0] for line in lines] == ["line 12", "line 33", "line 92", "line 98", "line 107"]
    assert "has 5 problems; nothing was created" in one_line(result.stderr)


def test_bad_file_into_an_existing_database_changes_nothing(kcsp: Cli, tmp_path: Path) -> None:
    before = kcsp.snapshot()
    result = kcsp("init", "--from", write(tmp_path, CARDIFF.replace("weight = 20", "weight = 25")))
    assert result.exit_code == 2
    assert kcsp.snapshot() == before


def test_missing_file_and_unknown_preset(cli: Cli, tmp_path: Path) -> None:
    missing = cli("init", "--from", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 3 and "there is no partnership file" in missing.stderr
    preset = cli("init", "--preset", "sussex", "--officer", "o", "--officer-name", "O", "--officer-org", "x")
    assert preset.exit_code == 2 and "there is no preset 'sussex'; presets are: kent" in preset.stderr


# --- a whole year of a partnership outside Kent ----------------------------------------------


def score(cli: Cli, who: str, ref: str = "CRG-2425-001") -> None:
    ok(
        cli(
            "score",
            ref,
            "--criterion",
            "fit=4",
            "--criterion",
            "need=4",
            "--criterion",
            "value=3",
            "--support",
            actor=who,
        )
    )


def test_welsh_partnership_runs_a_whole_year_through_the_cli(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    opened = json.loads(
        ok(cli("year", "open", "2024/25", "--allocation", "20,000", "--json", actor="officer")).stdout
    )
    assert (opened["pots"]["upfront"]["allocated"], opened["pots"]["tactical"]["allocated"]) == (
        "£15,000",
        "£5,000",
    )
    assert opened["tactical_share"] == "1/4"
    ok(
        cli(
            "bid",
            "new",
            "--title",
            "Night-time safety marshals",
            "--amount",
            "3,000",
            "--summary",
            "Marshals in the city centre on Friday and Saturday nights",
            "--pcc-priority",
            "safer-communities",
            "--csa-priority",
            "night-time-economy",
            "--outcomes",
            "Fewer assaults",
            "--measures",
            "Recorded violence",
            "--ends",
            "2025-03-31",
            actor="wg-police",
        )
    )
    ok(cli("bid", "submit", "CRG-2425-001", actor="wg-police"))
    ok(cli("scoring", "open", "--all", actor="officer"))
    ok(
        cli(
            "member",
            "interest",
            "wg-probation",
            "CRG-2425-001",
            "--reason",
            "Partner agency",
            actor="officer",
        )
    )
    score(cli, "wg-council")
    score(cli, "wg-fire")
    assert (
        cli(
            "score",
            "CRG-2425-001",
            "--criterion",
            "fit=4",
            "--criterion",
            "need=4",
            "--criterion",
            "value=3",
            "--support",
            actor="wg-victims",
        ).exit_code
        == 1
    )  # a partner never scores
    short = cli("shortlist", "CRG-2425-001", actor="officer")
    assert short.exit_code == 1
    # Only members who may score this bid: not the lead's (police), not wg-probation (interest).
    assert (
        "the quorum rule needs 3 responsible authorities, has 2 (cardiff-council, swfrs); "
        "still to score: wg-health (cv-uhb); south-wales-police leads the bid, so its members are recused"
    ) in one_line(short.stderr)
    score(cli, "wg-health")
    ok(cli("shortlist", "CRG-2425-001", actor="officer"))
    ok(cli("approve", "CRG-2425-001", actor="chair"))
    ok(cli("approve", "CRG-2425-001", "--amount", "2,800", actor="opcc"))
    ok(cli("delivery", "start", "CRG-2425-001", actor="wg-police"))
    payments = tmp_path / "payments.csv"
    payments.write_text(
        'date,reference,amount,supplier,invoice\n2024-10-31,CRG-2425-001,"2,500.00",Marshals Ltd,M-1\n'
    )
    autumn = {"GRANTS_TODAY": "2024-11-01"}
    ok(cli("spend", "import", str(payments), actor="treasurer", env=autumn))
    ok(
        cli(
            "delivery",
            "complete",
            "CRG-2425-001",
            "--outcome",
            "Marshals on 40 nights",
            actor="wg-police",
            env=autumn,
        )
    )
    ok(cli("close", "CRG-2425-001", actor="treasurer", env=autumn))
    ok(cli("report", "reconcile", actor="treasurer", env=autumn))
    ok(cli("check"))
    ok(cli("audit", "verify"))
    out = tmp_path / "cardiff.json"
    ok(cli("export", "360giving", "--out", str(out)))
    data = json.loads(out.read_text(encoding="utf-8"), parse_float=Decimal)
    assert problems(data) == []
    (grant,) = data["grants"]
    assert grant["id"] == "360G-swpcc-cardiff-CRG-2425-001"
    assert grant["amountAwarded"] == 2800
    assert grant["fundingOrganization"][0]["name"] == "South Wales Police and Crime Commissioner"
    ok(cli("rollover", "2024/25", "--apply", actor="officer", env=AFTER_YEAR_END))
    following = json.loads(ok(cli("year", "show", "--json")).stdout)
    assert following["year"] == "2025/26" and following["tactical_share"] == "1/4"


# --- unique 360Giving ids across partnerships ------------------------------------------------


def test_init_refuses_a_prefix_another_partnership_uses(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    before = cli.snapshot()
    other = CARDIFF.replace('slug = "cardiff-csp"', 'slug = "newport-csp"').replace(
        '"swpcc-cardiff"', '"SWPCC-cardiff"'
    )
    result = cli("init", "--from", write(tmp_path, other, "newport.toml"))
    assert result.exit_code == 1
    assert (
        "the 360Giving grant-id prefix 'SWPCC-cardiff' is used by partnership 'cardiff-csp' in this database"
        in one_line(result.stderr)
    )
    assert cli.snapshot() == before


def _fund_first_bid(cli: Cli, slug: str) -> None:
    def run(*args: str, actor: str) -> None:
        ok(cli("--partnership", slug, *args, actor=actor))

    run("year", "open", "2024/25", "--allocation", "20,000", actor="officer")
    run(
        "bid",
        "new",
        "--title",
        f"Project of {slug}",
        "--amount",
        "1,000",
        "--summary",
        "S",
        "--pcc-priority",
        "safer-communities",
        "--csa-priority",
        "night-time-economy",
        "--outcomes",
        "O",
        "--measures",
        "M",
        "--ends",
        "2025-03-31",
        actor="wg-police",
    )
    run("bid", "submit", "CRG-2425-001", actor="wg-police")
    run("scoring", "open", "--all", actor="officer")
    for who in ("wg-council", "wg-fire", "wg-health"):
        run(
            "score",
            "CRG-2425-001",
            "--criterion",
            "fit=5",
            "--criterion",
            "need=5",
            "--criterion",
            "value=5",
            "--support",
            actor=who,
        )
    run("shortlist", "CRG-2425-001", actor="officer")
    run("approve", "CRG-2425-001", actor="chair")
    run("approve", "CRG-2425-001", actor="opcc")


def test_two_partnerships_in_one_database_never_share_a_grant_id(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    newport = (
        CARDIFF.replace('slug = "cardiff-csp"', 'slug = "newport-csp"')
        .replace("Cardiff Community Safety Partnership", "Newport Community Safety Partnership")
        .replace('"swpcc-cardiff"', '"swpcc-newport"')
    )
    ok(cli("init", "--from", write(tmp_path, newport, "newport.toml")))
    ids: list[str] = []
    for slug in ("cardiff-csp", "newport-csp"):
        _fund_first_bid(cli, slug)
        data = json.loads(ok(cli("--partnership", slug, "export", "360giving")).stdout, parse_float=Decimal)
        assert problems(data) == []
        ids += [g["id"] for g in data["grants"]]
        ids += [org["id"] for g in data["grants"] for org in g["recipientOrganization"] if "ORG" in org["id"]]
    assert ids == [
        "360G-swpcc-cardiff-CRG-2425-001",
        "360G-swpcc-newport-CRG-2425-001",
        "360G-swpcc-newport-ORG-south-wales-police",
    ] or len(ids) == len(set(ids))
    assert len(ids) == len(set(ids))
    with sqlite3.connect(cli.url.split("///", 1)[1]) as connection:
        prefixes = [row[0] for row in connection.execute("SELECT funder_prefix FROM partnership")]
    assert len(prefixes) == len(set(prefixes)) == 2


def test_database_refuses_a_shared_prefix_even_behind_the_application(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    with sqlite3.connect(cli.url.split("///", 1)[1]) as connection, pytest.raises(sqlite3.IntegrityError):
        connection.execute(
            "INSERT INTO partnership (slug, name, funder_name, funder_prefix, programme, quorum_authorities, "
            "consensus_threshold, moderation_spread, tactical_share, audit_head, audit_count, created_at) "
            "SELECT 'x', name, funder_name, funder_prefix, programme, quorum_authorities, consensus_threshold, "
            "moderation_spread, tactical_share, audit_head, 0, created_at FROM partnership"
        )


# --- organisations and members after init ----------------------------------------------------


def test_org_edit_and_retire_are_audited(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    edited = ok(
        cli(
            "org",
            "edit",
            "swfrs",
            "--name",
            "Mid and West Wales Fire",
            "--org-id",
            "GB-GOV-1",
            actor="officer",
        )
    )
    assert (
        "Changed swfrs: name 'South Wales Fire and Rescue Service' → 'Mid and West Wales Fire'; org id None → 'GB-GOV-1'."
        in one_line(edited.stdout)
    )
    ok(cli("org", "edit", "victim-support", "--responsible-authority", actor="officer"))
    busy = cli("org", "retire", "victim-support", actor="officer")
    assert busy.exit_code == 1
    assert "victim-support still has 1 active member (wg-victims); retire them or move them" in one_line(
        busy.stderr
    )
    ok(cli("member", "edit", "wg-victims", "--org", "cardiff-council", actor="officer"))
    ok(cli("org", "retire", "victim-support", "--reason", "Merged", actor="officer"))
    orgs = {o["key"]: o for o in json.loads(ok(cli("org", "list", "--json")).stdout)}
    assert (
        orgs["victim-support"]["retired_on"] is not None and orgs["victim-support"]["responsible_authority"]
    )
    refused = cli("member", "add", "new", "--name", "N", "--org", "victim-support", actor="officer")
    assert refused.exit_code == 1 and "organisation 'victim-support' was retired on" in refused.stderr
    again = cli("org", "edit", "victim-support", "--name", "X", actor="officer")
    assert again.exit_code == 1
    actions = [e["action"] for e in json.loads(ok(cli("audit", "log", "--json")).stdout)]
    assert actions.count("organisation.edit") == 2 and "organisation.retire" in actions


def test_org_edit_nothing_and_wrong_role(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    before = cli.snapshot()
    nothing = cli("org", "edit", "swfrs", actor="officer")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr
    wrong = cli("org", "edit", "swfrs", "--name", "X", actor="wg-fire")
    assert (
        wrong.exit_code == 1
        and "wg-fire may not edit organisations: the action edit-organisation needs the role officer"
        in wrong.stderr
    )
    assert cli.snapshot() == before


def test_retired_member_keeps_history_and_can_no_longer_act(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    ok(cli("year", "open", "2024/25", "--allocation", "20,000", actor="officer"))
    ok(
        cli(
            "bid",
            "new",
            "--title",
            "T",
            "--amount",
            "1,000",
            "--summary",
            "S",
            "--pcc-priority",
            "safer-communities",
            "--csa-priority",
            "night-time-economy",
            "--outcomes",
            "O",
            "--measures",
            "M",
            "--ends",
            "2025-03-31",
            actor="wg-police",
        )
    )
    ok(cli("bid", "submit", "CRG-2425-001", actor="wg-police"))
    ok(cli("scoring", "open", "--all", actor="officer"))
    score(cli, "wg-fire")
    retired = ok(cli("member", "retire", "wg-fire", "--reason", "Left the service", actor="officer"))
    assert "Retired wg-fire (Fire lead)" in retired.stdout
    before = cli.snapshot()
    for command in (
        (
            "score",
            "CRG-2425-001",
            "--criterion",
            "fit=1",
            "--criterion",
            "need=1",
            "--criterion",
            "value=1",
            "--oppose",
        ),
        ("bid", "list"),
    ):
        refused = cli(*command, actor="wg-fire")
        assert refused.exit_code == 1 or "bid" in command
        if refused.exit_code == 1:
            assert "wg-fire was retired from cardiff-csp on" in one_line(refused.stderr)
            assert "can no longer act; their history is kept" in one_line(refused.stderr)
    assert cli.snapshot() == before
    history = json.loads(ok(cli("audit", "log", "--json", actor="officer")).stdout)
    assert any(e["action"] == "score.submit" and e["actor"] == "wg-fire" for e in history)
    members = {m["handle"]: m for m in json.loads(ok(cli("member", "list", "--json")).stdout)}
    assert members["wg-fire"]["retired_on"] is not None
    readd = cli("member", "add", "wg-fire", "--name", "F", "--org", "swfrs", actor="officer")
    assert readd.exit_code == 1 and "a handle is never reused" in readd.stderr
    still = json.loads(ok(cli("audit", "log", "--json")).stdout)
    assert any(e["action"] == "member.retire" and e["reason"] == "Left the service" for e in still)


def test_retired_member_is_refused_on_writes(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    ok(cli("member", "retire", "treasurer", actor="officer"))
    result = cli("year", "open", "2024/25", "--allocation", "1,000", actor="treasurer")
    assert result.exit_code == 1 and "treasurer was retired from cardiff-csp" in one_line(result.stderr)


def test_member_edit_roles_and_last_officer(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    edited = ok(
        cli(
            "member",
            "edit",
            "wg-council",
            "--roles",
            "member,officer",
            "--name",
            "Council lead (deputy)",
            actor="officer",
        )
    )
    assert "roles 'member' → 'officer,member'" in one_line(edited.stdout)
    ok(cli("member", "retire", "officer", actor="wg-council"))
    last = cli("member", "retire", "wg-council", actor="wg-council")
    assert last.exit_code == 1 and "wg-council is the last officer of cardiff-csp" in one_line(last.stderr)
    unknown = cli("member", "edit", "nobody", "--name", "N", actor="wg-council")
    assert unknown.exit_code == 3


def test_member_who_scored_in_a_closed_year_keeps_their_organisation(demo_rollover: Cli) -> None:
    moved = demo_rollover("member", "edit", "wg-kfrs", "--org", "kcc", actor="kcc-officer")
    assert moved.exit_code == 1
    assert "wg-kfrs scored bids of 2024/25 as a member of kfrs, and that year is closed" in one_line(
        moved.stderr
    )
    standing = demo_rollover("org", "edit", "kfrs", "--partner", actor="kcc-officer")
    assert (
        standing.exit_code == 1
        and "whether kfrs is a responsible authority decided those quorums" in one_line(standing.stderr)
    )
    ok(demo_rollover("member", "edit", "wg-kfrs", "--name", "Fire lead", actor="kcc-officer"))


@pytest.fixture
def demo_rollover(cli: Cli) -> Cli:
    demo_copy(cli.url, rollover=True)
    return cli


# --- priorities ------------------------------------------------------------------------------


def test_priority_add_edit_retire_in_the_open_year(kcsp: Cli) -> None:
    officer = "kcc-officer"
    added = ok(
        kcsp("priority", "add", "pcc", "retail-crime", "--title", "Reduce retail crime", actor=officer)
    )
    assert "Added PCC priority retail-crime (Reduce retail crime) to 2024/25." in added.stdout
    ok(kcsp("priority", "edit", "pcc", "retail-crime", "--title", "Reduce shop theft", actor=officer))
    ok(kcsp("priority", "retire", "pcc", "vawg", actor=officer))
    items = json.loads(ok(kcsp("priority", "list", "--json")).stdout)
    pcc = [i["key"] for i in items if i["kind"] == "pcc"]
    assert "retail-crime" in pcc and "vawg" not in pcc
    assert {"kind": "pcc", "key": "retail-crime", "title": "Reduce shop theft", "retired_on": None} in items
    chosen = kcsp(
        "bid", "new", "--title", "T", "--amount", "100", "--pcc-priority", "vawg", actor="wg-police"
    )
    assert chosen.exit_code == 2 and "PCC priority 'vawg' was retired for 2024/25" in chosen.stderr
    twice = kcsp("priority", "add", "pcc", "retail-crime", "--title", "X", actor=officer)
    assert twice.exit_code == 1
    bad_kind = kcsp("priority", "add", "csa", "x", "--title", "X", actor=officer)
    assert bad_kind.exit_code == 2 and "kind 'csa' is not one of pcc, partnership, theme" in bad_kind.stderr
    actions = [e["action"] for e in json.loads(ok(kcsp("audit", "log", "--json")).stdout)]
    assert {"priority.add", "priority.edit", "priority.retire"} <= set(actions)


def test_closed_year_refuses_priority_and_criteria_changes(demo_rollover: Cli) -> None:
    before = demo_rollover.snapshot()
    for command in (
        ("priority", "add", "pcc", "x", "--title", "X"),
        ("priority", "retire", "pcc", "vawg"),
        ("criteria", "edit", "value", "--weight", "10"),
        ("criteria", "remove", "value"),
    ):
        result = demo_rollover("--year", "2024/25", *command, actor="kcc-officer")
        assert result.exit_code == 1, command
        assert "the year 2024/25 is closed" in result.stderr
    assert demo_rollover.snapshot() == before
    ok(demo_rollover("priority", "add", "pcc", "x", "--title", "X", actor="kcc-officer"))


def test_retired_priority_is_not_copied_to_the_next_year(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    ok(cli("year", "open", "2024/25", "--allocation", "1,000", actor="officer"))
    ok(cli("priority", "retire", "theme", "early-intervention", actor="officer"))
    ok(cli("rollover", "2024/25", "--apply", actor="officer", env=AFTER_YEAR_END))
    items = json.loads(ok(cli("priority", "list", "--json")).stdout)
    assert [i["key"] for i in items] == ["safer-communities", "night-time-economy"]


# --- criteria --------------------------------------------------------------------------------


def test_criteria_edit_and_remove_before_scoring(kcsp: Cli) -> None:
    officer = "kcc-officer"
    ok(kcsp("criteria", "edit", "need", "--descriptors", "None|Poor|Weak|Fair|Good|Strong", actor=officer))
    removed = ok(kcsp("criteria", "remove", "value", actor=officer))
    assert "Removed value (Value for money) from 2024/25." in removed.stdout
    assert "The remaining weights sum to 85; a partnership file needs 100" in one_line(removed.stderr)
    ok(kcsp("criteria", "edit", "need", "--weight", "30", actor=officer))
    keys = [c["key"] for c in json.loads(ok(kcsp("criteria", "list", "--json")).stdout)]
    assert "value" not in keys
    text = ok(kcsp("config", "show", "--toml")).stdout
    assert 'descriptors = [\n    "None",' in text or '"None", "Poor"' in text
    gone = kcsp("criteria", "edit", "value", "--weight", "5", actor=officer)
    assert gone.exit_code == 3
    five = kcsp("criteria", "edit", "need", "--descriptors", "a|b", actor=officer)
    assert five.exit_code == 2 and "give six descriptors" in five.stderr
    back = ok(kcsp("criteria", "set", "value", "--title", "Value", "--weight", "15", actor=officer))
    assert "Added value" in back.stdout


def test_criteria_refused_while_bids_are_in_scoring(round_: Cli) -> None:
    before = round_.snapshot()
    for command in (("criteria", "edit", "value", "--weight", "10"), ("criteria", "remove", "value")):
        result = round_(*command, actor="kcc-officer")
        assert result.exit_code == 1
        assert "the criteria of 2024/25 are fixed while bids are in scoring (CRG-2425-001" in result.stderr
    assert round_.snapshot() == before


# --- the rules -------------------------------------------------------------------------------


def test_config_set_applies_from_the_next_year_opened(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    ok(cli("year", "open", "2024/25", "--allocation", "20,000", actor="officer"))
    changed = ok(cli("config", "set", "tactical-share", "1/2", actor="officer"))
    assert "tactical-share is 1/2 (was 1/4) from the next year opened." in changed.stdout
    assert "2024/25 keeps the rules it opened with." in changed.stderr
    ok(cli("config", "set", "quorum", "4", actor="officer"))
    shown = json.loads(ok(cli("config", "show", "--json")).stdout)
    assert shown["rules"]["quorum"] == "4" and shown["open_year_rules"]["quorum"] == "3"
    assert json.loads(ok(cli("pot", "show", "--json")).stdout)["pots"]["tactical"]["allocated"] == "£5,000"
    ok(cli("rollover", "2024/25", "--apply", actor="officer", env=AFTER_YEAR_END))
    pots = json.loads(ok(cli("pot", "show", "--json")).stdout)["pots"]
    assert (pots["upfront"]["allocated"], pots["tactical"]["allocated"]) == ("£10,000", "£10,000")
    shown = json.loads(ok(cli("config", "show", "--json")).stdout)
    assert shown["open_year"] == "2025/26" and shown["open_year_rules"]["quorum"] == "4"
    events = [
        e for e in json.loads(ok(cli("audit", "log", "--json")).stdout) if e["action"] == "partnership.rule"
    ]
    assert len(events) == 2


@pytest.mark.parametrize(
    ("rule", "value", "message"),
    [
        ("quorum", "6", "a quorum of 6 cannot be met: the partnership has 5 active responsible authorities"),
        ("quorum", "three", "quorum 'three' is not a whole number"),
        ("consensus-threshold", "101", "consensus-threshold 101 is out of range; give 0 to 100"),
        ("tactical-share", "2/1", "tactical-share '2/1' is not a share"),
        ("speed", "1", "there is no rule 'speed'; the rules are: quorum, consensus-threshold"),
        ("quorum", "3", "quorum is 3 already; nothing changed"),
    ],
)
def test_config_set_refuses_bad_values(cli: Cli, tmp_path: Path, rule: str, value: str, message: str) -> None:
    cardiff(cli, tmp_path)
    before = cli.snapshot()
    result = cli("config", "set", rule, value, actor="officer")
    assert result.exit_code == 2 and message in one_line(result.stderr)
    assert cli.snapshot() == before


def test_config_set_needs_an_officer(cli: Cli, tmp_path: Path) -> None:
    cardiff(cli, tmp_path)
    result = cli("config", "set", "quorum", "2", actor="chair")
    assert result.exit_code == 1 and "chair may not change the partnership's rules" in result.stderr
