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
from bot.models import ContainmentRun, Incident
from bot.sandbox.slack import signing
from bot.sandbox.slack.model import Message, View
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
    assert "Only the commander (<@U_ALICE>) or the engineering lead (<@U_CAROL>)" in refusal.text
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
        ActionId.CONTAINMENT_MARK_CONTAINED,
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
    assert [b["action_id"] for b in buttons(model)] == [
        ActionId.CONTAINMENT_MARK_CONTAINED,
        ActionId.CONTAINMENT_RUN,
    ]

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


# --- the confirm dialog states exactly what will be sent --------------------------------------


def dialog_text(view: View) -> str:
    """Everything the dialog shows, as one string."""
    return "\n".join(
        [b["text"]["text"] for b in view.blocks if b.get("type") == "section"]
        + [e["text"] for b in view.blocks if b.get("type") == "context" for e in b["elements"]]
    )


def body_shown(view: View, number: int) -> Any:
    """The JSON body the dialog shows for its `number`th request."""
    sections = [b["text"]["text"] for b in view.blocks if b.get("type") == "section"]
    heads = [i for i, text in enumerate(sections) if text.startswith(f"*{number}. ")]
    code = sections[heads[0] + 1]
    assert code.startswith("```") and code.endswith("```")
    return json.loads(code[3:-3].replace("&quot;", '"'))


def no_secrets(bot: Stage) -> None:
    shown = json.dumps(
        [v.payload for v in bot.slack.views()] + [v.history for v in bot.slack.views()]
    )
    assert not any(secret in shown for secret in SECRETS.values())


async def test_dialogs_show_flag_and_webhook_requests(
    bot: Stage, ld: LaunchDarkly, unleash: Unleash, hook: Webhook
) -> None:
    channel = await incident(bot)
    flag = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_ALICE")
    text = dialog_text(flag)
    assert "LaunchDarkly provider `ld` · 2 requests, in this order" in text
    read = "*1. Read whether the flag is on now (so Undo can put it back)*"
    assert f"{read}\n`GET {ld.url}/api/v2/flags/web/support-assistant?env=production`" in text
    assert f"*2. The change*\n`PATCH {ld.url}/api/v2/flags/web/support-assistant`" in text
    assert "`Authorization: •••• (from $LD_TOKEN)`" in text
    assert "`Content-Type: application/json; domain-model=launchdarkly.semanticpatch`" in text
    assert body_shown(flag, 2) == {
        "environmentKey": "production",
        "comment": "incidentbot: turned off during incident #1",
        "instructions": [{"kind": "turnFlagOff"}],
    }

    review = await step_dialog(bot, channel, "Mitigate", "raise-human-review", "U_ALICE")
    text = dialog_text(review)
    assert f"*1. The change*\n`POST {hook.url}/hooks/review`" in text
    assert "`Content-Type: application/json`  `X-Api-Key: •••• (from $HOOK_TOKEN)`" in text
    promised = body_shown(review, 1)
    assert promised["action"] == "raise_human_review" and promised["incident"]["number"] == 1
    await submit(bot, review, "U_ALICE")
    await wait_outcomes(bot, channel, 1)
    assert hook.received == [promised]  # what was shown is what was sent

    bot.deps.config = bot.deps.config.model_copy(
        update={"actions": {**bot.deps.config.actions, "feature_flag_off": "unleash"}}
    )
    off = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_ALICE")
    text = dialog_text(off)
    assert f"`GET {unleash.url}/api/admin/projects/default/features/support-assistant`" in text
    feature = f"{unleash.url}/api/admin/projects/default/features/support-assistant"
    assert (
        f"`POST {feature}/environments/production/off`\n"
        "Headers: `Authorization: •••• (from $UNLEASH_TOKEN)`\nBody: _none_"
    ) in text
    no_secrets(bot)


async def test_dialogs_show_rollback_requests(
    bot: Stage, langfuse: Langfuse, gateway: Webhook
) -> None:
    channel = await incident(bot, "quality_regression")
    prompt = await step_dialog(bot, channel, "Mitigate", "prompt-rollback", "U_CAROL")
    text = dialog_text(prompt)
    base = f"{langfuse.url}/api/public/v2/prompts"
    assert f"`GET {base}/support-answer?label=production`" in text
    assert f"`GET {base}?name=support-answer&amp;limit=100`" in text
    assert f"`PATCH {base}/support-answer/versions/{{previous}}`" in text
    assert "`Authorization: Basic •••• (from $LF_PUBLIC, $LF_SECRET)`" in text
    assert body_shown(prompt, 3) == {"newLabels": ["production"]}

    model = await step_dialog(bot, channel, "Mitigate", "model-rollback", "U_CAROL")
    text = dialog_text(model)
    assert f"`POST {gateway.url}/rollback`" in text
    assert "`Authorization: Bearer •••• (from $GW_TOKEN)`" in text
    assert body_shown(model, 1) == {
        "action": "rollback",
        "feature": "support-assistant",
        "to_version": "previous",
        "incident": 1,
    }
    no_secrets(bot)


async def test_a_long_body_is_clipped_with_the_whole_of_it_one_click_away(
    bot: Stage, hook: Webhook
) -> None:
    lines = (
        '{% for i in range(300) %}"line {{ i }} of #{{ number }} & more"'
        "{% if not loop.last %},{% endif %}{% endfor %}"
    )
    providers = {
        **bot.deps.config.providers,
        "notes": {
            "kind": "webhook",
            "url": f"{hook.url}/hooks/notes",
            "options": {
                "headers": {"X-Api-Key": "${HOOK_TOKEN}"},
                "body": f'{{"lines": [{lines}]}}',
            },
        },
    }
    bot.deps.config = Config.model_validate(
        {
            **bot.deps.config.model_dump(),
            "providers": providers,
            "actions": {**bot.deps.config.actions, "add_disclaimer": "notes"},
        }
    )
    channel = await incident(bot)
    view = await step_dialog(bot, channel, "Mitigate", "add-disclaimer", "U_ALICE")
    sections = [b["text"]["text"] for b in view.blocks if b.get("type") == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert any("more characters" in s for s in sections)
    [more] = [b for b in buttons_of(view) if b["action_id"] == ActionId.CONTAINMENT_FULL_REQUEST]

    views = len(bot.slack.views())
    await bot.send(
        signing.block_action(
            bot.secret,
            user_id="U_ALICE",
            action_id=more["action_id"],
            value=more["value"],
            block_id=BlockId.CONTAINMENT_CONFIRM,
            trigger_id=bot.slack.issue_trigger_id("U_ALICE"),
            view=bot.slack.view_payload(view),
        )
    )
    await bot.eventually(lambda: len(bot.slack.views()) > views)
    full = bot.slack.views()[-1]
    assert full.payload["title"]["text"] == "The full request"
    assert full.previous_view_id == view.id  # pushed: Back returns to the dialog
    pieces = [b["text"]["text"] for b in full.blocks if b["text"]["text"].startswith("```")]
    whole = "".join(p[3:-3] for p in pieces).replace("&amp;", "&").replace("&quot;", '"')
    assert json.loads(whole) == {"lines": [f"line {i} of #1 & more" for i in range(300)]}
    assert all(len(p) <= 3000 for p in pieces)
    no_secrets(bot)


def buttons_of(view: View) -> list[dict[str, Any]]:
    return [e for b in view.blocks if b.get("type") == "actions" for e in b["elements"]]


# --- a successful action offers to mark the incident contained --------------------------------


async def incident_status(bot: Stage) -> str:
    async with session_scope(bot.deps.sessions) as session:
        return str((await session.scalars(select(Incident.status))).one())


async def test_mark_contained_on_a_success_moves_the_incident(bot: Stage, ld: LaunchDarkly) -> None:
    channel = await incident(bot)
    view = await step_dialog(bot, channel, "Mitigate", "disable-feature", "U_ALICE")
    await submit(bot, view, "U_ALICE")
    [outcome] = await wait_outcomes(bot, channel, 1)
    contain = outcome_button(outcome, ActionId.CONTAINMENT_MARK_CONTAINED)
    assert contain["text"]["text"] == "Mark contained" and contain["style"] == "primary"
    assert "*Mark contained* moves the incident to contained" in str(outcome.blocks)
    assert "`/incident update`" in str(outcome.blocks)  # where else the status is changed

    async def press(user: str) -> None:
        response = await bot.click(
            contain["action_id"],
            contain["value"],
            user=user,
            channel=channel,
            message_ts=outcome.ts,
            block_id=contain["_block"],
        )
        assert response.status_code == 200
        await bot.settle()

    await press("U_DAVE")  # no role: the allowed roles apply
    assert await incident_status(bot) == "triage"
    assert (
        "Only the commander (<@U_ALICE>) or the engineering lead (<@U_CAROL>) may mark the "
        "incident contained" in str(bot.slack.responses()[-1].body["text"])
    )

    await press("U_CAROL")
    assert await incident_status(bot) == "contained"
    said = [m.text for m in bot.slack.messages(channel) if m.text.startswith("Status ")]
    assert said[-1] == (
        "Status triage → *contained* by <@U_CAROL>: after “Turn feature off” succeeded."
    )
    [status] = [e for e in await timeline(bot, "status") if "contained" in e.text]
    assert status.actor == "U_CAROL"
    refreshed = bot.slack.workspace.message(channel, outcome.ts)
    assert "The incident was marked contained" in str(refreshed.blocks)
    assert ActionId.CONTAINMENT_MARK_CONTAINED not in str(refreshed.blocks)
    summary = str(bot.slack.pins(channel)[0].blocks)
    assert "Contained" in summary

    await press("U_ALICE")  # the old button, clicked late
    assert "already contained" in str(bot.slack.responses()[-1].body["text"])
