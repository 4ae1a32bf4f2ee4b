"""Fix validation: does an eval run after containment beat the failure-window rate?

Definitions (the bot and its users must mean the same thing):

- The *failure window* of an incident runs from its first signal — the first alert's start, or the
  declaration when that came first or no alert was attached — until the incident was contained.
- The *failure-window rate* of a suite is the pooled failure rate (failed / total, summed) of its
  eval runs in the failure window, together with the runs posted with `incident: <number>` that
  finished before containment, whenever they ran (so a baseline run can be linked explicitly).
- A run *after containment* is a run of the incident's feature (or one linked to the incident)
  that finished at or after `contained_at`.
- The newest run after containment whose suite has a failure-window rate decides: a one-sided
  two-proportion test (`stats.two_proportion_test`) must show its failure rate is lower. Only the
  newest counts, so a lucky earlier run cannot be picked over a worse later one.
- An incident never marked contained has no "after", so it cannot be validated; the commander can
  still resolve with an override reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.evals import stats


class Phase(StrEnum):
    BEFORE = "before the incident"
    FAILURE_WINDOW = "failure window"
    AFTER = "after containment"


class Verdict(StrEnum):
    PASSED = "passed"
    NOT_SIGNIFICANT = "not significant"
    NO_AFTER_RUN = "no run after containment"
    NO_BASELINE = "no failure-window run"
    NOT_CONTAINED = "not contained"


@dataclass(frozen=True)
class EvalSample:
    """One eval run as validation sees it."""

    run_id: int
    suite: str
    passed: int
    total: int
    at: datetime
    linked: bool = False  # posted with this incident's number

    @property
    def failed(self) -> int:
        """Return how many cases failed."""
        return self.total - self.passed


@dataclass(frozen=True)
class Window:
    """The failure window: first signal until containment (None while not contained)."""

    start: datetime
    contained_at: datetime | None


@dataclass(frozen=True)
class Comparison:
    """The newest run after containment against its suite's pooled failure-window runs."""

    suite: str
    after: EvalSample
    baseline_runs: int
    test: stats.ProportionTest


@dataclass(frozen=True)
class Assessment:
    """What validation found, in words, and whether it lets the incident resolve."""

    required: bool
    verdict: Verdict
    explanation: str
    comparison: Comparison | None = None

    @property
    def passed(self) -> bool:
        """Whether an eval run shows a significant improvement."""
        return self.verdict is Verdict.PASSED

    @property
    def blocks_resolve(self) -> bool:
        """Whether resolving needs an override."""
        return self.required and not self.passed


def window_of(
    declared_at: datetime, first_signal_at: datetime | None, contained_at: datetime | None
) -> Window:
    """Return the failure window: the earlier of first signal and declaration, to containment."""
    start = min(declared_at, first_signal_at) if first_signal_at else declared_at
    return Window(start, contained_at)


def phase(sample: EvalSample, window: Window) -> Phase:
    """Place a run before the incident, in its failure window, or after containment."""
    if window.contained_at is not None and sample.at >= window.contained_at:
        return Phase.AFTER
    if sample.linked or sample.at >= window.start:
        return Phase.FAILURE_WINDOW
    return Phase.BEFORE


def compare(
    samples: Iterable[EvalSample], window: Window, alpha: float = 0.05
) -> Comparison | None:
    """Compare the newest after-containment run that has a same-suite failure-window rate."""
    ordered = sorted(samples, key=lambda s: (s.at, s.run_id))
    during = [s for s in ordered if phase(s, window) is Phase.FAILURE_WINDOW]
    after = [s for s in ordered if phase(s, window) is Phase.AFTER]
    for run in reversed(after):
        baseline = [s for s in during if s.suite == run.suite]
        if baseline:
            return _comparison(run, baseline, alpha)
    return None


def _comparison(run: EvalSample, baseline: Sequence[EvalSample], alpha: float) -> Comparison:
    """Pool the baseline runs and test the run against them."""
    failed = sum(s.failed for s in baseline)
    total = sum(s.total for s in baseline)
    test = stats.two_proportion_test(failed, total, run.failed, run.total, alpha=alpha)
    return Comparison(run.suite, run, len(baseline), test)


def assess(
    samples: Sequence[EvalSample],
    window: Window,
    *,
    required: bool,
    alpha: float = 0.05,
    feature: str | None = None,
) -> Assessment:
    """Decide whether the eval runs validate the fix, and say why in plain words."""
    if window.contained_at is None:
        return Assessment(required, Verdict.NOT_CONTAINED, _NOT_CONTAINED)
    comparison = compare(samples, window, alpha)
    if comparison is not None:
        verdict = Verdict.PASSED if comparison.test.significant else Verdict.NOT_SIGNIFICANT
        return Assessment(required, verdict, explain_comparison(comparison), comparison)
    after = [s for s in samples if phase(s, window) is Phase.AFTER]
    if after:
        suites = ", ".join(sorted({f"`{s.suite}`" for s in after}))
        return Assessment(required, Verdict.NO_BASELINE, _no_baseline(suites))
    return Assessment(required, Verdict.NO_AFTER_RUN, _no_after(feature, window.contained_at))


def explain_comparison(comparison: Comparison) -> str:
    """Say what the comparison shows, with both sample sizes and the sample size needed."""
    test = comparison.test
    n = comparison.baseline_runs
    runs = "1 run" if n == 1 else f"{n} runs pooled"
    text = f"Suite `{comparison.suite}`: {stats.explain(test)} (failure window: {runs})"
    if test.significant and test.min_sample_per_group:
        text += (
            f"; about {test.min_sample_per_group} samples per side would have been enough "
            "to show a drop this size"
        )
    return text


def describe_run(sample: EvalSample, window: Window) -> str:
    """Say where a run falls relative to the incident."""
    rate = sample.failed / sample.total if sample.total else 0.0
    return (
        f"{sample.passed}/{sample.total} passed ({sample.failed} failures, {rate:.1%}) — "
        f"{phase(sample, window).value}"
    )


_NOT_CONTAINED = (
    "The incident was never marked contained, so no eval run can show the fix took effect. "
    "Mark it contained when the fix is in (*Mark contained* on a successful containment result "
    "in the channel, or `/incident update` and pick Contained), post an eval run after that, "
    "then resolve"
)


def _no_baseline(suites: str) -> str:
    return (
        f"Eval runs after containment ({suites}) have no run of the same suite in the failure "
        "window to compare with. Post the failure-window run with this incident's number"
    )


def _no_after(feature: str | None, contained_at: datetime | None) -> str:
    where = f" for `{feature}`" if feature else " linked to this incident"
    since = f" since containment at {contained_at:%Y-%m-%d %H:%M} UTC" if contained_at else ""
    return f"No eval run{where}{since}. Post one to `POST /evals`"
