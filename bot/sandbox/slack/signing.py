"""Build incoming Slack requests exactly as Slack sends them, signed with v0 signatures.

Each builder returns a `SignedRequest` whose `body` and `headers` can be POSTed to `/slack/events`
(or handed to bolt's `AsyncBoltRequest`). Pass `ts` to sign with a chosen (e.g. stale) timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.slack.model import (
    APP_ID,
    BOT_USER_ID,
    JSON,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
)

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclass(frozen=True)
class SignedRequest:
    """A request body and the headers Slack would send with it."""

    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        """Return the body decoded as UTF-8."""
        return self.body.decode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return Slack's v0 signature of `body` sent at `timestamp`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def sign(
    secret: str,
    body: bytes,
    *,
    content_type: str,
    ts: int | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> SignedRequest:
    """Return `body` with Slack's content type, timestamp and signature headers."""
    timestamp = int(time.time()) if ts is None else ts
    headers = {
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature(secret, timestamp, body),
        **(extra_headers or {}),
    }
    return SignedRequest(body, headers)


def slash_command(
    secret: str,
    *,
    text: str,
    user_id: str,
    channel_id: str,
    trigger_id: str,
    response_url: str,
    command: str = "/incident",
    channel_name: str = "general",
    user_name: str | None = None,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
    ts: int | None = None,
) -> SignedRequest:
    """Return a signed slash-command request (form-encoded, with every field Slack sends)."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or default_user_name(user_id),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return sign(secret, urlencode(fields).encode(), content_type=FORM, ts=ts)


def block_action(
    secret: str,
    *,
    user_id: str,
    action_id: str,
    trigger_id: str,
    value: str | None = None,
    block_id: str = "",
    channel_id: str | None = None,
    message_ts: str | None = None,
    message: JSON | None = None,
    response_url: str | None = None,
    view: JSON | None = None,
    action_type: str = "button",
    selected_option: JSON | None = None,
    is_ephemeral: bool = False,
    team_id: str = TEAM_ID,
    ts: int | None = None,
) -> SignedRequest:
    """Return a signed `block_actions` request from a message (channel_id, message_ts) or a view."""
    action: JSON = {"action_id": action_id, "block_id": block_id, "type": action_type}
    action["action_ts"] = f"{time.time():.6f}"
    if value is not None:
        action["value"] = value
    if selected_option is not None:
        action["selected_option"] = selected_option
    message_ts = message_ts or (message or {}).get("ts")
    payload = _interaction("block_actions", user_id, team_id, trigger_id)
    payload |= {"actions": [action], "state": {"values": {}}}
    if view is not None:
        payload |= {"container": {"type": "view", "view_id": view.get("id")}, "view": view}
    else:
        container = {"type": "message", "message_ts": message_ts, "channel_id": channel_id}
        payload["container"] = container | {"is_ephemeral": is_ephemeral}
        payload["channel"] = {"id": channel_id, "name": ""}
        payload["message"] = message or {"type": "message", "ts": message_ts, "text": ""}
    if response_url is not None:
        payload["response_url"] = response_url
    return _payload_request(secret, payload, ts)


def view_submission(
    secret: str,
    *,
    user_id: str,
    callback_id: str,
    values: JSON,
    view_id: str,
    trigger_id: str,
    private_metadata: str = "",
    view: JSON | None = None,
    team_id: str = TEAM_ID,
    ts: int | None = None,
) -> SignedRequest:
    """Return a signed `view_submission`; `values` is Slack's `state.values` shape."""
    submitted = dict(view or {"type": "modal", "blocks": []})
    submitted |= {"id": view_id, "callback_id": callback_id, "private_metadata": private_metadata}
    submitted |= {"state": {"values": values}, "team_id": team_id, "app_id": APP_ID}
    submitted.setdefault("root_view_id", view_id)
    submitted.setdefault("hash", f"{int(time.time())}.fakehash")
    payload = _interaction("view_submission", user_id, team_id, trigger_id)
    payload |= {"view": submitted, "response_urls": []}
    return _payload_request(secret, payload, ts)


def event_callback(
    secret: str,
    *,
    event: JSON,
    event_id: str,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    event_time: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
    ts: int | None = None,
) -> SignedRequest:
    """Return a signed Events API callback, with Slack's retry headers when `retry_num` is set."""
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {"enterprise_id": None, "team_id": team_id, "user_id": BOT_USER_ID, "is_bot": True}
        ],
        "is_ext_shared_channel": False,
    }
    retry = {}
    if retry_num is not None:
        retry = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
    data = json.dumps(body).encode()
    return sign(secret, data, content_type=JSON_TYPE, ts=ts, extra_headers=retry)


def url_verification(secret: str, *, challenge: str, ts: int | None = None) -> SignedRequest:
    """Return the signed challenge Slack sends when the events URL is configured."""
    body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    return sign(secret, json.dumps(body).encode(), content_type=JSON_TYPE, ts=ts)


def text_inputs(values: Mapping[str, Mapping[str, str | None]]) -> JSON:
    """Return `state.values` for plain-text inputs from `{block_id: {action_id: text}}`."""
    return {
        block_id: {
            action_id: {"type": "plain_text_input", "value": text}
            for action_id, text in actions.items()
        }
        for block_id, actions in values.items()
    }


def default_user_name(user_id: str) -> str:
    """Return the handle the default users go by (`U_ALICE` -> `alice`)."""
    return user_id.removeprefix("U_").lower()


def _interaction(kind: str, user_id: str, team_id: str, trigger_id: str) -> JSON:
    name = default_user_name(user_id)
    user = {"id": user_id, "username": name, "name": name, "team_id": team_id}
    payload: dict[str, Any] = {"type": kind, "user": user, "api_app_id": APP_ID}
    payload |= {"token": VERIFICATION_TOKEN, "trigger_id": trigger_id}
    payload |= {"team": {"id": team_id, "domain": TEAM_DOMAIN}, "enterprise": None}
    return payload | {"is_enterprise_install": False}


def _payload_request(secret: str, payload: JSON, ts: int | None) -> SignedRequest:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return sign(secret, body, content_type=FORM, ts=ts)
