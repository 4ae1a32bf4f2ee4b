"""Fix validation: the failure window, the two-proportion test in words, resolve and override."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Config
from bot.errors import BadInput
from bot.evals.validation import (
    EvalSample,
    Phase,
    Verdict,
    assess,
    compare,
    phase,
    window_of,
)
from bot.sandbox.stage import Stage
from bot.slack import followup_args
from tests.support.followup import (
    contain,
    events,
    incident,
    open_incident,
    post_eval,
    replies,
    said,
    start_clock,
    texts,
)

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def run(run_id: int, passed: int, total: int, minutes: float, **kw: object) -> EvalSample:
    return EvalSample(
        run_id,
        str(kw.get("suite", "refunds")),
        passed,
        total,
        T0 + timedelta(minutes=minutes),
        linked=bool(kw.get("linked", False)),
    )


WINDOW = window_of(
    declared_at=T0 + timedelta(minutes=5),
    first_signal_at=T0,
    contained_at=T0 + timedelta(minutes=60),
)


# --- the pure rules, against values computed with SciPy (see test_postmortem_rules) ------------


def test_phases_of_runs() -> None:
    assert WINDOW.start == T0  # the first signal came before the declaration
    assert phase(run(1, 90, 100, -10), WINDOW) is Phase.BEFORE
    assert phase(run(2, 90, 100, -10, linked=True), WINDOW) is Phase.FAILURE_WINDOW
    assert phase(run(3, 80, 100, 30), WINDOW) is Phase.FAILURE_WINDOW
    assert phase(run(4, 95, 100, 60), WINDOW) is Phase.AFTER


def test_significant_drop_is_explained_in_plain_words() -> None:
    found = assess([run(1, 80, 100, 30), run(2, 92, 100, 90)], WINDOW, required=True)

    assert found.verdict is Verdict.PASSED and not found.blocks_resolve
    test = found.comparison.test if found.comparison else None
    assert test is not None and test.p_value == pytest.approx(0.007234228552558809)
    assert found.explanation == (
        "Suite `refunds`: 8/100 failures after vs 20/100 before, p = 0.0072: improvement is "
        "significant (failure window: 1 run); about 103 samples per side would have been enough "
        "to show a drop this size"
    )


def test_failure_window_runs_are_pooled_per_suite() -> None:
    runs = [
        run(1, 40, 50, 10),
        run(2, 40, 50, 20),
        run(3, 0, 100, 30, suite="other"),
        run(4, 92, 100, 90),
    ]
    comparison = compare(runs, WINDOW)

    assert comparison is not None and comparison.baseline_runs == 2
    t = comparison.test
    assert (t.fail_before, t.n_before, t.fail_after, t.n_after) == (20, 100, 8, 100)


def test_not_significant_says_how_many_samples_were_needed() -> None:
    found = assess([run(1, 88, 100, 30), run(2, 90, 100, 90)], WINDOW, required=True)

    assert found.verdict is Verdict.NOT_SIGNIFICANT and found.blocks_resolve
    assert "10/100 failures after vs 12/100 before, p = 0.33" in found.explanation
    assert "about 3,100 samples per side would be needed" in found.explanation


def test_the_newest_run_after_containment_decides() -> None:
    runs = [run(1, 80, 100, 30), run(2, 99, 100, 70), run(3, 81, 100, 80)]
    found = assess(runs, WINDOW, required=True)

    assert found.comparison is not None and found.comparison.after.run_id == 3
    assert found.verdict is Verdict.NOT_SIGNIFICANT


@pytest.mark.parametrize(
    ("runs", "contained", "verdict", "words"),
    [
        ([run(1, 80, 100, 30)], True, Verdict.NO_AFTER_RUN, "No eval run for `support`"),
        ([run(1, 95, 100, 90)], True, Verdict.NO_BASELINE, "no run of the same suite"),
        ([run(1, 80, 100, 30)], False, Verdict.NOT_CONTAINED, "never marked contained"),
    ],
)
def test_missing_evidence_says_what_to_post(
    runs: list[EvalSample], contained: bool, verdict: Verdict, words: str
) -> None:
    window = WINDOW if contained else window_of(T0, None, None)
    found = assess(runs, window, required=True, feature="support")

    assert found.verdict is verdict and found.blocks_resolve
    assert words in found.explanation


def test_not_required_never_blocks() -> None:
    assert not assess([], WINDOW, required=False).blocks_resolve


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", followup_args.ResolveArgs()),
        ("rolled back v12", followup_args.ResolveArgs(note="rolled back v12")),
        ("--override eval suite is down", followup_args.ResolveArgs(override="eval suite is down")),
        ("--OVERRIDE a &lt;b&gt;", followup_args.ResolveArgs(override="a <b>")),
    ],
)
def test_parse_resolve(text: str, expected: followup_args.ResolveArgs) -> None:
    assert followup_args.parse_resolve(text) == expected


@pytest.mark.parametrize("text", ["--override", "--override   ", "fixed --override because"])
def test_parse_resolve_refuses_override_without_reason(text: str) -> None:
    with pytest.raises(BadInput, match="override"):
        followup_args.parse_resolve(text)


# --- through Slack and HTTP --------------------------------------------------------------------


async def test_eval_runs_are_shown_and_a_significant_one_lets_the_commander_resolve(
    stage: Stage,
) -> None:
    clock = start_clock(stage)
    channel = await open_incident(stage)  # hallucination P2: validation required by default
    clock.advance(minutes=5)
    assert (await post_eval(stage, 80, 100)).status_code == 201
    await stage.settle()
    assert "80/100 passed (20 failures, 20.0%) — failure window" in said(stage, channel, "80/100")

    clock.advance(minutes=10)
    await contain(stage, channel)
    clock.advance(minutes=20)
    await post_eval(stage, 92, 100)
    await stage.settle()
    notice = said(stage, channel, "92/100 passed")
    assert "92/100 passed (8 failures, 8.0%) — after containment" in notice
    assert "8/100 failures after vs 20/100 before, p = 0.0072: improvement is significant" in notice

    clock.advance(minutes=1)
    await stage.command("resolve refunds correct again", user="U_ALICE", channel=channel)
    await stage.settle()
    row = await incident(stage)
    assert row.status == "resolved" and row.resolve_reason is None
    shown = said(stage, channel, "→ *resolved* by <@U_ALICE>: refunds correct again")
    assert "p = 0.0072" in shown and "about 103 samples per side" in shown
    [decided] = [e for e in await events(stage, "eval") if "validation" in e.data]
    assert decided.data["validation"]["verdict"] == "passed"
    assert decided.data["validation"]["counts"] == [20, 100, 8, 100]


async def test_resolve_is_refused_without_evidence_until_overridden(stage: Stage) -> None:
    clock = start_clock(stage)
    channel = await open_incident(stage)
    clock.advance(minutes=10)
    await contain(stage, channel)
    clock.advance(minutes=10)
    await post_eval(stage, 90, 100)  # after containment, but nothing to compare it with
    await stage.settle()

    answered = await stage.command("resolve", user="U_ALICE", channel=channel)
    assert answered.status_code == 200  # acked in time, the refusal follows as a reply
    await stage.settle()
    refusal = replies(stage)[-1]
    assert "Fix validation is required for Hallucination at P2" in refusal
    assert "no run of the same suite in the failure window" in refusal
    assert "`/incident resolve --override <reason>`" in refusal
    assert (await incident(stage)).status == "contained"

    usage = await stage.command("resolve --override", user="U_ALICE", channel=channel)
    assert "say why the fix can't be validated" in usage.json()["text"]

    reason = "eval suite lacks refund cases; 40 answers checked by hand"
    await stage.command(f"resolve --override {reason}", user="U_ALICE", channel=channel)
    await stage.settle()
    row = await incident(stage)
    assert row.status == "resolved" and row.resolve_reason == reason
    assert said(stage, channel, f"overridden by <@U_ALICE>: {reason}")
    [decided] = [e for e in await events(stage, "eval") if "validation" in e.data]
    assert decided.text.startswith(f"Fix validation overridden: {reason}")
    assert decided.data["validation"]["overridden_by"] == "U_ALICE"
    [status] = [e for e in await events(stage, "status") if e.data["to"] == "resolved"]
    assert reason in status.text


async def test_linked_baseline_run_and_other_features(stage: Stage) -> None:
    clock = start_clock(stage)
    channel = await open_incident(stage)
    number = (await incident(stage)).number
    clock.advance(minutes=10)
    await contain(stage, channel)
    clock.advance(minutes=10)
    # A baseline measured before the incident, linked explicitly, counts as the failure window.
    before = clock.now - timedelta(hours=3)
    await post_eval(stage, 70, 100, at=before, incident=number)
    await post_eval(stage, 95, 100)
    other = await stage.http.post(
        "/evals",
        json={"suite": "x", "feature": "search", "passed": 1, "total": 2},
        headers={"Authorization": "Bearer test-webhook-token"},
    )
    assert other.status_code == 201
    await stage.settle()
    shown = [t for t in texts(stage, channel) if "Eval run" in t]
    assert len(shown) == 2 and not any("`x`" in t for t in shown)
    [after] = [t for t in shown if "after containment" in t]  # the two post in either order
    assert "5/100 failures after vs 30/100 before" in after
    await stage.command("resolve", user="U_ALICE", channel=channel)
    await stage.settle()
    assert (await incident(stage)).status == "resolved"


class TestPolicy:
    @pytest.fixture
    def config(self) -> Config:
        return Config.model_validate(
            {"followup": {"validation_required": {"hallucination": ["P1"]}}}
        )

    async def test_config_decides_per_type_and_severity(self, stage: Stage) -> None:
        channel = await open_incident(stage, severity="P2")
        await stage.command("resolve", user="U_ALICE", channel=channel)
        await stage.settle()
        assert (await incident(stage)).status == "resolved"
        [decided] = [e for e in await events(stage, "eval") if "validation" in e.data]
        assert decided.data["validation"]["required"] is False
        assert decided.text.startswith("Fix validation not required")

        channel = await open_incident(stage, severity="P1")
        await stage.command("resolve", user="U_ALICE", channel=channel)
        await stage.settle()
        assert (await incident(stage)).status == "triage"
        assert "required for Hallucination at P1" in replies(stage)[-1]
