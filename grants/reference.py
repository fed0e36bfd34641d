"""Starting reference data, from the Kent partnership's 2024/25 papers (seed 002)."""

from __future__ import annotations

import re

from grants.models import ReferenceKind

# The responsible authorities of the KCSP terms of reference (seed 002, Appendix A, "Membership"):
# (key, name).
RESPONSIBLE_AUTHORITIES: tuple[tuple[str, str], ...] = (
    ("kcc", "Kent County Council"),
    ("kent-police", "Kent Police"),
    ("opcc", "Office of the Police and Crime Commissioner"),
    ("districts", "District and Borough Councils"),
    ("kfrs", "Kent Fire and Rescue Service"),
    ("nhs-icb", "NHS Kent and Medway Integrated Care Board"),
    ("probation", "The Probation Service"),
)

# The PCC's 2024/25 priorities for Crime Reduction Grant projects (seed 002, KCSP Working Group
# Update, 2.2), as (key, title).
PCC_PRIORITIES: tuple[tuple[str, str], ...] = (
    ("asb-and-crime", "Reduce ASB and crime"),
    ("vawg", "Reduce violence against women and girls (VAWG)"),
    ("crime-prevention", "Provide crime prevention and reassurance activities"),
    ("day-and-night-economy", "Reduce crime and ASB in the daytime and night-time economy"),
    ("diversionary-activities", "Deliver diversionary activities, including in schools"),
    ("partnership-approaches", "Enable partnership approaches to areas of concern"),
    ("drug-and-alcohol", "Deliver drug and alcohol reduction and treatment services"),
    ("reoffending", "Reduce offending and re-offending"),
)

# The Community Safety Agreement priorities and cross-cutting themes (seed 002, CSA update 2.2).
CSA_PRIORITIES: tuple[tuple[str, str], ...] = (
    ("neighbourhood-crime-asb", "Preventing Neighbourhood Crime & ASB"),
    ("domestic-abuse", "Domestic Abuse"),
    ("substance-misuse", "Substance Misuse"),
    ("safeguarding", "Safeguarding Vulnerable People"),
    ("serious-violence", "Serious Violence and Organised Crime"),
    ("extremism-and-hate", "Preventing Extremism and Hate"),
    ("road-safety", "Road Safety"),
    ("vawg", "Violence Against Women and Girls"),
)

CROSS_CUTTING_THEMES: tuple[tuple[str, str], ...] = (
    ("early-intervention", "Early intervention, prevention & education"),
    ("reoffending-and-victims", "Reduce re-offending and support victims"),
    ("quality-of-life", "Improve quality of life and enhance community resilience"),
    ("mental-health", "Support mental health and wellbeing"),
    ("response-and-recovery", "Response and Recovery from Significant Community Events"),
)

DEFAULT_REFERENCE: dict[ReferenceKind, tuple[tuple[str, str], ...]] = {
    ReferenceKind.pcc_priority: PCC_PRIORITIES,
    ReferenceKind.csa_priority: CSA_PRIORITIES,
    ReferenceKind.cross_cutting_theme: CROSS_CUTTING_THEMES,
}


def slugify(title: str, limit: int = 40) -> str:
    """A short key from a title: 'Reduce ASB and crime' → 'reduce-asb-and-crime'."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().replace("&", "and")).strip("-")
    return slug[:limit].rstrip("-")
