"""Health and metrics: is the process up, is the database reachable, Prometheus' figures."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.api import followup
from bot.deps import Deps


def router(deps: Deps) -> APIRouter:
    """GET /healthz, /readyz and /metrics."""
    router = APIRouter()

    @router.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The database is reachable")
    async def readyz() -> JSONResponse:
        try:
            async with deps.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except PoolTimeout:
            pool = deps.settings.database_pool_size
            error = f"every database connection is in use (DATABASE_POOL_SIZE={pool})"
            return JSONResponse({"status": "busy", "error": error}, status_code=503)
        except Exception as exc:  # any driver error means not ready
            return JSONResponse({"status": "unavailable", "error": str(exc)[:300]}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        await followup.refresh_duration_metrics(deps)
        return Response(deps.metrics.render(), media_type="text/plain; version=0.0.4")

    return router
