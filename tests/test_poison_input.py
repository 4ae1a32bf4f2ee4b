"""Malformed, deep, huge, mis-encoded and out-of-range input: a 4xx naming the problem, never a
5xx, nothing stored, one log line each; odd but valid text is stored normalised on both databases.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.alerts.sources import PARSERS
from bot.config import Config
from bot.db import session_scope
from bot.models import (
    Alert,
    AlertDelivery,
    Change,
    DueWork,
    EvalRun,
    Incident,
    SignalPoint,
    TimelineEvent,
)
from bot.sandbox.slack import signing
from bot.sandbox.stage import Stage
from tests.support.web import csrf, serve_pages, signed_in

TABLES = (AlertDelivery, Alert, Incident, TimelineEvent, Change, EvalRun, SignalPoint, DueWork)
DEEP = b"[" * 10_000 + b"]" * 10_000
MEDIUM_DEEP = json.dumps({"title": "x", "labels": {}, "raw": json.loads("[" * 200 + "]" * 200)})


def generic(title: str = "Refund answers wrong", **extra: Any) -> dict[str, Any]:
    return {"title": title, "dedupe_key": "k1", "labels": {"severity": "P2"}, **extra}


def alert_bodies() -> list[tuple[str, bytes]]:
    """(source, body) pairs every alert route must refuse with a 4xx."""
    bad = [
        b"",
        b"{",
        b"\xff\xfe\x00not utf-8",
        DEEP,
        MEDIUM_DEEP.encode(),
        b"[]",
        b"null",
        b'"just a string"',
        b"123",
        json.dumps({"labels": {}}).encode(),  # no title
        json.dumps(generic(title=None)).encode(),
        json.dumps(generic(labels=[1, 2])).encode(),
        json.dumps(generic(starts_at="not a date")).encode(),
        json.dumps(generic(status=2**64)).encode(),
        b'{"title": "a", "title": ' + b"9" * 5000 + b"}",
        b'{"title": "a", "labels": {}, "x": NaN}',  # Python's, not JSON; PostgreSQL refuses it
        b'{"title": "a", "values": {"v": -Infinity}}',
    ]
    return [(source.value, body) for source in PARSERS for body in bad]


def ledger_bodies() -> list[tuple[str, bytes]]:
    """(path, body) pairs /changes, /evals and /signals must refuse."""
    point = {"value": 0.9}
    batch = {"signal": "groundedness", "feature": "support"}
    change = {"kind": "prompt", "feature": "support", "from": "v1", "to": "v2"}
    run = {"suite": "refunds", "feature": "support", "passed": 1, "total": 2}
    return [
        ("/changes", DEEP),
        ("/changes", b"\xc3\x28"),
        ("/changes", json.dumps(change | {"at": "0001-01-01T00:00:00+14:00"}).encode()),
        ("/changes", json.dumps(change | {"feature": "x" * 5000}).encode()),
        ("/changes", json.dumps(change | {"kind": ["prompt"]}).encode()),
        ("/evals", DEEP),
        ("/evals", json.dumps(run | {"incident": 2**31}).encode()),
        ("/evals", json.dumps(run | {"incident": 2**64}).encode()),
        ("/evals", json.dumps(run | {"total": 2**31, "passed": 2**31}).encode()),
        ("/evals", json.dumps(run | {"at": "9999-12-31T23:59:59-14:00"}).encode()),
        ("/evals", json.dumps(run | {"incident": -1}).encode()),
        ("/evals", json.dumps(run | {"versions": {"model": {"nested": 1}}}).encode()),
        ("/signals", DEEP),
        (
            "/signals",
            json.dumps(batch | {"points": [point | {"at": "0001-01-01T00:30+01:00"}]}).encode(),
        ),
        (
            "/signals",
            json.dumps(batch | {"points": [point | {"at": "9999-12-31T23:59-14:00"}]}).encode(),
        ),
        ("/signals", json.dumps(batch | {"points": [{"passed": 2**64, "total": 2**64}]}).encode()),
    ]


API_GETS = [
    "/api/incidents/18446744073709551616",
    "/api/incidents/2147483648",
    "/api/incidents/abc",
    "/api/incidents/-1/postmortem.md",
    "/api/incidents?limit=0",
    "/api/incidents?status=burning",
    "/api/incidents?offset=99999999999999999999",
    "/api/action-items?incident=18446744073709551616",
    "/api/action-items?format=xml",
    "/api/action-items?limit=abc",
    "/api/incidents/99999999999999999999/chart.png",
    "/api/incidents/2147483648/chart.png",
    "/api/nothing-here",
]


async def stored(stage: Stage) -> dict[str, int]:
    async with session_scope(stage.deps.sessions) as session:
        return {
            t.__tablename__: int(await session.scalar(select(func.count()).select_from(t)) or 0)
            for t in TABLES
        }


def auth(stage: Stage) -> dict[str, str]:
    token = stage.deps.settings.webhook_token
    assert token is not None
    return {"Authorization": f"Bearer {token.get_secret_value()}"}


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and "refused" in r.msg]


async def expect_refused(
    stage: Stage, caplog: pytest.LogCaptureFixture, method: str, path: str, **kwargs: Any
) -> dict[str, Any]:
    caplog.clear()
    response = await stage.http.request(method, path, **kwargs)
    assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:300])
    body = response.json()
    assert set(body) == {"error", "field"}, (path, body)
    assert isinstance(body["error"], str) and body["error"]
    assert len(refusals(caplog)) == 1, (path, [r.getMessage() for r in caplog.records])
    return dict(body)


async def test_poison_bodies_are_refused_without_a_5xx_and_store_nothing(
    stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = await stored(stage)
    json_headers = auth(stage) | {"Content-Type": "application/json"}
    for source, body in alert_bodies():
        await expect_refused(
            stage, caplog, "POST", f"/alerts/{source}", content=body, headers=json_headers
        )
    for path, body in ledger_bodies():
        await expect_refused(stage, caplog, "POST", path, content=body, headers=json_headers)
    for path in API_GETS:
        await expect_refused(stage, caplog, "GET", path, headers=auth(stage))
    huge = b'{"title": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    await expect_refused(
        stage, caplog, "POST", "/alerts/generic", content=huge, headers=json_headers
    )
    await expect_refused(
        stage,
        caplog,
        "POST",
        "/alerts/generic",
        content=b"{}",
        headers={"Content-Type": "text/plain"},
    )
    assert await stored(stage) == before


async def test_out_of_range_numbers_name_their_field(stage: Stage) -> None:
    headers = auth(stage) | {"Content-Type": "application/json"}
    run = {"suite": "refunds", "feature": "support", "passed": 1, "total": 2, "incident": 2**31}
    response = await stage.http.post("/evals", content=json.dumps(run), headers=headers)
    assert response.status_code == 422 and response.json()["field"] == "incident"
    response = await stage.http.get("/api/incidents/18446744073709551616", headers=auth(stage))
    assert response.status_code == 422 and response.json()["field"] == "number"
    response = await stage.http.get("/api/incidents?limit=0", headers=auth(stage))
    assert response.status_code == 422 and response.json()["field"] == "limit"


async def test_unsigned_junk_on_slack_events_is_refused_in_one_line(
    stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = await stored(stage)
    junk = [b"", b"\x00" * 100, DEEP, b"payload=%7B%7D", b"command=/incident&text=list", b"\xff"]
    for body in junk:
        caplog.clear()
        response = await stage.http.post(
            "/slack/events", content=body, headers={"Content-Type": signing.FORM}
        )
        assert response.status_code == 401
        assert response.json() == {"error": "invalid signature", "field": None}
        assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    for body in (DEEP, b"\xff\xfe", b"payload=%7Bnot json", b"payload=" + DEEP):
        caplog.clear()
        signed = signing.sign(stage.secret, body, content_type=signing.FORM)
        response = await stage.http.post(
            "/slack/events", content=signed.body, headers=signed.headers
        )
        assert response.status_code == 400, body[:20]
        assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    assert await stored(stage) == before


SLACK_SHAPES = [
    b"2147483648",
    b"[]",
    b'"event_callback"',
    json.dumps({"type": "event_callback", "event": []}).encode(),
    json.dumps(
        {"type": "event_callback", "event": {"type": "app_home_opened"}, "team": 1}
    ).encode(),
    json.dumps({"type": "event_callback", "event": {"type": 5}}).encode(),
    json.dumps({"type": "event_callback", "event": {"type": "x"}, "authorizations": 7}).encode(),
]


async def test_signed_bodies_not_shaped_as_slack_sends_are_refused(
    stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = await stored(stage)
    for body in SLACK_SHAPES:
        caplog.clear()
        signed = signing.sign(stage.secret, body, content_type=signing.JSON_TYPE)
        response = await stage.http.post(
            "/slack/events", content=signed.body, headers=signed.headers
        )
        assert response.status_code == 400, (body, response.text)
        assert set(response.json()) == {"error", "field"}
        assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1, body
    form = signing.slash_command(
        stage.secret,
        text="list",
        user_id="U_ALICE",
        channel_id="C_GENERAL",
        trigger_id="T1",
        response_url="https://hooks.slack.com/commands/T1/1/x",
        command="2147483648",  # no listener for it: bolt's own 404
    )
    response = await stage.http.post("/slack/events", content=form.body, headers=form.headers)
    assert response.status_code == 404
    assert response.json() == {"error": "unhandled request", "field": None}
    assert await stored(stage) == before


TRACKERS = Config.model_validate(
    {
        "trackers": {
            "ai-jira": {
                "kind": "jira",
                "url": "https://acme.atlassian.net",
                "project": "AIQ",
                "default": True,
                "webhook_secret_env": "JIRA_WEBHOOK_SECRET",
            },
            "platform-linear": {
                "kind": "linear",
                "url": "https://api.linear.app/graphql",
                "team_id": "8f1b3c2e-5d4a-4e6f-9a7b-0c1d2e3f4a5b",
                "webhook_secret_env": "LINEAR_WEBHOOK_SECRET",
            },
        }
    }
)
JIRA_UPDATE = {"webhookEvent": "jira:issue_updated", "issue": {"id": "10001", "key": "AIQ-1"}}
STATUS_MOVE = {"changelog": {"items": [{"field": "status"}]}}


def tracker_bodies(now_ms: int) -> list[tuple[str, dict[str, Any], str]]:
    """(tracker, signed body, field) a tracker's webhook route must refuse, naming the field."""
    jira_fields = JIRA_UPDATE["issue"] | {"fields": {"status": {"statusCategory": 2**31}}}
    linear = {"type": "Issue", "action": "update", "webhookTimestamp": now_ms}
    linear |= {
        "data": {"id": "i1", "state": {"type": "completed"}},
        "updatedFrom": {"stateId": "s"},
    }
    return [
        (
            "jira",
            JIRA_UPDATE | STATUS_MOVE | {"issue": jira_fields},
            "issue.fields.status.statusCategory",
        ),
        ("jira", JIRA_UPDATE | {"changelog": []}, "changelog"),
        ("jira", JIRA_UPDATE | {"changelog": {"items": {"field": "status"}}}, "changelog.items"),
        (
            "jira",
            JIRA_UPDATE | STATUS_MOVE | {"issue": JIRA_UPDATE["issue"] | {"fields": "x"}},
            "issue.fields",
        ),
        ("linear", linear | {"actor": 2**31}, "actor"),
        ("linear", linear | {"data": {"id": "i1", "state": []}}, "data.state"),
        ("linear", linear | {"updatedFrom": "stateId"}, "updatedFrom"),
        ("linear", linear | {"webhookTimestamp": 10**400}, "webhookTimestamp"),
        ("linear", linear | {"webhookTimestamp": True}, "webhookTimestamp"),
    ]


@pytest.mark.parametrize("config", [TRACKERS])
async def test_tracker_webhooks_of_the_wrong_shape_name_their_field(
    stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    secrets = {"jira": "jira-secret", "linear": "linear-secret"}
    stage.deps.environ.update(
        {"JIRA_WEBHOOK_SECRET": secrets["jira"], "LINEAR_WEBHOOK_SECRET": secrets["linear"]}
    )
    before = await stored(stage)
    now_ms = int(stage.deps.clock().timestamp() * 1000)
    for tracker, body, field in tracker_bodies(now_ms):
        raw = json.dumps(body).encode()
        digest = hmac.new(secrets[tracker].encode(), raw, hashlib.sha256).hexdigest()
        header = (
            ("X-Hub-Signature", f"sha256={digest}")
            if tracker == "jira"
            else ("Linear-Signature", digest)
        )
        response = await expect_refused(
            stage,
            caplog,
            "POST",
            f"/integrations/{tracker}",
            content=raw,
            headers={"Content-Type": "application/json", header[0]: header[1]},
        )
        assert response["field"] == field, (body, response)
    nan = b'{"type": "Issue", "action": "update", "webhookTimestamp": NaN}'
    digest = hmac.new(secrets["linear"].encode(), nan, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "Linear-Signature": digest}
    await expect_refused(
        stage, caplog, "POST", "/integrations/linear", content=nan, headers=headers
    )
    assert await stored(stage) == before


async def test_nul_in_a_query_filter_finds_nothing(stage: Stage) -> None:
    for query in ("owner=%00", "team=a%00b", "owner=%00&team=%00&format=csv"):
        response = await stage.http.get(f"/api/action-items?{query}", headers=auth(stage))
        assert response.status_code == 200, (query, response.text)


async def test_web_pages_refuse_numbers_past_32_bits_and_clean_nul(stage: Stage) -> None:
    serve_pages(stage)
    browser = await signed_in(stage, "U_BOB")
    token = csrf((await browser.get("/ui/action-items")).text)
    for item in ("2147483648", "18446744073709551616"):
        r = await browser.post(f"/ui/action-items/{item}/state", data={"to": "done", "csrf": token})
        assert r.status_code == 422 and r.json()["field"] == "item_id", r.text[:300]
    for query in ("incident=2147483648", "incident=99999999999999999999"):
        r = await browser.get(f"/ui/action-items?{query}")
        assert r.status_code == 400 and "incident must be from 1" in r.text, (query, r.text[:300])
    for query in ("team=%00", "owner=a%00b", "page=99999999999999999999"):
        r = await browser.get(f"/ui/action-items?{query}")
        assert r.status_code == 200, (query, r.text[:300])
    await browser.aclose()


@pytest.mark.parametrize(
    "title",
    [
        "NUL \u0000 in the title",
        "lone surrogate \ud800 here",
        "both \udfff\u0000",
    ],
)
async def test_nul_and_lone_surrogates_are_stored_replaced(stage: Stage, title: str) -> None:
    body = json.dumps(generic(title=title, description=title, labels={"feature": title}))
    headers = auth(stage) | {"Content-Type": "application/json"}
    response = await stage.http.post("/alerts/generic", content=body, headers=headers)
    assert response.status_code == 202, response.text
    expected = (
        title.replace("\u0000", "\ufffd").replace("\ud800", "\ufffd").replace("\udfff", "\ufffd")
    )
    async with session_scope(stage.deps.sessions) as session:
        alert = await session.scalar(select(Alert))
        incident = await session.scalar(select(Incident))
    assert alert is not None and incident is not None
    assert alert.title == expected and alert.description == expected
    assert alert.labels["feature"] == expected
    assert incident.title == expected and incident.feature == expected


async def test_long_values_are_stored_clipped_not_refused(stage: Stage) -> None:
    long = "f" * 5000
    body = json.dumps(generic(title="t" * 5000, labels={"feature": long, "service": long}))
    headers = auth(stage) | {"Content-Type": "application/json"}
    response = await stage.http.post("/alerts/generic", content=body, headers=headers)
    assert response.status_code == 202, response.text
    await stage.settle()
    [channel] = [c for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")]
    assert len(channel.name) <= 80


async def test_a_nul_typed_into_a_command_is_stored_replaced(stage: Stage) -> None:
    headers = auth(stage) | {"Content-Type": "application/json"}
    response = await stage.http.post(
        "/alerts/generic", content=json.dumps(generic()), headers=headers
    )
    assert response.status_code == 202
    await stage.settle()
    [channel] = [c for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")]
    channel.members.append("U_ALICE")
    assert (await stage.command("note bad\x00byte", channel=channel.id)).status_code == 200
    await stage.settle()
    async with session_scope(stage.deps.sessions) as session:
        notes = (
            await session.scalars(select(TimelineEvent.text).where(TimelineEvent.kind == "note"))
        ).all()
    assert list(notes) == ["bad\ufffdbyte"]
