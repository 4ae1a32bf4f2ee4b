"""The containment actions playbooks may name by key; the providers that run them live elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

BUTTON_TITLE_MAX = 24


@dataclass(frozen=True, slots=True)
class Action:
    """One containment action.

    `reversible` says whether the effect can be taken back at all; `undo` names the catalog action
    that takes it back with one click, when there is one (a rollback, for instance, is reversed by
    promoting the newer version again, which is a deliberate change rather than an undo).
    """

    key: str
    title: str
    description: str
    reversible: bool
    undo: str | None = None

    def __post_init__(self) -> None:
        if len(self.title) > BUTTON_TITLE_MAX:
            raise ValueError(f"{self.key}: title longer than {BUTTON_TITLE_MAX} characters")
        if self.undo is not None and not self.reversible:
            raise ValueError(f"{self.key}: an action with an undo must be reversible")


_ACTIONS: tuple[Action, ...] = (
    Action(
        key="feature_flag_off",
        title="Turn feature off",
        description="Turn the affected feature's flag off (kill switch) so users stop getting it.",
        reversible=True,
        undo="feature_flag_on",
    ),
    Action(
        key="feature_flag_on",
        title="Turn feature on",
        description="Turn the affected feature's flag back on.",
        reversible=True,
        undo="feature_flag_off",
    ),
    Action(
        key="prompt_rollback",
        title="Roll back prompt",
        description="Move the production label to the previous prompt version.",
        reversible=True,
    ),
    Action(
        key="model_rollback",
        title="Roll back model",
        description="Pin the previous model version for the feature in the model gateway.",
        reversible=True,
    ),
    Action(
        key="enable_fallback",
        title="Switch to fallback",
        description="Serve the feature from its fallback path instead of the primary one.",
        reversible=True,
        undo="disable_fallback",
    ),
    Action(
        key="disable_fallback",
        title="Leave fallback",
        description="Send the feature back from its fallback path to the primary one.",
        reversible=True,
        undo="enable_fallback",
    ),
    Action(
        key="raise_human_review",
        title="Raise human review",
        description="Hold more of the feature's outputs for human review before users see them.",
        reversible=True,
    ),
    Action(
        key="tighten_guardrail",
        title="Tighten guardrail",
        description="Apply stricter moderation and injection thresholds to the feature.",
        reversible=True,
    ),
    Action(
        key="block_pattern",
        title="Block input pattern",
        description="Reject inputs that match a given pattern before they reach the model.",
        reversible=True,
    ),
    Action(
        key="refresh_index",
        title="Refresh index",
        description="Re-sync or rebuild the retrieval index from its sources.",
        reversible=False,
    ),
    Action(
        key="pause_pipeline",
        title="Pause pipeline",
        description="Pause a data or embedding pipeline so it stops writing.",
        reversible=True,
        undo="resume_pipeline",
    ),
    Action(
        key="resume_pipeline",
        title="Resume pipeline",
        description="Resume a paused data or embedding pipeline.",
        reversible=True,
        undo="pause_pipeline",
    ),
    Action(
        key="failover_provider",
        title="Fail over provider",
        description="Route the feature's model calls to the secondary provider or model.",
        reversible=True,
    ),
    Action(
        key="shed_load",
        title="Shed load",
        description="Drop non-critical traffic and rate-limit heavy clients to protect capacity.",
        reversible=True,
    ),
    Action(
        key="route_to_humans",
        title="Route to humans",
        description="Send the affected requests to human agents instead of the model.",
        reversible=True,
    ),
    Action(
        key="add_disclaimer",
        title="Add disclaimer",
        description="Show an accuracy disclaimer on the feature's answers.",
        reversible=True,
    ),
)

_BY_KEY: dict[str, Action] = {action.key: action for action in _ACTIONS}


def get(key: str) -> Action:
    """Return the action with this key; raise KeyError naming the known keys if there is none."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown containment action {key!r}; known: {', '.join(keys())}") from None


def keys() -> tuple[str, ...]:
    """Return every action key, in catalog order."""
    return tuple(_BY_KEY)


def actions() -> tuple[Action, ...]:
    """Return every action, in catalog order."""
    return _ACTIONS
