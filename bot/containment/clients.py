"""Outbound containment calls: run a plan against its provider with retries, report the outcome."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import JsonValue

from bot.containment import rules as containment_rules
from bot.containment.providers import flags as flags_provider
from bot.containment.providers import langfuse as langfuse_provider
from bot.containment.schemas import BODY_EXCERPT_MAX, Outcome, Plan, ProviderKind
from bot.errors import ConfigError

ERROR_MESSAGE_MAX = 300


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int | None
    text: str = ""
    error: str | None = None
    retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


@dataclass(slots=True)
class _Caller:
    """Sends one provider's requests with the real headers, retrying what is worth retrying."""

    client: httpx.AsyncClient
    kind: ProviderKind
    headers: dict[str, str]
    secrets: list[str]
    timeout_s: float
    retries: int
    backoff_s: float
    attempts: int = field(default=0)

    async def send(
        self, method: str, url: str, body: JsonValue = None, params: dict[str, str] | None = None
    ) -> _Reply:
        for attempt in range(1, self.retries + 2):
            self.attempts += 1
            reply = await self._once(method, url, body, params)
            if not reply.retryable or attempt > self.retries:
                break
            await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        if reply.retryable and attempt > 1:
            return _Reply(reply.status, reply.text, f"{reply.error} ({attempt} attempts)")
        return reply

    async def read(self, url: str, params: dict[str, str] | None = None) -> _Reply:
        return await self.send("GET", url, params=params)

    def outcome(self, reply: _Reply, undo: dict[str, JsonValue] | None = None) -> Outcome:
        return Outcome(
            ok=reply.ok,
            status=reply.status,
            body=self.scrub(reply.text)[:BODY_EXCERPT_MAX],
            attempts=self.attempts,
            error=self.scrub(reply.error) if reply.error else None,
            undo=undo or {},
        )

    def fail(self, reply: _Reply, message: str) -> Outcome:
        return self.outcome(_Reply(reply.status, reply.text, message))

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    async def _once(
        self, method: str, url: str, body: JsonValue, params: dict[str, str] | None
    ) -> _Reply:
        headers = self.headers if body is not None else _without_content_type(self.headers)
        content = None if body is None else json.dumps(body).encode()
        try:
            response = await self.client.request(
                method, url, headers=headers, content=content, params=params, timeout=self.timeout_s
            )
        except httpx.TimeoutException:
            return _Reply(None, error=f"timed out after {self.timeout_s:g} s", retryable=True)
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            host = urlsplit(url).netloc
            return _Reply(None, error=f"could not reach {host}: {reason}", retryable=True)
        return self._reply(response)

    def _reply(self, response: httpx.Response) -> _Reply:
        status, text = response.status_code, response.text
        if 200 <= status < 300:
            return _Reply(status, text)
        error = f"{self.kind.label} answered {status}: {_message(text, response.reason_phrase)}"
        return _Reply(status, text, error, retryable=status >= 500)


async def execute(
    plan: Plan,
    client: httpx.AsyncClient,
    *,
    secrets: Mapping[str, str],
    timeout_s: float = 10,
    retries: int = 2,
    backoff_s: float = 0.25,
) -> Outcome:
    """Run `plan` with the real credentials; report provider failures as an outcome, never raise."""
    started = time.monotonic()
    try:
        headers = containment_rules.resolve_headers(plan.headers, secrets)
    except ConfigError as exc:
        return Outcome(ok=False, error=str(exc))
    scrub = _secrets_in(plan.headers, headers, secrets)
    caller = _Caller(client, plan.kind, headers, scrub, timeout_s, retries, backoff_s)
    outcome = await _RUNNERS[plan.kind](plan, caller)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return outcome.model_copy(update={"duration_ms": elapsed_ms})


async def undo(
    plan: Plan,
    outcome: Outcome,
    client: httpx.AsyncClient,
    *,
    secrets: Mapping[str, str],
    timeout_s: float = 10,
    retries: int = 2,
    backoff_s: float = 0.25,
) -> tuple[Plan, Outcome]:
    """Plan and run the reversal of `plan` (BadInput when there is nothing to undo)."""
    reverse = containment_rules.plan_undo(plan, outcome)
    result = await execute(
        reverse, client, secrets=secrets, timeout_s=timeout_s, retries=retries, backoff_s=backoff_s
    )
    return reverse, result


async def _run_request(plan: Plan, caller: _Caller) -> Outcome:
    return caller.outcome(await caller.send(plan.method, plan.url, plan.body))


async def _run_flag(plan: Plan, caller: _Caller) -> Outcome:
    before = await caller.read(*flags_provider.state_request(plan))
    if not before.ok:
        return caller.outcome(before)
    was_on = _flag_state(plan, before.json())
    if was_on is None:
        flag, env = plan.target["flag"], plan.target["environment"]
        return caller.fail(before, f"{plan.kind.label} has no `{flag}` in environment `{env}`")
    return caller.outcome(await caller.send(plan.method, plan.url, plan.body), {"was_on": was_on})


async def _run_prompt(plan: Plan, caller: _Caller) -> Outcome:
    base, prompt, label = (plan.target[key] for key in ("base_url", "prompt", "label"))
    current = await caller.read(langfuse_provider.prompt_url(base, prompt), {"label": label})
    if not current.ok:
        return caller.outcome(current)
    before = _int(current.json(), "version")
    if before is None:
        return caller.fail(current, f"Langfuse named no version of `{prompt}` labelled `{label}`")
    goal = await _goal_version(plan, caller, before)
    if isinstance(goal, _Reply):
        return caller.outcome(goal)
    url = plan.url.replace(langfuse_provider.PREVIOUS, str(goal))
    reply = await caller.send(plan.method, url, plan.body)
    undo: dict[str, JsonValue] = {"prompt": prompt, "label": label}
    return caller.outcome(reply, {**undo, "from_version": before, "to_version": goal})


async def _goal_version(plan: Plan, caller: _Caller, current: int) -> int | _Reply:
    if "version" in plan.target:  # an undo names the version to go back to
        return int(plan.target["version"])
    return await _previous_version(caller, plan.target["base_url"], plan.target["prompt"], current)


async def _previous_version(caller: _Caller, base: str, prompt: str, current: int) -> int | _Reply:
    listing = await caller.read(*langfuse_provider.listing_request(base, prompt))
    if not listing.ok:
        return listing
    data = listing.json()
    metas = data.get("data", []) if isinstance(data, dict) else []
    versions = [v for m in metas if m.get("name") == prompt for v in m.get("versions", [])]
    older = [v for v in versions if isinstance(v, int) and v < current]
    if not older:
        message = f"Langfuse prompt `{prompt}` has no version before {current} to roll back to"
        return _Reply(listing.status, listing.text, message)
    return max(older)


def _flag_state(plan: Plan, data: Any) -> bool | None:
    env = plan.target["environment"]
    if not isinstance(data, dict):
        return None
    if plan.kind is ProviderKind.LAUNCHDARKLY:
        state = data.get("environments", {}).get(env, {}).get("on")
    else:
        matches = [e for e in data.get("environments", []) if e.get("name") == env]
        state = matches[0].get("enabled") if matches else None
    return state if isinstance(state, bool) else None


_RUNNERS: dict[ProviderKind, Callable[[Plan, _Caller], Awaitable[Outcome]]] = {
    ProviderKind.WEBHOOK: _run_request,
    ProviderKind.MODEL_GATEWAY: _run_request,
    ProviderKind.LAUNCHDARKLY: _run_flag,
    ProviderKind.UNLEASH: _run_flag,
    ProviderKind.LANGFUSE: _run_prompt,
    ProviderKind.EVAL_RUNNER: _run_request,
}


def _secrets_in(
    shown: Mapping[str, str], sent: Mapping[str, str], secrets: Mapping[str, str]
) -> list[str]:
    """Return every form of secret the request carries (raw and encoded), longest first."""
    raw = containment_rules.referenced_secrets(shown, secrets)
    encoded = [value.split()[-1] for key, value in sent.items() if value and value != shown[key]]
    return sorted({*raw, *encoded}, key=len, reverse=True)


def _message(text: str, fallback: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message") or data.get("error"), str):
        text = data.get("message") or data["error"]
    text = " ".join(text.split()) or fallback
    return text if len(text) <= ERROR_MESSAGE_MAX else text[: ERROR_MESSAGE_MAX - 1] + "…"


def _without_content_type(headers: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in headers.items() if key.lower() != "content-type"}


def _int(data: Any, key: str) -> int | None:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, int) else None
