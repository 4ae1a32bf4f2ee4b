"""Parse monitor webhook payloads into NormalizedAlerts, one parser module per source.

Supported shapes (details in each module's docstring and in README.md):

* `alertmanager` — Prometheus Alertmanager webhook v4; every alert in the group is kept.
* `grafana` — Grafana unified alerting webhook; per-alert `values` (or `valueString`) kept.
* `datadog` — Datadog webhooks integration: default payload, variable-named keys, or our template.
* `pagerduty` — PagerDuty V3 webhook, incident events only.
* `langfuse` — Langfuse Alerts (`monitor-alert`) and prompt-version webhook events.
* `generic` — the bot's own JSON form, one alert or `{"alerts": [...]}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.alerts.schemas import NormalizedAlert
from bot.alerts.sources import alertmanager, datadog, generic, grafana, langfuse, pagerduty
from bot.errors import BadInput
from bot.vocabulary import Source

Parser = Callable[[Any], list[NormalizedAlert]]

PARSERS: dict[Source, Parser] = {
    Source.ALERTMANAGER: alertmanager.parse,
    Source.GRAFANA: grafana.parse,
    Source.DATADOG: datadog.parse,
    Source.PAGERDUTY: pagerduty.parse,
    Source.LANGFUSE: langfuse.parse,
    Source.GENERIC: generic.parse,
}


def parse(source: Source, body: Any) -> list[NormalizedAlert]:
    """Return one NormalizedAlert per alert in `body`, the decoded JSON a monitor sent."""
    try:
        parser = PARSERS[Source(source)]
    except (ValueError, KeyError):  # `spc` alerts come from the bot itself, never a webhook
        choices = ", ".join(PARSERS)
        raise BadInput(
            f"unknown alert source {source!r}; expected one of {choices}", field="source"
        ) from None
    return parser(body)


__all__ = ["PARSERS", "Parser", "parse"]
