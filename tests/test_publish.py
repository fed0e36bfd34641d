"""Papers and open data: the Working Group's update, the action plan and the 360Giving package."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Cli
from tests.test_approvals import ok

SEVEN = [f"CRG-2425-00{n}" for n in range(1, 8)]
EIGHT = [*SEVEN, "CRG-2425-010"]
REFERENCE_SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "360giving"


def run_json(cli: Cli, *args: str) -> Any:
    return json.loads(ok(cli(*args)).stdout)


def day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def change_rows(cli: Cli, work) -> None:  # type: ignore[no-untyped-def]
    """Change the database directly, for facts no command sets (an earlier year, an org-id)."""
    from grants.db import session_scope

    with session_scope(cli.url, write=True) as session:
        work(session)


# --- the Working Group's update ------------------------------------------------------------------


def test_working_group_report_states_the_round_from_the_data(demo: Cli) -> None:
    from grants.demo_data import PROPOSALS

    text = ok(demo("report", "working-group")).stdout
    flat = " ".join(text.split())
    assert text.startswith("# Kent Community Safety Partnership Working Group Update\n")
    assert (
        "The funding allocation to the Kent Community Safety Partnership for 2024/25 is £39,661. This is the "
        "first year recorded, so there is no earlier allocation to compare it with."
    ) in flat
    assert (
        "A third of the funding (£13,221) has been allocated to a tactical pot for in-year spending, with the "
        "remaining two-thirds (£26,440) available for upfront project spend."
    ) in flat
    submitted = [
        datetime.fromisoformat(b["submitted_at"]).date()
        for b in run_json(demo, "bid", "list", "--json")
        if b["pot"] == "upfront"
    ]
    received = (
        f"on {day_text(min(submitted))}"
        if min(submitted) == max(submitted)
        else f"between {day_text(min(submitted))} and {day_text(max(submitted))}"
    )
    assert f"Nine project proposals were received from partners {received}" in flat
    assert (
        "seven of the nine received a consensus of support (see below) and were recommended for funding and "
        "submitted to the Chair of the Kent Community Safety Partnership and the Kent Police and Crime "
        "Commissioner for approval."
    ) in flat
    recommended = [f"- {p.title} (£{p.pounds:,})" for p in PROPOSALS if p.recommended]
    declined = [p.title for p in PROPOSALS if not p.recommended]
    listed = [line for line in text.splitlines() if line.startswith("- ")]
    assert listed == [*recommended, "- Total recommended: £26,278"]
    assert (
        "The other two proposals were not recommended: Rural business crime signage (CRG-2425-008, £2,200), "
        "Night-time economy safe space pilot (CRG-2425-009, £4,800)." in flat
    )
    assert len(declined) == 2
    assert (
        "Of the seven recommended projects, six are closed and one is in delivery. The Kent Police and Crime "
        "Commissioner has funded all of them, awarding £26,278."
    ) in flat
    assert (
        "The tactical pot is open, as every upfront bid has been decided. £3,000 of its £13,221 is "
        "committed and £10,221 is uncommitted. Funded from it: Summer diversionary activities for young "
        "people (CRG-2425-010, £3,000)."
    ) in flat
    assert (
        "Underspend to date: £11,383 is uncommitted (£1,162 in the upfront pot and £10,221 in the tactical "
        "pot), including £1,000 released back from awards that were not spent. Projects still under way "
        "have £1,500 of their awards left to spend."
    ) in flat
    appendix = text.split("## Appendix 1: CRG business cases – recommended projects\n", 1)[1]
    rows = [line for line in appendix.splitlines() if line.startswith("| CRG-")]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows] == SEVEN
    assert rows[0] == (
        "| CRG-2425-001 | Expert level training in ASB Case Reviews and ASB legislation | Kent County Council "
        "| £6,000 | £6,000 | closed |"
    )
    assert "|  | Total |  | £26,278 | £26,278 |  |" in appendix
    assert "CRG-2425-008" not in appendix


def test_working_group_json_carries_the_figures(demo: Cli) -> None:
    data = run_json(demo, "report", "working-group", "--format", "json")
    assert (data["allocation_pence"], data["allocation_change"], data["previous_year"]) == (
        3966100,
        "first",
        None,
    )
    assert {kind: split["amount_pence"] for kind, split in data["split"].items()} == {
        "upfront": 2644000,
        "tactical": 1322100,
    }
    assert (data["proposals_received"], data["recommended_count"], data["recommended_total"]) == (
        9,
        7,
        "£26,278",
    )
    assert [p["reference"] for p in data["recommended"]] == SEVEN
    assert [p["amount_pence"] for p in data["recommended"]] == [
        600000,
        530000,
        240000,
        457800,
        300000,
        150000,
        350000,
    ]
    assert [p["reference"] for p in data["not_recommended"]] == ["CRG-2425-008", "CRG-2425-009"]
    assert data["approvals"] == {"in_delivery": 1, "closed": 6}
    assert (data["awarded_count"], data["awarded_total_pence"]) == (7, 2627800)
    tactical = data["tactical_pot"]
    assert (tactical["open"], tactical["committed_pence"], tactical["uncommitted_pence"]) == (
        True,
        300000,
        1022100,
    )
    assert [p["reference"] for p in tactical["projects"]] == ["CRG-2425-010"]
    underspend = data["underspend"]
    assert (
        underspend["uncommitted_pence"],
        underspend["released_pence"],
        underspend["still_to_spend_pence"],
    ) == (
        1138300,
        100000,
        150000,
    )


def _earlier_year(pounds: int):  # type: ignore[no-untyped-def]
    def add(session) -> None:  # type: ignore[no-untyped-def]
        from grants.models import FundingYear, Partnership, YearStatus

        partnership = session.execute(select(Partnership)).scalar_one()
        session.add(
            FundingYear(
                partnership_id=partnership.id,
                label="2023/24",
                starts_on=date(2023, 4, 1),
                ends_on=date(2024, 3, 31),
                status=YearStatus.closed,
                allocation_pence=pounds * 100,
                tactical_share="1/3",
                opened_at=datetime(2023, 4, 1, tzinfo=UTC),
                closed_at=datetime(2024, 3, 31, tzinfo=UTC),
            )
        )

    return add


@pytest.mark.parametrize(
    ("earlier", "sentence", "change"),
    [
        (39_661, "for 2024/25 remains the same as in 2023/24 (£39,661).", "same"),
        (35_000, "for 2024/25 is £39,661, up from £35,000 in 2023/24.", "up"),
        (41_000, "for 2024/25 is £39,661, down from £41,000 in 2023/24.", "down"),
    ],
)
def test_working_group_compares_the_allocation_with_the_year_before(
    kcsp: Cli, earlier: int, sentence: str, change: str
) -> None:
    change_rows(kcsp, _earlier_year(earlier))
    text = " ".join(ok(kcsp("report", "working-group", "--year", "2024/25")).stdout.split())
    assert sentence in text
    assert "No upfront project proposals have been received for 2024/25 yet." in text
    assert "No project has been recommended yet." in text
    data = run_json(kcsp, "report", "working-group", "--format", "json")
    assert (data["allocation_change"], data["previous_year"]["allocation_pence"]) == (change, earlier * 100)


def test_working_group_reports_transfers_between_the_pots(demo: Cli) -> None:
    ok(
        demo(
            "pot",
            "transfer",
            "1,000",
            "--from",
            "upfront",
            "--to",
            "tactical",
            "--reason",
            "More",
            actor="kcc-officer",
        )
    )
    text = " ".join(ok(demo("report", "working-group")).stdout.split())
    assert "A third of the funding (£13,221) has been allocated to a tactical pot" in text
    assert (
        "After transfers between the pots, the upfront pot holds £25,440 and the tactical pot £14,221."
        in text
    )
    assert "£3,000 of its £14,221 is committed and £11,221 is uncommitted." in text
    assert "£11,383 is uncommitted (£162 in the upfront pot and £11,221 in the tactical pot)" in text


def test_working_group_before_the_decisions_shows_the_pot_held_shut(round_: Cli) -> None:
    text = " ".join(ok(round_("report", "working-group")).stdout.split())
    assert "Nine project proposals were received from partners" in text
    assert "which recorded its decisions" not in text
    assert "Nine proposals are still awaiting the Working Group's decision: Expert level training" in text
    assert (
        "The tactical pot is not open yet: it opens once every upfront bid has been decided (still undecided: "
        + ", ".join(f"CRG-2425-00{n}" for n in range(1, 10))
        + ")."
    ) in text
    assert "No project has been recommended yet, so there are no approvals to report." in text


def test_working_group_names_overrides_of_the_consensus_rule(round_: Cli) -> None:
    from grants.demo import score_proposals

    score_proposals(round_.url, ["CRG-2425-009"], first_position=8)
    ok(
        round_(
            "shortlist",
            "CRG-2425-009",
            "--override",
            "--reason",
            "Pilot agreed by the Chair",
            actor="kcc-officer",
        )
    )
    text = " ".join(ok(round_("report", "working-group")).stdout.split())
    assert (
        "the nine (one by an override of the consensus rule, with the reasons recorded) was recommended"
        in text
    )
    assert "Eight proposals are still awaiting the Working Group's decision" in text


# --- the action plan -----------------------------------------------------------------------------


def test_action_plan_lists_the_funded_projects(demo: Cli) -> None:
    data = run_json(demo, "report", "action-plan", "--format", "json")
    assert [a["reference"] for a in data["actions"]] == EIGHT
    assert (data["count"], data["total_award_pence"]) == (8, 2927800)
    first = data["actions"][0]
    assert first == {
        "reference": "CRG-2425-001",
        "priorities": ["Preventing Neighbourhood Crime & ASB"],
        "objective": "Expert level training in ASB Case Reviews and ASB legislation: Practitioners confident "
        "in running ASB case reviews and using the tools and powers.",
        "title": "Expert level training in ASB Case Reviews and ASB legislation",
        "outcomes": "Practitioners confident in running ASB case reviews and using the tools and powers.",
        "actions": "To deliver training to local partnerships on both ASB case reviews and the developing ASB "
        "legislation around tools and powers.",
        "measures": "Attendance; pre- and post-training confidence survey; case review timeliness.",
        "timescale": "2025-03-31",
        "lead_agency": "Kent County Council",
        "award_pence": 600000,
        "award": "£6,000",
        "status": "closed",
        "carried_from": None,
    }
    assert [a["status"] for a in data["actions"]].count("in_delivery") == 1
    rows = list(csv.DictReader(io.StringIO(ok(demo("report", "action-plan", "--format", "csv")).stdout)))
    assert [r["reference"] for r in rows] == EIGHT
    assert (rows[-1]["timescale"], rows[-1]["lead_agency"], rows[-1]["award_pence"]) == (
        "2024-09-30",
        "Kent County Council",
        "300000",
    )
    markdown = ok(demo("report", "action-plan")).stdout
    assert (
        "| No. | Priority | Objective / Planned Outcomes | Actions | Measure | Timescale | Lead Agency | Award "
        "| Status |" in markdown
    )
    assert "| 28 February 2025 | Kent County Council | £3,500 | in_delivery |" in markdown


def test_action_plan_is_empty_before_the_pcc_funds_anything(shortlisted: Cli) -> None:
    text = ok(shortlisted("report", "action-plan")).stdout
    assert "No project of 2024/25 has been funded yet." in text
    assert run_json(shortlisted, "report", "action-plan", "--format", "json")["actions"] == []


def test_action_plan_leaves_out_a_cancelled_award(funded: Cli) -> None:
    ok(funded("cancel", "CRG-2425-010", "--reason", "Provider withdrew", actor="opcc"))
    data = run_json(funded, "report", "action-plan", "--format", "json")
    assert [a["reference"] for a in data["actions"]] == SEVEN
    assert {a["status"] for a in data["actions"]} == {"funded"}


# --- the 360Giving package -----------------------------------------------------------------------

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time, checked here so that validation needs no optional format package."""
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


def package_validator():  # type: ignore[no-untyped-def]
    """The shipped package schema, its $ref to the grant schema answered by the shipped copy."""
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    from grants.exports.giving360 import GRANT_SCHEMA, GRANT_SCHEMA_URI, PACKAGE_SCHEMA, load_schema

    def offline(uri: str):  # type: ignore[no-untyped-def]
        raise LookupError(f"validation must not fetch {uri}")

    grant = DRAFT202012.create_resource(load_schema(GRANT_SCHEMA))
    registry = Registry(retrieve=offline).with_resources([(GRANT_SCHEMA_URI, grant), (grant.id(), grant)])
    checker = FormatChecker()
    checker.checks("date-time", raises=ValueError)(is_date_time)
    return Draft202012Validator(load_schema(PACKAGE_SCHEMA), registry=registry, format_checker=checker)


def problems(data: Any) -> list[str]:
    """Each schema error with where it is, and the reasons inside a oneOf that no branch met."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: " + " / ".join([e.message, *(c.message for c in e.context)])
        for e in package_validator().iter_errors(data)
    ]


def test_360giving_package_is_valid_with_the_eight_awards(demo: Cli, tmp_path: Path) -> None:
    out = tmp_path / "kcsp.json"
    result = ok(demo("export", "360giving", "--out", str(out)))
    assert " ".join(result.stderr.split()) == (
        f"Wrote 8 grants of 2024/25 (£29,278) to {out} as 360Giving json."
    )
    data = json.loads(out.read_text(encoding="utf-8"), parse_float=Decimal)
    assert problems(data) == []
    grants = data["grants"]
    assert [g["id"] for g in grants] == [f"360G-kentpcc-{ref}" for ref in EIGHT]
    assert [g["amountAwarded"] for g in grants] == [6000, 5300, 2400, 4578, 3000, 1500, 3500, 3000]
    assert sum(g["amountAwarded"] for g in grants) == 29278
    assert {g["awardDate"] for g in grants[:7]} == {"2024-06-03"} and grants[7]["awardDate"] == "2024-07-08"
    first = grants[0]
    assert first["recipientOrganization"] == [{"id": "360G-kentpcc-ORG-kcc", "name": "Kent County Council"}]
    assert first["fundingOrganization"] == [
        {"id": "360G-kentpcc", "name": "Kent Police and Crime Commissioner"}
    ]
    assert first["grantProgramme"] == [{"code": "CRG", "title": "Crime Reduction Grant"}]
    assert first["plannedDates"] == [{"startDate": "2024-06-03", "endDate": "2025-03-31"}]
    assert (first["currency"], first["amountAppliedFor"], first["amountDisbursed"]) == ("GBP", 6000, 5000)
    assert grants[1]["recipientOrganization"][0]["id"] == "360G-kentpcc-ORG-nhs-icb"
    assert (data["version"], data["publisher"]["name"]) == ("1.4", "Kent Police and Crime Commissioner")
    assert ok(demo("export", "360giving")).stdout == out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("spoil", "complaint"),
    [
        (lambda g: g.pop("awardDate"), "'awardDate' is a required property"),
        (lambda g: g.update(amountAwarded="6000"), "'6000' is not of type 'number'"),
        (lambda g: g.update(awardDate="3 June 2024"), "is not valid under any of the given schemas"),
        (lambda g: g.update(currency="GBX"), "'GBX' is not one of"),
    ],
)
def test_360giving_validation_catches_a_spoilt_grant(demo: Cli, spoil, complaint: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(ok(demo("export", "360giving")).stdout)
    spoil(data["grants"][0])
    found = problems(data)
    assert len(found) == 1 and complaint in found[0], found


def test_360giving_amounts_in_pence_are_exact_numbers(funded: Cli) -> None:
    ok(funded("vary", "CRG-2425-003", "2,399.50", "--reason", "One session fewer", actor="opcc"))
    text = ok(funded("export", "360giving")).stdout
    assert '"amountAwarded": 2399.50,' in text
    data = json.loads(text, parse_float=Decimal)
    assert problems(data) == []
    by_id = {g["id"]: g for g in data["grants"]}
    assert by_id["360G-kentpcc-CRG-2425-003"]["amountAwarded"] == Decimal("2399.50")
    assert by_id["360G-kentpcc-CRG-2425-003"]["amountAppliedFor"] == 2400
    rows = list(csv.DictReader(io.StringIO(ok(funded("export", "360giving", "--format", "csv")).stdout)))
    assert rows[2]["Amount Awarded"] == "2399.50"


def test_360giving_publishes_a_cancelled_award_at_what_was_paid(funded: Cli) -> None:
    paid = ("spend", "add", "CRG-2425-003", "1,000", "--date", "2024-09-01", "--supplier", "Safer Futures")
    ok(funded(*paid, "--invoice", "SF-1", actor="treasurer"))
    ok(funded("cancel", "CRG-2425-003", "--reason", "Trainer unavailable", actor="opcc"))
    ok(funded("cancel", "CRG-2425-004", "--reason", "Provider withdrew", actor="opcc"))
    data = json.loads(ok(funded("export", "360giving")).stdout)
    assert problems(data) == []
    by_id = {g["id"].removeprefix("360G-kentpcc-"): g for g in data["grants"]}
    assert sorted(by_id) == sorted(set(EIGHT) - {"CRG-2425-004"})
    cancelled = by_id["CRG-2425-003"]
    assert (cancelled["amountAwarded"], cancelled["amountDisbursed"], cancelled["amountAppliedFor"]) == (
        1000,
        1000,
        2400,
    )


def test_360giving_uses_recorded_org_ids_and_a_prefix_written_in_full(funded: Cli) -> None:
    def record(session) -> None:  # type: ignore[no-untyped-def]
        from grants.models import Organisation, Partnership

        partnership = session.execute(select(Partnership)).scalar_one()
        partnership.funder_org_id = "GB-TEST-FUNDER"
        partnership.funder_prefix = "360G-kentpcc"
        session.execute(
            select(Organisation).where(Organisation.key == "kcc")
        ).scalar_one().org_id = "GB-TEST-KCC"

    change_rows(funded, record)
    data = json.loads(ok(funded("export", "360giving")).stdout)
    assert problems(data) == []
    first, second = data["grants"][:2]
    assert first["id"] == "360G-kentpcc-CRG-2425-001"
    assert first["recipientOrganization"][0]["id"] == "GB-TEST-KCC"
    assert second["recipientOrganization"][0]["id"] == "360G-kentpcc-ORG-nhs-icb"
    assert first["fundingOrganization"][0]["id"] == data["publisher"]["identifier"] == "GB-TEST-FUNDER"


def test_360giving_csv_has_the_standard_columns(demo: Cli) -> None:
    text = ok(demo("export", "360giving", "--format", "csv")).stdout
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Applied For",
        "Amount Awarded",
        "Amount Disbursed",
        "Award Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Grant Programme:Code",
        "Grant Programme:Title",
        "Planned Dates:Start Date",
        "Planned Dates:End Date",
    ]
    assert len(rows) == 9
    assert [r[0] for r in rows[1:]] == [f"360G-kentpcc-{ref}" for ref in EIGHT]
    assert rows[7][4:8] == ["3500", "3500", "2000", "2024-06-03"]
    assert rows[8][-2:] == ["2024-07-08", "2024-09-30"]


def test_360giving_csv_cells_cannot_run_as_formulas(funded: Cli) -> None:
    def spoil(session) -> None:  # type: ignore[no-untyped-def]
        from grants.models import Bid

        bid = session.execute(select(Bid).where(Bid.reference == "CRG-2425-001")).scalar_one()
        bid.title = '=HYPERLINK("http://x","y")'

    change_rows(funded, spoil)
    rows = list(csv.reader(io.StringIO(ok(funded("export", "360giving", "--format", "csv")).stdout)))
    assert rows[1][1] == '\'=HYPERLINK("http://x","y")'
    assert json.loads(ok(funded("export", "360giving")).stdout)["grants"][0]["title"].startswith("=")


def test_360giving_refuses_a_year_without_awards(shortlisted: Cli) -> None:
    result = shortlisted("export", "360giving")
    assert result.exit_code == 1, result.output
    assert " ".join(result.stderr.split()) == (
        "Error: 2024/25 has no awards to publish yet: a 360Giving package holds at least one grant, and a "
        "project is published once the PCC has funded it"
    )


def test_shipped_schemas_are_the_reference_copies() -> None:
    from grants.exports.giving360 import GRANT_SCHEMA, PACKAGE_SCHEMA, load_schema

    if not REFERENCE_SCHEMAS.is_dir():
        pytest.skip(f"the reference schemas are not beside the project ({REFERENCE_SCHEMAS})")
    for name in (PACKAGE_SCHEMA, GRANT_SCHEMA):
        assert load_schema(name) == json.loads((REFERENCE_SCHEMAS / name).read_text(encoding="utf-8"))


def test_json_numbers_are_written_without_float() -> None:
    from grants.exports.giving360 import amount_number, dumps
    from grants.money import Money

    assert amount_number(Money(600000)) == 6000 and isinstance(amount_number(Money(600000)), int)
    assert dumps({"a": [amount_number(Money(5)), amount_number(Money(123456789))]}) == (
        '{\n  "a": [\n    0.05,\n    1234567.89\n  ]\n}'
    )
    with pytest.raises(TypeError):
        dumps({"amount": 0.1})


# --- bad usage -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("report", "working-group", "--format", "csv"),
            "Error: --format 'csv' is not one of markdown, json, docx",
        ),
        (
            ("report", "action-plan", "--format", "xlsx"),
            "Error: --format 'xlsx' is not one of markdown, json, csv, docx",
        ),
        (("export", "360giving", "--format", "xml"), "Error: --format 'xml' is not one of json, csv"),
    ],
)
def test_a_bad_format_is_bad_usage(demo: Cli, args: tuple[str, ...], message: str) -> None:
    result = demo(*args)
    assert result.exit_code == 2, result.output
    assert " ".join(result.stderr.split()) == message
    assert result.stdout == ""
