"""Demo scenes of quality signals: a silent model update lowers groundedness, the detector opens
an incident and shares its control chart; the chart is written next to the transcript."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.sandbox.demo.followup import _post_json

if TYPE_CHECKING:
    from bot.sandbox.demo.transcript import Scene, Transcript
    from bot.sandbox.stage import Stage

FEATURE = "search-answers"
BASELINE, SHIFTED = 72, 14  # points, one every 10 minutes


def _groundedness(i: int, shifted: bool) -> float:
    """A steady 0.86 with a little deterministic wobble; 0.80 after the update."""
    wobble = 0.012 * math.sin(i * 1.7) + 0.008 * math.cos(i * 0.9)
    return round((0.80 if shifted else 0.86) + wobble, 4)


async def silent_update(stage: Stage, t: Transcript) -> None:
    """The provider changes the model behind the same name; only groundedness shows it."""
    t.scene("Next day — Groundedness of search answers, watched by the control chart")
    now = stage.deps.clock()
    start = now - timedelta(minutes=10 * (BASELINE + SHIFTED))
    points = [
        {"at": (start + timedelta(minutes=10 * i)).isoformat(), "value": _groundedness(i, False)}
        for i in range(BASELINE)
    ]
    t.say(f"POST /signals: {BASELINE} groundedness points of {FEATURE} (12 hours, about 0.86)")
    body = {"signal": "groundedness", "feature": FEATURE, "points": points}
    t.say(f"bot answers {await _post_json(stage, '/signals', body)}")
    await stage.settle()
    change = {
        "kind": "provider",
        "feature": FEATURE,
        "from": "answers-1106",
        "to": "answers-1106 refresh",
        "at": (start + timedelta(minutes=10 * BASELINE - 5)).isoformat(),
        "author": "provider changelog",
    }
    t.say("POST /changes: the provider's changelog mentions a model refresh, same model name")
    await _post_json(stage, "/changes", change)
    shifted = [
        {
            "at": (start + timedelta(minutes=10 * (BASELINE + i))).isoformat(),
            "value": _groundedness(BASELINE + i, True),
        }
        for i in range(SHIFTED)
    ]
    t.say(f"POST /signals: {SHIFTED} more points, groundedness about 0.80 since the update")
    body = {"signal": "groundedness", "feature": FEATURE, "points": shifted}
    t.say(f"bot answers {await _post_json(stage, '/signals', body)}")


def chart_writer(out_dir: Path) -> Scene:
    """A scene that saves the incident's chart as the API serves it, next to the transcript."""

    async def write_chart(stage: Stage, t: Transcript) -> None:
        await stage.settle()
        token = stage.deps.settings.webhook_token
        assert token is not None
        listing = await stage.http.get(
            "/api/incidents", headers={"Authorization": f"Bearer {token.get_secret_value()}"}
        )
        opened: list[dict[str, Any]] = [i for i in listing.json() if i["feature"] == FEATURE]
        if not opened:
            t.say("the detector opened no incident (nothing to chart)")
            return
        number = opened[0]["number"]
        chart = await stage.http.get(
            f"/api/incidents/{number}/chart.png",
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
        )
        path = out_dir / f"incident-{number}-groundedness.png"
        path.write_bytes(chart.content)
        t.scene("The control chart")
        t.say(f"GET /api/incidents/{number}/chart.png → {path} ({len(chart.content):,} bytes)")
        t.say(json.dumps({"incident": number, "title": opened[0]["title"]}))

    return write_chart


SCENES: list[Scene] = [silent_update]
