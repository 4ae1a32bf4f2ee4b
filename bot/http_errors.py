"""HTTP errors with a clear JSON body, and the bearer check shared by every machine route."""

from __future__ import annotations

from fastapi import Request

from bot.alerts import auth
from bot.deps import Deps


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
