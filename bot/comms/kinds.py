"""Names of the communication templates a playbook step may ask for."""

from __future__ import annotations

from enum import StrEnum


class CommsKind(StrEnum):
    """One communication template, by name (the template files live under templates/comms/)."""

    ACKNOWLEDGEMENT = "acknowledgement"
    STATUS_UPDATE = "status_update"
    RESOLUTION = "resolution"
    FOLLOW_UP = "follow_up"
    AFFECTED_USERS = "affected_users"
    STAKEHOLDER_UPDATE = "stakeholder_update"
    LEGAL_LEADERSHIP = "legal_leadership"
