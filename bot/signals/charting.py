"""A control chart's data, apart from its drawing: the series replayed against the baseline the
alert carried, the limits, the crossings and the labelled markers. Pure, tested on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.signals import rules
from bot.signals.schemas import Watch

SHEWHART_SIGMAS = 3.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One stored point as the chart takes it."""

    at: datetime
    value: float
    n: int = 0  # trials, for a rate
    eval_run: bool = False  # the point came from an eval run


@dataclass(frozen=True, slots=True)
class ChartPoint:
    at: datetime
    value: float
    n: int
    lower: float  # the point's 3-sigma limits on the value scale
    upper: float
    statistic: float  # the detector's statistic, in sigmas
    limit: float  # and its limit
    crossed: bool
    eval_run: bool


@dataclass(frozen=True, slots=True)
class Marker:
    at: datetime
    label: str
    kind: str  # change | opened | contained | resolved | eval


@dataclass(frozen=True, slots=True)
class ChartData:
    title: str
    signal: str
    feature: str
    method: str
    direction: str
    mean: float
    sigma: float
    rate: bool
    points: tuple[ChartPoint, ...]
    markers: tuple[Marker, ...]

    @property
    def crossings(self) -> tuple[ChartPoint, ...]:
        """The points where the detector was out of control."""
        return tuple(p for p in self.points if p.crossed)


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the alert carried: the baseline the detection was made against."""

    mean: float
    sigma: float
    rate: bool


def build(
    *,
    title: str,
    signal: str,
    feature: str,
    watch: Watch,
    baseline: Baseline,
    samples: Sequence[Sample],
    markers: Sequence[Marker],
) -> ChartData:
    """Replay the detector over the samples against the alert's baseline."""
    state = rules.State()
    stats = rules.BaselineStats(baseline.mean, baseline.sigma, 1, baseline.rate)
    points = []
    for s in sorted(samples, key=lambda s: s.at):
        sigma = stats.sigma_at(s.n)
        z = (s.value - baseline.mean) / sigma
        statistic, limit, out = rules.score(state, z, watch)
        width = SHEWHART_SIGMAS * sigma
        lower, upper = baseline.mean - width, baseline.mean + width
        if baseline.rate:
            lower, upper = max(lower, 0.0), min(upper, 1.0)
        points.append(
            ChartPoint(s.at, s.value, s.n, lower, upper, statistic, limit, out, s.eval_run)
        )
    return ChartData(
        title=title,
        signal=signal,
        feature=feature,
        method=watch.method.value,
        direction=watch.direction.value,
        mean=baseline.mean,
        sigma=baseline.sigma,
        rate=baseline.rate,
        points=tuple(points),
        markers=tuple(sorted(markers, key=lambda m: m.at)),
    )


def change_label(kind: str, to_version: str | None, service: str | None) -> str:
    """How a change-ledger entry is labelled on the chart, e.g. "prompt v12"."""
    what = to_version or service or ""
    label = f"{kind} {what}".strip()
    return label if len(label) <= 32 else label[:31] + "…"


def finite(value: float) -> bool:
    """Whether a number can be drawn."""
    return not (math.isnan(value) or math.isinf(value))
