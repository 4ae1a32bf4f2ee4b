"""The control-chart detectors, incremental: each point updates its signal's state, no re-scan.

Every point is first standardised against the baseline, z = (x - mean) / sigma_i, where sigma_i
is the baseline's standard deviation for values, and the binomial sqrt(p(1-p)/n_i) for a rate
with n_i trials. The detectors then watch z:

* EWMA: Z_t = lambda z_t + (1 - lambda) Z_(t-1), limit L sqrt(lambda/(2-lambda) (1-(1-lambda)^2t)).
* CUSUM: S+ = max(0, S+ + z - k), S- = max(0, S- - z - k); out of control beyond h.
* Shewhart with the Western Electric rules: 1) one point beyond 3 sigma; 2) two of three beyond
  2 sigma on one side; 3) four of five beyond 1 sigma on one side; 4) eight in a row on one side.

The baseline is the window of in-control points (a count or a number of days), kept in the
state with running sums. A point joins it only `guard_points` later, and only if no alarm
came in between and no incident was open on the feature, so the start of a shift does not
drag the baseline along with it.
"""

from __future__ import annotations

import base64
import math
from array import array
from dataclasses import dataclass, field
from typing import Any

from bot.signals.schemas import Direction, Method, Watch

SIGMA_FLOOR = 1e-9
WE_HISTORY = 8


@dataclass(frozen=True, slots=True)
class Point:
    """One observation: its time (unix seconds), value (a rate for rates) and trials (0: value)."""

    t: float
    x: float
    n: int = 0


@dataclass(frozen=True, slots=True)
class Crossing:
    """A point where the detector was out of control."""

    t: float
    x: float
    n: int
    statistic: float
    limit: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one point did to its signal."""

    point: Point
    scored: bool  # False while the baseline is too small
    z: float = 0.0
    statistic: float = 0.0
    limit: float = 0.0
    out: bool = False
    rule: str = ""


@dataclass(slots=True)
class Window:
    """Points in arrival order as three columns (time, value, trials), stored packed."""

    t: list[float] = field(default_factory=list)
    x: list[float] = field(default_factory=list)
    n: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)

    def append(self, point: Point) -> None:
        """Add the newest point."""
        self.t.append(point.t)
        self.x.append(point.x)
        self.n.append(point.n)

    def popleft(self) -> Point:
        """Take the oldest point out."""
        return Point(self.t.pop(0), self.x.pop(0), self.n.pop(0))

    def clear(self) -> None:
        """Forget every point."""
        self.t.clear()
        self.x.clear()
        self.n.clear()

    def pack(self) -> dict[str, str]:
        """Base64 of packed doubles and ints: a tenth of the JSON numbers' size and cost."""
        return {
            "t": _b64(array("d", self.t)),
            "x": _b64(array("d", self.x)),
            "n": _b64(array("q", self.n)),
        }

    @classmethod
    def unpack(cls, data: Any) -> Window:
        """The window from `pack()`'s output (empty for anything else)."""
        if not isinstance(data, dict):
            return cls()
        return cls(_floats(data.get("t")), _floats(data.get("x")), _ints(data.get("n")))


def _b64(values: array[Any]) -> str:
    return base64.b64encode(values.tobytes()).decode("ascii")


def _floats(text: Any) -> list[float]:
    return array("d", base64.b64decode(text or "")).tolist()


def _ints(text: Any) -> list[int]:
    return array("q", base64.b64decode(text or "")).tolist()


@dataclass(slots=True)
class State:
    """A signal's detector state, small enough to keep in one row as JSON."""

    baseline: Window = field(default_factory=Window)  # oldest first
    guard: Window = field(default_factory=Window)  # the newest in-control points, waiting
    sum_x: float = 0.0
    sum_x2: float = 0.0
    sum_passed: float = 0.0
    sum_n: float = 0.0
    ewma: float = 0.0
    steps: int = 0  # points scored since the detector was (re)started
    cusum_hi: float = 0.0
    cusum_lo: float = 0.0
    recent: list[float] = field(default_factory=list)  # last z scores, for the WE rules
    alarmed: bool = False
    inside: int = 0  # points back inside the limits since the last crossing, while alarmed
    episode: int = 0  # counts alarms, names each one's alert
    crossings: list[list[float]] = field(default_factory=list)  # this episode's, capped

    def to_json(self) -> dict[str, Any]:
        """The state as stored."""
        found = {slot: getattr(self, slot) for slot in self.__slots__}
        return found | {"baseline": self.baseline.pack(), "guard": self.guard.pack()}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> State:
        """The state from what was stored (a fresh one for None)."""
        state = cls()
        for key, value in (data or {}).items():
            if key in ("baseline", "guard"):
                setattr(state, key, Window.unpack(value))
            elif key in cls.__slots__:
                setattr(state, key, value)
        return state


@dataclass(frozen=True, slots=True)
class BaselineStats:
    mean: float
    sigma: float  # for a rate: sqrt(p(1-p)), divided by sqrt(n) per point
    count: int
    rate: bool

    def sigma_at(self, n: int) -> float:
        """The standard deviation of one point with n trials (n = 0: a value)."""
        if self.rate and n > 0:
            return max(self.sigma / math.sqrt(n), SIGMA_FLOOR)
        return max(self.sigma, SIGMA_FLOOR)


MAX_CROSSINGS = 50


def baseline_stats(state: State, rate: bool) -> BaselineStats | None:
    """The baseline's mean and sigma, None while it is empty."""
    count = len(state.baseline)
    if count == 0:
        return None
    if rate:
        total = max(state.sum_n, 1.0)
        p = min(max(state.sum_passed / total, 0.5 / total), 1 - 0.5 / total)
        return BaselineStats(p, math.sqrt(p * (1 - p)), count, True)
    mean = state.sum_x / count
    var = max(state.sum_x2 / count - mean * mean, 0.0) * count / max(count - 1, 1)
    floor = max(abs(mean) * 1e-6, SIGMA_FLOOR)
    return BaselineStats(mean, max(math.sqrt(var), floor), count, False)


def observe(state: State, point: Point, watch: Watch, *, frozen: bool = False) -> Verdict:
    """Score one point and update the state; `frozen` keeps it out of the baseline."""
    stats = baseline_stats(state, point.n > 0)
    if stats is None or stats.count < watch.baseline.min_points:
        if not frozen:
            _add_to_baseline(state, point, watch)
        return Verdict(point, scored=False)
    z = (point.x - stats.mean) / stats.sigma_at(point.n)
    statistic, limit, out, rule = _detect(state, z, watch)
    if out:
        state.guard.clear()  # what led up to the alarm may be the shift itself
        if not state.alarmed:
            state.episode += 1
            state.crossings.clear()
        state.alarmed, state.inside = True, 0
        if len(state.crossings) < MAX_CROSSINGS:
            state.crossings.append([point.t, point.x, point.n, statistic, limit])
    elif state.alarmed:
        # Back inside, but an alarm clears only after `recover_points` in a row: a statistic
        # hovering at its limit would otherwise open and resolve its alert over and over.
        state.inside += 1
        if state.inside >= watch.recover_points:
            state.alarmed, state.inside = False, 0
    elif not frozen:
        _guarded(state, point, watch)
    _evict(state, point.t, watch)
    return Verdict(point, True, z, statistic, limit, out, rule)


def _detect(state: State, z: float, watch: Watch) -> tuple[float, float, bool, str]:
    state.steps += 1
    if watch.method is Method.CUSUM:
        return _cusum(state, z, watch)
    if watch.method is Method.SHEWHART:
        return _shewhart(state, z, watch)
    return _ewma(state, z, watch)


def _ewma(state: State, z: float, watch: Watch) -> tuple[float, float, bool, str]:
    lam, big_l = watch.ewma.lam, watch.ewma.L
    state.ewma = lam * z + (1 - lam) * state.ewma
    limit = big_l * math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * state.steps)))
    return state.ewma, limit, _beyond(state.ewma, limit, watch.direction), "ewma"


def _cusum(state: State, z: float, watch: Watch) -> tuple[float, float, bool, str]:
    k, h = watch.cusum.k, watch.cusum.h
    # Capped a little above h, so a recovered process comes back inside within a few points.
    state.cusum_hi = min(max(0.0, state.cusum_hi + z - k), 1.5 * h)
    state.cusum_lo = min(max(0.0, state.cusum_lo - z - k), 1.5 * h)
    hi = state.cusum_hi if watch.direction is not Direction.LOWER_IS_BAD else 0.0
    lo = state.cusum_lo if watch.direction is not Direction.HIGHER_IS_BAD else 0.0
    statistic = hi if hi >= lo else -lo
    return statistic, h, max(hi, lo) > h, "cusum"


def _shewhart(state: State, z: float, watch: Watch) -> tuple[float, float, bool, str]:
    state.recent = [*state.recent, z][-WE_HISTORY:]
    broken = [r for r in sorted(set(watch.shewhart.rules)) if _we_rule(r, state.recent, watch)]
    return z, 3.0, bool(broken), ",".join(f"WE{r}" for r in broken)


def _we_rule(rule: int, recent: list[float], watch: Watch) -> bool:
    sides = [s for s in (1.0, -1.0) if _bad_side(s, watch.direction)]
    last = recent[-1]
    for side in sides:
        if side * last <= 0:
            continue  # the rule must involve the newest point
        if rule == 1 and side * last > 3:
            return True
        if rule == 2 and side * last > 2 and _count(recent[-3:], side, 2) >= 2:
            return True
        if rule == 3 and side * last > 1 and _count(recent[-5:], side, 1) >= 4:
            return True
        if rule == 4 and len(recent) >= 8 and _count(recent[-8:], side, 0) == 8:
            return True
    return False


def _count(values: list[float], side: float, beyond: float) -> int:
    return sum(1 for v in values if side * v > beyond)


def _bad_side(side: float, direction: Direction) -> bool:
    if direction is Direction.LOWER_IS_BAD:
        return side < 0
    if direction is Direction.HIGHER_IS_BAD:
        return side > 0
    return True


def _beyond(statistic: float, limit: float, direction: Direction) -> bool:
    if direction is Direction.LOWER_IS_BAD:
        return statistic < -limit
    if direction is Direction.HIGHER_IS_BAD:
        return statistic > limit
    return abs(statistic) > limit


def _guarded(state: State, point: Point, watch: Watch) -> None:
    state.guard.append(point)
    while len(state.guard) > watch.baseline.guard_points:
        _add_to_baseline(state, state.guard.popleft(), watch)


def _add_to_baseline(state: State, point: Point, watch: Watch) -> None:
    state.baseline.append(point)
    if point.n > 0:
        state.sum_passed += point.x * point.n
        state.sum_n += point.n
    else:
        state.sum_x += point.x
        state.sum_x2 += point.x * point.x
    _evict(state, point.t, watch)


def _evict(state: State, now_t: float, watch: Watch) -> None:
    window = watch.baseline
    oldest = now_t - window.days * 86400 if window.days is not None else None
    base = state.baseline
    while base.x and (len(base) > window.size or (oldest is not None and base.t[0] < oldest)):
        old = base.popleft()
        x, n = old.x, old.n
        if n > 0:
            state.sum_passed -= x * n
            state.sum_n -= n
        else:
            state.sum_x -= x
            state.sum_x2 -= x * x


def score(state: State, z: float, watch: Watch) -> tuple[float, float, bool]:
    """Run the detector on one standardised point (for replaying a chart): statistic, limit, out."""
    statistic, limit, out, _rule = _detect(state, z, watch)
    return statistic, limit, out


def restart(state: State) -> None:
    """Start the detector afresh on the current baseline (after its window changed)."""
    state.ewma, state.steps, state.cusum_hi, state.cusum_lo = 0.0, 0, 0.0, 0.0
    state.recent = []
