"""What a planner knows about one configured provider, with checked access to its options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from jinja2 import Environment

from bot.containment import catalog
from bot.containment.schemas import IncidentFields, Plan, Provider, ProviderKind
from bot.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Context:
    """One action about to be planned on one named provider."""

    action: catalog.Action
    name: str
    provider: Provider
    kind: ProviderKind
    incident: IncidentFields
    jinja_env: Environment

    def fail(self, message: str) -> ConfigError:
        """Return a ConfigError that names this provider."""
        return ConfigError(f"provider `{self.name}` ({self.kind}): {message}")

    def option(self, key: str, default: str | None = None) -> str:
        """Return a required string option (or its default)."""
        value = self.provider.options.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"options.{key} must be a non-empty string")
        return value.strip()

    def url(self, default: str | None = None) -> str:
        """Return the provider's base URL without a trailing slash."""
        url = self.provider.url or default
        if not url or not url.startswith(("http://", "https://")):
            raise self.fail("url must be set to an http:// or https:// address")
        return url.rstrip("/")

    def token_ref(self) -> str:
        """Return the `${ENV}` reference to the provider's token; it must be configured."""
        if not self.provider.token_env:
            raise self.fail("token_env must name the environment variable holding the API token")
        return ref(self.provider.token_env)

    def plan(self, **fields: Any) -> Plan:
        """Build this action's plan from the request fields."""
        return Plan(
            action=self.action.key,
            provider=self.name,
            kind=self.kind,
            undo_action=self.action.undo,
            **fields,
        )


def ref(env_name: str) -> str:
    """Return the `${ENV_NAME}` reference shown (and later filled in) instead of a secret."""
    return "${" + env_name + "}"


def segment(value: str) -> str:
    """Quote one URL path segment, slashes included."""
    return quote(value, safe="")
