"""Servicing period and surveillance: collections keyed by bank transaction id, one distribution per (deal,
payment date) with its lines, tranche balances, trigger tests, claims and disclosures; data-collateral events.

Written from the SQLModel tables in ``models/servicing.py``; plain SQLAlchemy types, named constraints, runs on
SQLite and PostgreSQL (new tables only, so no batch mode is needed).

Revision ID: 0004_servicing
Revises: 0003_pool_issuance
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_servicing'
down_revision: str | None = '0003_pool_issuance'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(20, 2)
RATE = sa.Numeric(12, 8)
CHILDREN = ('distribution_line', 'tranche_balance', 'trigger_test', 'servicing_claim', 'disclosure_event')
INDEXES: dict[str, tuple[str, ...]] = {
    'collection': ('deal_id', 'value_date'),
    'distribution_period': ('deal_id',),
    **{table: ('deal_id', 'period_id') for table in CHILDREN},
    'collateral_event': ('deal_id', 'observed_on'),
}


def _keys(table: str, *, period: bool = False) -> list[sa.schema.SchemaItem]:
    """The deal (and period) foreign keys and the primary key of a table."""
    keys: list[sa.schema.SchemaItem] = [
        sa.ForeignKeyConstraint(['deal_id'], ['deal.deal_id'], name=op.f(f'fk_{table}_deal_id_deal')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]
    if period:
        keys.append(sa.ForeignKeyConstraint(
            ['period_id'], ['distribution_period.id'], name=op.f(f'fk_{table}_period_id_distribution_period')
        ))
    return keys


def _child(table: str) -> list[sa.schema.SchemaItem]:
    """Columns every child of a distribution period starts with."""
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_id', sa.Integer(), nullable=False),
        sa.Column('deal_id', sa.String(length=64), nullable=False),
        sa.Column('payment_date', sa.Date(), nullable=False),
        *_keys(table, period=True),
    ]


def upgrade() -> None:
    """Upgrade the ledger schema."""
    op.create_table('collection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('transaction_id', sa.String(length=64), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('counterparty_name', sa.String(length=200), nullable=False),
    sa.Column('counterparty_account', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=500), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=500), nullable=False),
    sa.Column('collected_for', sa.Date(), nullable=False),
    sa.Column('flow_run_id', sa.String(length=36), nullable=True),
    sa.Column('collected_at', sa.DateTime(), nullable=False),
    sa.UniqueConstraint('deal_id', 'transaction_id', name=op.f('uq_collection_deal_id_transaction_id')),
    *_keys('collection'),
    )
    op.create_table('distribution_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('payment_date', sa.Date(), nullable=False),
    sa.Column('period_index', sa.Integer(), nullable=False),
    sa.Column('deal_status', sa.String(length=32), nullable=False),
    sa.Column('collected', MONEY, nullable=False),
    sa.Column('carry_in', MONEY, nullable=False),
    sa.Column('available', MONEY, nullable=False),
    sa.Column('paid', MONEY, nullable=False),
    sa.Column('carry_forward', MONEY, nullable=False),
    sa.Column('collections', sa.JSON(), nullable=False),
    sa.Column('adjustments', sa.JSON(), nullable=False),
    sa.Column('receipts', sa.Integer(), nullable=False),
    sa.Column('inputs_sha256', sa.String(length=64), nullable=False),
    sa.Column('report_dir', sa.String(length=1000), nullable=False),
    sa.Column('flow_run_id', sa.String(length=36), nullable=True),
    sa.Column('distributed_at', sa.DateTime(), nullable=False),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('reopen_reason', sa.Text(), nullable=True),
    sa.UniqueConstraint('deal_id', 'payment_date', name=op.f('uq_distribution_period_deal_id_payment_date')),
    *_keys('distribution_period'),
    )
    op.create_table('distribution_line',
    *_child('distribution_line'),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('payee', sa.String(length=64), nullable=False),
    sa.Column('due', MONEY, nullable=False),
    sa.Column('paid', MONEY, nullable=False),
    sa.Column('shortfall', MONEY, nullable=False),
    )
    op.create_table('tranche_balance',
    *_child('tranche_balance'),
    sa.Column('tranche_id', sa.String(length=64), nullable=False),
    sa.Column('opening_balance', MONEY, nullable=False),
    sa.Column('interest_due', MONEY, nullable=False),
    sa.Column('interest', MONEY, nullable=False),
    sa.Column('principal_due', MONEY, nullable=False),
    sa.Column('principal', MONEY, nullable=False),
    sa.Column('closing_balance', MONEY, nullable=False),
    sa.Column('shortfall', MONEY, nullable=False),
    )
    op.create_table('trigger_test',
    *_child('trigger_test'),
    sa.Column('trigger_id', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('threshold', RATE, nullable=False),
    sa.Column('breached', sa.Boolean(), nullable=False),
    sa.Column('fired', sa.Boolean(), nullable=False),
    sa.Column('effect', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    )
    op.create_table('servicing_claim',
    *_child('servicing_claim'),
    sa.Column('asset_id', sa.String(length=64), nullable=False),
    sa.Column('obligor_id', sa.String(length=64), nullable=False),
    sa.Column('guarantor_id', sa.String(length=64), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('claim_date', sa.Date(), nullable=False),
    sa.Column('expected_payment_date', sa.Date(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('paid', MONEY, nullable=False),
    sa.Column('outstanding', MONEY, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    )
    op.create_table('disclosure_event',
    *_child('disclosure_event'),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('value', RATE, nullable=True),
    sa.Column('threshold', RATE, nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.UniqueConstraint('deal_id', 'payment_date', 'kind',
                        name=op.f('uq_disclosure_event_deal_id_payment_date_kind')),
    )
    op.create_table('collateral_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('data_asset_id', sa.String(length=64), nullable=True),
    sa.Column('asset_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('value', RATE, nullable=True),
    sa.Column('threshold', RATE, nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('cure_by', sa.Date(), nullable=True),
    sa.Column('flow_run_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_keys('collateral_event'),
    )
    for table, columns in INDEXES.items():
        for column in columns:
            op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def downgrade() -> None:
    """Downgrade the ledger schema."""
    for table, columns in reversed(INDEXES.items()):
        for column in columns:
            op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
    for table in ('collateral_event', *reversed(CHILDREN), 'distribution_period', 'collection'):
        op.drop_table(table)
