"""Pure containment rules: resolve an action to its provider and plan the exact HTTP call."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Protocol

from jinja2 import Environment, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.containment import catalog
from bot.containment.providers import flags, langfuse, webhooks
from bot.containment.providers.context import Context
from bot.containment.schemas import IncidentFields, Outcome, Plan, Provider, ProviderKind
from bot.errors import BadInput, ConfigError
from bot.vocabulary import IncidentType, Severity

_SECRET_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BASE64_SPAN = re.compile(r"base64\(([^()]*)\)")
_PLANNERS: dict[ProviderKind, Callable[[Context], Plan]] = {
    ProviderKind.WEBHOOK: webhooks.webhook,
    ProviderKind.LAUNCHDARKLY: flags.launchdarkly,
    ProviderKind.UNLEASH: flags.unleash,
    ProviderKind.LANGFUSE: langfuse.plan,
    ProviderKind.MODEL_GATEWAY: webhooks.model_gateway,
    ProviderKind.EVAL_RUNNER: webhooks.webhook,  # never reached: it supports no action
}
_SUPPORTED: dict[ProviderKind, tuple[str, ...] | None] = {
    ProviderKind.WEBHOOK: None,  # any catalog action
    ProviderKind.LAUNCHDARKLY: flags.ACTIONS,
    ProviderKind.UNLEASH: flags.ACTIONS,
    ProviderKind.LANGFUSE: langfuse.ACTIONS,
    ProviderKind.MODEL_GATEWAY: webhooks.GATEWAY_ACTIONS,
    ProviderKind.EVAL_RUNNER: (),  # see bot.evals.runner
}
_UNDOERS: dict[ProviderKind, Callable[[Plan, Outcome], Plan]] = {
    ProviderKind.LAUNCHDARKLY: flags.undo,
    ProviderKind.UNLEASH: flags.undo,
    ProviderKind.LANGFUSE: langfuse.undo,
}


class Setup(Protocol):
    """The part of the config containment reads (the config's `actions` and `providers`)."""

    @property
    def actions(self) -> Mapping[str, str]: ...

    @property
    def providers(self) -> Mapping[str, Provider]: ...


# A title with quotes catches body templates that would break on real incident text.
_SAMPLE = IncidentFields(
    number=1,
    title='Sample "quoted" title',
    type=IncidentType.QUALITY_REGRESSION,
    severity=Severity.P2,
    feature="sample-feature",
    channel_name="inc-20260101-sample",
    commander="Sample Commander",
)


def plan(
    action_key: str,
    config: Setup,
    incident: IncidentFields,
    env: Mapping[str, str],
    jinja_env: Environment,
) -> Plan:
    """Resolve `action_key` through the config to its provider and plan the exact call."""
    action = _catalog_action(action_key)
    name = config.actions.get(action_key)
    if name is None:
        raise ConfigError(
            f"action `{action_key}` has no provider configured; "
            f"map it to one under actions.{action_key} in the config"
        )
    provider = config.providers.get(name)
    if provider is None:
        raise ConfigError(f"action `{action_key}` names provider `{name}`, which is not configured")
    ctx = Context(action, name, provider, provider_kind(name, provider), incident, jinja_env)
    _check_supported(ctx)
    built = _PLANNERS[ctx.kind](ctx)
    _check_env(ctx, built.headers, env)
    return built


def provider_kind(name: str, provider: Provider) -> ProviderKind:
    """Return the provider's kind, or raise ConfigError naming the known kinds."""
    try:
        return ProviderKind(provider.kind)
    except ValueError:
        known = ", ".join(kind.value for kind in ProviderKind)
        message = f"provider `{name}`: unknown kind `{provider.kind}`; known: {known}"
        raise ConfigError(message) from None


def validate_providers(
    config: Setup, env: Mapping[str, str], jinja_env: Environment | None = None
) -> list[str]:
    """Return every problem with the providers and action mapping, for `incidentbot check`."""
    jinja_env = jinja_env or SandboxedEnvironment(undefined=StrictUndefined)
    problems: list[str] = []
    for name, provider in config.providers.items():
        problems += _problem(partial(provider_kind, name, provider))
    for key in config.actions:
        problems += _problem(partial(plan, key, config, _SAMPLE, env, jinja_env))
    return list(dict.fromkeys(problems))


def plan_undo(original: Plan, outcome: Outcome) -> Plan:
    """Plan the call that reverses `original`, from what its outcome recorded."""
    if not outcome.ok:
        raise BadInput("the action did not succeed, so there is nothing to undo")
    undoer = _UNDOERS.get(original.kind)
    if undoer is None:
        instead = f"; run `{original.undo_action}` instead" if original.undo_action else ""
        raise BadInput(f"{original.kind.label} actions cannot be undone automatically{instead}")
    return undoer(original, outcome)


def resolve_headers(headers: Mapping[str, str], secrets: Mapping[str, str]) -> dict[str, str]:
    """Fill `${ENV}` references from `secrets` and encode `base64(...)` spans: headers to send."""

    def encode(match: re.Match[str]) -> str:
        return base64.b64encode(_fill(match.group(1), secrets).encode()).decode()

    return {key: _fill(_BASE64_SPAN.sub(encode, value), secrets) for key, value in headers.items()}


def referenced_secrets(headers: Mapping[str, str], secrets: Mapping[str, str]) -> list[str]:
    """Return the secret values the headers refer to, so they can be scrubbed from answers."""
    names = {name for value in headers.values() for name in _SECRET_REF.findall(value)}
    return [secrets[name] for name in sorted(names) if secrets.get(name)]


def _catalog_action(key: str) -> catalog.Action:
    try:
        return catalog.get(key)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0])) from None


def _check_supported(ctx: Context) -> None:
    supported = _SUPPORTED[ctx.kind]
    if supported is not None and ctx.action.key not in supported:
        runs = ", ".join(supported)
        raise ctx.fail(f"cannot run `{ctx.action.key}`; a {ctx.kind} provider runs {runs}")


def _check_env(ctx: Context, headers: Mapping[str, str], env: Mapping[str, str]) -> None:
    for value in headers.values():
        for name in _SECRET_REF.findall(value):
            if not env.get(name):
                raise ctx.fail(f"environment variable {name} is not set")


def _fill(text: str, secrets: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if not secrets.get(name):
            raise ConfigError(f"environment variable {name} is not set")
        return secrets[name]

    return _SECRET_REF.sub(value, text)


def _problem(check: Callable[[], object]) -> list[str]:
    try:
        check()
    except (ConfigError, BadInput) as exc:
        return [str(exc)]
    return []
