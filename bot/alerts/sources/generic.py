"""The bot's own JSON form, for monitors without a dedicated parser.

One alert: `{"title" (required), "status": "firing"|"resolved" (default firing), "dedupe_key",
"id", "severity", "description", "labels": {str: str}, "links": [{"title", "url"}] or [url],
"starts_at", "ends_at" (ISO 8601), "values": {str: number}}`; several: `{"alerts": [one, ...]}`.
"""

from __future__ import annotations

from typing import Any

from bot.alerts.schemas import Link, NormalizedAlert
from bot.alerts.sources import common as c
from bot.errors import BadInput
from bot.vocabulary import Source


def parse(body: Any) -> list[NormalizedAlert]:
    """Return the alert in the body, or one per entry of its `alerts` array."""
    obj = c.as_object(body, "")
    if "alerts" not in obj:
        return [_alert(obj, "", {})]
    alerts = c.req_list(obj, "alerts")
    common = {key: value for key, value in obj.items() if key != "alerts"}
    paths = [c.path_of("alerts", index) for index in range(len(alerts))]
    return [
        _alert(c.as_object(item, path), path, common)
        for item, path in zip(alerts, paths, strict=True)
    ]


def _alert(item: dict[str, Any], path: str, group: dict[str, Any]) -> NormalizedAlert:
    title = c.title_text(c.req_str(item, "title", path))
    labels = c.labels_at(item, "labels", path)
    dedupe_key = c.opt_id(item, "dedupe_key", path) or c.stable_hash(title, labels)
    starts_at = c.timestamp(item, "starts_at", path)
    return NormalizedAlert(
        source=Source.GENERIC,
        external_id=c.opt_id(item, "id", path) or c.occurrence_id(dedupe_key, starts_at),
        dedupe_key=dedupe_key,
        status=c.status_of(c.opt_str(item, "status", path) or "firing", c.path_of(path, "status")),
        severity=c.opt_str(item, "severity", path) or labels.get("severity"),
        title=title,
        description=c.description_text(c.opt_str(item, "description", path)),
        labels=labels,
        links=c.unique_links(_links(item, path)),
        starts_at=starts_at,
        ends_at=c.timestamp(item, "ends_at", path),
        values=c.values_at(item, "values", path),
        raw={**item, "group": group} if group else item,
    )


def _links(item: dict[str, Any], path: str) -> list[Link]:
    given = item.get("links")
    if given is None:
        return []
    base = c.path_of(path, "links")
    if not isinstance(given, list):
        raise BadInput(f"expected an array, got {c.type_name(given)}", field=base)
    return [_link(entry, c.path_of(base, index)) for index, entry in enumerate(given)]


def _link(entry: Any, path: str) -> Link:
    if isinstance(entry, str):
        return _checked("Link", entry, path)
    entry = c.as_object(entry, path)
    title = c.opt_str(entry, "title", path) or "Link"
    return _checked(title, c.req_str(entry, "url", path), c.path_of(path, "url"))


def _checked(title: str, url: str, path: str) -> Link:
    found = c.link(title, url)
    if not found:
        raise BadInput("expected an http(s) URL", field=path)
    return found[0]
