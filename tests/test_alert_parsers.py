"""Alert source parsers: documented sample payloads, malformed input, and properties."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts.schemas import Link, NormalizedAlert
from bot.alerts.sources import PARSERS, parse
from bot.errors import BadInput
from bot.vocabulary import AlertStatus, Source
from tests.support import vendor_payloads

PAYLOADS = Path(__file__).parent / "payloads"
SAMPLES = {
    Source.ALERTMANAGER: ["alertmanager.json", "alertmanager_two_regions.json"],
    Source.GRAFANA: ["grafana.json", "grafana_docs.json"],
    Source.DATADOG: ["datadog_triggered.json", "datadog_recovered.json"],
    Source.PAGERDUTY: [
        "pagerduty_triggered.json",
        "pagerduty_resolved.json",
        "pagerduty_priority_updated.json",
    ],
    Source.LANGFUSE: ["langfuse_prompt.json", "langfuse_alert.json"],
    Source.GENERIC: ["generic.json", "generic_alerts.json"],
}
SAMPLE_CASES = [(source, name) for source, names in SAMPLES.items() for name in names]


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def only(source: Source, body: Any) -> NormalizedAlert:
    alerts = parse(source, body)
    assert len(alerts) == 1
    return alerts[0]


def bad_field(source: Source, body: Any) -> str | None:
    with pytest.raises(BadInput) as caught:
        parse(source, body)
    return caught.value.field


# --- Alertmanager -------------------------------------------------------------------------


def test_alertmanager_keeps_every_alert_of_the_group() -> None:
    firing, resolved = parse(Source.ALERTMANAGER, load("alertmanager.json"))

    assert firing.source is Source.ALERTMANAGER
    assert firing.status is AlertStatus.FIRING
    assert firing.dedupe_key == "a1b2c3d4e5f60718"
    assert firing.external_id == "a1b2c3d4e5f60718@2024-05-02T14:20:11.512345+00:00"
    assert firing.title == "Faithfulness of billing answers below 0.80 for 15m"
    assert firing.description.startswith("Online eval faithfulness is 0.62")
    assert firing.severity == "P2"
    assert firing.labels["ai_incident_type"] == "quality_regression"
    assert firing.labels["feature"] == "billing-answers"
    assert firing.starts_at == datetime(2024, 5, 2, 14, 20, 11, 512345, tzinfo=UTC)
    assert firing.ends_at is None  # Go's zero time means "not ended"
    assert [link.title for link in firing.links] == ["Source", "Runbook", "Dashboard"]
    assert firing.links[1].url == "https://runbooks.example.com/llm/faithfulness"
    assert firing.values == {}

    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.title == "AnswerFaithfulnessLow"  # no summary: falls back to alertname
    assert resolved.starts_at == datetime(2024, 5, 2, 11, 50, tzinfo=UTC)
    assert resolved.ends_at == datetime(2024, 5, 2, 14, 25, tzinfo=UTC)


def test_alertmanager_raw_item_carries_group_fields() -> None:
    first = parse(Source.ALERTMANAGER, load("alertmanager.json"))[0]

    assert first.raw["fingerprint"] == "a1b2c3d4e5f60718"
    assert first.raw["group"]["receiver"] == "incidentbot"
    assert first.raw["group"]["commonLabels"]["service"] == "support-assistant"
    assert "alerts" not in first.raw["group"]


def test_alertmanager_without_fingerprint_hashes_sorted_labels() -> None:
    body = load("alertmanager.json")
    del body["alerts"][0]["fingerprint"]
    reordered = copy.deepcopy(body)
    reordered["alerts"][0]["labels"] = dict(reversed(body["alerts"][0]["labels"].items()))

    key = parse(Source.ALERTMANAGER, body)[0].dedupe_key
    assert key == parse(Source.ALERTMANAGER, reordered)[0].dedupe_key
    assert len(key) == 32
    assert key != parse(Source.ALERTMANAGER, body)[1].dedupe_key


def test_alertmanager_status_falls_back_to_group_status() -> None:
    body = load("alertmanager.json")
    del body["alerts"][1]["status"]
    assert parse(Source.ALERTMANAGER, body)[1].status is AlertStatus.FIRING


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("alerts"), "alerts"),
        (lambda b: b.update(alerts=[]), "alerts"),
        (lambda b: b.update(alerts={"0": {}}), "alerts"),
        (lambda b: b["alerts"].__setitem__(1, "firing"), "alerts[1]"),
        (lambda b: b["alerts"][0].update(labels=["alertname"]), "alerts[0].labels"),
        (lambda b: b["alerts"][1].update(annotations="runbook"), "alerts[1].annotations"),
        (lambda b: b["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt"),
        (lambda b: b["alerts"][1].update(endsAt=1714659900), "alerts[1].endsAt"),
        (lambda b: b["alerts"][0].update(status="pending"), "alerts[0].status"),
        (lambda b: b["alerts"][0].update(generatorURL=42), "alerts[0].generatorURL"),
        (lambda b: b["alerts"][1]["labels"].pop("alertname"), "alerts[1].labels.alertname"),
    ],
)
def test_alertmanager_names_the_bad_field(mutate: Any, field: str) -> None:
    body = load("alertmanager.json")
    mutate(body)
    assert bad_field(Source.ALERTMANAGER, body) == field


def test_non_object_body_is_rejected_for_every_source() -> None:
    for source in PARSERS:
        with pytest.raises(BadInput, match="expected a JSON object, got array"):
            parse(source, [load("generic.json")])


def test_every_source_has_sample_payloads_and_generated_valid_bodies() -> None:
    # A new parser needs its documented payloads in SAMPLES and a strategy in VALID_BODIES.
    assert set(SAMPLES) == set(PARSERS)
    assert set(VALID_BODIES) == set(PARSERS)


def test_unknown_source_is_bad_input() -> None:
    assert bad_field("nagios", {"title": "x"}) == "source"  # type: ignore[arg-type]


# --- Grafana ------------------------------------------------------------------------------


def test_grafana_alert_fields_values_and_links() -> None:
    latency, retrieval = parse(Source.GRAFANA, load("grafana.json"))

    assert latency.source is Source.GRAFANA
    assert latency.dedupe_key == "bc97ff14869b13e3"
    assert latency.external_id == "bc97ff14869b13e3@2024-05-02T07:51:03.157076+00:00"
    assert latency.starts_at == datetime(2024, 5, 2, 7, 51, 3, 157076, tzinfo=UTC)
    assert latency.title == "p95 completion latency above 8s"
    assert latency.severity == "P2"
    assert latency.labels["ai_incident_type"] == "availability_latency"
    assert latency.values == {"B": 11.2, "C": 1.0}
    assert latency.links == (
        Link(title="Alert rule", url="https://grafana.example.com/alerting/grafana/d1rdpdv7k/view"),
        Link(title="Dashboard", url="https://grafana.example.com/d/llm-latency"),
        Link(title="Panel", url="https://grafana.example.com/d/llm-latency?viewPanel=4"),
        Link(
            title="Silence",
            url="https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DLLM",
        ),
        Link(title="Runbook", url="https://runbooks.example.com/llm/latency"),
    )
    assert latency.raw["group"]["title"] == "[FIRING:2] LLM (chat-api)"
    assert latency.raw["group"]["orgId"] == 1

    assert retrieval.values == {"A": 0.31}  # read from valueString when `values` is absent
    assert retrieval.severity is None
    assert [link.title for link in retrieval.links] == ["Alert rule", "Silence"]  # "" skipped


def test_grafana_falls_back_to_notification_title() -> None:
    body = load("grafana.json")
    del body["alerts"][1]["labels"]["alertname"]
    assert parse(Source.GRAFANA, body)[1].title == "[FIRING:2] LLM (chat-api)"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["alerts"][0].update(values=[11.2]), "alerts[0].values"),
        (lambda b: b["alerts"][0]["values"].update(B="high"), "alerts[0].values.B"),
        (lambda b: b["alerts"][0]["values"].update(B=True), "alerts[0].values.B"),
        (lambda b: b["alerts"][1].update(valueString=3), "alerts[1].valueString"),
        (lambda b: b["alerts"][0].update(dashboardURL={}), "alerts[0].dashboardURL"),
    ],
)
def test_grafana_names_the_bad_field(mutate: Any, field: str) -> None:
    body = load("grafana.json")
    mutate(body)
    assert bad_field(Source.GRAFANA, body) == field


# --- Datadog ------------------------------------------------------------------------------


def test_datadog_triggered() -> None:
    alert = only(Source.DATADOG, load("datadog_triggered.json"))

    assert alert.source is Source.DATADOG
    assert alert.status is AlertStatus.FIRING
    assert alert.external_id == "7612346876123468761"
    assert alert.dedupe_key == "7612340000000000001"
    assert alert.severity == "P1"
    assert alert.title == "Safety classifier flag rate above 2% on assistant"
    assert alert.description.startswith("Flagged outputs rose to 3.4%")
    assert alert.labels == {
        "ai_incident_type": "safety_violation",
        "env": "prod",
        "feature": "assistant",
        "service": "chat-api",
        "team": "ml,safety",
        "host": "chat-api-7d9f",
        "metric": "llm.safety.flag_rate",
    }
    assert alert.links == (
        Link(title="Datadog", url="https://app.datadoghq.com/event/event?id=7612346876123468761"),
    )
    assert alert.starts_at == datetime(2024, 5, 2, 10, 20, tzinfo=UTC)
    assert alert.ends_at is None


def test_datadog_recovered_resolves_the_same_cycle() -> None:
    triggered = only(Source.DATADOG, load("datadog_triggered.json"))
    recovered = only(Source.DATADOG, load("datadog_recovered.json"))

    assert recovered.status is AlertStatus.RESOLVED
    assert recovered.dedupe_key == triggered.dedupe_key
    assert recovered.external_id != triggered.external_id
    assert recovered.starts_at is None
    assert recovered.ends_at == datetime(2024, 5, 2, 10, 50, tzinfo=UTC)
    assert "host" not in recovered.labels  # $HOSTNAME was empty


@pytest.mark.parametrize("transition", ["Warn", "Re-Triggered", "No Data", "Renotify"])
def test_datadog_other_transitions_stay_firing(transition: str) -> None:
    body = load("datadog_triggered.json") | {"transition": transition}
    assert only(Source.DATADOG, body).status is AlertStatus.FIRING


def test_datadog_falls_back_to_alert_id_and_accepts_numbers() -> None:
    body = load("datadog_triggered.json") | {"alert_cycle_key": "", "alert_id": 145287762}
    body |= {"date": 1714645200000, "tags": ["env:prod", "beta"]}
    alert = only(Source.DATADOG, body)

    assert alert.dedupe_key == "145287762"
    assert alert.starts_at == datetime(2024, 5, 2, 10, 20, tzinfo=UTC)
    assert alert.labels["env"] == "prod"
    assert alert.labels["beta"] == ""


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"transition": None, "title": "Safety flag rate high"}, "transition"),
        ({"title": "  "}, "title"),
        ({"title": ["x"]}, "title"),
        ({"alert_cycle_key": {"k": 1}}, "alert_cycle_key"),
        ({"date": "tomorrow"}, "date"),
        ({"date": "99999999999999999"}, "date"),
        ({"tags": 5}, "tags"),
        ({"tags": ["env:prod", 5]}, "tags"),
        ({"link": 7}, "link"),
    ],
)
def test_datadog_names_the_bad_field(change: dict[str, Any], field: str) -> None:
    assert bad_field(Source.DATADOG, load("datadog_triggered.json") | change) == field


def test_datadog_default_payload_reads_the_transition_from_the_title() -> None:
    body = vendor_payloads.datadog("datadog_default_template.json")
    alert = only(Source.DATADOG, body)

    assert alert.status is AlertStatus.FIRING
    assert alert.title == "[Memory Alert]"
    assert alert.external_id == "1234567"
    assert alert.description == "@webhook-url Sending to the webhook"
    assert alert.labels == {"event_type": "metric_alert_monitor"}
    assert alert.starts_at == datetime(2014, 7, 29, 19, 37, 52, tzinfo=UTC)


def test_datadog_default_payload_recovery_resolves_the_same_alert() -> None:
    triggered = only(Source.DATADOG, vendor_payloads.datadog("datadog_default_template.json"))
    recovered = only(
        Source.DATADOG,
        vendor_payloads.datadog(
            "datadog_default_template.json", EVENT_TITLE="[Recovered] [Memory Alert]", ID="99"
        ),
    )

    assert recovered.status is AlertStatus.RESOLVED
    assert recovered.dedupe_key == triggered.dedupe_key
    assert recovered.ends_at == datetime(2014, 7, 29, 19, 37, 52, tzinfo=UTC)


@pytest.mark.parametrize(
    ("title", "status", "priority", "clean"),
    [
        ("[P2] [Re-Triggered] CPU high", AlertStatus.FIRING, "P2", "CPU high"),
        ("[Warn] Latency rising", AlertStatus.FIRING, None, "Latency rising"),
        ("[No Data] Eval job silent", AlertStatus.FIRING, None, "Eval job silent"),
        ("[Recovered on {host:web-1}] Host is Down", AlertStatus.RESOLVED, None, "Host is Down"),
    ],
)
def test_datadog_title_tags_give_transition_and_priority(
    title: str, status: AlertStatus, priority: str | None, clean: str
) -> None:
    body = vendor_payloads.datadog("datadog_default_template.json", EVENT_TITLE=title)
    alert = only(Source.DATADOG, body)
    assert (alert.status, alert.severity, alert.title) == (status, priority, clean)


def test_datadog_default_payload_keeps_per_host_alerts_apart() -> None:
    def key(title: str) -> str:
        body = vendor_payloads.datadog("datadog_default_template.json", EVENT_TITLE=title)
        return only(Source.DATADOG, body).dedupe_key

    web1 = key("[Triggered on {host:web-1}] Host is Down")
    assert web1 == key("[Recovered on {host:web-1}] Host is Down")
    assert web1 != key("[Triggered on {host:web-2}] Host is Down")


def test_datadog_default_payload_without_a_transition_is_refused() -> None:
    body = vendor_payloads.datadog("datadog_default_template.json", EVENT_TITLE="Deploy done")
    assert bad_field(Source.DATADOG, body) == "transition"


def test_datadog_variable_named_payload() -> None:
    body = vendor_payloads.datadog("datadog_variables_template.json")
    alert = only(Source.DATADOG, body)

    assert alert.status is AlertStatus.FIRING
    assert alert.title == "[Memory Alert]"  # the event title comes first, as in our template
    assert alert.severity == "P1"  # $ALERT_PRIORITY; "priority" is $PRIORITY (normal/low)
    assert alert.dedupe_key == "1234:availability-zone:us-east-1a, role:computing-node"
    assert alert.labels == {
        "monitor": "",
        "role": "computing-node",
        "availability-zone": "us-east-1a",
        "host": "ip-012345",
        "metric": "system.load.1",
        "event_type": "metric_alert_monitor",
    }
    recovered = vendor_payloads.datadog(
        "datadog_variables_template.json", ALERT_TRANSITION="Recovered", ID="1234568"
    )
    resolved = only(Source.DATADOG, recovered)
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.dedupe_key == alert.dedupe_key


# --- PagerDuty ----------------------------------------------------------------------------


def test_pagerduty_triggered() -> None:
    alert = only(Source.PAGERDUTY, load("pagerduty_triggered.json"))

    assert alert.source is Source.PAGERDUTY
    assert alert.status is AlertStatus.FIRING
    assert alert.external_id == "01DEN1HNLBC1VITRNEDA5XHYQX"
    assert alert.dedupe_key == "llm-gateway/provider-timeouts"
    assert alert.title == "Provider timeouts above 5% on LLM gateway"
    assert alert.severity == "P1"
    assert alert.labels == {
        "event_type": "incident.triggered",
        "service": "LLM Gateway",
        "urgency": "high",
        "pagerduty_status": "triggered",
        "incident_number": "4821",
    }
    assert alert.links == (
        Link(
            title="PagerDuty incident",
            url="https://acme.pagerduty.com/incidents/Q2K7LQ0ZSG1X9S",
        ),
    )
    assert alert.starts_at == datetime(2024, 5, 2, 14, 29, 58, tzinfo=UTC)
    assert alert.ends_at is None
    assert alert.raw["event_type"] == "incident.triggered"


def test_pagerduty_resolved_uses_incident_id_without_key() -> None:
    alert = only(Source.PAGERDUTY, load("pagerduty_resolved.json"))

    assert alert.status is AlertStatus.RESOLVED
    assert alert.dedupe_key == "Q2K7LQ0ZSG1X9S"
    assert alert.severity == "low"  # no priority: urgency stands in
    assert alert.ends_at == datetime(2024, 5, 2, 15, 2, 10, tzinfo=UTC)


def test_pagerduty_acknowledged_stays_firing() -> None:
    body = load("pagerduty_triggered.json")
    body["event"]["event_type"] = "incident.acknowledged"
    body["event"]["data"]["status"] = "acknowledged"
    assert only(Source.PAGERDUTY, body).status is AlertStatus.FIRING


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("event"), "event"),
        (lambda b: b.update(event="incident.triggered"), "event"),
        (lambda b: b["event"].pop("id"), "event.id"),
        (lambda b: b["event"].pop("event_type"), "event.event_type"),
        (lambda b: b["event"].update(resource_type="service"), "event.resource_type"),
        (lambda b: b["event"].pop("data"), "event.data"),
        (lambda b: b["event"].update(occurred_at="14:30"), "event.occurred_at"),
        (lambda b: b["event"]["data"].pop("title"), "event.data.title"),
        (lambda b: b["event"]["data"].update(service="LLM Gateway"), "event.data.service"),
        (lambda b: b["event"]["data"].update(priority=["P1"]), "event.data.priority"),
        (lambda b: b["event"]["data"].update(incident_key=None, id=None), "event.data.id"),
    ],
)
def test_pagerduty_names_the_bad_field(mutate: Any, field: str) -> None:
    body = load("pagerduty_triggered.json")
    mutate(body)
    assert bad_field(Source.PAGERDUTY, body) == field


# --- Langfuse -----------------------------------------------------------------------------


def test_langfuse_prompt_version_event() -> None:
    alert = only(Source.LANGFUSE, load("langfuse_prompt.json"))

    assert alert.source is Source.LANGFUSE
    assert alert.status is AlertStatus.FIRING
    assert alert.external_id == "550e8400-e29b-41d4-a716-446655440000"
    assert alert.dedupe_key == "langfuse-prompt:xyz789:movie-critic:v3"
    assert alert.title == "Prompt movie-critic v3 created"
    assert alert.description == "Improved critic persona"
    assert alert.labels == {
        "langfuse_event": "prompt",
        "action": "created",
        "prompt_name": "movie-critic",
        "prompt_version": "3",
        "prompt_labels": "production,latest",
        "prompt_tags": "entertainment",
        "project_id": "xyz789",
    }
    assert alert.starts_at == datetime(2024, 7, 10, 10, 30, tzinfo=UTC)
    assert alert.severity is None


def test_langfuse_alert() -> None:
    alert = only(Source.LANGFUSE, load("langfuse_alert.json"))

    assert alert.status is AlertStatus.FIRING
    assert alert.external_id == "550e8400-e29b-41d4-a716-446655440000"
    assert alert.dedupe_key == "langfuse-alert:proj_xyz789:monitor_abc123"
    assert alert.title == "avg latency crossed alert threshold"
    assert alert.description == (
        "avg latency is 1234 ms (threshold: 1000 ms) over the last 1 hour\n"
        "Window: 2024-07-10 09:30–10:30 UTC (1h)"
    )
    assert alert.severity == "P2"
    assert alert.labels == {
        "langfuse_event": "alert",
        "langfuse_severity": "ALERT",
        "monitor_id": "monitor_abc123",
        "project_id": "proj_xyz789",
        "view": "observations",
        "window": "1h",
    }
    permalink = "https://cloud.langfuse.com/project/proj_xyz789/monitors/monitor_abc123"
    assert alert.links == (Link(title="Langfuse alert", url=permalink),)
    assert alert.starts_at == datetime(2024, 7, 10, 9, 30, tzinfo=UTC)  # the window's start


def langfuse_alert(severity: str, **change: Any) -> dict[str, Any]:
    body = load("langfuse_alert.json")
    body["payload"] |= {"severity": severity, **change}
    return dict(body)


def test_langfuse_alert_recovery_resolves_the_same_alert() -> None:
    firing = only(Source.LANGFUSE, load("langfuse_alert.json"))
    message = {"title": "[OK] avg latency", "body": "recovered"}
    body = langfuse_alert("OK", message=message, timestamp="2024-07-10T11:30:00Z")
    resolved = only(Source.LANGFUSE, body | {"id": "evt-ok"})

    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.dedupe_key == firing.dedupe_key
    assert resolved.severity is None
    assert resolved.ends_at == datetime(2024, 7, 10, 11, 30, tzinfo=UTC)
    assert resolved.starts_at is None


@pytest.mark.parametrize(("level", "severity"), [("WARNING", "P3"), ("NO_DATA", "P3")])
def test_langfuse_warning_is_lower_than_alert(level: str, severity: str) -> None:
    alert = only(Source.LANGFUSE, langfuse_alert(level))
    assert (alert.status, alert.severity) == (AlertStatus.FIRING, severity)
    assert alert.labels["langfuse_severity"] == level


@pytest.mark.parametrize(
    ("name", "mutate", "field"),
    [
        ("langfuse_prompt.json", lambda b: b.pop("type"), "type"),
        ("langfuse_prompt.json", lambda b: b.update(type="trace-create"), "type"),
        ("langfuse_prompt.json", lambda b: b.pop("prompt"), "prompt"),
        ("langfuse_prompt.json", lambda b: b.pop("action"), "action"),
        ("langfuse_prompt.json", lambda b: b["prompt"].pop("name"), "prompt.name"),
        ("langfuse_prompt.json", lambda b: b["prompt"].update(version=None), "prompt.version"),
        ("langfuse_prompt.json", lambda b: b["prompt"].update(labels="prod"), "prompt.labels"),
        ("langfuse_prompt.json", lambda b: b.update(timestamp="now"), "timestamp"),
        ("langfuse_alert.json", lambda b: b.pop("payload"), "payload"),
        ("langfuse_alert.json", lambda b: b["payload"].pop("monitorId"), "payload.monitorId"),
        ("langfuse_alert.json", lambda b: b["payload"].pop("projectId"), "payload.projectId"),
        ("langfuse_alert.json", lambda b: b["payload"].pop("severity"), "payload.severity"),
        (
            "langfuse_alert.json",
            lambda b: b["payload"].update(severity="PAUSED"),
            "payload.severity",
        ),
        ("langfuse_alert.json", lambda b: b["payload"].update(message="x"), "payload.message"),
        (
            "langfuse_alert.json",
            lambda b: b["payload"].update(fromTimestamp="yesterday"),
            "payload.fromTimestamp",
        ),
        ("langfuse_alert.json", lambda b: b.pop("id"), "id"),
    ],
)
def test_langfuse_names_the_bad_field(name: str, mutate: Any, field: str) -> None:
    body = load(name)
    mutate(body)
    assert bad_field(Source.LANGFUSE, body) == field


# --- Generic ------------------------------------------------------------------------------


def test_generic_single_alert() -> None:
    alert = only(Source.GENERIC, load("generic.json"))

    assert alert.source is Source.GENERIC
    assert alert.status is AlertStatus.FIRING
    assert alert.external_id == "evt-2024-05-02-0007"
    assert alert.dedupe_key == "refunds-escalation-storm"
    assert alert.severity == "P3"
    assert alert.title == "Escalation-to-human rate doubled on refunds"
    assert alert.labels == {
        "ai_incident_type": "distribution_shift",
        "feature": "refunds",
        "service": "support-assistant",
        "shard": "3",
    }
    assert alert.links == (
        Link(title="Dashboard", url="https://grafana.example.com/d/escalations"),
        Link(title="Link", url="https://runbooks.example.com/distribution-shift"),
    )
    assert alert.starts_at == datetime(2024, 5, 2, 16, 0, tzinfo=UTC)  # naive means UTC
    assert alert.values == {"escalation_rate": 0.09, "baseline": 0.04}
    assert alert.raw == load("generic.json")


def test_generic_group_defaults() -> None:
    blocked, lagging = parse(Source.GENERIC, load("generic_alerts.json"))

    assert blocked.status is AlertStatus.FIRING
    assert len(blocked.dedupe_key) == 32
    assert blocked.external_id == blocked.dedupe_key  # no id, no start time
    assert blocked.links == ()
    assert lagging.status is AlertStatus.RESOLVED
    assert lagging.ends_at == datetime(2024, 5, 2, 18, 0, tzinfo=UTC)


def test_generic_group_fields_ride_along_in_raw() -> None:
    body = {"alerts": [{"title": "a"}], "sender": "nightly-evals"}
    assert only(Source.GENERIC, body).raw == {"title": "a", "group": {"sender": "nightly-evals"}}


def test_generic_default_key_depends_on_title_and_labels_only() -> None:
    one = only(Source.GENERIC, {"title": "T", "labels": {"a": "1", "b": "2"}, "id": "x"})
    same = only(Source.GENERIC, {"title": "T", "labels": {"b": "2", "a": 1}, "severity": "P1"})
    other = only(Source.GENERIC, {"title": "T", "labels": {"a": "1"}})

    assert one.dedupe_key == same.dedupe_key
    assert one.dedupe_key != other.dedupe_key


def test_long_title_and_description_are_cut() -> None:
    alert = only(Source.GENERIC, {"title": "t" * 1000, "description": "d" * 5000})

    assert len(alert.title) == 300
    assert alert.title.endswith("…")
    assert len(alert.description) == 4000


def test_text_is_kept_unescaped() -> None:
    alert = only(Source.GENERIC, {"title": "<!channel> & <https://x.example|y>"})
    assert alert.title == "<!channel> & <https://x.example|y>"


def test_label_values_are_coerced_to_strings() -> None:
    body = {"title": "t", "labels": {"n": 3, "f": 0.5, "b": True, "z": None, "l": [1, "a"]}}
    labels = only(Source.GENERIC, body).labels
    assert labels == {"n": "3", "f": "0.5", "b": "true", "z": "null", "l": '[1, "a"]'}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "firing"}, "title"),
        ({"title": 12}, "title"),
        ({"title": "t", "status": "ok"}, "status"),
        ({"title": "t", "labels": "env=prod"}, "labels"),
        ({"title": "t", "links": "https://x.example"}, "links"),
        ({"title": "t", "links": ["https://x.example", "ftp://x"]}, "links[1]"),
        ({"title": "t", "links": [{"title": "Runbook"}]}, "links[0].url"),
        ({"title": "t", "links": [{"url": "javascript:alert(1)"}]}, "links[0].url"),
        ({"title": "t", "starts_at": "soon"}, "starts_at"),
        ({"title": "t", "ends_at": 1714645200}, "ends_at"),
        ({"title": "t", "values": {"x": "1"}}, "values.x"),
        ({"title": "t", "values": {"x": 10**400}}, "values.x"),
        ({"title": "t", "values": {"x": float("nan")}}, "values.x"),
        ({"alerts": [{"title": "a"}, {"severity": "P1"}]}, "alerts[1].title"),
        ({"alerts": [{"title": "a", "labels": [1]}]}, "alerts[0].labels"),
        ({"alerts": []}, "alerts"),
        ({"alerts": None}, "alerts"),
    ],
)
def test_generic_names_the_bad_field(body: dict[str, Any], field: str) -> None:
    assert bad_field(Source.GENERIC, body) == field


def test_time_offsets_are_converted_to_utc() -> None:
    alert = only(Source.GENERIC, {"title": "t", "starts_at": "2024-05-02T23:30:00-07:00"})
    assert alert.starts_at == datetime(2024, 5, 3, 6, 30, tzinfo=UTC)
    assert alert.starts_at is not None and alert.starts_at.tzinfo is UTC


def test_time_beyond_range_after_conversion_is_bad_input() -> None:
    body = {"title": "t", "starts_at": "9999-12-31T23:59:59-05:00"}
    assert bad_field(Source.GENERIC, body) == "starts_at"


# --- Properties ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def parse_or_bad_input(source: Source, body: Any) -> list[NormalizedAlert] | None:
    """Parse, allowing only BadInput; a successful parse must be non-empty and well-formed."""
    try:
        alerts = parse(source, body)
    except BadInput as error:
        assert error.reason
        return None
    assert alerts
    for alert in alerts:
        assert_well_formed(alert, source)
    return alerts


def assert_well_formed(alert: NormalizedAlert, source: Source) -> None:
    assert alert.source is source
    assert alert.title.strip() and len(alert.title) <= 300
    assert len(alert.description) <= 4000
    assert alert.dedupe_key and alert.external_id
    assert all(isinstance(value, str) for value in alert.labels.values())
    for moment in (alert.starts_at, alert.ends_at):
        assert moment is None or moment.utcoffset() == timedelta(0)


def json_paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `doc`, as key/index tuples."""
    found = [prefix] if prefix else []
    children = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    )
    for key, child in children:
        found += json_paths(child, (*prefix, key))
    return found


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A deep copy of `doc` with the value at `path` replaced."""
    result = copy.deepcopy(doc)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return result


@pytest.mark.parametrize("source", list(PARSERS))
@PROPERTY_SETTINGS
@given(body=json_values)
def test_arbitrary_json_raises_only_bad_input(source: Source, body: Any) -> None:
    parse_or_bad_input(source, body)


@pytest.mark.parametrize(("source", "name"), SAMPLE_CASES)
@PROPERTY_SETTINGS
@given(data=st.data(), value=json_values)
def test_any_one_field_replaced_raises_only_bad_input(
    source: Source, name: str, data: st.DataObject, value: Any
) -> None:
    sample = load(name)
    path = data.draw(st.sampled_from(json_paths(sample)))
    parse_or_bad_input(source, replaced(sample, path, value))


# Generated valid payloads, one strategy per source.

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=12)
titles = st.text(min_size=1, max_size=400).filter(lambda text: text.strip() != "")
labels = st.dictionaries(words, st.text(max_size=20) | st.integers() | st.booleans(), max_size=5)
floats = st.floats(allow_nan=False, allow_infinity=False)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-7))])
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets | st.none()
)
iso_times = moments.map(datetime.isoformat)
statuses = st.sampled_from(["firing", "resolved"])
urls = words.map(lambda word: f"https://monitor.example.com/{word}")


def am_alerts(with_grafana: bool) -> st.SearchStrategy[dict[str, Any]]:
    extra = {"values": st.dictionaries(words, floats, max_size=3)} if with_grafana else {}
    return st.fixed_dictionaries(
        {
            "status": statuses,
            "labels": st.tuples(labels, titles).map(lambda pair: pair[0] | {"alertname": pair[1]}),
            "annotations": st.dictionaries(st.sampled_from(["summary", "description"]), titles),
            "startsAt": iso_times,
            "endsAt": iso_times | st.just("0001-01-01T00:00:00Z"),
            "generatorURL": urls,
            **extra,
        },
        optional={"fingerprint": st.text(alphabet="0123456789abcdef", min_size=16, max_size=16)},
    )


def am_groups(with_grafana: bool) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "version": st.just("4"),
            "status": statuses,
            "receiver": words,
            "commonLabels": labels,
            "alerts": st.lists(am_alerts(with_grafana), min_size=1, max_size=5),
        }
    )


datadog_events = st.fixed_dictionaries(
    {
        "id": st.integers(min_value=1).map(str),
        "alert_cycle_key": st.integers(min_value=1).map(str),
        "transition": st.sampled_from(
            ["Triggered", "Recovered", "Warn", "Re-Triggered", "No Data"]
        ),
        "title": titles,
        "priority": st.sampled_from(["P1", "P2", "P3", "P4", "P5", ""]),
        "tags": st.lists(st.tuples(words, words).map(":".join), max_size=4).map(",".join),
        "date": st.integers(min_value=0, max_value=4_000_000_000_000).map(str),
        "link": urls,
    }
)
pagerduty_events = st.fixed_dictionaries(
    {
        "event": st.fixed_dictionaries(
            {
                "id": words,
                "event_type": st.sampled_from(
                    ["incident.triggered", "incident.acknowledged", "incident.resolved"]
                ),
                "resource_type": st.just("incident"),
                "occurred_at": iso_times,
                "data": st.fixed_dictionaries(
                    {"id": words, "title": titles, "html_url": urls},
                    optional={"incident_key": words, "urgency": st.sampled_from(["high", "low"])},
                ),
            }
        )
    }
)
langfuse_events = st.fixed_dictionaries(
    {
        "id": words,
        "timestamp": iso_times,
        "type": st.just("prompt-version"),
        "action": st.sampled_from(["created", "updated", "deleted"]),
        "prompt": st.fixed_dictionaries(
            {"name": words, "version": st.integers(1, 500), "labels": st.lists(words, max_size=3)}
        ),
    }
) | st.fixed_dictionaries(
    {
        "id": words,
        "timestamp": iso_times,
        "type": st.just("monitor-alert"),
        "apiVersion": st.just("v1"),
        "payload": st.fixed_dictionaries(
            {
                "monitorId": words,
                "projectId": words,
                "severity": st.sampled_from(["ALERT", "WARNING", "NO_DATA", "OK"]),
                "message": st.fixed_dictionaries({"title": titles, "body": titles}),
            },
            optional={
                "permalink": urls,
                "fromTimestamp": iso_times,
                "toTimestamp": iso_times,
                "window": words,
            },
        ),
    }
)
generic_alerts = st.fixed_dictionaries(
    {"title": titles},
    optional={
        "status": statuses,
        "labels": labels,
        "starts_at": iso_times,
        "ends_at": iso_times,
        "links": st.lists(urls, max_size=3),
        "values": st.dictionaries(words, floats, max_size=3),
    },
)
generic_bodies = generic_alerts | st.lists(generic_alerts, min_size=1, max_size=4).map(
    lambda alerts: {"alerts": alerts}
)

VALID_BODIES: dict[Source, st.SearchStrategy[dict[str, Any]]] = {
    Source.ALERTMANAGER: am_groups(with_grafana=False),
    Source.GRAFANA: am_groups(with_grafana=True),
    Source.DATADOG: datadog_events,
    Source.PAGERDUTY: pagerduty_events,
    Source.LANGFUSE: langfuse_events,
    Source.GENERIC: generic_bodies,
}


def expected_count(source: Source, body: dict[str, Any]) -> int:
    return len(body["alerts"]) if "alerts" in body else 1


@pytest.mark.parametrize("source", list(PARSERS))
@PROPERTY_SETTINGS
@given(data=st.data())
def test_valid_payloads_parse_completely_and_repeatably(
    source: Source, data: st.DataObject
) -> None:
    body = data.draw(VALID_BODIES[source])

    alerts = parse_or_bad_input(source, copy.deepcopy(body))
    again = parse(source, copy.deepcopy(body))

    assert alerts is not None, "a valid payload was rejected"
    assert len(alerts) == expected_count(source, body)
    assert [(a.dedupe_key, a.external_id) for a in alerts] == [
        (a.dedupe_key, a.external_id) for a in again
    ]


@PROPERTY_SETTINGS
@given(group=am_groups(with_grafana=False))
def test_alertmanager_statuses_follow_each_alert(group: dict[str, Any]) -> None:
    alerts = parse(Source.ALERTMANAGER, group)
    assert [a.status.value for a in alerts] == [item["status"] for item in group["alerts"]]


@PROPERTY_SETTINGS
@given(group=am_groups(with_grafana=True))
def test_grafana_values_are_kept(group: dict[str, Any]) -> None:
    alerts = parse(Source.GRAFANA, group)
    assert [a.values for a in alerts] == [item["values"] for item in group["alerts"]]


@PROPERTY_SETTINGS
@given(event=datadog_events)
def test_datadog_resolves_only_on_recovered(event: dict[str, Any]) -> None:
    alert = only(Source.DATADOG, event)
    assert (alert.status is AlertStatus.RESOLVED) == (event["transition"] == "Recovered")
    assert alert.dedupe_key == event["alert_cycle_key"]


@PROPERTY_SETTINGS
@given(body=pagerduty_events)
def test_pagerduty_keys_follow_the_event(body: dict[str, Any]) -> None:
    event = body["event"]
    alert = only(Source.PAGERDUTY, body)
    assert alert.external_id == event["id"]
    assert alert.dedupe_key == event["data"].get("incident_key", event["data"]["id"])
    resolved = event["event_type"] == "incident.resolved"
    assert (alert.status is AlertStatus.RESOLVED) == resolved


@PROPERTY_SETTINGS
@given(event=langfuse_events)
def test_langfuse_events_are_labelled_by_kind(event: dict[str, Any]) -> None:
    alert = only(Source.LANGFUSE, event)
    kind = "prompt" if event["type"] == "prompt-version" else "alert"
    assert alert.labels["langfuse_event"] == kind
    assert alert.external_id == event["id"]
    if kind == "alert":
        recovered = event["payload"]["severity"] == "OK"
        assert (alert.status is AlertStatus.RESOLVED) == recovered


@PROPERTY_SETTINGS
@given(body=generic_bodies)
def test_generic_keys_are_stable_across_label_order(body: dict[str, Any]) -> None:
    flipped = copy.deepcopy(body)
    for item in flipped.get("alerts", [flipped]):
        item["labels"] = dict(reversed(list(item.get("labels", {}).items())))
    keys = [a.dedupe_key for a in parse(Source.GENERIC, body)]
    assert keys == [a.dedupe_key for a in parse(Source.GENERIC, flipped)]
