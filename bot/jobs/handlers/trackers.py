"""Tracker work: create each action item's Jira or Linear issue once, then keep it in step.

The attempt is counted in the database before anything is sent; a later attempt after one that
may have created the issue looks for it first (Jira: by its label; Linear: by the id chosen for
it), so a retry never makes a second issue. Outages are retried until the tracker answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import session_scope
from bot.errors import RetryLater
from bot.flows import tracker_sync
from bot.jobs.handlers.common import Handler, JobEnv, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.remote import Refused
from bot.trackers import clients
from bot.trackers.schemas import RemoteIssue


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """Tracker sync (it asks Slack for the owner's name and email)."""
    return slack_handlers(env, {JobKind.TRACKER_SYNC: _TrackerWork(env).sync})


@dataclass
class _TrackerWork:
    env: JobEnv

    async def sync(self, work: Claimed) -> None:
        """Create the item's issue if needed, then set its state and due date."""
        deps, item_id = self.env.deps, int(work.payload["item"])
        async with session_scope(deps.sessions) as session:
            job = await tracker_sync.start(
                session=session, config=deps.config, item_id=item_id, now=deps.clock()
            )
        if job is None:
            return
        try:
            issue = await self._in_step(job)
        except (RetryLater, Refused) as exc:
            retrying = isinstance(exc, RetryLater)
            async with session_scope(deps.sessions) as session:
                await tracker_sync.failed(
                    session=session,
                    item_id=item_id,
                    error=str(exc),
                    retrying=retrying,
                    now=deps.clock(),
                )
            if retrying:
                raise
            return
        async with session_scope(deps.sessions) as session:
            await tracker_sync.synced(
                session=session, item_id=item_id, issue=issue, now=deps.clock()
            )

    async def _in_step(self, job: tracker_sync.SyncJob) -> RemoteIssue:
        deps = self.env.deps
        tracker = clients.client(deps.http, job.tracker, deps.environ)
        issue = await tracker.current(job.issue) if job.issue else await self._created(job, tracker)
        if (issue.state, issue.due) != (job.item.state, job.item.due):
            issue = await tracker.push(issue, job.item.state, job.item.due)
        return issue

    async def _created(
        self, job: tracker_sync.SyncJob, tracker: clients.TrackerClient
    ) -> RemoteIssue:
        found = await tracker.existing(job.item.id, job.chosen_id) if job.may_exist else None
        if found is None:
            slack = self.env.need_slack()
            owner = job.item.owner_id
            draft = tracker_sync.draft(
                job, await slack.display_name(owner), await slack.user_email(owner)
            )
            found = await tracker.create(draft, job.chosen_id)
        async with session_scope(self.env.deps.sessions) as session:
            await tracker_sync.created(
                session=session, item_id=job.item.id, issue=found, now=self.env.deps.clock()
            )
        return found
