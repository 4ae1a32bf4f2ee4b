"""Local HTTP stand-ins for containment providers, used by the demo and the tests.

Each serves on 127.0.0.1 at a random port inside the running event loop, checks the documented
request shape strictly (path, method, auth, content type, body), keeps state the way the real
API does, records every request, and can be told to answer 500 or to hang. LaunchDarkly lives
here because `incidentbot demo` turns a flag off against it; the tests add the others.
"""

from __future__ import annotations

import asyncio
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
        """Decode the body as JSON."""
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
        """The API's routes."""
        raise NotImplementedError

    def fail_next(self, times: int = 1, status: int = 500, *, applied: bool = False) -> None:
        """Answer the next `times` requests with `status` before the real handler runs.

        With `applied`, the handler runs first and its answer is replaced (the answer is lost).
        """
        self._faults += [f"applied:{status}" if applied else status] * times

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
        if isinstance(fault, str) and fault.startswith("applied:"):
            await handler(request)
            fault = fault.removeprefix("applied:")
        return web.json_response({"message": "injected failure"}, status=int(fault))


def error(status: int, message: str, **extra: str) -> web.Response:
    """Answer with a JSON error body the way these APIs do."""
    return web.json_response({**extra, "message": message}, status=status)


async def json_object(request: web.Request) -> dict[str, Any] | None:
    """Return the request body as a JSON object, or None when it is not one."""
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
        """GET and PATCH (semantic patch) of one flag."""
        path = "/api/v2/flags/{project}/{flag}"
        return [web.get(path, self._get), web.patch(path, self._patch)]

    def is_on(self, project: str, flag: str, environment: str) -> bool:
        """Whether the flag is on in the environment."""
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
            return error(400, "Expected a JSON patch array", code="invalid_request")
        body = await json_object(request)
        problem = self._problem(body, self.flags[found])
        if problem or body is None:
            return error(400, problem or "invalid body", code="invalid_request")
        for instruction in body["instructions"]:
            self.flags[found][body["environmentKey"]] = self.KINDS[instruction["kind"]]
        self.comments.append(body.get("comment", ""))
        return web.json_response(self._flag_json(found, None))

    def _check(self, request: web.Request) -> tuple[str, str] | web.Response:
        if request.headers.get("Authorization") != self.token:
            return error(401, "Invalid access token", code="unauthorized")
        key = (request.match_info["project"], request.match_info["flag"])
        return key if key in self.flags else error(404, "Unknown flag", code="not_found")

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
