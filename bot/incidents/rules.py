"""Pure incident rules: lifecycle transitions, channel names, role requirements."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from bot.errors import InvalidTransition
from bot.vocabulary import IncidentType, Role, Status

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.TRIAGE: frozenset(
        {Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED, Status.DECLINED}
    ),
    Status.INVESTIGATING: frozenset({Status.CONTAINED, Status.RESOLVED}),
    Status.CONTAINED: frozenset({Status.INVESTIGATING, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.INVESTIGATING, Status.POSTMORTEM, Status.CLOSED}),
    Status.POSTMORTEM: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.DECLINED: frozenset({Status.TRIAGE}),
}

CHANNEL_NAME_MAX = 80


def transition(current: Status, target: Status) -> Status:
    """Return the new status or raise InvalidTransition saying why it is not allowed."""
    if target == current:
        raise InvalidTransition(f"the incident is already {current.value}")
    if target not in ALLOWED[current]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[current])) or "nothing (it is final)"
        raise InvalidTransition(
            f"cannot go from {current.value} to {target.value}; from {current.value} it can go to "
            f"{allowed}"
        )
    return target


def reopen_target(current: Status) -> Status:
    """The status a reopened incident returns to, or InvalidTransition saying why it can't."""
    if current == Status.DECLINED:
        return Status.TRIAGE
    if current == Status.RESOLVED:
        return Status.INVESTIGATING
    if current.is_open:
        raise InvalidTransition(f"the incident is still open ({current.value}); nothing to reopen")
    raise InvalidTransition(f"a {current.value} incident cannot be reopened; declare a new one")


def slugify(text: str, max_len: int = 60) -> str:
    """Turn text into lowercase ASCII words joined by hyphens ('Smart Reply!' → 'smart-reply')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "incident"


def channel_name(
    declared_at: datetime, title: str, *, prefix: str = "inc", suffix: str = ""
) -> str:
    """Build `inc-YYYYMMDD-<slug>[-suffix]`, lowercase and at most 80 characters."""
    head = f"{prefix}-{declared_at:%Y%m%d}-"
    tail = f"-{suffix}" if suffix else ""
    slug = slugify(title, max_len=CHANNEL_NAME_MAX - len(head) - len(tail))
    return f"{head}{slug}{tail}"


def required_roles(incident_type: IncidentType) -> tuple[Role, ...]:
    """Roles an incident of this type must have filled."""
    base = (Role.COMMANDER, Role.COMMS, Role.ENGINEERING)
    return (*base, Role.SAFETY) if incident_type == IncidentType.SAFETY_VIOLATION else base


def channel_priority(severity: str) -> int:
    """Where an incident's channel opening stands among due work: P1 = 1 first, then P2, P3."""
    return int(severity[1:]) if severity[1:].isdigit() else 9
