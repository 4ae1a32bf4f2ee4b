"""The Slack app manifest: scopes, `/incident`, events, interactivity and the Home tab."""

from __future__ import annotations

from typing import Any

import yaml

BOT_SCOPES = [
    "channels:manage",  # create incident channels, set topics, invite responders
    "channels:read",
    "channels:join",
    "channels:history",  # read a 📌-reacted message to put it on the timeline
    "chat:write",
    "chat:write.public",  # announce in a channel the bot was not invited to
    "commands",
    "pins:read",
    "pins:write",
    "reactions:read",
    "users:read",
    "users:read.email",  # invite default responders given by email
    "im:write",  # DM a new role holder their duties
    "im:history",  # find a DM sent before its answer was lost, instead of sending it twice
    "canvases:write",  # the postmortem as the incident channel's canvas
    "files:write",  # or as a Markdown file where canvases are off
    "files:read",  # find an uploaded file again after an unanswered upload
]
BOT_EVENTS = ["reaction_added", "pin_added", "app_home_opened"]
USER_SCOPES = ["openid", "profile", "email"]  # Sign in with Slack for the web pages


def manifest(
    url: str = "https://incidentbot.example.com", socket_mode: bool = False
) -> dict[str, Any]:
    """Build the manifest; `url` is where `incidentbot serve` is reachable (HTTP mode)."""
    events_url = f"{url.rstrip('/')}/slack/events"
    command: dict[str, Any] = {
        "command": "/incident",
        "description": "Declare and run incidents",
        "usage_hint": "help | declare [title] | status | role <role> @user | …",
        "should_escape": True,
    }
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": BOT_EVENTS},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": False,
    }
    if not socket_mode:
        command["url"] = events_url
        settings["event_subscriptions"]["request_url"] = events_url
        settings["interactivity"]["request_url"] = events_url
    return {
        "display_information": {
            "name": "Incident Bot",
            "description": "Incidents in AI/LLM products, run in Slack",
            "background_color": "#1d1c1d",
        },
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": False},
            "bot_user": {"display_name": "incidentbot", "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {
            "redirect_urls": [f"{url.rstrip('/')}/ui/auth/slack"],
            "scopes": {"bot": BOT_SCOPES, "user": USER_SCOPES},
        },
        "settings": settings,
    }


def render(url: str = "https://incidentbot.example.com", socket_mode: bool = False) -> str:
    """The manifest as YAML, ready to paste into api.slack.com/apps → Create from manifest."""
    return yaml.safe_dump(manifest(url, socket_mode), sort_keys=False, allow_unicode=True)
