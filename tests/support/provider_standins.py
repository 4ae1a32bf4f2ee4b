"""Real local HTTP stand-ins for Unleash, Langfuse and a webhook target (LaunchDarkly's is in
`bot.sandbox.provider_standins`, since the demo uses it too; it is re-exported here).

Each checks the documented request shape strictly, keeps state the way the real API does,
records every request, and can be told to answer 500 or to hang.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp import web

from bot.sandbox.provider_standins import (
    SEMANTIC_PATCH,
    LaunchDarkly,
    Recorded,
    StandIn,
    error,
    json_object,
)

__all__ = [
    "SEMANTIC_PATCH",
    "Langfuse",
    "LaunchDarkly",
    "Recorded",
    "StandIn",
    "Unleash",
    "Webhook",
]


class Unleash(StandIn):
    """Unleash admin API: get a feature, switch it on or off in one environment."""

    def __init__(self, token: str, features: dict[tuple[str, str], dict[str, bool]]) -> None:
        super().__init__()
        self.token = token
        self.features = features

    def routes(self) -> list[web.RouteDef]:
        base = "/api/admin/projects/{project}/features/{feature}"
        return [
            web.get(base, self._get),
            web.post(base + "/environments/{environment}/{state:on|off}", self._switch),
        ]

    def is_enabled(self, project: str, feature: str, environment: str) -> bool:
        return self.features[(project, feature)][environment]

    async def _get(self, request: web.Request) -> web.Response:
        found = self._check(request)
        if isinstance(found, web.Response):
            return found
        envs = [{"name": n, "enabled": on, "type": n} for n, on in self.features[found].items()]
        return web.json_response({"name": found[1], "project": found[0], "environments": envs})

    async def _switch(self, request: web.Request) -> web.Response:
        found = self._check(request)
        if isinstance(found, web.Response):
            return found
        environment = request.match_info["environment"]
        if environment not in self.features[found]:
            return error(404, f"Could not find environment {environment}", name="NotFoundError")
        if await request.read():
            return error(400, "this endpoint takes no body", name="BadDataError")
        self.features[found][environment] = request.match_info["state"] == "on"
        return web.Response(status=200)

    def _check(self, request: web.Request) -> tuple[str, str] | web.Response:
        if request.headers.get("Authorization") != self.token:
            return error(401, "You must log in to use Unleash.", name="AuthenticationRequired")
        key = (request.match_info["project"], request.match_info["feature"])
        if key not in self.features:
            return error(404, f"Could not find feature flag {key[1]}", name="NotFoundError")
        return key


class Langfuse(StandIn):
    """Langfuse public API v2 prompts: get by label, list versions, update a version's labels."""

    def __init__(
        self, public_key: str, secret_key: str, prompts: dict[str, dict[int, list[str]]]
    ) -> None:
        super().__init__()
        token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()
        self.authorization = f"Basic {token}"
        self.prompts = prompts

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/public/v2/prompts", self._list),
            web.get("/api/public/v2/prompts/{name}", self._get),
            web.patch("/api/public/v2/prompts/{name}/versions/{version:\\d+}", self._update),
        ]

    def version_with(self, name: str, label: str) -> int | None:
        return next((v for v, labels in self.prompts[name].items() if label in labels), None)

    async def _list(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != self.authorization:
            return error(401, "Invalid credentials")
        name = request.query.get("name")
        data = [self._meta(n) for n in self.prompts if name is None or n == name]
        meta = {"page": 1, "limit": 50, "totalItems": len(data), "totalPages": 1}
        return web.json_response({"data": data, "meta": meta})

    async def _get(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        problem = self._check(request, name)
        if problem:
            return problem
        version = request.query.get("version")
        if version is not None:
            found: int | None = int(version) if int(version) in self.prompts[name] else None
        else:
            found = self._labelled(name, request.query.get("label", "production"))
        if found is None:
            return error(404, "Prompt not found", error="LangfuseNotFoundError")
        return web.json_response(self._prompt(name, found))

    async def _update(self, request: web.Request) -> web.Response:
        name, version = request.match_info["name"], int(request.match_info["version"])
        problem = self._check(request, name)
        if problem:
            return problem
        if version not in self.prompts[name]:
            return error(404, "Prompt not found", error="LangfuseNotFoundError")
        body = await json_object(request)
        labels = body.get("newLabels") if body is not None and set(body) == {"newLabels"} else None
        if request.content_type != "application/json" or not _strings(labels):
            return error(400, "Invalid request data: newLabels must be a list of strings")
        assert isinstance(labels, list)
        if "latest" in labels:
            return error(400, "The 'latest' label is reserved and managed by Langfuse")
        for other, other_labels in self.prompts[name].items():
            if other != version:
                other_labels[:] = [label for label in other_labels if label not in labels]
        self.prompts[name][version] = list(dict.fromkeys([*labels, *self.prompts[name][version]]))
        return web.json_response(self._prompt(name, version))

    def _check(self, request: web.Request, name: str) -> web.Response | None:
        if request.headers.get("Authorization") != self.authorization:
            return error(401, "Invalid credentials")
        if name not in self.prompts:
            return error(404, "Prompt not found", error="LangfuseNotFoundError")
        return None

    def _labelled(self, name: str, label: str) -> int | None:
        return max(self.prompts[name]) if label == "latest" else self.version_with(name, label)

    def _labels(self, name: str, version: int) -> list[str]:
        latest = ["latest"] if version == max(self.prompts[name]) else []
        return [*self.prompts[name][version], *latest]

    def _prompt(self, name: str, version: int) -> dict[str, Any]:
        return {
            "name": name,
            "version": version,
            "type": "text",
            "prompt": f"{name} v{version}",
            "config": {},
            "labels": self._labels(name, version),
            "tags": [],
        }

    def _meta(self, name: str) -> dict[str, Any]:
        labels = sorted({label for v in self.prompts[name] for label in self._labels(name, v)})
        return {
            "name": name,
            "type": "text",
            "versions": sorted(self.prompts[name]),
            "labels": labels,
            "tags": [],
            "lastUpdatedAt": "2026-01-01T00:00:00.000Z",
            "lastConfig": {},
        }


class Webhook(StandIn):
    """A webhook target (or model gateway): accepts JSON on any path, checks required headers."""

    def __init__(self, required_headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.required_headers = required_headers or {}
        self.received: list[Any] = []

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/{tail:.*}", self._receive)]

    async def _receive(self, request: web.Request) -> web.Response:
        for name, value in self.required_headers.items():
            if request.headers.get(name) != value:
                return error(401, f"missing or wrong {name} header")
        if request.content_type != "application/json":
            return error(415, "expected application/json")
        try:
            self.received.append(json.loads(await request.read()))
        except ValueError:
            return error(400, "body is not JSON")
        return web.json_response({"ok": True, "received": len(self.received)})


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
