"""A real local stand-in for the Atlassian Statuspage REST API (incidents only), strict about shape.

It serves `POST /v1/pages/{page_id}/incidents`, `PATCH` and `GET /v1/pages/{page_id}/incidents/{id}`
and `GET /v1/pages/{page_id}/incidents/unresolved`,
checks `Authorization: OAuth <key>`, the JSON content type and the `{"incident": {...}}` body,
keeps incidents with their updates and component statuses, and records every request.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from aiohttp import web

from tests.support.provider_standins import StandIn

INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INCIDENT_FIELDS = {
    "name",
    "status",
    "body",
    "component_ids",
    "components",
    "deliver_notifications",
    "impact_override",
}


class Statuspage(StandIn):
    """Statuspage incidents API for one page with a few components."""

    def __init__(self, page_id: str, api_key: str, components: dict[str, str]) -> None:
        super().__init__()
        self.page_id, self.api_key = page_id, api_key
        self.components = dict(components)  # id -> status
        self.incidents: dict[str, dict[str, Any]] = {}
        self._ids = (f"inc{n:05d}" for n in itertools.count(1))

    def routes(self) -> list[web.RouteDef]:
        base = "/v1/pages/{page_id}/incidents"
        return [
            web.post(base, self._create),
            web.get(base + "/unresolved", self._unresolved),
            web.patch(base + "/{incident_id}", self._update),
            web.get(base + "/{incident_id}", self._get),
        ]

    async def _unresolved(self, request: web.Request) -> web.Response:
        problem = self._authorized(request)
        if problem is not None:
            return problem
        open_ids = [i for i, inc in self.incidents.items() if inc["status"] != "resolved"]
        return web.json_response([self._shown(i) for i in reversed(open_ids)])

    async def _get(self, request: web.Request) -> web.Response:
        problem = self._authorized(request)
        if problem is not None:
            return problem
        incident_id = request.match_info["incident_id"]
        if incident_id not in self.incidents:
            return _error(404, "Incident not found")
        return web.json_response(self._shown(incident_id))

    def _authorized(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"OAuth {self.api_key}":
            return _error(401, "Could not authenticate")
        if request.match_info["page_id"] != self.page_id:
            return _error(404, "Page not found")
        return None

    async def _create(self, request: web.Request) -> web.Response:
        body = await self._checked(request, creating=True)
        if isinstance(body, web.Response):
            return body
        incident_id = next(self._ids)
        self.incidents[incident_id] = {"id": incident_id, "page_id": self.page_id, "updates": []}
        return web.json_response(self._apply(incident_id, body), status=201)

    async def _update(self, request: web.Request) -> web.Response:
        incident_id = request.match_info["incident_id"]
        if incident_id not in self.incidents:
            return _error(404, "Incident not found")
        body = await self._checked(request, creating=False)
        if isinstance(body, web.Response):
            return body
        return web.json_response(self._apply(incident_id, body))

    async def _checked(
        self, request: web.Request, *, creating: bool
    ) -> dict[str, Any] | web.Response:
        problem = self._authorized(request)
        if problem is not None:
            return problem
        if request.content_type != "application/json":
            return _error(415, "expected application/json")
        try:
            data = json.loads(await request.read())
        except ValueError:
            return _error(400, "body is not JSON")
        problem = self._problem(data, creating)
        return _error(422, problem) if problem else data["incident"]

    def _problem(self, data: Any, creating: bool) -> str | None:
        if not isinstance(data, dict) or set(data) != {"incident"}:
            return 'body must be {"incident": {...}}'
        incident = data["incident"]
        unknown = set(incident) - INCIDENT_FIELDS if isinstance(incident, dict) else {"?"}
        if unknown:
            return f"unknown incident fields: {sorted(unknown)}"
        name = incident.get("name")
        if (creating or "name" in incident) and (not isinstance(name, str) or not name.strip()):
            return "name is required"
        if incident.get("status") not in INCIDENT_STATUSES:
            return f"status {incident.get('status')!r} is not valid"
        if not isinstance(incident.get("body"), str):
            return "body must be text"
        return self._component_problem(incident)

    def _component_problem(self, incident: dict[str, Any]) -> str | None:
        ids = incident.get("component_ids", [])
        statuses = incident.get("components", {})
        if not isinstance(ids, list) or any(i not in self.components for i in ids):
            return f"unknown component ids {ids!r}"
        if not isinstance(statuses, dict) or set(statuses) - set(ids):
            return "components must map listed component ids to statuses"
        bad = [s for s in statuses.values() if s not in COMPONENT_STATUSES]
        return f"unknown component status {bad[0]!r}" if bad else None

    def _apply(self, incident_id: str, body: dict[str, Any]) -> dict[str, Any]:
        incident = self.incidents[incident_id]
        incident["name"] = body.get("name", incident.get("name"))
        incident["status"] = body["status"]
        incident["updates"].append({"status": body["status"], "body": body["body"]})
        for cid, status in body.get("components", {}).items():
            self.components[cid] = status
        return self._shown(incident_id)

    def _shown(self, incident_id: str) -> dict[str, Any]:
        incident = self.incidents[incident_id]
        return {
            "id": incident_id,
            "name": incident["name"],
            "status": incident["status"],
            "shortlink": f"https://stspg.io/{incident_id}",
            "incident_updates": list(reversed(incident["updates"])),
            "components": [{"id": c, "status": s} for c, s in self.components.items()],
        }


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
