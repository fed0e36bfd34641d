"""Keys for reference data, and DESIGN §5's default scoring criteria. The data itself comes from a
partnership file (Kent's is the preset grants/data/presets/kent.toml) and is managed per year with
`grants priority` and `grants criteria`."""

from __future__ import annotations

import re


def slugify(title: str, limit: int = 40) -> str:
    """A short key from a title: 'Reduce ASB and crime' → 'reduce-asb-and-crime'."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().replace("&", "and")).strip("-")
    return slug[:limit].rstrip("-")


# (key, title, weight, description): DESIGN §5's defaults.
DEFAULT_CRITERIA: tuple[tuple[str, str, int, str], ...] = (
    (
        "fit_pcc",
        "Fit with the PCC's priorities",
        25,
        "How well it delivers the PCC's priorities for the year.",
    ),
    (
        "fit_csa",
        "Fit with the CSA priorities",
        20,
        "How well it serves the Community Safety Agreement's priorities.",
    ),
    ("need", "Evidence of need", 15, "Data or experience showing the problem it addresses."),
    (
        "outcomes",
        "Outcomes and how they are measured",
        15,
        "Clear outcomes and a credible way to measure them.",
    ),
    ("value", "Value for money", 15, "What it achieves for what it costs."),
    ("deliverable", "Deliverability within the year", 10, "Whether it can be delivered before 31 March."),
)
