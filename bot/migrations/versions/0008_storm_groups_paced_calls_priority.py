"""storm groups, paced Slack calls, work priority

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:07:56.632491
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_call_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=60), nullable=False),
        sa.Column("at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_call_slots")),
    )
    with op.batch_alter_table("slack_call_slots", schema=None) as batch_op:
        batch_op.create_index("ix_slack_call_slots_method_at", ["method", "at"], unique=False)

    op.create_table(
        "storm_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=300), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=4), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=True),
        sa.Column("first_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_storm_groups_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storm_groups")),
        sa.UniqueConstraint("group_key", name=op.f("uq_storm_groups_group_key")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_key", sa.String(length=300), nullable=True))
        batch_op.create_index(
            "ix_alerts_incident_group", ["incident_id", "group_key"], unique=False
        )

    with op.batch_alter_table("due_work", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.Integer(), server_default="100", nullable=False)
        )

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_source", sa.String(length=20), nullable=True))
        batch_op.create_index(
            "ix_incidents_source_declared", ["alert_source", "declared_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_source_declared")
        batch_op.drop_column("alert_source")

    with op.batch_alter_table("due_work", schema=None) as batch_op:
        batch_op.drop_column("priority")

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_incident_group")
        batch_op.drop_column("group_key")

    op.drop_table("storm_groups")
    with op.batch_alter_table("slack_call_slots", schema=None) as batch_op:
        batch_op.drop_index("ix_slack_call_slots_method_at")

    op.drop_table("slack_call_slots")
