"""login links used for the web pages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_links",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("used_at", bot.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", bot.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index(op.f("ix_login_links_expires_at"), "login_links", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_links_expires_at"), table_name="login_links")
    op.drop_table("login_links")
