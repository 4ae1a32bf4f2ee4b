"""Paging use-cases: page a target (by hand or by severity), acknowledge, resolve, report.

Each page is a row saying what PagerDuty should show (`wanted`) and what it last accepted
(`sent`); the worker sends the events in between, in order, retrying outages until PagerDuty
answers. The dedup key makes every resend act on the same page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.errors import BadInput
from bot.flows import summary
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import Incident, Page
from bot.paging import rules
from bot.paging import store as page_store
from bot.paging.schemas import PagerDutyTarget, PageView
from bot.paging.store import view
from bot.untrusted import escape_markup
from bot.vocabulary import EventKind, PageState


async def page(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    target: str,
    actor: str,
    now: datetime,
) -> tuple[PageView, bool]:
    """Page a configured target for the incident; returns the page and whether it is new."""
    name = _target_name(config, target)
    incident = await incident_store.get(session=session, incident_id=incident_id, lock=True)
    row = await page_store.get(session=session, incident_id=incident.id, target=name, lock=True)
    if row is not None and row.wanted != PageState.RESOLVED.value:
        return view(row), False
    if row is None:
        key = rules.dedup_key(incident.number, name)
        row = Page(incident_id=incident.id, target=name, dedup_key=key, requested_by=actor)
        session.add(row)
    row.wanted, row.sent, row.error, row.updated_at = PageState.TRIGGERED, None, None, now
    row.remote_id = None  # paging again after a resolve opens a new PagerDuty incident
    await session.flush()
    await _event(session, incident.id, actor, now, f"Paged {name} (PagerDuty)")
    await _send_later(session, row, now)
    return view(row), True


def _target_name(config: Config, target: str) -> str:
    for name in config.paging.targets:
        if name.casefold() == target.strip().casefold():
            return name
    known = ", ".join(config.paging.targets) or "none are configured (`paging.targets`)"
    named = escape_markup(repr(target.strip()[:80]))
    raise BadInput(f"there is no paging target {named}; page one of: {known}")


async def on_severity(
    *, session: AsyncSession, config: Config, incident: Incident, now: datetime
) -> None:
    """Page the targets that take the incident's severity (once each)."""
    for name in rules.automatic(config.paging, incident.severity):
        existing = await page_store.get(session=session, incident_id=incident.id, target=name)
        if existing is None:
            await page(
                session=session,
                config=config,
                incident_id=incident.id,
                target=name,
                actor="incidentbot",
                now=now,
            )


async def on_commander(*, session: AsyncSession, incident_id: int, now: datetime) -> None:
    """A commander took the incident: acknowledge its open pages."""
    await _move(session, incident_id, PageState.ACKNOWLEDGED, now)


async def on_ended(*, session: AsyncSession, incident_id: int, now: datetime) -> None:
    """The incident is resolved, closed or declined: resolve its pages."""
    await _move(session, incident_id, PageState.RESOLVED, now)


async def _move(session: AsyncSession, incident_id: int, to: PageState, now: datetime) -> None:
    for row in await page_store.for_incident(session=session, incident_id=incident_id):
        if rules.ORDER_INDEX[row.wanted] < rules.ORDER_INDEX[to]:
            row.wanted, row.updated_at = to, now
            await _send_later(session, row, now)


async def _locked(session: AsyncSession, page_id: int) -> Page | None:
    """The page row, locked after its incident: flows that change a page hold the incident
    first (assigning a commander, resolving), so taking them in that order never deadlocks."""
    row = await page_store.by_id(session=session, page_id=page_id)
    if row is None:
        return None
    await incident_store.get(session=session, incident_id=row.incident_id, lock=True)
    return await page_store.by_id(session=session, page_id=page_id, lock=True)


async def _send_later(session: AsyncSession, row: Page, now: datetime) -> None:
    await queue.schedule(
        session=session,
        kind=JobKind.PAGE_SEND,
        subject_key=f"{row.incident_id}:{row.target}",
        due_at=now,
        incident_id=row.incident_id,
        payload={"page": row.id},
    )


@dataclass(frozen=True)
class SendJob:
    """The events one run must send for a page."""

    target: PagerDutyTarget
    dedup_key: str
    events: tuple[PageState, ...]
    incident: dict[str, Any]
    remote_id: str | None  # the REST incident of an escalation-policy page, once known
    may_exist: bool  # an earlier attempt may have created it unanswered


async def start_send(
    *, session: AsyncSession, config: Config, page_id: int, now: datetime
) -> SendJob | None:
    """What to send for a page (None: nothing), counting the attempt first."""
    row = await _locked(session, page_id)
    target = config.paging.targets.get(row.target) if row else None
    if row is None or target is None:
        return None
    todo = rules.events(row.wanted, row.sent)
    if not todo:
        return None
    may_exist = row.attempts > 0 and row.sent is None
    row.attempts, row.updated_at = row.attempts + 1, now
    incident = await incident_store.get(session=session, incident_id=row.incident_id)
    facts = _facts(config, incident)
    return SendJob(target, row.dedup_key, tuple(todo), facts, row.remote_id, may_exist)


def _facts(config: Config, incident: Incident) -> dict[str, Any]:
    link = None
    if config.web.public_url:
        link = f"{config.web.public_url}/ui/incidents/{incident.number}"
    elif incident.channel_id:
        link = f"https://slack.com/app_redirect?channel={incident.channel_id}"
    return {
        "number": incident.number,
        "title": incident.title,
        "severity": incident.severity,
        "type": incident.type,
        "feature": incident.feature,
        "channel": incident.channel_name,
        "link": link,
    }


async def sent(
    *,
    session: AsyncSession,
    page_id: int,
    state: PageState,
    now: datetime,
    remote_id: str | None = None,
) -> None:
    """PagerDuty accepted an event: record it, on the timeline too."""
    row = await _locked(session, page_id)
    if row is None:
        return
    row.sent, row.error, row.updated_at = state, None, now
    row.remote_id = remote_id or row.remote_id
    await _event(session, row.incident_id, "PagerDuty", now, f"Page of {row.target} {state.value}")
    await summary.refresh_later_by_id(session=session, incident_id=row.incident_id, now=now)


async def failed(
    *, session: AsyncSession, page_id: int, error: str, retrying: bool, now: datetime
) -> None:
    """Keep why the page is not up to date (shown on the summary)."""
    row = await _locked(session, page_id)
    if row is None:
        return
    shown = f"{'retrying' if retrying else 'refused'}: {error}"[:2000]
    if row.error != shown:
        row.error, row.updated_at = shown, now
        await summary.refresh_later_by_id(session=session, incident_id=row.incident_id, now=now)


async def _event(
    session: AsyncSession, incident_id: int, actor: str, at: datetime, text: str
) -> None:
    await incident_store.add_event(
        session=session, incident_id=incident_id, kind=EventKind.PAGE, actor=actor, at=at, text=text
    )
