"""Playbook use-cases: post the checklist, close and reopen steps, type changes, phase nudges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BadInput
from bot.flows import summary
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import Incident, PlaybookMessage
from bot.playbook import rules as playbook_rules
from bot.playbook import store as playbook_store
from bot.playbook.schemas import Phase, Playbook, Step
from bot.playbook.store import StepRecord
from bot.vocabulary import EventKind, IncidentType, StepState

# A phase whose time box is already over when it is posted (after a type change, or a late
# channel) still gets this long before its owners are nudged.
MIN_NOTICE = timedelta(minutes=10)

Playbooks = Mapping[IncidentType, Playbook]


@dataclass(frozen=True)
class Posting:
    """What the Slack worker must do: post new phase messages, mark replaced ones."""

    channel_id: str | None
    to_post: tuple[int, ...] = ()
    to_retire: tuple[int, ...] = ()


@dataclass(frozen=True)
class PhaseView:
    """Everything a phase message shows."""

    message_id: int
    incident_id: int
    number: int
    playbook_title: str
    phase: Phase
    position: int
    phase_count: int
    due_at: datetime
    steps: dict[str, StepRecord]
    replaced_by: IncidentType | None = None
    channel_id: str | None = None
    ts: str | None = None


@dataclass(frozen=True)
class StepChange:
    """A step closed or reopened by a click; `changed` is False for a repeated click."""

    step: Step
    state: StepState | None
    changed: bool


async def prepare(
    *, session: AsyncSession, incident_id: int, playbooks: Playbooks, now: datetime
) -> Posting:
    """Set up the current playbook's phases and nudges (once); say what to post and retire."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    current = await playbook_store.messages(
        session=session, incident_id=incident.id, playbook_type=incident.type
    )
    if not current:
        # A new incident's summary shows the progress from its next refresh (a role taken, a
        # step closed): an edit right after the channel opens would repeat what was just posted.
        await _set_up(session, incident, playbooks[incident.type], now)
    rows = await playbook_store.messages(session=session, incident_id=incident.id)
    return Posting(
        channel_id=incident.channel_id,
        to_post=tuple(r.id for r in rows if r.playbook_type == incident.type and r.ts is None),
        to_retire=tuple(
            r.id
            for r in rows
            if r.playbook_type != incident.type and r.ts is not None and r.retired_at is None
        ),
    )


async def _set_up(
    session: AsyncSession, incident: Incident, playbook: Playbook, now: datetime
) -> None:
    await playbook_store.ensure_messages(
        session=session, incident_id=incident.id, playbook=playbook
    )
    for phase in playbook.phases:
        due_at = max(playbook_rules.phase_due_at(phase, incident.declared_at), now + MIN_NOTICE)
        await queue.schedule(
            session=session,
            kind=JobKind.PHASE_DUE,
            subject_key=f"{incident.id}:{playbook.type.value}:{phase.id}",
            due_at=due_at,
            incident_id=incident.id,
            payload={"type": playbook.type.value, "phase": phase.id},
            rearm=False,
        )


async def on_type_change(
    *,
    session: AsyncSession,
    incident: Incident,
    previous: IncidentType,
    playbooks: Playbooks,
    now: datetime,
) -> None:
    """Switch to the new type's playbook keeping done steps, and queue posting it."""
    if previous.value == incident.type:
        return
    new = playbooks[incident.type]
    # A playbook shown before (the type changed away and back) is posted afresh.
    await session.execute(
        delete(PlaybookMessage).where(
            PlaybookMessage.incident_id == incident.id,
            PlaybookMessage.playbook_type == incident.type,
        )
    )
    await _merge(session, incident, playbooks[previous], new, now)
    await _set_up(session, incident, new, now)
    if incident.channel_id is not None:
        await queue.schedule(
            session=session,
            kind=JobKind.POST_PLAYBOOK,
            subject_key=str(incident.id),
            due_at=now,
            incident_id=incident.id,
        )


async def _merge(
    session: AsyncSession, incident: Incident, old: Playbook, new: Playbook, now: datetime
) -> None:
    """Keep what was done; reopen skipped steps, since skipping was judged for the old type."""
    records = await playbook_store.states(session=session, incident_id=incident.id)
    kept = playbook_rules.merge_on_type_change(
        old, new, playbook_store.ids_in(records, StepState.DONE)
    )
    skipped = playbook_store.ids_in(records, StepState.SKIPPED) & playbook_rules.step_ids(new)
    reopened = await playbook_store.clear_state(
        session=session, incident_id=incident.id, step_ids=skipped
    )
    text = f"Playbook {new.title} replaces {old.title}: {len(kept)} done steps kept"
    text += f", {len(reopened)} skipped steps reopened" if reopened else ""
    await incident_store.add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.STEP,
        actor="bot",
        at=now,
        text=text,
        data={"from": old.type.value, "to": new.type.value, "kept": sorted(kept)},
    )


async def posted(*, session: AsyncSession, message_id: int, channel_id: str, ts: str) -> None:
    """Remember where a phase message was posted."""
    await playbook_store.set_posted(
        session=session, message_id=message_id, channel_id=channel_id, ts=ts
    )


async def retired(*, session: AsyncSession, message_id: int, now: datetime) -> None:
    """Remember that a replaced playbook's message now says so."""
    await playbook_store.retire(session=session, message_id=message_id, at=now)


async def phase_view(*, session: AsyncSession, message_id: int, playbooks: Playbooks) -> PhaseView:
    """Gather what one phase message shows."""
    row = await playbook_store.get_message(session=session, message_id=message_id)
    incident = await incident_store.get(session=session, incident_id=row.incident_id)
    playbook = playbooks[row.playbook_type]
    phase = next(p for p in playbook.phases if p.id == row.phase_id)
    current = incident.type
    return PhaseView(
        message_id=row.id,
        incident_id=incident.id,
        number=incident.number,
        playbook_title=playbook.title,
        phase=phase,
        position=row.position,
        phase_count=len(playbook.phases),
        due_at=playbook_rules.phase_due_at(phase, incident.declared_at),
        steps=await playbook_store.states(session=session, incident_id=incident.id),
        replaced_by=None if current == playbook.type else current,
        channel_id=row.channel_id,
        ts=row.ts,
    )


async def mark_step(
    *,
    session: AsyncSession,
    incident_id: int,
    step_id: str,
    state: StepState | None,
    actor: str,
    now: datetime,
    playbooks: Playbooks,
) -> StepChange:
    """Mark a step done or skipped (None reopens it); on the timeline with who and when."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    playbook = playbooks[incident.type]
    step = playbook_rules.find_step(playbook, step_id)
    if step is None:
        raise BadInput(
            f"that step is not in the {playbook.title} playbook this incident follows now; "
            "use the checklist posted for it"
        )
    if state is None:
        changed = bool(
            await playbook_store.clear_state(
                session=session, incident_id=incident.id, step_ids=[step_id]
            )
        )
    else:
        changed = await playbook_store.set_state(
            session=session, incident_id=incident.id, step_id=step_id, state=state, by=actor, at=now
        )
    if changed:
        await _record_step(session, incident, step, state, actor, now)
    return StepChange(step=step, state=state, changed=changed)


async def _record_step(
    session: AsyncSession,
    incident: Incident,
    step: Step,
    state: StepState | None,
    actor: str,
    now: datetime,
) -> None:
    verb = state.verb if state else "Reopened"
    await incident_store.add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.STEP,
        actor=actor,
        at=now,
        text=f"{verb}: {_clip(step.text, 200)}",
        data={"step": step.id, "state": state.value if state else None},
    )
    for row in await playbook_store.messages(
        session=session, incident_id=incident.id, playbook_type=incident.type
    ):
        if step.id in row.step_ids:
            # One render per change, not coalesced: a render already running may have read the
            # state before this change, and coalescing into it would lose the change.
            await queue.schedule(
                session=session,
                kind=JobKind.RENDER_PHASE,
                subject_key=f"{row.id}:{step.id}:{now.isoformat()}",
                due_at=now,
                incident_id=incident.id,
                payload={"message": row.id},
            )
    await summary.refresh_later(session=session, incident=incident, now=now)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
