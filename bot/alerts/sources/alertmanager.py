"""Prometheus Alertmanager webhook (version 4); also the base of Grafana's payload.

Each entry of `alerts` is its own alert (dedupe key: its `fingerprint`); all of them carry the
notification's `groupKey`, so one notification group becomes one incident by default.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from bot.alerts.schemas import Link, NormalizedAlert
from bot.alerts.sources import common as c
from bot.errors import BadInput
from bot.vocabulary import Source

Item = tuple[dict[str, Any], str, dict[str, Any]]

URL_FIELDS = (("generatorURL", "Source"),)
ANNOTATION_LINKS = (
    ("runbook_url", "Runbook"),
    ("dashboard_url", "Dashboard"),
    ("dashboard", "Dashboard"),
    ("panel_url", "Panel"),
)


def parse(body: Any) -> list[NormalizedAlert]:
    """Return one alert per entry in the group's `alerts` array."""
    return [
        alert(item, path, group, source=Source.ALERTMANAGER) for item, path, group in items(body)
    ]


def items(body: Any) -> Iterator[Item]:
    """Yield each alert object with its path and the group's common fields."""
    group = c.as_object(body, "")
    alerts = c.req_list(group, "alerts")
    common = {key: value for key, value in group.items() if key != "alerts"}
    for index, item in enumerate(alerts):
        path = c.path_of("alerts", index)
        yield c.as_object(item, path), path, common


def alert(
    item: dict[str, Any],
    path: str,
    group: dict[str, Any],
    *,
    source: Source,
    url_fields: Sequence[tuple[str, str]] = URL_FIELDS,
    fallback_title: str | None = None,
) -> NormalizedAlert:
    """Normalize one Alertmanager-shaped alert object."""
    labels = c.labels_at(item, "labels", path)
    annotations = c.labels_at(item, "annotations", path)
    starts_at = c.timestamp(item, "startsAt", path)
    dedupe_key = c.opt_str(item, "fingerprint", path) or c.stable_hash(labels)
    return NormalizedAlert(
        source=source,
        external_id=c.occurrence_id(dedupe_key, starts_at),
        dedupe_key=dedupe_key,
        group=c.opt_str(group, "groupKey") or None,
        status=c.status_of(_status(item, path, group), c.path_of(path, "status")),
        severity=labels.get("severity") or None,
        title=_title(labels, annotations, path, fallback_title),
        description=c.description_text(annotations.get("description")),
        labels=labels,
        links=links(item, path, annotations, url_fields),
        starts_at=starts_at,
        ends_at=c.timestamp(item, "endsAt", path),
        raw={**item, "group": group},
    )


def links(
    item: dict[str, Any],
    path: str,
    annotations: dict[str, str],
    url_fields: Sequence[tuple[str, str]],
) -> tuple[Link, ...]:
    """Return the alert's own URLs, then runbook and dashboard annotations, without repeats."""
    found = [x for key, name in url_fields for x in c.link(name, c.opt_str(item, key, path))]
    found += [x for key, name in ANNOTATION_LINKS for x in c.link(name, annotations.get(key))]
    return c.unique_links(found)


def _status(item: dict[str, Any], path: str, group: dict[str, Any]) -> str | None:
    return c.opt_str(item, "status", path) or c.opt_str(group, "status")


def _title(
    labels: dict[str, str], annotations: dict[str, str], path: str, fallback: str | None
) -> str:
    for candidate in (annotations.get("summary"), labels.get("alertname"), fallback):
        if candidate and candidate.strip():
            return c.title_text(candidate)
    raise BadInput("is required (or annotations.summary)", field=f"{path}.labels.alertname")
