"""Demo scenes of follow-up: evals validate the fix, resolve, action items, the postmortem."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.sandbox.demo.core import incident_channel
from bot.sandbox.slack import signing
from bot.slack.ids import ActionId, BlockId

if TYPE_CHECKING:
    from bot.sandbox.demo.transcript import Scene, Transcript
    from bot.sandbox.stage import Stage

HEAD_LINES = 24


async def _post_json(stage: Stage, path: str, body: dict[str, Any]) -> dict[str, Any]:
    token = stage.deps.settings.webhook_token
    assert token is not None
    response = await stage.http.post(
        path,
        content=json.dumps(body),
        headers={
            "Authorization": f"Bearer {token.get_secret_value()}",
            "Content-Type": "application/json",
        },
    )
    result: dict[str, Any] = {"status": response.status_code, **response.json()}
    return result


async def eval_in_failure_window(stage: Stage, t: Transcript) -> None:
    """The eval pipeline measures the failure: 40 of 200 refund cases fail."""
    t.scene("03:30 — The eval suite measures the damage")
    body = {
        "suite": "refund-policy",
        "feature": "support-assistant",
        "passed": 160,
        "total": 200,
        "versions": {"prompt": "v12"},
        "incident": 1,
    }
    t.say("POST /evals (refund-policy on prompt v12: 160/200 passed, linked to incident 1)")
    t.say(f"bot answers {await _post_json(stage, '/evals', body)}")


async def contained(stage: Stage, t: Transcript) -> None:
    """Carol rolls the prompt back; Alice marks the incident contained in the update form."""
    t.scene("03:40 — Contained: prompt v11 restored")
    channel = incident_channel(stage)
    t.say("@alice types /incident update, picks status Contained and submits the form")
    views = len(stage.slack.views())
    await stage.command("update", user="U_ALICE", channel=channel)
    await stage.eventually(lambda: len(stage.slack.views()) > views)
    view = stage.slack.view_payload(stage.slack.views()[-1])
    text = "Prompt rolled back to v11 at 03:38; refund answers quote 30 days again in spot checks."
    values = signing.text_inputs({BlockId.UPDATE_TEXT: {ActionId.UPDATE_TEXT: text}})
    values[BlockId.UPDATE_STATUS] = {
        ActionId.UPDATE_STATUS: {"type": "static_select", "selected_option": {"value": "contained"}}
    }
    await stage.submit(view, values, user="U_ALICE")


async def eval_after_fix(stage: Stage, t: Transcript) -> None:
    """The same suite after the rollback: 12 of 200 fail; the bot compares the two."""
    t.scene("04:05 — The eval suite after the rollback")
    body = {
        "suite": "refund-policy",
        "feature": "support-assistant",
        "passed": 188,
        "total": 200,
        "versions": {"prompt": "v11"},
    }
    t.say("POST /evals (refund-policy on prompt v11: 188/200 passed)")
    t.say(f"bot answers {await _post_json(stage, '/evals', body)}")


async def resolved(stage: Stage, t: Transcript) -> None:
    """The commander resolves; the bot checks the fix is real, not just lucky."""
    t.scene("04:10 — Resolved, with the fix validated")
    command = "resolve prompt v11 restored; refund answers correct again"
    t.say(f"@alice types /incident {command}")
    await stage.command(command, user="U_ALICE", channel=incident_channel(stage))


async def action_items(stage: Stage, t: Transcript) -> None:
    """Two action items: an eval case and a monitor closing the detection gap."""
    t.scene("Next day — Action items")
    channel = incident_channel(stage)
    for args in (
        '"Add the 60-vs-30-day refund answers to the refund-policy eval suite" '
        "<@U_CAROL> eval_case",
        '"Alert on groundedness < 0.85 for refund intents within 5 minutes" <@U_BOB> detection',
    ):
        t.say(f"@alice types /incident action add {args}")
        await stage.command(f"action add {args}", user="U_ALICE", channel=channel)
        await stage.settle()


async def postmortem(stage: Stage, t: Transcript) -> None:
    """Write the draft, put it in review, publish it; show the canvas and the published text."""
    t.scene("Postmortem — draft, review, publish")
    channel = incident_channel(stage)
    for args in ("postmortem", "postmortem review", "postmortem publish"):
        t.say(f"@alice types /incident {args}")
        await stage.command(args, user="U_ALICE", channel=channel)
        await stage.settle()
        t.flush()
    for canvas in stage.slack.workspace.canvases.values():
        edits = len(canvas.history)
        t.say(f"The channel's canvas “{canvas.title}” (edited in place {edits} times) begins:")
        for line in canvas.markdown.splitlines()[:3]:
            t.out(f"    | {line}")
    token = stage.deps.settings.webhook_token
    assert token is not None
    response = await stage.http.get(
        "/api/incidents/1/postmortem.md",
        headers={"Authorization": f"Bearer {token.get_secret_value()}"},
    )
    state = response.headers.get("x-postmortem-state")
    t.say(f"GET /api/incidents/1/postmortem.md → {response.status_code}, state {state}; head:")
    for line in response.text.splitlines()[:HEAD_LINES]:
        t.out(f"    | {line}")


SCENES: list[Scene] = [
    eval_in_failure_window,
    contained,
    eval_after_fix,
    resolved,
    action_items,
    postmortem,
]
