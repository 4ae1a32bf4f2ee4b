"""`incidentbot demo`: a whole incident against the local Slack stand-in, printed as a transcript.

Nothing leaves this machine: Slack is the local stand-in, the database a temporary SQLite file,
and every request (alerts, slash commands, button clicks) goes over real HTTP with real
signatures. Each scene acts as a person or a monitor would; the transcript shows what Slack shows.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bot import migrate
from bot.config import Config
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps
from bot.sandbox.demo import scenes as demo_scenes
from bot.sandbox.demo import signals as demo_signals
from bot.sandbox.demo.transcript import DemoClock, Print, Scene, Transcript
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.sandbox.stage import SIGNING_SECRET, WEBHOOK_TOKEN, Stage, serve
from bot.settings import Settings


def demo_config() -> Config:
    """Responders and the announcement channel used by the demo."""
    return Config.model_validate(
        {
            "default_responders": ["U_BOB", "carol@example.com"],
            "channels": {"announce": "C_GENERAL"},
            "status_targets": [{"kind": "slack", "name": "status-updates", "channel": "C_STATUS"}],
            "signals": {"watch": [{"name": "groundedness", "title": "Groundedness"}]},
        }
    )


async def run(
    out: Print = print, scenes: list[Scene] | None = None, *, socket_mode: bool = False
) -> Stage | None:
    """Run every scene against a fresh temporary database and the local Slack stand-in.

    With `socket_mode`, Slack's requests reach the bot as Socket Mode envelopes over a WebSocket
    the bot opened (no public URL), instead of signed HTTP requests.
    """
    with tempfile.TemporaryDirectory(prefix="incidentbot-demo-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
        await migrate.upgrade_async(url)
        async with FakeSlack() as slack:
            slack.workspace.channels["C_GENERAL"].members.append(slack.bot_user_id)
            settings = Settings(
                DATABASE_URL=url,
                SLACK_BOT_TOKEN=slack.token,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=slack.api_url,
                SLACK_APP_TOKEN=slack.app_token if socket_mode else None,
                INCIDENTBOT_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
            )
            engine = make_engine(url)
            clock = DemoClock()
            deps = Deps(
                settings=settings,
                config=demo_config(),
                engine=engine,
                sessions=make_sessionmaker(engine),
                clock=clock,
            )
            try:
                async with serve(deps, slack) as stage:
                    transcript = Transcript(stage, out, clock)
                    how = "Socket Mode (a WebSocket the bot opened)" if socket_mode else "HTTP"
                    out(f"Slack reaches the bot over {how}.")
                    for scene in scenes if scenes is not None else demo_scenes.SCENES:
                        await scene(stage, transcript)
                        await stage.settle()
                        transcript.flush()
                    return stage
            finally:
                await engine.dispose()


def main(*, socket_mode: bool = False, out_dir: Path | None = None) -> Path:
    """Entry point for `incidentbot demo`: print the transcript, and save it with the chart.

    The transcript (transcript.txt) and the control chart of the incident the detector opened
    go to `out_dir`, by default a new folder under the system's temporary directory.
    """
    folder = out_dir or Path(tempfile.mkdtemp(prefix="incidentbot-demo-out-"))
    folder.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def out(line: str) -> None:
        print(line)
        lines.append(line)

    scenes = [*demo_scenes.SCENES, demo_signals.chart_writer(folder)]
    asyncio.run(run(out, scenes, socket_mode=socket_mode))
    (folder / "transcript.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nTranscript and control chart saved in {folder}")
    return folder
