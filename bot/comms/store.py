"""Comms drafts, their versions and publications. Keyword-only, take the session, never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.errors import NotFound
from bot.models import CommsDraft, CommsPublication, CommsVersion
from bot.vocabulary import Audience, CommsKind, DeliveryState, DraftState, TargetKind


def _open_key(incident_id: int, kind: CommsKind) -> str:
    return f"{incident_id}:{kind.value}"


async def open_draft(
    *, session: AsyncSession, incident_id: int, kind: CommsKind
) -> CommsDraft | None:
    """Return the unpublished draft of this kind for the incident, if there is one."""
    stmt = select(CommsDraft).where(CommsDraft.open_key == _open_key(incident_id, kind))
    return (await session.scalars(stmt)).first()


async def create_draft(
    *,
    session: AsyncSession,
    incident_id: int,
    kind: CommsKind,
    audience: Audience,
    actor: str,
    now: datetime,
) -> CommsDraft:
    """Return the open draft of this kind, creating it (race-safe) when there is none."""
    stmt = insert_ignoring_conflicts(session, CommsDraft).values(
        incident_id=incident_id,
        kind=kind,
        audience=audience,
        state=DraftState.DRAFT,
        created_by=actor,
        created_at=now,
        open_key=_open_key(incident_id, kind),
    )
    await session.execute(stmt.on_conflict_do_nothing())
    draft = await open_draft(session=session, incident_id=incident_id, kind=kind)
    assert draft is not None
    return draft


async def get_draft(
    *, session: AsyncSession, draft_id: int, for_update: bool = False
) -> CommsDraft:
    """Load a draft by id or raise NotFound; `for_update` locks it (PostgreSQL) until commit."""
    stmt = select(CommsDraft).where(CommsDraft.id == draft_id)
    stmt = stmt.execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update()
    draft = (await session.scalars(stmt)).first()
    if draft is None:
        raise NotFound(f"there is no draft {draft_id}")
    return draft


async def latest_version(*, session: AsyncSession, draft_id: int) -> CommsVersion | None:
    """Return the newest saved version of a draft."""
    stmt = (
        select(CommsVersion)
        .where(CommsVersion.draft_id == draft_id)
        .order_by(CommsVersion.version.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def versions(*, session: AsyncSession, draft_id: int) -> list[CommsVersion]:
    """Return every version of a draft, oldest first."""
    stmt = select(CommsVersion).where(CommsVersion.draft_id == draft_id).order_by("version")
    return list((await session.scalars(stmt)).all())


async def add_version(
    *,
    session: AsyncSession,
    draft: CommsDraft,
    title: str,
    text: str,
    scope: dict[str, Any],
    author: str,
    now: datetime,
) -> CommsVersion:
    """Append the next version to a draft (two concurrent saves: one fails on the constraint)."""
    newest = await session.scalar(
        select(func.max(CommsVersion.version)).where(CommsVersion.draft_id == draft.id)
    )
    version = CommsVersion(
        draft_id=draft.id,
        version=(newest or 0) + 1,
        title=title,
        text=text,
        scope=scope,
        author=author,
        created_at=now,
    )
    session.add(version)
    await session.flush()
    return version


async def latest_scope(*, session: AsyncSession, incident_id: int) -> dict[str, Any] | None:
    """Return the scope of the newest version saved for any draft of the incident."""
    stmt = (
        select(CommsVersion.scope)
        .join(CommsDraft, CommsDraft.id == CommsVersion.draft_id)
        .where(CommsDraft.incident_id == incident_id)
        .order_by(CommsVersion.created_at.desc(), CommsVersion.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def mark_published(
    draft: CommsDraft, *, version: int, actor: str, now: datetime, override_reason: str | None
) -> None:
    """Record the approval: who, when, which version, and the override reason if any."""
    draft.state = DraftState.PUBLISHED
    draft.open_key = None
    draft.published_version = version
    draft.published_by = actor
    draft.published_at = now
    draft.override_reason = override_reason


async def add_publication(
    *,
    session: AsyncSession,
    draft: CommsDraft,
    version: int,
    target: str,
    target_kind: str,
    actor: str,
    now: datetime,
) -> CommsPublication:
    """Record that an approved version is to be sent to one target."""
    publication = CommsPublication(
        draft_id=draft.id,
        incident_id=draft.incident_id,
        version=version,
        target=target,
        target_kind=TargetKind(target_kind),
        state=DeliveryState.PENDING,
        requested_by=actor,
        requested_at=now,
    )
    session.add(publication)
    await session.flush()
    return publication


async def get_publication(
    *, session: AsyncSession, publication_id: int, lock: bool = False
) -> CommsPublication:
    """Load a publication by id or raise NotFound; `lock` holds its row until commit."""
    found = await session.get(
        CommsPublication, publication_id, populate_existing=True, with_for_update=lock or None
    )
    if found is None:
        raise NotFound(f"there is no publication {publication_id}")
    return found


async def publications(*, session: AsyncSession, draft_id: int) -> list[CommsPublication]:
    """Return a draft's publications in the order they were requested."""
    stmt = (
        select(CommsPublication)
        .where(CommsPublication.draft_id == draft_id)
        .order_by(CommsPublication.id)
    )
    return list((await session.scalars(stmt)).all())


async def remote_id(*, session: AsyncSession, incident_id: int, target: str) -> str | None:
    """Return the id the target gave this incident's first successful publication (Statuspage)."""
    stmt = (
        select(CommsPublication.external_id)
        .where(
            CommsPublication.incident_id == incident_id,
            CommsPublication.target == target,
            CommsPublication.state == DeliveryState.SENT.value,
            CommsPublication.external_id.is_not(None),
        )
        .order_by(CommsPublication.finished_at, CommsPublication.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def finish(
    publication: CommsPublication,
    *,
    ok: bool,
    external_id: str | None,
    error: str | None,
    now: datetime,
) -> None:
    """Record how sending a publication went."""
    publication.state = DeliveryState.SENT if ok else DeliveryState.FAILED
    publication.external_id = external_id
    publication.error = None if ok else (error or "failed")[:2000]
    publication.finished_at = now


def retry(publication: CommsPublication, *, actor: str, now: datetime) -> None:
    """Put a failed publication back in line."""
    publication.state = DeliveryState.PENDING
    publication.requested_by, publication.requested_at = actor, now
    publication.finished_at = None
