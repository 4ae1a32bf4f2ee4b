"""Tables for the whole product. Every timestamp is aware UTC (UTCDateTime)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, EnumString, UTCDateTime, utcnow
from bot.vocabulary import (
    ActionKind,
    ActionState,
    AlertStatus,
    Audience,
    ChangeKind,
    ChartPhase,
    CommsKind,
    DeliveryState,
    DraftState,
    EvalRequestState,
    EventKind,
    IncidentType,
    Obligation,
    PageState,
    PostmortemState,
    Role,
    RunState,
    Severity,
    Source,
    Status,
    StepState,
    SyncState,
    TargetKind,
    TrackerKind,
)

Json = JSON()


class Counter(Base):
    """Named sequences, e.g. the human-friendly incident number."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_source_declared", "alert_source", "declared_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[IncidentType] = mapped_column(EnumString(IncidentType, 40))
    severity: Mapped[Severity] = mapped_column(EnumString(Severity, 4))
    status: Mapped[Status] = mapped_column(EnumString(Status, 20), index=True)
    feature: Mapped[str | None] = mapped_column(String(200), index=True)
    service: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    responders: Mapped[list[str]] = mapped_column(Json, default=list)
    group_key: Mapped[str | None] = mapped_column(String(300), index=True)
    # Set while the incident is open and cleared when it ends: the unique constraint is what
    # makes concurrent deliveries of one problem open a single incident.
    open_group_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    channel_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    channel_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    summary_ts: Mapped[str | None] = mapped_column(String(40))
    topic: Mapped[str | None] = mapped_column(String(250))
    declared_by: Mapped[str] = mapped_column(String(80))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contained_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The monitor whose alert opened it (alert-opened incidents only): the storm cap counts these.
    alert_source: Mapped[Source | None] = mapped_column(EnumString(Source, 20))


class StormGroup(Base):
    """An alert group that arrived past the storm cap and went to its source's storm incident.

    Intake finds the storm incident for the group's next alerts by this key, set-based, as it
    finds open incidents by their group key; `/incident split` opens it as its own incident.
    """

    __tablename__ = "storm_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(300), unique=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    source: Mapped[Source] = mapped_column(EnumString(Source, 20))
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[IncidentType] = mapped_column(EnumString(IncidentType, 40))
    severity: Mapped[Severity] = mapped_column(EnumString(Severity, 4))
    feature: Mapped[str | None] = mapped_column(String(200))
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlackCallSlot(Base):
    """One paced Slack call made (e.g. conversations.create), for a limit shared by replicas."""

    __tablename__ = "slack_call_slots"
    __table_args__ = (Index("ix_slack_call_slots_method_at", "method", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    method: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentRole(Base):
    __tablename__ = "incident_roles"
    __table_args__ = (UniqueConstraint("incident_id", "role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(EnumString(Role, 20))
    user_id: Mapped[str] = mapped_column(String(40))
    assigned_by: Mapped[str] = mapped_column(String(80))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimelineEvent(Base):
    __tablename__ = "timeline_events"
    __table_args__ = (
        UniqueConstraint("incident_id", "dedupe_key"),
        Index("ix_timeline_incident_at", "incident_id", "at"),
        Index("ix_timeline_incident_kind_at", "incident_id", "kind", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    # A kind added by a newer release reads as a note.
    kind: Mapped[EventKind] = mapped_column(EnumString(EventKind, 30, unknown=EventKind.NOTE))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))


class AlertDelivery(Base):
    """One HTTP delivery from a monitor, its raw body kept exactly as received."""

    __tablename__ = "alert_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[Source] = mapped_column(EnumString(Source, 20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    alert_count: Mapped[int] = mapped_column(Integer, default=0)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_incident_received", "incident_id", "received_at"),
        Index("ix_alerts_incident_dedupe", "incident_id", "dedupe_key"),
        Index("ix_alerts_incident_group", "incident_id", "group_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("alert_deliveries.id"))
    # A hash of the source and the alert's own JSON: the same delivery sent twice is stored once.
    content_key: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[Source] = mapped_column(EnumString(Source, 20))
    external_id: Mapped[str] = mapped_column(String(300))
    dedupe_key: Mapped[str] = mapped_column(String(300), index=True)
    group_key: Mapped[str | None] = mapped_column(String(300))  # the incident group it routed to
    status: Mapped[AlertStatus] = mapped_column(EnumString(AlertStatus, 10))
    severity: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    links: Mapped[list[dict[str, str]]] = mapped_column(Json, default=list)
    values: Mapped[dict[str, float]] = mapped_column(Json, default=dict)
    raw: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))


class Change(Base):
    """The change ledger: model, prompt, index, deploy, config, provider or traffic changes."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_feature_at", "feature", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ChangeKind] = mapped_column(EnumString(ChangeKind, 20))
    service: Mapped[str | None] = mapped_column(String(200), index=True)
    feature: Mapped[str | None] = mapped_column(String(200))
    from_version: Mapped[str | None] = mapped_column(String(300))
    to_version: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str | None] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvalRun(Base):
    __tablename__ = "eval_runs"
    __table_args__ = (Index("ix_eval_runs_feature_at", "feature", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suite: Mapped[str] = mapped_column(String(200))
    feature: Mapped[str] = mapped_column(String(200))
    passed: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    versions: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    link: Mapped[str | None] = mapped_column(String(1000))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Person(Base):
    """A Slack user's name as `users.info` last gave it, so documents name people, not ids."""

    __tablename__ = "people"
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DueWork(Base):
    """Work with a time in it: Slack calls to make, reminders, nudges, digests."""

    __tablename__ = "due_work"
    __table_args__ = (
        UniqueConstraint("kind", "subject_key"),
        Index("ix_due_work_pending", "done_at", "due_at"),
        Index("ix_due_work_sequence", "sequence_key", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Plain text, not a JobKind: during a rolling deploy a newer release queues kinds an older
    # worker does not know, and that worker must still read the table (it never claims them).
    kind: Mapped[str] = mapped_column(String(40))
    subject_key: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # New on every claim: only the run holding the current claim may finish or reschedule it.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # Work sharing a sequence key runs one at a time, oldest first, across all workers.
    sequence_key: Mapped[str | None] = mapped_column(String(120))
    # Set when work is scheduled again while it runs: that run may have read the old state, so
    # the work runs once more after it (on the same claim, never two runs at once).
    run_again: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Claimed lowest first among due work: channel openings by severity (P1 = 1) before the rest.
    priority: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlaybookStep(Base):
    __tablename__ = "playbook_steps"
    __table_args__ = (UniqueConstraint("incident_id", "step_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(80))
    state: Mapped[StepState] = mapped_column(EnumString(StepState, 20))
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlaybookMessage(Base):
    """One posted phase of an incident's playbook: the steps it shows and its message ts."""

    __tablename__ = "playbook_messages"
    __table_args__ = (UniqueConstraint("incident_id", "playbook_type", "phase_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    playbook_type: Mapped[IncidentType] = mapped_column(EnumString(IncidentType, 40))
    phase_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    step_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    channel_id: Mapped[str | None] = mapped_column(String(40))
    ts: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once a type change replaced this playbook and its message was marked as replaced.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ContainmentRun(Base):
    """Audit of every containment action: who, when, what was sent (no secrets), the answer."""

    __tablename__ = "containment_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    action_key: Mapped[str] = mapped_column(String(60))
    provider: Mapped[str] = mapped_column(String(60))
    # One click runs once: the click's key is unique, a deliberate re-run gets a new key.
    click_key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[RunState] = mapped_column(EnumString(RunState, 20))
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    undo_of_id: Mapped[int | None] = mapped_column(ForeignKey("containment_runs.id"))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    undo_data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    message_ts: Mapped[str | None] = mapped_column(String(40))


class CommsDraft(Base):
    __tablename__ = "comms_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CommsKind] = mapped_column(EnumString(CommsKind, 40))
    audience: Mapped[Audience] = mapped_column(EnumString(Audience, 20))
    state: Mapped[DraftState] = mapped_column(EnumString(DraftState, 20), default=DraftState.DRAFT)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(80))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    override_reason: Mapped[str | None] = mapped_column(Text)
    # "<incident>:<kind>" while unpublished, then NULL: one open draft per kind and incident.
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    published_version: Mapped[int | None] = mapped_column(Integer)
    message_ts: Mapped[str | None] = mapped_column(String(40))  # the draft card in the channel


class CommsVersion(Base):
    __tablename__ = "comms_versions"
    __table_args__ = (UniqueConstraint("draft_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("comms_drafts.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    scope: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    author: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommsPublication(Base):
    """One approved version sent to one target: what happened, and the remote id it got."""

    __tablename__ = "comms_publications"
    __table_args__ = (
        UniqueConstraint("draft_id", "version", "target"),
        Index("ix_comms_publications_incident_target", "incident_id", "target"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("comms_drafts.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(60))
    target_kind: Mapped[TargetKind] = mapped_column(EnumString(TargetKind, 20))
    state: Mapped[DeliveryState] = mapped_column(
        EnumString(DeliveryState, 20), default=DeliveryState.PENDING
    )
    # Statuspage incident id (reused by later updates) or the Slack message ts.
    external_id: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CommsObligation(Base):
    """A communication an incident owes by a time: the next update, legal notice, follow-up."""

    __tablename__ = "comms_obligations"
    __table_args__ = (UniqueConstraint("incident_id", "obligation"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    obligation: Mapped[Obligation] = mapped_column(EnumString(Obligation, 30))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(80))
    reminders: Mapped[int] = mapped_column(Integer, default=0)


class ActionItem(Base):
    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_owner_state", "owner_id", "state"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str] = mapped_column(String(40))
    team: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[ActionKind] = mapped_column(EnumString(ActionKind, 20))
    state: Mapped[ActionState] = mapped_column(
        EnumString(ActionState, 20), default=ActionState.OPEN
    )
    due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel_id: Mapped[str | None] = mapped_column(String(40))
    message_ts: Mapped[str | None] = mapped_column(String(40))


class Postmortem(Base):
    __tablename__ = "postmortems"
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[PostmortemState] = mapped_column(
        EnumString(PostmortemState, 20), default=PostmortemState.DRAFT
    )
    markdown: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LoginLink(Base):
    """A web login link that was used: each link signs in once."""

    __tablename__ = "login_links"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TrackerIssue(Base):
    """An action item's issue in Jira or Linear: recorded before it is created, then synced."""

    __tablename__ = "tracker_issues"
    __table_args__ = (
        Index("ix_tracker_issues_remote", "kind", "remote_id"),
        Index("ix_tracker_issues_key", "kind", "remote_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("action_items.id", ondelete="CASCADE"), unique=True
    )
    tracker: Mapped[str] = mapped_column(String(60))  # the config's name for it
    kind: Mapped[TrackerKind] = mapped_column(EnumString(TrackerKind, 20))
    # Linear: the UUID chosen before creating; Jira: the issue id once known.
    remote_id: Mapped[str | None] = mapped_column(String(120))
    remote_key: Mapped[str | None] = mapped_column(String(60))  # AIQ-12, ENG-123
    url: Mapped[str | None] = mapped_column(String(500))
    sync: Mapped[SyncState] = mapped_column(EnumString(SyncState, 20), default=SyncState.PENDING)
    # The item's state and due date as the tracker last showed or was sent them.
    remote_state: Mapped[ActionState | None] = mapped_column(EnumString(ActionState, 20))
    remote_due: Mapped[date | None] = mapped_column(Date)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Page(Base):
    """A page of an on-call target for an incident: what PagerDuty should show, and what it does."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("incident_id", "target"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(60))
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    requested_by: Mapped[str] = mapped_column(String(80))
    wanted: Mapped[PageState] = mapped_column(EnumString(PageState, 20))
    sent: Mapped[PageState | None] = mapped_column(EnumString(PageState, 20))  # PagerDuty accepted
    remote_id: Mapped[str | None] = mapped_column(String(40))  # a REST-created incident's id
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostmortemDocument(Base):
    """The postmortem in Slack: a channel canvas, or a Markdown file where canvases are off."""

    __tablename__ = "postmortem_documents"
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str | None] = mapped_column(String(10))  # canvas | file, once decided
    remote_id: Mapped[str | None] = mapped_column(String(40))  # canvas or file id
    permalink: Mapped[str | None] = mapped_column(String(500))
    revision: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every rewrite
    synced_revision: Mapped[int] = mapped_column(Integer, default=0)
    # File fallback: a revision's file id is kept from the moment Slack gives it out, and the
    # revision it replaces is deleted once the new one is shared.
    pending_file_id: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Signal(Base):
    """A quality signal of one feature, watched by the control-chart detector (its state here)."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("name", "feature"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    feature: Mapped[str] = mapped_column(String(200), index=True)
    rate: Mapped[bool] = mapped_column(default=False)  # passed/total points, else values
    state: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    alarmed: Mapped[bool] = mapped_column(default=False)
    points: Mapped[int] = mapped_column(Integer, default=0)  # detected so far
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignalPoint(Base):
    """One point of a signal, never changed once stored."""

    __tablename__ = "signal_points"
    __table_args__ = (Index("ix_signal_points_signal_at", "signal_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column()  # the rate for a rate
    passed: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int | None] = mapped_column(Integer)
    eval_run_id: Mapped[int | None] = mapped_column(ForeignKey("eval_runs.id", ondelete="SET NULL"))


class SignalInbox(Base):
    """Points the detector has not seen yet; it deletes them as it sees them.

    A narrow queue of its own, because marking a flag on each point rewrites the whole row.
    """

    __tablename__ = "signal_inbox"
    point_id: Mapped[int] = mapped_column(
        ForeignKey("signal_points.id", ondelete="CASCADE"), primary_key=True
    )


class SignalChart(Base):
    """A control chart shared in an incident channel: when it opened, and again at resolve."""

    __tablename__ = "signal_charts"
    __table_args__ = (UniqueConstraint("incident_id", "phase"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    phase: Mapped[ChartPhase] = mapped_column(EnumString(ChartPhase, 10))
    file_id: Mapped[str | None] = mapped_column(String(40))  # known before it is shared
    permalink: Mapped[str | None] = mapped_column(String(500))
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EvalRequest(Base):
    """A click on "Run evals": one call to the eval runner, its results come to POST /evals."""

    __tablename__ = "eval_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    runner: Mapped[str] = mapped_column(String(80))
    status: Mapped[EvalRequestState] = mapped_column(EnumString(EvalRequestState, 20))
    request: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    response: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
