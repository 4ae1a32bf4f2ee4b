"""Grafana unified alerting webhook: Alertmanager's shape plus values and Grafana URLs."""

from __future__ import annotations

import math
import re
from typing import Any

from bot.alerts.schemas import NormalizedAlert
from bot.alerts.sources import alertmanager
from bot.alerts.sources import common as c
from bot.vocabulary import Source

URL_FIELDS = (
    ("generatorURL", "Alert rule"),
    ("dashboardURL", "Dashboard"),
    ("panelURL", "Panel"),
    ("silenceURL", "Silence"),
)
# One "[ var='B' labels={...} value=44.2 ]" entry; Grafana 8 wrote `metric=` instead of `var=`.
_VALUE_ENTRY = re.compile(r"\[\s*(?:var|metric)='([^']*)'.*?\bvalue=([^\s\]]+)\s*\]")


def parse(body: Any) -> list[NormalizedAlert]:
    """Return one alert per entry in the notification's `alerts` array."""
    return [_alert(item, path, group) for item, path, group in alertmanager.items(body)]


def _alert(item: dict[str, Any], path: str, group: dict[str, Any]) -> NormalizedAlert:
    base = alertmanager.alert(
        item,
        path,
        group,
        source=Source.GRAFANA,
        url_fields=URL_FIELDS,
        fallback_title=c.opt_str(group, "title"),
    )
    values = c.values_at(item, "values", path)
    if not values:
        values = values_from_string(c.opt_str(item, "valueString", path) or "")
    return base.model_copy(update={"values": values})


def values_from_string(text: str) -> dict[str, float]:
    """Read the numbers out of Grafana's `valueString`, skipping any that do not parse."""
    found: dict[str, float] = {}
    for name, raw in _VALUE_ENTRY.findall(text):
        try:
            value = float(raw)
        except ValueError:
            continue
        if math.isfinite(value):
            found[name or "value"] = value
    return found
