"""Render the postmortem document from its facts; every value reaches the template as text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment

from bot.postmortem import durations, rules
from bot.postmortem.schemas import AlertSummary, ChangeFacts, PostmortemFacts
from bot.vocabulary import IncidentType, Role

TEMPLATE = "postmortem/postmortem.md.j2"
NONE = "—"
# The "what changed" dimensions of the four questions, and the ledger kinds that fall under each.
DIMENSIONS = ("model", "prompt", "data", "retrieval", "traffic", "provider")
LEDGER_DIMENSION = {
    "model": "model",
    "prompt": "prompt",
    "data": "data",
    "pipeline": "data",
    "index": "retrieval",
    "retrieval": "retrieval",
    "embedding": "retrieval",
    "traffic": "traffic",
    "provider": "provider",
}


def render_postmortem(env: Environment, facts: PostmortemFacts, template: str = TEMPLATE) -> str:
    """Render the Markdown postmortem for these facts."""
    text = env.get_template(template).render(**postmortem_view(facts))
    return text.rstrip() + "\n"


def postmortem_view(facts: PostmortemFacts) -> dict[str, Any]:
    """Return the template's context: pre-formatted strings and rows of strings."""
    zone = ZoneInfo(facts.tz)
    t = facts.times
    measured = durations.durations(
        t.first_signal_at, t.declared_at, t.acknowledged_at, t.contained_at, t.resolved_at
    )
    return {
        "heading": f"INC-{facts.number}: {facts.title}",
        "state": facts.state.value.replace("_", " "),
        "incident_type": facts.incident_type.label,
        "severity": facts.severity.value,
        "feature": facts.feature,
        "status": facts.status.value,
        "summary": facts.summary or "_To be written._",
        "impact_window": _impact_window(facts, zone),
        "impact_scope": facts.impact_scope or "_Not yet described._",
        "notes": facts.notes or "",
        "samples": [_sample_row(s.prompt, s.output, s.expected, s.note) for s in facts.samples],
        "changes": [_change_row(c, zone) for c in sorted(facts.changes, key=lambda c: c.at)],
        "unchanged": ", ".join(_unchanged_dimensions(facts.changes)),
        "alerts": [_alert_row(a, zone) for a in facts.alerts],
        "evals": [_eval_row(e.suite, e.passed, e.total, _when(e.at, zone)) for e in facts.evals],
        "spread": _spread(facts.alerts),
        "detection": _detection(facts, measured.detect, zone),
        "timeline": [
            [_when(e.at, zone), _cell(e.actor), e.kind.value, _cell(e.text)]
            for e in sorted(facts.timeline, key=lambda e: e.at)
        ],
        "roles": _roles(facts),
        "containment": [
            [_when(c.at, zone), _cell(c.actor), _cell(c.action), _cell(c.outcome)]
            for c in facts.containment
        ],
        "comms": [
            [_when(c.at, zone), _cell(c.kind), _cell(c.target), _cell(c.excerpt)]
            for c in facts.comms
        ],
        "validation": _validation(facts),
        "durations": _duration_rows(measured),
        "actions": [
            [i.kind.value, _cell(i.text), _cell(i.owner), i.due.isoformat(), i.state.value]
            for i in facts.action_items
        ],
        "blockers": rules.publish_blockers(facts.action_items, facts.required_kinds),
    }


def _when(at: datetime, zone: tzinfo) -> str:
    """Format a moment with its date and the reader's time zone."""
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _cell(text: str) -> str:
    """Make text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def human_duration(span: timedelta | None) -> str:
    """Say a duration briefly: '40 s', '12 min', '1 h 05 min', '2 d 3 h'."""
    if span is None:
        return NONE
    seconds = int(span.total_seconds())
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return f"{seconds} s"
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{days} d {hours % 24} h"


def _impact_window(facts: PostmortemFacts, zone: tzinfo) -> str:
    """Describe when users were affected, falling back to signal and containment times."""
    t = facts.times
    start = t.impact_started_at or t.first_signal_at or t.declared_at
    end = t.impact_ended_at or t.contained_at or t.resolved_at
    if end is None:
        return f"{_when(start, zone)} – ongoing"
    return f"{_when(start, zone)} – {_when(end, zone)} ({human_duration(end - start)})"


def _sample_row(prompt: str | None, output: str, expected: str, note: str | None) -> list[str]:
    """Return one output-vs-expected row."""
    return [_cell(prompt or NONE), _cell(output), _cell(expected), _cell(note or "")]


def _change_row(change: ChangeFacts, zone: tzinfo) -> list[str]:
    """Return one change-ledger row."""
    versions = f"{change.from_version or '?'} → {change.to_version or '?'}"
    return [
        _when(change.at, zone),
        _cell(change.kind),
        _cell(change.subject),
        _cell(versions),
        _cell(change.author or NONE),
    ]


def _unchanged_dimensions(changes: Sequence[ChangeFacts]) -> list[str]:
    """Return the dimensions with no recorded change."""
    seen = {LEDGER_DIMENSION.get(c.kind.lower()) for c in changes}
    return [d for d in DIMENSIONS if d not in seen]


def _alert_row(alert: AlertSummary, zone: tzinfo) -> list[str]:
    """Return one alert-group row."""
    return [
        _cell(f"{alert.monitor} ({alert.source})"),
        _cell(alert.title),
        _when(alert.first_seen, zone),
        _when(alert.last_seen, zone),
        str(alert.count),
        str(alert.distinct_keys),
    ]


def _eval_row(suite: str, passed: int, total: int, at: str) -> list[str]:
    """Return one evaluation-run row with its pass rate."""
    rate = f"{passed / total:.1%}" if total else NONE
    return [_cell(suite), f"{passed}/{total}", rate, at]


def _spread(alerts: Sequence[AlertSummary]) -> str:
    """Judge from alert grouping whether the failure looks isolated or systematic."""
    if not alerts:
        return "No alerts were attached; judge from the samples and evaluation runs."
    count = sum(a.count for a in alerts)
    keys = sum(a.distinct_keys for a in alerts)
    evidence = (
        f"{_plural(count, 'alert')} from {_plural(len(alerts), 'monitor')} "
        f"across {_plural(keys, 'distinct dedupe key')}"
    )
    verdict = "Looks systematic" if keys > 1 or len(alerts) > 1 else "Looks isolated"
    return f"{verdict}: {evidence}."


def _plural(n: int, word: str) -> str:
    """Return '1 alert' or '3 alerts'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _detection(facts: PostmortemFacts, gap: timedelta | None, zone: tzinfo) -> list[str]:
    """Describe the detection gap and what detected the incident."""
    t = facts.times
    by = f" by {facts.declared_by}" if facts.declared_by else ""
    lines = [f"Declared {_when(t.declared_at, zone)}{by}."]
    if t.first_signal_at is not None:
        lines.append(
            f"Time to detect: {human_duration(gap)} from the first signal "
            f"({_when(t.first_signal_at, zone)}) to declaration."
        )
    if facts.alerts:
        first = min(facts.alerts, key=lambda a: a.first_seen)
        lines.append(
            f"First monitor to fire: {first.monitor} ({first.source}), "
            f"“{first.title}” at {_when(first.first_seen, zone)}."
        )
    else:
        lines.append("No monitor fired: a person noticed this before any alert did.")
    return lines


def _roles(facts: PostmortemFacts) -> list[list[str]]:
    """Return role rows; safety appears when assigned or required by the incident type."""
    shown = [
        role
        for role in Role
        if role is not Role.SAFETY
        or Role.SAFETY in facts.roles
        or facts.incident_type is IncidentType.SAFETY_VIOLATION
    ]
    return [
        [
            role.value,
            _cell(facts.roles.get(role, "unassigned")),
            f"`{facts.role_ids[role]}`" if role in facts.role_ids else NONE,
        ]
        for role in shown
    ]


def _validation(facts: PostmortemFacts) -> str:
    """Describe the fix validation, its override, or its absence."""
    v = facts.validation
    if v is None:
        return "Not recorded."
    if v.override_reason:
        by = v.overridden_by or "unknown"
        prefix = f"{v.explanation}. " if v.explanation else ""
        return f"{prefix}Validation overridden by {by}: {v.override_reason}"
    if v.explanation:
        return v.explanation
    where = f"{facts.incident_type.label} at {facts.severity.value}"
    if v.required:
        return f"**Missing**: validation is required for {where} but no result was recorded."
    return f"Not required for {where}."


def _duration_rows(measured: durations.Durations) -> list[list[str]]:
    """Return the TTD/TTA/TTC/TTR rows."""
    return [
        ["Time to detect (TTD)", "first signal → declared", human_duration(measured.detect)],
        ["Time to acknowledge (TTA)", "declared → commander", human_duration(measured.acknowledge)],
        ["Time to contain (TTC)", "declared → contained", human_duration(measured.contain)],
        ["Time to resolve (TTR)", "declared → resolved", human_duration(measured.resolve)],
    ]
