"""Outbound publishing: Statuspage incidents and generic webhooks over the injected HTTP client.

A failure is an outcome, never an exception: the caller records it per target and shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bot.comms.schemas import Scope
from bot.comms.targets import StatuspageTarget, WebhookTarget, statuspage_body
from bot.vocabulary import Audience, CommsKind, IncidentType, Severity

ERROR_MAX = 300


@dataclass(frozen=True)
class Message:
    """An approved version, with what a target needs to know about its incident."""

    incident_number: int
    incident_type: IncidentType
    severity: Severity
    kind: CommsKind
    audience: Audience
    version: int
    title: str
    text: str
    scope: Scope
    published_by: str
    published_at: datetime


@dataclass(frozen=True)
class Delivery:
    """How sending to one target went; `external_id` is what the target calls it."""

    ok: bool
    external_id: str | None = None
    error: str | None = None


async def to_statuspage(
    client: httpx.AsyncClient,
    environ: Mapping[str, str],
    target: StatuspageTarget,
    message: Message,
    incident_id: str | None,
    *,
    may_have_sent: bool = False,
) -> Delivery:
    """Create the Statuspage incident (first publish) or update it (`incident_id` known).

    After an attempt that may have got through, the page is checked first: an incident that
    already shows this update is taken as sent, so subscribers are not notified twice.
    """
    key = environ.get(target.api_key_env)
    if not key:
        return Delivery(ok=False, error=f"the environment variable {target.api_key_env} is not set")
    base = f"{target.api_url.rstrip('/')}/pages/{target.page_id}/incidents"
    body = statuspage_body(target, title=message.title, text=message.text, scope=message.scope)
    headers = {"Authorization": f"OAuth {key}"}
    if may_have_sent:
        try:
            shown = await _showing(client, base, headers, body["incident"], incident_id)
        except (httpx.HTTPError, ValueError) as exc:  # cannot tell: sending might notify twice
            return Delivery(ok=False, error=f"could not check the status page first: {exc!r}")
        if shown is not None:
            return Delivery(ok=True, external_id=shown)
    if incident_id is None:
        reply = await _send(client, "POST", base, body, headers, secret=key)
    else:
        reply = await _send(client, "PATCH", f"{base}/{incident_id}", body, headers, secret=key)
    if not reply.ok:
        return reply
    return Delivery(ok=True, external_id=incident_id or reply.external_id)


async def _showing(
    client: httpx.AsyncClient,
    base: str,
    headers: dict[str, str],
    wanted: dict[str, Any],
    incident_id: str | None,
) -> str | None:
    """The id of the page's incident whose newest update is exactly `wanted`, if any."""
    url = f"{base}/unresolved" if incident_id is None else f"{base}/{incident_id}"
    response = await client.get(url, headers=headers)
    response.raise_for_status()
    found = response.json()
    for incident in found if isinstance(found, list) else [found]:
        updates = incident.get("incident_updates") or [{}]
        newest = updates[0]  # Statuspage lists updates newest first
        if (
            incident.get("name") == wanted["name"]
            and incident.get("status") == wanted["status"]
            and newest.get("body") == wanted["body"]
        ):
            return str(incident["id"])
    return None


async def to_webhook(
    client: httpx.AsyncClient,
    environ: Mapping[str, str],
    target: WebhookTarget,
    message: Message,
    *,
    idempotency_key: str,
) -> Delivery:
    """POST the published message as JSON (with a bearer token when one is configured).

    Every attempt for one publication carries the same `Idempotency-Key` header, so a receiver
    can recognise a repeat after an attempt whose answer was lost.
    """
    headers: dict[str, str] = {"Idempotency-Key": idempotency_key}
    token = environ.get(target.token_env) if target.token_env else None
    if target.token_env and not token:
        return Delivery(ok=False, error=f"the environment variable {target.token_env} is not set")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    reply = await _send(client, "POST", target.url, webhook_body(message), headers, secret=token)
    return Delivery(ok=reply.ok, error=reply.error)


def webhook_body(message: Message) -> dict[str, Any]:
    """Return the JSON a webhook target receives."""
    return {
        "event": "comms.published",
        "incident": {
            "number": message.incident_number,
            "type": message.incident_type.value,
            "severity": message.severity.value,
        },
        "kind": message.kind.value,
        "audience": message.audience.value,
        "version": message.version,
        "title": message.title,
        "text": message.text,
        "status": message.scope.status_page_status.value,
        "published_by": message.published_by,
        "published_at": message.published_at.isoformat(),
        "scope": message.scope.model_dump(mode="json"),
    }


async def _send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    *,
    secret: str | None,
) -> Delivery:
    try:
        response = await client.request(method, url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        return Delivery(ok=False, error=_scrub(f"unreachable: {type(exc).__name__}: {exc}", secret))
    if response.is_success:
        return Delivery(ok=True, external_id=_remote_id(response))
    excerpt = response.text.strip().replace("\n", " ")[:ERROR_MAX]
    error = f"HTTP {response.status_code} {response.reason_phrase}: {excerpt}".rstrip(": ")
    return Delivery(ok=False, error=_scrub(error, secret))


def _remote_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value is not None else None


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text
