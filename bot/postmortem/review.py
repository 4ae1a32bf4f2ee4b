"""Pure postmortem review rules: draft → in review → published, and what blocks publishing."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import InvalidTransition
from bot.postmortem import rules
from bot.postmortem.schemas import ActionItemFacts
from bot.vocabulary import ActionKind, PostmortemState, Status

_ALLOWED: dict[PostmortemState, frozenset[PostmortemState]] = {
    PostmortemState.DRAFT: frozenset({PostmortemState.IN_REVIEW}),
    PostmortemState.IN_REVIEW: frozenset({PostmortemState.PUBLISHED}),
    PostmortemState.PUBLISHED: frozenset(),
}
# The incident statuses a postmortem can go into review or be published from.
_FINISHED = frozenset({Status.RESOLVED, Status.POSTMORTEM, Status.CLOSED})


def label(state: PostmortemState) -> str:
    """Return the state as people say it."""
    return state.value.replace("_", " ")


def transition(
    current: PostmortemState,
    target: PostmortemState,
    *,
    incident_status: Status,
    items: Sequence[ActionItemFacts],
    required_kinds: Sequence[ActionKind],
) -> PostmortemState:
    """Return the new state or raise InvalidTransition saying what is missing."""
    if target is current:
        raise InvalidTransition(f"the postmortem is already {label(current)}")
    if target not in _ALLOWED[current]:
        raise InvalidTransition(_refusal(current, target))
    if target is not PostmortemState.DRAFT and incident_status not in _FINISHED:
        raise InvalidTransition(
            f"the incident is still {incident_status.value}; resolve it with `/incident resolve` "
            "before the postmortem goes into review"
        )
    if target is PostmortemState.PUBLISHED:
        blockers = rules.publish_blockers(items, required_kinds)
        if blockers:
            raise InvalidTransition("Before publishing: " + "; ".join(blockers) + ".")
    return target


def _refusal(current: PostmortemState, target: PostmortemState) -> str:
    """Explain a move the review flow does not allow."""
    if current is PostmortemState.PUBLISHED:
        return "the postmortem is published; it is final"
    if target is PostmortemState.PUBLISHED:
        return "put the postmortem into review first: `/incident postmortem review`"
    return f"cannot move the postmortem from {label(current)} to {label(target)}"


def incident_status_after(target: PostmortemState, current: Status) -> Status | None:
    """Return the incident status that goes with it: review → postmortem, publish → closed."""
    if target is PostmortemState.IN_REVIEW and current is Status.RESOLVED:
        return Status.POSTMORTEM
    if target is PostmortemState.PUBLISHED and current in (Status.RESOLVED, Status.POSTMORTEM):
        return Status.CLOSED
    return None
