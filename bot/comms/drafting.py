"""Pure helpers for drafting: facts in user terms, carrying fields over, the fields to show."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import Environment, meta

from bot.comms import rules
from bot.comms.schemas import REQUIRED_FIELDS, Scope, StatusPageStatus
from bot.errors import BadInput
from bot.vocabulary import Audience, CommsKind

# Short names (they title a Slack modal: at most 24 characters).
KIND_LABELS: dict[CommsKind, str] = {
    CommsKind.ACKNOWLEDGEMENT: "Acknowledgement",
    CommsKind.STATUS_UPDATE: "Status update",
    CommsKind.RESOLUTION: "Resolution notice",
    CommsKind.FOLLOW_UP: "Follow-up",
    CommsKind.AFFECTED_USERS: "Affected-users notice",
    CommsKind.STAKEHOLDER_UPDATE: "Stakeholder update",
    CommsKind.LEGAL_LEADERSHIP: "Legal & leadership",
}
_ENDS_IT = frozenset({CommsKind.RESOLUTION, CommsKind.FOLLOW_UP})

# What a containment action means to users; the catalog's titles are for responders.
CONTAINMENT_IN_USER_TERMS: dict[str, str] = {
    "feature_flag_off": "We switched the feature off while we fix it",
    "feature_flag_on": "We switched the feature back on",
    "prompt_rollback": "We reverted the recent change that caused this",
    "model_rollback": "We reverted the recent change that caused this",
    "enable_fallback": "We moved requests to a backup service",
    "disable_fallback": "We moved requests back to the main service",
    "raise_human_review": "Our team now checks more answers before they are sent",
    "tighten_guardrail": "We tightened the checks answers go through before you see them",
    "block_pattern": "We blocked the messages that triggered this",
    "refresh_index": "We refreshed the information answers are based on",
    "pause_pipeline": "We paused the update that was feeding in outdated information",
    "resume_pipeline": "We resumed regular information updates",
    "failover_provider": "We switched to a backup provider",
    "shed_load": "We reduced load to keep the service responsive",
    "route_to_humans": "We are routing more conversations directly to our support team",
    "add_disclaimer": "We added a notice to answers reminding you to double-check them",
}

# Fields the comms lead wrote by hand that stay true from one draft to the next.
CARRIED_OVER: tuple[str, ...] = (
    "feature",
    "what_happened",
    "segment",
    "affected_count",
    "user_action",
    "timezone",
    "prevention",
)
# Scope fields a person edits, in the order a form shows them.
EDITABLE: tuple[str, ...] = (
    "feature",
    "what_happened",
    "window_start",
    "window_end",
    "timezone",
    "segment",
    "affected_count",
    "user_action",
    "actions_taken",
    "next_update_at",
    "status_page_status",
    "prevention",
    "lead",
)
_ALWAYS_SHOWN = frozenset({"window_start", "timezone"})
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+$")


def containment_summaries(action_keys: Iterable[str]) -> list[str]:
    """Return what the actions taken mean to users, once each, in order."""
    phrases = (CONTAINMENT_IN_USER_TERMS.get(key) for key in action_keys)
    return list(dict.fromkeys(p for p in phrases if p))


def feature_in_user_terms(feature: str | None) -> str | None:
    """Turn a service slug such as 'support-assistant' into 'Support assistant'."""
    if not feature or not _SLUG.match(feature):
        return feature
    words = re.split(r"[-_]", feature)
    return " ".join([words[0].capitalize(), *words[1:]])


def carry_over(prefilled: Scope, previous: Mapping[str, Any] | None) -> Scope:
    """Keep what the comms lead already wrote in an earlier draft of this incident."""
    if not previous:
        return prefilled
    kept = {k: previous[k] for k in CARRIED_OVER if previous.get(k) not in (None, "")}
    try:
        return rules.update_scope(prefilled, kept)
    except BadInput:
        return prefilled


def fields_for(env: Environment, kind: CommsKind) -> tuple[str, ...]:
    """Return the editable fields that matter for a kind: the ones its template uses or needs."""
    assert env.loader is not None
    source = env.loader.get_source(env, rules.template_name(kind))[0]
    used = meta.find_undeclared_variables(env.parse(source))
    wanted = used | set(REQUIRED_FIELDS[kind]) | _ALWAYS_SHOWN
    if "ongoing" in used or "window_duration" in used:
        wanted.add("window_end")
    if rules.template_audience(env, kind) is Audience.EXTERNAL:
        wanted.add("status_page_status")  # a status page shows it even if the text does not
    return tuple(name for name in EDITABLE if name in wanted)


def for_kind(scope: Scope, kind: CommsKind) -> Scope:
    """Adjust a prefilled scope to the kind: a resolution or follow-up says it is resolved."""
    if kind in _ENDS_IT:
        return scope.model_copy(
            update={"status_page_status": StatusPageStatus.RESOLVED, "next_update_at": None}
        )
    return scope


def whole_minutes(scope: Scope) -> Scope:
    """Drop seconds from the scope's times, so a form showing minutes round-trips exactly."""
    times = {
        name: value.replace(second=0, microsecond=0)
        for name in ("window_start", "window_end", "next_update_at")
        if (value := getattr(scope, name)) is not None
    }
    return scope.model_copy(update=times)
