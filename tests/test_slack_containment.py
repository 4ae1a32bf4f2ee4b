"""Containment from Slack buttons against real local provider stand-ins, over signed HTTP.

Confirm dialog with the exact plan → roles checked at submit → one run per click → outcome in
the channel, on the timeline and in the audit table → undo. Failures are reported as failures.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.db import session_scope
from bot.models import ContainmentRun
from bot.sandbox.model import Message, View
from bot.sandbox.stage import Stage
from bot.slack.ids import ActionId, BlockId, CallbackId
from tests.support.incident_channel import (
    assign,
    buttons,
    open_incident,
    phase_messages,
    step_button,
    timeline,
)
from tests.support.provider_standins import Langfuse, LaunchDarkly, Unleash, Webhook

SECRETS = {
    "LD_TOKEN": "api-ld-secret-0001",
    "UNLEASH_TOKEN": "*:production.unleash-secret-0002",
    "LF_PUBLIC": "pk-lf-public-0003",
    "LF_SECRET": "sk-lf-secret-0004",
    "HOOK_TOKEN": "hook-secret-0005",
    "GW_TOKEN": "gw-secret-0006",
}
PEOPLE = ["U_ALICE", "U_BOB", "U_CAROL", "U_DAVE"]


@pytest.fixture
async def ld() -> AsyncIterator[LaunchDarkly]:
    flags = {("web", "support-assistant"): {"production": True, "staging": True}}
    async with LaunchDarkly(SECRETS["LD_TOKEN"], flags) as server:
        yield server


@pytest.fixture
async def unleash() -> AsyncIterator[Unleash]:
    features = {("default", "support-assistant"): {"production": True}}
    async with Unleash(SECRETS["UNLEASH_TOKEN"], features) as server:
        yield server


@pytest.fixture
async def langfuse() -> AsyncIterator[Langfuse]:
    prompts = {"support-answer": {3: [], 4: ["production"]}}
    async with Langfuse(SECRETS["LF_PUBLIC"], SECRETS["LF_SECRET"], prompts) as server:
        yield server


@pytest.fixture
async def hook() -> AsyncIterator[Webhook]:
    async with Webhook({"X-Api-Key": SECRETS["HOOK_TOKEN"]}) as server:
        yield server


@pytest.fixture
async def gateway() -> AsyncIterator[Webhook]:
    async with Webhook({"Authorization": f"Bearer {SECRETS['GW_TOKEN']}"}) as server:
        yield server


@pytest.fixture
def config(
    ld: LaunchDarkly, unleash: Unleash, langfuse: Langfuse, hook: Webhook, gateway: Webhook
) -> Config:
    flag = {"project": "web", "flag": "support-assistant", "environment": "production"}
    keys = {
        "prompt": "support-answer",
        "public_key_env": "LF_PUBLIC",
        "secret_key_env": "LF_SECRET",
    }
    return Config.model_validate(
        {
            "default_responders": PEOPLE,
            "providers": {
                "ld": {
                    "kind": "launchdarkly",
                    "url": ld.url,
                    "token_env": "LD_TOKEN",
                    "options": flag,
                },
                "unleash": {
                    "kind": "unleash",
                    "url": unleash.url,
                    "token_env": "UNLEASH_TOKEN",
                    "options": {"feature": "support-assistant", "environment": "production"},
                },
                "langfuse": {"kind": "langfuse", "url": langfuse.url, "options": keys},
                "review": {
                    "kind": "webhook",
                    "url": f"{hook.url}/hooks/review",
                    "options": {"headers": {"X-Api-Key": "${HOOK_TOKEN}"}},
                },
                "gateway": {
                    "kind": "model_gateway",
                    "url": f"{gateway.url}/rollback",
                    "token_env": "GW_TOKEN",
                },
            },
            "actions": {
                "feature_flag_off": "ld",
                "feature_flag_on": "ld",
                "prompt_rollback": "langfuse",
                "model_rollback": "gateway",
                "raise_human_review": "review",
            },
            "containment": {"timeout_s": 0.5, "retries": 1, "backoff_s": 0},
        }
    )


@pytest.fixture
async def bot(stage: Stage) -> Stage:
    """The running bot, with the provider credentials in its environment."""
    stage.deps.environ.update(SECRETS)
    return stage


async def incident(bot: Stage, type_: str = "hallucination") -> str:
    """Open an incident whose commander is Alice and engineering lead Carol."""
    channel = await open_incident(bot, type_)
    await assign(bot, "commander", "U_ALICE", channel)
    await assign(bot, "engineering", "U_CAROL", channel)
    return channel


async def open_dialog(
    bot: Stage, channel: str, message: Message, button: dict[str, Any], user: str
) -> View:
    """Click a containment (or undo) button and wait for the filled-in dialog."""
    before = len(bot.slack.views())
    response = await bot.click(
        button["action_id"], button["value"], user=user, channel=channel, message_ts=message.ts
    )
    assert response.status_code == 200
    await bot.eventually(lambda: len(bot.slack.views()) > before and bot.slack.views()[-1].history)
    return bot.slack.views()[-1]


async def submit(bot: Stage, view: View, user: str) -> None:
    response = await bot.submit(bot.slack.view_payload(view), {}, user=user)
    assert response.status_code == 200


async def step_dialog(bot: Stage, channel: str, phase: str, step_id: str, user: str) -> View:
    message = phase_messages(bot, channel)[phase]
    return await open_dialog(
        bot, channel, message, step_button(message, step_id, ActionId.CONTAINMENT_RUN), user
    )


def outcomes(bot: Stage, channel: str) -> list[Message]:
    return [m for m in bot.slack.messages(channel) if "succeeded" in m.text or "FAILED" in m.text]


async def wait_outcomes(bot: Stage, channel: str, count: int) -> list[Message]:
    await bot.eventually(lambda: len(outcomes(bot, channel)) >= count)
    await bot.settle()
    return outcomes(bot, channel)


async def runs(bot: Stage) -> list[ContainmentRun]:
    async with session_scope(bot.deps.sessions) as session:
        return list(
            (await session.scalars(select(ContainmentRun).order_by(ContainmentRun.id))).all()
        )


def outcome_button(message: Message, action_id: str) -> dict[str, Any]:
    [button] = [b for b in buttons(message) if b["action_id"] == action_id]
    assert button["_block"] == BlockId.CONTAINMENT_OUTCOME
    return button


def _texts(view: View) -> str:
    return json.dumps(view.blocks)


async def test_flag_off_confirm_run_outcome_audit_and_undo(bot: Stage, ld: LaunchDarkly) -> None:
    channel = await incident(bot)
    view = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_ALICE")
    assert view.callback_id == CallbackId.CONTAINMENT_CONFIRM
    shown = _texts(view)
    assert "Turn OFF LaunchDarkly flag `support-assistant` in environment `production`" in shown
    assert f"PATCH {ld.url}/api/v2/flags/web/support-assistant" in shown
    assert SECRETS["LD_TOKEN"] not in json.dumps(view.payload)
    assert view.payload["submit"]["text"] == "Run it"
    assert not ld.calls("PATCH")  # nothing happens before the confirm

    await submit(bot, view, "U_ALICE")
    [outcome] = await wait_outcomes(bot, channel, 1)
    assert not ld.is_on("web", "support-assistant", "production")
    [patch] = ld.calls("PATCH")
    assert patch.json()["instructions"] == [{"kind": "turnFlagOff"}]
    assert "incident #1" in patch.json()["comment"]
    assert (
        "✅ *Turn feature off* succeeded — run by <@U_ALICE>" in outcome.blocks[0]["text"]["text"]
    )
    assert "HTTP 200" in str(outcome.blocks)
    [run] = await runs(bot)
    assert (run.state, run.requested_by, run.response_status) == ("succeeded", "U_ALICE", 200)
    assert run.click_key == "1:feature_flag_off:1" and run.duration_ms is not None
    assert run.request["headers"]["Authorization"] == "${LD_TOKEN}"
    assert run.undo_data == {"was_on": True} and run.message_ts == outcome.ts
    audit = json.dumps([run.request, run.response_body, run.error])
    assert not any(secret in audit for secret in SECRETS.values())
    [event] = await timeline(bot, "containment")
    assert event.actor == "U_ALICE" and event.text.startswith("Containment succeeded: Turn OFF")

    undo = await open_dialog(
        bot, channel, outcome, outcome_button(outcome, ActionId.CONTAINMENT_UNDO), "U_CAROL"
    )
    assert "Turn ON LaunchDarkly flag `support-assistant`" in _texts(undo)
    assert undo.payload["submit"]["text"] == "Undo it"
    await submit(bot, undo, "U_CAROL")
    await wait_outcomes(bot, channel, 2)
    assert ld.is_on("web", "support-assistant", "production")
    first, second = await runs(bot)
    assert second.undo_of_id == first.id and second.click_key == f"undo:{first.id}"
    original = bot.slack.workspace.message(channel, outcome.ts)
    assert "Undone by <@U_CAROL>" in str(original.blocks)
    assert [b["action_id"] for b in buttons(original)] == [ActionId.CONTAINMENT_RUN]
    undone = bot.slack.workspace.message(channel, second.message_ts or "")
    assert "↩️ *Undo of Turn feature off* succeeded — run by <@U_CAROL>" in str(undone.blocks)

    again = await open_dialog(
        bot, channel, original, outcome_button(original, ActionId.CONTAINMENT_RUN), "U_CAROL"
    )
    assert again.payload["submit"]["text"] == "Run again"
    assert "This already ran" in _texts(again)
    assert json.loads(again.private_metadata)["generation"] == 2


async def test_roles_are_checked_when_the_dialog_is_submitted(bot: Stage, ld: LaunchDarkly) -> None:
    channel = await incident(bot)
    view = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_DAVE")
    await submit(bot, view, "U_DAVE")
    await bot.eventually(lambda: bool(bot.slack.ephemerals(user="U_DAVE")))
    [refusal] = bot.slack.ephemerals(user="U_DAVE")
    assert "Only the commander (<@U_ALICE>) or the engineering (<@U_CAROL>)" in refusal.text
    assert "may run containment actions" in refusal.text
    assert not ld.calls("PATCH") and not await runs(bot)

    # The dialog was opened by a permitted engineer who then handed the role over.
    view = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_CAROL")
    await assign(bot, "engineering", "U_BOB", channel)
    await submit(bot, view, "U_CAROL")
    await bot.eventually(lambda: bool(bot.slack.ephemerals(user="U_CAROL")))
    assert not ld.calls("PATCH") and not await runs(bot)


async def test_double_clicks_and_two_people_run_the_action_once(
    bot: Stage, ld: LaunchDarkly
) -> None:
    channel = await incident(bot)
    alice = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_ALICE")
    carol = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_CAROL")
    await asyncio.gather(
        submit(bot, alice, "U_ALICE"), submit(bot, alice, "U_ALICE"), submit(bot, carol, "U_CAROL")
    )
    await bot.eventually(lambda: len(bot.slack.ephemerals()) >= 2)
    await wait_outcomes(bot, channel, 1)
    assert len(ld.calls("PATCH")) == 1
    assert len(await runs(bot)) == 1 and len(outcomes(bot, channel)) == 1
    told = [e.text for e in bot.slack.ephemerals()]
    assert len(told) == 2 and all("already run" in t and "did not run again" in t for t in told)

    # The same playbook button again is a deliberate re-run, with a new generation.
    again = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_CAROL")
    assert again.payload["submit"]["text"] == "Run again"
    assert "This already ran" in _texts(again)
    await submit(bot, again, "U_CAROL")
    await wait_outcomes(bot, channel, 2)
    assert [r.click_key for r in await runs(bot)] == [
        "1:feature_flag_off:1",
        "1:feature_flag_off:2",
    ]
    assert len(ld.calls("PATCH")) == 2


@pytest.mark.parametrize("fault", ["500", "timeout"])
async def test_provider_failure_is_reported_as_failure(
    bot: Stage, ld: LaunchDarkly, fault: str
) -> None:
    channel = await incident(bot)
    if fault == "500":
        ld.fail_next(times=2)
    else:
        ld.hang_next(times=2)
    view = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_CAROL")
    await submit(bot, view, "U_CAROL")
    [outcome] = await wait_outcomes(bot, channel, 1)
    text = str(outcome.blocks)
    assert "❌ *Turn feature off* FAILED" in text and "succeeded" not in text
    expected = (
        "LaunchDarkly answered 500: injected failure (2 attempts)"
        if fault == "500"
        else "timed out after 0.5 s (2 attempts)"
    )
    assert f"*Provider answer:* {expected}" in text
    assert [b["text"]["text"] for b in buttons(outcome)] == ["Try again"]
    assert ld.is_on("web", "support-assistant", "production")
    [run] = await runs(bot)
    assert run.state == "failed" and run.error == expected and run.attempts == 2
    assert run.response_status == (500 if fault == "500" else None)
    [event] = await timeline(bot, "containment")
    assert "FAILED" in event.text and expected in event.text


async def test_unconfigured_action_names_the_config_key(bot: Stage) -> None:
    channel = await incident(bot)
    views = len(bot.slack.views())
    await step_dialog_without_wait(bot, channel, "Mitigate", "add-disclaimer", "U_ALICE")
    await bot.eventually(lambda: bool(bot.slack.responses()))
    reply = bot.slack.responses()[-1].body
    assert reply["response_type"] == "ephemeral"
    assert "map `add_disclaimer` to a provider under `actions.add_disclaimer`" in reply["text"]
    assert len(bot.slack.views()) == views  # no dialog for an action that cannot run


async def step_dialog_without_wait(
    bot: Stage, channel: str, phase: str, step_id: str, user: str
) -> None:
    message = phase_messages(bot, channel)[phase]
    button = step_button(message, step_id, ActionId.CONTAINMENT_RUN)
    await bot.click(button["action_id"], button["value"], user=user, channel=channel)


async def test_langfuse_and_model_gateway_rollbacks(
    bot: Stage, langfuse: Langfuse, gateway: Webhook
) -> None:
    channel = await incident(bot, "quality_regression")
    view = await step_dialog(bot, channel, "Mitigate", "prompt-rollback", "U_CAROL")
    assert "Move Langfuse prompt `support-answer` label `production`" in _texts(view)
    await submit(bot, view, "U_CAROL")
    [prompt] = await wait_outcomes(bot, channel, 1)
    assert langfuse.version_with("support-answer", "production") == 3
    assert [b["action_id"] for b in buttons(prompt)] == [
        ActionId.CONTAINMENT_UNDO,
        ActionId.CONTAINMENT_RUN,
    ]

    view = await step_dialog(bot, channel, "Mitigate", "model-rollback", "U_CAROL")
    await submit(bot, view, "U_CAROL")
    _, model = await wait_outcomes(bot, channel, 2)
    [sent] = gateway.received
    assert sent == {
        "action": "rollback",
        "feature": "support-assistant",
        "to_version": "previous",
        "incident": 1,
    }
    assert "No one-click undo" in str(model.blocks)
    assert [b["action_id"] for b in buttons(model)] == [ActionId.CONTAINMENT_RUN]

    undo = await open_dialog(
        bot, channel, prompt, outcome_button(prompt, ActionId.CONTAINMENT_UNDO), "U_ALICE"
    )
    await submit(bot, undo, "U_ALICE")
    await wait_outcomes(bot, channel, 3)
    assert langfuse.version_with("support-answer", "production") == 4


async def test_webhook_and_unleash(bot: Stage, hook: Webhook, unleash: Unleash) -> None:
    channel = await incident(bot)
    view = await step_dialog(bot, channel, "Mitigate", "raise-human-review", "U_CAROL")
    await submit(bot, view, "U_CAROL")
    await wait_outcomes(bot, channel, 1)
    [sent] = hook.received
    assert sent["action"] == "raise_human_review"
    assert sent["incident"]["number"] == 1 and sent["incident"]["commander"] == "U_ALICE"

    actions = {**bot.deps.config.actions, "feature_flag_off": "unleash"}
    bot.deps.config = bot.deps.config.model_copy(update={"actions": actions})
    view = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_CAROL")
    assert "Turn OFF Unleash feature `support-assistant`" in _texts(view)
    await submit(bot, view, "U_CAROL")
    await wait_outcomes(bot, channel, 2)
    assert not unleash.is_enabled("default", "support-assistant", "production")
