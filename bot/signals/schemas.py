"""Quality signals: the points posted to `POST /signals` and how each signal is watched."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from bot.untrusted import INT32_MAX, UtcTime
from bot.vocabulary import IncidentType, Severity

NAME = r"^[A-Za-z0-9_.:/-]+$"
MAX_POINTS = 10_000
EVAL_SIGNAL = "eval.{suite}.pass_rate"  # every eval run is a point of its suite's signal


class Direction(StrEnum):
    LOWER_IS_BAD = "lower_is_bad"
    HIGHER_IS_BAD = "higher_is_bad"
    BOTH = "both"


class Method(StrEnum):
    EWMA = "ewma"
    CUSUM = "cusum"
    SHEWHART = "shewhart"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PointIn(_Strict):
    """One point: a `value`, or a rate as `passed` out of `total`."""

    at: UtcTime | None = Field(default=None, description="When it was measured; default now")
    value: float | None = Field(default=None, allow_inf_nan=False)
    passed: int | None = Field(default=None, ge=0, le=INT32_MAX)
    total: int | None = Field(default=None, gt=0, le=INT32_MAX)

    @model_validator(mode="after")
    def _value_or_rate(self) -> PointIn:
        rate = self.passed is not None or self.total is not None
        if rate and self.value is not None:
            raise ValueError("give either `value` or `passed` and `total`, not both")
        if rate and (self.passed is None or self.total is None):
            raise ValueError("a rate needs both `passed` and `total`")
        if not rate and self.value is None:
            raise ValueError("give `value`, or `passed` and `total`")
        if self.passed is not None and self.total is not None and self.passed > self.total:
            raise ValueError("`passed` cannot be more than `total`")
        return self

    @property
    def is_rate(self) -> bool:
        """Whether this point is a rate (passed/total)."""
        return self.total is not None


class SignalBatch(_Strict):
    """A batch of points of one signal of one feature."""

    signal: str = Field(min_length=1, max_length=200, pattern=NAME)
    feature: str = Field(min_length=1, max_length=200)
    points: list[PointIn] = Field(min_length=1, max_length=MAX_POINTS)

    @model_validator(mode="after")
    def _one_kind(self) -> SignalBatch:
        kinds = {p.is_rate for p in self.points}
        if len(kinds) > 1:
            raise ValueError("a batch holds values or rates, not both")
        return self


MAX_BATCH_POINTS = 50_000
MAX_BODY = 8 * 1024 * 1024


class SignalsIn(_Strict):
    """The body of POST /signals: several batches (one batch alone is also accepted)."""

    batches: list[SignalBatch] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _not_too_many(self) -> SignalsIn:
        count = sum(len(b.points) for b in self.batches)
        if count > MAX_BATCH_POINTS:
            raise ValueError(f"{count} points in one request; at most {MAX_BATCH_POINTS}")
        return self


class Ewma(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    lam: float = Field(default=0.25, gt=0, le=1, alias="lambda", description="Smoothing weight")
    L: float = Field(default=3.1, gt=0, description="Limit width in the statistic's sigmas")


class Cusum(_Strict):
    k: float = Field(default=0.5, ge=0, description="Allowance, in sigmas (half the shift)")
    h: float = Field(default=5.0, gt=0, description="Decision interval, in sigmas")


WeRule = Annotated[int, Field(ge=1, le=4)]


class Shewhart(_Strict):
    rules: list[WeRule] = Field(
        default_factory=lambda: [1, 2, 3, 4], description="Western Electric rules in use"
    )


class Baseline(_Strict):
    """The window the baseline mean and sigma come from (in-control points only)."""

    points: int | None = Field(default=None, ge=2, le=5000)
    days: float | None = Field(default=None, gt=0, le=365)
    min_points: int = Field(default=30, ge=2, le=5000, description="No detection before this")
    guard_points: int = Field(
        default=10, ge=0, le=500, description="Newest points kept out of the baseline"
    )

    @model_validator(mode="after")
    def _one_window(self) -> Baseline:
        if self.points is not None and self.days is not None:
            raise ValueError("give the baseline window in `points` or `days`, not both")
        if self.points is not None and self.points < self.min_points:
            raise ValueError("`points` must be at least `min_points`")
        return self

    @property
    def size(self) -> int:
        """The most points the baseline holds."""
        return self.points if self.points is not None else MAX_BASELINE


MAX_BASELINE = 1000
DEFAULT_POINTS = 100


class Watch(_Strict):
    """How one signal is watched: which way is bad, the detector, its baseline, its incident."""

    # Quality signals (groundedness, pass rates) regress downwards; say `higher_is_bad` for
    # latency or refusals, `both` where either way is a problem.
    direction: Direction = Direction.LOWER_IS_BAD
    method: Method = Method.EWMA
    ewma: Ewma = Field(default_factory=Ewma)
    cusum: Cusum = Field(default_factory=Cusum)
    shewhart: Shewhart = Field(default_factory=Shewhart)
    baseline: Baseline = Field(default_factory=lambda: Baseline(points=DEFAULT_POINTS))
    recover_points: int = Field(
        default=5, ge=1, le=500, description="Points back inside the limits that end an alarm"
    )
    type: IncidentType = IncidentType.QUALITY_REGRESSION
    severity: Severity = Severity.P2


class SignalRule(Watch):
    """A watched signal in the config; `feature` unset means every feature."""

    name: str = Field(min_length=1, max_length=200, pattern=NAME)
    feature: str | None = None
    title: str | None = Field(default=None, description="How people call it, e.g. Groundedness")


class Signals(_Strict):
    """The control-chart detector: defaults for every signal, and per-signal settings."""

    enabled: bool = True
    defaults: Watch = Field(default_factory=Watch)
    watch: list[SignalRule] = Field(default_factory=list)
    chart_window_days: float = Field(default=7, gt=0, le=90, description="Chart's span")
