"""Incident vocabulary: types, severities, statuses and roles."""

from __future__ import annotations

from enum import StrEnum


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
