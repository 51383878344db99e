"""epoch verification: each funded epoch's report checked against the indexed chain record and
recomputed from its public artifacts (status, differences, what stayed unchecked, when)

Epochs indexed before this revision start `pending`: the indexer verifies them on its next cycle.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('epochs', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('verification_status', sa.String(length=16), server_default='pending', nullable=False)
        )
        batch_op.add_column(sa.Column('verification_differences', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('verification_unchecked', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('verification_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('verified_block', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('verified_at', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('epochs', schema=None) as batch_op:
        batch_op.drop_column('verified_at')
        batch_op.drop_column('verified_block')
        batch_op.drop_column('verification_error')
        batch_op.drop_column('verification_unchecked')
        batch_op.drop_column('verification_differences')
        batch_op.drop_column('verification_status')
