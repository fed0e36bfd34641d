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
# Update, 2.2).
PCC_PRIORITIES: tuple[str, ...] = (
    "Reduce ASB and crime",
    "Reduce violence against women and girls (VAWG)",
    "Provide crime prevention and reassurance activities",
    "Reduce crime and ASB in the daytime and night-time economy",
    "Deliver diversionary activities",
    "Enable partnership approaches to areas of concern",
    "Deliver drug and alcohol reduction and treatment services",
    "Reduce offending and re-offending",
)

# The Community Safety Agreement priorities and cross-cutting themes (seed 002, CSA update 2.2).
CSA_PRIORITIES: tuple[str, ...] = (
    "Preventing Neighbourhood Crime & ASB",
    "Domestic Abuse",
    "Substance Misuse",
    "Safeguarding Vulnerable People",
    "Serious Violence and Organised Crime",
    "Preventing Extremism and Hate",
    "Road Safety",
    "Violence Against Women and Girls",
)

CROSS_CUTTING_THEMES: tuple[str, ...] = (
    "Early intervention, prevention & education",
    "Reduce re-offending and support victims",
    "Improve quality of life and enhance community resilience",
    "Support mental health and wellbeing",
    "Response and Recovery from Significant Community Events",
)

DEFAULT_REFERENCE: dict[ReferenceKind, tuple[str, ...]] = {
    ReferenceKind.pcc_priority: PCC_PRIORITIES,
    ReferenceKind.csa_priority: CSA_PRIORITIES,
    ReferenceKind.cross_cutting_theme: CROSS_CUTTING_THEMES,
}


def slugify(title: str, limit: int = 40) -> str:
    """A short key from a title: 'Reduce ASB and crime' → 'reduce-asb-and-crime'."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().replace("&", "and")).strip("-")
    return slug[:limit].rstrip("-")
