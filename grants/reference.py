"""Keys for reference data. The data itself comes from a partnership file (Kent's is the preset
grants/data/presets/kent.toml) and is managed per year with `grants priority`."""

from __future__ import annotations

import re


def slugify(title: str, limit: int = 40) -> str:
    """A short key from a title: 'Reduce ASB and crime' → 'reduce-asb-and-crime'."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().replace("&", "and")).strip("-")
    return slug[:limit].rstrip("-")
