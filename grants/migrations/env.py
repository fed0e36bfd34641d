"""Alembic environment: runs on the connection grants hands over (see grants.schema)."""

from alembic import context
from sqlmodel import SQLModel

import grants.models  # noqa: F401 - registers every table on the metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
