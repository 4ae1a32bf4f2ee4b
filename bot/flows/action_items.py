"""Action item use-cases: add, move through states, change due dates, follow up, list.

Everything with a time in it is due work: the item's message, arming its reminders (which needs the
owner's time zone from Slack), the reminder two days before, the overdue notices, the digest.
Handlers re-check the item when they run, so a reminder for a changed due date or a finished item
does nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.errors import BadInput
from bot.flows import action_item_access, tracker_sync
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.postmortem import rules
from bot.postmortem import store as item_store
from bot.postmortem.digest import Digest, group_for_digest, next_digest
from bot.postmortem.schemas import ActionAddArgs, ActionsQuery, Scope
from bot.postmortem.store import ItemFilter, ItemRecord
from bot.vocabulary import ActionKind, ActionState, EventKind

ACTIVE = (ActionState.OPEN, ActionState.IN_PROGRESS)
SLACK_USER = re.compile(r"[UW][A-Z0-9_]+")
FINISHED = (ActionState.DONE, ActionState.WONT_DO)
RECENT = timedelta(days=14)
DIGEST_WEEK = timedelta(days=7)


def today(config: Config, now: datetime) -> date:
    """Return today's date where the team works (the configured time zone)."""
    return now.astimezone(ZoneInfo(config.followup.timezone)).date()


def teams_of(config: Config, user_id: str) -> list[str]:
    """Return the configured teams a user belongs to."""
    return [team for team, members in config.followup.teams.items() if user_id in members]


async def add(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    args: ActionAddArgs,
    actor: str,
    now: datetime,
) -> ItemRecord:
    """Add an action item (default due date by severity) and queue its message and reminders."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    created = today(config, now)
    due_on = args.due or rules.default_due(
        incident.severity,
        created,
        {k.value: v for k, v in config.followup.due_days.items()},
    )
    _check_future(due_on, created)
    teams = teams_of(config, args.owner_id)
    item_id = await item_store.add(
        session=session,
        incident_id=incident.id,
        text=args.text,
        owner_id=args.owner_id,
        team=teams[0] if teams else None,
        kind=args.kind or ActionKind.OTHER,
        due=due_on,
        created_by=actor,
        now=now,
    )
    item = await item_store.record(session=session, item_id=item_id)
    await _event(session, item, actor, now, f"added for <@{item.owner_id}>, due {due_on}")
    await _queue(session, JobKind.ITEM_POST, str(item.id), item, now)
    await _queue(session, JobKind.ITEM_ARM, f"{item.id}:{due_on}", item, now)
    await _refresh_homes(session, now, item.owner_id)
    await schedule_digest(session=session, config=config, after=now)
    await tracker_sync.queue_sync(session=session, config=config, item=item, now=now)
    return item


def _check_future(due_on: date, created: date) -> None:
    if due_on < created:
        raise BadInput(f"the due date {due_on} is in the past", field="due")


async def move(
    *,
    session: AsyncSession,
    config: Config,
    item_id: int,
    to: ActionState,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> ItemRecord:
    """Start, finish, drop (with a reason) or reopen an item; every change goes on the timeline.

    Only the people `followup.item_changes` names may; the owner's and the actor's App Home follow.
    """
    await check_may_change(session=session, config=config, item_id=item_id, actor=actor)
    return await apply_move(
        session=session, config=config, item_id=item_id, to=to, actor=actor, now=now, reason=reason
    )


async def apply_move(
    *,
    session: AsyncSession,
    config: Config,
    item_id: int,
    to: ActionState,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> ItemRecord:
    """Move an item whoever asks (the caller checked who may: a person, or a signed webhook)."""
    row = await item_store.row(session=session, item_id=item_id, lock=True)
    rules.transition_action(row.state, to, reason)
    row.state, row.updated_at = to, now
    row.reason = reason.strip() if to is ActionState.WONT_DO and reason else None
    row.done_at = now if to in FINISHED else None
    await session.flush()
    item = await item_store.record(session=session, item_id=item_id)
    why = f": {item.reason}" if item.reason else ""
    await _event(session, item, actor, now, f"{_label(to)}{why}")
    await _queue(session, JobKind.ITEM_REFRESH, str(item.id), item, now)
    if to is ActionState.OPEN:
        await _queue(session, JobKind.ITEM_ARM, f"{item.id}:{item.due}", item, now)
    await _refresh_homes(session, now, item.owner_id, actor)
    await tracker_sync.queue_sync(session=session, config=config, item=item, now=now)
    return item


async def check_may_change(
    *, session: AsyncSession, config: Config, item_id: int, actor: str
) -> ItemRecord:
    """Return the item if `actor` may change it; else raise Forbidden naming who may."""
    item = await item_store.record(session=session, item_id=item_id)
    await action_item_access.check(session=session, config=config, item=item, actor=actor)
    return item


async def change_due(
    *, session: AsyncSession, config: Config, item_id: int, due_on: date, actor: str, now: datetime
) -> ItemRecord:
    """Move an item's due date; its reminders are re-armed for the new date."""
    await check_may_change(session=session, config=config, item_id=item_id, actor=actor)
    row = await item_store.row(session=session, item_id=item_id, lock=True)
    _check_future(due_on, today(config, now))
    old = row.due_on
    if old == due_on:
        raise BadInput(f"action item #{item_id} is already due {due_on}", field="due")
    row.due_on, row.updated_at = due_on, now
    await session.flush()
    for kind in (
        JobKind.ITEM_ARM,
        JobKind.ITEM_REMIND,
        JobKind.OVERDUE_OWNER,
        JobKind.OVERDUE_MANAGERS,
    ):
        await queue.cancel(session=session, kind=kind, subject_key=f"{item_id}:{old}", now=now)
    item = await item_store.record(session=session, item_id=item_id)
    await _event(session, item, actor, now, f"due date {old} → {due_on}")
    await _queue(session, JobKind.ITEM_REFRESH, str(item.id), item, now)
    await _queue(session, JobKind.ITEM_ARM, f"{item.id}:{due_on}", item, now)
    await _refresh_homes(session, now, item.owner_id, actor)
    await tracker_sync.queue_sync(session=session, config=config, item=item, now=now)
    return item


async def arm(*, session: AsyncSession, item_id: int, due_on: date, tz: str, now: datetime) -> None:
    """Schedule the reminder (09:00 owner time, 2 days before) and the overdue notices."""
    item = await item_store.record(session=session, item_id=item_id)
    if not item.state.is_active or item.due != due_on:
        return
    subject = f"{item.id}:{due_on}"
    remind_at = rules.reminder_at(due_on, tz)
    if remind_at > now:  # an item created within two days of its due date needs no reminder
        await _queue(session, JobKind.ITEM_REMIND, subject, item, remind_at)
    overdue_at = rules.overdue_at(due_on, tz)
    for kind in (JobKind.OVERDUE_OWNER, JobKind.OVERDUE_MANAGERS):
        await _queue(session, kind, subject, item, overdue_at)


async def still_due(*, session: AsyncSession, item_id: int, due_on: date) -> ItemRecord | None:
    """The item if a reminder or overdue notice for `due_on` still applies, else None."""
    item = await item_store.record(session=session, item_id=item_id)
    return item if item.state.is_active and item.due == due_on else None


async def get(*, session: AsyncSession, item_id: int) -> ItemRecord:
    """Load one action item."""
    return await item_store.record(session=session, item_id=item_id)


async def find(*, session: AsyncSession, where: ItemFilter) -> list[ItemRecord]:
    """Action items matching a filter, earliest due first."""
    return await item_store.query(session=session, where=where)


async def listing(
    *,
    session: AsyncSession,
    config: Config,
    query: ActionsQuery,
    user_id: str,
    incident_id: int | None,
    now: datetime,
) -> list[ItemRecord]:
    """The items `/incident actions` shows: open ones by default, overdue ones for `overdue`."""
    where = ItemFilter(states=ACTIVE)
    scope = query.scope
    if scope is Scope.HERE and incident_id is not None:
        where = ItemFilter(incident_id=incident_id)
    elif scope in (Scope.HERE, Scope.MINE):
        where = ItemFilter(owners=[user_id], states=ACTIVE)
    elif scope is Scope.USER:
        where = ItemFilter(owners=[query.value or ""], states=ACTIVE)
    elif scope is Scope.TEAM:
        where = ItemFilter(teams=[query.value or ""], states=ACTIVE)
    elif scope is Scope.OVERDUE:
        where = ItemFilter(states=ACTIVE, due_before=today(config, now))
    return await item_store.query(session=session, where=where)


@dataclass(frozen=True)
class HomeData:
    """The App Home sections for one viewer."""

    user_id: str
    teams: tuple[str, ...]
    today: date
    mine: tuple[ItemRecord, ...]
    team: tuple[ItemRecord, ...]
    overdue: tuple[ItemRecord, ...]
    done: tuple[ItemRecord, ...]


async def home(*, session: AsyncSession, config: Config, user_id: str, now: datetime) -> HomeData:
    """Gather the viewer's items, their team's, everything overdue and what finished lately."""
    teams = tuple(teams_of(config, user_id))
    day = today(config, now)

    async def q(where: ItemFilter) -> tuple[ItemRecord, ...]:
        return tuple(await item_store.query(session=session, where=where))

    team_items = await q(ItemFilter(teams=teams, states=ACTIVE)) if teams else ()
    return HomeData(
        user_id=user_id,
        teams=teams,
        today=day,
        mine=await q(ItemFilter(owners=[user_id], states=ACTIVE)),
        team=tuple(i for i in team_items if i.owner_id != user_id),
        overdue=await q(ItemFilter(states=ACTIVE, due_before=day)),
        done=await q(ItemFilter(states=FINISHED, finished_since=now - RECENT)),
    )


async def digest(*, session: AsyncSession, config: Config, now: datetime) -> Digest:
    """Open and overdue items by team and owner, as of today where the digest is read."""
    items = await item_store.query(session=session, where=ItemFilter(states=ACTIVE, limit=5000))
    lately = ItemFilter(states=FINISHED, finished_since=now - DIGEST_WEEK, limit=200)
    finished = await item_store.query(session=session, where=lately)
    day = now.astimezone(ZoneInfo(config.followup.digest.tz)).date()
    return group_for_digest([i.facts() for i in items], day, [i.facts() for i in finished])


async def schedule_digest(*, session: AsyncSession, config: Config, after: datetime) -> datetime:
    """Make sure the next weekly digest is scheduled (once, whoever asks); returns its time."""
    d = config.followup.digest
    at = next_digest(after, d.weekday, d.hour, d.tz)
    await queue.schedule(
        session=session,
        kind=JobKind.DIGEST,
        subject_key=f"weekly:{at.isoformat()}",
        due_at=at,
        rearm=False,
    )
    return at


async def mark_posted(*, session: AsyncSession, item_id: int, channel_id: str, ts: str) -> None:
    """Remember where an item's message is, so later changes edit it in place."""
    row = await item_store.row(session=session, item_id=item_id)
    row.channel_id, row.message_ts = channel_id, ts


async def _event(
    session: AsyncSession, item: ItemRecord, actor: str, now: datetime, what: str
) -> None:
    await incident_store.add_event(
        session=session,
        incident_id=item.incident_id,
        kind=EventKind.ACTION_ITEM,
        actor=actor,
        at=now,
        text=f"Action item #{item.id} ({item.kind.value}) “{item.text}” {what}",
        data={"item": item.id, "state": item.state.value, "due": item.due.isoformat()},
    )


async def _queue(
    session: AsyncSession, kind: JobKind, subject: str, item: ItemRecord, at: datetime
) -> None:
    await queue.schedule(
        session=session,
        kind=kind,
        subject_key=subject,
        due_at=at,
        incident_id=item.incident_id,
        payload={"item": item.id, "due": item.due.isoformat()},
    )


async def _refresh_homes(session: AsyncSession, now: datetime, *user_ids: str) -> None:
    # Only Slack users have a Home tab (a change from a tracker's webhook is by someone else).
    for user_id in dict.fromkeys(u for u in user_ids if SLACK_USER.fullmatch(u)):
        await queue.schedule(
            session=session, kind=JobKind.ITEM_HOME, subject_key=user_id, due_at=now
        )


def _label(state: ActionState) -> str:
    return {
        ActionState.OPEN: "reopened",
        ActionState.IN_PROGRESS: "started",
        ActionState.DONE: "done",
        ActionState.WONT_DO: "won't do",
    }[state]
