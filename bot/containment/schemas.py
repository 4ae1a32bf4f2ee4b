"""Containment data: what a provider call may use, the plan shown before it runs, its outcome."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from bot.vocabulary import IncidentType, Severity

BODY_EXCERPT_MAX = 2_000


class ProviderKind(StrEnum):
    WEBHOOK = "webhook"
    LAUNCHDARKLY = "launchdarkly"
    UNLEASH = "unleash"
    LANGFUSE = "langfuse"
    MODEL_GATEWAY = "model_gateway"
    EVAL_RUNNER = "eval_runner"  # runs eval suites ("Run evals"), no containment action

    @property
    def label(self) -> str:
        """Product name for messages, e.g. 'LaunchDarkly'."""
        return _LABELS[self]


_LABELS = {
    ProviderKind.WEBHOOK: "Webhook",
    ProviderKind.LAUNCHDARKLY: "LaunchDarkly",
    ProviderKind.UNLEASH: "Unleash",
    ProviderKind.LANGFUSE: "Langfuse",
    ProviderKind.MODEL_GATEWAY: "Model gateway",
    ProviderKind.EVAL_RUNNER: "Eval runner",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IncidentFields(_Frozen):
    """The incident facts a provider call may use (and a webhook body template may name)."""

    number: int
    title: str
    type: IncidentType
    severity: Severity
    feature: str | None = None
    channel_name: str
    commander: str | None = Field(None, description="Display name of the commander, if any.")


class Plan(_Frozen):
    """Exactly what one containment call will do, safe to show and to store for audit.

    Secrets never appear: header values name them as `${ENV_NAME}` references, and
    `base64(...)` marks text that is base64-encoded after the references are filled in
    (HTTP Basic auth). For a Langfuse rollback the target version is learned when the plan
    runs, so the URL ends in `{previous}` until then.
    """

    action: str
    provider: str
    kind: ProviderKind
    description: str
    method: str
    url: str
    headers: dict[str, str]
    body: JsonValue = None
    undo_action: str | None = None
    target: dict[str, str] = Field(
        default_factory=dict,
        description="Provider-specific names the call needs at run time (flag, environment, …).",
    )


class Outcome(_Frozen):
    """What happened when a plan ran; provider failures are outcomes, never exceptions."""

    ok: bool
    status: int | None = None
    body: str = Field("", max_length=BODY_EXCERPT_MAX)
    duration_ms: int = 0
    attempts: int = 0
    error: str | None = None
    undo: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="What undo needs, e.g. the flag's state or the prompt version before.",
    )


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provider(_Settings):
    """A containment provider; credentials are named by environment variable, never inline."""

    kind: str
    url: str | None = None
    token_env: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Containment(_Settings):
    """How containment calls are made: per-attempt timeout, retries and backoff between them."""

    timeout_s: float = Field(default=10.0, gt=0)
    retries: int = Field(default=2, ge=0, le=5)
    backoff_s: float = Field(default=0.5, ge=0)
