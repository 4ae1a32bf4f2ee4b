"""Postmortem use-cases: render from the facts (`postmortem_facts`), review, publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.flows import incidents as incident_flows
from bot.flows import postmortem_document as document_flows
from bot.flows import postmortem_facts as facts_flows
from bot.flows.people import NameLookup
from bot.incidents import permissions
from bot.incidents import store as incident_store
from bot.models import Incident
from bot.postmortem import review, rules
from bot.postmortem import store as pm_store
from bot.postmortem.render import render_postmortem
from bot.postmortem.schemas import PostmortemFacts
from bot.postmortem.store import ItemFilter
from bot.vocabulary import EventKind, PostmortemState


@dataclass(frozen=True)
class PostmortemDoc:
    """A rendered postmortem and where it stands."""

    incident_id: int
    number: int
    channel_id: str | None
    state: PostmortemState
    markdown: str
    blockers: tuple[str, ...]


async def document(
    *,
    session: AsyncSession,
    config: Config,
    templates: Environment,
    incident_id: int,
    now: datetime,
    name_of: NameLookup | None = None,
) -> PostmortemDoc:
    """Return the postmortem: the published text once published, else rendered from now's facts
    (people named as `name_of` knows them, or as cached)."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    stored = await pm_store.postmortem(session=session, incident_id=incident_id)
    state = stored.state if stored else PostmortemState.DRAFT
    if stored is not None and state is PostmortemState.PUBLISHED:
        return PostmortemDoc(
            incident.id, incident.number, incident.channel_id, state, stored.markdown, ()
        )
    facts = await facts_flows.gather(
        session=session,
        config=config,
        incident_id=incident_id,
        state=state,
        now=now,
        name_of=name_of,
    )
    return _doc(incident, facts, render_postmortem(templates, facts))


def _doc(incident: Incident, facts: PostmortemFacts, text: str) -> PostmortemDoc:
    blockers = rules.publish_blockers(facts.action_items, facts.required_kinds)
    return PostmortemDoc(
        incident.id, incident.number, incident.channel_id, facts.state, text, tuple(blockers)
    )


async def write(
    *,
    session: AsyncSession,
    config: Config,
    templates: Environment,
    incident_id: int,
    target: PostmortemState,
    actor: str,
    now: datetime,
    name_of: NameLookup | None = None,
) -> PostmortemDoc:
    """Render and store the postmortem, moving it to `target` (draft just re-renders it).

    A published postmortem is final: asking for the draft returns the published text. People
    are named as `name_of` (Slack) knows them, and remembered for later renderings.
    """
    incident = await incident_store.get(session=session, incident_id=incident_id)
    stored = await pm_store.postmortem(session=session, incident_id=incident_id)
    current = stored.state if stored else PostmortemState.DRAFT
    if current is PostmortemState.PUBLISHED and target is PostmortemState.DRAFT:
        return await document(
            session=session, config=config, templates=templates, incident_id=incident_id, now=now
        )
    if target is not PostmortemState.DRAFT:
        await _check_move(session, config, incident, current, target, actor)
    elif stored is None:
        await _event(session, incident.id, actor, now, "Postmortem draft written")
    state = current if target is PostmortemState.DRAFT else target
    if state is not current:
        await _moved(session, config, incident, state, actor, now)
    facts = await facts_flows.gather(
        session=session,
        config=config,
        incident_id=incident_id,
        state=state,
        now=now,
        name_of=name_of,
    )
    text = render_postmortem(templates, facts)
    await pm_store.save_postmortem(
        session=session, incident_id=incident_id, state=state, markdown=text, actor=actor, now=now
    )
    await document_flows.queue_document(session=session, incident_id=incident_id, now=now)
    return _doc(incident, facts, text)


async def _check_move(
    session: AsyncSession,
    config: Config,
    incident: Incident,
    current: PostmortemState,
    target: PostmortemState,
    actor: str,
) -> None:
    held = await incident_store.roles(session=session, incident_id=incident.id)
    permissions.require(
        config.followup.publish_postmortem, held, actor, f"move the postmortem to {target.value}"
    )
    items = await pm_store.query(session=session, where=ItemFilter(incident_id=incident.id))
    review.transition(
        current,
        target,
        incident_status=incident.status,
        items=[i.facts() for i in items],
        required_kinds=config.followup.publish_requires,
    )


async def _moved(
    session: AsyncSession,
    config: Config,
    incident: Incident,
    state: PostmortemState,
    actor: str,
    now: datetime,
) -> None:
    await _event(session, incident.id, actor, now, f"Postmortem {review.label(state)}")
    status = review.incident_status_after(state, incident.status)
    if status is not None:
        await incident_flows.set_status(
            session=session,
            config=config,
            incident_id=incident.id,
            target=status,
            actor=actor,
            now=now,
            reason=f"postmortem {review.label(state)}",
        )


async def _event(
    session: AsyncSession, incident_id: int, actor: str, at: datetime, text: str
) -> None:
    await incident_store.add_event(
        session=session,
        incident_id=incident_id,
        kind=EventKind.POSTMORTEM,
        actor=actor,
        at=at,
        text=text,
    )
