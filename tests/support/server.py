"""Serve an ASGI app over real HTTP inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import uvicorn
from starlette.types import ASGIApp


@dataclass
class RunningServer:
    url: str
    client: httpx.AsyncClient


@contextlib.asynccontextmanager
async def run_server(app: ASGIApp) -> AsyncIterator[RunningServer]:
    """Start uvicorn on a free port, yield its URL and a client, then shut it down."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        try:
            yield RunningServer(url=url, client=client)
        finally:
            server.should_exit = True
            await task
