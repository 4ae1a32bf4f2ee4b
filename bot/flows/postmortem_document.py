"""The postmortem as a document in its incident channel: a channel canvas where the workspace
allows it, else a Markdown file (uploaded anew each revision, the previous one deleted).

Every rewrite of the postmortem (draft, review, publish) bumps the document's revision and
queues its sync; the worker writes the newest text, so several quick rewrites make one edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import summary
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import PostmortemDocument
from bot.postmortem import documents

CANVAS, FILE = "canvas", "file"


@dataclass(frozen=True)
class DocJob:
    """What the document sync must do for one incident."""

    incident_id: int
    number: int
    title: str
    channel_id: str | None
    revision: int
    kind: str | None  # canvas or file; None until the first try decides
    remote_id: str | None
    pending_file_id: str | None


async def queue_document(*, session: AsyncSession, incident_id: int, now: datetime) -> None:
    """The postmortem was rewritten: its document must follow."""
    await documents.next_revision(session=session, incident_id=incident_id, now=now)
    await queue.schedule(
        session=session,
        kind=JobKind.POSTMORTEM_DOC,
        subject_key=str(incident_id),
        due_at=now,
        incident_id=incident_id,
    )


async def job(*, session: AsyncSession, incident_id: int) -> DocJob | None:
    """The sync to do, or None when the document shows the newest revision."""
    row = await documents.get(session=session, incident_id=incident_id)
    if row is None or row.synced_revision >= row.revision:
        return None
    incident = await incident_store.get(session=session, incident_id=incident_id)
    return DocJob(
        incident_id,
        incident.number,
        incident.title,
        incident.channel_id,
        row.revision,
        row.kind,
        row.remote_id,
        row.pending_file_id,
    )


def with_charts(markdown: str, charts: Sequence[tuple[str, str]]) -> str:
    """The document's Markdown, with a section linking the incident's charts (title, link).

    The control charts shared in the incident channel (at open and at resolve) are linked here.
    """
    if not charts:
        return markdown
    lines = [f"- [{title}]({link})" for title, link in charts]
    return markdown.rstrip() + "\n\n## Charts\n\n" + "\n".join(lines) + "\n"


async def canvas_written(
    *,
    session: AsyncSession,
    incident_id: int,
    canvas_id: str,
    permalink: str | None,
    revision: int,
    now: datetime,
) -> None:
    """The channel canvas shows `revision`."""
    row = await _locked(session, incident_id)
    if row is None:
        return
    first = row.permalink is None
    row.kind, row.remote_id, row.error, row.updated_at = CANVAS, canvas_id, None, now
    row.permalink = permalink or row.permalink
    row.synced_revision = max(row.synced_revision, revision)
    if first:
        await summary.refresh_later_by_id(session=session, incident_id=incident_id, now=now)


async def use_files(*, session: AsyncSession, incident_id: int, why: str, now: datetime) -> None:
    """The workspace allows no canvas here: the document becomes a Markdown file."""
    row = await _locked(session, incident_id)
    if row is not None:
        row.kind, row.remote_id, row.permalink = FILE, None, None
        row.error, row.updated_at = f"canvases are off ({why}); a Markdown file instead", now


async def canvas_gone(*, session: AsyncSession, incident_id: int, now: datetime) -> None:
    """Someone deleted the canvas: write a new one."""
    row = await _locked(session, incident_id)
    if row is not None:
        row.remote_id, row.permalink, row.updated_at = None, None, now


async def file_reserved(
    *, session: AsyncSession, incident_id: int, file_id: str, now: datetime
) -> None:
    """Keep the id of a file being uploaded, before it is shared."""
    row = await _locked(session, incident_id)
    if row is not None:
        row.pending_file_id, row.updated_at = file_id, now


async def file_shared(
    *,
    session: AsyncSession,
    incident_id: int,
    file_id: str,
    permalink: str | None,
    revision: int,
    now: datetime,
) -> str | None:
    """The file showing `revision` is shared; returns the previous revision's file to delete."""
    row = await _locked(session, incident_id)
    if row is None:
        return None
    previous = row.remote_id if row.remote_id != file_id else None
    row.kind, row.remote_id, row.pending_file_id = FILE, file_id, None
    row.permalink, row.updated_at = permalink, now
    row.synced_revision = max(row.synced_revision, revision)
    await summary.refresh_later_by_id(session=session, incident_id=incident_id, now=now)
    return previous


async def _locked(session: AsyncSession, incident_id: int) -> PostmortemDocument | None:
    """The document row, locked after its incident (the order status changes take)."""
    await incident_store.get(session=session, incident_id=incident_id, lock=True)
    return await documents.get(session=session, incident_id=incident_id, lock=True)
