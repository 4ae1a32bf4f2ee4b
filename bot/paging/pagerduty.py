"""PagerDuty: the Events API v2 (trigger, acknowledge, resolve a page by its dedup key) and the
REST API (who is on call for a schedule; incidents that page an escalation policy).

Events are idempotent by design: every event with a page's dedup key acts on the same alert, so
resending after an unanswered request changes nothing. A REST incident carries the same key as
its `incident_key`, by which an incident whose create went unanswered is found again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from bot import remote
from bot.remote import Refused

REST_ACCEPT = "application/vnd.pagerduty+json;version=2"


async def send_event(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> str:
    """Send one event; returns the dedup key PagerDuty confirmed."""
    response = await remote.call(
        client, "POST", url, what="PagerDuty", secrets=(str(body["routing_key"]),), json=body
    )
    data = remote.json_object(response, "PagerDuty")
    if data.get("status") != "success":
        raise Refused(f"PagerDuty: {data.get('message') or 'event not accepted'}")
    return str(data.get("dedup_key") or body["dedup_key"])


@dataclass(frozen=True)
class OnCallPerson:
    name: str
    email: str | None
    schedule: str


@dataclass(frozen=True)
class Rest:
    """The REST API with a key (and, for writes, the PagerDuty user they are made as)."""

    client: httpx.AsyncClient
    url: str
    token: str
    from_email: str | None = None

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Token token={self.token}", "Accept": REST_ACCEPT}
        if method != "GET" and self.from_email:
            headers["From"] = self.from_email
        response = await remote.call(
            self.client,
            method,
            f"{self.url.rstrip('/')}{path}",
            what="PagerDuty",
            secrets=(self.token,),
            headers=headers,
            **kwargs,
        )
        return remote.json_object(response, "PagerDuty")


async def open_incident(rest: Rest, service: str, key: str) -> str | None:
    """The id of the service's open incident with this key, if one exists."""
    params = [("incident_key", key), ("service_ids[]", service)]
    params += [("statuses[]", "triggered"), ("statuses[]", "acknowledged")]
    found = (await rest.call("GET", "/incidents", params=params)).get("incidents") or []
    return str(found[0]["id"]) if found else None


async def create_incident(rest: Rest, body: dict[str, Any]) -> str:
    """Create an incident (which pages its escalation policy); its id."""
    made = (await rest.call("POST", "/incidents", json=body)).get("incident") or {}
    if not made.get("id"):
        raise Refused("PagerDuty: the created incident has no id")
    return str(made["id"])


async def set_status(rest: Rest, incident_id: str, status: str) -> None:
    """Acknowledge or resolve an incident (setting the status it has changes nothing)."""
    body = {"incident": {"type": "incident_reference", "status": status}}
    await rest.call("PUT", f"/incidents/{incident_id}", json=body)


async def on_call(rest: Rest, schedule_id: str) -> OnCallPerson | None:
    """Who is on call for the schedule right now (the first escalation level's person)."""
    params = [("schedule_ids[]", schedule_id), ("include[]", "users"), ("earliest", "true")]
    found = (await rest.call("GET", "/oncalls", params=params)).get("oncalls") or []
    if not found:
        return None
    first = min(found, key=lambda o: int(o.get("escalation_level") or 1))
    user = first.get("user") or {}
    schedule = (first.get("schedule") or {}).get("summary") or schedule_id
    name = user.get("name") or user.get("summary") or "someone"
    return OnCallPerson(str(name), user.get("email"), str(schedule))
