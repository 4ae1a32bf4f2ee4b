"""Pure tracker rules: which tracker takes an item, how states map, config problems, signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime

import pytest

from bot.config import Config
from bot.errors import BadInput
from bot.trackers import rules, webhooks
from bot.trackers.schemas import IssueDraft
from bot.vocabulary import ActionKind, ActionState, TrackerKind

OPEN, P, D, W = ActionState.OPEN, ActionState.IN_PROGRESS, ActionState.DONE, ActionState.WONT_DO


def trackers(**extra: object) -> Config:
    return Config.model_validate(
        {
            "followup": {"teams": {"Search": ["U1"], "Safety": ["U2"]}},
            "trackers": {
                "jira": {"kind": "jira", "url": "https://x.atlassian.net/", "project": "AIQ"}
                | extra,
                "linear": {"kind": "linear", "team_id": "t-1", "teams": ["search"]},
            },
        }
    )


def test_the_tracker_listing_a_team_takes_its_items_else_the_default() -> None:
    config = trackers(default=True)
    assert rules.tracker_for(config.trackers, "Search") == "linear"
    assert rules.tracker_for(config.trackers, "Safety") == "jira"
    assert rules.tracker_for(config.trackers, None) == "jira"
    assert rules.tracker_for(trackers().trackers, None) is None
    assert config.trackers["jira"].url == "https://x.atlassian.net"  # type: ignore[union-attr]


def test_problems_name_each_missing_variable_and_unknown_team() -> None:
    config = trackers(teams=["Search", "Nobody"], webhook_secret_env="JIRA_HOOK")
    found = rules.problems(config.trackers, {"JIRA_EMAIL": "a"}, list(config.followup.teams))
    assert found == [
        "jira: team 'Nobody' is not in followup.teams",
        "jira: the environment variable JIRA_HOOK is not set",
        "jira: the environment variable JIRA_API_TOKEN is not set",
        "linear: team 'search' is already taken by jira",
        "linear: the environment variable LINEAR_API_KEY is not set",
    ]


@pytest.mark.parametrize(
    ("current", "remote", "steps"),
    [
        (OPEN, OPEN, []),
        (OPEN, D, [D]),
        (P, OPEN, [OPEN]),
        (D, P, [OPEN, P]),
        (D, OPEN, [OPEN]),
        (W, D, [OPEN, D]),
    ],
)
def test_moves_reopen_first_when_the_tracker_reopens(
    current: ActionState, remote: ActionState, steps: list[ActionState]
) -> None:
    assert rules.moves(current, remote) == steps


def test_jira_and_linear_states() -> None:
    assert rules.jira_state("done", "Done") is D
    assert rules.jira_state("done", "Won’t Do") is W
    assert rules.jira_state("new", "To Do") is OPEN
    assert rules.jira_state("indeterminate", "In Review") is P
    assert rules.jira_state("undefined") is None
    assert [rules.linear_state(t) for t in ("backlog", "started", "completed", "canceled")] == [
        OPEN,
        P,
        D,
        W,
    ]


def test_a_long_title_is_cut_and_the_description_links_the_incident() -> None:
    draft = IssueDraft(
        1,
        "y" * 400,
        ActionKind.DETECTION,
        date(2026, 12, 1),
        7,
        "T",
        "https://i/7",
        "Bob",
        None,
    )
    assert len(rules.title(draft)) == rules.TITLE_MAX and rules.title(draft).startswith(
        "[detection] "
    )
    assert "[Action item #1 from incident #7: T](https://i/7)" in rules.markdown(draft)


def test_signatures_and_payloads() -> None:
    body = b'{"webhookEvent": "jira:issue_updated"}'
    digest = hmac.new(b"s3", body, hashlib.sha256).hexdigest()
    assert webhooks.verify(TrackerKind.JIRA, ["other", "s3"], body, f"sha256={digest}")
    assert not webhooks.verify(TrackerKind.JIRA, ["s3"], body, digest)  # the prefix is required
    assert webhooks.verify(TrackerKind.LINEAR, ["s3"], body, digest)
    assert not webhooks.verify(TrackerKind.LINEAR, [], body, digest)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert webhooks.parse(TrackerKind.JIRA, {"webhookEvent": "comment_created"}, now) is None
    with pytest.raises(BadInput):
        webhooks.parse(TrackerKind.LINEAR, {"type": "Issue"}, now)


def test_check_refuses_a_config_whose_credentials_are_missing() -> None:
    from bot.checks import load_content
    from bot.errors import ConfigError

    config = trackers(default=True)
    with pytest.raises(ConfigError) as refused:
        load_content(config, {"JIRA_EMAIL": "bot@example.com"})
    assert str(refused.value).splitlines() == [
        "trackers:",
        "  jira: the environment variable JIRA_API_TOKEN is not set",
        "  linear: the environment variable LINEAR_API_KEY is not set",
    ]
