"""Feature flags: LaunchDarkly (semantic patch) and Unleash (admin API), off/on and undo."""

from __future__ import annotations

from pydantic import JsonValue

from bot.containment.providers.context import Context
from bot.containment.providers.context import segment as q
from bot.containment.schemas import Outcome, Plan, ProviderKind
from bot.errors import BadInput

LAUNCHDARKLY_URL = "https://app.launchdarkly.com"
SEMANTIC_PATCH = "application/json; domain-model=launchdarkly.semanticpatch"
FLAG_OFF, FLAG_ON = "feature_flag_off", "feature_flag_on"
ACTIONS = (FLAG_OFF, FLAG_ON)


def launchdarkly(ctx: Context) -> Plan:
    """Plan turning a LaunchDarkly flag off or on in one environment."""
    target = {
        "base_url": ctx.url(LAUNCHDARKLY_URL),
        "project": ctx.option("project"),
        "flag": ctx.option("flag"),
        "environment": ctx.option("environment"),
        "incident": str(ctx.incident.number),
    }
    headers = {"Authorization": ctx.token_ref(), "Content-Type": SEMANTIC_PATCH}
    return flag_plan(ProviderKind.LAUNCHDARKLY, ctx.name, headers, target, ctx.action.key)


def unleash(ctx: Context) -> Plan:
    """Plan turning an Unleash feature off or on in one environment."""
    target = {
        "base_url": ctx.url(),
        "project": ctx.option("project", "default"),
        "flag": ctx.option("feature"),
        "environment": ctx.option("environment"),
        "incident": str(ctx.incident.number),
    }
    headers = {"Authorization": ctx.token_ref()}
    return flag_plan(ProviderKind.UNLEASH, ctx.name, headers, target, ctx.action.key)


def undo(original: Plan, outcome: Outcome) -> Plan:
    """Plan putting the flag back into the state it had before `original` ran."""
    was_on, turned_on = outcome.undo.get("was_on"), original.action == FLAG_ON
    if was_on is turned_on:
        state = "ON" if turned_on else "OFF"
        raise BadInput(f"nothing to undo: `{original.target['flag']}` was already {state} before")
    reverse = FLAG_OFF if turned_on else FLAG_ON
    return flag_plan(original.kind, original.provider, original.headers, original.target, reverse)


def flag_plan(
    kind: ProviderKind, provider: str, headers: dict[str, str], target: dict[str, str], action: str
) -> Plan:
    """Build the plan for `action` (flag off or on) from the flag's target names."""
    on = action == FLAG_ON
    flag, env, project = target["flag"], target["environment"], target["project"]
    noun = "flag" if kind is ProviderKind.LAUNCHDARKLY else "feature"
    state = "ON" if on else "OFF"
    description = (
        f"Turn {state} {kind.label} {noun} `{flag}` in environment `{env}` (project `{project}`)"
    )
    if kind is ProviderKind.LAUNCHDARKLY:
        method, url = "PATCH", f"{target['base_url']}/api/v2/flags/{q(project)}/{q(flag)}"
        body: JsonValue = {
            "environmentKey": env,
            "comment": f"incidentbot: turned {state.lower()} during incident #{target['incident']}",
            "instructions": [{"kind": "turnFlagOn" if on else "turnFlagOff"}],
        }
    else:
        method, body = "POST", None
        url = (
            f"{target['base_url']}/api/admin/projects/{q(project)}/features/{q(flag)}"
            f"/environments/{q(env)}/{'on' if on else 'off'}"
        )
    return Plan(
        action=action,
        provider=provider,
        kind=kind,
        description=description,
        method=method,
        url=url,
        headers=headers,
        body=body,
        undo_action=FLAG_OFF if on else FLAG_ON,
        target=target,
    )


def state_request(plan: Plan) -> tuple[str, dict[str, str] | None]:
    """The GET (URL and query) that reads the flag's state before it is changed (for undo)."""
    base, project, flag = (plan.target[key] for key in ("base_url", "project", "flag"))
    if plan.kind is ProviderKind.LAUNCHDARKLY:
        return f"{base}/api/v2/flags/{q(project)}/{q(flag)}", {"env": plan.target["environment"]}
    return f"{base}/api/admin/projects/{q(project)}/features/{q(flag)}", None
