"""Demo scenes of the playbook: a change in the ledger, a step done, a feature flag turned off.

The flag is turned off in a LaunchDarkly stand-in served on 127.0.0.1 for the scene, so the
demo still needs no network: the bot's real provider client sends the real semantic patch.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.containment.schemas import Provider
from bot.sandbox.demo import core
from bot.sandbox.provider_standins import LaunchDarkly
from bot.sandbox.stage import WEBHOOK_TOKEN
from bot.slack.blocks.containment import TITLE as CONFIRM_TITLE
from bot.slack.ids import ActionId, BlockId

if TYPE_CHECKING:
    from bot.sandbox.demo.transcript import Transcript
    from bot.sandbox.stage import Stage

LD_TOKEN = "api-demo-launchdarkly-token"
FLAG = ("support", "support-assistant")
FIRST_ALERT = datetime.fromisoformat(core.ALERT["alerts"][0]["startsAt"])


async def change_recorded(stage: Stage, t: Transcript) -> None:
    """The deploy pipeline records a prompt change in the ledger, before anything goes wrong."""
    t.scene("02:40 — A prompt change ships (the change ledger)")
    change = {
        "kind": "prompt",
        "feature": "support-assistant",
        "from": "refund-answer v11",
        "to": "refund-answer v12",
        "at": (FIRST_ALERT - timedelta(minutes=22)).isoformat(),
        "author": "dana",
        "link": "https://prompts.local/refund-answer/12",
        "description": "Shorter refund answers; policy excerpt moved out of the system prompt.",
    }
    t.say("the deploy pipeline: POST /changes (prompt refund-answer v11 → v12)")
    response = await stage.http.post(
        "/changes", json=change, headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    )
    t.say(f"bot answers {response.status_code} {response.json()}")


async def step_done(stage: Stage, t: Transcript) -> None:
    """Carol reproduces the failure and ticks the step; the checklist updates in place."""
    t.scene("03:08 — Playbook: the failure is confirmed")
    channel = core.incident_channel(stage)
    message, button = _button(stage, channel, "confirm-failure", ActionId.STEP_DONE)
    t.say("@carol clicks [Done] on “Reproduce the failure…” in the Triage checklist")
    await stage.click(
        ActionId.STEP_DONE,
        button["value"],
        user="U_CAROL",
        channel=channel,
        message_ts=message,
        block_id=f"{BlockId.STEP_ACTIONS}:confirm-failure",
    )


async def flag_off(stage: Stage, t: Transcript) -> None:
    """Alice turns the feature off from the Mitigate checklist, through a confirm dialog."""
    t.scene("03:12 — Containment: turn the feature off (LaunchDarkly stand-in on 127.0.0.1)")
    async with LaunchDarkly(LD_TOKEN, {FLAG: {"production": True}}) as ld:
        _configure(stage, ld.url)
        channel = core.incident_channel(stage)
        message, button = _button(stage, channel, "disable-feature", ActionId.CONTAINMENT_RUN)
        t.say("@alice clicks [⚡ Turn feature off] on the Mitigate checklist")
        views = len(stage.slack.views())
        await stage.click(
            ActionId.CONTAINMENT_RUN,
            button["value"],
            user="U_ALICE",
            channel=channel,
            message_ts=message,
        )
        await stage.eventually(lambda: len(stage.slack.views()) > views)
        await stage.eventually(lambda: bool(stage.slack.views()[-1].history))
        view = stage.slack.views()[-1]
        t.say(f"a dialog “{CONFIRM_TITLE}” opens:")
        for block in view.blocks:
            for line in _texts(block):
                t.say(f"   | {t.names().text(line)}")
        t.say("@alice clicks [Run it]")
        await stage.submit(stage.slack.view_payload(view), {}, user="U_ALICE")
        await stage.eventually(lambda: bool(ld.calls("PATCH")))
        await stage.settle()
        state = "ON" if ld.is_on(*FLAG, "production") else "OFF"
        t.say(f"LaunchDarkly stand-in: flag `{FLAG[1]}` in production is now {state}")


def _configure(stage: Stage, url: str) -> None:
    """Point `feature_flag_off` at the stand-in, its token named by environment variable."""
    options = {"project": FLAG[0], "flag": FLAG[1], "environment": "production"}
    provider = Provider(kind="launchdarkly", url=url, token_env="LD_TOKEN", options=options)
    actions = {"feature_flag_off": "launchdarkly", "feature_flag_on": "launchdarkly"}
    stage.deps.config = stage.deps.config.model_copy(
        update={"providers": {"launchdarkly": provider}, "actions": actions}
    )
    stage.deps.environ["LD_TOKEN"] = LD_TOKEN


def _button(stage: Stage, channel: str, step_id: str, action_id: str) -> tuple[str, dict[str, Any]]:
    """The ts of the playbook message holding a step, and that step's button."""
    block_id = f"{BlockId.STEP_ACTIONS}:{step_id}"
    for message in reversed(stage.slack.messages(channel)):
        for block in message.blocks:
            if block.get("block_id") != block_id:
                continue
            for element in block["elements"]:
                if element["action_id"] == action_id:
                    return message.ts, element
    raise LookupError(f"no {action_id} button for step {step_id}")


def _texts(block: dict[str, Any]) -> list[str]:
    if block.get("text"):
        return str(block["text"]["text"]).splitlines()
    return [line for e in block.get("elements", []) for line in str(e.get("text", "")).splitlines()]
