"""Settings (env prefix ``DATAABS_``): one object decides the embedded default vs production parts."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Where the ledger, reports and configuration live, and which counterparties to call."""

    model_config = SettingsConfigDict(env_prefix="DATAABS_", extra="ignore")

    home: Path = Field(
        default=Path.home() / ".dataabs", description="Data directory (ledger file, snapshots)."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite file under home if unset."
    )
    config_dir: Path = Field(default=REPO_ROOT / "config", description="policy.yaml, calendars, demo deals.")
    expectations_dir: Path = Field(
        default=REPO_ROOT / "expectations", description="GX suites, one JSON per gate."
    )
    out_dir: Path = Field(
        default=Path("out"), description="Report folder root (<out>/<deal_id>/<stage>/...)."
    )
    http_timeout_seconds: float = Field(default=10.0, description="Timeout of every counterparty call.")
    http_retries: int = Field(default=3, description="Retries on timeouts and 5xx for counterparty calls.")
    registry_token: str | None = Field(default=None, description="Registry API credential (never logged).")
    bank_token: str | None = Field(default=None, description="Bank/custodian API credential (never logged).")
    curve_token: str | None = Field(
        default=None, description="Reference-curve API credential (never logged)."
    )
    work_pool: str = Field(default="dataabs", description="Prefect process work pool the deployments run on.")
    deal_lease_seconds: float = Field(
        default=120,
        ge=60,
        description="Lease of a run's deal:<id> slot; a killed run's slot returns after it.",
    )
    deal_slot: str = Field(
        default="auto",
        description="Prefect deal:<id> slot: auto (on a configured server or in a deployment run), strict or off.",
    )
    webhook_format: str | None = Field(
        default=None, description="Alert webhook format: generic, dingtalk or wecom (default: from the URL)."
    )

    @property
    def ledger_url(self) -> str:
        """The ledger database URL: the configured one, or a SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'ledger.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
