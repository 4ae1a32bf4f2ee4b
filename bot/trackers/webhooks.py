"""The trackers' webhooks: check their signatures and read the state change they report.

Jira signs a webhook registered with a secret as `X-Hub-Signature: sha256=<hex HMAC-SHA256 of
the body>`; Linear signs every webhook as `Linear-Signature: <hex HMAC-SHA256 of the body>` and
puts the send time (`webhookTimestamp`, Unix ms) in the body, which must be within a minute.
Only a change of an issue's status moves an item: other edits (comments, fields) are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.errors import BadInput
from bot.shapes import opt_list, opt_object
from bot.trackers import rules
from bot.vocabulary import ActionState, TrackerKind

JIRA_SIGNATURE = "x-hub-signature"
LINEAR_SIGNATURE = "linear-signature"
LINEAR_MAX_AGE_S = 60


@dataclass(frozen=True)
class RemoteChange:
    """An issue's new state as its tracker reported it, and who changed it."""

    kind: TrackerKind
    ids: tuple[str, ...]  # the issue's id and key, either of which the bot may know it by
    key: str
    state: ActionState
    actor: str


def signed(secrets: Iterable[str], body: bytes) -> list[str]:
    """The hex HMAC-SHA256 of the body under each secret."""
    return [hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets if s]


def verify(kind: TrackerKind, secrets: Iterable[str], body: bytes, signature: str | None) -> bool:
    """Whether the signature header matches the body under any of the secrets."""
    given = (signature or "").strip()
    if kind is TrackerKind.JIRA:
        if not given.startswith("sha256="):
            return False
        given = given.removeprefix("sha256=")
    return any(hmac.compare_digest(given, expected) for expected in signed(secrets, body))


def parse(kind: TrackerKind, payload: Any, now: datetime) -> RemoteChange | None:
    """The status change a webhook reports, None when it reports none (BadInput if malformed)."""
    if not isinstance(payload, dict):
        raise BadInput("expected a JSON object")
    return _jira(payload) if kind is TrackerKind.JIRA else _linear(payload, now)


def _jira(payload: dict[str, Any]) -> RemoteChange | None:
    event = payload.get("webhookEvent")
    if not isinstance(event, str):
        raise BadInput("webhookEvent is required", field="webhookEvent")
    issue = payload.get("issue")
    if event not in ("jira:issue_updated", "jira:issue_created") or not isinstance(issue, dict):
        return None
    items = opt_list(opt_object(payload, "changelog"), "items", "changelog")
    moved = any(isinstance(i, dict) and i.get("field") == "status" for i in items)
    if event == "jira:issue_updated" and not moved:
        return None
    status = opt_object(opt_object(issue, "fields", "issue"), "status", "issue.fields")
    category = opt_object(status, "statusCategory", "issue.fields.status")
    state = rules.jira_state(str(category.get("key", "")), str(status.get("name", "")))
    if state is None:
        raise BadInput("the issue has no known status category", field="issue.fields.status")
    user = opt_object(payload, "user")
    who = user.get("displayName") or user.get("accountId") or "someone"
    key = str(issue.get("key", ""))
    return RemoteChange(
        TrackerKind.JIRA, (str(issue.get("id", "")), key), key, state, f"{who} (Jira)"
    )


def _linear(payload: dict[str, Any], now: datetime) -> RemoteChange | None:
    sent = payload.get("webhookTimestamp")
    if not isinstance(sent, int | float) or isinstance(sent, bool):
        raise BadInput("webhookTimestamp is required", field="webhookTimestamp")
    if not _age_ms(sent, now) <= LINEAR_MAX_AGE_S * 1000:  # NaN is no age
        raise BadInput("webhookTimestamp is more than a minute away", field="webhookTimestamp")
    data = payload.get("data")
    if payload.get("type") != "Issue" or payload.get("action") != "update":
        return None
    if not isinstance(data, dict) or "stateId" not in opt_object(payload, "updatedFrom"):
        return None
    state_type = opt_object(data, "state", "data").get("type", "")
    state = rules.linear_state(str(state_type))
    if state is None:
        raise BadInput("the issue's state has no known type", field="data.state.type")
    who = opt_object(payload, "actor").get("name") or "someone"
    key = str(data.get("identifier") or data.get("id", ""))
    return RemoteChange(
        TrackerKind.LINEAR, (str(data.get("id", "")), key), key, state, f"{who} (Linear)"
    )


def _age_ms(sent: float, now: datetime) -> float:
    try:
        return abs(now.timestamp() * 1000 - float(sent))
    except OverflowError:  # an integer past what a float holds
        return math.inf
