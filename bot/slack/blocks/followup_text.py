"""Texts of the follow-up feature: eval notices, validation, reminders, digest, lists, stats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from bot.evals.validation import Phase, Verdict
from bot.flows.fix_validation import EvalNotice
from bot.flows.postmortem import PostmortemDoc
from bot.postmortem import review
from bot.postmortem.digest import Digest
from bot.postmortem.durations import MEASURES, DurationStats, MeasureStats
from bot.postmortem.render import human_duration
from bot.postmortem.schemas import ActionItemFacts, FixValidationFacts
from bot.postmortem.store import ItemRecord
from bot.slack.blocks.followup import KIND_LABEL, due_words, item_line
from bot.slack.text import clip, esc, user
from bot.vocabulary import ActionState, IncidentType, Severity, Status

LIST_MAX = 40
DIGEST_MAX = 35_000
VERDICT_ICON = {Verdict.PASSED: "✅", Verdict.NOT_SIGNIFICANT: "⚠️"}


def eval_notice(notice: EvalNotice) -> str:
    """Tell the incident channel about an eval run and what it means for the fix."""
    run = notice.run
    head = f"🧪 *Eval run* `{esc(run.suite)}` on `{esc(notice.feature)}`: {esc(notice.where)}"
    if notice.phase is Phase.FAILURE_WINDOW:
        return (
            f"{head}\nℹ️ This run counts toward the failure-window rate. After containment, a run "
            "of the same suite must show significantly fewer failures to validate the fix."
        )
    if notice.phase is Phase.BEFORE:
        return f"{head}\nℹ️ It finished before the incident started, so validation ignores it."
    found = notice.assessment
    icon = VERDICT_ICON.get(found.verdict, "ℹ️")
    need = " (required to resolve)" if found.required else ""
    return f"{head}\n{icon} Fix validation{need}: {esc(found.explanation)}"


def resolved(
    previous: Status, actor: str, note: str | None, validation: FixValidationFacts | None
) -> str:
    """Announce the resolve with what the fix validation showed or why it was overridden."""
    why = f": {esc(note)}" if note else ""
    text = f"Status {previous.value} → *resolved* by <@{actor}>{why}."
    if validation is None:
        return text
    if validation.override_reason:
        return (
            f"{text}\n⚠️ Resolved *without a validated fix*, overridden by "
            f"{user(validation.overridden_by)}: {esc(validation.override_reason)}\n"
            f"_{esc(validation.explanation or '')}_"
        )
    if validation.explanation:
        return f"{text}\n🧪 {esc(validation.explanation)}"
    return text


def item_added(item: ItemRecord, today: date) -> str:
    """Confirm a new action item to whoever added it."""
    return f"📌 Added {item_line(item, today, with_incident=False)}."


def reminder(item: ItemRecord, today: date) -> str:
    """Remind the owner two days before the due date."""
    where = f" in <#{item.incident_channel}>" if item.incident_channel else ""
    return (
        f"⏰ Reminder: action item *#{item.id}* ({KIND_LABEL[item.kind]}) from incident "
        f"#{item.incident_number} is {due_words(item.due, today)}:\n> {esc(clip(item.text, 500))}\n"
        f"Mark it done with its buttons{where} or in the bot's Home tab."
    )


def overdue_owner(item: ItemRecord) -> str:
    """Tell the owner an item is past due."""
    return (
        f"⚠️ Overdue: action item *#{item.id}* ({KIND_LABEL[item.kind]}) from incident "
        f"#{item.incident_number} was due {item.due}:\n> {esc(clip(item.text, 500))}\n"
        "Finish it, move the date with `/incident action due`, or mark it won't do with a reason."
    )


def overdue_managers(item: ItemRecord) -> str:
    """Tell the managers' channel an item is past due."""
    team = f" ({esc(item.team)})" if item.team else ""
    return (
        f"⚠️ Overdue action item *#{item.id}* ({KIND_LABEL[item.kind]}) from incident "
        f"#{item.incident_number}, owner {user(item.owner_id)}{team}, was due {item.due}: "
        f"{esc(clip(item.text, 300))}"
    )


def digest(d: Digest) -> str:
    """The weekly digest: open and overdue items by team, then owner."""
    lines = [f"📋 *Weekly action items* — {d.open_count} open, {d.overdue_count} overdue"]
    for team in d.teams:
        lines.append(f"\n*{esc(team.team)}*")
        for owner in team.owners:
            items = [_digest_item(i, True) for i in owner.overdue_items]
            items += [_digest_item(i, False) for i in owner.open_items]
            lines.append(f"{user(owner.owner)}: " + "; ".join(items))
    if d.finished:
        lines.append(f"\n✅ *Finished in the last week* ({len(d.finished)})")
        lines += [_finished_item(i) for i in d.finished]
    return clip("\n".join(lines), DIGEST_MAX)


def _finished_item(item: ActionItemFacts) -> str:
    state = "won't do" if item.state is ActionState.WONT_DO else item.state.value
    return (
        f"• #{item.item_id} {esc(clip(item.text, 120))} — {user(item.owner)}, {state} "
        f"(incident #{item.incident_number})"
    )


def _digest_item(item: ActionItemFacts, overdue: bool) -> str:
    flag = "🔴 overdue, " if overdue else ""
    return (
        f"#{item.item_id} {esc(clip(item.text, 120))} ({flag}due {item.due}, "
        f"incident #{item.incident_number})"
    )


def actions_list(title: str, items: Sequence[ItemRecord], today: date) -> str:
    """The reply to `/incident actions`."""
    if not items:
        return f"*{title}*\nNo action items."
    lines = [f"• {item_line(i, today)}" for i in items[:LIST_MAX]]
    more = f"\n…and {len(items) - LIST_MAX} more." if len(items) > LIST_MAX else ""
    return f"*{title}* ({len(items)})\n" + "\n".join(lines) + more


def stats(days: int, summary: Mapping[tuple[IncidentType, Severity], DurationStats]) -> str:
    """Median and p90 time to detect, acknowledge, contain and resolve by type and severity."""
    head = f"*Response times, incidents declared in the last {days} days* (median / p90)"
    if not summary:
        return f"{head}\nNo incidents in this period."
    rows = ["type · severity (n) | detect | acknowledge | contain | resolve"]
    for (incident_type, severity), group in summary.items():
        cells = [_cell(getattr(group, m)) for m in MEASURES]
        rows.append(
            f"{incident_type.label} · {severity.value} ({group.count}) | " + " | ".join(cells)
        )
    return head + "\n```\n" + "\n".join(rows) + "\n```"


def _cell(measure: MeasureStats | None) -> str:
    if measure is None:
        return "—"
    return f"{human_duration(measure.median)} / {human_duration(measure.p90)}"


def postmortem_head(doc: PostmortemDoc) -> str:
    """The message that answers `/incident postmortem`: where the document is, what blocks it."""
    state = review.label(doc.state)
    blockers = "".join(f"\n• {esc(b)}" for b in doc.blockers)
    before = f"\n*Before publishing:*{blockers}" if blockers else ""
    return (
        f"📝 *Postmortem for incident #{doc.number}* — {state}. Writing it to this channel's "
        f"canvas (also at `GET /api/incidents/{doc.number}/postmortem.md`).{before}"
    )


def postmortem_document(doc: PostmortemDoc, link: str, revision: int) -> str:
    """Tell the channel the document shows the newest revision, and where it is."""
    state = review.label(doc.state)
    where = f"<{esc(link)}|open the postmortem>" if link else "see the channel's canvas"
    return f"📝 Postmortem for incident #{doc.number} ({state}, revision {revision}): {where}."


def postmortem_file_comment(doc: PostmortemDoc) -> str:
    """The comment a postmortem file is shared with (where canvases are off)."""
    return (
        f"📝 Postmortem for incident #{doc.number} — {review.label(doc.state)}. This workspace "
        "has no canvases here, so it is a Markdown file; each revision replaces the last."
    )


def postmortem_moved(doc: PostmortemDoc, actor: str) -> str:
    """Announce a postmortem going into review or being published."""
    if doc.state.value == "published":
        return (
            f"📢 <@{actor}> published the postmortem for incident #{doc.number}. "
            f"`GET /api/incidents/{doc.number}/postmortem.md` has the final text."
        )
    return (
        f"👀 <@{actor}> put the postmortem for incident #{doc.number} *{review.label(doc.state)}*. "
        "Publish it with `/incident postmortem publish`."
    )
