"""HTTP errors with a clear JSON body, reading and checking JSON bodies, and the bearer check
shared by every machine route."""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot import untrusted
from bot.alerts import auth
from bot.db import POOL_TIMEOUT_S
from bot.deps import Deps
from bot.errors import NotFound

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

MAX_BODY = 1024 * 1024


class HTTPProblem(Exception):
    """An HTTP error answered as {"error": ..., "field": ...}."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.headers = headers or {}


def check_bearer(deps: Deps, request: Request) -> None:
    """Raise 401 unless the request carries the INCIDENTBOT_WEBHOOK_TOKEN bearer token."""
    token = deps.settings.webhook_token
    if token is None or not auth.bearer_ok(
        request.headers.get("authorization"), token.get_secret_value()
    ):
        raise HTTPProblem(401, "missing or wrong bearer token (INCIDENTBOT_WEBHOOK_TOKEN)")


async def read_json_body(request: Request, limit: int | None = None) -> bytes:
    """The raw body of a JSON request (415 for another type, 413 over the limit, 1 MiB)."""
    limit = limit or MAX_BODY
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise HTTPProblem(415, f"send JSON (Content-Type: application/json), not {content_type!r}")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPProblem(413, f"body is {declared} bytes; the limit is {limit}")
    # ASGI messages read directly: an async generator per request (request.stream()) costs
    # more than the rest of reading the body when a monitor sends a thousand a second.
    chunks, size = [], 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise HTTPProblem(400, "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPProblem(413, f"body is over the {limit}-byte limit")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def decode_json(raw: bytes) -> Any:
    """Parse a raw JSON body (400 with where it breaks, or when it nests too deep).

    Strings come back with NUL and lone surrogates replaced (see `bot.untrusted`).
    """
    try:
        # the raw body is kept as UTF-8 text; NaN and Infinity are Python's, not JSON (a
        # PostgreSQL json column refuses them)
        value = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except UnicodeDecodeError as exc:
        raise HTTPProblem(400, "body is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise HTTPProblem(
            400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise HTTPProblem(400, _too_deep()) from exc
    except ValueError as exc:  # e.g. an integer literal of thousands of digits
        raise HTTPProblem(400, f"malformed JSON: {str(exc)[:120]}") from exc
    if untrusted.could_be_deep(raw):
        try:
            untrusted.check_depth(value)
        except untrusted.TooDeep as exc:
            raise HTTPProblem(400, _too_deep()) from exc
    return untrusted.clean_json(value) if untrusted.may_need_cleaning(raw) else value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def _too_deep() -> str:
    return f"JSON nested deeper than {untrusted.MAX_JSON_DEPTH} levels"


def json_body_doc(model: type[BaseModel] | None = None) -> dict[str, Any]:
    """OpenAPI's description of a JSON request body (of `model`, or any object)."""
    schema = model.model_json_schema(by_alias=True) if model else {"type": "object"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def validate(model: type[M], payload: Any) -> M:
    """The payload as `model`, or 422 naming the first field that is wrong."""
    if not isinstance(payload, dict):
        raise HTTPProblem(422, "expected a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or None
        message = err["msg"].removeprefix("Value error, ")
        raise HTTPProblem(422, f"{where}: {message}" if where else message, field=where) from exc


def install(app: FastAPI) -> None:
    """Answer every error in the {"error", "field"} shape; 503 with Retry-After for the database."""
    app.add_exception_handler(HTTPProblem, problem_response)  # type: ignore[arg-type]
    app.add_exception_handler(NotFound, not_found_response)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, busy_response)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, unavailable_response)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]


async def problem_response(_: Request, exc: HTTPProblem) -> JSONResponse:
    """Our own refusal, with its status and headers (a 401 asks for the bearer token)."""
    body: dict[str, Any] = {"error": exc.message, "field": exc.field}
    if exc.status < 500:
        log.warning("refused %s %s (%d): %s", _.method, _.url.path, exc.status, exc.message[:200])
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return JSONResponse(body, status_code=exc.status, headers=headers | exc.headers)


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's validation errors in the documented {"error", "field"} shape."""
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ())]
    field = ".".join(loc[1:] if loc and loc[0] in ("path", "query", "body", "header") else loc)
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    log.warning("refused %s %s: %s: %s", request.method, request.url.path, field, message)
    return JSONResponse({"error": f"{field}: {message}", "field": field or None}, status_code=422)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Starlette's own errors (unknown route, wrong method) in the same shape."""
    if exc.status_code < 400:
        return Response(status_code=exc.status_code, headers=exc.headers)
    log.warning(
        "refused %s %s (%d): %s", request.method, request.url.path, exc.status_code, exc.detail
    )
    body = {"error": str(exc.detail), "field": None}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def unavailable_response(_: Request, exc: OperationalError) -> JSONResponse:
    """503 when the database cannot be reached: nothing was stored, try again in 5 s."""
    log.warning("database unavailable: %s", str(exc.orig or exc).splitlines()[0][:300])
    body = {"error": "the database is unavailable right now; nothing was stored"}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


async def busy_response(_: Request, exc: PoolTimeout) -> JSONResponse:
    """503 when every connection of the pool stayed in use: try again in 1 s."""
    body = {"error": f"the database is busy: no free connection within {POOL_TIMEOUT_S:g} s"}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})


async def not_found_response(_: Request, exc: NotFound) -> JSONResponse:
    """404 for what a flow did not find."""
    return JSONResponse({"error": str(exc), "field": None}, status_code=404)
