"""The local Slack stand-in, exercised through the real slack_sdk and slack_bolt clients."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.sandbox.slack import signing
from bot.sandbox.slack.fake_slack import FakeSlack

SECRET = "test-signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.token, base_url=slack.api_url)


async def error_of(call: Any) -> str:
    """Await a Web API call that must fail and return its Slack error code."""
    with pytest.raises(SlackApiError) as caught:
        await call
    return str(caught.value.response["error"])


async def new_channel(client: AsyncWebClient, name: str = "inc-20240501-bad-answers") -> str:
    response = await client.conversations_create(name=name)
    return str(response["channel"]["id"])


def bolt_request(signed: signing.SignedRequest) -> AsyncBoltRequest:
    headers: dict[str, str | Sequence[str]] = dict(signed.headers)
    return AsyncBoltRequest(body=signed.text, headers=headers)


def modal(title: str = "Declare incident", blocks: int = 1) -> dict[str, Any]:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [section] * blocks,
    }


# -- auth and wire ------------------------------------------------------------------------------


async def test_auth_test_names_the_bot(client: AsyncWebClient, slack: FakeSlack) -> None:
    response = await client.auth_test()

    assert response["user_id"] == slack.bot_user_id
    assert response["team_id"] == "T_FAKE"
    assert response["bot_id"] == "B_BOT"


async def test_a_missing_or_wrong_token_is_refused(slack: FakeSlack) -> None:
    anonymous = AsyncWebClient(base_url=slack.api_url)
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url)

    assert await error_of(anonymous.auth_test()) == "not_authed"
    assert await error_of(wrong.auth_test()) == "invalid_auth"


async def test_a_token_in_a_form_body_is_accepted(slack: FakeSlack) -> None:
    anonymous = AsyncWebClient(base_url=slack.api_url)

    response = await anonymous.api_call("auth.test", data={"token": slack.token})

    assert response["ok"]
    assert "token" not in slack.calls("auth.test")[0].args


async def test_form_encoded_and_json_bodies_both_work(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    await client.api_call("conversations.create", data={"name": "from-form"})
    channel = slack.channel_by_name("from-form")
    assert channel is not None
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*json*"}}]

    await client.api_call("chat.postMessage", json={"channel": channel.id, "blocks": blocks})

    assert slack.messages(channel.id)[0].blocks == blocks


async def test_unknown_methods_are_refused_and_recorded(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    assert await error_of(client.api_call("incidents.declare")) == "unknown_method"
    assert [c.method for c in slack.calls()] == ["incidents.declare"]


# -- conversations ------------------------------------------------------------------------------


async def test_create_makes_the_bot_the_only_member(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    channel_id = await new_channel(client)

    channel = slack.channel_by_name("inc-20240501-bad-answers")
    assert channel is not None and channel.id == channel_id
    assert slack.members(channel_id) == [slack.bot_user_id]


async def test_a_taken_name_is_refused(client: AsyncWebClient) -> None:
    await new_channel(client, "inc-dup")

    assert await error_of(client.conversations_create(name="inc-dup")) == "name_taken"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Inc-Upper", "invalid_name_specials"),
        ("inc bad", "invalid_name_specials"),
        ("inc.dots", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("", "invalid_name_required"),
        ("---", "invalid_name_punctuation"),
    ],
)
async def test_bad_channel_names_are_refused(client: AsyncWebClient, name: str, error: str) -> None:
    assert await error_of(client.conversations_create(name=name)) == error


async def test_invite_adds_members_once(client: AsyncWebClient, slack: FakeSlack) -> None:
    channel_id = await new_channel(client)

    await client.conversations_invite(channel=channel_id, users=["U_ALICE", "U_BOB"])

    assert slack.members(channel_id) == [slack.bot_user_id, "U_ALICE", "U_BOB"]
    assert await error_of(client.conversations_invite(channel=channel_id, users="U_ALICE")) == (
        "already_in_channel"
    )
    assert await error_of(client.conversations_invite(channel=channel_id, users="U_NOPE")) == (
        "user_not_found"
    )


async def test_topic_is_set_and_limited_to_250(client: AsyncWebClient, slack: FakeSlack) -> None:
    channel_id = await new_channel(client)

    await client.conversations_setTopic(channel=channel_id, topic="P1 · safety_violation")

    assert slack.topic(channel_id) == "P1 · safety_violation"
    too_long = client.conversations_setTopic(channel=channel_id, topic="x" * 251)
    assert await error_of(too_long) == "too_long"


async def test_info_members_and_join(client: AsyncWebClient, slack: FakeSlack) -> None:
    info = await client.conversations_info(channel="C_GENERAL", include_num_members=True)
    assert info["channel"]["is_member"] is False
    assert info["channel"]["num_members"] == 4

    await client.conversations_join(channel="C_GENERAL")
    page = await client.conversations_members(channel="C_GENERAL", limit=3)

    assert page["members"] == ["U_ALICE", "U_BOB", "U_CAROL"]
    rest = await client.conversations_members(
        channel="C_GENERAL", cursor=page["response_metadata"]["next_cursor"]
    )
    assert rest["members"] == ["U_DAVE", slack.bot_user_id]


# -- messages -----------------------------------------------------------------------------------


async def test_posts_get_unique_increasing_ts(client: AsyncWebClient, slack: FakeSlack) -> None:
    channel_id = await new_channel(client)

    stamps = [
        (await client.chat_postMessage(channel=channel_id, text=f"n{i}"))["ts"] for i in range(5)
    ]

    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5
    history = await client.conversations_history(channel=channel_id)
    assert [m["text"] for m in history["messages"]] == ["n4", "n3", "n2", "n1", "n0"]


async def test_posting_needs_a_known_channel_the_bot_is_in(client: AsyncWebClient) -> None:
    assert (
        await error_of(client.chat_postMessage(channel="C_NOPE", text="hi")) == "channel_not_found"
    )
    assert (
        await error_of(client.chat_postMessage(channel="C_GENERAL", text="hi")) == "not_in_channel"
    )


async def test_update_applies_the_edit_and_keeps_history(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    channel_id = await new_channel(client)
    posted = await client.chat_postMessage(channel=channel_id, text="Status: investigating")

    await client.chat_update(channel=channel_id, ts=posted["ts"], text="Status: contained")

    [message] = slack.messages(channel_id)
    assert message.text == "Status: contained"
    assert [v.text for v in message.edits] == ["Status: investigating"]
    missing = client.chat_update(channel=channel_id, ts="1.000001", text="x")
    assert await error_of(missing) == "message_not_found"


async def test_pins_and_permalinks(client: AsyncWebClient, slack: FakeSlack) -> None:
    channel_id = await new_channel(client)
    posted = await client.chat_postMessage(channel=channel_id, text="Incident summary")

    await client.pins_add(channel=channel_id, timestamp=posted["ts"])

    assert [m.text for m in slack.pins(channel_id)] == ["Incident summary"]
    assert await error_of(client.pins_add(channel=channel_id, timestamp=posted["ts"])) == (
        "already_pinned"
    )
    link = await client.chat_getPermalink(channel=channel_id, message_ts=posted["ts"])
    assert link["permalink"].endswith(f"/archives/{channel_id}/p{posted['ts'].replace('.', '')}")


async def test_ephemerals_reach_members_only(client: AsyncWebClient, slack: FakeSlack) -> None:
    channel_id = await new_channel(client)
    await client.conversations_invite(channel=channel_id, users="U_ALICE")

    await client.chat_postEphemeral(channel=channel_id, user="U_ALICE", text="Only you")

    assert [e.text for e in slack.ephemerals(channel_id, user="U_ALICE")] == ["Only you"]
    outsider = client.chat_postEphemeral(channel=channel_id, user="U_BOB", text="x")
    assert await error_of(outsider) == "user_not_in_channel"


async def test_block_limits_are_enforced(client: AsyncWebClient) -> None:
    channel_id = await new_channel(client)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}
    huge = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}

    too_many = client.chat_postMessage(channel=channel_id, text="t", blocks=[section] * 51)
    assert await error_of(too_many) == "invalid_blocks"
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=channel_id, text="t", blocks=[huge])
    assert "json-pointer:/blocks/0/text/text" in caught.value.response["errors"][0]
    await client.chat_postMessage(channel=channel_id, text="t", blocks=[section] * 50)


async def test_users_and_lookup(client: AsyncWebClient, slack: FakeSlack) -> None:
    slack.add_user("U_ERIN", "erin", "erin@example.com", tz="Asia/Tokyo", real_name="Erin Ito")

    found = await client.users_lookupByEmail(email="erin@example.com")

    assert found["user"]["id"] == "U_ERIN" and found["user"]["tz"] == "Asia/Tokyo"
    assert (await client.users_info(user="U_BOB"))["user"]["profile"]["email"] == "bob@example.com"
    assert await error_of(client.users_lookupByEmail(email="no@example.com")) == "users_not_found"
    assert len((await client.users_list())["members"]) == 6


# -- views --------------------------------------------------------------------------------------


async def test_a_trigger_opens_one_modal(client: AsyncWebClient, slack: FakeSlack) -> None:
    trigger_id = slack.issue_trigger_id("U_ALICE")

    opened = await client.views_open(trigger_id=trigger_id, view=modal())

    [view] = slack.views()
    assert view.id == opened["view"]["id"] and view.user_id == "U_ALICE"
    assert await error_of(client.views_open(trigger_id=trigger_id, view=modal())) == (
        "exchanged_trigger_id"
    )
    assert await error_of(client.views_open(trigger_id="1.2.made-up", view=modal())) == (
        "invalid_trigger_id"
    )


async def test_modal_limits_are_enforced(client: AsyncWebClient, slack: FakeSlack) -> None:
    long_title = client.views_open(trigger_id=slack.issue_trigger_id(), view=modal("x" * 25))
    too_many = client.views_open(trigger_id=slack.issue_trigger_id(), view=modal(blocks=101))

    assert await error_of(long_title) == "invalid_arguments"
    assert await error_of(too_many) == "invalid_arguments"
    assert slack.views() == []


async def test_views_update_checks_the_hash(client: AsyncWebClient, slack: FakeSlack) -> None:
    opened = await client.views_open(trigger_id=slack.issue_trigger_id(), view=modal())
    view_id, old_hash = opened["view"]["id"], opened["view"]["hash"]

    await client.views_update(view_id=view_id, hash=old_hash, view=modal("Step 2"))

    assert slack.views()[0].payload["title"]["text"] == "Step 2"
    stale = client.views_update(view_id=view_id, hash=old_hash, view=modal("Step 3"))
    assert await error_of(stale) == "hash_conflict"


async def test_home_tab_is_published_per_user(client: AsyncWebClient, slack: FakeSlack) -> None:
    home = {"type": "home", "blocks": modal(blocks=100)["blocks"]}

    await client.views_publish(user_id="U_CAROL", view=home)

    published = slack.home("U_CAROL")
    assert published is not None and len(published.blocks) == 100
    home["blocks"] = modal(blocks=101)["blocks"]
    assert await error_of(client.views_publish(user_id="U_CAROL", view=home)) == "invalid_arguments"


# -- faults and pacing --------------------------------------------------------------------------


async def test_rate_limit_surfaces_as_429_with_retry_after(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    slack.fail_next("auth.test", retry_after=7)

    with pytest.raises(SlackApiError) as caught:
        await client.auth_test()

    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert caught.value.response["error"] == "ratelimited"
    assert (await client.auth_test())["ok"]


async def test_the_rate_limit_handler_retries(slack: FakeSlack) -> None:
    retrying = AsyncWebClient(
        token=slack.token,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail_next("auth.test", retry_after=0)

    assert (await retrying.auth_test())["ok"]
    assert [c.status for c in slack.calls("auth.test")] == [429, 200]


@pytest.mark.parametrize("status", [500, 503])
async def test_the_server_error_handler_retries(slack: FakeSlack, status: int) -> None:
    handler = AsyncServerErrorRetryHandler(
        max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )
    retrying = AsyncWebClient(token=slack.token, base_url=slack.api_url, retry_handlers=[handler])
    slack.fail_next("auth.test", status=status, times=2)

    assert (await retrying.auth_test())["ok"]
    assert [c.status for c in slack.calls("auth.test")] == [status, status, 200]


async def test_fast_posts_in_one_channel_are_noted(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    channel_id = await new_channel(client)

    await client.chat_postMessage(channel=channel_id, text="one")
    await client.chat_postMessage(channel=channel_id, text="two")

    [violation] = slack.pacing_violations(channel_id)
    assert violation.gap_s < 1.0
    assert len(slack.messages(channel_id)) == 2


async def test_latency_slows_every_call() -> None:
    async with FakeSlack(latency_s=0.05) as slow:
        client = AsyncWebClient(token=slow.token, base_url=slow.api_url)
        started = time.perf_counter()
        await client.auth_test()
        assert time.perf_counter() - started >= 0.05


# -- response_url and signed requests -----------------------------------------------------------


async def test_response_url_posts_are_recorded_and_applied(
    client: AsyncWebClient, slack: FakeSlack
) -> None:
    channel_id = await new_channel(client)
    posted = await client.chat_postMessage(channel=channel_id, text="[Contain] [Escalate]")
    url = slack.new_response_url(channel_id=channel_id, user_id="U_ALICE", message_ts=posted["ts"])
    webhook = AsyncWebhookClient(url)

    await webhook.send(text="Only for you")
    await webhook.send(text="Contained by Alice", replace_original=True)
    await webhook.send(text="Everyone sees this", response_type="in_channel")

    assert [r.response_type for r in slack.responses()] == ["ephemeral", "ephemeral", "in_channel"]
    assert [m.text for m in slack.messages(channel_id)] == [
        "Contained by Alice",
        "Everyone sees this",
    ]


async def test_unknown_response_urls_are_404(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        response = await session.post(f"{slack.base_url}response/R_NOPE", json={"text": "x"})
        assert response.status == 404


def test_signatures_verify_with_slack_sdk() -> None:
    request = signing.slash_command(
        SECRET,
        text="declare P1 wrong refunds",
        user_id="U_ALICE",
        channel_id="C_GENERAL",
        trigger_id="1.2.abc",
        response_url="http://127.0.0.1/response/R1",
    )
    verifier = SignatureVerifier(SECRET)
    headers = request.headers

    assert verifier.is_valid_request(request.body, headers)
    fields = parse_qs(request.text)
    assert fields["command"] == ["/incident"] and fields["user_name"] == ["alice"]
    assert not SignatureVerifier("other-secret").is_valid_request(request.body, headers)


def test_stale_requests_fail_verification() -> None:
    stale = signing.url_verification(SECRET, challenge="c", ts=int(time.time()) - 600)

    assert not SignatureVerifier(SECRET).is_valid_request(stale.body, stale.headers)


def test_event_retries_carry_slack_headers() -> None:
    event = {"type": "app_mention", "user": "U_BOB", "text": "hi", "channel": "C_GENERAL"}

    retried = signing.event_callback(SECRET, event=event, event_id="Ev1", retry_num=1)

    assert retried.headers["X-Slack-Retry-Num"] == "1"
    assert retried.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert json.loads(retried.body)["event"] == event
    assert SignatureVerifier(SECRET).is_valid_request(retried.body, retried.headers)


async def test_bolt_accepts_signed_requests_and_opens_modals(slack: FakeSlack) -> None:
    app = AsyncApp(
        client=AsyncWebClient(token=slack.token, base_url=slack.api_url),
        signing_secret=SECRET,
        process_before_response=True,
    )
    seen: list[str] = []

    @app.command("/incident")
    async def incident(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=modal())

    @app.action("contain")
    async def contain(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        seen.append(body["actions"][0]["value"])
        await respond(text="Containment started", replace_original=True)

    command = signing.slash_command(
        SECRET,
        text="declare",
        user_id="U_ALICE",
        channel_id="C_GENERAL",
        trigger_id=slack.issue_trigger_id("U_ALICE"),
        response_url=slack.new_response_url(channel_id="C_GENERAL", user_id="U_ALICE"),
    )
    response = await app.async_dispatch(bolt_request(command))
    assert response.status == 200
    assert [v.user_id for v in slack.views()] == ["U_ALICE"]

    action = signing.block_action(
        SECRET,
        user_id="U_ALICE",
        action_id="contain",
        value="rollback",
        channel_id="C_GENERAL",
        message_ts="1.000001",
        trigger_id=slack.issue_trigger_id("U_ALICE"),
        response_url=slack.new_response_url(channel_id="C_GENERAL", user_id="U_ALICE"),
    )
    response = await app.async_dispatch(bolt_request(action))
    assert response.status == 200 and seen == ["rollback"]
    assert [r.text for r in slack.responses()] == ["Containment started"]


async def test_bolt_receives_view_submissions_and_events(slack: FakeSlack) -> None:
    app = AsyncApp(
        client=AsyncWebClient(token=slack.token, base_url=slack.api_url),
        signing_secret=SECRET,
        process_before_response=True,
    )
    seen: list[Any] = []

    @app.view("declare")
    async def declare(ack: Any, view: dict[str, Any]) -> None:
        await ack()
        seen.append((view["state"]["values"]["title"]["title"]["value"], view["private_metadata"]))

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any]) -> None:
        seen.append(event["text"])

    opened = await AsyncWebClient(token=slack.token, base_url=slack.api_url).views_open(
        trigger_id=slack.issue_trigger_id("U_BOB"), view=modal() | {"callback_id": "declare"}
    )
    submission = signing.view_submission(
        SECRET,
        user_id="U_BOB",
        callback_id="declare",
        values=signing.text_inputs({"title": {"title": "Refund bot invents policy"}}),
        private_metadata='{"incident": 7}',
        view=slack.view_payload(slack.views()[0]),
        view_id=opened["view"]["id"],
        trigger_id=slack.issue_trigger_id("U_BOB"),
    )
    mention = signing.event_callback(
        SECRET, event={"type": "app_mention", "text": "help", "user": "U_BOB"}, event_id="Ev1"
    )

    assert (await app.async_dispatch(bolt_request(submission))).status == 200
    assert (await app.async_dispatch(bolt_request(mention))).status == 200
    assert seen == [("Refund bot invents policy", '{"incident": 7}'), "help"]


async def test_bolt_rejects_stale_signed_requests(slack: FakeSlack) -> None:
    app = AsyncApp(
        client=AsyncWebClient(token=slack.token, base_url=slack.api_url), signing_secret=SECRET
    )
    stale = signing.event_callback(
        SECRET, event={"type": "app_mention"}, event_id="Ev2", ts=int(time.time()) - 600
    )

    assert (await app.async_dispatch(bolt_request(stale))).status == 401


async def test_sign_in_with_slack_methods_follow_slacks_documented_shapes() -> None:
    import base64
    import json

    import httpx
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    async with FakeSlack() as fake:
        app = fake.workspace.settings
        query = {
            "response_type": "code",
            "scope": "openid profile email",
            "client_id": app.client_id,
            "state": "s1",
            "nonce": "n1",
            "redirect_uri": "https://bot.example/ui/auth/slack",
        }
        async with httpx.AsyncClient() as browser:
            assert (await browser.get(fake.authorize_url, params=query)).status_code == 200
            back = await browser.post(fake.authorize_url, data={**query, "user": "U_BOB"})
            bad = await browser.get(fake.authorize_url, params={**query, "client_id": "nope"})
        assert bad.status_code == 400
        assert back.status_code == 302
        location = httpx.URL(back.headers["location"])
        assert location.params["state"] == "s1"
        code = location.params["code"]
        client = AsyncWebClient(base_url=fake.api_url)
        args = {"client_id": app.client_id, "code": code, "redirect_uri": query["redirect_uri"]}
        with pytest.raises(SlackApiError, match="bad_client_secret"):
            await client.openid_connect_token(client_secret="wrong", **args)
        with pytest.raises(SlackApiError, match="bad_redirect_uri"):
            await client.openid_connect_token(
                client_secret=app.client_secret, **{**args, "redirect_uri": "https://evil.example"}
            )
        tokens = await client.openid_connect_token(client_secret=app.client_secret, **args)
        assert tokens["token_type"] == "Bearer" and tokens["access_token"].startswith("xoxp-")
        payload = tokens["id_token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert claims["iss"] == "https://slack.com" and claims["aud"] == app.client_id
        assert claims["nonce"] == "n1" and claims["https://slack.com/user_id"] == "U_BOB"
        with pytest.raises(SlackApiError, match="invalid_code"):  # a code works once
            await client.openid_connect_token(client_secret=app.client_secret, **args)
        user = AsyncWebClient(token=tokens["access_token"], base_url=fake.api_url)
        info = await user.openid_connect_userInfo()
        assert info["sub"] == "U_BOB" and info["https://slack.com/team_id"] == "T_FAKE"
        assert info["email"] == "bob@example.com" and info["name"] == "Bob Baker"
        with pytest.raises(SlackApiError, match="invalid_auth"):
            await AsyncWebClient(
                token="xoxp-unknown", base_url=fake.api_url
            ).openid_connect_userInfo()
