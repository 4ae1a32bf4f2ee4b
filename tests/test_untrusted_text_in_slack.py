"""Property: whatever alerts, commands and forms carry, what reaches Slack is escaped and fits.

Random long, Unicode, right-to-left, emoji, markup and control-character titles, labels and
descriptions go through every alert source, several commands and the declare form; every call
the Slack stand-in recorded (and every response_url reply and ack) is then checked: no mention,
broadcast or link from the input is live markup, and no call was refused for a limit.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Channels, Config
from bot.sandbox.slack import signing
from bot.sandbox.stage import Stage
from bot.slack.ids import ActionId, BlockId
from bot.storm.schemas import Storm
from tests.support.vendor_payloads import load

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<@U0EVIL1>",
    "<!subteam^S0EVIL|@oncall>",
    "<https://evil.example|click>",
    "<#C0EVIL>",
    "&amp;<>&",
    "{{ 7*7 }}",
    "{0.__class__}",
    "*bold* _it_ ~st~ `code` ```block```",
    "\u202eevil\u202c \u200f",
    "مرحبا بالعالم שלום",
    "👩‍👩‍👧‍👦🔥🧯",
    "\x00\x07\x1b[31m\r\n\t",
    "\ud800",
]
LIVE = re.compile(r"<!channel>|<!here>|<@U0EVIL|<!subteam|<https://evil|<#C0EVIL")
LIMIT_ERRORS = {
    "invalid_blocks",
    "invalid_arguments",
    "msg_too_long",
    "too_long",
    "invalid_name_maxlength",
    "invalid_blocks_format",
}
piece = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
short = st.lists(piece, min_size=1, max_size=5).map("".join)
hostile = st.one_of(short, short.map(lambda s: (s * (6000 // max(len(s), 1) + 1))[:6000]))
serial = itertools.count(1)


@pytest.fixture
def config() -> Config:
    return Config(storm=Storm(channels_per_minute=100), channels=Channels(announce="C_GENERAL"))


def strings(value: Any) -> Iterator[str]:
    """Every string Slack parses as markup: plain_text objects and typed input are shown as is."""
    if isinstance(value, dict) and value.get("type") in ("plain_text", "plain_text_input"):
        return
    if isinstance(value, str):
        yield value
        if value[:1] in ("[", "{"):  # blocks or a view sent as a JSON string
            yield from strings(_parsed(value))
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def form_safe(text: str) -> str:
    """Slack sends commands and forms as UTF-8; it never carries a lone surrogate."""
    return text.encode("utf-8", "replace").decode("utf-8")


def sources(title: str, text: str, label: str, n: int) -> dict[str, Any]:
    """One payload per alert source, carrying the hostile strings where monitors put text."""
    am = load("alertmanager.json")
    am["groupKey"] = f"storm-test-{n}"
    am["alerts"] = am["alerts"][:1]
    am["alerts"][0]["labels"] |= {"alertname": title, "feature": label}
    am["alerts"][0]["annotations"] |= {"summary": title, "description": text}
    am["alerts"][0]["fingerprint"] = f"fp{n}"
    grafana = load("grafana.json")
    grafana["alerts"] = grafana["alerts"][:1]
    grafana["alerts"][0]["labels"] |= {"alertname": title, "feature": label}
    grafana["alerts"][0]["annotations"] |= {"summary": title, "description": text}
    grafana["alerts"][0]["fingerprint"] = f"fp{n}"
    grafana["groupKey"] = f"g-{n}"
    datadog = load("datadog_triggered.json") | {
        "id": str(n),
        "alert_id": str(n),
        "alert_cycle_key": str(n),
        "title": title,
        "message": text,
        "tags": f"feature:{label},service:{label}",
    }
    pagerduty = load("pagerduty_triggered.json")
    pagerduty["event"]["id"] = f"E{n}"
    pagerduty["event"]["data"] |= {"id": f"Q{n}", "title": title, "incident_key": f"k{n}"}
    langfuse = load("langfuse_alert.json")
    langfuse["id"] = f"id-{n}"
    langfuse["payload"]["monitorId"] = f"m{n}"
    langfuse["payload"]["message"] = {"title": title, "body": text}
    generic = {
        "title": title,
        "description": text,
        "dedupe_key": f"gen-{n}",
        "labels": {"feature": label, "team": label, "severity": "P2"},
        "links": [{"title": title[:200], "url": "https://runbooks.example.com/x"}],
    }
    return {
        "alertmanager": am,
        "grafana": grafana,
        "datadog": datadog,
        "pagerduty": pagerduty,
        "langfuse": langfuse,
        "generic": generic,
    }


async def commands(stage: Stage, channel: str, text: str) -> list[Any]:
    said = form_safe(text)
    acks = []
    for line in (
        f"note {said}",
        f"update {said}",
        f'action add "{said}" <@U_ALICE> eval_case',
        f"page {said}",
        f"severity {said}",
        f"{said[:50]}",
        "status",
        "list",
        "changes 30",
        "comms status_update",
        "actions",
        "postmortem",
        f"role commander <@U_ALICE> {said}",
        f"declare {said}",
    ):
        response = await stage.command(line, channel=channel)
        assert response.status_code < 500
        if response.content:
            acks.append(response.json())
    return acks


async def declare(stage: Stage, title: str, text: str, label: str) -> None:
    views = stage.slack.views()
    if not views:
        return
    view = stage.slack.view_payload(views[-1])
    values = signing.text_inputs(
        {
            BlockId.DECLARE_TITLE: {ActionId.DECLARE_TITLE: form_safe(title)[:200]},
            BlockId.DECLARE_FEATURE: {ActionId.DECLARE_FEATURE: form_safe(label)[:200]},
            BlockId.DECLARE_DESCRIPTION: {ActionId.DECLARE_DESCRIPTION: form_safe(text)[:3000]},
        }
    )
    for block, action, value in (
        (BlockId.DECLARE_TYPE, ActionId.DECLARE_TYPE, "hallucination"),
        (BlockId.DECLARE_SEVERITY, ActionId.DECLARE_SEVERITY, "P2"),
    ):
        values[block] = {action: {"type": "static_select", "selected_option": {"value": value}}}
    response = await stage.submit(view, values, user="U_ALICE")
    assert response.status_code < 500


# Canvases and files are Markdown documents: Slack markup in them is never parsed.
DOCUMENTS = ("conversations.canvases.create", "canvases.edit", "files.")


def check(stage: Stage, acks: list[Any]) -> None:
    for call in stage.slack.calls():
        assert call.response.get("error") not in LIMIT_ERRORS, (call.method, call.response)
        if call.method.startswith(DOCUMENTS):
            continue
        for text in strings(copy.deepcopy(call.args)):
            assert not LIVE.search(text), (call.method, text[:300])
    for reply in [r.body for r in stage.slack.responses()] + acks:
        for text in strings(reply):
            assert not LIVE.search(text), text[:300]


@settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "6")),
    deadline=None,
    derandomize="HOSTILE_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=hostile, text=hostile, label=hostile)
async def test_hostile_text_reaches_slack_escaped_and_within_limits(
    stage: Stage, title: str, text: str, label: str
) -> None:
    n = next(serial)
    for source, payload in sources(title, text, label, n).items():
        response = await stage.alert(source, payload)
        assert response.status_code < 500, (source, response.text[:300])
    change = {"kind": "prompt", "feature": label[:200], "from": title[:300], "to": text[:300]}
    change |= {"author": title[:200], "description": text[:4000]}
    token = stage.deps.settings.webhook_token
    assert token is not None
    response = await stage.http.post(
        "/changes",
        content=json.dumps(change),
        headers={
            "Authorization": f"Bearer {token.get_secret_value()}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code < 500, response.text[:300]
    await stage.settle()
    channels = [c for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")]
    if channels and "U_ALICE" not in channels[-1].members:
        channels[-1].members.append("U_ALICE")  # she joined the incident channel
    acks = await commands(stage, channels[-1].id, text) if channels else []
    await stage.settle()
    await declare(stage, title, text, label)
    home = {"type": "app_home_opened", "user": "U_ALICE", "channel": "D1", "tab": "home"}
    assert (await stage.event(home)).status_code == 200
    await stage.settle()
    check(stage, acks)
    made = {c.method for c in stage.slack.calls() if c.ok}
    assert {"conversations.create", "chat.postMessage", "views.open", "views.publish"} <= made
