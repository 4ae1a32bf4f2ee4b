"""The playbook checklist in Slack: Done / Skip / Reopen (posting it is queued work)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.flows import playbook as playbook_flows
from bot.slack import button_value
from bot.slack.context import SlackContext
from bot.slack.ids import ActionId
from bot.slack.listening import listen
from bot.vocabulary import StepState

_STATES: dict[ActionId, StepState | None] = {
    ActionId.STEP_DONE: StepState.DONE,
    ActionId.STEP_SKIP: StepState.SKIPPED,
    ActionId.STEP_REOPEN: None,
}


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the Done, Skip and Reopen buttons."""
    for action_id, state in _STATES.items():
        listen(app.action(action_id), _step_clicked(ctx, state))


def _step_clicked(ctx: SlackContext, state: StepState | None) -> Callable[..., Awaitable[None]]:
    async def listener(body: dict[str, Any], action: dict[str, Any]) -> None:
        incident_id, step_id = button_value.decode(action["value"], 2)
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
