"""The playbook checklist: post it by phase, re-render a phase after a click, nudge a late phase."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import session_scope
from bot.errors import NotYet
from bot.flows import playbook as playbook_flows
from bot.flows import playbook_nudges as nudge_flows
from bot.jobs.handlers.common import Handler, JobEnv, once, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.slack.blocks import playbook as playbook_blocks
from bot.vocabulary import IncidentType

MAX_RENDERS = 3


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """The playbook's work (all of it in Slack)."""
    work = _PlaybookWork(env)
    return slack_handlers(
        env,
        {
            JobKind.POST_PLAYBOOK: work.post_playbook,
            JobKind.RENDER_PHASE: work.render_phase,
            JobKind.PHASE_DUE: work.phase_due,
        },
    )


@dataclass
class _PlaybookWork:
    env: JobEnv

    async def post_playbook(self, item: Claimed) -> None:
        """Post each phase of the current playbook once; mark a replaced playbook as such."""
        assert item.incident_id is not None
        deps = self.env.deps
        async with session_scope(deps.sessions) as session:
            posting = await playbook_flows.prepare(
                session=session,
                incident_id=item.incident_id,
                playbooks=deps.playbooks,
                now=deps.clock(),
            )
        if posting.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        for message_id in posting.to_retire:
            await self._retire(message_id)
        for message_id in posting.to_post:
            await self._post(posting.channel_id, message_id, item)

    async def _view(self, message_id: int) -> playbook_flows.PhaseView:
        async with session_scope(self.env.deps.sessions) as session:
            return await playbook_flows.phase_view(
                session=session, message_id=message_id, playbooks=self.env.deps.playbooks
            )

    async def _post(self, channel_id: str, message_id: int, item: Claimed) -> None:
        view = await self._view(message_id)
        ts = await self.env.need_slack().post(
            channel_id,
            playbook_blocks.phase_text(view),
            playbook_blocks.phase_blocks(view),
            once=once(item, f"phase:{message_id}"),
        )
        async with session_scope(self.env.deps.sessions) as session:
            await playbook_flows.posted(
                session=session, message_id=message_id, channel_id=channel_id, ts=ts
            )

    async def _retire(self, message_id: int) -> None:
        await self._update(message_id)
        async with session_scope(self.env.deps.sessions) as session:
            await playbook_flows.retired(
                session=session, message_id=message_id, now=self.env.deps.clock()
            )

    async def _update(self, message_id: int) -> None:
        """Edit the message to the current state, again if the state moved while editing.

        Renders run concurrently, so one that read older state may finish last; checking after
        the edit makes the last edit show the newest state.
        """
        view = await self._view(message_id)
        for _ in range(MAX_RENDERS):
            if view.channel_id is None or view.ts is None:
                return  # not posted yet; posting shows the current state
            blocks = playbook_blocks.phase_blocks(view)
            await self.env.need_slack().update(
                view.channel_id, view.ts, playbook_blocks.phase_text(view), blocks
            )
            view = await self._view(message_id)
            if playbook_blocks.shows(blocks, view):
                return

    async def render_phase(self, item: Claimed) -> None:
        """Edit a phase message in place after a step changed."""
        await self._update(int(item.payload["message"]))

    async def phase_due(self, item: Claimed) -> None:
        """Nudge the owners of a phase still open past its time box (once)."""
        assert item.incident_id is not None
        deps = self.env.deps
        playbook_type = IncidentType(item.payload["type"])
        phase_id = str(item.payload["phase"])
        async with session_scope(deps.sessions) as session:
            nudge = await nudge_flows.phase_nudge(
                session=session,
                incident_id=item.incident_id,
                playbook_type=playbook_type,
                phase_id=phase_id,
                playbooks=deps.playbooks,
                now=deps.clock(),
            )
        if nudge is None:
            return
        text = playbook_blocks.nudge_text(nudge)
        await self.env.need_slack().post(nudge.channel_id, text, once=once(item))
        async with session_scope(deps.sessions) as session:
            await nudge_flows.nudged(
                session=session,
                incident_id=item.incident_id,
                playbook_type=playbook_type,
                phase_id=phase_id,
                open_count=len(nudge.open_steps),
                now=deps.clock(),
            )
