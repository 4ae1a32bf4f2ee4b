"""Pure alert rules: which incident an alert belongs to, and the monitors' combined state."""

from __future__ import annotations

from bot.alerts import rules
from bot.alerts.schemas import NormalizedAlert, Routing, RoutingRule
from bot.vocabulary import AlertStatus, Source

FIRING, RESOLVED = AlertStatus.FIRING, AlertStatus.RESOLVED


def alert(key: str, group: str | None = None, **labels: str) -> NormalizedAlert:
    return NormalizedAlert(
        source=Source.ALERTMANAGER,
        external_id=key,
        dedupe_key=key,
        group=group,
        status=FIRING,
        title="Faithfulness low",
        labels=labels,
    )


def test_alerts_of_one_notification_group_share_an_incident() -> None:
    eu = alert("fp-eu", group='{}:{alertname="Low"}', region="eu")
    us = alert("fp-us", group='{}:{alertname="Low"}', region="us")
    other = alert("fp-x", group='{}:{alertname="High"}', region="eu")

    assert rules.group_key(eu, None) == rules.group_key(us, None)
    assert rules.group_key(eu, None) != rules.group_key(other, None)


def test_without_a_group_each_dedupe_key_is_its_own_incident() -> None:
    assert rules.group_key(alert("a"), None) == "alertmanager:a"
    assert rules.group_key(alert("a"), None) != rules.group_key(alert("b"), None)


def test_a_group_by_rule_overrides_the_monitors_group() -> None:
    rule = RoutingRule(match={}, group_by=["region"])
    eu = alert("fp-eu", group="g", region="eu")
    us = alert("fp-us", group="g", region="us")
    eu_again = alert("fp-eu-2", group="other", region="eu")

    assert rules.group_key(eu, rule) != rules.group_key(us, rule)
    assert rules.group_key(eu, rule) == rules.group_key(eu_again, rule)


def test_route_uses_the_first_matching_rule_for_grouping() -> None:
    routing = Routing(rules=[RoutingRule(match={"region": "eu"}, group_by=["region"])])
    eu, us = alert("1", group="g", region="eu"), alert("2", group="g", region="us")

    assert rules.route(eu, routing).group_key.startswith("group:")
    assert rules.route(us, routing).group_key.startswith("alertmanager:group:")


def test_monitor_state_counts_each_alert_by_its_latest_status() -> None:
    state = rules.monitor_state([FIRING, RESOLVED, FIRING])
    assert (state.firing, state.resolved, state.all_resolved) == (2, 1, False)


def test_all_resolved_needs_every_alert_resolved_and_at_least_one() -> None:
    assert rules.monitor_state([RESOLVED, RESOLVED]).all_resolved
    assert not rules.monitor_state([]).all_resolved
