"""The `incidentbot` command line."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.errors import ConfigError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import ProcessRole

# Longer than uvicorn's 5 s default: load balancers and monitors reuse idle connections for
# up to a minute, and a connection closed under them fails their next request.
KEEP_ALIVE_S = 75
# On SIGTERM, requests in flight get this long before the worker gives back its work and exits.
GRACEFUL_S = 5

cli = typer.Typer(help="A Slack bot for incidents in AI/LLM products.", no_args_is_help=True)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@cli.command()
def serve(
    host: str = typer.Option("0.0.0.0", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (each a stateless replica)."),
    role: str = typer.Option(
        "all", help="all: serve and run queued work; web: serve only (run `incidentbot worker`)."
    ),
    migrate: bool = typer.Option(True, help="Upgrade the database at start; else refuse if old."),
    access_log: bool = typer.Option(
        True, help="Log each request: method, path (never the query string), status, duration."
    ),
) -> None:
    """Serve Slack callbacks and alert webhooks over HTTP."""
    import os

    import uvicorn

    from bot import app as composition

    settings = Settings()
    try:
        process_role = _role(role)
        settings.require_serving_secrets()
        _require_database(settings.database_url)
        asyncio.run(composition.ensure_schema(settings, upgrade=migrate))
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "access_log": False,  # ours leaves out query strings (see bot.metrics)
            "timeout_keep_alive": KEEP_ALIVE_S,
            "timeout_graceful_shutdown": GRACEFUL_S,
        }
        composition.configure_logging(access_log=access_log)
        if workers > 1:
            os.environ["INCIDENTBOT_ROLE"] = process_role.value  # read by each worker process
            os.environ["INCIDENTBOT_ACCESS_LOG"] = "1" if access_log else "0"
            uvicorn.run("bot.app:app_from_env", factory=True, workers=workers, **options)
            return
        deps = composition.build_deps(settings)
        app = composition.build_app(deps, role=process_role, access_log=access_log)
    except ConfigError as exc:
        _fail(str(exc))
        return
    uvicorn.run(app, log_level="info", **options)


def _role(value: str) -> ProcessRole:
    from bot.app import ProcessRole

    try:
        return ProcessRole(value)
    except ValueError:
        raise ConfigError(f"--role must be all or web, not {value!r}") from None


@cli.command()
def worker(
    migrate: bool = typer.Option(True, help="Upgrade the database at start; else refuse if old."),
) -> None:
    """Run queued work (open channels, post, remind, publish) without serving HTTP."""
    from bot import app as composition

    settings = Settings()
    try:
        _require_database(settings.database_url)
        asyncio.run(composition.ensure_schema(settings, upgrade=migrate))
        composition.configure_logging(access_log=False)
        asyncio.run(composition.run_worker(settings))
    except ConfigError as exc:
        _fail(str(exc))


def _require_database(url: str) -> None:
    """Raise a one-line ConfigError naming the database host when it cannot be reached."""
    import asyncpg
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    try:
        asyncio.run(_ping(url))
    except (OSError, SQLAlchemyError, asyncpg.PostgresError) as exc:
        parsed = make_url(url)
        where = f"{parsed.host}:{parsed.port or 5432}" if parsed.host else parsed.database
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        if parsed.password:
            reason = reason.replace(parsed.password, "***")
        message = f"cannot reach the database at {where} ({reason}); check DATABASE_URL"
        raise ConfigError(message) from None


def _join_driver_threads(timeout_s: float = 2.0) -> None:
    import threading

    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            thread.join(timeout_s)


async def _ping(url: str) -> None:
    from sqlalchemy import text

    from bot.db import is_sqlite, make_engine

    if is_sqlite(url):
        _ping_sqlite(url)  # the driver's own thread would outlive a failed connect
        return
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
        # A connection aiosqlite failed to open hands its last answer back to this event loop
        # from its own thread: wait for that while the loop still runs.
        await asyncio.to_thread(_join_driver_threads)


def _ping_sqlite(url: str) -> None:
    import sqlite3

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    path = make_url(url).database or ":memory:"
    try:
        sqlite3.connect(path).close()
    except sqlite3.Error as exc:
        raise OperationalError("SELECT 1", None, exc) from exc


@cli.command()
def demo(
    socket_mode: bool = typer.Option(
        False, help="Reach the bot over Socket Mode (a WebSocket it opens) instead of HTTP."
    ),
    out: str | None = typer.Option(
        None,
        help="Folder for transcript.txt and the control chart PNG "
        "(default: a new folder in the system's temporary directory).",
    ),
) -> None:
    """Run a whole incident against the local Slack stand-in and print the transcript."""
    from bot.sandbox.demo import runner as sandbox_demo

    sandbox_demo.main(socket_mode=socket_mode, out_dir=Path(out) if out else None)


@cli.command()
def manifest(
    url: str = typer.Option("https://incidentbot.example.com", help="Where the bot is reachable."),
    socket_mode: bool = typer.Option(False, help="Use Socket Mode instead of request URLs."),
) -> None:
    """Print the Slack app manifest (YAML) to create the app from."""
    from bot.slack import manifest as slack_manifest

    typer.echo(slack_manifest.render(url, socket_mode), nl=False)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations up to the newest revision."""
    from bot import migrate

    settings = Settings()
    migrate.upgrade(settings.database_url)
    typer.echo(f"database at revision {migrate.head_revision()}")


@cli.command()
def check() -> None:
    """Validate the config, playbooks and templates."""
    from bot import checks

    try:
        for line in checks.run(Settings()):
            typer.echo(line)
    except ConfigError as exc:
        _fail(str(exc))


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
