"""The playbook checklist in Slack: post it by phase, Done / Skip / Reopen, phase nudges."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.blocks import Block

from bot import due
from bot.db import session_scope
from bot.flows import playbook as playbook_flows
from bot.flows import playbook_nudges as nudge_flows
from bot.incidents.schemas import IncidentType
from bot.jobs import Handler, RetryLater
from bot.playbook.schemas import StepState
from bot.slack.blocks import playbook as playbook_blocks
from bot.slack.context import SlackContext
from bot.slack.errors import guarded
from bot.slack.features.playbook.common import split_value
from bot.slack.ids import ActionId

ON_CHANNEL_OPEN = (playbook_flows.POST_PLAYBOOK,)
MAX_RENDERS = 3
_STATES: dict[ActionId, StepState | None] = {
    ActionId.STEP_DONE: StepState.DONE,
    ActionId.STEP_SKIP: StepState.SKIPPED,
    ActionId.STEP_REOPEN: None,
}


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the Done, Skip and Reopen buttons."""
    for action_id, state in _STATES.items():
        app.action(action_id)(guarded(_step_clicked(ctx, state)))


def _step_clicked(ctx: SlackContext, state: StepState | None) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        incident_id, step_id = split_value(action["value"], 2)
        async with ctx.flow() as session:
            await playbook_flows.mark_step(
                session=session,
                incident_id=int(incident_id),
                step_id=step_id,
                state=state,
                actor=body["user"]["id"],
                now=ctx.deps.clock(),
                playbooks=ctx.deps.playbooks,
            )
        # The phase message and the summary are edited by the queued work the flow woke.

    return listener


def work_handlers(ctx: SlackContext) -> dict[str, Handler]:
    """Post the playbook, re-render a phase after a click, nudge a late phase."""
    work = _StepWork(ctx)
    return {
        playbook_flows.POST_PLAYBOOK: work.post_playbook,
        playbook_flows.RENDER_PHASE: work.render_phase,
        playbook_flows.PHASE_DUE: work.phase_due,
    }


class _StepWork:
    def __init__(self, ctx: SlackContext) -> None:
        self.ctx = ctx
        self.deps = ctx.deps

    async def post_playbook(self, item: due.Claimed) -> None:
        """Post each phase of the current playbook once; mark a replaced playbook as such."""
        assert item.incident_id is not None
        async with session_scope(self.deps.sessions) as session:
            posting = await playbook_flows.prepare(
                session=session,
                incident_id=item.incident_id,
                playbooks=self.deps.playbooks,
                now=self.deps.clock(),
            )
        if posting.channel_id is None:
            raise RetryLater("the incident channel does not exist yet")
        for message_id in posting.to_retire:
            await self._retire(message_id)
        for message_id in posting.to_post:
            await self._post(posting.channel_id, message_id)

    async def _view(self, message_id: int) -> playbook_flows.PhaseView:
        async with session_scope(self.deps.sessions) as session:
            return await playbook_flows.phase_view(
                session=session, message_id=message_id, playbooks=self.deps.playbooks
            )

    async def _post(self, channel_id: str, message_id: int) -> None:
        view = await self._view(message_id)
        ts = await self.ctx.gateway.post(
            channel_id, playbook_blocks.phase_text(view), playbook_blocks.phase_blocks(view)
        )
        async with session_scope(self.deps.sessions) as session:
            await playbook_flows.posted(
                session=session, message_id=message_id, channel_id=channel_id, ts=ts
            )

    async def _retire(self, message_id: int) -> None:
        await self._update(message_id)
        async with session_scope(self.deps.sessions) as session:
            await playbook_flows.retired(
                session=session, message_id=message_id, now=self.deps.clock()
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
            await self.ctx.gateway.update(
                view.channel_id, view.ts, playbook_blocks.phase_text(view), blocks
            )
            view = await self._view(message_id)
            if _dicts(playbook_blocks.phase_blocks(view)) == _dicts(blocks):
                return

    async def render_phase(self, item: due.Claimed) -> None:
        """Edit a phase message in place after a step changed."""
        await self._update(int(item.payload["message"]))

    async def phase_due(self, item: due.Claimed) -> None:
        """Nudge the owners of a phase still open past its time box (once)."""
        assert item.incident_id is not None
        playbook_type = IncidentType(item.payload["type"])
        phase_id = str(item.payload["phase"])
        async with session_scope(self.deps.sessions) as session:
            nudge = await nudge_flows.phase_nudge(
                session=session,
                incident_id=item.incident_id,
                playbook_type=playbook_type,
                phase_id=phase_id,
                playbooks=self.deps.playbooks,
                now=self.deps.clock(),
            )
        if nudge is None:
            return
        await self.ctx.gateway.post(nudge.channel_id, playbook_blocks.nudge_text(nudge))
        async with session_scope(self.deps.sessions) as session:
            await nudge_flows.nudged(
                session=session,
                incident_id=item.incident_id,
                playbook_type=playbook_type,
                phase_id=phase_id,
                open_count=len(nudge.open_steps),
                now=self.deps.clock(),
            )


def _dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]
