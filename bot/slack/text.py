"""Safe mrkdwn: escaping user and alert text, dates every viewer sees in their own time zone."""

from __future__ import annotations

from datetime import datetime


def esc(text: str) -> str:
    """Escape &, < and > so nobody can inject <!channel>, mentions or disguised links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def when(at: datetime) -> str:
    """A date and time Slack shows in the reader's own time zone, with a UTC fallback."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def user(user_id: str | None) -> str:
    """Mention a user, or say nobody."""
    return f"<@{user_id}>" if user_id else "_unassigned_"


def clip(text: str, limit: int) -> str:
    """Shorten text to a Slack limit, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
