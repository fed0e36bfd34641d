"""Alembic migrations of the grants schema, shipped inside the package."""
