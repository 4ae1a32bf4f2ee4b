"""The domain's words: incident types, severities, statuses, roles and every value a column holds.

The bottom layer: it imports nothing of the bot, and every layer above may use it.
"""

from __future__ import annotations

from enum import StrEnum

# Incidents


class IncidentType(StrEnum):
    QUALITY_REGRESSION = "quality_regression"
    HALLUCINATION = "hallucination"
    SAFETY_VIOLATION = "safety_violation"
    PROMPT_INJECTION = "prompt_injection"
    RETRIEVAL_CONTEXT = "retrieval_context"
    PIPELINE_INFRASTRUCTURE = "pipeline_infrastructure"
    AVAILABILITY_LATENCY = "availability_latency"
    DISTRIBUTION_SHIFT = "distribution_shift"

    @property
    def label(self) -> str:
        """Human label, e.g. 'Quality regression'."""
        return self.value.replace("_", " ").capitalize()


class Severity(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class Status(StrEnum):
    TRIAGE = "triage"
    INVESTIGATING = "investigating"
    CONTAINED = "contained"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"
    CLOSED = "closed"
    DECLINED = "declined"

    @property
    def is_open(self) -> bool:
        """Whether new alerts still attach to an incident in this status."""
        return self in (Status.TRIAGE, Status.INVESTIGATING, Status.CONTAINED)


class Role(StrEnum):
    COMMANDER = "commander"
    COMMS = "comms"
    ENGINEERING = "engineering"
    SAFETY = "safety"

    @property
    def label(self) -> str:
        """What people call the holder, e.g. 'comms lead'."""
        return "commander" if self is Role.COMMANDER else f"{self.value} lead"


class EventKind(StrEnum):
    """Kinds of timeline events."""

    OPENED = "opened"
    STATUS = "status"
    SEVERITY = "severity"
    TYPE = "type"
    ROLE = "role"
    ALERT = "alert"
    ALERT_RESOLVED = "alert_resolved"
    MONITORS_RESOLVED = "monitors_resolved"
    NOTE = "note"
    UPDATE = "update"
    PINNED = "pinned"
    CHANGE = "change"
    EVAL = "eval"
    STEP = "step"
    CONTAINMENT = "containment"
    COMMS = "comms"
    ACTION_ITEM = "action_item"
    POSTMORTEM = "postmortem"
    PAGE = "page"
    STORM = "storm"


# Alerts


class Source(StrEnum):
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    DATADOG = "datadog"
    PAGERDUTY = "pagerduty"
    LANGFUSE = "langfuse"
    GENERIC = "generic"
    SPC = "spc"  # the bot's own control-chart detector; not a webhook


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


# The change ledger


class ChangeKind(StrEnum):
    MODEL = "model"
    PROMPT = "prompt"
    INDEX = "index"
    DEPLOY = "deploy"
    CONFIG = "config"
    PROVIDER = "provider"
    TRAFFIC = "traffic"


# Playbooks and containment


class StepState(StrEnum):
    """Where a step of a running incident stands; a step with no state is open."""

    DONE = "done"
    SKIPPED = "skipped"

    @property
    def verb(self) -> str:
        """Past-tense word for messages, e.g. 'Done'."""
        return "Done" if self is StepState.DONE else "Skipped"


class RunState(StrEnum):
    """Where one containment run stands."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# Communications


class CommsKind(StrEnum):
    """One communication template, by name (the template files live under templates/comms/)."""

    ACKNOWLEDGEMENT = "acknowledgement"
    STATUS_UPDATE = "status_update"
    RESOLUTION = "resolution"
    FOLLOW_UP = "follow_up"
    AFFECTED_USERS = "affected_users"
    STAKEHOLDER_UPDATE = "stakeholder_update"
    LEGAL_LEADERSHIP = "legal_leadership"


class Audience(StrEnum):
    EXTERNAL = "external"
    INTERNAL = "internal"


class DraftState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class TargetKind(StrEnum):
    SLACK = "slack"
    STATUSPAGE = "statuspage"
    WEBHOOK = "webhook"

    @property
    def label(self) -> str:
        """Product name for messages, e.g. 'Statuspage'."""
        return {"slack": "Slack", "statuspage": "Statuspage", "webhook": "Webhook"}[self.value]


class Obligation(StrEnum):
    """A communication the incident owes by a time."""

    UPDATE = "update"
    LEGAL_LEADERSHIP = "legal_leadership"
    FOLLOW_UP = "follow_up"

    @property
    def kind(self) -> CommsKind:
        """The communication kind that fulfils it (for an update, the usual one)."""
        return _DEFAULT_KIND[self]


_DEFAULT_KIND = {
    Obligation.UPDATE: CommsKind.STATUS_UPDATE,
    Obligation.LEGAL_LEADERSHIP: CommsKind.LEGAL_LEADERSHIP,
    Obligation.FOLLOW_UP: CommsKind.FOLLOW_UP,
}


# Postmortems and action items


class PostmortemState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


class ActionKind(StrEnum):
    EVAL_CASE = "eval_case"
    DETECTION = "detection"
    GUARDRAIL = "guardrail"
    RUNBOOK = "runbook"
    PROMPT = "prompt"
    OTHER = "other"


class ActionState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"

    @property
    def is_active(self) -> bool:
        """Whether the item still needs work."""
        return self in (ActionState.OPEN, ActionState.IN_PROGRESS)


class ItemEditor(StrEnum):
    """Who may change an action item's state or due date (the config's `followup.item_changes`)."""

    OWNER = "owner"  # the item's owner
    TEAM = "team"  # a member of the item's team
    MANAGER = "manager"  # anyone in `followup.managers`
    COMMANDER = "commander"  # the commander of the item's incident


# Issue trackers


class TrackerKind(StrEnum):
    JIRA = "jira"
    LINEAR = "linear"

    @property
    def label(self) -> str:
        """The product's name."""
        return "Jira" if self is TrackerKind.JIRA else "Linear"


class SyncState(StrEnum):
    """Where an item stands with its tracker."""

    PENDING = "pending"  # queued; nothing sent yet, or a change not sent yet
    SYNCED = "synced"  # the tracker shows the item's state and due date
    RETRYING = "retrying"  # the tracker is unreachable or overloaded; kept trying
    FAILED = "failed"  # the tracker refused (e.g. a bad field); retried on the item's next change


# Paging


class PageState(StrEnum):
    """What a page shows in PagerDuty, in the order it goes through them."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"

    @property
    def action(self) -> str:
        """The Events API v2 `event_action` that brings a page to this state."""
        return {"triggered": "trigger", "acknowledged": "acknowledge", "resolved": "resolve"}[
            self.value
        ]


class ChartPhase(StrEnum):
    """When a control chart is shared in the incident channel."""

    OPENED = "opened"
    RESOLVED = "resolved"


class EvalRequestState(StrEnum):
    """Where one "Run evals" click stands with the eval runner."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
