"""Containment providers end to end against real local stand-ins (no Slack, no database)."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from jinja2 import Environment

from bot.config import Config
from bot.containment import clients as containment_clients
from bot.containment import rules as containment_rules
from bot.containment.schemas import IncidentFields, Outcome, Plan, Provider, ProviderKind
from bot.containment.shown import shown_headers
from bot.errors import BadInput, ConfigError
from bot.templating import make_environment
from bot.vocabulary import IncidentType, Severity
from tests.support.provider_standins import SEMANTIC_PATCH, Langfuse, LaunchDarkly, Unleash, Webhook

SECRETS = {
    "LD_TOKEN": "api-ld-secret-0001",
    "UNLEASH_TOKEN": "*:production.unleash-secret-0002",
    "LF_PUBLIC": "pk-lf-public-0003",
    "LF_SECRET": "sk-lf-secret-0004",
    "LF_KEYS": "pk-lf-public-0003:sk-lf-secret-0004",
    "HOOK_TOKEN": "hook-secret-0005",
    "GW_TOKEN": "gw-secret-0006",
}
INCIDENT = IncidentFields(
    number=42,
    title='Smart Reply promises "refund approved"',
    type=IncidentType.HALLUCINATION,
    severity=Severity.P1,
    feature="smart-reply",
    channel_name="inc-20260301-smart-reply-refunds",
    commander="Dana Ruiz",
)
FAST: dict[str, Any] = {"timeout_s": 2.0, "backoff_s": 0.0}


@pytest.fixture
def jinja_env() -> Environment:
    return make_environment()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
async def ld() -> AsyncIterator[LaunchDarkly]:
    flags = {("web", "smart-reply"): {"production": True, "staging": True}}
    async with LaunchDarkly(SECRETS["LD_TOKEN"], flags) as server:
        yield server


@pytest.fixture
async def unleash() -> AsyncIterator[Unleash]:
    features = {("default", "smart-reply"): {"production": True, "development": True}}
    async with Unleash(SECRETS["UNLEASH_TOKEN"], features) as server:
        yield server


@pytest.fixture
async def langfuse() -> AsyncIterator[Langfuse]:
    prompts = {"support-answer": {1: [], 3: ["staging"], 4: ["production"]}}
    async with Langfuse(SECRETS["LF_PUBLIC"], SECRETS["LF_SECRET"], prompts) as server:
        yield server


@pytest.fixture
async def hook() -> AsyncIterator[Webhook]:
    async with Webhook({"X-Api-Key": SECRETS["HOOK_TOKEN"]}) as server:
        yield server


def config(provider: Provider, *actions: str) -> Config:
    return Config(providers={"p": provider}, actions=dict.fromkeys(actions, "p"))


def ld_provider(url: str, **options: Any) -> Provider:
    opts = {"project": "web", "flag": "smart-reply", "environment": "production", **options}
    return Provider(kind="launchdarkly", url=url, token_env="LD_TOKEN", options=opts)


def unleash_provider(url: str) -> Provider:
    opts = {"feature": "smart-reply", "environment": "production"}
    return Provider(kind="unleash", url=url, token_env="UNLEASH_TOKEN", options=opts)


def langfuse_provider(url: str, **extra: Any) -> Provider:
    keys = {"public_key_env": "LF_PUBLIC", "secret_key_env": "LF_SECRET"}
    fields: dict[str, Any] = {"options": {"prompt": "support-answer", **keys}, **extra}
    return Provider(kind="langfuse", url=url, **fields)


def hook_provider(url: str, **options: Any) -> Provider:
    opts = {"headers": {"X-Api-Key": "${HOOK_TOKEN}"}, **options}
    return Provider(kind="webhook", url=url + "/hooks/containment", options=opts)


def make_plan(provider: Provider, action: str, jinja_env: Environment) -> Plan:
    return containment_rules.plan(action, config(provider, action), INCIDENT, SECRETS, jinja_env)


async def run(plan: Plan, client: httpx.AsyncClient, **overrides: Any) -> Outcome:
    settings: dict[str, Any] = {**FAST, **overrides}
    return await containment_clients.execute(plan, client, secrets=SECRETS, **settings)


async def run_undo(plan: Plan, outcome: Outcome, client: httpx.AsyncClient) -> tuple[Plan, Outcome]:
    return await containment_clients.undo(plan, outcome, client, secrets=SECRETS, **FAST)


# --- each provider end to end ----------------------------------------------------------------


async def test_launchdarkly_turns_the_flag_off_and_undo_turns_it_back_on(
    ld: LaunchDarkly, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    plan = make_plan(ld_provider(ld.url), "feature_flag_off", jinja_env)

    outcome = await run(plan, client)

    assert outcome.ok and outcome.status == 200 and outcome.error is None
    assert not ld.is_on("web", "smart-reply", "production")
    assert ld.is_on("web", "smart-reply", "staging")
    (patch,) = ld.calls("PATCH")
    assert patch.path == "/api/v2/flags/web/smart-reply"
    assert patch.headers["Authorization"] == SECRETS["LD_TOKEN"]
    assert patch.headers["Content-Type"] == SEMANTIC_PATCH
    assert patch.json() == {
        "environmentKey": "production",
        "comment": "incidentbot: turned off during incident #42",
        "instructions": [{"kind": "turnFlagOff"}],
    }
    assert json.loads(outcome.body)["environments"]["production"]["on"] is False
    assert outcome.undo == {"was_on": True}

    reverse, undone = await run_undo(plan, outcome, client)

    assert undone.ok
    assert reverse.action == "feature_flag_on"
    assert reverse.description == (
        "Turn ON LaunchDarkly flag `smart-reply` in environment `production` (project `web`)"
    )
    assert ld.is_on("web", "smart-reply", "production")


async def test_undo_refuses_to_turn_on_a_flag_that_was_already_off(
    ld: LaunchDarkly, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    ld.flags[("web", "smart-reply")]["production"] = False
    plan = make_plan(ld_provider(ld.url), "feature_flag_off", jinja_env)
    outcome = await run(plan, client)
    assert outcome.ok and outcome.undo == {"was_on": False}

    with pytest.raises(BadInput, match="`smart-reply` was already OFF before"):
        containment_rules.plan_undo(plan, outcome)


async def test_unleash_turns_the_feature_off_and_undo_turns_it_back_on(
    unleash: Unleash, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    plan = make_plan(unleash_provider(unleash.url), "feature_flag_off", jinja_env)

    outcome = await run(plan, client)

    assert outcome.ok and outcome.status == 200
    assert not unleash.is_enabled("default", "smart-reply", "production")
    assert unleash.is_enabled("default", "smart-reply", "development")
    (post,) = unleash.calls("POST")
    assert (
        post.path == "/api/admin/projects/default/features/smart-reply/environments/production/off"
    )
    assert post.headers["Authorization"] == SECRETS["UNLEASH_TOKEN"]
    assert post.body == b""

    reverse, undone = await run_undo(plan, outcome, client)

    assert undone.ok and reverse.url.endswith("/environments/production/on")
    assert unleash.is_enabled("default", "smart-reply", "production")


async def test_langfuse_moves_production_to_the_previous_version_and_undo_moves_it_back(
    langfuse: Langfuse, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    plan = make_plan(langfuse_provider(langfuse.url), "prompt_rollback", jinja_env)

    outcome = await run(plan, client)

    assert outcome.ok, outcome.error
    assert langfuse.version_with("support-answer", "production") == 3
    assert langfuse.prompts["support-answer"][3] == ["production", "staging"]
    assert outcome.undo == {
        "prompt": "support-answer",
        "label": "production",
        "from_version": 4,
        "to_version": 3,
    }
    (patch,) = langfuse.calls("PATCH")
    assert patch.path == "/api/public/v2/prompts/support-answer/versions/3"
    assert patch.json() == {"newLabels": ["production"]}

    reverse, undone = await run_undo(plan, outcome, client)

    assert undone.ok, undone.error
    assert reverse.url.endswith("/api/public/v2/prompts/support-answer/versions/4")
    assert langfuse.version_with("support-answer", "production") == 4
    assert langfuse.prompts["support-answer"][3] == ["staging"]


async def test_langfuse_accepts_one_variable_holding_public_and_secret_key(
    langfuse: Langfuse, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    provider = Provider(
        kind="langfuse",
        url=langfuse.url,
        token_env="LF_KEYS",
        options={"prompt": "support-answer"},
    )

    outcome = await run(make_plan(provider, "prompt_rollback", jinja_env), client)

    assert outcome.ok, outcome.error
    assert langfuse.version_with("support-answer", "production") == 3


async def test_langfuse_rollback_without_an_earlier_version_fails_clearly(
    langfuse: Langfuse, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    langfuse.prompts["support-answer"] = {1: ["production"]}

    outcome = await run(
        make_plan(langfuse_provider(langfuse.url), "prompt_rollback", jinja_env), client
    )

    assert not outcome.ok
    assert (
        outcome.error == "Langfuse prompt `support-answer` has no version before 1 to roll back to"
    )
    assert langfuse.calls("PATCH") == []


async def test_webhook_renders_the_body_template_and_sends_the_secret_header(
    hook: Webhook, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    body = '{"text": {{ title | tojson }}, "incident": {{ number }}, "do": {{ action | tojson }}}'
    plan = make_plan(hook_provider(hook.url, body=body), "enable_fallback", jinja_env)

    outcome = await run(plan, client)

    assert outcome.ok and outcome.status == 200
    assert hook.received == [
        {"text": 'Smart Reply promises "refund approved"', "incident": 42, "do": "enable_fallback"}
    ]
    assert hook.requests[0].path == "/hooks/containment"


async def test_model_gateway_is_asked_to_roll_the_feature_back(
    client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    async with Webhook({"Authorization": f"Bearer {SECRETS['GW_TOKEN']}"}) as gateway:
        provider = Provider(
            kind="model_gateway", url=gateway.url + "/rollback", token_env="GW_TOKEN"
        )
        outcome = await run(make_plan(provider, "model_rollback", jinja_env), client)

    assert outcome.ok, outcome.error
    assert gateway.received == [
        {"action": "rollback", "feature": "smart-reply", "to_version": "previous", "incident": 42}
    ]


# --- failures: retried, reported, never raised -----------------------------------------------


async def test_a_server_error_is_retried_and_then_reported_with_the_providers_answer(
    hook: Webhook, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    hook.fail_next(3, status=500)

    outcome = await run(make_plan(hook_provider(hook.url), "enable_fallback", jinja_env), client)

    assert not outcome.ok
    assert outcome.status == 500 and outcome.attempts == 3
    assert outcome.error == "Webhook answered 500: injected failure (3 attempts)"
    assert json.loads(outcome.body) == {"message": "injected failure"}
    assert len(hook.requests) == 3 and hook.received == []


async def test_a_passing_server_error_is_retried_until_the_change_lands(
    ld: LaunchDarkly, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    ld.fail_next(2, status=503)

    outcome = await run(make_plan(ld_provider(ld.url), "feature_flag_off", jinja_env), client)

    assert outcome.ok and outcome.attempts == 4  # two failed reads, one read, one patch
    assert not ld.is_on("web", "smart-reply", "production")


async def test_a_hanging_provider_times_out_after_every_attempt(
    hook: Webhook, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    hook.hang_next(3)
    plan = make_plan(hook_provider(hook.url), "enable_fallback", jinja_env)

    outcome = await run(plan, client, timeout_s=0.2)

    assert not outcome.ok and outcome.status is None
    assert outcome.error == "timed out after 0.2 s (3 attempts)"
    assert outcome.duration_ms >= 600


async def test_an_unreachable_provider_is_reported_after_retries(
    client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plan = make_plan(hook_provider(f"http://127.0.0.1:{port}"), "enable_fallback", jinja_env)

    outcome = await run(plan, client)

    assert not outcome.ok and outcome.attempts == 3
    assert outcome.error is not None
    assert outcome.error.startswith(f"could not reach 127.0.0.1:{port}: ")
    assert outcome.error.endswith("(3 attempts)")


async def test_a_rejected_token_is_not_retried(
    ld: LaunchDarkly, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    plan = make_plan(ld_provider(ld.url), "feature_flag_off", jinja_env)

    outcome = await containment_clients.execute(
        plan, client, secrets={**SECRETS, "LD_TOKEN": "api-wrong"}, backoff_s=0
    )

    assert not outcome.ok and outcome.status == 401 and outcome.attempts == 1
    assert outcome.error == "LaunchDarkly answered 401: Invalid access token"
    assert ld.is_on("web", "smart-reply", "production")


async def test_a_bad_instruction_gets_launchdarklys_400_once(
    ld: LaunchDarkly, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    plan = make_plan(ld_provider(ld.url), "feature_flag_off", jinja_env)
    wrong = {"environmentKey": "production", "instructions": [{"kind": "turnFlagSideways"}]}

    outcome = await run(plan.model_copy(update={"body": wrong}), client)

    assert not outcome.ok and outcome.status == 400
    assert (
        outcome.error
        == "LaunchDarkly answered 400: unsupported instruction kind 'turnFlagSideways'"
    )
    assert len(ld.calls("PATCH")) == 1


async def test_an_unknown_flag_is_reported_from_the_first_read(
    ld: LaunchDarkly, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    plan = make_plan(ld_provider(ld.url, flag="no-such-flag"), "feature_flag_off", jinja_env)

    outcome = await run(plan, client)

    assert outcome.error == "LaunchDarkly answered 404: Unknown flag"
    assert ld.calls("PATCH") == []


async def test_a_secret_missing_at_run_time_fails_without_calling_out(
    hook: Webhook, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    plan = make_plan(hook_provider(hook.url), "enable_fallback", jinja_env)

    outcome = await containment_clients.execute(plan, client, secrets={})

    assert outcome == Outcome(ok=False, error="environment variable HOOK_TOKEN is not set")
    assert hook.requests == []


async def test_a_provider_echoing_the_token_does_not_leak_it_into_the_outcome(
    jinja_env: Environment,
) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text=f"{request.headers['Authorization']} may not do this")

    provider = hook_provider(
        "https://hooks.example", headers={"Authorization": "Basic base64(${LF_KEYS})"}
    )
    plan = make_plan(provider, "shed_load", jinja_env)
    async with httpx.AsyncClient(transport=httpx.MockTransport(echo)) as http:
        outcome = await run(plan, http)

    assert outcome.body == "Basic [redacted] may not do this"
    assert outcome.error == "Webhook answered 403: Basic [redacted] may not do this"


async def test_undo_needs_a_successful_reversible_action(
    hook: Webhook, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    plan = make_plan(hook_provider(hook.url), "enable_fallback", jinja_env)
    outcome = await run(plan, client)

    with pytest.raises(BadInput, match="run `disable_fallback` instead"):
        containment_rules.plan_undo(plan, outcome)
    with pytest.raises(BadInput, match="did not succeed"):
        containment_rules.plan_undo(plan, Outcome(ok=False, error="x"))


async def test_a_stored_plan_and_outcome_are_enough_to_undo_later(
    ld: LaunchDarkly, client: httpx.AsyncClient, jinja_env: Environment
) -> None:
    plan = make_plan(ld_provider(ld.url), "feature_flag_off", jinja_env)
    outcome = await run(plan, client)
    stored = json.loads(json.dumps([plan.model_dump(mode="json"), outcome.model_dump(mode="json")]))

    _, undone = await run_undo(
        Plan.model_validate(stored[0]), Outcome.model_validate(stored[1]), client
    )

    assert undone.ok and ld.is_on("web", "smart-reply", "production")


# --- plans: exact, secret-free ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "action", "description"),
    [
        (
            ld_provider("https://ld.example"),
            "feature_flag_off",
            "Turn OFF LaunchDarkly flag `smart-reply` in environment `production` (project `web`)",
        ),
        (
            unleash_provider("https://unleash.example"),
            "feature_flag_on",
            "Turn ON Unleash feature `smart-reply` in environment `production` (project `default`)",
        ),
        (
            langfuse_provider("https://lf.example"),
            "prompt_rollback",
            "Move Langfuse prompt `support-answer` label `production` from its current version "
            "to the version before it",
        ),
        (
            Provider(kind="model_gateway", url="https://gw.example/rollback"),
            "model_rollback",
            "Ask model gateway `p` (https://gw.example/rollback) to roll `smart-reply` back "
            "to the previous model version",
        ),
        (
            hook_provider("https://hooks.example"),
            "pause_pipeline",
            "Send POST https://hooks.example/hooks/containment (webhook `p`) to pause pipeline",
        ),
    ],
)
def test_plan_descriptions_say_exactly_what_will_happen(
    provider: Provider, action: str, description: str, jinja_env: Environment
) -> None:
    assert make_plan(provider, action, jinja_env).description == description


def test_the_launchdarkly_plan_shows_the_documented_request(jinja_env: Environment) -> None:
    plan = make_plan(ld_provider("https://app.launchdarkly.com/"), "feature_flag_off", jinja_env)

    assert (plan.method, plan.url) == (
        "PATCH",
        "https://app.launchdarkly.com/api/v2/flags/web/smart-reply",
    )
    assert plan.headers == {"Authorization": "${LD_TOKEN}", "Content-Type": SEMANTIC_PATCH}
    assert plan.undo_action == "feature_flag_on"


def test_launchdarkly_defaults_to_the_public_api(jinja_env: Environment) -> None:
    provider = ld_provider("unused").model_copy(update={"url": None})

    assert make_plan(provider, "feature_flag_on", jinja_env).url.startswith(
        "https://app.launchdarkly.com/api/v2/flags/"
    )


@pytest.mark.parametrize(
    ("provider", "action"),
    [
        (ld_provider("https://ld.example"), "feature_flag_off"),
        (unleash_provider("https://unleash.example"), "feature_flag_off"),
        (langfuse_provider("https://lf.example"), "prompt_rollback"),
        (
            Provider(kind="langfuse", token_env="LF_KEYS", options={"prompt": "x"}),
            "prompt_rollback",
        ),
        (
            Provider(kind="model_gateway", url="https://gw.example", token_env="GW_TOKEN"),
            "model_rollback",
        ),
        (hook_provider("https://hooks.example", body='{"t": {{ title | tojson }}}'), "shed_load"),
    ],
)
def test_plans_never_contain_secrets(
    provider: Provider, action: str, jinja_env: Environment
) -> None:
    shown = make_plan(provider, action, jinja_env).model_dump_json()

    for secret in SECRETS.values():
        assert secret not in shown
    assert "${" in shown


def test_headers_are_filled_in_only_when_sent() -> None:
    headers = {"Authorization": "Basic base64(${LF_PUBLIC}:${LF_SECRET})", "X": "k=${HOOK_TOKEN}"}

    sent = containment_rules.resolve_headers(headers, SECRETS)

    assert sent == {
        "Authorization": "Basic cGstbGYtcHVibGljLTAwMDM6c2stbGYtc2VjcmV0LTAwMDQ=",
        "X": "k=hook-secret-0005",
    }


# --- misconfiguration ------------------------------------------------------------------------


def test_an_action_without_a_provider_is_a_config_error(jinja_env: Environment) -> None:
    with pytest.raises(ConfigError) as caught:
        containment_rules.plan("feature_flag_off", Config(), INCIDENT, SECRETS, jinja_env)

    assert str(caught.value) == (
        "action `feature_flag_off` has no provider configured; "
        "map it to one under actions.feature_flag_off in the config"
    )


def test_every_provider_kind_is_labelled_planned_and_run() -> None:
    # A new kind needs an entry in each of these (and in _UNDOERS if it can be undone).
    kinds = set(ProviderKind)
    assert all(kind.label for kind in kinds)
    assert set(containment_rules._PLANNERS) == kinds
    assert set(containment_rules._SUPPORTED) == kinds
    assert set(containment_clients._RUNNERS) == kinds
    assert set(containment_rules._UNDOERS) <= kinds


@pytest.mark.parametrize(
    ("provider", "action", "message"),
    [
        (
            ld_provider("https://ld.example"),
            "prompt_rollback",
            "provider `p` (launchdarkly): cannot run `prompt_rollback`; "
            "a launchdarkly provider runs feature_flag_off, feature_flag_on",
        ),
        (
            langfuse_provider("https://lf.example"),
            "feature_flag_off",
            "provider `p` (langfuse): cannot run `feature_flag_off`; "
            "a langfuse provider runs prompt_rollback",
        ),
        (
            ld_provider("https://ld.example").model_copy(update={"token_env": "LD_MISSING"}),
            "feature_flag_off",
            "provider `p` (launchdarkly): environment variable LD_MISSING is not set",
        ),
        (
            ld_provider("https://ld.example").model_copy(update={"token_env": None}),
            "feature_flag_off",
            "provider `p` (launchdarkly): token_env must name the environment variable "
            "holding the API token",
        ),
        (
            ld_provider("https://ld.example", flag=""),
            "feature_flag_off",
            "provider `p` (launchdarkly): options.flag must be a non-empty string",
        ),
        (
            Provider(
                kind="unleash",
                token_env="UNLEASH_TOKEN",
                options={"feature": "f", "environment": "e"},
            ),
            "feature_flag_off",
            "provider `p` (unleash): url must be set to an http:// or https:// address",
        ),
        (
            Provider(kind="langfuse", options={"prompt": "x"}),
            "prompt_rollback",
            "provider `p` (langfuse): set options.public_key_env and options.secret_key_env "
            "(or token_env)",
        ),
        (
            hook_provider("https://hooks.example", headers={"X-Key": "${NOPE}"}),
            "shed_load",
            "provider `p` (webhook): environment variable NOPE is not set",
        ),
        (
            Provider(kind="no-such-kind", url="https://x.example"),
            "feature_flag_off",
            f"provider `p`: unknown kind `no-such-kind`; known: {', '.join(ProviderKind)}",
        ),
    ],
)
def test_misconfiguration_is_a_clear_config_error(
    provider: Provider, action: str, message: str, jinja_env: Environment
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_plan(provider, action, jinja_env)

    assert str(caught.value) == message


def test_a_body_template_that_breaks_on_quotes_is_caught(jinja_env: Environment) -> None:
    provider = hook_provider("https://hooks.example", body='{"text": "{{ title }}"}')

    with pytest.raises(ConfigError, match=r"not JSON after rendering .*\| tojson"):
        make_plan(provider, "shed_load", jinja_env)


def test_a_body_template_naming_an_unknown_field_is_caught(jinja_env: Environment) -> None:
    provider = hook_provider("https://hooks.example", body='{"who": {{ reporter | tojson }}}')

    with pytest.raises(ConfigError) as caught:
        make_plan(provider, "shed_load", jinja_env)

    assert str(caught.value) == (
        "provider `p` (webhook): options.body names unknown reporter; known: number, title, "
        "type, severity, feature, channel_name, commander, action"
    )


def test_an_unknown_action_is_a_config_error(jinja_env: Environment) -> None:
    provider = hook_provider("https://hooks.example")

    with pytest.raises(ConfigError, match="unknown containment action 'reboot_the_model'"):
        make_plan(provider, "reboot_the_model", jinja_env)


def test_check_lists_every_problem_and_passes_a_good_config(jinja_env: Environment) -> None:
    broken = Config(
        providers={
            "ld": ld_provider("https://ld.example").model_copy(update={"token_env": "LD_MISSING"}),
            "hook": hook_provider("https://hooks.example", body='{"t": "{{ title }}"}'),
            "odd": Provider(kind="no-such-kind"),
        },
        actions={"feature_flag_off": "ld", "shed_load": "hook", "model_rollback": "gone"},
    )
    good = config(ld_provider("https://ld.example"), "feature_flag_off", "feature_flag_on")

    problems = containment_rules.validate_providers(broken, SECRETS, jinja_env)

    assert problems[0].startswith("provider `odd`: unknown kind `no-such-kind`")
    assert problems[1:3] == [
        "provider `ld` (launchdarkly): environment variable LD_MISSING is not set",
        "provider `hook` (webhook): options.body is not JSON after rendering "
        "(Expecting ',' delimiter); write text values as {{ title | tojson }}",
    ]
    assert problems[3] == "action `model_rollback` names provider `gone`, which is not configured"
    assert len(problems) == 4
    assert containment_rules.validate_providers(good, SECRETS) == []


def test_shown_headers_never_show_a_secret() -> None:
    assert shown_headers(
        {
            "Content-Type": "application/json",
            "Authorization": "Bearer ${REVIEW_TOKEN}",
            "X-Api-Key": "inline-literal-key",
            "X-Basic": "Basic base64(${PUB}:${SEC})",
            "X-Team": "search",
        }
    ) == (
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer •••• (from $REVIEW_TOKEN)"),
        ("X-Api-Key", "••••"),
        ("X-Basic", "Basic •••• (from $PUB, $SEC)"),
        ("X-Team", "search"),
    )
