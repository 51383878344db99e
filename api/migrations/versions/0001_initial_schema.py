"""indexed chain state: projects, contributions, epochs, claims, governance

Revision ID: 0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.models

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attestations',
    sa.Column('contribution_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('score', api.models.Uint256(), nullable=False),
    sa.Column('report_cid', sa.Text(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('contribution_id')
    )
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attestations_block_number'), ['block_number'], unique=False)

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

    op.create_table('delegations',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('delegator', sa.String(length=42), nullable=False),
    sa.Column('from_delegate', sa.String(length=42), nullable=False),
    sa.Column('to_delegate', sa.String(length=42), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegations_delegator'), ['delegator'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegations_to_delegate'), ['to_delegate'], unique=False)

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

    op.create_table('indexed_blocks',
    sa.Column('number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=66), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('number')
    )
    op.create_table('indexer_cursor',
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('chain_id')
    )
    op.create_table('project_pauses',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('guardian', sa.String(length=42), nullable=True),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('project_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_pauses_project_id'), ['project_id'], unique=False)

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

    op.create_table('proposal_events',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('proposal_id', api.models.Uint256(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('eta_or_deadline', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('proposal_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_events_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposals',
    sa.Column('proposal_id', api.models.Uint256(), nullable=False),
    sa.Column('proposer', sa.String(length=42), nullable=False),
    sa.Column('targets', sa.Text(), nullable=False),
    sa.Column('values', sa.Text(), nullable=False),
    sa.Column('calldatas', sa.Text(), nullable=False),
    sa.Column('vote_start', sa.BigInteger(), nullable=False),
    sa.Column('vote_end', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('proposal_id')
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_block_number'), ['block_number'], unique=False)

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

    op.create_table('votes',
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('proposal_id', api.models.Uint256(), nullable=False),
    sa.Column('voter', sa.String(length=42), nullable=False),
    sa.Column('support', sa.Integer(), nullable=False),
    sa.Column('weight', api.models.Uint256(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_votes_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_votes_voter'), ['voter'], unique=False)

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



def downgrade() -> None:
    with op.batch_alter_table('score_explanations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_explanations_contribution_id'))

    op.drop_table('score_explanations')
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocations_account'))

    op.drop_table('allocations')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_votes_voter'))
        batch_op.drop_index(batch_op.f('ix_votes_proposal_id'))

    op.drop_table('votes')
    with op.batch_alter_table('sweeps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sweeps_block_number'))

    op.drop_table('sweeps')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_block_number'))

    op.drop_table('proposals')
    with op.batch_alter_table('proposal_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_events_proposal_id'))

    op.drop_table('proposal_events')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_block_number'))

    op.drop_table('projects')
    with op.batch_alter_table('project_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_pauses_project_id'))

    op.drop_table('project_pauses')
    op.drop_table('indexer_cursor')
    op.drop_table('indexed_blocks')
    with op.batch_alter_table('epochs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_epochs_block_number'))

    op.drop_table('epochs')
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegations_to_delegate'))
        batch_op.drop_index(batch_op.f('ix_delegations_delegator'))

    op.drop_table('delegations')
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.drop_index('ix_contributions_status_id')
        batch_op.drop_index('ix_contributions_project_id')
        batch_op.drop_index('ix_contributions_epoch_id')
        batch_op.drop_index('ix_contributions_contributor_id')
        batch_op.drop_index(batch_op.f('ix_contributions_block_number'))

    op.drop_table('contributions')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_block_number'))
        batch_op.drop_index(batch_op.f('ix_claims_account'))

    op.drop_table('claims')
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attestations_block_number'))

    op.drop_table('attestations')
