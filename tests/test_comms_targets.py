"""Which communications go where: target kinds, the public rule, and the README's config as is."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import ValidationError

from bot.comms import rules
from bot.comms.targets import NEVER_PUBLIC, audience_problems, matching
from bot.config import Config
from bot.sandbox.stage import Stage
from bot.templating import make_environment
from bot.vocabulary import Audience, CommsKind
from tests.support.comms_form import (
    approve,
    card,
    context_texts,
    declare,
    field,
    open_form,
    state_of,
    with_roles,
)
from tests.test_readme import config_example

TEMPLATES = make_environment()
EVERY = frozenset(CommsKind)


def audience(kind: CommsKind) -> Audience:
    return rules.template_audience(TEMPLATES, kind)


def targets(*entries: dict[str, object]) -> Config:
    return Config.model_validate({"status_targets": list(entries)})


def taken(config: Config, name: str) -> set[CommsKind]:
    [target] = [t for t in config.status_targets if t.name == name]
    return {k for k in CommsKind if target.accepts(k, audience(k))}


def test_each_kind_of_target_has_defaults() -> None:
    config = targets(
        {"kind": "statuspage", "name": "page", "page_id": "p", "api_key_env": "K"},
        {"kind": "slack", "name": "updates", "channel": "C1"},
        {"kind": "slack", "name": "leaders", "channel": "C2", "audience": "internal"},
        {"kind": "webhook", "name": "crm", "url": "https://crm.example", "public": False},
    )
    ack, update, resolution = (
        CommsKind.ACKNOWLEDGEMENT,
        CommsKind.STATUS_UPDATE,
        CommsKind.RESOLUTION,
    )
    assert taken(config, "page") == {ack, update, resolution}
    assert taken(config, "updates") == {ack, update, resolution, CommsKind.FOLLOW_UP}
    assert taken(config, "leaders") == {CommsKind.STAKEHOLDER_UPDATE, CommsKind.LEGAL_LEADERSHIP}
    # A private external target gets the updates too; a notice to particular people is opt-in.
    assert CommsKind.AFFECTED_USERS not in taken(config, "crm")
    assert [t.is_public for t in config.status_targets] == [True, True, False, False]


def test_targets_take_only_the_kinds_they_list() -> None:
    config = targets(
        {"kind": "statuspage", "name": "page", "page_id": "p", "api_key_env": "K",
         "kinds": ["resolution"]},
        {"kind": "webhook", "name": "crm", "url": "https://crm.example", "public": False,
         "kinds": ["affected_users", "follow_up"]},
    )  # fmt: skip
    assert taken(config, "page") == {CommsKind.RESOLUTION}
    assert taken(config, "crm") == {CommsKind.AFFECTED_USERS, CommsKind.FOLLOW_UP}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "statuspage", "name": "page", "page_id": "p", "api_key_env": "K",
          "kinds": ["status_update", "affected_users"]}, "page is public, so it cannot take"),
        ({"kind": "statuspage", "name": "page", "page_id": "p", "api_key_env": "K",
          "public": False}, "a status page is public"),
        ({"kind": "slack", "name": "updates", "channel": "C1", "kinds": ["legal_leadership"]},
         "updates is public, so it cannot take legal_leadership"),
        ({"kind": "webhook", "name": "hook", "url": "https://x.example", "public": True,
          "audience": "internal"}, "hook is public, so it cannot take legal_leadership"),
        ({"kind": "slack", "name": "updates", "channel": "C1", "kinds": []}, "at least 1 item"),
    ],
)  # fmt: skip
def test_private_notices_on_a_public_target_are_refused(
    entry: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        targets(entry)


def test_a_public_target_never_takes_them_even_if_a_template_says_external() -> None:
    config = targets({"kind": "slack", "name": "updates", "channel": "C1"})
    [public] = config.status_targets
    for kind in NEVER_PUBLIC:  # e.g. a team's own template declaring itself external
        assert not public.accepts(kind, Audience.EXTERNAL)


def test_kinds_written_for_another_audience_are_named() -> None:
    config = targets(
        {"kind": "slack", "name": "leaders", "channel": "C2", "audience": "internal",
         "kinds": ["legal_leadership", "status_update"]},
    )  # fmt: skip
    assert audience_problems(config.status_targets, audience) == [
        "status target leaders takes status_update, which is not written for its internal audience"
    ]


def test_the_readme_config_keeps_private_notices_off_public_targets() -> None:
    config = Config.model_validate(config_example())
    assert audience_problems(config.status_targets, audience) == []
    for kind in CommsKind:
        chosen = matching(config.status_targets, kind, audience(kind))
        if kind in NEVER_PUBLIC:
            assert chosen and not any(t.is_public for t in chosen), kind
    places = {k: [t.name for t in matching(config.status_targets, k, audience(k))] for k in EVERY}
    assert places[CommsKind.AFFECTED_USERS] == ["crm"]
    assert places[CommsKind.LEGAL_LEADERSHIP] == ["leadership"]
    assert places[CommsKind.STATUS_UPDATE] == ["incident-updates", "public-status"]


# --- the README's config, as is, over Slack --------------------------------------------------


class Outbound:
    """Every HTTP request the bot makes to a status target, answered as the services would."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "api.statuspage.io":
            return httpx.Response(201, json={"id": "p1abc", "status": "investigating"})
        return httpx.Response(202)

    def hosts(self) -> list[str]:
        """Where comms went (the README's config also pages PagerDuty for a P1; not comms)."""
        return [r.url.host for r in self.requests if "pagerduty.com" not in r.url.host]


@pytest.fixture
def config() -> Config:
    return Config.model_validate(config_example())


@pytest.fixture
async def readme_bot(stage: Stage) -> Stage:
    for name, channel in (
        ("incident-updates", "C0123UPDATES"),
        ("leadership", "C0123LEADERS"),
        ("announce", "C0123ANNOUNCE"),
        ("managers", "C0123MANAGERS"),
    ):
        stage.slack.add_channel(name, members=[stage.slack.bot_user_id], channel_id=channel)
    stage.deps.environ.update({"STATUSPAGE_API_KEY": "sp-key"})
    return stage


async def publish(stage: Stage, channel: str, kind: str, **typed: str) -> str:
    """Draft `kind` as the comms lead with `typed` filled in, approve it; return the form's line."""
    view = await open_form(stage, channel, kind)
    shown = context_texts(view)
    fields = {field(name): value for name, value in typed.items()}
    assert (await stage.submit(view, state_of(view, **fields), user="U_BOB")).status_code == 200
    await stage.settle()
    await approve(stage, channel, "U_BOB")
    return shown


async def test_readme_config_as_is_never_publishes_private_notices(readme_bot: Stage) -> None:
    stage = readme_bot
    outbound = Outbound()
    stage.deps.http = httpx.AsyncClient(transport=httpx.MockTransport(outbound))
    channel = await declare(stage, type_="safety_violation", severity="P1")
    await with_roles(stage, channel)
    segment = "Support assistant users who asked about refunds on 23 November"

    check = "Delete the answers you saved from the assistant that day."
    shown = await publish(stage, channel, "affected_users", segment=segment, user_action=check)
    assert "publishes to Webhook crm (crm.example.com, private)" in shown
    assert "Statuspage" not in shown and "C0123UPDATES" not in shown
    assert outbound.hosts() == ["crm.example.com"]
    [sent] = [r for r in outbound.requests if r.url.host == "crm.example.com"]
    assert json.loads(sent.content)["kind"] == "affected_users"

    shown = await publish(
        stage, channel, "legal_leadership", segment=segment, actions_taken="We turned it off."
    )
    assert "publishes to <#C0123LEADERS> (Slack target leadership, private)" in shown
    assert "&lt;" not in shown  # a real channel link, not escaped markup
    assert outbound.hosts() == ["crm.example.com"]  # nothing more went out over HTTP
    [legal] = stage.slack.messages("C0123LEADERS")
    assert "notice to legal and leadership" in legal.text
    assert stage.slack.messages("C0123UPDATES") == []

    # The public updates do reach the status page and the public channel.
    shown = await publish(
        stage, channel, "status_update", segment=segment, actions_taken="We turned it off."
    )
    assert "<#C0123UPDATES> (Slack target incident-updates, public)" in shown
    assert "Statuspage public-status (page abc123, public)" in shown
    assert outbound.hosts() == ["crm.example.com", "api.statuspage.io"]
    assert len(stage.slack.messages("C0123UPDATES")) == 1
    assert "❌" not in str(card(stage, channel).blocks)
