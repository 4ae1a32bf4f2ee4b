"""What every job handler is given, and the key that makes its Slack posts happen once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.deps import Deps
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.slack.gateway import PostKey, SlackGateway, retry_on_slack_failures

Handler = Callable[[Claimed], Awaitable[None]]


class RunSlackRequest(Protocol):
    """Runs the work part of a stored Slack request; on the last try it reports any failure."""

    async def __call__(self, payload: dict[str, Any], *, last_try: bool = False) -> None: ...


@dataclass(frozen=True)
class JobEnv:
    deps: Deps
    slack: SlackGateway | None  # None when Slack is not configured
    # Runs the work part of a stored Slack request (None without the Slack app).
    run_slack_request: RunSlackRequest | None = None

    def need_slack(self) -> SlackGateway:
        """The Slack gateway (handlers that use it are only registered when there is one)."""
        assert self.slack is not None
        return self.slack


def slack_handlers(env: JobEnv, found: dict[JobKind, Handler]) -> dict[JobKind, Handler]:
    """Handlers that talk to Slack: none without Slack, else retried on Slack's failures."""
    if env.slack is None:
        return {}
    return {kind: retry_on_slack_failures(handler) for kind, handler in found.items()}


def once(item: Claimed, part: str = "") -> PostKey:
    """The key of one message this run of `item` posts (looked for first on a retry)."""
    key = f"{item.kind}:{item.subject_key}:{item.armed_at.timestamp():.0f}:{part}"
    return PostKey(key, may_exist=item.attempts > 1)
