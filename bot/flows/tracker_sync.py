"""Keep each action item's tracker issue in step: record the intent, then let the worker sync.

Every change of an item (added, moved, re-dated) marks its issue pending and queues one sync,
which creates the issue if it has none yet (finding it first when an earlier create may have
got through), then sets its state and due date. Outages are retried until the tracker answers;
refusals are shown on the item and tried again on its next change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import TrackerIssue
from bot.postmortem import store as item_store
from bot.postmortem.store import ItemRecord
from bot.trackers import rules
from bot.trackers import store as tracker_store
from bot.trackers.schemas import IssueDraft, RemoteIssue, Tracker
from bot.vocabulary import SyncState, TrackerKind


async def queue_sync(
    *, session: AsyncSession, config: Config, item: ItemRecord, now: datetime
) -> None:
    """Mark the item's issue as owing a sync and queue it (nothing when no tracker takes it)."""
    if not config.trackers:
        return
    row = await tracker_store.for_item(session=session, item_id=item.id, lock=True)
    if row is None:
        name = rules.tracker_for(config.trackers, item.team)
        if name is None:
            return
        kind = TrackerKind(config.trackers[name].kind)
        chosen = str(uuid.uuid4()) if kind is TrackerKind.LINEAR else None  # Linear takes our id
        row = TrackerIssue(item_id=item.id, tracker=name, kind=kind, remote_id=chosen)
        session.add(row)
    elif _in_step(row, item):
        return  # the tracker already shows it (the change came from the tracker)
    if row.sync != SyncState.RETRYING.value:
        row.sync = SyncState.PENDING
    row.updated_at = now
    await session.flush()
    await queue.schedule(
        session=session,
        kind=JobKind.TRACKER_SYNC,
        subject_key=str(item.id),
        due_at=now,
        incident_id=item.incident_id,
        payload={"item": item.id},
    )


async def _locked(session: AsyncSession, item_id: int) -> TrackerIssue | None:
    """The item's issue row, locked after the item: changes of an item lock it first and then
    this row, so taking them in the same order never deadlocks."""
    await item_store.row(session=session, item_id=item_id, lock=True)
    return await tracker_store.for_item(session=session, item_id=item_id, lock=True)


def _in_step(row: TrackerIssue, item: ItemRecord) -> bool:
    shown = (row.remote_state, row.remote_due)
    return row.remote_key is not None and shown == (item.state.value, item.due)


async def _shown_again(session: AsyncSession, item: ItemRecord, now: datetime) -> None:
    """Refresh the item's message and its owner's App Home, which show the sync state."""
    payload = {"item": item.id, "due": item.due.isoformat()}
    await queue.schedule(
        session=session,
        kind=JobKind.ITEM_REFRESH,
        subject_key=str(item.id),
        due_at=now,
        incident_id=item.incident_id,
        payload=payload,
    )
    await queue.schedule(
        session=session, kind=JobKind.ITEM_HOME, subject_key=item.owner_id, due_at=now
    )


@dataclass(frozen=True)
class SyncJob:
    """What one sync needs: the item, its tracker, and what is known of its issue."""

    item: ItemRecord
    tracker: Tracker
    issue: RemoteIssue | None  # None until the issue is known to exist
    chosen_id: str | None  # the id a Linear issue is created with
    may_exist: bool  # an earlier create may have got through unanswered
    incident_link: str | None


async def start(
    *, session: AsyncSession, config: Config, item_id: int, now: datetime
) -> SyncJob | None:
    """Load the sync and count the attempt before anything is sent (None: nothing to do)."""
    row = await _locked(session, item_id)
    if row is None:
        return None
    tracker = config.trackers.get(row.tracker)
    if tracker is None:
        row.sync, row.error = SyncState.FAILED, f"the tracker {row.tracker} is not configured"
        return None
    item = await item_store.record(session=session, item_id=item_id)
    known = row.remote_key is not None and row.remote_id is not None
    issue = _known(row) if known else None
    may_exist = not known and row.attempts > 0
    row.attempts += 1
    row.updated_at = now
    return SyncJob(item, tracker, issue, row.remote_id, may_exist, _incident_link(config, item))


def _known(row: TrackerIssue) -> RemoteIssue:
    state = row.remote_state
    return RemoteIssue(
        row.remote_id or "", row.remote_key or "", row.url or "", state, row.remote_due
    )


def _incident_link(config: Config, item: ItemRecord) -> str | None:
    if config.web.public_url:
        return f"{config.web.public_url}/ui/incidents/{item.incident_number}"
    if item.incident_channel:
        return f"https://slack.com/app_redirect?channel={item.incident_channel}"
    return None


def draft(job: SyncJob, owner_name: str | None, owner_email: str | None) -> IssueDraft:
    """What the new issue says."""
    item = job.item
    return IssueDraft(
        item_id=item.id,
        text=item.text,
        kind=item.kind,
        due=item.due,
        incident_number=item.incident_number,
        incident_title=item.incident_title,
        incident_link=job.incident_link,
        owner_name=owner_name or item.owner_id,
        owner_email=owner_email,
    )


async def created(
    *, session: AsyncSession, item_id: int, issue: RemoteIssue, now: datetime
) -> None:
    """Remember the issue as soon as it exists (before its state is set)."""
    row = await _locked(session, item_id)
    if row is not None:
        tracker_store.record_remote(row, issue, now)
        row.sync = SyncState.PENDING


async def synced(*, session: AsyncSession, item_id: int, issue: RemoteIssue, now: datetime) -> None:
    """Record what the issue shows; in step unless the item changed meanwhile (queued again)."""
    row = await _locked(session, item_id)
    if row is None:
        return
    before = row.sync
    tracker_store.record_remote(row, issue, now)
    item = await item_store.record(session=session, item_id=item_id)
    if (item.state, item.due) != (issue.state, issue.due):
        row.sync = SyncState.PENDING
    if row.sync != before:
        await _shown_again(session, item, now)


async def failed(
    *, session: AsyncSession, item_id: int, error: str, retrying: bool, now: datetime
) -> None:
    """Show why the issue is not in step: retrying through an outage, or refused."""
    row = await _locked(session, item_id)
    if row is None:
        return
    state = SyncState.RETRYING if retrying else SyncState.FAILED
    changed = (row.sync, row.error) != (state, error[:2000])
    row.sync, row.error, row.updated_at = state, error[:2000], now
    if changed:
        await _shown_again(session, await item_store.record(session=session, item_id=item_id), now)
