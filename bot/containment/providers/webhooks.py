"""Plain HTTP targets: a generic webhook (any action) and a model gateway's rollback hook."""

from __future__ import annotations

import json

from jinja2 import TemplateError, meta
from pydantic import JsonValue

from bot.containment.providers.context import Context
from bot.containment.schemas import Plan
from bot.errors import BadInput

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
GATEWAY_ACTIONS = ("model_rollback",)


def webhook(ctx: Context) -> Plan:
    """Plan calling the configured webhook with the rendered JSON body."""
    url, method = ctx.url(), ctx.option("method", "POST").upper()
    if method not in METHODS:
        raise ctx.fail(f"options.method must be one of {', '.join(METHODS)}")
    headers = {"Content-Type": "application/json", **_header_options(ctx)}
    if ctx.provider.token_env and "authorization" not in {h.lower() for h in headers}:
        headers["Authorization"] = f"Bearer {ctx.token_ref()}"
    return ctx.plan(
        description=f"Send {method} {url} (webhook `{ctx.name}`) to {ctx.action.title.lower()}",
        method=method,
        url=url,
        headers=headers,
        body=_body(ctx),
    )


def model_gateway(ctx: Context) -> Plan:
    """Plan asking the model gateway to roll the feature's model back."""
    url = ctx.url()
    feature = ctx.provider.options.get("feature") or ctx.incident.feature
    if not isinstance(feature, str) or not feature:
        raise BadInput("set the incident's feature to roll its model back", field="feature")
    version = ctx.option("to_version", "previous")
    headers = {"Content-Type": "application/json"}
    if ctx.provider.token_env:
        headers["Authorization"] = f"Bearer {ctx.token_ref()}"
    shown = "the previous model version" if version == "previous" else f"model version `{version}`"
    return ctx.plan(
        description=f"Ask model gateway `{ctx.name}` ({url}) to roll `{feature}` back to {shown}",
        method="POST",
        url=url,
        headers=headers,
        body={
            "action": "rollback",
            "feature": feature,
            "to_version": version,
            "incident": ctx.incident.number,
        },
    )


def _header_options(ctx: Context) -> dict[str, str]:
    headers = ctx.provider.options.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ctx.fail("options.headers must map header names to strings")
    return {str(key): value for key, value in headers.items()}


def _body(ctx: Context) -> JsonValue:
    source = ctx.provider.options.get("body")
    if source is None:
        return {"action": ctx.action.key, "incident": ctx.incident.model_dump(mode="json")}
    if not isinstance(source, str):
        raise ctx.fail("options.body must be a template string that renders to JSON")
    rendered = _render(ctx, source)
    try:
        body: JsonValue = json.loads(rendered)
    except json.JSONDecodeError as exc:
        hint = "write text values as {{ title | tojson }}"
        raise ctx.fail(f"options.body is not JSON after rendering ({exc.msg}); {hint}") from exc
    return body


def _render(ctx: Context, source: str) -> str:
    names = {**ctx.incident.model_dump(mode="json"), "action": ctx.action.key}
    try:
        template = ctx.jinja_env.from_string(source)
        unknown = meta.find_undeclared_variables(ctx.jinja_env.parse(source)) - names.keys()
    except TemplateError as exc:
        raise ctx.fail(f"options.body is not a valid template: {exc}") from exc
    if unknown:
        known = ", ".join(names)
        raise ctx.fail(f"options.body names unknown {', '.join(sorted(unknown))}; known: {known}")
    try:
        return template.render(**names)
    except (TemplateError, TypeError, ValueError) as exc:  # e.g. tojson of an odd value
        raise ctx.fail(f"options.body does not render: {exc}") from exc
