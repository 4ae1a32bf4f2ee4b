"""The eval runner: a provider (kind `eval_runner`) the "Run evals" button calls.

Configured like a containment provider: a URL, the token's environment variable, and an
optional JSON body template naming `feature`, `suite`, `suites`, `versions`, `incident`,
`request_id` and `results_to`. The runner runs the suites and posts its results to
`POST /evals` (with `incident`), where fix validation takes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from jinja2 import Environment, TemplateError, meta
from pydantic import JsonValue

from bot.containment.providers.context import ref
from bot.containment.schemas import Plan, Provider, ProviderKind
from bot.errors import ConfigError

ACTION = "run_evals"


@dataclass(frozen=True)
class RunRequest:
    """What one click asks the runner to do."""

    request_id: int
    incident: int
    feature: str
    versions: dict[str, str] = field(default_factory=dict)
    results_to: str | None = None  # where results go: this bot's POST /evals


SAMPLE = RunRequest(1, 1, "sample-feature", {"model": "m-2", "prompt": "v12"}, None)


class RunnerConfig(Protocol):
    """What the eval runner reads of the config."""

    @property
    def providers(self) -> Mapping[str, Provider]: ...

    @property
    def eval_runner(self) -> str | None: ...


def provider(config: RunnerConfig) -> tuple[str, Provider]:
    """The configured eval runner (ConfigError when there is none or it is not one)."""
    name = config.eval_runner
    if name is None:
        found = [n for n, p in config.providers.items() if p.kind == ProviderKind.EVAL_RUNNER]
        if len(found) != 1:
            raise ConfigError(
                "no eval runner configured: add a provider of kind eval_runner "
                "(and name it in `eval_runner` when there are several)"
            )
        name = found[0]
    chosen = config.providers.get(name)
    if chosen is None:
        raise ConfigError(f"eval_runner names provider `{name}`, which is not configured")
    if chosen.kind != ProviderKind.EVAL_RUNNER:
        raise ConfigError(f"eval_runner: provider `{name}` is a {chosen.kind}, not an eval_runner")
    return name, chosen


def suites(runner: Provider) -> list[str]:
    """The suites the runner is asked to run (options.suites, or options.suite)."""
    found = runner.options.get("suites", runner.options.get("suite", []))
    listed = [found] if isinstance(found, str) else found
    if not isinstance(listed, list) or not all(isinstance(s, str) and s for s in listed):
        raise ConfigError("eval runner: options.suites must be a list of suite names")
    return list(listed)


def plan(config: RunnerConfig, request: RunRequest, jinja_env: Environment) -> Plan:
    """The exact call for this request (secrets as `${ENV}` references)."""
    name, runner = provider(config)
    url = runner.url or ""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"eval runner `{name}`: url must be an http:// or https:// address")
    headers = {"Content-Type": "application/json"}
    headers["Idempotency-Key"] = f"incidentbot-evals-{request.request_id}"
    extra = runner.options.get("headers", {})
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise ConfigError(f"eval runner `{name}`: options.headers must map names to strings")
    headers |= {str(k): v for k, v in extra.items()}
    if runner.token_env and "authorization" not in {h.lower() for h in headers}:
        headers["Authorization"] = f"Bearer {ref(runner.token_env)}"
    names = _names(request, suites(runner))
    return Plan(
        action=ACTION,
        provider=name,
        kind=ProviderKind.EVAL_RUNNER,
        description=f"Ask eval runner `{name}` to run {', '.join(names['suites']) or 'its suites'}",
        method=str(runner.options.get("method", "POST")).upper(),
        url=url,
        headers=headers,
        body=_body(name, runner, names, jinja_env),
    )


def _names(request: RunRequest, listed: list[str]) -> dict[str, Any]:
    return {
        "feature": request.feature,
        "suite": listed[0] if listed else None,
        "suites": listed,
        "versions": request.versions,
        "incident": request.incident,
        "request_id": request.request_id,
        "results_to": request.results_to,
    }


def _body(name: str, runner: Provider, names: dict[str, Any], env: Environment) -> JsonValue:
    source = runner.options.get("body")
    if source is None:
        body: JsonValue = names
        return body
    if not isinstance(source, str):
        raise ConfigError(f"eval runner `{name}`: options.body must be a template string")
    try:
        unknown = meta.find_undeclared_variables(env.parse(source)) - names.keys()
        if unknown:
            known = ", ".join(names)
            raise ConfigError(
                f"eval runner `{name}`: options.body names unknown "
                f"{', '.join(sorted(unknown))}; known: {known}"
            )
        rendered = env.from_string(source).render(**names)
        parsed: JsonValue = json.loads(rendered)
    except (TemplateError, TypeError, ValueError) as exc:
        hint = "write text values as {{ feature | tojson }}"
        raise ConfigError(
            f"eval runner `{name}`: options.body does not render to JSON ({exc}); {hint}"
        ) from exc
    return parsed


def problems(config: RunnerConfig, env: Mapping[str, str], jinja_env: Environment) -> list[str]:
    """What is wrong with the eval runner's configuration, for `incidentbot check`."""
    configured = config.eval_runner is not None or any(
        p.kind == ProviderKind.EVAL_RUNNER for p in config.providers.values()
    )
    if not configured:
        return []
    try:
        built = plan(config, SAMPLE, jinja_env)
    except ConfigError as exc:
        return [str(exc)]
    _, runner = provider(config)
    if runner.token_env and not env.get(runner.token_env):
        return [f"eval runner: environment variable {runner.token_env} is not set"]
    return [] if built else ["eval runner: no plan"]
