"""Alembic environment of the ledger: runs on the connection ``migrate()`` hands over, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import dataabs.ledger.models  # noqa: F401  (registers every table on SQLModel.metadata)
from dataabs.ledger.db import get_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations(connection: Connection) -> None:
    """Configure Alembic on a live connection and run the migrations (batch mode on SQLite)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit SQL for the configured URL without connecting (``alembic upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or str(get_engine().url),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate over the connection given by ``migrate()``, else over the ledger URL (settings or alembic.ini)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    with get_engine(config.get_main_option("sqlalchemy.url") or None).begin() as connection:
        run_migrations(connection)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
