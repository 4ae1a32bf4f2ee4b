"""Postmortem vocabulary and the facts a postmortem document is rendered from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.vocabulary import (
    ActionKind,
    ActionState,
    EventKind,
    IncidentType,
    PostmortemState,
    Role,
    Severity,
    Status,
)


@dataclass(frozen=True)
class ActionItemFacts:
    """One postmortem action item as rules, digests and the document see it."""

    kind: ActionKind
    text: str
    owner: str
    due: date
    state: ActionState = ActionState.OPEN
    team: str | None = None
    incident_number: int | None = None
    item_id: int | None = None


@dataclass(frozen=True)
class IncidentTimes:
    """The moments durations and the impact window are measured from (aware UTC)."""

    declared_at: datetime
    first_signal_at: datetime | None = None
    acknowledged_at: datetime | None = None
    contained_at: datetime | None = None
    resolved_at: datetime | None = None
    impact_started_at: datetime | None = None
    impact_ended_at: datetime | None = None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: EventKind
    text: str


@dataclass(frozen=True)
class AlertSummary:
    """One group of alerts: a monitor's alerts that attached to the incident."""

    source: str
    monitor: str
    title: str
    first_seen: datetime
    last_seen: datetime
    count: int
    distinct_keys: int


@dataclass(frozen=True)
class ChangeFacts:
    """A change-ledger entry near the incident (model, prompt, index, deploy, …)."""

    kind: str
    subject: str
    from_version: str | None
    to_version: str | None
    at: datetime
    author: str | None = None


@dataclass(frozen=True)
class EvalRunFacts:
    suite: str
    passed: int
    total: int
    at: datetime


@dataclass(frozen=True)
class FixValidationFacts:
    """The statistical fix validation, or why it was skipped or overridden."""

    required: bool
    explanation: str | None = None
    override_reason: str | None = None
    overridden_by: str | None = None


@dataclass(frozen=True)
class ContainmentEntry:
    at: datetime
    actor: str
    action: str
    outcome: str


@dataclass(frozen=True)
class CommsEntry:
    at: datetime
    kind: str
    target: str
    excerpt: str


@dataclass(frozen=True)
class OutputSample:
    """A bad output next to what it should have been."""

    output: str
    expected: str
    prompt: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class PostmortemFacts:
    """Everything the postmortem document says, gathered before rendering."""

    number: int
    title: str
    incident_type: IncidentType
    severity: Severity
    feature: str
    status: Status
    times: IncidentTimes
    tz: str = "UTC"
    state: PostmortemState = PostmortemState.DRAFT
    summary: str | None = None
    impact_scope: str | None = None
    declared_by: str | None = None
    roles: Mapping[Role, str] = field(default_factory=dict)  # who holds each role, by name
    role_ids: Mapping[Role, str] = field(default_factory=dict)  # and by Slack user id
    timeline: tuple[TimelineEntry, ...] = ()
    alerts: tuple[AlertSummary, ...] = ()
    changes: tuple[ChangeFacts, ...] = ()
    evals: tuple[EvalRunFacts, ...] = ()
    validation: FixValidationFacts | None = None
    containment: tuple[ContainmentEntry, ...] = ()
    comms: tuple[CommsEntry, ...] = ()
    action_items: tuple[ActionItemFacts, ...] = ()
    samples: tuple[OutputSample, ...] = ()
    notes: str | None = None
    # Action item kinds publishing needs (the config's `followup.publish_requires`).
    required_kinds: tuple[ActionKind, ...] = (ActionKind.EVAL_CASE, ActionKind.DETECTION)


@dataclass(frozen=True)
class ActionAddArgs:
    """A parsed `/incident action add`; `due` and `kind` are None when not given."""

    text: str
    owner_id: str
    due: date | None = None
    kind: ActionKind | None = None


class Scope(StrEnum):
    HERE = "here"  # this incident's items in its channel, else the caller's own
    MINE = "mine"
    OVERDUE = "overdue"
    USER = "user"
    TEAM = "team"


@dataclass(frozen=True)
class ActionsQuery:
    scope: Scope
    value: str | None = None
