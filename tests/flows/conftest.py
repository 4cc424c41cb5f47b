"""Fixtures of the flow tests: a module-scoped ledger (SQLite, and PostgreSQL when configured).

``ledger_env`` (tests/conftest.py) is function-scoped and resets PostgreSQL before every test; the servicing tests
run a deal through eight payment periods once per module and then inspect it, so they need a ledger that lives
for the module: ``module_ledger`` gives one on SQLite (a temp file) and one on PostgreSQL in its own database
(``dataabs_test_<pid>_module``), created and dropped here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from dataabs.ledger.db import dispose_engines, normalise_url
from dataabs.settings import get_settings
from tests.conftest import POSTGRES_ENV, _admin_engine


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_ledger(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ledger URL for the whole module, with the dataabs environment pointed at it."""
    home = tmp_path_factory.mktemp("module-home")
    name, server_url = None, os.environ.get(POSTGRES_ENV)
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'ledger.db'}"
    else:
        if not server_url:
            if os.environ.get("DATAABS_REQUIRE_POSTGRES"):
                pytest.fail(f"DATAABS_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not")
            pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
        name = f"dataabs_test_{os.getpid()}_module"
        with _admin_engine(server_url).connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = normalise_url(server_url).set(database=name).render_as_string(hide_password=False)
    patch = pytest.MonkeyPatch()
    patch.setenv("DATAABS_DATABASE_URL", url)
    patch.setenv("DATAABS_HOME", str(Path(home) / "home"))
    patch.setenv("DATAABS_HTTP_TIMEOUT_SECONDS", "2")
    patch.setenv("DATAABS_HTTP_RETRIES", "2")
    get_settings.cache_clear()
    try:
        yield url
    finally:
        patch.undo()
        get_settings.cache_clear()
        dispose_engines()
        if name is not None and server_url:
            with _admin_engine(server_url).connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
