"""The demo's 2024/25 proposals: the seven of seed 002 (Appendix 1) and two illustrative others."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Proposal:
    """A proposal as its lead agency would enter it."""

    lead: str  # member handle of the person entering it
    org: str
    title: str
    pounds: int
    summary: str
    pcc: tuple[str, ...]
    csa: tuple[str, ...]
    outcomes: str
    measures: str
    ends: str
    recommended: bool
    pot: str = "upfront"


PROPOSALS: tuple[Proposal, ...] = (
    Proposal(
        "kcc-officer",
        "kcc",
        "Expert level training in ASB Case Reviews and ASB legislation",
        6_000,
        "To deliver training to local partnerships on both ASB case reviews and the developing ASB "
        "legislation around tools and powers.",
        ("asb-and-crime", "partnership-approaches"),
        ("neighbourhood-crime-asb",),
        "Practitioners confident in running ASB case reviews and using the tools and powers.",
        "Attendance; pre- and post-training confidence survey; case review timeliness.",
        "2025-03-31",
        True,
    ),
    Proposal(
        "wg-nhs",
        "nhs-icb",
        "Neurodivergent intimate relationships training for partners",
        5_300,
        "Two recorded training webinars for practitioners: an overview of neurodivergence and how "
        "services can better support neurodivergent people, then neurodivergence, trauma and "
        "intimate relationships.",
        ("vawg",),
        ("domestic-abuse", "safeguarding"),
        "Practitioners better able to support neurodivergent victims and perpetrators.",
        "Webinar views; practitioner feedback; referrals citing the training.",
        "2025-03-31",
        True,
    ),
    Proposal(
        "kcc-officer",
        "kcc",
        "Violence Against Women and Girls (VAWG) training sessions",
        2_400,
        "Six online sessions, two on each of: how to engage men and boys in anti-misogyny work; "
        "creating community interventions for reducing VAWG; victim blaming and rape myths.",
        ("vawg",),
        ("vawg",),
        "Partners equipped to challenge misogyny and victim blaming.",
        "Attendance at six sessions; evaluation forms.",
        "2025-03-31",
        True,
    ),
    Proposal(
        "kcc-officer",
        "kcc",
        "Countering the Extreme Right-Wing training",
        4_578,
        "Adult awareness training, in person and online, to better understand the Extreme Right "
        "Wing and ways to challenge it.",
        ("crime-prevention",),
        ("extremism-and-hate",),
        "Frontline staff who recognise and challenge extreme right-wing narratives.",
        "Attendance; Prevent referrals quality; feedback.",
        "2025-03-31",
        True,
    ),
    Proposal(
        "kcc-officer",
        "kcc",
        "Partnership workshop on new CSP statutory duties",
        3_000,
        "A workshop exploring the Home Office's proposed changes for Community Safety Partnerships "
        "and ASB, and how they will be implemented in Kent.",
        ("partnership-approaches",),
        ("neighbourhood-crime-asb",),
        "A shared plan for implementing the new duties across Kent's CSPs.",
        "Workshop held; action plan agreed by the KCSP.",
        "2025-03-31",
        True,
    ),
    Proposal(
        "kcc-officer",
        "kcc",
        "Community Safety Learning",
        1_500,
        "Speakers such as research professors and experts presenting at bespoke events and the "
        "Community Safety Information Sessions.",
        ("crime-prevention",),
        ("neighbourhood-crime-asb", "safeguarding"),
        "Wider professional understanding of new community safety research and methods.",
        "Sessions delivered; attendance; feedback.",
        "2025-03-31",
        True,
    ),
    Proposal(
        "kcc-officer",
        "kcc",
        "Hateful Extremism CPD event",
        3_500,
        "A CPD event in February 2025 with high-profile speakers, helping attendees spot the signs, "
        "intervene early, deter individuals and increase referrals.",
        ("asb-and-crime",),
        ("extremism-and-hate",),
        "Attendees able to spot the signs and refer early.",
        "Attendance; referrals in the following quarter; feedback.",
        "2025-02-28",
        True,
    ),
    # Two illustrative proposals that did not get a consensus of support.
    Proposal(
        "wg-police",
        "kent-police",
        "Rural business crime signage",
        2_200,
        "Signage and leaflets for rural businesses on reporting crime.",
        ("crime-prevention",),
        ("neighbourhood-crime-asb",),
        "More rural businesses reporting crime.",
        "Signs installed; reports from rural businesses.",
        "2025-03-31",
        False,
    ),
    Proposal(
        "wg-kfrs",
        "kfrs",
        "Night-time economy safe space pilot",
        4_800,
        "A weekend safe space in one town centre staffed by volunteers.",
        ("day-and-night-economy",),
        ("serious-violence",),
        "Fewer night-time incidents in the pilot town.",
        "Incidents recorded; visitors to the safe space.",
        "2025-03-31",
        False,
    ),
)

TACTICAL_PROPOSAL = Proposal(
    "wg-vru",
    "kcc",
    "Summer diversionary activities for young people",
    3_000,
    "Holiday sessions of sport and mentoring for young people at risk of exploitation.",
    ("diversionary-activities",),
    ("serious-violence",),
    "Young people engaged in positive activities over the summer.",
    "Attendance; referrals to mentoring.",
    "2024-09-30",
    True,
    pot="tactical",
)

# The working group members who score in the demo: six members from five organisations (the
# VRU's member sits in the county council).
SCORERS = ("wg-police", "wg-kfrs", "wg-nhs", "wg-probation", "wg-kcc", "wg-vru")

# Each proposal's typical score (0–5), by its position in PROPOSALS, then the tactical proposal.
BASE_SCORES = (4, 4, 4, 3, 4, 3, 4, 2, 3, 4)
OFFSETS = (0, 1, -1, 0, 1, 0)


def demo_sheet(position: int, scorer: str, criteria: list[str]) -> tuple[dict[str, str], str, str]:
    """A deterministic sheet: (scores by criterion, stance, comment) for one scorer and proposal."""
    base = BASE_SCORES[position]
    who = SCORERS.index(scorer)
    scores = {
        key: str(max(0, min(5, base + OFFSETS[(who + j) % len(OFFSETS)]))) for j, key in enumerate(criteria)
    }
    if scorer == "wg-probation" and "value" in scores:
        scores["value"] = "na"  # probation could not judge value for money
    stance, comment = "support", ""
    if position == 7:
        stance, comment = ("abstain", "Better funded by the rural crime team") if who % 2 else ("support", "")
    if position == 8 and scorer == "wg-police":
        stance, comment = "oppose", "Duplicates the existing town centre scheme"
    return scores, stance, comment


@dataclass(frozen=True)
class Delivery:
    """How a funded project is paid for and ends in the demo: payments (date, pounds) from the
    finance system, and its outcome (None: still delivering at the year's end)."""

    supplier: str
    invoice: str
    payments: tuple[tuple[str, int], ...]
    outcome: str | None


TACTICAL_REFERENCE = "CRG-2425-010"

# The funded projects' delivery. CRG-2425-001 comes in £1,000 under its £6,000 award, so its
# underspend goes back to the upfront pot at close; CRG-2425-007 is still delivering.
DELIVERY: tuple[tuple[str, Delivery], ...] = (
    (
        "CRG-2425-001",
        Delivery(
            "ASB Training Partnership",
            "ASBT-2024",
            (("2024-09-12", 2_500), ("2025-01-20", 2_500)),
            "Two expert-level sessions held; 46 practitioners trained in ASB case reviews.",
        ),
    ),
    (
        "CRG-2425-002",
        Delivery(
            "Neurodiversity Learning CIC",
            "NDL-0412",
            (("2024-10-03", 2_650), ("2025-02-14", 2_650)),
            "Four sessions for 112 frontline staff from police, health and councils.",
        ),
    ),
    (
        "CRG-2425-003",
        Delivery(
            "Safer Futures Training",
            "SFT-77",
            (("2024-11-25", 2_400),),
            "Eight VAWG sessions across the districts; 160 attendees.",
        ),
    ),
    (
        "CRG-2425-004",
        Delivery(
            "Counter Extremism Learning Ltd",
            "CEL-2024",
            (("2024-08-30", 2_289), ("2024-12-09", 2_289)),
            "Extreme right-wing awareness training for 90 practitioners.",
        ),
    ),
    (
        "CRG-2425-005",
        Delivery(
            "Kent Conference Centre",
            "KCC-EV-19",
            (("2024-10-17", 3_000),),
            "Partnership workshop on the new statutory duties; 14 partner agencies attended.",
        ),
    ),
    (
        "CRG-2425-006",
        Delivery(
            "Community Safety Learning Hub",
            "CSLH-5",
            (("2024-07-31", 750), ("2025-01-31", 750)),
            "Community safety learning programme for 70 staff and volunteers.",
        ),
    ),
    ("CRG-2425-007", Delivery("Prevent Education Services", "PES-31", (("2025-02-27", 2_000),), None)),
    (
        "CRG-2425-010",
        Delivery(
            "Youth Sport Kent CIC",
            "YSK-2024",
            (("2024-08-16", 1_800), ("2024-09-27", 1_200)),
            "Summer sessions reached 210 young people; 18 referred to mentoring.",
        ),
    ),
)
