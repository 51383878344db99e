"""commit-reveal: project schedules, slice sets, revealed slices; contributions as commits with their
reveal, attestation and bond; funded epochs, allocations, claims, sweeps and explanations keyed by
(project_id, epoch)

The contracts of issue 12 are a new deployment whose events do not map onto the old rows
(ContributionSubmitted is gone, epochs were numbered globally), so the tables they fill are
recreated empty and the indexer's cursor and block hashes are cleared: the next run indexes the
deployment again from its first block. Governance rows are kept (re-ingesting them inserts nothing).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _forget_indexed_blocks() -> None:
    op.execute(sa.text('DELETE FROM indexer_cursor'))
    op.execute(sa.text('DELETE FROM indexed_blocks'))
    op.execute(sa.text('DELETE FROM project_pauses'))


def upgrade() -> None:
    op.drop_table('score_explanations')
    op.drop_table('allocations')
    op.drop_table('claims')
    op.drop_table('sweeps')
    op.drop_table('epochs')
    op.drop_table('attestations')
    op.drop_table('contributions')
    op.drop_table('projects')

    op.create_table('projects',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('task', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Text(), nullable=False),
    sa.Column('benchmark_cid', sa.Text(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('project_id')
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_block_number'), ['block_number'], unique=False)

    op.create_table('schedule_changes',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('from_epoch', sa.BigInteger(), nullable=False),
    sa.Column('start_time', sa.BigInteger(), nullable=False),
    sa.Column('commit_window', sa.BigInteger(), nullable=False),
    sa.Column('reveal_window', sa.BigInteger(), nullable=False),
    sa.Column('bond', api.models.Uint256(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('schedule_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_changes_project_id'), ['project_id'], unique=False)

    op.create_table('project_schedules',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('from_epoch', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('start_time', sa.BigInteger(), nullable=False),
    sa.Column('commit_window', sa.BigInteger(), nullable=False),
    sa.Column('reveal_window', sa.BigInteger(), nullable=False),
    sa.Column('bond', api.models.Uint256(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'from_epoch')
    )
    with op.batch_alter_table('project_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_schedules_block_number'), ['block_number'], unique=False)

    op.create_table('slice_sets',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('slice_set', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('slices_root', sa.String(length=66), nullable=False),
    sa.Column('slice_count', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'slice_set')
    )
    with op.batch_alter_table('slice_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slice_sets_block_number'), ['block_number'], unique=False)

    op.create_table('revealed_slices',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('epoch', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('slice_set', sa.BigInteger(), nullable=False),
    sa.Column('slice_index', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.String(length=66), nullable=False),
    sa.Column('salt', sa.String(length=66), nullable=False),
    sa.Column('cid', sa.Text(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'epoch')
    )
    with op.batch_alter_table('revealed_slices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revealed_slices_block_number'), ['block_number'], unique=False)

    op.create_table('contributions',
    sa.Column('contribution_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('epoch', sa.BigInteger(), nullable=False),
    sa.Column('contributor', sa.String(length=42), nullable=False),
    sa.Column('commitment', sa.String(length=66), nullable=False),
    sa.Column('bond', api.models.Uint256(), nullable=False),
    sa.Column('relayer', sa.String(length=42), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.Integer(), nullable=True),
    sa.Column('cid', sa.Text(), nullable=True),
    sa.Column('reveal_block', sa.BigInteger(), nullable=True),
    sa.Column('reveal_tx', sa.String(length=66), nullable=True),
    sa.Column('reveal_relayer', sa.String(length=42), nullable=True),
    sa.Column('score', api.models.Uint256(), nullable=True),
    sa.Column('valid', sa.Boolean(), nullable=True),
    sa.Column('report_cid', sa.Text(), nullable=True),
    sa.Column('bond_state', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('contribution_id')
    )
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contributions_block_number'), ['block_number'], unique=False)
        batch_op.create_index('ix_contributions_contributor_id', ['contributor', 'contribution_id'], unique=False)
        batch_op.create_index('ix_contributions_epoch_id', ['epoch', 'contribution_id'], unique=False)
        batch_op.create_index('ix_contributions_project_epoch_id', ['project_id', 'epoch', 'contribution_id'], unique=False)
        batch_op.create_index('ix_contributions_project_id', ['project_id', 'contribution_id'], unique=False)
        batch_op.create_index('ix_contributions_status_id', ['status', 'contribution_id'], unique=False)

    op.create_table('reveals',
    sa.Column('contribution_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.Integer(), nullable=False),
    sa.Column('cid', sa.Text(), nullable=False),
    sa.Column('relayer', sa.String(length=42), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('contribution_id')
    )
    with op.batch_alter_table('reveals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reveals_block_number'), ['block_number'], unique=False)

    op.create_table('attestations',
    sa.Column('contribution_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('score', api.models.Uint256(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('report_cid', sa.Text(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('contribution_id')
    )
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attestations_block_number'), ['block_number'], unique=False)

    op.create_table('bond_settlements',
    sa.Column('contribution_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('returned', sa.Boolean(), nullable=False),
    sa.Column('amount', api.models.Uint256(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('contribution_id')
    )
    with op.batch_alter_table('bond_settlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bond_settlements_block_number'), ['block_number'], unique=False)

    op.create_table('epochs',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('epoch', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('epoch_key', api.models.Uint256(), nullable=False),
    sa.Column('merkle_root', sa.String(length=66), nullable=False),
    sa.Column('total', api.models.Uint256(), nullable=False),
    sa.Column('report_cid', sa.Text(), nullable=False),
    sa.Column('claim_deadline', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('report_status', sa.String(length=16), nullable=False),
    sa.Column('report_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('project_id', 'epoch'),
    sa.UniqueConstraint('epoch_key')
    )
    with op.batch_alter_table('epochs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epochs_block_number'), ['block_number'], unique=False)

    op.create_table('allocations',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('epoch', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('leaf_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('amount', api.models.Uint256(), nullable=False),
    sa.Column('proof', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['project_id', 'epoch'], ['epochs.project_id', 'epochs.epoch'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'epoch', 'leaf_index')
    )
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocations_account'), ['account'], unique=False)

    op.create_table('score_explanations',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('epoch', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('contribution_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('metric', sa.Text(), nullable=True),
    sa.Column('metric_value', sa.Float(), nullable=True),
    sa.Column('gain', sa.Float(), nullable=True),
    sa.Column('gain_lower', sa.Float(), nullable=True),
    sa.Column('gain_upper', sa.Float(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('copy_of', sa.Text(), nullable=True),
    sa.Column('report_cid', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['project_id', 'epoch'], ['epochs.project_id', 'epochs.epoch'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'epoch', 'contribution_id')
    )
    with op.batch_alter_table('score_explanations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_explanations_contribution_id'), ['contribution_id'], unique=False)

    op.create_table('claims',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('epoch', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('leaf_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('amount', api.models.Uint256(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'epoch', 'leaf_index')
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_block_number'), ['block_number'], unique=False)

    op.create_table('sweeps',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('epoch', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('treasury', sa.String(length=42), nullable=False),
    sa.Column('amount', api.models.Uint256(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'epoch')
    )
    with op.batch_alter_table('sweeps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sweeps_block_number'), ['block_number'], unique=False)
    _forget_indexed_blocks()


def downgrade() -> None:
    op.drop_table('score_explanations')
    op.drop_table('allocations')
    op.drop_table('claims')
    op.drop_table('sweeps')
    op.drop_table('epochs')
    op.drop_table('bond_settlements')
    op.drop_table('attestations')
    op.drop_table('reveals')
    op.drop_table('contributions')
    op.drop_table('revealed_slices')
    op.drop_table('slice_sets')
    op.drop_table('project_schedules')
    op.drop_table('schedule_changes')
    op.drop_table('projects')

    op.create_table('projects',
    sa.Column('project_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('task', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Text(), nullable=False),
    sa.Column('benchmark_cid', sa.Text(), nullable=False),
    sa.Column('answers_commitment', sa.String(length=66), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('project_id')
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_block_number'), ['block_number'], unique=False)

    op.create_table('contributions',
    sa.Column('contribution_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('contributor', sa.String(length=42), nullable=False),
    sa.Column('kind', sa.Integer(), nullable=False),
    sa.Column('cid', sa.Text(), nullable=False),
    sa.Column('relayer', sa.String(length=42), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('score', api.models.Uint256(), nullable=True),
    sa.Column('report_cid', sa.Text(), nullable=True),
    sa.Column('epoch_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('contribution_id')
    )
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contributions_block_number'), ['block_number'], unique=False)
        batch_op.create_index('ix_contributions_contributor_id', ['contributor', 'contribution_id'], unique=False)
        batch_op.create_index('ix_contributions_epoch_id', ['epoch_id', 'contribution_id'], unique=False)
        batch_op.create_index('ix_contributions_project_id', ['project_id', 'contribution_id'], unique=False)
        batch_op.create_index('ix_contributions_status_id', ['status', 'contribution_id'], unique=False)

    op.create_table('attestations',
    sa.Column('contribution_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('score', api.models.Uint256(), nullable=False),
    sa.Column('report_cid', sa.Text(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('contribution_id')
    )
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attestations_block_number'), ['block_number'], unique=False)

    op.create_table('epochs',
    sa.Column('epoch_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('merkle_root', sa.String(length=66), nullable=False),
    sa.Column('total', api.models.Uint256(), nullable=False),
    sa.Column('report_cid', sa.Text(), nullable=False),
    sa.Column('claim_deadline', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('report_status', sa.String(length=16), nullable=False),
    sa.Column('report_error', sa.Text(), nullable=True),
    sa.Column('project', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('epoch_id')
    )
    with op.batch_alter_table('epochs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epochs_block_number'), ['block_number'], unique=False)

    op.create_table('claims',
    sa.Column('epoch_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('leaf_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('amount', api.models.Uint256(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('epoch_id', 'leaf_index')
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_block_number'), ['block_number'], unique=False)

    op.create_table('sweeps',
    sa.Column('epoch_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('treasury', sa.String(length=42), nullable=False),
    sa.Column('amount', api.models.Uint256(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('epoch_id')
    )
    with op.batch_alter_table('sweeps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sweeps_block_number'), ['block_number'], unique=False)

    op.create_table('allocations',
    sa.Column('epoch_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('leaf_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('amount', api.models.Uint256(), nullable=False),
    sa.Column('proof', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['epoch_id'], ['epochs.epoch_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('epoch_id', 'leaf_index')
    )
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocations_account'), ['account'], unique=False)

    op.create_table('score_explanations',
    sa.Column('epoch_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('contribution_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('metric', sa.Text(), nullable=True),
    sa.Column('metric_value', sa.Float(), nullable=True),
    sa.Column('gain', sa.Float(), nullable=True),
    sa.Column('gain_lower', sa.Float(), nullable=True),
    sa.Column('gain_upper', sa.Float(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('copy_of', sa.Text(), nullable=True),
    sa.Column('report_cid', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['epoch_id'], ['epochs.epoch_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('epoch_id', 'contribution_id')
    )
    with op.batch_alter_table('score_explanations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_explanations_contribution_id'), ['contribution_id'], unique=False)
    _forget_indexed_blocks()
