"""Comms drafting use-cases: open a draft prefilled from the incident, preview it, save versions.

Rendering never sends: approving and publishing a saved version is `comms_publish`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from bot.comms import drafting, rules
from bot.comms import lint as comms_lint
from bot.comms import store as comms_store
from bot.comms import targets as comms_targets
from bot.comms.kinds import CommsKind
from bot.comms.schemas import Draft, LintResult, Scope
from bot.comms.store import DraftState
from bot.config import Config
from bot.errors import BadInput, InvalidTransition
from bot.flows import comms_facts
from bot.incidents import store as incident_store
from bot.incidents.schemas import Role
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import CommsDraft, CommsVersion


@dataclass(frozen=True)
class Composed:
    """A draft as it would be published, and what lint says about it."""

    draft: Draft
    lint: LintResult


@dataclass(frozen=True)
class Editing:
    """What the comms form shows: the draft, its fields, where it would go, and its history."""

    incident_id: int
    kind: CommsKind
    draft_id: int | None
    version: int  # 0 while nothing is saved
    composed: Composed
    fields: tuple[str, ...]
    targets: tuple[comms_targets.Destination, ...]
    saved_by: str | None = None
    saved_at: datetime | None = None


@dataclass(frozen=True)
class Saved:
    draft_id: int
    version: int
    changed: bool
    diff: str
    lint: LintResult


NameLookup = Callable[[str], Awaitable[str | None]]


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
    if draft is not None and (editing := await _editing(session, config, templates, draft)):
        return editing
    lead = await _lead(session, incident_id, name_of)
    scope = await _prefilled(session, config, incident_id, kind, now, lead)
    composed = compose(config, rules.render_draft(templates, kind, scope))
    return _editing_of(config, templates, incident_id, kind, None, None, composed)


async def edit_draft(
    *, session: AsyncSession, config: Config, templates: Environment, draft_id: int, now: datetime
) -> Editing:
    """Open a saved, unpublished draft again (the card's Edit button)."""
    draft = await comms_store.get_draft(session=session, draft_id=draft_id)
    still_open(draft)
    editing = await _editing(session, config, templates, draft)
    if editing is None:
        return await open_editing(
            session=session,
            config=config,
            templates=templates,
            incident_id=draft.incident_id,
            kind=CommsKind(draft.kind),
            now=now,
        )
    return editing


async def preview(
    *,
    session: AsyncSession,
    config: Config,
    templates: Environment,
    incident_id: int,
    kind: CommsKind,
    draft_id: int | None,
    changes: Mapping[str, Any],
    now: datetime,
) -> Editing:
    """Re-render the draft from edited scope fields (nothing is saved)."""
    draft, latest, base = await _base(session, config, incident_id, kind, draft_id, now)
    scope = rules.update_scope(base, changes)
    composed = compose(config, rules.render_draft(templates, kind, scope))
    return _editing_of(config, templates, incident_id, kind, draft, latest, composed)


async def save(
    *,
    session: AsyncSession,
    config: Config,
    templates: Environment,
    incident_id: int,
    kind: CommsKind,
    draft_id: int | None,
    title: str,
    text: str,
    changes: Mapping[str, Any],
    rendered_digest: str | None,
    actor: str,
    now: datetime,
) -> Saved:
    """Save the edited draft as its next version; text not edited by hand follows the fields."""
    if not title.strip() or not text.strip():
        raise BadInput("The message needs a title and a text.", field="text")
    _, _, base = await _base(session, config, incident_id, kind, draft_id, now)
    scope = rules.update_scope(base, changes)
    draft = _hand_edited(templates, kind, scope, title.strip(), text.strip(), rendered_digest)
    row = await _draft_row(session, incident_id, kind, draft_id, draft, actor, now)
    previous = await comms_store.latest_version(session=session, draft_id=row.id)
    scope_json = scope.model_dump(mode="json")
    if previous is not None and (previous.title, previous.text, previous.scope) == (
        draft.title,
        draft.text,
        scope_json,
    ):
        return Saved(row.id, previous.version, False, "", compose(config, draft).lint)
    version = await comms_store.add_version(
        session=session,
        draft=row,
        title=draft.title,
        text=draft.text,
        scope=scope_json,
        author=actor,
        now=now,
    )
    await refresh_card(session=session, draft=row, now=now)
    diff = rules.diff_versions(_full(previous), _full(version), old_label="previous")
    return Saved(row.id, version.version, True, diff, compose(config, draft).lint)


async def refresh_card(*, session: AsyncSession, draft: CommsDraft, now: datetime) -> None:
    """Queue a refresh of the draft's card in the incident channel."""
    await queue.schedule(
        session=session,
        kind=JobKind.COMMS_CARD,
        subject_key=f"{draft.id}:{now.isoformat()}",
        due_at=now,
        incident_id=draft.incident_id,
        payload={"draft_id": draft.id},
        rearm=False,
    )


# --- helpers ---------------------------------------------------------------------------------


async def _editing(
    session: AsyncSession, config: Config, templates: Environment, draft: CommsDraft
) -> Editing | None:
    latest = await comms_store.latest_version(session=session, draft_id=draft.id)
    if latest is None:
        return None
    composed = compose(config, as_draft(draft, latest))
    kind = CommsKind(draft.kind)
    return _editing_of(config, templates, draft.incident_id, kind, draft, latest, composed)


def _editing_of(
    config: Config,
    templates: Environment,
    incident_id: int,
    kind: CommsKind,
    draft: CommsDraft | None,
    latest: CommsVersion | None,
    composed: Composed,
) -> Editing:
    chosen = comms_targets.matching(config.status_targets, kind, composed.draft.audience)
    return Editing(
        incident_id=incident_id,
        kind=kind,
        draft_id=draft.id if draft else None,
        version=latest.version if latest else 0,
        composed=composed,
        fields=drafting.fields_for(templates, kind),
        targets=tuple(comms_targets.destination(t) for t in chosen),
        saved_by=latest.author if latest else None,
        saved_at=latest.created_at if latest else None,
    )


def as_draft(draft: CommsDraft, version: CommsVersion) -> Draft:
    """Return a saved version as a Draft (for lint and publishing)."""
    return Draft(
        kind=CommsKind(draft.kind),
        audience=draft.audience,
        title=version.title,
        text=version.text,
        scope=Scope.model_validate(version.scope),
    )


def _full(version: CommsVersion | None) -> str:
    return f"{version.title}\n\n{version.text}" if version else ""


async def _lead(session: AsyncSession, incident_id: int, name_of: NameLookup | None) -> str | None:
    """Name the commander for drafts that say who leads the response."""
    commander = (await incident_store.roles(session=session, incident_id=incident_id)).get(
        Role.COMMANDER
    )
    if commander is None or name_of is None:
        return None
    name = await name_of(commander)
    return f"{name} (incident commander)" if name else None


async def _prefilled(
    session: AsyncSession,
    config: Config,
    incident_id: int,
    kind: CommsKind,
    now: datetime,
    lead: str | None,
) -> Scope:
    facts = await comms_facts.load(session=session, incident_id=incident_id, lead=lead)
    minutes = rules.cadence_minutes(facts.severity, config.comms_cadence_minutes)
    scope = rules.prefill_scope(
        facts, now=now, cadence_minutes=minutes, timezone=config.comms_timezone
    )
    previous = await comms_store.latest_scope(session=session, incident_id=incident_id)
    return drafting.whole_minutes(drafting.for_kind(drafting.carry_over(scope, previous), kind))


async def _base(
    session: AsyncSession,
    config: Config,
    incident_id: int,
    kind: CommsKind,
    draft_id: int | None,
    now: datetime,
) -> tuple[CommsDraft | None, CommsVersion | None, Scope]:
    """Return the draft being edited, its newest version, and the scope edits apply to."""
    draft = (
        await comms_store.get_draft(session=session, draft_id=draft_id)
        if draft_id is not None
        else await comms_store.open_draft(session=session, incident_id=incident_id, kind=kind)
    )
    latest = await comms_store.latest_version(session=session, draft_id=draft.id) if draft else None
    if latest is not None:
        return draft, latest, Scope.model_validate(latest.scope)
    return draft, None, await _prefilled(session, config, incident_id, kind, now, None)


def _hand_edited(
    templates: Environment,
    kind: CommsKind,
    scope: Scope,
    title: str,
    text: str,
    rendered_digest: str | None,
) -> Draft:
    """Keep text edited by hand; text left as rendered is rendered again from the new fields."""
    rendered = rules.render_draft(templates, kind, scope)
    if rendered_digest is not None and drafting.digest(title, text) == rendered_digest:
        return rendered
    return rendered.model_copy(update={"title": title, "text": text})


async def _draft_row(
    session: AsyncSession,
    incident_id: int,
    kind: CommsKind,
    draft_id: int | None,
    draft: Draft,
    actor: str,
    now: datetime,
) -> CommsDraft:
    if draft_id is not None:
        row = await comms_store.get_draft(session=session, draft_id=draft_id, for_update=True)
        still_open(row)
        return row
    return await comms_store.create_draft(
        session=session,
        incident_id=incident_id,
        kind=kind,
        audience=draft.audience,
        actor=actor,
        now=now,
    )


def still_open(draft: CommsDraft) -> None:
    """Refuse to change a draft that was published already."""
    if draft.state == DraftState.PUBLISHED.value:
        raise InvalidTransition(
            f"This draft was published already (v{draft.published_version} by "
            f"<@{draft.published_by}>). Use `/incident comms {draft.kind}` to write the next one."
        )
