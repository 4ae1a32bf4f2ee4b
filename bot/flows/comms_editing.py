"""Comms editing use-cases: preview what the form sent, re-draft it, save it as a version.

Words a person wrote are theirs: previews and saves move only the lines still exactly as drafted
from the fields (`bot.comms.provenance`); only `redraft`, which the form asks about first,
replaces them. Every save appends a version; none is ever overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from bot.comms import provenance, rules
from bot.comms import store as comms_store
from bot.comms.schemas import Draft, LintResult, Scope
from bot.config import Config
from bot.errors import BadInput
from bot.flows import comms_facts
from bot.flows.comms import Editing, compose, editing_of, refresh_card, still_open
from bot.models import CommsDraft, CommsVersion
from bot.vocabulary import CommsKind


@dataclass(frozen=True)
class Saved:
    draft_id: int
    version: int
    changed: bool
    diff: str
    lint: LintResult
    kept: tuple[str, ...] = ()
    newer: CommsVersion | None = None  # saved by someone else after this form was opened


@dataclass(frozen=True)
class Typed:
    """What a person sent from the form: the text, scope changes, and what it was drafted from."""

    title: str
    text: str
    changes: Mapping[str, Any]
    base: Sequence[str] | None  # None when the form did not remember (all of it is theirs)
    opened_version: int | None = None


async def preview(
    *,
    session: AsyncSession,
    config: Config,
    templates: Environment,
    incident_id: int,
    kind: CommsKind,
    draft_id: int | None,
    typed: Typed,
    now: datetime,
) -> Editing:
    """Apply edited fields to the lines still as drafted, keeping the person's (nothing saved)."""
    draft, latest, merged = await _typed_over_fields(
        session, config, templates, incident_id, kind, draft_id, typed, now
    )
    composed = compose(config, merged.draft)
    return editing_of(config, templates, incident_id, draft, latest, composed, merged.kept)


async def redraft(
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
    """Write the whole message afresh from the fields, replacing the person's lines (not saved)."""
    draft, latest, base = await comms_facts.editing_base(
        session=session,
        config=config,
        incident_id=incident_id,
        kind=kind,
        draft_id=draft_id,
        now=now,
    )
    rendered = rules.render_draft(templates, kind, rules.update_scope(base, changes))
    return editing_of(config, templates, incident_id, draft, latest, compose(config, rendered))


async def save(
    *,
    session: AsyncSession,
    config: Config,
    templates: Environment,
    incident_id: int,
    kind: CommsKind,
    draft_id: int | None,
    typed: Typed,
    actor: str,
    now: datetime,
) -> Saved:
    """Save the form as the draft's next version; the person's lines are kept as they are."""
    if not typed.title.strip() or not typed.text.strip():
        raise BadInput("The message needs a title and a text.", field="text")
    _, _, merged = await _typed_over_fields(
        session, config, templates, incident_id, kind, draft_id, typed, now
    )
    row = await _draft_row(session, incident_id, kind, draft_id, merged.draft, actor, now)
    previous = await comms_store.latest_version(session=session, draft_id=row.id)
    lint = compose(config, merged.draft).lint
    if previous is not None and _same(previous, merged.draft):
        return Saved(row.id, previous.version, False, "", lint)
    version = await comms_store.add_version(
        session=session,
        draft=row,
        title=merged.draft.title,
        text=merged.draft.text,
        scope=merged.draft.scope.model_dump(mode="json"),
        author=actor,
        now=now,
    )
    await refresh_card(session=session, draft=row, now=now)
    diff = rules.diff_versions(_full(previous), _full(version), old_label="previous")
    newer = previous if _saved_meanwhile(previous, typed, actor) else None
    return Saved(row.id, version.version, True, diff, lint, merged.kept, newer)


@dataclass(frozen=True)
class _Merge:
    draft: Draft
    kept: tuple[str, ...]


async def _typed_over_fields(
    session: AsyncSession,
    config: Config,
    templates: Environment,
    incident_id: int,
    kind: CommsKind,
    draft_id: int | None,
    typed: Typed,
    now: datetime,
) -> tuple[CommsDraft | None, CommsVersion | None, _Merge]:
    """The draft being edited, its newest version, and the typed text over the edited fields."""
    draft, latest, base = await comms_facts.editing_base(
        session=session,
        config=config,
        incident_id=incident_id,
        kind=kind,
        draft_id=draft_id,
        now=now,
    )
    scope = rules.update_scope(base, typed.changes)
    return draft, latest, _merged(templates, kind, scope, typed)


def _merged(templates: Environment, kind: CommsKind, scope: Scope, typed: Typed) -> _Merge:
    """The typed text with the new fields applied to the lines still as drafted."""
    rendered = rules.render_draft(templates, kind, scope)
    merged = provenance.merge(typed.base, typed.title, typed.text, rendered.title, rendered.text)
    draft = rendered.model_copy(update={"title": merged.title, "text": merged.text})
    return _Merge(draft, merged.kept)


def _same(version: CommsVersion, draft: Draft) -> bool:
    scope = draft.scope.model_dump(mode="json")
    return (version.title, version.text, version.scope) == (draft.title, draft.text, scope)


def _saved_meanwhile(previous: CommsVersion | None, typed: Typed, actor: str) -> bool:
    opened = typed.opened_version
    return (
        previous is not None
        and opened is not None
        and previous.version > opened
        and previous.author != actor
    )


def _full(version: CommsVersion | None) -> str:
    return f"{version.title}\n\n{version.text}" if version else ""


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
