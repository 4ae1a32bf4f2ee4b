"""Serve an ASGI app over real HTTP inside the test's event loop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from starlette.types import ASGIApp

from bot.sandbox.stage import serve_asgi


@dataclass
class RunningServer:
    url: str
    client: httpx.AsyncClient


@contextlib.asynccontextmanager
async def run_server(app: ASGIApp) -> AsyncIterator[RunningServer]:
    """Start uvicorn on a free port, yield its URL and a client, then shut it down."""
    async with serve_asgi(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield RunningServer(url=url, client=client)
