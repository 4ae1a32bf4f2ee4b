"""Pure rules for trackers: which tracker takes an item, state moves, what an issue says."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.trackers.schemas import IssueDraft, JiraTracker, Tracker
from bot.vocabulary import ActionKind, ActionState

TITLE_MAX = 250
LABEL = "incidentbot"
KIND_WORDS = {
    ActionKind.EVAL_CASE: "eval case",
    ActionKind.DETECTION: "detection",
    ActionKind.GUARDRAIL: "guardrail",
    ActionKind.RUNBOOK: "runbook",
    ActionKind.PROMPT: "prompt",
    ActionKind.OTHER: "action item",
}


def item_label(item_id: int) -> str:
    """The label that finds an item's Jira issue again after an unanswered create."""
    return f"{LABEL}-item-{item_id}"


def tracker_for(trackers: Mapping[str, Tracker], team: str | None) -> str | None:
    """The tracker that takes items of `team`: the one listing it, else the default, else None."""
    wanted = (team or "").casefold()
    for name, tracker in trackers.items():
        if wanted and wanted in (t.casefold() for t in tracker.teams):
            return name
    return next((name for name, t in trackers.items() if t.default), None)


def problems(
    trackers: Mapping[str, Tracker], env: Mapping[str, str], teams: Sequence[str]
) -> list[str]:
    """What is wrong with the trackers' config: missing credentials by variable, unknown teams."""
    found: list[str] = []
    defaults = [name for name, t in trackers.items() if t.default]
    if len(defaults) > 1:
        found.append(f"only one tracker may be the default, not {', '.join(defaults)}")
    known = {t.casefold() for t in teams}
    claimed: dict[str, str] = {}
    for name, tracker in trackers.items():
        for team in tracker.teams:
            if team.casefold() not in known:
                found.append(f"{name}: team {team!r} is not in followup.teams")
            if team.casefold() in claimed:
                found.append(
                    f"{name}: team {team!r} is already taken by {claimed[team.casefold()]}"
                )
            claimed.setdefault(team.casefold(), name)
        found += [f"{name}: {p}" for p in _missing(tracker, env)]
    return found


def _missing(tracker: Tracker, env: Mapping[str, str]) -> list[str]:
    names = [tracker.webhook_secret_env] if tracker.webhook_secret_env else []
    if isinstance(tracker, JiraTracker):
        names += [tracker.email_env, tracker.token_env]
    else:
        names.append(tracker.api_key_env)
    return [f"the environment variable {n} is not set" for n in names if not env.get(n)]


def moves(current: ActionState, remote: ActionState) -> list[ActionState]:
    """The item's moves that bring it to the state its tracker shows (reopening first)."""
    if remote is current:
        return []
    if not current.is_active and remote.is_active:
        return [ActionState.OPEN] + ([remote] if remote is not ActionState.OPEN else [])
    if not current.is_active:
        return [ActionState.OPEN, remote]
    return [remote]


def title(draft: IssueDraft) -> str:
    """The issue's title: the kind and the item's text."""
    text = f"[{KIND_WORDS[draft.kind]}] {draft.text}"
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def description_lines(draft: IssueDraft) -> list[tuple[str, str | None]]:
    """The description as lines of text, each with an optional link."""
    owner = draft.owner_name + (f" ({draft.owner_email})" if draft.owner_email else "")
    return [
        (draft.text, None),
        (
            f"Action item #{draft.item_id} from incident #{draft.incident_number}: "
            f"{draft.incident_title}",
            draft.incident_link,
        ),
        (f"Owner: {owner} · due {draft.due.isoformat()} · kind: {draft.kind.value}", None),
        ("Kept in step with incidentbot: closing this issue finishes the action item.", None),
    ]


def markdown(draft: IssueDraft) -> str:
    """The description as Markdown (Linear)."""
    return "\n\n".join(
        f"[{text}]({link})" if link else text for text, link in description_lines(draft)
    )


def adf(draft: IssueDraft) -> dict[str, Any]:
    """The description as an Atlassian Document Format document (Jira REST v3)."""
    return {
        "type": "doc",
        "version": 1,
        "content": [_paragraph(text, link) for text, link in description_lines(draft)],
    }


def _paragraph(text: str, link: str | None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if link:
        node["marks"] = [{"type": "link", "attrs": {"href": link}}]
    return {"type": "paragraph", "content": [node]}


def jira_category(state: ActionState) -> str:
    """The Jira status category an item state belongs in."""
    return {
        ActionState.OPEN: "new",
        ActionState.IN_PROGRESS: "indeterminate",
        ActionState.DONE: "done",
        ActionState.WONT_DO: "done",
    }[state]


def jira_state(category: str, status_name: str = "") -> ActionState | None:
    """The item state a Jira status shows (a done status named like "won't do" drops it)."""
    if category == "done":
        words = status_name.casefold().replace("’", "'")
        dropped = any(w in words for w in ("won't", "wont", "cancel", "declin", "reject"))
        return ActionState.WONT_DO if dropped else ActionState.DONE
    return {"new": ActionState.OPEN, "indeterminate": ActionState.IN_PROGRESS}.get(category)


LINEAR_TYPES = {
    ActionState.OPEN: "unstarted",
    ActionState.IN_PROGRESS: "started",
    ActionState.DONE: "completed",
    ActionState.WONT_DO: "canceled",
}


def linear_state(state_type: str) -> ActionState | None:
    """The item state a Linear workflow state type shows."""
    opened = ("triage", "backlog", "unstarted")
    if state_type in opened:
        return ActionState.OPEN
    return {v: k for k, v in LINEAR_TYPES.items()}.get(state_type)
