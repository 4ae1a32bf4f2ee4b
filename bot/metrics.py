"""Prometheus metrics, one registry per app so tests and replicas don't share counters."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access = logging.getLogger("incidentbot.access")


class Metrics:
    """Counters for requests, alerts and incidents."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "incidentbot_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "incidentbot_http_request_seconds",
            "HTTP request duration",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.alerts = Counter(
            "incidentbot_alerts",
            "Alerts received, by source and outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.incidents_opened = Counter(
            "incidentbot_incidents_opened", "Incidents opened", ["source"], registry=self.registry
        )
        self.signal_points = Counter(
            "incidentbot_signal_points_detected",
            "Quality-signal points the control-chart detector has seen",
            registry=self.registry,
        )
        self.durations = DurationCollector()
        self.registry.register(self.durations)

    def render(self) -> bytes:
        """Prometheus text exposition."""
        return bytes(generate_latest(self.registry))


class DurationRow(NamedTuple):
    """Median and p90 of one measure (detect, acknowledge, contain, resolve) for a group."""

    measure: str
    type: str
    severity: str
    incidents: int
    median_s: float
    p90_s: float


class DurationCollector(Collector):
    """Time to detect/acknowledge/contain/resolve by type and severity, refreshed at scrape time."""

    def __init__(self) -> None:
        self._rows: tuple[DurationRow, ...] = ()

    def update(self, rows: Sequence[DurationRow]) -> None:
        """Replace the numbers the next scrape reports."""
        self._rows = tuple(rows)

    def collect(self) -> Iterator[Metric]:
        """Yield the quantile gauges and the incident counts behind them."""
        labels = ["measure", "type", "severity"]
        seconds = GaugeMetricFamily(
            "incidentbot_incident_time_to_seconds",
            "Time to detect/acknowledge/contain/resolve over the configured period, by quantile",
            labels=[*labels, "quantile"],
        )
        count = GaugeMetricFamily(
            "incidentbot_incident_time_to_count",
            "Incidents with a known time for this measure over the configured period",
            labels=labels,
        )
        for row in self._rows:
            key = [row.measure, row.type, row.severity]
            seconds.add_metric([*key, "0.5"], row.median_s)
            seconds.add_metric([*key, "0.9"], row.p90_s)
            count.add_metric(key, row.incidents)
        yield seconds
        yield count


class MetricsMiddleware:
    """Count every request by its route template (not its raw path, to keep labels bounded).

    With `access_log`, also log one line per request: method, path (never the query string,
    which may carry tokens), status and duration.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_template(scope)
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(scope["method"], route, str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            if self.access_log:
                access.info(
                    "%s %s %d %.1f ms",
                    scope["method"],
                    scope["path"],
                    status["code"],
                    elapsed * 1e3,
                )


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
