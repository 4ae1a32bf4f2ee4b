"""The control-chart detectors and the chart's data, as pure functions with plain values."""

from __future__ import annotations

import json
import random
import struct
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bot.config import Config
from bot.containment import eval_runner
from bot.signals import alerting, charting, render, rules
from bot.signals.schemas import Baseline, Direction, Method, Shewhart, Signals, Watch
from bot.templating import make_environment

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
LOWER = Watch(direction=Direction.LOWER_IS_BAD, baseline=Baseline(points=50, min_points=20))


def feed(state: rules.State, watch: Watch, values: list[float], n: int = 0) -> list[rules.Verdict]:
    return [rules.observe(state, rules.Point(float(i), x, n), watch) for i, x in enumerate(values)]


def steady(count: int, mean: float = 0.83, sigma: float = 0.02, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean, sigma) for _ in range(count)]


def test_nothing_is_scored_until_the_baseline_has_its_minimum() -> None:
    state = rules.State()
    verdicts = feed(state, LOWER, steady(25))
    assert [v.scored for v in verdicts] == [False] * 20 + [True] * 5
    stats = rules.baseline_stats(state, rate=False)
    assert stats is not None and abs(stats.mean - 0.83) < 0.02 and 0.01 < stats.sigma < 0.03


def test_ewma_catches_a_two_sigma_drop_and_recovers_when_it_returns() -> None:
    state = rules.State()
    feed(state, LOWER, steady(60))
    shifted = feed(state, LOWER, steady(10, mean=0.79, seed=2))
    first = next(i for i, v in enumerate(shifted) if v.out)
    assert first < 6 and state.alarmed and state.episode == 1
    assert shifted[first].statistic < -shifted[first].limit
    assert state.crossings[0][1] == shifted[first].point.x
    back = feed(state, LOWER, steady(30, seed=3))
    assert not state.alarmed and not back[-1].out


def test_a_rise_is_ignored_when_only_lower_is_bad() -> None:
    state = rules.State()
    feed(state, LOWER, steady(60))
    assert not any(v.out for v in feed(state, LOWER, steady(20, mean=0.90, seed=2)))
    both = LOWER.model_copy(update={"direction": Direction.BOTH})
    state = rules.State()
    feed(state, both, steady(60))
    assert any(v.out for v in feed(state, both, steady(20, mean=0.90, seed=2)))


def test_rates_use_the_binomial_sigma_of_each_points_trials() -> None:
    state = rules.State()
    rng = random.Random(4)
    for i in range(60):
        n = rng.randint(100, 400)
        state_point = rules.Point(float(i), sum(rng.random() < 0.9 for _ in range(n)) / n, n)
        rules.observe(state, state_point, LOWER)
    stats = rules.baseline_stats(state, rate=True)
    assert stats is not None and abs(stats.mean - 0.9) < 0.01
    assert abs(stats.sigma - (0.9 * 0.1) ** 0.5) < 0.01
    small = rules.observe(rules.State.from_json(state.to_json()), rules.Point(61, 0.85, 20), LOWER)
    large = rules.observe(
        rules.State.from_json(state.to_json()), rules.Point(61, 0.85, 2000), LOWER
    )
    assert large.z < 3 * small.z  # the same 0.85 is far stronger evidence from 2,000 trials
    assert abs(small.z - (0.85 - stats.mean) / (stats.sigma / 20**0.5)) < 1e-9


def test_points_during_an_incident_and_before_an_alarm_stay_out_of_the_baseline() -> None:
    state = rules.State()
    feed(state, LOWER, steady(60))
    count = len(state.baseline)
    for i in range(5):
        rules.observe(state, rules.Point(100 + i, 0.83, 0), LOWER, frozen=True)
    assert len(state.baseline) == count
    assert len(state.guard) == LOWER.baseline.guard_points  # the newest points wait
    feed(state, LOWER, [0.70] * 3)
    assert state.alarmed and len(state.guard) == 0  # what led up to the alarm never joins


def test_the_state_survives_storing_exactly() -> None:
    state = rules.State()
    feed(state, LOWER, steady(70))
    again = rules.State.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state and len(again.baseline) == 50 and len(again.guard) == 10
    assert len(json.dumps(state.to_json())) < 2500  # packed: 60 points in about 2 KB


def test_days_window_drops_old_points() -> None:
    watch = Watch(baseline=Baseline(days=1, min_points=5, guard_points=0))
    state = rules.State()
    for hour in range(48):
        rules.observe(state, rules.Point(hour * 3600.0, 0.8 + (hour % 2) * 0.01), watch)
    assert len(state.baseline) == 25 and state.baseline.t[0] == 23 * 3600.0


def test_cusum_and_western_electric_rules() -> None:
    cusum = LOWER.model_copy(update={"method": Method.CUSUM})
    state = rules.State()
    feed(state, cusum, steady(60))
    assert any(v.out for v in feed(state, cusum, steady(10, mean=0.79, seed=5)))

    we2 = LOWER.model_copy(update={"method": Method.SHEWHART, "shewhart": Shewhart(rules=[2])})
    state = rules.State(sum_x=0.0, sum_x2=20.0)  # mean 0: twenty points of -1 and +1
    for i in range(20):
        state.baseline.append(rules.Point(float(i), (-1.0) ** i))
    sigma = rules.baseline_stats(state, rate=False).sigma  # type: ignore[union-attr]
    verdicts = [
        rules.observe(state, rules.Point(100 + i, x * sigma, 0), we2, frozen=True)
        for i, x in enumerate([-2.5, 0.5, -2.5])
    ]
    assert [v.out for v in verdicts] == [False, False, True] and verdicts[-1].rule == "WE2"


def test_chart_data_replays_the_detector_against_the_alerts_baseline() -> None:
    watch = LOWER
    samples = [charting.Sample(T0 + timedelta(minutes=i), 0.83) for i in range(10)]
    samples += [charting.Sample(T0 + timedelta(minutes=10 + i), 0.75) for i in range(5)]
    samples.append(charting.Sample(T0 + timedelta(minutes=16), 0.9, n=200, eval_run=True))
    markers = [
        charting.Marker(T0 + timedelta(minutes=12), "incident opened", "opened"),
        charting.Marker(
            T0 + timedelta(minutes=9), charting.change_label("prompt", "v12", None), "change"
        ),
    ]
    chart = charting.build(
        title="Groundedness",
        signal="groundedness",
        feature="support",
        watch=watch,
        baseline=charting.Baseline(0.83, 0.02, rate=False),
        samples=list(reversed(samples)),
        markers=markers,
    )
    assert [p.at for p in chart.points] == sorted(s.at for s in samples)
    assert [m.label for m in chart.markers] == ["prompt v12", "incident opened"]
    assert chart.points[0].lower == 0.83 - 3 * 0.02 and chart.points[0].upper == 0.83 + 3 * 0.02
    assert not any(p.crossed for p in chart.points[:10])
    # z = -4 at each dropped point: the EWMA is -1.0 after one (inside 3.1·√(0.25/1.75) ≈ 1.17)
    # and -1.75 after two, so the second dropped point is the first crossing.
    assert abs(chart.points[10].statistic + 1.0) < 1e-9 and not chart.points[10].crossed
    assert chart.crossings[0].at == T0 + timedelta(minutes=11)
    assert all(p.statistic < -p.limit for p in chart.crossings)
    assert chart.points[-1].eval_run


def test_the_rendered_chart_is_a_png_of_1000_by_600() -> None:
    chart = charting.build(
        title="Groundedness",
        signal="groundedness",
        feature="support",
        watch=LOWER,
        baseline=charting.Baseline(0.83, 0.02, rate=False),
        samples=[
            charting.Sample(T0 + timedelta(minutes=i), 0.83 - (i > 20) * 0.05) for i in range(40)
        ],
        markers=[charting.Marker(T0 + timedelta(minutes=19), "model m-2", "change")],
    )
    content = render.png(chart)
    assert content[:8] == b"\x89PNG\r\n\x1a\n" and content[12:16] == b"IHDR"
    assert struct.unpack(">II", content[16:24]) == (1000, 600)


def test_bad_signal_and_eval_runner_config_is_refused_at_check() -> None:
    with pytest.raises(ValidationError, match="not both"):
        Config.model_validate(
            {"signals": {"watch": [{"name": "g", "baseline": {"points": 50, "days": 1}}]}}
        )
    with pytest.raises(ValidationError, match="lambda"):
        Config.model_validate({"signals": {"defaults": {"ewma": {"lambda": 1.5}}}})
    env = make_environment()
    no_url = Config.model_validate({"providers": {"evals": {"kind": "eval_runner"}}})
    assert eval_runner.problems(no_url, {}, env) == [
        "eval runner `evals`: url must be an http:// or https:// address"
    ]
    unset = Config.model_validate(
        {"providers": {"evals": {"kind": "eval_runner", "url": "https://e", "token_env": "TOK"}}}
    )
    assert eval_runner.problems(unset, {}, env) == [
        "eval runner: environment variable TOK is not set"
    ]
    assert eval_runner.problems(unset, {"TOK": "x"}, env) == []
    typo = Config.model_validate(
        {
            "providers": {
                "evals": {
                    "kind": "eval_runner",
                    "url": "https://e",
                    "options": {"body": "{{ sute }}"},
                }
            }
        }
    )
    [problem] = eval_runner.problems(typo, {}, env)
    assert "unknown sute" in problem


def test_signals_watch_settings_by_name_feature_and_eval_suites() -> None:
    signals = Signals.model_validate(
        {
            "defaults": {"direction": "both"},
            "watch": [
                {"name": "g", "feature": "a", "method": "cusum"},
                {"name": "g", "title": "Groundedness"},
            ],
        }
    )
    assert alerting.watch_for(signals, "g", "a").method is Method.CUSUM
    assert alerting.watch_for(signals, "g", "b").method is Method.EWMA
    assert alerting.title_of(signals, "g", "b") == "Groundedness"
    assert alerting.watch_for(signals, "other", "a").direction is Direction.BOTH
    suite = alerting.watch_for(signals, "eval.refunds.pass_rate", "a")
    assert suite.direction is Direction.LOWER_IS_BAD
