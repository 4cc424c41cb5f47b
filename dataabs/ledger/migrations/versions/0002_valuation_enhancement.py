"""Valuation and enhancement stages: append-only appraisals and LTVs, structure records, the stress table.

Written from the SQLModel tables in ``models/valuation.py`` and ``models/enhancement.py``; plain SQLAlchemy types,
named constraints, runs on SQLite and PostgreSQL (new tables only, so no batch mode is needed).

Revision ID: 0002_valuation_enhancement
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_valuation_enhancement'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(20, 2)
RATE = sa.Numeric(12, 8)


def _keys(table: str) -> list[sa.schema.SchemaItem]:
    """The deal and stage-run foreign keys and the primary key every table here carries."""
    return [
        sa.ForeignKeyConstraint(['deal_id'], ['deal.deal_id'], name=op.f(f'fk_{table}_deal_id_deal')),
        sa.ForeignKeyConstraint(['stage_run_id'], ['stage_run.id'], name=op.f(f'fk_{table}_stage_run_id_stage_run')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]


def _indexes(table: str, *extra: str) -> None:
    """Index ``deal_id``, ``stage_run_id`` and any extra columns of a table."""
    for column in ('deal_id', 'stage_run_id', *extra):
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def upgrade() -> None:
    """Upgrade the ledger schema."""
    op.create_table('valuation_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('data_asset_id', sa.String(length=64), nullable=False),
    sa.Column('base_date', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('value', MONEY, nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('stage_run_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_keys('valuation_record'),
    )
    _indexes('valuation_record', 'data_asset_id')
    op.create_table('ltv_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('asset_id', sa.String(length=64), nullable=False),
    sa.Column('data_asset_id', sa.String(length=64), nullable=False),
    sa.Column('principal', MONEY, nullable=False),
    sa.Column('appraised_value', MONEY, nullable=False),
    sa.Column('ltv', RATE, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stage_run_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_keys('ltv_record'),
    )
    _indexes('ltv_record')
    op.create_table('structure_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('stage_run_id', sa.String(length=36), nullable=True),
    sa.Column('senior_proposed', MONEY, nullable=False),
    sa.Column('senior_sized', MONEY, nullable=False),
    sa.Column('evaluations', sa.Integer(), nullable=False),
    sa.Column('structure', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_keys('structure_record'),
    )
    _indexes('structure_record')
    op.create_table('stress_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('scenario', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('coverage', RATE, nullable=True),
    sa.Column('min_period_coverage', RATE, nullable=True),
    sa.Column('senior_loss', MONEY, nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('stage_run_id', sa.String(length=36), nullable=True),
    *_keys('stress_result'),
    )
    _indexes('stress_result')


def downgrade() -> None:
    """Downgrade the ledger schema."""
    for table, extra in (('stress_result', ()), ('structure_record', ()), ('ltv_record', ()),
                         ('valuation_record', ('data_asset_id',))):
        for column in ('deal_id', 'stage_run_id', *extra):
            op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
        op.drop_table(table)
