"""The command line: serve (and its refusal without secrets), check, manifest, db upgrade, demo."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from bot import migrate
from bot.db import make_engine
from bot.models import Incident
from bot.sandbox.demo import runner as demo
from bot.sandbox.slack.fake_slack import FakeSlack
from tests.support.processes import serve_process, worker_process

CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith(("SLACK_", "INCIDENTBOT_", "DATABASE_URL"))
}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**CLEAN_ENV, **(env or {})},
        timeout=120,
        check=False,
    )


def test_serve_without_secrets_is_one_line_naming_the_variable() -> None:
    result = cli("serve")
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "error: SLACK_BOT_TOKEN is not set; `incidentbot serve` needs it"
    )


SECRETS = {"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y", "INCIDENTBOT_WEBHOOK_TOKEN": "z"}


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_an_unreachable_database_is_one_line_naming_the_host(command: str) -> None:
    # Port 1 on this machine refuses connections; the password must never be printed.
    url = "postgresql+asyncpg://incidentbot:pa55-w0rd-xyz@127.0.0.1:1/incidentbot"
    result = cli(command, env={**SECRETS, "DATABASE_URL": url})
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: cannot reach the database at 127.0.0.1:1 (")
    assert "pa55-w0rd-xyz" not in result.stderr + result.stdout


def test_serve_with_an_unopenable_sqlite_file_is_one_line(tmp_path: os.PathLike[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/missing-folder/bot.db"
    result = cli("serve", env={**SECRETS, "DATABASE_URL": url})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: cannot reach the database at {tmp_path}/missing-folder/bot.db "
        "(unable to open database file); check DATABASE_URL"
    )


def test_serve_refuses_an_old_database_when_not_migrating(tmp_path: os.PathLike[str]) -> None:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/old.db",
        "SLACK_BOT_TOKEN": "x",
        "SLACK_SIGNING_SECRET": "y",
        "INCIDENTBOT_WEBHOOK_TOKEN": "z",
    }
    result = cli("serve", "--no-migrate", env=env)
    assert result.returncode == 2
    assert "run `incidentbot db upgrade`" in result.stderr


def test_db_upgrade_check_and_manifest(tmp_path: os.PathLike[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    upgraded = cli("db", "upgrade", env={"DATABASE_URL": url})
    assert upgraded.returncode == 0 and "database at revision" in upgraded.stdout
    checked = cli("check")
    assert checked.returncode == 0 and "playbooks ok: 8 incident types" in checked.stdout
    bad = tmp_path / "bad.yaml"  # type: ignore[operator]
    bad.write_text("routing:\n  default_severity: P7\n")
    refused = cli("check", env={"INCIDENTBOT_CONFIG": str(bad)})
    assert refused.returncode == 2 and "routing.default_severity" in refused.stderr
    manifest = yaml.safe_load(cli("manifest", "--url", "https://bot.example.com").stdout)
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/incident"
    assert command["url"] == "https://bot.example.com/slack/events"
    assert "channels:manage" in manifest["oauth_config"]["scopes"]["bot"]
    assert manifest["oauth_config"]["scopes"]["user"] == ["openid", "profile", "email"]
    assert manifest["oauth_config"]["redirect_urls"] == ["https://bot.example.com/ui/auth/slack"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


async def test_two_server_processes_open_one_incident_per_problem(db_url: str) -> None:
    async with FakeSlack() as slack:
        env = {
            "DATABASE_URL": db_url,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": slack.api_url,
            "INCIDENTBOT_WEBHOOK_TOKEN": "t",
        }
        async with (
            serve_process(env, workers=2, base_env=CLEAN_ENV) as served,
            httpx.AsyncClient(base_url=served.url) as client,
        ):
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            sends = [
                client.post(
                    "/alerts/generic",
                    headers={"Authorization": "Bearer t"},
                    json={"title": "Refunds wrong", "dedupe_key": "refunds", "id": f"a{i}"},
                )
                for i in range(60)
            ]
            assert {r.status_code for r in await asyncio.gather(*sends)} == {202}
    engine = make_engine(db_url)
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count(Incident.id)))).scalar_one() == 1
    await engine.dispose()
    assert await migrate.current_revision(db_url) == migrate.head_revision()


async def test_a_web_process_and_a_worker_process_open_the_channel_and_stop_cleanly(
    db_url: str,
) -> None:
    async with FakeSlack() as slack:
        env = {
            "DATABASE_URL": db_url,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": slack.api_url,
            "INCIDENTBOT_WEBHOOK_TOKEN": "t",
        }
        async with serve_process(env, role="web", base_env=CLEAN_ENV) as web:
            async with httpx.AsyncClient(base_url=web.url) as client:
                response = await client.post(
                    "/alerts/generic",
                    headers={"Authorization": "Bearer t"},
                    json={"title": "Refunds wrong", "dedupe_key": "refunds"},
                )
            assert response.status_code == 202
            await asyncio.sleep(1.0)
            assert not slack.calls("conversations.create")  # the web process only stores it
            async with worker_process(env, base_env=CLEAN_ENV) as worker:
                for _ in range(200):
                    if any(c.name.startswith("inc-") for c in slack.workspace.channels.values()):
                        break
                    await asyncio.sleep(0.05)
                assert [c.ok for c in slack.calls("conversations.create")] == [True]
                begun = time.monotonic()
                os.killpg(worker.pid, signal.SIGTERM)
                assert await asyncio.wait_for(worker.wait(), 10) == 0
                assert time.monotonic() - begun < 10


async def test_demo_runs_an_incident_end_to_end() -> None:
    lines: list[str] = []
    await demo.run(out=lines.append)
    transcript = "\n".join(lines)
    assert "POST /alerts/alertmanager" in transcript
    assert "#inc-" in transcript and "I'll be commander" in transcript
    assert "commander: @alice" in transcript
    assert "Status update" in transcript
    assert "resolved" in transcript


def test_demo_runs_over_socket_mode() -> None:
    result = cli("demo", "--socket-mode")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Slack reaches the bot over Socket Mode")
    assert "#inc-" in result.stdout and "commander: @alice" in result.stdout
