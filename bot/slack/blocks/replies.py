"""Replies to commands and clicks: short mrkdwn texts built from domain data."""

from __future__ import annotations

from bot.flows.incidents import RoleChange
from bot.incidents.snapshot import Snapshot
from bot.slack.blocks.incident import SEVERITY_ICON
from bot.slack.text import esc, when
from bot.vocabulary import IncidentType, Severity, Status


def incident_list(snaps: list[Snapshot]) -> str:
    """Open incidents, one line each, with channel links."""
    if not snaps:
        return "No open incidents. 🎉"
    lines = [
        f"{SEVERITY_ICON[s.severity]} *#{s.number}* {esc(s.title)} — {s.status.value}, "
        f"{s.type.label} · {f'<#{s.channel_id}>' if s.channel_id else 'channel opening…'} "
        f"· since {when(s.declared_at)}"
        for s in snaps
    ]
    return "*Open incidents*\n" + "\n".join(lines)


def role_changed(change: RoleChange) -> str:
    """Tell the channel who holds a role now."""
    title = change.role.label
    if change.previous and change.previous != change.user_id:
        return f"👋 <@{change.previous}> handed *{title}* over to <@{change.user_id}>."
    return f"🙋 <@{change.user_id}> is now the *{title}*."


def severity_changed(previous: Severity, now: Severity, actor: str) -> str:
    """Announce a severity change."""
    return f"Severity changed {previous.value} → *{now.value}* by <@{actor}>."


def type_changed(previous: IncidentType, now: IncidentType, actor: str) -> str:
    """Announce a type change."""
    return f"Type changed {previous.label} → *{now.label}* by <@{actor}>."


def status_changed(previous: Status, now: Status, actor: str, reason: str | None) -> str:
    """Announce a status change."""
    why = f": {esc(reason)}" if reason else ""
    return f"Status {previous.value} → *{now.value}* by <@{actor}>{why}."


def update_posted(text: str, status: str, actor: str) -> str:
    """The status update as posted in the channel."""
    return f"📣 *Status update* ({status}) from <@{actor}>\n{esc(text)}"


def declared(number: int) -> str:
    """Confirmation to the declarer."""
    return f"Incident #{number} declared. Its channel is being created; you'll be invited."
