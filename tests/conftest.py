"""Shared test fixtures."""

from __future__ import annotations

# === ledger DB fixtures (owner: ledger) ===============================================================
# `ledger_url` runs a test on SQLite (a temp file) and on PostgreSQL when DATAABS_TEST_POSTGRES_URL is set
# (e.g. postgresql://postgres@127.0.0.1:5432/test): one fresh database `dataabs_test_<pid>` per test session,
# its `public` schema reset before each test, dropped at the end. `ledger_engine` is that URL, migrated.
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from dataabs.ledger.db import dispose_engines, get_engine, migrate, normalise_url

POSTGRES_ENV = "DATAABS_TEST_POSTGRES_URL"


def _admin_engine(server_url: str) -> Engine:
    """An autocommit engine on the database named in the server URL (to create and drop test databases)."""
    return create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_test_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test session, or None when no server URL is configured."""
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        yield None
        return
    name = f"dataabs_test_{os.getpid()}"
    admin = _admin_engine(server_url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield normalise_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_postgres(url: str) -> None:
    """Empty the test database: drop and recreate the public schema."""
    dispose_engines()
    admin = _admin_engine(url)
    with admin.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_test_url: str | None
) -> Iterator[str]:
    """An empty ledger database URL: SQLite in a temp dir, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger' / 'ledger.db'}"
    else:
        if postgres_test_url is None:
            pytest.skip(
                f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
            )
        _reset_postgres(postgres_test_url)
        yield postgres_test_url
    dispose_engines()


@pytest.fixture
def ledger_engine(ledger_url: str) -> Engine:
    """The migrated ledger engine of ``ledger_url``."""
    engine = get_engine(ledger_url)
    migrate(engine)
    return engine


# === end ledger DB fixtures ==========================================================================
