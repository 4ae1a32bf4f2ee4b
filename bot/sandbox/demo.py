"""`incidentbot demo`: a whole incident against the local Slack stand-in, printed as a transcript.

Nothing leaves this machine: Slack is the local stand-in, the database a temporary SQLite file,
and every request (alerts, slash commands, button clicks) goes over real HTTP with real
signatures. Each scene acts as a person or a monitor would; the transcript shows what Slack shows.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import migrate
from bot.config import Config
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps
from bot.sandbox import demo_scenes, demo_signals
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.stage import SIGNING_SECRET, WEBHOOK_TOKEN, Stage, serve
from bot.sandbox.transcript import Names, render_blocks
from bot.settings import Settings

Print = Callable[[str], None]


@dataclass
class Transcript:
    """Prints Slack activity once: new messages, and edits of pinned summaries."""

    stage: Stage
    out: Print
    clock: DemoClock
    seen: dict[tuple[str, str], int] = field(default_factory=dict)

    def names(self) -> Names:
        """Current user and channel names."""
        ws = self.stage.slack.workspace
        return Names(
            {u.id: u.name for u in ws.users.values()}, {c.id: c.name for c in ws.channels.values()}
        )

    def scene(self, title: str) -> None:
        """Start a scene; a title starting `HH:MM` (or `Next day`) moves the demo clock there."""
        self.clock.follow(title)
        self.out(f"\n### {title}")

    def say(self, line: str) -> None:
        """Narrate what a person or monitor does."""
        self.out(f"  > {line}")

    def flush(self) -> None:
        """Print messages posted or edited since the last flush."""
        names = self.names()
        for channel in self.stage.slack.workspace.channels.values():
            for message in self.stage.slack.messages(channel.id):
                key, version = (channel.id, message.ts), len(message.edits)
                if self.seen.get(key) == version:
                    continue
                edited = key in self.seen
                self.seen[key] = version
                where = self._where(channel.name, channel.is_im, channel.members, names)
                self._print_message(where, message.text, message.blocks, names, edited)
        for ephemeral in self.stage.slack.ephemerals():
            key = ("ephemeral", f"{ephemeral.message_ts}")
            if key not in self.seen:
                self.seen[key] = 0
                who = names.users.get(ephemeral.user, ephemeral.user)
                self.out(f"  (only @{who} sees) {names.text(ephemeral.text)}")
        for response in self.stage.slack.responses():
            key = ("response", response.response_id + str(response.at))
            if key not in self.seen:
                self.seen[key] = 0
                self.out(f"  (reply) {names.text(str(response.body.get('text', '')))}")

    def _where(self, name: str, is_im: bool, members: list[str], names: Names) -> str:
        if not is_im:
            return f"#{name}"
        person = next((m for m in members if m != self.stage.slack.bot_user_id), "?")
        return f"DM to @{names.users.get(person, person)}"

    def _print_message(
        self, where: str, text: str, blocks: list[dict[str, object]], names: Names, edited: bool
    ) -> None:
        label = "updated" if edited else "posted"
        lines = render_blocks(blocks, names) if blocks else [names.text(text)]
        self.out(f"  [{where}] bot {label}:")
        for line in lines:
            for part in line.splitlines():
                self.out(f"      {part}")


Scene = Callable[[Stage, Transcript], Awaitable[None]]
DEMO_DAY = datetime(2026, 11, 23, tzinfo=UTC)  # the day the demo's alert and change carry


class DemoClock:
    """The time the demo's people and monitors act at; queued work falls due against it."""

    def __init__(self) -> None:
        self.now = DEMO_DAY.replace(hour=2, minute=30)

    def __call__(self) -> datetime:
        return self.now

    def follow(self, title: str) -> None:
        """Move to the scene's time; never backwards, so work already due stays due."""
        if match := re.match(r"(\d\d):(\d\d) ", title):
            hour, minute = int(match.group(1)), int(match.group(2))
            at = self.now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            self.now = max(self.now, at)
        elif title.startswith("Next day"):
            self.now = (self.now + timedelta(days=1)).replace(hour=10, minute=0)
        self.now += timedelta(seconds=1)


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
