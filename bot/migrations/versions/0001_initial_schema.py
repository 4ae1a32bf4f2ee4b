"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 07:25:28.402805
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("received_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("feature", sa.String(length=200), nullable=True),
        sa.Column("from_version", sa.String(length=300), nullable=True),
        sa.Column("to_version", sa.String(length=300), nullable=True),
        sa.Column("at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("link", sa.String(length=1000), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("received_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index("ix_changes_feature_at", ["feature", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_changes_service"), ["service"], unique=False)

    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("responders", sa.JSON(), nullable=False),
        sa.Column("group_key", sa.String(length=300), nullable=True),
        sa.Column("open_group_key", sa.String(length=300), nullable=True),
        sa.Column("channel_id", sa.String(length=40), nullable=True),
        sa.Column("channel_name", sa.String(length=80), nullable=True),
        sa.Column("summary_ts", sa.String(length=40), nullable=True),
        sa.Column("topic", sa.String(length=250), nullable=True),
        sa.Column("declared_by", sa.String(length=80), nullable=False),
        sa.Column("declared_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_alert_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("contained_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolve_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_incidents_channel_id")),
        sa.UniqueConstraint("channel_name", name=op.f("uq_incidents_channel_name")),
        sa.UniqueConstraint("number", name=op.f("uq_incidents_number")),
        sa.UniqueConstraint("open_group_key", name=op.f("uq_incidents_open_group_key")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_feature"), ["feature"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_group_key"), ["group_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_status"), ["status"], unique=False)

    op.create_table(
        "slack_events",
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("received_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_slack_events")),
    )
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.String(length=40), nullable=True),
        sa.Column("message_ts", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_action_items_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.create_index("ix_action_items_owner_state", ["owner_id", "state"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("content_key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("severity", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("starts_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["alert_deliveries.id"],
            name=op.f("fk_alerts_delivery_id_alert_deliveries"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_alerts_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("content_key", name=op.f("uq_alerts_content_key")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_dedupe_key"), ["dedupe_key"], unique=False)
        batch_op.create_index(
            "ix_alerts_incident_dedupe", ["incident_id", "dedupe_key"], unique=False
        )
        batch_op.create_index(
            "ix_alerts_incident_received", ["incident_id", "received_at"], unique=False
        )

    op.create_table(
        "comms_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=80), nullable=True),
        sa.Column("published_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("open_key", sa.String(length=80), nullable=True),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("message_ts", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_comms_drafts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comms_drafts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_comms_drafts_open_key")),
    )
    with op.batch_alter_table("comms_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comms_drafts_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "comms_obligations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("obligation", sa.String(length=30), nullable=False),
        sa.Column("due_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=80), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_comms_obligations_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comms_obligations")),
        sa.UniqueConstraint(
            "incident_id", "obligation", name=op.f("uq_comms_obligations_incident_id_obligation")
        ),
    )
    op.create_table(
        "containment_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("action_key", sa.String(length=60), nullable=False),
        sa.Column("provider", sa.String(length=60), nullable=False),
        sa.Column("click_key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("requested_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("undo_of_id", sa.Integer(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("undo_data", sa.JSON(), nullable=False),
        sa.Column("message_ts", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_containment_runs_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["undo_of_id"],
            ["containment_runs.id"],
            name=op.f("fk_containment_runs_undo_of_id_containment_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containment_runs")),
        sa.UniqueConstraint("click_key", name=op.f("uq_containment_runs_click_key")),
    )
    op.create_table(
        "due_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_until", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("done_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_due_work_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_work")),
        sa.UniqueConstraint("kind", "subject_key", name=op.f("uq_due_work_kind_subject_key")),
    )
    with op.batch_alter_table("due_work", schema=None) as batch_op:
        batch_op.create_index("ix_due_work_pending", ["done_at", "due_at"], unique=False)

    op.create_table(
        "eval_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suite", sa.String(length=200), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("link", sa.String(length=1000), nullable=True),
        sa.Column("received_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_eval_runs_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_runs")),
    )
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        batch_op.create_index("ix_eval_runs_feature_at", ["feature", "at"], unique=False)

    op.create_table(
        "incident_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("assigned_by", sa.String(length=80), nullable=False),
        sa.Column("assigned_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_roles_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_roles")),
        sa.UniqueConstraint("incident_id", "role", name=op.f("uq_incident_roles_incident_id_role")),
    )
    op.create_table(
        "playbook_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("playbook_type", sa.String(length=40), nullable=False),
        sa.Column("phase_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("step_ids", sa.JSON(), nullable=False),
        sa.Column("channel_id", sa.String(length=40), nullable=True),
        sa.Column("ts", sa.String(length=40), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_playbook_messages_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_messages")),
        sa.UniqueConstraint(
            "incident_id",
            "playbook_type",
            "phase_id",
            name=op.f("uq_playbook_messages_incident_id_playbook_type_phase_id"),
        ),
    )
    op.create_table(
        "playbook_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_playbook_steps_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_steps")),
        sa.UniqueConstraint(
            "incident_id", "step_id", name=op.f("uq_playbook_steps_incident_id_step_id")
        ),
    )
    op.create_table(
        "postmortems",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_postmortems_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_postmortems")),
    )
    op.create_table(
        "timeline_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_timeline_events_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events")),
        sa.UniqueConstraint(
            "incident_id", "dedupe_key", name=op.f("uq_timeline_events_incident_id_dedupe_key")
        ),
    )
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.create_index("ix_timeline_incident_at", ["incident_id", "at"], unique=False)
        batch_op.create_index(
            "ix_timeline_incident_kind_at", ["incident_id", "kind", "at"], unique=False
        )

    op.create_table(
        "comms_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=60), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("requested_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["comms_drafts.id"],
            name=op.f("fk_comms_publications_draft_id_comms_drafts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_comms_publications_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comms_publications")),
        sa.UniqueConstraint(
            "draft_id",
            "version",
            "target",
            name=op.f("uq_comms_publications_draft_id_version_target"),
        ),
    )
    with op.batch_alter_table("comms_publications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_comms_publications_incident_target", ["incident_id", "target"], unique=False
        )

    op.create_table(
        "comms_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["comms_drafts.id"],
            name=op.f("fk_comms_versions_draft_id_comms_drafts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comms_versions")),
        sa.UniqueConstraint("draft_id", "version", name=op.f("uq_comms_versions_draft_id_version")),
    )


def downgrade() -> None:

    op.drop_table("comms_versions")
    with op.batch_alter_table("comms_publications", schema=None) as batch_op:
        batch_op.drop_index("ix_comms_publications_incident_target")

    op.drop_table("comms_publications")
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_incident_kind_at")
        batch_op.drop_index("ix_timeline_incident_at")

    op.drop_table("timeline_events")
    op.drop_table("postmortems")
    op.drop_table("playbook_steps")
    op.drop_table("playbook_messages")
    op.drop_table("incident_roles")
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_eval_runs_feature_at")

    op.drop_table("eval_runs")
    with op.batch_alter_table("due_work", schema=None) as batch_op:
        batch_op.drop_index("ix_due_work_pending")

    op.drop_table("due_work")
    op.drop_table("containment_runs")
    op.drop_table("comms_obligations")
    with op.batch_alter_table("comms_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comms_drafts_incident_id"))

    op.drop_table("comms_drafts")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_incident_received")
        batch_op.drop_index("ix_alerts_incident_dedupe")
        batch_op.drop_index(batch_op.f("ix_alerts_dedupe_key"))

    op.drop_table("alerts")
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_index("ix_action_items_owner_state")

    op.drop_table("action_items")
    op.drop_table("slack_events")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_status"))
        batch_op.drop_index(batch_op.f("ix_incidents_group_key"))
        batch_op.drop_index(batch_op.f("ix_incidents_feature"))

    op.drop_table("incidents")
    op.drop_table("counters")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_changes_service"))
        batch_op.drop_index("ix_changes_feature_at")

    op.drop_table("changes")
    op.drop_table("alert_deliveries")
