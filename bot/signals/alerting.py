"""Which settings watch a signal, and the alert (source `spc`) a detection becomes; pure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.alerts.schemas import NormalizedAlert
from bot.signals import rules
from bot.signals.schemas import Direction, Signals, Watch
from bot.vocabulary import AlertStatus, Source

EVAL_PREFIX, EVAL_SUFFIX = "eval.", ".pass_rate"


def watch_for(signals: Signals, name: str, feature: str) -> Watch:
    """The settings of a signal: the first rule naming it (and its feature), else the defaults.

    An eval suite's pass-rate signal watches for drops even where the defaults say otherwise.
    """
    for rule in signals.watch:
        if rule.name == name and rule.feature in (None, feature):
            return rule
    if name.startswith(EVAL_PREFIX) and name.endswith(EVAL_SUFFIX):
        return signals.defaults.model_copy(update={"direction": Direction.LOWER_IS_BAD})
    return signals.defaults


def title_of(signals: Signals, name: str, feature: str) -> str:
    """How people call the signal."""
    for rule in signals.watch:
        if rule.name == name and rule.feature in (None, feature) and rule.title:
            return rule.title
    return name


def _when(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def _labels(name: str, feature: str, watch: Watch) -> dict[str, str]:
    return {
        "feature": feature,
        "signal": name,
        "method": watch.method.value,
        "ai_incident_type": watch.type.value,
        "severity": watch.severity.value,
    }


def firing(
    *,
    name: str,
    feature: str,
    title: str,
    watch: Watch,
    stats: rules.BaselineStats,
    verdict: rules.Verdict,
    state: rules.State,
) -> NormalizedAlert:
    """The alert for a signal that just went out of control."""
    crossings = [
        {"at": _when(t), "value": x, "n": int(n), "statistic": s, "limit": lim}
        for t, x, n, s, lim in state.crossings
    ]
    word = _word(verdict.statistic)
    description = (
        f"{title} of `{feature}` is {word} than its baseline: the {watch.method.value.upper()} "
        f"statistic is {verdict.statistic:+.2f}σ against a limit of "
        f"{_SIGN[watch.direction]}{verdict.limit:.2f}σ "
        f"(baseline mean {stats.mean:.4g}, sigma {_sigma(stats):.4g}, {stats.count} points; "
        f"latest {verdict.point.x:.4g})."
    )
    raw: dict[str, Any] = {
        "signal": name,
        "feature": feature,
        "episode": state.episode,
        "status": "firing",
        "method": watch.method.value,
        "direction": watch.direction.value,
        "rule": verdict.rule,
        "baseline_mean": stats.mean,
        "sigma": _sigma(stats),
        "rate": stats.rate,
        "baseline_points": stats.count,
        "statistic": verdict.statistic,
        "limit": verdict.limit,
        "crossings": crossings,
    }
    return NormalizedAlert(
        source=Source.SPC,
        external_id=f"{name}:{feature}:{state.episode}",
        dedupe_key=_dedupe(name, feature, state.episode),
        group=f"feature:{feature}",
        status=AlertStatus.FIRING,
        severity=watch.severity.value,
        title=f"{title} of {feature} is {word} than its baseline"[:300],
        description=description,
        labels=_labels(name, feature, watch),
        starts_at=datetime.fromtimestamp(state.crossings[0][0], UTC) if state.crossings else None,
        values={
            "baseline_mean": stats.mean,
            "sigma": _sigma(stats),
            "statistic": verdict.statistic,
            "limit": verdict.limit,
            "value": verdict.point.x,
        },
        raw=raw,
    )


def resolved(
    *, name: str, feature: str, title: str, watch: Watch, verdict: rules.Verdict, episode: int
) -> NormalizedAlert:
    """The alert for a signal back inside its limits."""
    return NormalizedAlert(
        source=Source.SPC,
        external_id=f"{name}:{feature}:{episode}",
        dedupe_key=_dedupe(name, feature, episode),
        group=f"feature:{feature}",
        status=AlertStatus.RESOLVED,
        severity=watch.severity.value,
        title=f"{title} of {feature} is back inside its control limits"[:300],
        labels=_labels(name, feature, watch),
        ends_at=datetime.fromtimestamp(verdict.point.t, UTC),
        values={"statistic": verdict.statistic, "limit": verdict.limit},
        raw={
            "signal": name,
            "feature": feature,
            "episode": episode,
            "status": "resolved",
            "statistic": verdict.statistic,
            "limit": verdict.limit,
            "at": _when(verdict.point.t),
        },
    )


_SIGN = {Direction.LOWER_IS_BAD: "−", Direction.HIGHER_IS_BAD: "+", Direction.BOTH: "±"}


def _dedupe(name: str, feature: str, episode: int) -> str:
    return f"{name}:{feature}:{episode}"[:300]


def _word(statistic: float) -> str:
    return "lower" if statistic < 0 else "higher"


def _sigma(stats: rules.BaselineStats) -> float:
    """Sigma as shown: of one value, or of a rate's single trial (divide by sqrt(n) per point)."""
    return stats.sigma
