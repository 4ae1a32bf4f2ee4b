"""Comms drafting use-cases: open a draft prefilled from the incident, or a saved one again.

Previewing, re-drafting and saving what the form sent is `comms_editing`; approving and
publishing a saved version is `comms_publish`. Rendering never sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from bot.comms import drafting, provenance, rules
from bot.comms import lint as comms_lint
from bot.comms import store as comms_store
from bot.comms import targets as comms_targets
from bot.comms.schemas import Draft, LintResult, Scope
from bot.config import Config
from bot.errors import InvalidTransition
from bot.flows import comms_facts
from bot.flows.people import NameLookup
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import CommsDraft, CommsVersion
from bot.vocabulary import CommsKind, DraftState


@dataclass(frozen=True)
class Composed:
    """A draft as it would be published, and what lint says about it."""

    draft: Draft
    lint: LintResult


@dataclass(frozen=True)
class Editing:
    """What the comms form shows: the draft, whose words it is, where it would go, its history."""

    incident_id: int
    kind: CommsKind
    draft_id: int | None
    version: int  # 0 while nothing is saved
    composed: Composed
    fields: tuple[str, ...]
    targets: tuple[comms_targets.Destination, ...]
    base: tuple[str, ...]  # fingerprint of the rendering the drafted lines come from
    parts: provenance.Parts
    kept: tuple[str, ...] = ()  # the person's lines kept although the fields changed
    saved_by: str | None = None
    saved_at: datetime | None = None


def compose(config: Config, draft: Draft) -> Composed:
    """Lint a draft with the team's internal terms."""
    return Composed(draft, comms_lint.lint(draft, internal_terms=config.internal_terms))


async def open_editing(
    *,
    session: AsyncSession,
    config: Config,
    templates: Environment,
    incident_id: int,
    kind: CommsKind,
    now: datetime,
    name_of: NameLookup | None = None,
) -> Editing:
    """Continue the open draft of this kind, or start one prefilled from the incident."""
    draft = await comms_store.open_draft(session=session, incident_id=incident_id, kind=kind)
    if draft is not None and (editing := await saved_editing(session, config, templates, draft)):
        return editing
    scope = await comms_facts.prefilled(
        session=session, config=config, incident_id=incident_id, kind=kind, now=now, name_of=name_of
    )
    composed = compose(config, rules.render_draft(templates, kind, scope))
    return editing_of(config, templates, incident_id, None, None, composed)


async def edit_draft(
    *, session: AsyncSession, config: Config, templates: Environment, draft_id: int, now: datetime
) -> Editing:
    """Open a saved, unpublished draft again (the card's Edit button)."""
    draft = await comms_store.get_draft(session=session, draft_id=draft_id)
    still_open(draft)
    editing = await saved_editing(session, config, templates, draft)
    if editing is None:
        return await open_editing(
            session=session,
            config=config,
            templates=templates,
            incident_id=draft.incident_id,
            kind=draft.kind,
            now=now,
        )
    return editing


async def refresh_card(*, session: AsyncSession, draft: CommsDraft, now: datetime) -> None:
    """Queue a refresh of the draft's card in the incident channel."""
    await queue.schedule(
        session=session,
        kind=JobKind.COMMS_CARD,
        subject_key=str(draft.id),
        due_at=now,
        incident_id=draft.incident_id,
        payload={"draft_id": draft.id},
    )


def as_draft(draft: CommsDraft, version: CommsVersion) -> Draft:
    """Return a saved version as a Draft (for lint and publishing)."""
    return Draft(
        kind=draft.kind,
        audience=draft.audience,
        title=version.title,
        text=version.text,
        scope=Scope.model_validate(version.scope),
    )


def still_open(draft: CommsDraft) -> None:
    """Refuse to change a draft that was published already."""
    if draft.state == DraftState.PUBLISHED.value:
        raise InvalidTransition(
            f"This draft was published already (v{draft.published_version} by "
            f"<@{draft.published_by}>). Use `/incident comms {draft.kind}` to write the next one."
        )


async def saved_editing(
    session: AsyncSession, config: Config, templates: Environment, draft: CommsDraft
) -> Editing | None:
    latest = await comms_store.latest_version(session=session, draft_id=draft.id)
    if latest is None:
        return None
    composed = compose(config, as_draft(draft, latest))
    return editing_of(config, templates, draft.incident_id, draft, latest, composed)


def editing_of(
    config: Config,
    templates: Environment,
    incident_id: int,
    draft: CommsDraft | None,
    latest: CommsVersion | None,
    composed: Composed,
    kept: tuple[str, ...] = (),
) -> Editing:
    shown = composed.draft
    rendered = rules.render_draft(templates, shown.kind, shown.scope)
    chosen = comms_targets.matching(config.status_targets, shown.kind, shown.audience)
    return Editing(
        incident_id=incident_id,
        kind=shown.kind,
        draft_id=draft.id if draft else None,
        version=latest.version if latest else 0,
        composed=composed,
        fields=drafting.fields_for(templates, shown.kind),
        targets=tuple(comms_targets.destination(t) for t in chosen),
        base=provenance.fingerprint(rendered.title, rendered.text),
        parts=provenance.parts(shown.title, shown.text, rendered.title, rendered.text),
        kept=kept,
        saved_by=latest.author if latest else None,
        saved_at=latest.created_at if latest else None,
    )
