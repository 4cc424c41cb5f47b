"""Shared test fixtures."""

from __future__ import annotations

# === ledger DB fixtures (owner: ledger) ===============================================================
# `ledger_url` runs a test on SQLite (a temp file) and on PostgreSQL when DATAABS_TEST_POSTGRES_URL is set
# (e.g. postgresql://postgres@127.0.0.1:5432/test): one fresh database `dataabs_test_<pid>` per test session,
# its `public` schema reset before each test, dropped at the end. `ledger_engine` is that URL, migrated.
import json
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
        if postgres_test_url is None and os.environ.get("DATAABS_REQUIRE_POSTGRES"):
            pytest.fail(
                f"DATAABS_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not: CI must run the PostgreSQL half"
            )
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


# === Prefect, sandbox and deal-package fixtures (owner: lifecycle) ======================================
# One Prefect test server for the whole session (it takes 12-14 s to start); flows run against it for real.
# `ledger_env` points the stack at the parametrised ledger (SQLite, and PostgreSQL when configured);
# `sandbox` serves the demo's registry on loopback; `deal_variant` copies the demo under a new deal id.
import shutil  # noqa: E402
from collections.abc import Callable  # noqa: E402

import httpx  # noqa: E402
import yaml  # noqa: E402

from dataabs.settings import REPO_ROOT, get_settings  # noqa: E402

DEMO_DIR = REPO_ROOT / "config" / "deals" / "demo"


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """A real Prefect API server (SQLite, temporary) for the session; yields its API URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield str(PREFECT_API_URL.value())


@pytest.fixture
def ledger_env(ledger_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """Point dataabs at this test's ledger (and a private home); settings are re-read."""
    monkeypatch.setenv("DATAABS_DATABASE_URL", ledger_url)
    monkeypatch.setenv("DATAABS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATAABS_HTTP_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("DATAABS_HTTP_RETRIES", "2")
    get_settings.cache_clear()
    yield ledger_url
    get_settings.cache_clear()
    dispose_engines()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[str]:
    """The sandbox counterparties seeded with the demo deal's registry, on a loopback port."""
    from dataabs.sandbox.server import load_seeds, running_sandbox

    with running_sandbox(load_seeds([DEMO_DIR])) as base_url:
        yield base_url


@pytest.fixture
def sandbox_control(sandbox: str) -> Iterator[httpx.Client]:
    """A client of the sandbox's control endpoints; restores the demo registry and clears faults afterwards."""
    with httpx.Client(base_url=sandbox, timeout=10) as control:
        yield control
        control.delete("/_sandbox/faults").raise_for_status()
        demo_registry = json.loads((DEMO_DIR / "registry" / "registry.json").read_text(encoding="utf-8"))
        control.post("/_sandbox/seed", json={"deal_id": "demo", "registry": demo_registry}).raise_for_status()


@pytest.fixture
def deal_variant(tmp_path: Path) -> Callable[..., Path]:
    """Copy the demo package under a new deal id; ``data_assets`` keeps only those (their loans keep the pledge)."""

    def make(deal_id: str, data_assets: list[str] | None = None) -> Path:
        target = tmp_path / "deals" / deal_id
        shutil.copytree(DEMO_DIR, target)
        deal = yaml.safe_load((target / "deal.yaml").read_text(encoding="utf-8"))
        deal["deal_id"] = deal_id
        (target / "deal.yaml").write_text(
            yaml.safe_dump(deal, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        if data_assets is not None:
            keep_data_assets(target, set(data_assets))
        return target

    return make


def keep_data_assets(package: Path, keep: set[str]) -> None:
    """Drop the other data assets from a package copy; loans that pledged them become unpledged."""
    import pandas as pd

    tapes = {
        name: pd.read_csv(package / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for name in ("data_assets", "assets")
    }
    tapes["data_assets"] = tapes["data_assets"][tapes["data_assets"]["data_asset_id"].isin(keep)]
    assets = tapes["assets"]
    assets.loc[~assets["data_asset_id"].isin(keep), "data_asset_id"] = ""
    for name, frame in tapes.items():
        frame.to_csv(package / f"{name}.csv", index=False, encoding="utf-8")
    valuation = package / "valuation.yaml"
    if valuation.is_file():
        inputs = yaml.safe_load(valuation.read_text(encoding="utf-8"))
        inputs["assets"] = [a for a in inputs["assets"] if a["data_asset_id"] in keep]
        valuation.write_text(yaml.safe_dump(inputs, allow_unicode=True, sort_keys=False), encoding="utf-8")
