"""Property: every route that takes input answers a mutated valid request with < 500, a 4xx in
the {"error", "field"} shape, and a 4xx stores nothing.

Each route starts from its documented example (the vendors' payloads in tests/payloads, the
README's bodies, the trackers' stand-ins) and gets one to three mutations: a leaf or subtree
replaced with hostile JSON (numbers past 32 and 64 bits, 1e308, -0.0, NaN, bools for numbers,
NUL, lone surrogates, long text, times UTC cannot hold, impossible dates, empty and nested
containers), a key dropped, or a key added. The hand-written corpus in test_poison_input.py pins
every failure this found. HOSTILE_EXAMPLES=n runs n examples per route, randomised.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import math
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts.sources import PARSERS
from bot.config import Config
from bot.sandbox.slack import signing
from bot.sandbox.stage import Stage
from tests.support.followup import two_trackers
from tests.support.jira import Jira
from tests.support.linear import Linear
from tests.support.vendor_payloads import datadog, load
from tests.test_poison_input import auth, stored

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "100"))
JIRA_SECRET, LINEAR_SECRET = "jira-secret", "linear-secret"
ENV = {"JIRA_WEBHOOK_SECRET": JIRA_SECRET, "LINEAR_WEBHOOK_SECRET": LINEAR_SECRET}
LINEAR_TEAM = "8f1b3c2e-5d4a-4e6f-9a7b-0c1d2e3f4a5b"
LINEAR_ISSUE = "0b3c9a52-1f6e-4d2b-8a3e-5c7d9e1f2a4b"

ODD = [
    2**31,
    2**31 - 1,
    -(2**31) - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    -1,
    0,
    1e308,
    -1e308,
    -0.0,
    0.5,
    math.nan,
    math.inf,
    True,
    False,
    None,
    "",
    "\x00",
    "\ud800",
    "a\udfffb\x00",
    "x" * 5000,
    "0001-01-01T00:30+01:00",
    "9999-12-31T23:59-14:00",
    "2024-02-30",
    "2024-02-30T10:00:00Z",
    "1970-01-01T00:00:00Z",
    "not a date",
    "-1",
    "99999999999999999999",
    [],
    {},
    [[[[]]]],
    [None],
    {"": None},
]
leaf = st.one_of(
    st.sampled_from(ODD).map(copy.deepcopy),  # fresh containers: mutations change them
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
hostile = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
Path = tuple[str | int, ...]


def paths(doc: Any, at: Path = ()) -> Iterator[Path]:
    """Every node's path, the root included."""
    yield at
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from paths(value, (*at, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from paths(value, (*at, i))


def mutate(data: st.DataObject, example: Any) -> Any:
    """One to three mutations of a copy of `example`: replace a node, drop a key, add a key."""
    doc = copy.deepcopy(example)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        where = data.draw(st.sampled_from(list(paths(doc))), label="path")
        op = data.draw(st.sampled_from(["replace", "drop", "add"]), label="op")
        parent, key = _parent(doc, where)
        if op == "replace" or (parent is None and op == "drop"):
            value = data.draw(hostile, label="value")
            if parent is None:
                doc = value
            else:
                parent[key] = value
        elif op == "drop" and parent is not None:
            del parent[key]
        else:
            node = parent[key] if parent is not None else doc
            if isinstance(node, dict):
                node[data.draw(st.text(max_size=8), label="key")] = data.draw(hostile)
            elif isinstance(node, list):
                node.append(data.draw(hostile, label="item"))
    return doc


def _parent(doc: Any, where: Path) -> tuple[Any, Any]:
    if not where:
        return None, None
    node = doc
    for step in where[:-1]:
        node = node[step]
    return node, where[-1]


def dumps(value: Any) -> bytes:
    """JSON as Python writes it: lone surrogates escaped, NaN and Infinity as bare words."""
    return json.dumps(value).encode()


async def check(stage: Stage, method: str, path: str, **kwargs: Any) -> int:
    """Send a request; < 500, a 4xx in the error shape, nothing stored for a 4xx."""
    before = await stored(stage)
    response = await stage.http.request(method, path, **kwargs)
    status = response.status_code
    assert status < 500, (path, status, response.text[:500])
    if status >= 400:
        body = response.json()
        assert set(body) == {"error", "field"}, (path, status, body)
        assert isinstance(body["error"], str) and body["error"], body
        assert body["field"] is None or isinstance(body["field"], str), body
        assert await stored(stage) == before, (path, status, body)
    else:
        await stage.settle(rounds=1)  # the worker's follow-up writes, before the next snapshot
    return status


def alert_examples() -> dict[str, Any]:
    """Each alert source's documented example payload."""
    examples = {
        "alertmanager": load("alertmanager.json"),
        "grafana": load("grafana_docs.json"),
        "datadog": datadog("datadog_default_template.json"),
        "pagerduty": load("pagerduty_triggered.json"),
        "langfuse": load("langfuse_alert.json"),
        "generic": load("generic.json"),
    }
    assert set(examples) == {s.value for s in PARSERS}, "a new source needs its example here"
    return examples


ALERTS = alert_examples()
LEDGER = {  # the README's and the corpus's bodies
    "/changes": {
        "kind": "prompt",
        "feature": "support-assistant",
        "from": "v11",
        "to": "v12",
        "author": "dana",
        "at": "2026-11-23T02:40:00Z",
        "link": "https://git.example.com/prompts/pull/412",
    },
    "/evals": {
        "suite": "refunds",
        "feature": "support",
        "passed": 1,
        "total": 2,
        "at": "2026-11-23T02:40:00Z",
        "versions": {"model": "gpt-x", "prompt": "v12"},
    },
    "/signals": {
        "batches": [
            {
                "signal": "groundedness",
                "feature": "support",
                "points": [{"value": 0.9, "at": "2026-11-23T02:40:00Z"}, {"value": 0.8}],
            },
            {"signal": "pass_rate", "feature": "support", "points": [{"passed": 9, "total": 10}]},
        ]
    },
}
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="HOSTILE_EXAMPLES" not in os.environ,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def json_headers(stage: Stage) -> dict[str, str]:
    return auth(stage) | {"Content-Type": "application/json"}


@pytest.mark.parametrize("source", sorted(ALERTS))
@fuzz
@given(data=st.data())
async def test_mutated_alerts_never_fail(stage: Stage, source: str, data: st.DataObject) -> None:
    body = dumps(mutate(data, ALERTS[source]))
    await check(stage, "POST", f"/alerts/{source}", content=body, headers=json_headers(stage))


@pytest.mark.parametrize("path", sorted(LEDGER))
@fuzz
@given(data=st.data())
async def test_mutated_ledger_posts_never_fail(
    stage: Stage, path: str, data: st.DataObject
) -> None:
    body = dumps(mutate(data, LEDGER[path]))
    await check(stage, "POST", path, content=body, headers=json_headers(stage))


@pytest.fixture
async def jira() -> AsyncIterator[Jira]:
    async with Jira("bot@example.com", "jira-token", "AIQ", {}) as running:
        running.issues["AIQ-1"] = {"id": "10001", "key": "AIQ-1", "status": "10000"}
        running.issues["AIQ-1"] |= {"summary": "Add an eval case", "labels": []}
        yield running


@pytest.fixture
async def linear() -> AsyncIterator[Linear]:
    async with Linear("lin_api_key", LINEAR_TEAM, {}) as running:
        running.issues[LINEAR_ISSUE] = {
            "id": LINEAR_ISSUE,
            "identifier": "AI-1",
            "url": "https://linear.app/acme/issue/ai-1",
            "stateId": "st-todo",
        }
        yield running


@pytest.fixture
def config(jira: Jira, linear: Linear) -> Config:
    """Both trackers configured, with their webhook secrets."""
    return Config.model_validate(two_trackers(jira.url, linear.url, LINEAR_TEAM))


@pytest.mark.parametrize("tracker", ["jira", "linear"])
@fuzz
@given(data=st.data())
async def test_mutated_tracker_webhooks_never_fail(
    stage: Stage, jira: Jira, linear: Linear, tracker: str, data: st.DataObject
) -> None:
    stage.deps.environ.update(ENV)
    if tracker == "jira":
        example = jira.webhook("AIQ-1", to="Done")
        name, secret, prefix = "X-Hub-Signature", JIRA_SECRET, "sha256="
    else:
        example = linear.webhook(LINEAR_ISSUE, to="Done", at=stage.deps.clock())
        name, secret, prefix = "Linear-Signature", LINEAR_SECRET, ""
    raw = dumps(mutate(data, example))
    signature = prefix + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", name: signature}
    await check(stage, "POST", f"/integrations/{tracker}", content=raw, headers=headers)


GETS = [
    "/api/incidents/{}",
    "/api/incidents/{}/chart.png",
    "/api/incidents/{}/postmortem.md",
    "/api/incidents?limit={}",
    "/api/incidents?offset={}",
    "/api/incidents?status={}",
    "/api/action-items?incident={}",
    "/api/action-items?limit={}",
    "/api/action-items?owner={}&team={}",
    "/api/action-items?state={}&kind={}",
    "/api/action-items?overdue={}&format={}",
]
param = st.one_of(leaf, st.integers(min_value=-(2**70), max_value=2**70)).map(
    lambda v: json.dumps(v) if not isinstance(v, str) else v
)


@fuzz
@given(template=st.sampled_from(GETS), values=st.lists(param, min_size=2, max_size=2))
async def test_api_gets_with_hostile_parameters_never_fail(
    stage: Stage, template: str, values: list[str]
) -> None:
    safe = [quote(v.encode("utf-8", "replace"), safe="") for v in values]
    await check(stage, "GET", template.format(*safe), headers=auth(stage))


HOME = {"type": "app_home_opened", "user": "U_ALICE", "channel": "D1", "tab": "home"}


@fuzz
@given(data=st.data())
async def test_mutated_signed_slack_events_never_fail(stage: Stage, data: st.DataObject) -> None:
    example = json.loads(signing.event_callback(stage.secret, event=HOME, event_id="Ev1").body)
    example["event_id"] = f"Ev{data.draw(st.integers(1, 10**9), label='event id')}"
    signed = signing.sign(
        stage.secret, dumps(mutate(data, example)), content_type=signing.JSON_TYPE
    )
    await check(stage, "POST", "/slack/events", content=signed.body, headers=signed.headers)


@fuzz
@given(data=st.data())
async def test_signed_slash_commands_with_hostile_fields_never_fail(
    stage: Stage, data: st.DataObject
) -> None:
    example = signing.slash_command(
        stage.secret,
        text="list",
        user_id="U_ALICE",
        channel_id="C_GENERAL",
        trigger_id="T1",
        response_url=stage.slack.new_response_url(channel_id="C_GENERAL", user_id="U_ALICE"),
    )
    fields = dict(parse_qsl(example.text))
    for key in data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3)):
        value = data.draw(leaf, label=key)
        fields[key] = value if isinstance(value, str) else json.dumps(value)
    body = urlencode(fields, errors="surrogatepass").encode("utf-8", "surrogatepass")
    signed = signing.sign(stage.secret, body, content_type=signing.FORM)
    await check(stage, "POST", "/slack/events", content=signed.body, headers=signed.headers)
