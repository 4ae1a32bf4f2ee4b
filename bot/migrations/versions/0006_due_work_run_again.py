"""due work runs again after its current run; Slack event ids kept with their queued work

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("due_work") as batch:
        batch.add_column(
            sa.Column("run_again", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.drop_table("slack_events")


def downgrade() -> None:
    op.create_table(
        "slack_events",
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("received_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_slack_events")),
    )
    with op.batch_alter_table("due_work") as batch:
        batch.drop_column("run_again")
