"""Block Kit for an incident: the live summary, topic, announcement, role duties and nudges."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.comms.cadence import COUNTDOWN_STEP
from bot.evals.requests import LoopState
from bot.incidents.snapshot import Deadline, Snapshot
from bot.slack import button_value
from bot.slack.blocks.paging import page_words
from bot.slack.ids import ActionId, BlockId
from bot.slack.text import clip, esc, link, user, when
from bot.vocabulary import Role, Severity, Status

SEVERITY_ICON = {Severity.P1: "🔴", Severity.P2: "🟠", Severity.P3: "🟡"}
STATUS_ICON = {
    Status.TRIAGE: "🆕",
    Status.INVESTIGATING: "🔎",
    Status.CONTAINED: "🛡️",
    Status.RESOLVED: "✅",
    Status.POSTMORTEM: "📝",
    Status.CLOSED: "🔒",
    Status.DECLINED: "🚫",
}
ROLE_DUTIES = {
    Role.COMMANDER: (
        "You lead the response: decide severity and type, keep people on the playbook, "
        "make the containment calls and decide when it is resolved. Delegate the hands-on work."
    ),
    Role.COMMS: (
        "You own what users and stakeholders hear: draft, get approval and publish updates on "
        "the cadence the summary shows. Be specific: which feature, which users, which window."
    ),
    Role.ENGINEERING: (
        "You find and fix the cause: confirm the failure on the reported input, check what "
        "changed (model, prompt, index, deploy, traffic), run containment, and validate the fix "
        "with an eval run."
    ),
    Role.SAFETY: (
        "You own harm: assess the harmful output and who saw it, make sure legal and leadership "
        "hear within one hour, review affected outputs, and sign off before the feature returns."
    ),
}


def headline(s: Snapshot) -> str:
    """One line naming the incident, e.g. '🔴 #12 Refund answers wrong'."""
    return f"{SEVERITY_ICON[s.severity]} #{s.number} {s.title}"


def summary_blocks(s: Snapshot) -> list[Block]:
    """The pinned live summary: facts, roles with buttons to take empty ones, sources."""
    blocks: list[Block] = [
        HeaderBlock(text=clip(headline(s), 150)),
        SectionBlock(fields=_fact_fields(s)),
        SectionBlock(text=MarkdownTextObject(text=_roles_text(s))),
    ]
    if s.empty_roles and s.status.is_open:
        blocks.append(ActionsBlock(block_id=BlockId.SUMMARY_ROLES, elements=_role_buttons(s)))
    if s.description:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_description(s))))
    if s.stormed:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_stormed(s))))
    blocks += [DividerBlock(), ContextBlock(elements=[MarkdownTextObject(text=_context(s))])]
    return blocks


def summary_text(s: Snapshot) -> str:
    """Fallback text for notifications (mrkdwn like any message text, so the title is escaped)."""
    title = f"{SEVERITY_ICON[s.severity]} #{s.number} {esc(s.title)}"
    return f"{title} — {s.status.value}, {s.type.label}"


STORMED_SHOWN = 25


def _description(s: Snapshot) -> str:
    more = link(s.page_url, "full text") if s.page_url else None
    return clip(esc(s.description), 3000, more=more)


def _stormed(s: Snapshot) -> str:
    """The storm's alert groups, numbered for `/incident split <n>`."""
    lines = [
        f"{g.number}. {SEVERITY_ICON[g.severity]} {esc(clip(g.title, 80))} · {g.alerts} alert"
        + ("s" if g.alerts != 1 else "")
        for g in s.stormed[:STORMED_SHOWN]
    ]
    more = len(s.stormed) - STORMED_SHOWN
    if more > 0:
        lines.append(f"… and {more} more" + (f" ({link(s.page_url, 'all')})" if s.page_url else ""))
    head = f"*Stormed alert groups* ({len(s.stormed)}) — `/incident split <n>` opens one on its own"
    return clip(head + "\n" + "\n".join(lines), 3000)


def _fact_fields(s: Snapshot) -> list[MarkdownTextObject]:
    facts = [
        f"*Status*\n{STATUS_ICON[s.status]} {s.status.value.capitalize()}",
        f"*Severity*\n{SEVERITY_ICON[s.severity]} {s.severity.value}",
        f"*Type*\n{s.type.label}",
        f"*Feature*\n{esc(s.feature) if s.feature else '_not set_'}",
        f"*Alerts*\n{_alerts(s)}",
        f"*Seen*\n{_seen(s)}",
    ]
    if s.progress is not None:
        facts.append(f"*Playbook*\n{s.progress[0]}/{s.progress[1]} steps")
    if s.next_update_at is not None and s.status.is_open:
        facts.append(f"*Next update due*\n{when(s.next_update_at)}")
    if s.legal_notice is not None:
        facts.append(f"*Legal & leadership notice*\n{_deadline(s.legal_notice, s.as_of)}")
    if s.evals is not None:
        facts.append(f"*Evals*\n{_evals(s.evals)}")
    if s.pages:
        facts.append("*Paged*\n" + "\n".join(f"{esc(p.target)}: {page_words(p)}" for p in s.pages))
    return [MarkdownTextObject(text=clip(f, 2000)) for f in facts[:10]]


def _evals(loop: LoopState) -> str:
    if loop.results is not None:
        passed, total = loop.results
        return f"🧪 results in: {passed}/{total} passed"
    if loop.status == "failed":
        return f"⚠️ the eval runner failed: {esc(clip(loop.error or 'no answer', 200))}"
    return f"⏳ waiting for the eval run (asked {when(loop.requested_at)})"


def _alerts(s: Snapshot) -> str:
    monitors = s.monitors
    if monitors is None or monitors.resolved == 0:
        return str(s.alert_count)
    if monitors.all_resolved:
        return f"{s.alert_count} · all resolved"
    total = monitors.firing + monitors.resolved
    return f"{s.alert_count} · {monitors.firing} of {total} still firing"


def _deadline(deadline: Deadline, now: datetime | None) -> str:
    """Sent when, or due by when with the time left (in steps the summary is refreshed at)."""
    if deadline.done_at is not None:
        return f"✅ sent {when(deadline.done_at)}"
    if now is None:
        return f"⏳ due by {when(deadline.due_at)}"
    left = deadline.due_at - now
    if left <= timedelta(0):
        return f"⚠️ *overdue* since {when(deadline.due_at)}"
    step = COUNTDOWN_STEP.total_seconds()
    minutes = int(math.ceil(left.total_seconds() / step) * step // 60)
    return f"⏳ due by {when(deadline.due_at)} · less than {minutes} min left"


def _seen(s: Snapshot) -> str:
    if s.first_seen is None or s.last_seen is None:
        return "_no alerts_"
    return f"first {when(s.first_seen)}\nlast {when(s.last_seen)}"


def _roles_text(s: Snapshot) -> str:
    roles = [r for r in Role if r in s.required_roles or r in s.roles]
    return "*Roles*  " + "   ".join(f"{r.value}: {user(s.roles.get(r))}" for r in roles)


def _role_buttons(s: Snapshot) -> list[ButtonElement]:
    return [
        ButtonElement(
            text=f"I'll be {role.label}",
            action_id=f"{ActionId.TAKE_ROLE}:{role.value}",
            value=button_value.encode(s.id, role.value),
            style="primary" if role == Role.COMMANDER else None,
        )
        for role in s.empty_roles
    ]


def _context(s: Snapshot) -> str:
    parts = [f"Declared by {_actor(s.declared_by)} {when(s.declared_at)}"]
    if s.postmortem_url:
        parts.append(f"📝 <{esc(s.postmortem_url)}|Postmortem>")
    parts += [f"<{esc(link.url)}|{esc(clip(link.title, 60))}>" for link in s.links]
    return " · ".join(parts)


def _actor(actor: str) -> str:
    return user(actor) if actor.startswith(("U", "W")) else esc(actor)


def topic(s: Snapshot) -> str:
    """Channel topic: severity · type · commander (at most 250 characters)."""
    commander = s.roles.get(Role.COMMANDER)
    who = f"commander <@{commander}>" if commander else "no commander yet"
    return clip(f"{s.severity.value} · {s.type.label} · {s.status.value} · {who}", 250)


def announcement(s: Snapshot) -> str:
    """The line posted in the announcement channel."""
    channel = f"<#{s.channel_id}>" if s.channel_id else "(channel pending)"
    feature = f" on {esc(s.feature)}" if s.feature else ""
    return (
        f"{SEVERITY_ICON[s.severity]} New {s.severity.value} incident #{s.number}: "
        f"*{esc(s.title)}* — {s.type.label}{feature}. Join {channel}"
    )


def role_dm(s: Snapshot, role: Role) -> str:
    """What the new holder of a role is told."""
    channel = f"<#{s.channel_id}>" if s.channel_id else f"incident #{s.number}"
    return f"You are now the *{role.label}* for {channel} ({esc(s.title)}).\n{ROLE_DUTIES[role]}"


def role_nudge(s: Snapshot) -> str:
    """The channel reminder about required roles nobody has taken."""
    names = " or ".join(f"the *{r.label}*" for r in s.empty_roles)
    return (
        f"⏰ Still nobody is {names}. Use the buttons on the pinned summary or "
        "`/incident role <role> @someone`."
    )
