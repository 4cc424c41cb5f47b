"""Engine, migrations and exact Decimal columns on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, inspect
from sqlmodel import col, select

from dataabs.ledger.db import (
    current_revision,
    get_engine,
    head_revision,
    migrate,
    normalise_url,
    session_scope,
)
from dataabs.ledger.models import Asset, QualityResult, ScheduleLine
from dataabs.ledger.store import onboard_deal
from tests.ledger.conftest import PackageFactory

LEDGER_TABLES = {
    "deal",
    "party",
    "obligor",
    "asset",
    "schedule_line",
    "data_asset",
    "registry_snapshot",
    "quality_result",
    "verification",
    "stage_state",
    "stage_run",
    "gate_result",
    "audit_event",
    "deal_lock",
}


MIGRATIONS = Path(__file__).resolve().parents[2] / "dataabs" / "ledger" / "migrations" / "versions"


def test_migrations_upgrade_an_empty_database(ledger_url: str) -> None:
    engine = get_engine(ledger_url)
    assert current_revision(engine) is None
    migrate(engine)
    newest = sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))[-1].read_text(encoding="utf-8")
    revision = re.search(r"^revision: str = '([^']+)'", newest, re.MULTILINE)
    assert revision is not None
    assert (
        current_revision(engine) == head_revision() == revision.group(1)
    )  # the chain ends at the newest file
    assert set(inspect(engine).get_table_names()) >= LEDGER_TABLES
    migrate(engine)  # idempotent
    assert current_revision(engine) == head_revision()


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"


def test_engine_is_cached_per_url(ledger_url: str) -> None:
    assert get_engine(ledger_url) is get_engine(ledger_url)


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'l.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert (tmp_path / "nested" / "dir").is_dir()


def test_decimal_round_trip_is_exact(ledger_engine: Engine, make_package: PackageFactory) -> None:
    package = make_package(lines=1000, principal="10.00")
    with session_scope(ledger_engine) as session:
        onboard_deal(session, package)
    with session_scope(ledger_engine) as session:
        amounts = session.exec(
            select(col(ScheduleLine.principal_due)).where(ScheduleLine.asset_id == "a1")
        ).all()
        assert len(amounts) == 1000
        assert all(type(a) is Decimal and a == Decimal("0.01") for a in amounts)
        assert sum(amounts, Decimal(0)) == Decimal("10.00")
        total = session.scalar(
            select(func.sum(col(ScheduleLine.principal_due))).where(ScheduleLine.asset_id == "a1")
        )
        assert total == Decimal("10.00")
        asset = session.get_one(Asset, ("test-deal", "a1"))
        assert asset.rate == Decimal("0.03800000") and type(asset.rate) is Decimal


def test_money_keeps_fifteen_digits_and_rounds_half_up(
    ledger_engine: Engine, make_package: PackageFactory
) -> None:
    with session_scope(ledger_engine) as session:
        onboard_deal(session, make_package())
        session.add_all(
            [
                QualityResult(deal_id="test-deal", data_asset_id="da1", dimension="Q", score=Decimal("92.9")),
                QualityResult(
                    deal_id="test-deal", data_asset_id="da1", dimension="x", score=Decimal("0.123456785")
                ),
                QualityResult(deal_id="test-deal", data_asset_id="da1", dimension="f", score=0.1),  # type: ignore[arg-type]
            ]
        )
        asset = session.get_one(Asset, ("test-deal", "a2"))
        asset.principal = Decimal("9999999999999.99")
    with session_scope(ledger_engine) as session:
        assert session.get_one(Asset, ("test-deal", "a2")).principal == Decimal("9999999999999.99")
        scores: dict[str, Decimal] = dict(
            session.exec(select(col(QualityResult.dimension), col(QualityResult.score))).all()
        )
        assert scores == {"Q": Decimal("92.9"), "x": Decimal("0.12345679"), "f": Decimal("0.1")}
