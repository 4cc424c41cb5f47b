"""Pool and issuance stages: the frozen pool snapshot (append-only) and its assets, issued tranches and the
issuance record.

Written from the SQLModel tables in ``models/pool.py`` and ``models/issuance.py``; plain SQLAlchemy types, named
constraints, runs on SQLite and PostgreSQL (new tables only, so no batch mode is needed).

Revision ID: 0003_pool_issuance
Revises: 0002_valuation_enhancement
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_pool_issuance'
down_revision: str | None = '0002_valuation_enhancement'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(20, 2)
RATE = sa.Numeric(12, 8)
TABLES: dict[str, tuple[str, ...]] = {
    'pool_snapshot': ('sha256',),
    'pool_asset': (),
    'issued_tranche': (),
    'issuance_record': (),
}


def _keys(table: str) -> list[sa.schema.SchemaItem]:
    """The deal and stage-run foreign keys and the primary key every table here carries."""
    return [
        sa.ForeignKeyConstraint(['deal_id'], ['deal.deal_id'], name=op.f(f'fk_{table}_deal_id_deal')),
        sa.ForeignKeyConstraint(['stage_run_id'], ['stage_run.id'], name=op.f(f'fk_{table}_stage_run_id_stage_run')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]


def upgrade() -> None:
    """Upgrade the ledger schema."""
    op.create_table('pool_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('stage_run_id', sa.String(length=36), nullable=True),
    sa.Column('cut_off', sa.Date(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('asset_count', sa.Integer(), nullable=False),
    sa.Column('principal_total', MONEY, nullable=False),
    sa.Column('asset_ids', sa.JSON(), nullable=False),
    sa.Column('csv_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_keys('pool_snapshot'),
    )
    op.create_table('pool_asset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('asset_id', sa.String(length=64), nullable=False),
    sa.Column('obligor_id', sa.String(length=64), nullable=False),
    sa.Column('data_asset_id', sa.String(length=64), nullable=True),
    sa.Column('principal', MONEY, nullable=False),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=False),
    sa.Column('stage_run_id', sa.String(length=36), nullable=True),
    *_keys('pool_asset'),
    )
    op.create_table('issued_tranche',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('tranche_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('size', MONEY, nullable=False),
    sa.Column('coupon', RATE, nullable=True),
    sa.Column('coupon_source', sa.String(length=16), nullable=False),
    sa.Column('rating', sa.String(length=32), nullable=True),
    sa.Column('closing_date', sa.Date(), nullable=False),
    sa.Column('expected_maturity', sa.Date(), nullable=False),
    sa.Column('legal_maturity', sa.Date(), nullable=True),
    sa.Column('wal_years', RATE, nullable=True),
    sa.Column('yield_rate', RATE, nullable=True),
    sa.Column('spread_bp', RATE, nullable=True),
    sa.Column('stage_run_id', sa.String(length=36), nullable=True),
    *_keys('issued_tranche'),
    )
    op.create_table('issuance_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('stage_run_id', sa.String(length=36), nullable=True),
    sa.Column('closing_date', sa.Date(), nullable=False),
    sa.Column('pool_snapshot_sha256', sa.String(length=64), nullable=False),
    sa.Column('curve', sa.JSON(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_keys('issuance_record'),
    )
    for table, extra in TABLES.items():
        for column in ('deal_id', 'stage_run_id', *extra):
            op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def downgrade() -> None:
    """Downgrade the ledger schema."""
    for table, extra in reversed(TABLES.items()):
        for column in ('deal_id', 'stage_run_id', *extra):
            op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
        op.drop_table(table)
