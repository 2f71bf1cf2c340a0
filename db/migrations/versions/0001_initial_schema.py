"""initial schema

Revision ID: 0001
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('access_span',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('activated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('deactivated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.CheckConstraint('end_on IS NULL OR end_on > start_on', name='ck_span_order'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id', 'user_id', 'activated_at', name='uq_span_user_activated')
    )
    with op.batch_alter_table('access_span', schema=None) as batch_op:
        batch_op.create_index('ix_access_span_agency', ['agency_id', 'user_id'], unique=False)

    op.create_table('account',
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('email')
    )
    op.create_table('agency',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('onboarded_on', sa.Date(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('billing_email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('account_manager', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_account_manager'), ['account_manager'], unique=False)

    op.create_table('appointment',
    sa.Column('appointment_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.CheckConstraint("status IN ('completed', 'cancelled', 'no_show')", name='ck_appointment_status'),
    sa.PrimaryKeyConstraint('appointment_id')
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_agency_day', ['agency_id', 'day'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)

    op.create_table('call',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('call_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('transcribed_seconds', sa.Integer(), nullable=False),
    sa.CheckConstraint('duration_seconds >= 0 AND transcribed_seconds >= 0', name='ck_call_seconds'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id')
    )
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.create_index('ix_call_agency_day', ['agency_id', 'started_on'], unique=False)

    op.create_table('call_day',
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('cycle', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('calls', sa.BigInteger(), nullable=False),
    sa.Column('billable_minutes', sa.BigInteger(), nullable=False),
    sa.Column('transcribed_seconds', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('agency_id', 'day')
    )
    with op.batch_alter_table('call_day', schema=None) as batch_op:
        batch_op.create_index('ix_call_day_cycle', ['cycle', 'agency_id'], unique=False)

    op.create_table('dialing_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('active_from', sa.Date(), nullable=False),
    sa.Column('active_to', sa.Date(), nullable=True),
    sa.CheckConstraint('active_to IS NULL OR active_to > active_from', name='ck_number_order'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id', 'number', 'active_from', name='uq_number_agency_from')
    )
    with op.batch_alter_table('dialing_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialing_number_agency_id'), ['agency_id'], unique=False)

    op.create_table('account_agency',
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['email'], ['account.email'], ),
    sa.PrimaryKeyConstraint('email', 'agency_id')
    )
    op.create_table('adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('amount', db.types.ExactDecimal(2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('invoice_number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('credit', 'debit')", name='ck_adjustment_kind'),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjustment_agency_id'), ['agency_id'], unique=False)

    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('user_fee', db.types.ExactDecimal(4), nullable=False),
    sa.Column('minimum_users', sa.Integer(), nullable=False),
    sa.Column('minute_rate', db.types.ExactDecimal(4), nullable=False),
    sa.Column('licensing_fee', db.types.ExactDecimal(4), nullable=False),
    sa.Column('minute_block', sa.Integer(), nullable=False),
    sa.Column('replenish_buffer_pct', db.types.ExactDecimal(4), nullable=False),
    sa.Column('onboarding_minutes_per_user', sa.Integer(), nullable=False),
    sa.Column('signal_mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('signal_rate', db.types.ExactDecimal(4), nullable=True),
    sa.Column('number_cleaning_rate', db.types.ExactDecimal(4), nullable=True),
    sa.Column('appointment_fee', db.types.ExactDecimal(4), nullable=True),
    sa.Column('transcription_rate', db.types.ExactDecimal(4), nullable=True),
    sa.CheckConstraint("signal_mode IN ('none', 'per_user', 'flat')", name='ck_contract_signal_mode'),
    sa.CheckConstraint('minute_block >= 1', name='ck_contract_minute_block'),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id', 'effective_from', name='uq_contract_agency_effective')
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_agency_id'), ['agency_id'], unique=False)

    op.create_table('dialer_user',
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('last_call_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.PrimaryKeyConstraint('agency_id', 'user_id')
    )
    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('cycle', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('restriction_date', sa.Date(), nullable=False),
    sa.Column('total', db.types.ExactDecimal(2), nullable=False),
    sa.Column('seats_billed', sa.Integer(), nullable=False),
    sa.Column('headcount_at_cutoff', sa.Integer(), nullable=False),
    sa.Column('minutes_used', sa.BigInteger(), nullable=False),
    sa.Column('closing_balance', sa.BigInteger(), nullable=False),
    sa.Column('replenishment', sa.BigInteger(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('issued_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id', 'cycle', name='uq_invoice_agency_cycle'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_cycle'), ['cycle'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', db.types.ExactDecimal(2), nullable=False),
    sa.Column('invoice_number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.CheckConstraint('paid_on IS NOT NULL', name='ck_payment_date'),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_agency_id'), ['agency_id'], unique=False)

    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_price', db.types.ExactDecimal(4), nullable=False),
    sa.Column('amount', db.types.ExactDecimal(2), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('invoice_id', 'position', name='uq_invoice_line_position')
    )
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_line_invoice_id'), ['invoice_id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_line_invoice_id'))

    op.drop_table('invoice_line')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_agency_id'))

    op.drop_table('payment')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_cycle'))
        batch_op.drop_index(batch_op.f('ix_invoice_agency_id'))

    op.drop_table('invoice')
    op.drop_table('dialer_user')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_agency_id'))

    op.drop_table('contract')
    with op.batch_alter_table('adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjustment_agency_id'))

    op.drop_table('adjustment')
    op.drop_table('account_agency')
    with op.batch_alter_table('dialing_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialing_number_agency_id'))

    op.drop_table('dialing_number')
    with op.batch_alter_table('call_day', schema=None) as batch_op:
        batch_op.drop_index('ix_call_day_cycle')

    op.drop_table('call_day')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_index('ix_call_agency_day')

    op.drop_table('call')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_agency_day')

    op.drop_table('appointment')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_account_manager'))

    op.drop_table('agency')
    op.drop_table('account')
    with op.batch_alter_table('access_span', schema=None) as batch_op:
        batch_op.drop_index('ix_access_span_agency')

    op.drop_table('access_span')

