"""What a Slack request asked for, after its ack: run by the worker, not the web process."""

from __future__ import annotations

from bot.jobs.handlers.common import Handler, JobEnv
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.jobs.worker import MAX_ATTEMPTS
from bot.slack.gateway import retry_on_slack_failures


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """Run the queued work of stored Slack requests (when this process has the Slack app)."""
    run_request = env.run_slack_request
    if run_request is None:
        return {}

    async def run(item: Claimed) -> None:
        await run_request(item.payload, last_try=item.attempts >= MAX_ATTEMPTS)

    return {JobKind.SLACK_REQUEST: retry_on_slack_failures(run)}
