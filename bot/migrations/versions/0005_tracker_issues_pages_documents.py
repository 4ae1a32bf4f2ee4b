"""tracker issues, pages, postmortem documents

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:17:20.847345
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=60), nullable=False),
        sa.Column("dedup_key", sa.String(length=255), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("wanted", sa.String(length=20), nullable=False),
        sa.Column("sent", sa.String(length=20), nullable=True),
        sa.Column("remote_id", sa.String(length=40), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_pages_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_pages_dedup_key")),
        sa.UniqueConstraint("incident_id", "target", name=op.f("uq_pages_incident_id_target")),
    )
    op.create_table(
        "postmortem_documents",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("remote_id", sa.String(length=40), nullable=True),
        sa.Column("permalink", sa.String(length=500), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("synced_revision", sa.Integer(), nullable=False),
        sa.Column("pending_file_id", sa.String(length=40), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_postmortem_documents_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_postmortem_documents")),
    )
    op.create_table(
        "tracker_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("tracker", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("remote_id", sa.String(length=120), nullable=True),
        sa.Column("remote_key", sa.String(length=60), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("sync", sa.String(length=20), nullable=False),
        sa.Column("remote_state", sa.String(length=20), nullable=True),
        sa.Column("remote_due", sa.Date(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["action_items.id"],
            name=op.f("fk_tracker_issues_item_id_action_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_issues")),
        sa.UniqueConstraint("item_id", name=op.f("uq_tracker_issues_item_id")),
    )
    with op.batch_alter_table("tracker_issues", schema=None) as batch_op:
        batch_op.create_index("ix_tracker_issues_key", ["kind", "remote_key"], unique=False)
        batch_op.create_index("ix_tracker_issues_remote", ["kind", "remote_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("tracker_issues", schema=None) as batch_op:
        batch_op.drop_index("ix_tracker_issues_remote")
        batch_op.drop_index("ix_tracker_issues_key")

    op.drop_table("tracker_issues")
    op.drop_table("postmortem_documents")
    op.drop_table("pages")
