"""Job handlers, one module per stage: each reads through flows, sends, and records through flows.

`handlers(env)` lists every kind this process can run: all of them when Slack is configured,
otherwise only the work that needs no Slack (publishing to status pages and webhooks).
"""

from __future__ import annotations

from bot.jobs.handlers import (
    changes,
    comms,
    containment,
    followup,
    incidents,
    paging,
    playbook,
    postmortem,
    signals,
    slack_requests,
    trackers,
)
from bot.jobs.handlers.common import Handler, JobEnv
from bot.jobs.kinds import JobKind

__all__ = ["Handler", "JobEnv", "handlers"]


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """The handler of every kind of work this process can run."""
    found: dict[JobKind, Handler] = {}
    for module in (
        incidents,
        playbook,
        containment,
        changes,
        comms,
        followup,
        slack_requests,
        trackers,
        paging,
        postmortem,
        signals,
    ):
        found.update(module.handlers(env))
    return found
