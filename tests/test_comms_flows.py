"""Comms flows on a real database: prefill, versions, approval rules, targets, what is owed when."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bot.comms import cadence, drafting
from bot.comms import obligations as comms_obligations
from bot.comms.clients import Message, to_statuspage, to_webhook
from bot.comms.schemas import Scope, StatusPageStatus
from bot.comms.targets import (
    StatuspageTarget,
    WebhookTarget,
    credential_problems,
    statuspage_body,
)
from bot.config import Config
from bot.db import session_scope
from bot.deps import Deps
from bot.errors import BadInput, Forbidden, InvalidTransition
from bot.flows import comms as comms_flows
from bot.flows import comms_delivery, comms_editing, comms_publish
from bot.flows import incidents as incident_flows
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import CommsPublication, ContainmentRun, DueWork, TimelineEvent
from bot.templating import make_environment
from bot.vocabulary import Audience, CommsKind, IncidentType, Obligation, Role, Severity, Status

T0 = datetime(2026, 11, 23, 3, 2, 30, tzinfo=UTC)
TEMPLATES = make_environment()


async def declared(
    deps: Deps, type_: IncidentType = IncidentType.HALLUCINATION, severity: Severity = Severity.P2
) -> int:
    """Declare an incident at T0 with a commander (U_ALICE) and a comms lead (U_BOB)."""
    async with session_scope(deps.sessions) as s:
        incident = await incident_flows.declare(
            session=s,
            config=deps.config,
            declaration=incident_flows.Declaration(
                title="Refund answers quote a 60-day window (prompt v12)",
                type=type_,
                severity=severity,
                feature="support-assistant",
                description="",
                user_id="U_ALICE",
            ),
            now=T0,
        )
        for role, user in ((Role.COMMANDER, "U_ALICE"), (Role.COMMS, "U_BOB")):
            await incident_flows.assign_role(
                session=s, incident_id=incident.id, role=role, user_id=user, actor="U_ALICE", now=T0
            )
        return incident.id


async def editing(
    deps: Deps,
    incident_id: int,
    kind: CommsKind = CommsKind.STATUS_UPDATE,
    now: datetime = T0 + timedelta(minutes=20),
) -> comms_flows.Editing:
    async with session_scope(deps.sessions) as s:
        return await comms_flows.open_editing(
            session=s,
            config=deps.config,
            templates=TEMPLATES,
            incident_id=incident_id,
            kind=kind,
            now=now,
        )


async def save(
    deps: Deps,
    incident_id: int,
    changes: dict[str, Any],
    *,
    kind: CommsKind = CommsKind.STATUS_UPDATE,
    actor: str = "U_BOB",
    text: str | None = None,
    now: datetime = T0 + timedelta(minutes=25),
) -> comms_editing.Saved:
    shown = await editing(deps, incident_id, kind)
    draft = shown.composed.draft
    typed = comms_editing.Typed(
        title=draft.title,
        text=text if text is not None else draft.text,
        changes=changes,
        base=shown.base,
        opened_version=shown.version,
    )
    async with session_scope(deps.sessions) as s:
        return await comms_editing.save(
            session=s,
            config=deps.config,
            templates=TEMPLATES,
            incident_id=incident_id,
            kind=kind,
            draft_id=shown.draft_id,
            typed=typed,
            actor=actor,
            now=now,
        )


async def publish(
    deps: Deps,
    saved: comms_editing.Saved,
    actor: str = "U_BOB",
    reason: str | None = None,
    now: datetime = T0 + timedelta(minutes=30),
) -> comms_publish.Published:
    async with session_scope(deps.sessions) as s:
        return await comms_publish.publish(
            session=s,
            config=deps.config,
            draft_id=saved.draft_id,
            version=saved.version,
            actor=actor,
            now=now,
            override_reason=reason,
        )


COMPLETE = {
    "segment": "Support assistant users asking about refunds",
    "actions_taken": "We turned off refund answers.",
}


async def owed(deps: Deps, incident_id: int) -> dict[Obligation, tuple[datetime, bool]]:
    async with session_scope(deps.sessions) as s:
        found = {}
        for obligation in Obligation:
            row = await comms_obligations.get(
                session=s, incident_id=incident_id, obligation=obligation
            )
            if row is not None:
                found[obligation] = (row.due_at, row.done_at is not None)
        return found


async def arm(deps: Deps, incident_id: int) -> None:
    async with session_scope(deps.sessions) as s:
        await comms_delivery.arm(session=s, config=deps.config, incident_id=incident_id, now=T0)


# --- prefill and versions ---------------------------------------------------------------------


async def test_prefill_from_incident_facts(deps: Deps) -> None:
    incident_id = await declared(deps)
    async with session_scope(deps.sessions) as s:
        for key, state in (("feature_flag_off", "succeeded"), ("prompt_rollback", "failed")):
            s.add(
                ContainmentRun(
                    incident_id=incident_id,
                    action_key=key,
                    provider="flags",
                    click_key=f"{key}:1",
                    state=state,
                    requested_by="U_ALICE",
                    requested_at=T0 + timedelta(minutes=5),
                )
            )
    shown = await editing(deps, incident_id)
    scope = shown.composed.draft.scope
    assert scope.feature == "Support assistant"
    assert scope.window_start == T0.replace(second=0)  # whole minutes: the form shows minutes
    assert scope.actions_taken == "We switched the feature off while we fix it."
    assert scope.next_update_at == datetime(2026, 11, 23, 4, 22, tzinfo=UTC)  # P2: 60 min
    assert shown.version == 0 and shown.draft_id is None
    assert "segment" in shown.fields and "prevention" not in shown.fields
    assert [e.field for e in shown.composed.lint.errors] == ["segment"]
    assert "prompt v12" not in shown.composed.draft.text  # the internal title stays internal


def run(incident_id: int, key: str, minutes: int, undo_of: int | None = None) -> ContainmentRun:
    return ContainmentRun(
        incident_id=incident_id,
        action_key=key,
        provider="flags",
        click_key=f"{key}:{minutes}",
        state="succeeded",
        requested_by="U_ALICE",
        requested_at=T0 + timedelta(minutes=minutes),
        finished_at=T0 + timedelta(minutes=minutes, seconds=20),
        undo_of_id=undo_of,
    )


async def test_legal_notice_ends_the_exposure_window_when_containment_took_effect(
    deps: Deps,
) -> None:
    incident_id = await declared(deps, IncidentType.SAFETY_VIOLATION, Severity.P1)
    async with session_scope(deps.sessions) as s:
        first = run(incident_id, "feature_flag_off", 4)
        s.add(first)
        await s.flush()
        s.add(run(incident_id, "feature_flag_on", 6, undo_of=first.id))  # undone: not contained
        s.add(run(incident_id, "feature_flag_off", 12))
    shown = await editing(deps, incident_id, CommsKind.LEGAL_LEADERSHIP)
    draft = shown.composed.draft
    assert draft.scope.window_end == T0.replace(second=0) + timedelta(minutes=12)
    assert "Exposure window: 2026-11-23 03:02 UTC to 2026-11-23 03:14 UTC (12 min)" in draft.text
    assert "still open" not in draft.text
    assert "Containment: We switched the feature off while we fix it.\n" in draft.text


async def test_each_save_is_a_version_and_text_follows_fields_unless_edited(deps: Deps) -> None:
    incident_id = await declared(deps)
    first = await save(deps, incident_id, COMPLETE)
    assert (first.version, first.changed) == (1, True)
    same = await save(deps, incident_id, COMPLETE)
    assert (same.version, same.changed) == (1, False)
    moved = await save(deps, incident_id, {**COMPLETE, "segment": "Refund askers in the EU"})
    assert moved.version == 2 and "+Who is affected: Refund askers in the EU." in moved.diff
    shown = await editing(deps, incident_id)
    edited = shown.composed.draft.text + "\nWe are sorry."
    kept = await save(deps, incident_id, {**COMPLETE, "segment": "Everyone"}, text=edited)
    shown = await editing(deps, incident_id)
    assert kept.version == 3 and shown.composed.draft.text.endswith("We are sorry.")
    assert "Who is affected: Everyone." in shown.composed.draft.text
    assert shown.composed.draft.scope.segment == "Everyone"
    assert shown.parts.theirs == ("We are sorry.",)


async def test_a_new_draft_keeps_what_the_comms_lead_wrote(deps: Deps) -> None:
    incident_id = await declared(deps)
    await publish(deps, await save(deps, incident_id, {**COMPLETE, "affected_count": 1240}))
    follow = await editing(deps, incident_id, CommsKind.RESOLUTION)
    scope = follow.composed.draft.scope
    assert scope.segment == COMPLETE["segment"] and scope.affected_count == 1240
    assert scope.status_page_status is StatusPageStatus.RESOLVED and scope.next_update_at is None
    assert follow.draft_id is None  # a new draft: the status update was published


# --- approval ---------------------------------------------------------------------------------


async def test_publish_is_for_the_comms_lead_or_the_commander(deps: Deps) -> None:
    incident_id = await declared(deps)
    saved = await save(deps, incident_id, COMPLETE)
    with pytest.raises(Forbidden, match=r"Only the comms lead .* or the commander .* may approve"):
        await publish(deps, saved, actor="U_CAROL")
    done = await publish(deps, saved, actor="U_ALICE")
    assert done.version == 1 and not done.overridden
    with pytest.raises(InvalidTransition, match="published already"):
        await publish(deps, saved, actor="U_ALICE")


async def test_missing_scope_blocks_and_only_the_comms_lead_overrides(deps: Deps) -> None:
    incident_id = await declared(deps)
    saved = await save(deps, incident_id, {})
    with pytest.raises(comms_publish.LintBlocked) as blocked:
        await publish(deps, saved, actor="U_ALICE", reason="the commander says so")
    assert not blocked.value.may_override
    assert [e.field for e in blocked.value.errors] == ["segment", "actions_taken"]
    with pytest.raises(comms_publish.LintBlocked) as asked:
        await publish(deps, saved, actor="U_BOB", reason="   ")
    assert asked.value.may_override
    done = await publish(deps, saved, actor="U_BOB", reason="users must hear now")
    assert done.overridden
    async with session_scope(deps.sessions) as s:
        events = (await s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "comms"))).all()
    [approval] = events
    assert "Published despite missing scope: users must hear now" in approval.text
    assert approval.data["override_reason"] == "users must hear now"


async def test_two_approvals_at_once_publish_once(deps: Deps) -> None:
    deps.config = Config.model_validate(
        {"status_targets": [{"kind": "webhook", "name": "hook", "url": "https://hooks.example/x"}]}
    )
    incident_id = await declared(deps)
    saved = await save(deps, incident_id, COMPLETE)
    results = await asyncio.gather(
        publish(deps, saved, actor="U_BOB"),
        publish(deps, saved, actor="U_ALICE"),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["InvalidTransition", "Published"]
    async with session_scope(deps.sessions) as s:
        assert len((await s.scalars(select(CommsPublication))).all()) == 1


async def test_approving_an_older_version_is_refused(deps: Deps) -> None:
    incident_id = await declared(deps)
    first = await save(deps, incident_id, COMPLETE)
    await save(deps, incident_id, {**COMPLETE, "segment": "Refund askers in the EU"})
    with pytest.raises(InvalidTransition, match="v2 was saved after the v1 you approved"):
        await publish(deps, first)


async def test_save_refuses_an_empty_text(deps: Deps) -> None:
    incident_id = await declared(deps)
    with pytest.raises(BadInput, match="title and a text"):
        await save(deps, incident_id, COMPLETE, text=" ")


# --- cadence ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "minutes"), [(Severity.P1, 30), (Severity.P2, 60), (Severity.P3, 240)]
)
async def test_first_update_due_by_severity(deps: Deps, severity: Severity, minutes: int) -> None:
    incident_id = await declared(deps, severity=severity)
    await arm(deps, incident_id)
    assert await owed(deps, incident_id) == {
        Obligation.UPDATE: (T0 + timedelta(minutes=minutes), False)
    }


async def test_cadence_override_from_config(deps: Deps) -> None:
    deps.config = Config.model_validate({"comms_cadence_minutes": {"P3": 90}})
    incident_id = await declared(deps, severity=Severity.P3)
    await arm(deps, incident_id)
    assert (await owed(deps, incident_id))[Obligation.UPDATE][0] == T0 + timedelta(minutes=90)


async def test_safety_incident_owes_legal_notice_within_one_hour(deps: Deps) -> None:
    incident_id = await declared(deps, IncidentType.SAFETY_VIOLATION, Severity.P1)
    await arm(deps, incident_id)
    await arm(deps, incident_id)  # idempotent
    due_now = await owed(deps, incident_id)
    assert due_now[Obligation.LEGAL_LEADERSHIP] == (T0 + timedelta(hours=1), False)
    async with session_scope(deps.sessions) as s:
        reminders = await queue.pending(session=s, kind=JobKind.COMMS_REMIND)
    legal = [r for r in reminders if r.payload["obligation"] == "legal_leadership"]
    assert [r.due_at for r in legal] == [T0 + timedelta(minutes=45)]  # warned ahead of time
    saved = await save(
        deps, incident_id, {**COMPLETE, "lead": "Alice Archer"}, kind=CommsKind.LEGAL_LEADERSHIP
    )
    await publish(deps, saved)
    assert (await owed(deps, incident_id))[Obligation.LEGAL_LEADERSHIP][1] is True


async def test_publishing_an_update_moves_the_next_one_and_stale_reminders_do_nothing(
    deps: Deps,
) -> None:
    incident_id = await declared(deps)
    await arm(deps, incident_id)
    promised = datetime(2026, 11, 23, 4, 50, tzinfo=UTC)
    saved = await save(deps, incident_id, {**COMPLETE, "next_update_at": promised})
    await publish(deps, saved)
    assert (await owed(deps, incident_id))[Obligation.UPDATE] == (promised, False)
    async with session_scope(deps.sessions) as s:
        stale = {"obligation": "update", "due_at": (T0 + timedelta(hours=1)).isoformat()}
        assert (
            await comms_delivery.reminder(
                session=s, incident_id=incident_id, payload=stale, now=T0 + timedelta(hours=1)
            )
            is None
        )
        current = {"obligation": "update", "due_at": promised.isoformat(), "count": 0}
        notice = await comms_delivery.reminder(
            session=s, incident_id=incident_id, payload=current, now=promised
        )
    assert notice is not None and notice.comms_lead == "U_BOB" and notice.count == 1


async def test_resolving_ends_updates_and_owes_the_follow_up_in_48_hours(deps: Deps) -> None:
    incident_id = await declared(deps)
    await arm(deps, incident_id)
    resolved_at = T0 + timedelta(hours=2)
    async with session_scope(deps.sessions) as s:
        await incident_flows.set_status(
            session=s,
            config=deps.config,
            incident_id=incident_id,
            target=Status.RESOLVED,
            actor="U_ALICE",
            now=resolved_at,
            override="checked by hand",
        )
    now_owed = await owed(deps, incident_id)
    assert now_owed[Obligation.UPDATE][1] is True
    assert now_owed[Obligation.FOLLOW_UP] == (resolved_at + timedelta(hours=48), False)
    async with session_scope(deps.sessions) as s:
        rows = (await s.scalars(select(DueWork).where(DueWork.kind == "comms.remind"))).all()
    assert resolved_at + timedelta(hours=48) in [r.due_at for r in rows]
    saved = await save(
        deps,
        incident_id,
        {**COMPLETE, "prevention": "Refund answers are now checked against the policy."},
        kind=CommsKind.FOLLOW_UP,
        now=resolved_at + timedelta(hours=5),
    )
    await publish(deps, saved, now=resolved_at + timedelta(hours=6))
    assert (await owed(deps, incident_id))[Obligation.FOLLOW_UP][1] is True


def test_cadence_rules() -> None:
    assert cadence.next_update(Severity.P1, T0, None) == T0 + timedelta(minutes=30)
    assert cadence.next_update(Severity.P1, T0, T0 - timedelta(minutes=1)) == T0 + timedelta(
        minutes=30
    )
    assert cadence.next_reminder(T0, 1) == T0 + timedelta(minutes=15)
    assert cadence.next_reminder(T0, cadence.MAX_REMINDERS) is None
    assert cadence.first_reminder(Obligation.UPDATE, T0) == T0


# --- targets ----------------------------------------------------------------------------------


def scope(**changes: Any) -> Scope:
    base = {
        "incident_title": "x",
        "incident_type": "hallucination",
        "severity": "P1",
        "window_start": T0,
        "feature": "Support assistant",
    }
    return Scope.model_validate({**base, **changes})


def test_statuspage_body_maps_status_and_component_impact() -> None:
    target = StatuspageTarget(
        name="public",
        page_id="p",
        api_key_env="K",
        component_ids=["c1", "c2"],
        impact={Severity.P2: "major_outage"},
    )
    open_body = statuspage_body(target, title="T", text="B", scope=scope())
    assert open_body == {
        "incident": {
            "name": "T",
            "status": "investigating",
            "body": "B",
            "deliver_notifications": True,
            "component_ids": ["c1", "c2"],
            "components": {"c1": "partial_outage", "c2": "partial_outage"},  # P1 default
        }
    }
    done = statuspage_body(target, title="T", text="B", scope=scope(status_page_status="resolved"))
    assert done["incident"]["components"] == {"c1": "operational", "c2": "operational"}


def test_targets_config_is_validated() -> None:
    config = Config.model_validate(
        {"status_targets": [{"kind": "slack", "name": "status", "channel": "C1"}]}
    )
    assert config.status_targets[0].accepts(CommsKind.STATUS_UPDATE, Audience.EXTERNAL)
    assert not config.status_targets[0].accepts(CommsKind.LEGAL_LEADERSHIP, Audience.INTERNAL)
    for bad in (
        [
            {
                "kind": "statuspage",
                "name": "p",
                "page_id": "x",
                "api_key_env": "K",
                "audience": "internal",
            }
        ],
        [
            {"kind": "slack", "name": "a", "channel": "C1"},
            {"kind": "slack", "name": "a", "channel": "C2"},
        ],
        [{"kind": "pager", "name": "a"}],
        [{"kind": "webhook", "name": "a", "url": "ftp://x"}],
    ):
        with pytest.raises(ValidationError):
            Config.model_validate({"status_targets": bad})
    with pytest.raises(ValidationError):
        Config.model_validate({"comms_timezone": "Mars/Olympus"})


def test_check_names_targets_without_credentials() -> None:
    config = Config.model_validate(
        {
            "status_targets": [
                {"kind": "statuspage", "name": "public", "page_id": "p", "api_key_env": "SP"},
                {"kind": "webhook", "name": "hook", "url": "https://x", "token_env": "HOOK"},
                {"kind": "webhook", "name": "open", "url": "https://x"},
            ]
        }
    )
    assert credential_problems(config.status_targets, {"HOOK": "t"}) == [
        "status target public: the environment variable SP is not set"
    ]


def message() -> Message:
    return Message(
        incident_number=7,
        incident_type=IncidentType.HALLUCINATION,
        severity=Severity.P2,
        kind=CommsKind.STATUS_UPDATE,
        audience=Audience.EXTERNAL,
        version=2,
        title="T",
        text="B",
        scope=scope(),
        published_by="U_BOB",
        published_at=T0,
    )


async def test_clients_report_failures_as_outcomes() -> None:
    target = StatuspageTarget(name="p", page_id="pg", api_key_env="SP_KEY")
    async with httpx.AsyncClient() as client:
        missing = await to_statuspage(client, {}, target, message(), None)
    assert missing.error == "the environment variable SP_KEY is not set"

    def refuse(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "OAuth secret-key"
        return httpx.Response(401, text="bad key secret-key")

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        refused = await to_statuspage(client, {"SP_KEY": "secret-key"}, target, message(), None)
    assert not refused.ok and refused.error == "HTTP 401 Unauthorized: bad key ***"

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    hook = WebhookTarget(name="w", url="http://hooks.invalid/x")
    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as client:
        unreachable = await to_webhook(client, {}, hook, message(), idempotency_key="k")
    assert not unreachable.ok and "unreachable: ConnectError" in (unreachable.error or "")


# --- drafting helpers -------------------------------------------------------------------------


def test_drafting_helpers() -> None:
    assert drafting.feature_in_user_terms("smart_reply") == "Smart reply"
    assert drafting.feature_in_user_terms("Smart Reply") == "Smart Reply"
    assert drafting.containment_summaries(["prompt_rollback", "model_rollback", "nope"]) == [
        "We reverted the recent change that caused this"
    ]
    assert all(len(label) <= 24 for label in drafting.KIND_LABELS.values())
    assert set(drafting.KIND_LABELS) == set(CommsKind)
    assert "prevention" in drafting.fields_for(TEMPLATES, CommsKind.FOLLOW_UP)
    assert "lead" in drafting.fields_for(TEMPLATES, CommsKind.LEGAL_LEADERSHIP)
    assert "status_page_status" not in drafting.fields_for(TEMPLATES, CommsKind.LEGAL_LEADERSHIP)
    assert drafting.carry_over(scope(), {"segment": "EU users"}).segment == "EU users"
    broken = {"segment": "EU users", "timezone": "Nowhere/Else"}
    assert drafting.carry_over(scope(), broken) == scope()  # nothing half-applied
