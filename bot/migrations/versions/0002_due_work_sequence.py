"""due work: a sequence key, so work for one conversation runs in the order it came

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("due_work", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence_key", sa.String(length=120), nullable=True))
        batch_op.create_index("ix_due_work_sequence", ["sequence_key", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("due_work", schema=None) as batch_op:
        batch_op.drop_index("ix_due_work_sequence")
        batch_op.drop_column("sequence_key")
