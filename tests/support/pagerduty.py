"""A real local stand-in for PagerDuty, strict about shape: the Events API v2 (`POST /v2/enqueue`)
and the REST API's `GET /oncalls` and incidents (`POST /incidents` with an escalation policy,
`GET /incidents?incident_key=…`, `PUT /incidents/{id}`; writes need a known `From` user).
Events with one dedup key act on one alert per routing key: a trigger while it is open is folded
into it. `incidents` counts the incidents PagerDuty opened (events and REST alike); a REST create
with the `incident_key` of an open incident on the service is refused, as PagerDuty does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.provider_standins import StandIn

ACTIONS = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}
TOP = {
    "routing_key",
    "event_action",
    "dedup_key",
    "payload",
    "images",
    "links",
    "client",
    "client_url",
}
PAYLOAD = {
    "summary",
    "source",
    "severity",
    "timestamp",
    "component",
    "group",
    "class",
    "custom_details",
}
SEVERITIES = {"critical", "error", "warning", "info"}
REST_ACCEPT = "application/vnd.pagerduty+json;version=2"


@dataclass
class Alert:
    routing_key: str
    dedup_key: str
    status: str
    summary: str
    history: list[str] = field(default_factory=list)


def _invalid(*errors: str) -> web.Response:
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}
    return web.json_response(body, status=400)


class PagerDuty(StandIn):
    """Events API v2 for some integration keys, and one schedule's on-call for the REST API."""

    def __init__(
        self,
        routing_keys: set[str],
        api_token: str,
        oncall: dict[str, Any],
        *,
        services: frozenset[str] = frozenset(),
        policies: frozenset[str] = frozenset(),
        users: frozenset[str] = frozenset(),  # emails REST writes may come `From`
    ) -> None:
        super().__init__()
        self.routing_keys, self.api_token = routing_keys, api_token
        self.oncall = oncall  # schedule id → {"name", "email"} of who is on call now
        self.services, self.policies, self.users = services, policies, users
        self.alerts: dict[tuple[str, str], Alert] = {}
        self.rest_incidents: dict[str, dict[str, Any]] = {}  # id → incident
        self.incidents = 0
        self.lose_creates = 0  # REST creates carried out whose answer is then lost (500)
        self._event_faults: list[tuple[int, bool]] = []

    def fail_events(self, *statuses: int, applied: bool = False) -> None:
        """Answer the next events (only events) with these statuses; `applied`: after acting."""
        self._event_faults += [(status, applied) for status in statuses]

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v2/enqueue", self._enqueue),
            web.get("/oncalls", self._oncalls),
            web.post("/incidents", self._create_incident),
            web.get("/incidents", self._list_incidents),
            web.put("/incidents/{incident_id}", self._update_incident),
        ]

    def alert(self, dedup_key: str) -> Alert:
        """The alert with this dedup key (on whichever routing key)."""
        return next(a for (_, key), a in self.alerts.items() if key == dedup_key)

    async def _enqueue(self, request: web.Request) -> web.Response:
        fault = self._event_faults.pop(0) if self._event_faults else None
        if fault is not None and not fault[1]:
            return web.json_response({"status": "error", "message": "injected"}, status=fault[0])
        answer = await self._event(request)
        if fault is not None:
            return web.json_response({"status": "error", "message": "injected"}, status=fault[0])
        return answer

    async def _event(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return _invalid("Content-Type must be application/json")
        try:
            event = json.loads(await request.read())
        except ValueError:
            return _invalid("Body is not valid JSON")
        problem = _problem(event, self.routing_keys)
        if problem:
            return _invalid(problem)
        key = (event["routing_key"], event.get("dedup_key") or f"auto-{len(self.alerts)}")
        status = ACTIONS[event["event_action"]]
        alert = self.alerts.get(key)
        if event["event_action"] == "trigger":
            if alert is None or alert.status == "resolved":
                self.incidents += 1
                alert = self.alerts[key] = Alert(*key, "triggered", event["payload"]["summary"])
        elif alert is not None and alert.status != "resolved":
            alert.status = status
        if alert is not None:
            alert.history.append(event["event_action"])
        body = {"status": "success", "message": "Event processed", "dedup_key": key[1]}
        return web.json_response(body, status=202)

    def _rest_problem(self, request: web.Request, *, write: bool = False) -> web.Response | None:
        if request.headers.get("Authorization") != f"Token token={self.api_token}":
            return _rest_error(401, "Unauthorized", 2006)
        if request.headers.get("Accept") != REST_ACCEPT:
            return _rest_error(406, "Unsupported Accept header")
        if write and request.headers.get("From") not in self.users:
            return _rest_error(400, "Requester User Not Found", 2100)
        return None

    async def _create_incident(self, request: web.Request) -> web.Response:
        problem = self._rest_problem(request, write=True)
        body = await _json(request)
        incident = body.get("incident") if isinstance(body, dict) else None
        if problem or not isinstance(incident, dict) or set(body) != {"incident"}:
            return problem or _rest_error(400, "Invalid Input Provided", 2001)
        wrong = self._incident_problem(incident)
        if wrong:
            return _rest_error(400, "Invalid Input Provided", 2001, wrong)
        self.incidents += 1
        incident_id = f"Q{self.incidents:05d}"
        self.rest_incidents[incident_id] = {
            "id": incident_id,
            "type": "incident",
            "status": "triggered",
            "title": incident["title"],
            "incident_key": incident.get("incident_key"),
            "service": incident["service"],
            "escalation_policy": incident.get("escalation_policy"),
            "urgency": incident.get("urgency", "high"),
            "history": ["triggered"],
        }
        if self.lose_creates:
            self.lose_creates -= 1
            return _rest_error(500, "Internal Server Error")
        return web.json_response({"incident": self.rest_incidents[incident_id]}, status=201)

    def _incident_problem(self, incident: dict[str, Any]) -> str | None:
        service = incident.get("service") or {}
        policy = incident.get("escalation_policy") or {}
        if incident.get("type") != "incident" or not isinstance(incident.get("title"), str):
            return "incident.type must be 'incident' and incident.title is required"
        if service.get("type") != "service_reference" or service.get("id") not in self.services:
            return "Service not found"
        kind = policy.get("type") if policy else "escalation_policy_reference"
        if kind != "escalation_policy_reference" or (
            policy and policy.get("id") not in self.policies
        ):
            return "Escalation Policy not found"
        if incident.get("urgency", "high") not in ("high", "low"):
            return "urgency must be high or low"
        if self._open_with_key(incident.get("incident_key"), service["id"]):
            return "Open incident with matching dedup key already exists on this service"
        return None

    def _open_with_key(self, key: Any, service: str) -> bool:
        return bool(key) and any(
            i["incident_key"] == key and i["service"]["id"] == service and i["status"] != "resolved"
            for i in self.rest_incidents.values()
        )

    async def _list_incidents(self, request: web.Request) -> web.Response:
        problem = self._rest_problem(request)
        if problem:
            return problem
        key = request.query.get("incident_key")
        services = request.query.getall("service_ids[]", [])
        statuses = request.query.getall("statuses[]", [])
        found = [
            i
            for i in self.rest_incidents.values()
            if (key is None or i["incident_key"] == key)
            and (not services or i["service"]["id"] in services)
            and (not statuses or i["status"] in statuses)
        ]
        return web.json_response({"incidents": found, "limit": 25, "offset": 0, "more": False})

    async def _update_incident(self, request: web.Request) -> web.Response:
        problem = self._rest_problem(request, write=True)
        found = self.rest_incidents.get(request.match_info["incident_id"])
        body = await _json(request)
        change = body.get("incident") if isinstance(body, dict) else None
        if problem or found is None:
            return problem or _rest_error(404, "Incident Not Found", 5001)
        if not isinstance(change, dict) or change.get("type") != "incident_reference":
            return _rest_error(400, "Invalid Input Provided", 2001, "incident.type")
        if change.get("status") not in ("acknowledged", "resolved"):
            return _rest_error(400, "Invalid Input Provided", 2001, "incident.status")
        if found["status"] not in ("resolved", change["status"]):  # the same status: no change
            found["status"] = change["status"]
            found["history"].append(change["status"])
        return web.json_response({"incident": found})

    async def _oncalls(self, request: web.Request) -> web.Response:
        problem = self._rest_problem(request)
        if problem:
            return problem
        schedules = request.query.getall("schedule_ids[]", [])
        users = "users" in request.query.getall("include[]", [])
        found = [self._oncall(s, users) for s in schedules if s in self.oncall]
        body = {"oncalls": found, "limit": 25, "offset": 0, "more": False, "total": None}
        return web.json_response(body)

    def _oncall(self, schedule: str, users: bool) -> dict[str, Any]:
        person = self.oncall[schedule]
        user: dict[str, Any] = {
            "id": "PXPGF42",
            "type": "user_reference",
            "summary": person["name"],
        }
        if users:
            user = {
                "id": "PXPGF42",
                "type": "user",
                "name": person["name"],
                "email": person["email"],
            }
            user["summary"] = person["name"]
        return {
            "escalation_policy": {"id": "PT20YPA", "type": "escalation_policy_reference"},
            "escalation_level": 1,
            "schedule": {"id": schedule, "type": "schedule_reference", "summary": "AI on-call"},
            "user": user,
            "start": "2026-11-20T09:00:00Z",
            "end": "2026-11-27T09:00:00Z",
        }


def _rest_error(status: int, message: str, code: int = 0, *errors: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "code": code, "errors": list(errors)}}, status=status
    )


async def _json(request: web.Request) -> Any:
    if request.content_type != "application/json":
        return None
    try:
        return json.loads(await request.read())
    except ValueError:
        return None


def _problem(event: Any, routing_keys: set[str]) -> str | None:
    if not isinstance(event, dict) or set(event) - TOP:
        return "Unknown or missing top-level fields"
    if event.get("routing_key") not in routing_keys:
        return "routing_key is invalid"
    action = event.get("event_action")
    if action not in ACTIONS:
        return "event_action must be trigger, acknowledge or resolve"
    key = event.get("dedup_key")
    if action != "trigger" and not key:
        return "dedup_key is required for acknowledge and resolve"
    if key is not None and (not isinstance(key, str) or len(key) > 255):
        return "dedup_key must be a string of at most 255 characters"
    return _payload_problem(event.get("payload")) if action == "trigger" else None


def _payload_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or set(payload) - PAYLOAD:
        return "payload must be an object with the documented fields"
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary or len(summary) > 1024:
        return "payload.summary is required (at most 1024 characters)"
    if not isinstance(payload.get("source"), str) or not payload["source"]:
        return "payload.source is required"
    if payload.get("severity") not in SEVERITIES:
        return "payload.severity must be critical, error, warning or info"
    return None
