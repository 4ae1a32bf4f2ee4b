"""Run `incidentbot serve` and `incidentbot worker` as real processes, for tests and benchmarks.

Each child runs in its own process group and gets SIGTERM if its parent dies (Linux's parent-death
signal), so a test or benchmark that is interrupted, times out or is killed leaves nothing running.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    # Runs in the child before exec: SIGTERM when the process that started us goes away.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def start(
    args: Sequence[str], env: Mapping[str, str], base_env: Mapping[str, str] | None = None
) -> asyncio.subprocess.Process:
    """Start `python -m bot <args>` in its own process group, tied to this process's life.

    Its standard error goes to a temporary file (a pipe nobody reads would fill and stall it).
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the process (see `_log`)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**(os.environ if base_env is None else base_env), **env},
        start_new_session=True,
        preexec_fn=_die_with_parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    _logs[proc.pid] = log
    return proc


_logs: dict[int, IO[bytes]] = {}


def last_output(proc: asyncio.subprocess.Process, limit: int = 2000) -> str:
    """The end of what the process wrote to standard error so far."""
    log = _logs.get(proc.pid)
    if log is None:
        return ""
    log.seek(0)
    return log.read().decode(errors="replace")[-limit:]


async def stop(proc: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    """Signal the process group and wait for it (SIGKILL if it takes longer than 30 s)."""
    try:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
    finally:
        log = _logs.pop(proc.pid, None)
        if log is not None:
            log.close()


@dataclass(frozen=True)
class Served:
    url: str
    proc: asyncio.subprocess.Process


@contextlib.asynccontextmanager
async def serve_process(
    env: Mapping[str, str],
    workers: int = 1,
    base_env: Mapping[str, str] | None = None,
    *,
    role: str = "all",
    port: int | None = None,
) -> AsyncIterator[Served]:
    """Run `incidentbot serve` in its own process(es) with `env` over `base_env`."""
    port = port or free_port()
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    proc = await start([*args, "--role", role, "--no-access-log"], env, base_env)
    try:
        await _wait_ready(proc, port)
        yield Served(f"http://127.0.0.1:{port}", proc)
    finally:
        await stop(proc)


@contextlib.asynccontextmanager
async def worker_process(
    env: Mapping[str, str], base_env: Mapping[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run `incidentbot worker` in its own process; yield the process."""
    proc = await start(["worker"], env, base_env)
    try:
        yield proc
    finally:
        await stop(proc)


async def _wait_ready(proc: asyncio.subprocess.Process, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"server exited: {last_output(proc)}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("server did not start in 60 s")
