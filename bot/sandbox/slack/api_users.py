"""The `auth.test` and `users.*` Web API methods."""

from __future__ import annotations

import time

from bot.sandbox.slack.args import Args, paginate
from bot.sandbox.slack.model import JSON, SlackError
from bot.sandbox.slack.workspace import Handler, Workspace


def auth_test(workspace: Workspace, args: Args) -> JSON:
    """Describe the token's team and bot user."""
    s = workspace.settings
    return {
        "ok": True,
        "url": f"https://{s.team_domain}.slack.com/",
        "team": s.team_name,
        "user": s.bot_name,
        "team_id": s.team_id,
        "user_id": s.bot_user_id,
        "bot_id": s.bot_id,
        "app_id": s.app_id,
        "is_enterprise_install": False,
    }


def info(workspace: Workspace, args: Args) -> JSON:
    """Describe one user."""
    user = workspace.user(args.need("user", "user_not_found"))
    return {"ok": True, "user": user.to_api(workspace.settings.team_id)}


def lookup_by_email(workspace: Workspace, args: Args) -> JSON:
    """Find a user by email address."""
    email = args.need("email", "users_not_found").lower()
    for user in workspace.users.values():
        if user.email.lower() == email and not user.deleted:
            return {"ok": True, "user": user.to_api(workspace.settings.team_id)}
    raise SlackError("users_not_found")


def list_users(workspace: Workspace, args: Args) -> JSON:
    """List every user, the bot included, paginated."""
    team_id = workspace.settings.team_id
    page, cursor = paginate(list(workspace.users.values()), args, default_limit=200)
    return {
        "ok": True,
        "members": [u.to_api(team_id) for u in page],
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": cursor},
    }


HANDLERS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.info": info,
    "users.lookupByEmail": lookup_by_email,
    "users.list": list_users,
}
