"""Real local HTTP stand-ins for LaunchDarkly, Unleash, Langfuse and a webhook target.

Each serves on 127.0.0.1 at a random port inside the test's event loop, checks the documented
request shape strictly (path, method, auth, content type, body), keeps state the way the real
API does, records every request, and can be told to answer 500 or to hang.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Self

from aiohttp import web

SEMANTIC_PATCH = "application/json; domain-model=launchdarkly.semanticpatch"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Recorded:
    """One request as the stand-in received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class StandIn:
    """Base: serve `routes()`, record requests, and inject faults in front of the handlers."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.url = ""
        self._faults: list[int | str] = []
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    def fail_next(self, times: int = 1, status: int = 500) -> None:
        """Answer the next `times` requests with `status` before the real handler runs."""
        self._faults += [status] * times

    def hang_next(self, times: int = 1) -> None:
        """Never answer the next `times` requests (until the stand-in stops)."""
        self._faults += ["hang"] * times

    def calls(self, method: str) -> list[Recorded]:
        """Return the recorded requests with this method."""
        return [r for r in self.requests if r.method == method]

    async def __aenter__(self) -> Self:
        app = web.Application(middlewares=[self._faulty])
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _faulty(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(request.method, request.path, dict(request.query), dict(request.headers), body)
        )
        if not self._faults:
            return await handler(request)
        fault = self._faults.pop(0)
        if fault == "hang":
            await self._release.wait()
            return web.Response(status=504)
        return web.json_response({"message": "injected failure"}, status=int(fault))


def _error(status: int, message: str, **extra: str) -> web.Response:
    return web.json_response({**extra, "message": message}, status=status)


async def _json_object(request: web.Request) -> dict[str, Any] | None:
    try:
        data = json.loads(await request.read())
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class LaunchDarkly(StandIn):
    """LaunchDarkly REST API v2: get a flag, update it with a semantic patch."""

    KINDS: ClassVar[dict[str, bool]] = {"turnFlagOn": True, "turnFlagOff": False}

    def __init__(self, token: str, flags: dict[tuple[str, str], dict[str, bool]]) -> None:
        super().__init__()
        self.token = token
        self.flags = flags
        self.comments: list[str] = []

    def routes(self) -> list[web.RouteDef]:
        path = "/api/v2/flags/{project}/{flag}"
        return [web.get(path, self._get), web.patch(path, self._patch)]

    def is_on(self, project: str, flag: str, environment: str) -> bool:
        return self.flags[(project, flag)][environment]

    async def _get(self, request: web.Request) -> web.Response:
        found = self._check(request)
        if isinstance(found, web.Response):
            return found
        return web.json_response(self._flag_json(found, request.query.get("env")))

    async def _patch(self, request: web.Request) -> web.Response:
        found = self._check(request)
        if isinstance(found, web.Response):
            return found
        if request.headers.get("Content-Type") != SEMANTIC_PATCH:
            return _error(400, "Expected a JSON patch array", code="invalid_request")
        body = await _json_object(request)
        problem = self._problem(body, self.flags[found])
        if problem or body is None:
            return _error(400, problem or "invalid body", code="invalid_request")
        for instruction in body["instructions"]:
            self.flags[found][body["environmentKey"]] = self.KINDS[instruction["kind"]]
        self.comments.append(body.get("comment", ""))
        return web.json_response(self._flag_json(found, None))

    def _check(self, request: web.Request) -> tuple[str, str] | web.Response:
        if request.headers.get("Authorization") != self.token:
            return _error(401, "Invalid access token", code="unauthorized")
        key = (request.match_info["project"], request.match_info["flag"])
        return key if key in self.flags else _error(404, "Unknown flag", code="not_found")

    def _problem(self, body: dict[str, Any] | None, environments: dict[str, bool]) -> str | None:
        if body is None or set(body) - {"environmentKey", "comment", "instructions"}:
            return "body must be a semantic patch object"
        if body.get("environmentKey") not in environments:
            return f"environmentKey {body.get('environmentKey')!r} is not an environment"
        instructions = body.get("instructions")
        if not isinstance(instructions, list) or not instructions:
            return "instructions must be a non-empty list"
        kinds = [i.get("kind") if isinstance(i, dict) else None for i in instructions]
        bad = [k for k in kinds if k not in self.KINDS]
        return f"unsupported instruction kind {bad[0]!r}" if bad else None

    def _flag_json(self, key: tuple[str, str], only_env: str | None) -> dict[str, Any]:
        envs = {
            env: {"on": on, "_environmentName": env.title(), "archived": False}
            for env, on in self.flags[key].items()
            if only_env is None or env == only_env
        }
        return {"key": key[1], "name": key[1], "kind": "boolean", "environments": envs}


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
            return _error(404, f"Could not find environment {environment}", name="NotFoundError")
        if await request.read():
            return _error(400, "this endpoint takes no body", name="BadDataError")
        self.features[found][environment] = request.match_info["state"] == "on"
        return web.Response(status=200)

    def _check(self, request: web.Request) -> tuple[str, str] | web.Response:
        if request.headers.get("Authorization") != self.token:
            return _error(401, "You must log in to use Unleash.", name="AuthenticationRequired")
        key = (request.match_info["project"], request.match_info["feature"])
        if key not in self.features:
            return _error(404, f"Could not find feature flag {key[1]}", name="NotFoundError")
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
            return _error(401, "Invalid credentials")
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
            return _error(404, "Prompt not found", error="LangfuseNotFoundError")
        return web.json_response(self._prompt(name, found))

    async def _update(self, request: web.Request) -> web.Response:
        name, version = request.match_info["name"], int(request.match_info["version"])
        problem = self._check(request, name)
        if problem:
            return problem
        if version not in self.prompts[name]:
            return _error(404, "Prompt not found", error="LangfuseNotFoundError")
        body = await _json_object(request)
        labels = body.get("newLabels") if body is not None and set(body) == {"newLabels"} else None
        if request.content_type != "application/json" or not _strings(labels):
            return _error(400, "Invalid request data: newLabels must be a list of strings")
        assert isinstance(labels, list)
        if "latest" in labels:
            return _error(400, "The 'latest' label is reserved and managed by Langfuse")
        for other, other_labels in self.prompts[name].items():
            if other != version:
                other_labels[:] = [label for label in other_labels if label not in labels]
        self.prompts[name][version] = list(dict.fromkeys([*labels, *self.prompts[name][version]]))
        return web.json_response(self._prompt(name, version))

    def _check(self, request: web.Request, name: str) -> web.Response | None:
        if request.headers.get("Authorization") != self.authorization:
            return _error(401, "Invalid credentials")
        if name not in self.prompts:
            return _error(404, "Prompt not found", error="LangfuseNotFoundError")
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
                return _error(401, f"missing or wrong {name} header")
        if request.content_type != "application/json":
            return _error(415, "expected application/json")
        try:
            self.received.append(json.loads(await request.read()))
        except ValueError:
            return _error(400, "body is not JSON")
        return web.json_response({"ok": True, "received": len(self.received)})


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
