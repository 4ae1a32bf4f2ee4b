"""Fix validation statistics, postmortem rules, action-item follow-up and postmortem rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.errors import BadInput, InvalidTransition
from bot.evals import stats
from bot.postmortem import durations, rules
from bot.postmortem.digest import NO_TEAM, group_for_digest, next_digest
from bot.postmortem.render import human_duration, render_postmortem
from bot.postmortem.rules import ActionKind, ActionState
from bot.postmortem.schemas import (
    ActionAddArgs,
    ActionItemFacts,
    AlertSummary,
    ChangeFacts,
    CommsEntry,
    ContainmentEntry,
    EvalRunFacts,
    FixValidationFacts,
    IncidentTimes,
    OutputSample,
    PostmortemFacts,
    TimelineEntry,
)
from bot.slack import followup_args
from bot.vocabulary import EventKind, IncidentType, Role, Severity, Status

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- statistics --------------------------------------------------------------------------------
# Reference values computed offline with SciPy 1.x:
#   z, p = (pb - pa) / sqrt(pool * (1 - pool) * (1/nb + 1/na)), scipy.stats.norm.sf(z)
#   exact p = scipy.stats.fisher_exact([[fb, nb - fb], [fa, na - fa]], alternative="greater")
#   n = ceil((norm.ppf(1 - a) * sqrt(2 pm (1 - pm)) + norm.ppf(0.8) * sqrt(pb qb + pa qa))**2
#            / (pb - pa)**2),  pm = (pb + pa) / 2


@pytest.mark.parametrize(
    ("counts", "z", "p_value", "min_n", "significant"),
    [
        ((20, 100, 8, 100), 2.4454174378176674, 0.007234228552558809, 103, True),
        ((12, 100, 10, 100), 0.45198461470556844, 0.32564003305208766, 3026, False),
        ((30, 200, 18, 200), 1.846372364689991, 0.032419078496033225, 362, True),
        ((50, 1000, 35, 1000), 1.6626942882304816, 0.04818682306803634, 2236, True),
    ],
)
def test_z_test_matches_scipy(
    counts: tuple[int, int, int, int], z: float, p_value: float, min_n: int, significant: bool
) -> None:
    result = stats.two_proportion_test(*counts)

    assert not result.exact
    assert result.z == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(p_value, rel=1e-6)
    assert result.min_sample_per_group == min_n
    assert result.significant is significant


@pytest.mark.parametrize(
    ("counts", "p_value", "significant"),
    [
        ((3, 3, 0, 3), 0.05000000000000001, False),  # p == alpha exactly: not below it
        ((4, 10, 1, 10), 0.15170278637770895, False),
        ((2, 100, 0, 100), 0.24874371859296482, False),
        ((5, 10, 0, 10), 0.016253869969040248, True),
    ],
)
def test_tiny_samples_use_fishers_exact_test(
    counts: tuple[int, int, int, int], p_value: float, significant: bool
) -> None:
    result = stats.two_proportion_test(*counts)

    assert result.exact
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.significant is significant


def test_min_sample_for_a_certain_drop() -> None:
    # (1.0 → 0.0): ((1.6449 * sqrt(0.5)) ** 2) / 1 = 1.3528 → 2
    assert stats.min_sample_per_group(1.0, 0.0) == 2
    assert stats.min_sample_per_group(0.2, 0.08, alpha=0.05) == 103
    assert stats.min_sample_per_group(0.1, 0.1) is None


@pytest.mark.parametrize(
    "counts", [(0, 0, 0, 10), (5, 10, 0, 0), (0, 100, 0, 100), (100, 100, 100, 100)]
)
def test_no_evidence_gives_p_one(counts: tuple[int, int, int, int]) -> None:
    result = stats.two_proportion_test(*counts)

    assert result.p_value == 1.0
    assert not result.significant
    assert result.min_sample_per_group is None


@pytest.mark.parametrize(
    "counts", [(-1, 10, 0, 10), (11, 10, 0, 10), (0, 10, 3, 2), (0, -1, 0, 10)]
)
def test_impossible_counts_are_rejected(counts: tuple[int, int, int, int]) -> None:
    with pytest.raises(BadInput):
        stats.two_proportion_test(*counts)


def test_alpha_changes_the_verdict() -> None:
    assert stats.two_proportion_test(30, 200, 18, 200).significant
    assert not stats.two_proportion_test(30, 200, 18, 200, alpha=0.01).significant


def test_explain_significant() -> None:
    text = stats.explain(stats.two_proportion_test(20, 100, 8, 100))

    assert text == "8/100 failures after vs 20/100 before, p = 0.0072: improvement is significant"


def test_explain_not_significant_says_how_many_samples_are_needed() -> None:
    text = stats.explain(stats.two_proportion_test(12, 100, 10, 100))

    assert text == (
        "10/100 failures after vs 12/100 before, p = 0.33: not significant — "
        "about 3,100 samples per side would be needed to show a drop this size"
    )


def test_explain_other_outcomes() -> None:
    worse = stats.explain(stats.two_proportion_test(8, 100, 20, 100))
    empty = stats.explain(stats.two_proportion_test(0, 0, 1, 10))
    exact = stats.explain(stats.two_proportion_test(5, 10, 0, 10))

    assert worse == "20/100 failures after vs 8/100 before: the failure rate did not go down"
    assert "cannot be validated" in empty
    assert exact == "0/10 failures after vs 5/10 before, p = 0.016 (exact test): " + (
        "improvement is significant"
    )


@pytest.mark.parametrize(
    ("p_value", "text"), [(0.0004, "p < 0.001"), (0.015, "p = 0.015"), (0.2134, "p = 0.21")]
)
def test_format_p(p_value: float, text: str) -> None:
    assert stats.format_p(p_value) == text


def counts() -> st.SearchStrategy[tuple[int, int]]:
    return st.integers(0, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(counts(), counts())
def test_p_value_is_a_probability(before: tuple[int, int], after: tuple[int, int]) -> None:
    result = stats.two_proportion_test(*before, *after)

    assert 0.0 <= result.p_value <= 1.0
    if result.significant:
        assert result.improved
        assert result.p_value < result.alpha


@given(counts(), counts())
def test_swapping_groups_mirrors_the_z_test(
    before: tuple[int, int], after: tuple[int, int]
) -> None:
    forward = stats.two_proportion_test(*before, *after)
    backward = stats.two_proportion_test(*after, *before)

    assert forward.z == pytest.approx(-backward.z)
    if not forward.exact and forward.z:
        assert forward.p_value + backward.p_value == pytest.approx(1.0)


@given(counts())
def test_identical_groups_are_never_significant(group: tuple[int, int]) -> None:
    result = stats.two_proportion_test(*group, *group)

    assert not result.significant
    assert result.p_value >= 0.5


@given(counts(), counts())
def test_more_failures_after_is_never_significant(
    before: tuple[int, int], after: tuple[int, int]
) -> None:
    (fail_before, n_before), (fail_after, n_after) = before, after
    if fail_after * n_before < fail_before * n_after:
        before, after = after, before  # make the after-rate the higher one
    result = stats.two_proportion_test(*before, *after)

    assert not result.significant
    assert result.min_sample_per_group is None


@pytest.mark.parametrize(
    ("incident_type", "severity", "required"),
    [
        (IncidentType.QUALITY_REGRESSION, Severity.P3, True),
        (IncidentType.HALLUCINATION, Severity.P1, True),
        (IncidentType.SAFETY_VIOLATION, Severity.P3, True),
        (IncidentType.PROMPT_INJECTION, Severity.P2, True),
        (IncidentType.RETRIEVAL_CONTEXT, Severity.P3, True),
        (IncidentType.DISTRIBUTION_SHIFT, Severity.P3, True),
        (IncidentType.AVAILABILITY_LATENCY, Severity.P3, False),
        (IncidentType.PIPELINE_INFRASTRUCTURE, Severity.P3, False),
        (IncidentType.AVAILABILITY_LATENCY, Severity.P1, True),
    ],
)
def test_validation_required_defaults(
    incident_type: IncidentType, severity: Severity, required: bool
) -> None:
    assert stats.validation_required(incident_type, severity, None) is required


def test_validation_policy_overrides_defaults() -> None:
    policy: dict[str, bool | list[str] | str] = {
        "availability_latency": ["P1"],
        "hallucination": False,
        "distribution_shift": "P1",
    }

    assert not stats.validation_required(IncidentType.AVAILABILITY_LATENCY, Severity.P2, policy)
    assert not stats.validation_required(IncidentType.HALLUCINATION, Severity.P1, policy)
    assert stats.validation_required(IncidentType.DISTRIBUTION_SHIFT, Severity.P1, policy)
    assert not stats.validation_required(IncidentType.DISTRIBUTION_SHIFT, Severity.P2, policy)
    assert stats.validation_required(IncidentType.QUALITY_REGRESSION, Severity.P3, policy)


# --- durations ---------------------------------------------------------------------------------


def test_durations_from_timestamps() -> None:
    measured = durations.durations(
        first_signal_at=utc(2026, 3, 4, 9, 20),
        declared_at=utc(2026, 3, 4, 10, 0),
        acknowledged_at=utc(2026, 3, 4, 10, 3),
        contained_at=utc(2026, 3, 4, 10, 45),
        resolved_at=None,
    )

    assert measured == durations.Durations(
        detect=timedelta(minutes=40),
        acknowledge=timedelta(minutes=3),
        contain=timedelta(minutes=45),
        resolve=None,
    )


def test_signal_after_declaration_counts_as_zero_detection_time() -> None:
    measured = durations.durations(utc(2026, 3, 4, 10, 5), utc(2026, 3, 4, 10), None, None, None)

    assert measured.detect == timedelta(0)
    assert measured.acknowledge is None


def test_summarize_durations_per_type_and_severity() -> None:
    def minutes(detect: int | None, resolve: int | None = None) -> durations.Durations:
        resolved = None if resolve is None else timedelta(minutes=resolve)
        detected = None if detect is None else timedelta(minutes=detect)
        return durations.Durations(detected, None, None, resolved)

    rows = [
        (IncidentType.HALLUCINATION, Severity.P2, minutes(10, 120)),
        (IncidentType.HALLUCINATION, Severity.P2, minutes(40)),
        (IncidentType.HALLUCINATION, Severity.P2, minutes(20, 60)),
        (IncidentType.AVAILABILITY_LATENCY, Severity.P1, minutes(None, 30)),
    ]

    summary = durations.summarize_durations(rows)

    assert list(summary) == [
        (IncidentType.AVAILABILITY_LATENCY, Severity.P1),
        (IncidentType.HALLUCINATION, Severity.P2),
    ]
    hallucination = summary[(IncidentType.HALLUCINATION, Severity.P2)]
    assert hallucination.count == 3
    # detect 10, 20, 40 min: median 20, p90 at rank 1.8 → 20 + 0.8 * 20 = 36 (numpy 'linear')
    assert hallucination.detect == durations.MeasureStats(
        3, timedelta(minutes=20), timedelta(minutes=36)
    )
    # resolve 60, 120 min: median 90, p90 at rank 0.9 → 60 + 0.9 * 60 = 114
    assert hallucination.resolve == durations.MeasureStats(
        2, timedelta(minutes=90), timedelta(minutes=114)
    )
    assert hallucination.acknowledge is None
    latency = summary[(IncidentType.AVAILABILITY_LATENCY, Severity.P1)]
    assert latency.detect is None
    assert latency.resolve == durations.MeasureStats(
        1, timedelta(minutes=30), timedelta(minutes=30)
    )


# --- action items ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        (Severity.P1, date(2026, 3, 11)),
        (Severity.P2, date(2026, 3, 18)),
        (Severity.P3, date(2026, 4, 3)),
    ],
)
def test_default_due_by_severity(severity: Severity, due: date) -> None:
    assert rules.default_due(severity, date(2026, 3, 4), None) == due


def test_default_due_policy_overrides_one_severity() -> None:
    policy = {"P2": 10}

    assert rules.default_due(Severity.P2, date(2026, 3, 4), policy) == date(2026, 3, 14)
    assert rules.default_due(Severity.P1, date(2026, 3, 4), policy) == date(2026, 3, 11)


@pytest.mark.parametrize(
    ("due", "tz", "expected"),
    [
        # New York springs forward on 2026-03-08: 09:00 EST is 14:00 UTC, 09:00 EDT is 13:00 UTC.
        (date(2026, 3, 9), NEW_YORK, utc(2026, 3, 7, 14)),
        (date(2026, 3, 10), NEW_YORK, utc(2026, 3, 8, 13)),
        # Berlin springs forward on 2026-03-29 and falls back on 2026-10-25.
        (date(2026, 3, 30), "Europe/Berlin", utc(2026, 3, 28, 8)),
        (date(2026, 3, 31), "Europe/Berlin", utc(2026, 3, 29, 7)),
        (date(2026, 10, 27), "Europe/Berlin", utc(2026, 10, 25, 8)),
    ],
)
def test_reminder_is_nine_local_two_days_before(
    due: date, tz: ZoneInfo | str, expected: datetime
) -> None:
    at = rules.reminder_at(due, tz)

    assert at == expected
    assert at.tzinfo is UTC


def test_unknown_time_zone_is_bad_input() -> None:
    with pytest.raises(BadInput):
        rules.reminder_at(date(2026, 3, 9), "Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("state", "due", "overdue"),
    [
        (ActionState.OPEN, date(2026, 3, 3), True),
        (ActionState.IN_PROGRESS, date(2026, 3, 3), True),
        (ActionState.OPEN, date(2026, 3, 4), False),
        (ActionState.DONE, date(2026, 3, 3), False),
        (ActionState.WONT_DO, date(2026, 3, 3), False),
    ],
)
def test_is_overdue(state: ActionState, due: date, overdue: bool) -> None:
    assert rules.is_overdue(state, due, date(2026, 3, 4)) is overdue


def item(
    kind: ActionKind = ActionKind.OTHER,
    owner: str = "ana",
    due: date = date(2026, 3, 10),
    state: ActionState = ActionState.OPEN,
    team: str | None = None,
    text: str = "do it",
) -> ActionItemFacts:
    return ActionItemFacts(kind=kind, text=text, owner=owner, due=due, state=state, team=team)


def test_publish_blockers_name_the_missing_kinds() -> None:
    assert rules.publish_blockers([]) == [
        "add at least one eval_case action item "
        "(an evaluation case that would have caught this output)",
        "add at least one detection action item (a monitor or alert that closes the detection gap)",
    ]


def test_publish_blockers_ignore_wont_do_items() -> None:
    items = [
        item(ActionKind.EVAL_CASE, state=ActionState.DONE),
        item(ActionKind.DETECTION, state=ActionState.WONT_DO),
    ]

    blockers = rules.publish_blockers(items)

    assert len(blockers) == 1
    assert blockers[0].startswith("add at least one detection action item")


def test_publish_blockers_with_custom_kinds() -> None:
    items = [item(ActionKind.EVAL_CASE), item(ActionKind.DETECTION)]

    assert rules.publish_blockers(items) == []
    assert rules.publish_blockers(items, required_kinds=[ActionKind.GUARDRAIL]) == [
        "add at least one guardrail action item"
    ]


@pytest.mark.parametrize(
    ("state", "to"),
    [
        (ActionState.OPEN, ActionState.IN_PROGRESS),
        (ActionState.OPEN, ActionState.DONE),
        (ActionState.IN_PROGRESS, ActionState.DONE),
        (ActionState.IN_PROGRESS, ActionState.OPEN),
        (ActionState.DONE, ActionState.OPEN),
        (ActionState.WONT_DO, ActionState.OPEN),
    ],
)
def test_allowed_action_transitions(state: ActionState, to: ActionState) -> None:
    assert rules.transition_action(state, to, None) is to


@pytest.mark.parametrize(
    ("state", "to"),
    [
        (ActionState.DONE, ActionState.IN_PROGRESS),
        (ActionState.DONE, ActionState.DONE),
        (ActionState.WONT_DO, ActionState.DONE),
        (ActionState.OPEN, ActionState.OPEN),
    ],
)
def test_rejected_action_transitions(state: ActionState, to: ActionState) -> None:
    with pytest.raises(InvalidTransition):
        rules.transition_action(state, to, "because")


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_wont_do_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(BadInput) as raised:
        rules.transition_action(ActionState.OPEN, ActionState.WONT_DO, reason)

    assert raised.value.field == "reason"


def test_wont_do_with_a_reason() -> None:
    to = rules.transition_action(ActionState.IN_PROGRESS, ActionState.WONT_DO, "feature removed")

    assert to is ActionState.WONT_DO


# --- follow-up timing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Friday → Monday 09:00 CEST (Berlin moved to summer time on Sunday 2026-03-29).
        (utc(2026, 3, 27, 12), utc(2026, 3, 30, 7)),
        # Monday 08:59 CET → the same morning.
        (utc(2026, 3, 23, 7, 59), utc(2026, 3, 23, 8)),
        # Exactly at digest time → next week, now in summer time.
        (utc(2026, 3, 23, 8), utc(2026, 3, 30, 7)),
        # Sunday 23:30 UTC is already Monday 00:30 in Berlin.
        (utc(2026, 3, 22, 23, 30), utc(2026, 3, 23, 8)),
        # Across the autumn change (2026-10-25): Monday 09:00 CET is 08:00 UTC again.
        (utc(2026, 10, 20, 12), utc(2026, 10, 26, 8)),
    ],
)
def test_next_digest_in_berlin(now: datetime, expected: datetime) -> None:
    at = next_digest(now, weekday=0, hour=9, tz=BERLIN)

    assert at == expected
    assert at.tzinfo is UTC


def test_next_digest_at_times_a_dst_change_skips_or_repeats() -> None:
    # 02:00 on 2026-03-08 does not exist in New York: it lands at 03:00 EDT (07:00 UTC).
    spring = next_digest(utc(2026, 3, 7), weekday=6, hour=2, tz="America/New_York")
    # 01:00 on 2026-11-01 happens twice: the first (EDT, 05:00 UTC) is used.
    autumn = next_digest(utc(2026, 10, 31), weekday=6, hour=1, tz="America/New_York")

    assert spring == utc(2026, 3, 8, 7)
    assert autumn == utc(2026, 11, 1, 5)


@pytest.mark.parametrize(("weekday", "hour"), [(7, 9), (-1, 9), (0, 24)])
def test_next_digest_rejects_bad_schedule(weekday: int, hour: int) -> None:
    with pytest.raises(BadInput):
        next_digest(utc(2026, 3, 4), weekday, hour, "UTC")


def test_next_digest_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        next_digest(datetime(2026, 3, 4), 0, 9, "UTC")


def test_digest_groups_by_team_then_owner() -> None:
    today = date(2026, 3, 10)
    items = [
        item(owner="zoe", team="search", due=date(2026, 3, 20), text="z later"),
        item(owner="ana", team="search", due=date(2026, 3, 12), text="a soon"),
        item(owner="ana", team="search", due=date(2026, 3, 1), text="a overdue"),
        item(owner="bo", team="Applied ML", due=date(2026, 3, 9), state=ActionState.IN_PROGRESS),
        item(owner="cy", team=None, due=date(2026, 3, 30), text="no team"),
        item(owner="ana", team="search", due=date(2026, 3, 1), state=ActionState.DONE),
        item(owner="ana", team="search", due=date(2026, 3, 1), state=ActionState.WONT_DO),
    ]

    digest = group_for_digest(items, today)

    assert [t.team for t in digest.teams] == ["Applied ML", "search", NO_TEAM]
    search = digest.teams[1]
    assert [o.owner for o in search.owners] == ["ana", "zoe"]
    assert [i.text for i in search.owners[0].overdue_items] == ["a overdue"]
    assert [i.text for i in search.owners[0].open_items] == ["a soon"]
    assert len(digest.teams[0].owners[0].overdue_items) == 1
    assert (digest.open_count, digest.overdue_count) == (5, 2)


def test_empty_digest() -> None:
    digest = group_for_digest([item(state=ActionState.DONE)], date(2026, 3, 10))

    assert digest.teams == ()
    assert digest.open_count == 0


# --- /incident action add ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '"Add refund-policy eval" <@U123ABC> due 2026-12-01 eval_case',
            ActionAddArgs(
                "Add refund-policy eval", "U123ABC", date(2026, 12, 1), ActionKind.EVAL_CASE
            ),
        ),
        (
            "“Alert on faithfulness < 0.8” <@U9|bo> detection",
            ActionAddArgs("Alert on faithfulness < 0.8", "U9", None, ActionKind.DETECTION),
        ),
        (
            '  "Runbook"  due 2026-01-02   <@W42>  RUNBOOK ',
            ActionAddArgs("Runbook", "W42", date(2026, 1, 2), ActionKind.RUNBOOK),
        ),
        (
            '"Block &lt;script&gt; &amp; \\"quotes\\"" <@U1>',
            ActionAddArgs('Block <script> & \\"quotes\\"', "U1", None, None),
        ),
        (
            '"Say "refund" right" <@U1>',
            ActionAddArgs('Say "refund" right', "U1", None, None),
        ),
    ],
)
def test_parse_action_add(text: str, expected: ActionAddArgs) -> None:
    assert followup_args.parse_action_add(text) == expected


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "text"),
        ("add a test <@U1>", "text"),
        ('"" <@U1>', "text"),
        ('"   " <@U1>', "text"),
        ('"open quote <@U1>', "text"),
        ('"text"', "owner"),
        ('"text" @bob', "owner"),
        ('"text" <@U1> <@U2>', "owner"),
        ('"text" <@U1> due', "due"),
        ('"text" <@U1> due 2026-13-01', "due"),
        ('"text" <@U1> due tomorrow', "due"),
        ('"text" <@U1> due 2026-1-2', "due"),
        ('"text" <@U1> banana', "options"),
        ('"text" <@U1> eval_case detection', "options"),
        ('"text" <@U1> due 2026-12-01 due 2026-12-02', "options"),
    ],
)
def test_parse_action_add_rejects_with_usage(text: str, field: str) -> None:
    with pytest.raises(BadInput) as raised:
        followup_args.parse_action_add(text)

    assert raised.value.field == field
    assert followup_args.USAGE_ACTION_ADD in str(raised.value)


# --- rendering ---------------------------------------------------------------------------------


@pytest.fixture
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def scripted_facts() -> PostmortemFacts:
    def at(hour: int, minute: int = 0) -> datetime:
        return utc(2026, 3, 4, hour, minute)

    test = stats.two_proportion_test(20, 100, 8, 100)
    return PostmortemFacts(
        number=42,
        title="Refund assistant invents a 90-day policy",
        incident_type=IncidentType.HALLUCINATION,
        severity=Severity.P2,
        feature="support-assistant",
        status=Status.RESOLVED,
        tz="Europe/Berlin",
        summary="The assistant told customers refunds were allowed for 90 days.",
        impact_scope="About 6% of refund conversations in the EU.",
        declared_by="Ana",
        times=IncidentTimes(
            declared_at=at(10),
            first_signal_at=at(9, 20),
            acknowledged_at=at(10, 4),
            contained_at=at(10, 45),
            resolved_at=at(14),
        ),
        roles={Role.COMMANDER: "Ana", Role.COMMS: "Bo", Role.ENGINEERING: "Carl"},
        timeline=(
            TimelineEntry(at(10, 45), "Carl", EventKind.CONTAINMENT, "Rolled prompt back to v12"),
            TimelineEntry(at(10), "Ana", EventKind.OPENED, "Declared | P2"),
        ),
        alerts=(
            AlertSummary(
                "langfuse", "faithfulness", "Faithfulness < 0.8", at(9, 20), at(11), 14, 3
            ),
            AlertSummary("datadog", "csat", "CSAT drop", at(9, 50), at(10, 30), 2, 1),
        ),
        changes=(
            ChangeFacts("prompt", "support-assistant", "v12", "v13", at(8, 55), "dee"),
            ChangeFacts("index", "refund-docs", None, "2026-03-04", at(7), None),
        ),
        evals=(EvalRunFacts("refund-policy", 92, 100, at(13, 30)),),
        validation=FixValidationFacts(required=True, explanation=stats.explain(test)),
        containment=(ContainmentEntry(at(10, 44), "Carl", "prompt rollback v13→v12", "ok"),),
        comms=(CommsEntry(at(11), "status_page", "statuspage.io", "Some answers about refunds…"),),
        action_items=(
            ActionItemFacts(
                ActionKind.EVAL_CASE, "Add 90-day refund eval", "Ana", date(2026, 3, 18)
            ),
            ActionItemFacts(
                ActionKind.DETECTION,
                "Page on faithfulness",
                "Carl",
                date(2026, 3, 18),
                ActionState.DONE,
            ),
        ),
        samples=(
            OutputSample(
                output="Refunds are accepted within 90 days.",
                expected="Refunds are accepted within 30 days.",
                prompt="Can I still return my order?",
            ),
        ),
    )


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n#", start + len(heading))
    return text[start : end if end != -1 else None]


def test_render_postmortem_answers_the_four_questions(env: SandboxedEnvironment) -> None:
    text = render_postmortem(env, scripted_facts())

    assert text.startswith("# Postmortem — INC-42: Refund assistant invents a 90-day policy\n")
    assert "Before publishing" not in text
    assert "2026-03-04 10:20 CET – 2026-03-04 11:45 CET (1 h 25 min)" in text
    q1 = section(text, "### 1.")
    assert "| Can I still return my order? | Refunds are accepted within 90 days. |" in q1
    q2 = section(text, "### 2.")
    assert "| 2026-03-04 09:55 CET | prompt | support-assistant | v12 → v13 | dee |" in q2
    assert "| 2026-03-04 08:00 CET | index | refund-docs | ? → 2026-03-04 | — |" in q2
    assert "No change recorded for: model, data, traffic, provider." in q2
    q3 = section(text, "### 3.")
    assert "Looks systematic: 16 alerts from 2 monitors across 4 distinct dedupe keys." in q3
    assert "| refund-policy | 92/100 | 92.0% | 2026-03-04 14:30 CET |" in q3
    q4 = section(text, "### 4.")
    assert "Time to detect: 40 min from the first signal (2026-03-04 10:20 CET)" in q4
    assert "First monitor to fire: faithfulness (langfuse)" in q4


def test_render_postmortem_logs_and_durations(env: SandboxedEnvironment) -> None:
    text = render_postmortem(env, scripted_facts())

    timeline = section(text, "## Timeline")
    assert timeline.index("Declared \\| P2") < timeline.index("Rolled prompt back")
    assert "| commander | Ana |" in section(text, "## Roles")
    assert "| 2026-03-04 11:44 CET | Carl | prompt rollback v13→v12 | ok |" in text
    assert "| 2026-03-04 12:00 CET | status_page | statuspage.io |" in text
    assert "p = 0.0072: improvement is significant" in section(text, "## Fix validation")
    durations = section(text, "## Durations")
    assert "| Time to detect (TTD) | first signal → declared | 40 min |" in durations
    assert "| Time to acknowledge (TTA) | declared → commander | 4 min |" in durations
    assert "| Time to contain (TTC) | declared → contained | 45 min |" in durations
    assert "| Time to resolve (TTR) | declared → resolved | 4 h 00 min |" in durations


def test_render_postmortem_action_table(env: SandboxedEnvironment) -> None:
    actions = section(render_postmortem(env, scripted_facts()), "## Action items")

    assert actions.splitlines()[2:] == [
        "| Kind | Action | Owner | Due | State |",
        "|---|---|---|---|---|",
        "| eval_case | Add 90-day refund eval | Ana | 2026-03-18 | open |",
        "| detection | Page on faithfulness | Carl | 2026-03-18 | done |",
    ]


def test_render_bare_postmortem_shows_gaps(env: SandboxedEnvironment) -> None:
    facts = PostmortemFacts(
        number=7,
        title="Unsafe answer",
        incident_type=IncidentType.SAFETY_VIOLATION,
        severity=Severity.P1,
        feature="chat",
        status=Status.INVESTIGATING,
        times=IncidentTimes(declared_at=utc(2026, 7, 1, 12)),
        validation=FixValidationFacts(
            required=True, override_reason="kill switch", overridden_by="Ana"
        ),
    )

    text = render_postmortem(env, facts)

    assert "> - add at least one eval_case action item" in text
    assert "2026-07-01 12:00 UTC – ongoing" in text
    assert "No monitor fired" in text
    assert "| safety | unassigned |" in text
    assert "Validation overridden by Ana: kill switch" in text
    assert "| Time to resolve (TTR) | declared → resolved | — |" in text
    assert "\n\n\n" not in text


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=40), "40 s"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=1, minutes=5), "1 h 05 min"),
        (timedelta(days=2, hours=3, minutes=10), "2 d 3 h"),
        (None, "—"),
    ],
)
def test_human_duration(span: timedelta | None, text: str) -> None:
    assert human_duration(span) == text


# --- who may change an action item --------------------------------------------------------------


def test_item_change_rule_names_who_may() -> None:
    from bot.errors import Forbidden
    from bot.postmortem.permissions import ItemPeople, may_change, require_change
    from bot.vocabulary import ItemEditor as E

    people = ItemPeople(
        owner="U_BOB",
        team="Search",
        team_members=("U_BOB", "U_ANA"),
        managers=("U_MGR",),
        commander="U_CMD",
    )
    default = [E.OWNER, E.MANAGER]
    assert may_change(default, people, "U_BOB") and may_change(default, people, "U_MGR")
    assert not may_change(default, people, "U_ANA") and not may_change(default, people, "U_CMD")
    assert may_change([E.TEAM], people, "U_ANA") and may_change([E.COMMANDER], people, "U_CMD")
    assert may_change([], people, "U_ANYONE")  # [] means anyone, as in `permissions`
    assert not may_change([E.TEAM], ItemPeople(owner="U_BOB"), "U_ANA")
    with pytest.raises(Forbidden) as refused:
        require_change(list(E), people, "U_EVE", 7)
    assert str(refused.value) == (
        "Only its owner (<@U_BOB>) or a member of team Search or a manager "
        "or the incident's commander (<@U_CMD>) may change action item #7."
    )
    with pytest.raises(Forbidden, match=r"a manager \(none are configured\)"):
        require_change(default, ItemPeople(owner="U_BOB"), "U_EVE", 1)
