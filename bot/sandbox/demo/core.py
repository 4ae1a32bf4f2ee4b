"""Demo scenes of the incident core: an alert opens an incident, roles, an update, resolve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.slack.ids import ActionId

if TYPE_CHECKING:
    from bot.sandbox.demo.transcript import Transcript
    from bot.sandbox.stage import Stage

ALERT: dict[str, Any] = {
    "version": "4",
    "groupKey": '{}:{alertname="RefundAnswerAccuracyLow"}',
    "status": "firing",
    "receiver": "incidentbot",
    "groupLabels": {"alertname": "RefundAnswerAccuracyLow"},
    "commonLabels": {},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager.local",
    "truncatedAlerts": 0,
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "RefundAnswerAccuracyLow",
                "ai_incident_type": "hallucination",
                "severity": "critical",
                "feature": "support-assistant",
            },
            "annotations": {
                "summary": "Support assistant states wrong refund windows",
                "description": "Groundedness on refund questions fell from 0.94 to 0.71 in 20 min; "
                "answers cite a 60-day window, the policy says 30.",
                "runbook_url": "https://runbooks.local/support-assistant",
            },
            "startsAt": "2026-11-23T03:02:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.local/graph?g0.expr=groundedness",
            "fingerprint": "5f1c2a9e0b7d4c31",
        }
    ],
}


def incident_channel(stage: Stage) -> str:
    """The demo incident's channel id."""
    return next(c.id for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-"))


async def alert_fires(stage: Stage, t: Transcript) -> None:
    """Alertmanager posts a firing alert; the bot opens the channel and pins the summary."""
    t.scene("03:02 — Alertmanager fires: refund answers are wrong")
    t.say("POST /alerts/alertmanager (RefundAnswerAccuracyLow, severity=critical)")
    response = await stage.alert("alertmanager", ALERT)
    t.say(f"bot answers {response.status_code} {response.json()}")


async def roles_taken(stage: Stage, t: Transcript) -> None:
    """Alice takes commander by button; she names comms and engineering."""
    t.scene("03:04 — Roles")
    channel = incident_channel(stage)
    summary = stage.slack.pins(channel)[0]
    t.say("@alice clicks [I'll be commander] on the pinned summary")
    value = next(
        e["value"]
        for b in summary.blocks
        for e in b.get("elements", [])
        if e.get("action_id") == f"{ActionId.TAKE_ROLE}:commander"
    )
    await stage.click(
        f"{ActionId.TAKE_ROLE}:commander",
        value,
        user="U_ALICE",
        channel=channel,
        message_ts=summary.ts,
    )
    await stage.settle()
    for text in ("role comms <@U_BOB>", "role engineering <@U_CAROL>"):
        t.say(f"@alice types /incident {text}")
        await stage.command(text, user="U_ALICE", channel=channel)
        await stage.settle()


async def status_update(stage: Stage, t: Transcript) -> None:
    """The commander posts an update."""
    t.scene("03:20 — Status update")
    text = (
        "update Refund answers quote a 60-day window since the 02:40 prompt deploy; "
        "citations are being checked. Next update 03:50."
    )
    t.say(f"@alice types /incident {text}")
    await stage.command(text, user="U_ALICE", channel=incident_channel(stage))


async def resolved(stage: Stage, t: Transcript) -> None:
    """The commander resolves the incident."""
    t.scene("04:10 — Resolved")
    t.say("@alice types /incident resolve prompt v12 rolled back; refund answers correct again")
    await stage.command(
        "resolve prompt v12 rolled back; refund answers correct again",
        user="U_ALICE",
        channel=incident_channel(stage),
    )
