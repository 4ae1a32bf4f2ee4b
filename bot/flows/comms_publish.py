"""Comms approval: who may publish, the scope check and its override, queueing each target.

Publishing happens only after a person with the right role approves a saved version; each
target is then sent to by due work (see `comms_delivery`), and what the incident owed is met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.comms import cadence, drafting
from bot.comms import obligations as comms_obligations
from bot.comms import store as comms_store
from bot.comms import targets as comms_targets
from bot.comms.schemas import FIELD_LABELS, LintFinding, LintResult, Scope
from bot.config import Config
from bot.errors import BadInput, BotError, InvalidTransition
from bot.flows import comms_facts, summary
from bot.flows.comms import as_draft, compose, refresh_card, still_open
from bot.incidents import permissions
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import CommsDraft, CommsVersion
from bot.vocabulary import CommsKind, DeliveryState, EventKind, Obligation, Role


class LintBlocked(BotError):
    """Required scope is missing; `may_override` says whether this person may publish anyway."""

    def __init__(self, errors: tuple[LintFinding, ...], *, may_override: bool) -> None:
        names = ", ".join(FIELD_LABELS.get(e.field or "", e.field or "?") for e in errors)
        super().__init__(f"Fill in {names} before publishing.")
        self.errors = errors
        self.may_override = may_override


@dataclass(frozen=True)
class Published:
    draft_id: int
    version: int
    kind: CommsKind
    targets: tuple[comms_targets.Destination, ...]
    overridden: bool


async def publish(
    *,
    session: AsyncSession,
    config: Config,
    draft_id: int,
    version: int,
    actor: str,
    now: datetime,
    override_reason: str | None = None,
) -> Published:
    """Approve a saved version and queue it for every matching target (after checks)."""
    # Locked: of two people approving at once, the second finds it published already.
    draft = await comms_store.get_draft(session=session, draft_id=draft_id, for_update=True)
    still_open(draft)
    latest = await _require_latest(session, draft, version)
    held = await incident_store.roles(session=session, incident_id=draft.incident_id)
    permissions.require(
        config.permissions.publish_comms, held, actor, "approve and publish communications"
    )
    composed = compose(config, as_draft(draft, latest))
    reason = await _check_lint(config, composed.lint, held, actor, override_reason)
    comms_store.mark_published(draft, version=version, actor=actor, now=now, override_reason=reason)
    kind = draft.kind
    chosen = comms_targets.matching(config.status_targets, kind, composed.draft.audience)
    for target in chosen:
        await _queue_delivery(session, draft, version, target, actor, now)
    await _record_approval(session, draft, latest, chosen, actor, now)
    await _fulfil(session, config, draft, composed.draft.scope, actor, now)
    await refresh_card(session=session, draft=draft, now=now)
    names = tuple(comms_targets.describe(t) for t in chosen)
    return Published(draft.id, version, kind, names, reason is not None)


async def retry_failed(
    *, session: AsyncSession, config: Config, draft_id: int, actor: str, now: datetime
) -> int:
    """Send again to the targets that failed; returns how many were queued."""
    draft = await comms_store.get_draft(session=session, draft_id=draft_id, for_update=True)
    held = await incident_store.roles(session=session, incident_id=draft.incident_id)
    permissions.require(
        config.permissions.publish_comms, held, actor, "approve and publish communications"
    )
    failed = [
        p
        for p in await comms_store.publications(session=session, draft_id=draft_id)
        if p.state == DeliveryState.FAILED.value
    ]
    for publication in failed:
        comms_store.retry(publication, actor=actor, now=now)
        await _schedule_delivery(session, publication.id, draft.incident_id, now)
    await refresh_card(session=session, draft=draft, now=now)
    return len(failed)


async def _require_latest(session: AsyncSession, draft: CommsDraft, version: int) -> CommsVersion:
    latest = await comms_store.latest_version(session=session, draft_id=draft.id)
    if latest is None:
        raise BadInput("Save the draft before publishing it.")
    if latest.version != version:
        raise InvalidTransition(
            f"v{latest.version} was saved after the v{version} you approved; review it first."
        )
    return latest


async def _check_lint(
    config: Config,
    result: LintResult,
    held: Mapping[Role, str],
    actor: str,
    override_reason: str | None,
) -> str | None:
    """Return the recorded override reason, or raise LintBlocked while required scope is missing."""
    if result.ok:
        return None
    allowed = config.permissions.override_comms_lint
    may_override = not allowed or any(held.get(role) == actor for role in allowed)
    reason = (override_reason or "").strip()
    if not reason or not may_override:
        raise LintBlocked(result.errors, may_override=may_override)
    return reason


async def _queue_delivery(
    session: AsyncSession,
    draft: CommsDraft,
    version: int,
    target: comms_targets.Target,
    actor: str,
    now: datetime,
) -> None:
    publication = await comms_store.add_publication(
        session=session,
        draft=draft,
        version=version,
        target=target.name,
        target_kind=target.kind,
        actor=actor,
        now=now,
    )
    await _schedule_delivery(session, publication.id, draft.incident_id, now)


async def _schedule_delivery(
    session: AsyncSession, publication_id: int, incident_id: int, now: datetime
) -> None:
    await queue.schedule(
        session=session,
        kind=JobKind.COMMS_PUBLISH,
        subject_key=str(publication_id),
        due_at=now,
        incident_id=incident_id,
        payload={"publication_id": publication_id},
    )


async def _record_approval(
    session: AsyncSession,
    draft: CommsDraft,
    version: CommsVersion,
    chosen: list[comms_targets.Target],
    actor: str,
    now: datetime,
) -> None:
    kind = draft.kind
    where = ", ".join(t.name for t in chosen) or "no configured target"
    override = f"\nPublished despite missing scope: {draft.override_reason}"
    text = (
        f"{drafting.KIND_LABELS[kind]} v{version.version} approved for {where}: "
        f"{version.title}\n\n{version.text}" + (override if draft.override_reason else "")
    )
    await incident_store.add_event(
        session=session,
        incident_id=draft.incident_id,
        kind=EventKind.COMMS,
        actor=actor,
        at=now,
        text=text,
        data={
            "draft_id": draft.id,
            "kind": kind.value,
            "version": version.version,
            "title": version.title,
            "targets": [t.name for t in chosen],
            "override_reason": draft.override_reason,
        },
        dedupe_key=f"comms:{draft.id}:approved",
    )


async def _fulfil(
    session: AsyncSession,
    config: Config,
    draft: CommsDraft,
    scope: Scope,
    actor: str,
    now: datetime,
) -> None:
    """Publishing meets what the incident owed; an update also sets when the next one is due."""
    obligation = cadence.FULFILS.get(draft.kind)
    if obligation is None:
        return
    incident = await incident_store.get(session=session, incident_id=draft.incident_id)
    if obligation is not Obligation.UPDATE:
        await comms_obligations.fulfil(
            session=session,
            incident_id=draft.incident_id,
            obligation=obligation,
            actor=actor,
            now=now,
        )
        await summary.refresh_later(session=session, incident=incident, now=now)
        return
    if not comms_facts.is_open(incident):
        return
    next_due = cadence.next_update(
        incident.severity, now, scope.next_update_at, config.comms_cadence_minutes
    )
    await comms_obligations.owe(
        session=session, incident_id=incident.id, obligation=obligation, due_at=next_due
    )
    await summary.refresh_later(session=session, incident=incident, now=now)
