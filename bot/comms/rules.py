"""Pure comms rules: prefill a scope, render drafts, check templates, diff versions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, TemplateError, meta
from pydantic import ValidationError

from bot.comms.schemas import Draft, IncidentFacts, Scope, StatusPageStatus
from bot.errors import BadInput, ConfigError
from bot.vocabulary import Audience, CommsKind, IncidentType, Severity, Status

DEFAULT_CADENCE_MINUTES: dict[Severity, int] = {Severity.P1: 30, Severity.P2: 60, Severity.P3: 240}
SAFETY_NOTICE_MINUTES = 60  # legal and leadership hear about safety incidents within the hour

TEMPLATE_VARIABLES: frozenset[str] = frozenset(
    {*Scope.model_fields, "kind", "ongoing", "window_duration"}
)

_AUDIENCE_HEADER = re.compile(r"\{#-?\s*audience:\s*(?P<audience>external|internal)\s*-?#\}")

_WHAT_HAPPENED: dict[IncidentType, str] = {
    IncidentType.QUALITY_REGRESSION: "answers were less accurate and less helpful than usual",
    IncidentType.HALLUCINATION: "answers stated incorrect information as fact",
    IncidentType.SAFETY_VIOLATION: "responses included content that breaks our content policy",
    IncidentType.PROMPT_INJECTION: "specially crafted messages made responses ignore our rules",
    IncidentType.RETRIEVAL_CONTEXT: "answers were based on out-of-date or missing information",
    IncidentType.PIPELINE_INFRASTRUCTURE: "answers did not use the latest information",
    IncidentType.AVAILABILITY_LATENCY: "responses were slow or failed to load",
    IncidentType.DISTRIBUTION_SHIFT: "more conversations than usual went to human agents",
}
_RECHECK = "check answers you received during this time against the current information"
_USER_ACTION: dict[IncidentType, str] = {
    IncidentType.HALLUCINATION: "double-check facts, figures and sources in answers you "
    "received during this time before relying on them",
    IncidentType.RETRIEVAL_CONTEXT: _RECHECK,
    IncidentType.PIPELINE_INFRASTRUCTURE: _RECHECK,
    IncidentType.AVAILABILITY_LATENCY: "retry any request that failed during this time",
}
_STATUS_PAGE: dict[Status, StatusPageStatus] = {
    Status.TRIAGE: StatusPageStatus.INVESTIGATING,
    Status.INVESTIGATING: StatusPageStatus.INVESTIGATING,
    Status.CONTAINED: StatusPageStatus.MONITORING,
}


def cadence_minutes(
    severity: Severity, overrides: Mapping[str, int] | Mapping[Severity, int] | None = None
) -> int:
    """Return minutes between updates for `severity`, from config overrides or the defaults."""
    minutes = (overrides or {}).get(severity, DEFAULT_CADENCE_MINUTES[severity])
    if minutes <= 0:
        raise ConfigError(f"update cadence for {severity} must be a positive number of minutes")
    return minutes


def prefill_scope(
    facts: IncidentFacts, *, now: datetime, cadence_minutes: int, timezone: str = "UTC"
) -> Scope:
    """Prefill a scope from what the bot knows, in user terms, for the comms lead to edit."""
    start = min(t for t in (facts.first_alert_at, facts.declared_at) if t is not None)
    end = facts.contained_at or facts.resolved_at
    return Scope(
        incident_title=facts.title,
        incident_type=facts.type,
        severity=facts.severity,
        feature=facts.feature or facts.labels.get("feature", ""),
        what_happened=_WHAT_HAPPENED[facts.type],
        window_start=start,
        window_end=end if end is not None and end >= start else None,
        timezone=timezone,
        segment=facts.labels.get("segment", ""),
        user_action=_USER_ACTION.get(facts.type, ""),
        actions_taken=_sentences(facts.containment_summaries),
        next_update_at=_next_update(facts, now, cadence_minutes),
        status_page_status=_STATUS_PAGE.get(facts.status, StatusPageStatus.RESOLVED),
        lead=facts.lead or "",
    )


def _next_update(facts: IncidentFacts, now: datetime, minutes: int) -> datetime | None:
    """Return when the next update is due, or None once the incident is no longer open."""
    if not facts.status.is_open:
        return None
    if facts.type is IncidentType.SAFETY_VIOLATION:
        minutes = min(minutes, SAFETY_NOTICE_MINUTES)
    return now + timedelta(minutes=minutes)


def _sentences(items: Iterable[str]) -> str:
    """Join short summaries into sentences."""
    parts = (item.strip() for item in items if item.strip())
    return " ".join(p if p[-1] in ".!?" else f"{p}." for p in parts)


def update_scope(scope: Scope, changes: Mapping[str, Any]) -> Scope:
    """Return `scope` with `changes` applied and validated; raise BadInput naming the bad field."""
    try:
        return Scope.model_validate({**scope.model_dump(), **changes})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else None
        raise BadInput(error["msg"], field=field) from exc


def template_name(kind: CommsKind) -> str:
    """Return the template file for `kind`, relative to a templates folder."""
    return f"comms/{kind.value}.j2"


def template_audience(env: Environment, kind: CommsKind) -> Audience:
    """Read the audience a template declares in its first-line `{# audience: … #}` comment."""
    name = template_name(kind)
    header = _AUDIENCE_HEADER.match(_source(env, name))
    if header is None:
        raise ConfigError(f"{name}: the first line must be {{# audience: external|internal #}}")
    return Audience(header["audience"])


def _source(env: Environment, name: str) -> str:
    """Return a template's source text, or raise ConfigError if it cannot be found."""
    if env.loader is None:
        raise ConfigError("the template environment has no loader")
    try:
        return env.loader.get_source(env, name)[0]
    except TemplateError as exc:
        raise ConfigError(f"template {name} not found") from exc


def render_draft(env: Environment, kind: CommsKind, scope: Scope) -> Draft:
    """Render the template for `kind`; its first line becomes the title, the rest the text."""
    name = template_name(kind)
    audience = template_audience(env, kind)
    try:
        rendered = env.get_template(name).render(_context(kind, scope))
    except (TemplateError, TypeError, ValueError) as exc:
        raise ConfigError(f"template {name} failed to render: {exc}") from exc
    title, text = _split_title(rendered, name)
    return Draft(kind=kind, audience=audience, title=title, text=text, scope=scope)


def _context(kind: CommsKind, scope: Scope) -> dict[str, Any]:
    """Return the template variables: the scope's fields plus a few derived values."""
    duration = scope.window_end - scope.window_start if scope.window_end else None
    return {**dict(scope), "kind": kind, "ongoing": duration is None, "window_duration": duration}


def _split_title(rendered: str, name: str) -> tuple[str, str]:
    """Split rendered output into its first line and a tidy body."""
    lines = [line.rstrip() for line in rendered.strip().splitlines()]
    if not lines:
        raise ConfigError(f"template {name} rendered nothing")
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines[1:])).strip()
    return lines[0].strip(), body


def check_templates(env: Environment) -> None:
    """Validate every kind's template: present, audience header, syntax, known variables."""
    problems: list[str] = []
    for kind in CommsKind:
        try:
            _check_template(env, kind)
        except (ConfigError, TemplateError) as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("bad comms templates: " + "; ".join(problems))


def _check_template(env: Environment, kind: CommsKind) -> None:
    """Raise ConfigError or TemplateSyntaxError if one kind's template is unusable."""
    name = template_name(kind)
    template_audience(env, kind)
    unknown = meta.find_undeclared_variables(env.parse(_source(env, name))) - TEMPLATE_VARIABLES
    if unknown:
        raise ConfigError(f"{name} uses unknown variables: {', '.join(sorted(unknown))}")


def diff_versions(
    old_text: str, new_text: str, *, old_label: str = "previous", new_label: str = "edited"
) -> str:
    """Return a unified diff between two versions of a draft's text ('' if they are equal)."""
    lines = difflib.unified_diff(
        old_text.splitlines(), new_text.splitlines(), old_label, new_label, lineterm=""
    )
    return "\n".join(lines)
