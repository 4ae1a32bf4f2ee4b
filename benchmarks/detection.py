"""Detection quality: the bot's control-chart detectors against a fixed threshold.

Simulates quality signals, as values (normal) and as binomial rates whose number of trials
varies from point to point, and prints side by side, for EWMA (the default), CUSUM, Shewhart
with the Western Electric rules, and a fixed-threshold alert at baseline - 2 sigma:

* false alarms per 10,000 in-control points (after the baseline is learnt), and
* the median and p90 delay, in points, until a downward shift of 0.5, 1 and 2 sigma is caught
  (the shifted point that raises the alarm counts as 1).

Run: `python -m benchmarks.detection [--runs N] [--seed S]`. With `--throughput` it also runs
the incremental detector over 100,000 points of 10,000 signals in the worker and times a
10,000-point batch through POST /signals (see benchmarks/signals.py).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from benchmarks.common import percentile
from bot.signals import rules
from bot.signals.schemas import Direction, Method, Watch

SHIFTS = (0.5, 1.0, 2.0)
MAX_DELAY = 300
IN_CONTROL_STRETCH = 2000  # in-control points after each learnt baseline
TARGET_FALSE_PER_10K = 10_000 / 370


@dataclass(frozen=True)
class Kind:
    name: str
    mean: float
    draw: Callable[[random.Random, float], rules.Point]  # (rng, shift in sigmas) -> point


def _values() -> Kind:
    mean, sigma = 0.83, 0.04  # groundedness

    def draw(rng: random.Random, shift: float) -> rules.Point:
        return rules.Point(0.0, rng.gauss(mean - shift * sigma, sigma))

    return Kind("values", mean, draw)


def _rates() -> Kind:
    p = 0.92  # eval pass rate, 40 to 400 prompts a point

    def draw(rng: random.Random, shift: float) -> rules.Point:
        n = rng.randint(40, 400)
        q = max(p - shift * math.sqrt(p * (1 - p) / n), 0.0)
        passed = _binomial(rng, n, q)
        return rules.Point(0.0, passed / n, n)

    return Kind("rates", p, draw)


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if n * p * (1 - p) > 30:  # a normal approximation, rounded and clipped, is plenty here
        return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))
    return sum(1 for _ in range(n) if rng.random() < p)


class Fixed:
    """A fixed-threshold alert: a point below the baseline mean - 2 sigma."""

    def __init__(self, state: rules.State, rate: bool) -> None:
        stats = rules.baseline_stats(state, rate)
        assert stats is not None
        self.stats = stats

    def out(self, point: rules.Point) -> bool:
        return point.x < self.stats.mean - 2 * self.stats.sigma_at(point.n)


def detectors() -> dict[str, Watch]:
    """The detectors compared: the default, the other methods, the default watching both ways."""
    base = Watch()  # the defaults: EWMA, lower is bad, a 100-point baseline
    assert base.direction is Direction.LOWER_IS_BAD
    return {
        "EWMA (default)": base,
        "CUSUM": base.model_copy(update={"method": Method.CUSUM}),
        "Shewhart+WE": base.model_copy(update={"method": Method.SHEWHART}),
        "EWMA two-sided": base.model_copy(update={"direction": Direction.BOTH}),
    }


def _learnt(kind: Kind, watch: Watch, rng: random.Random) -> rules.State:
    state = rules.State()
    size = watch.baseline.size if watch.baseline.points else 100
    for _ in range(size + watch.baseline.guard_points):
        rules.observe(state, kind.draw(rng, 0.0), watch)
    return state


def _alarms(kind: Kind, watch: Watch | None, rng: random.Random, points: int) -> int:
    ref = detectors()["EWMA (default)"]
    state = _learnt(kind, watch or ref, rng)
    fixed = Fixed(state, kind.name == "rates") if watch is None else None
    alarms, alarmed = 0, False
    for _ in range(points):
        point = kind.draw(rng, 0.0)
        if fixed is not None:
            out = fixed.out(point)  # a fixed threshold alerts on every point beyond it
        else:
            rules.observe(state, point, watch or ref)
            out = state.alarmed  # the bot's alarm, which ends after points back inside
        alarms += out and not alarmed
        alarmed = out
    return alarms


def _delay(kind: Kind, watch: Watch | None, rng: random.Random, shift: float) -> int:
    ref = detectors()["EWMA (default)"]
    state = _learnt(kind, watch or ref, rng)
    fixed = Fixed(state, kind.name == "rates") if watch is None else None
    for step in range(1, MAX_DELAY + 1):
        point = kind.draw(rng, shift)
        if fixed.out(point) if fixed else rules.observe(state, point, watch or ref).out:
            return step
    return MAX_DELAY


def rows(runs: int, seed: int) -> Iterator[tuple[str, str, float, list[tuple[float, float]]]]:
    """(kind, detector, false alarms per 10k, [(median, p90) per shift])."""
    rng = random.Random(seed)
    compared: dict[str, Watch | None] = {**detectors(), "fixed mean-2σ": None}
    for kind in (_values(), _rates()):
        for name, watch in compared.items():
            stretches = max(runs // 10, 1)
            in_control = stretches * IN_CONTROL_STRETCH
            false = sum(_alarms(kind, watch, rng, IN_CONTROL_STRETCH) for _ in range(stretches))
            delays = []
            for shift in SHIFTS:
                found = [_delay(kind, watch, rng, shift) for _ in range(runs)]
                delays.append((statistics.median(found), percentile(found, 90)))
            yield kind.name, name, false / in_control * 10_000, delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="shift runs per cell")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    default = detectors()["EWMA (default)"].ewma
    print(f"default detector: EWMA lambda={default.lam} L={default.L}, baseline 100 points")
    print(
        f"target: false alarms <= {TARGET_FALSE_PER_10K:.1f}/10k, "
        "median delay <= 10 at 1σ, <= 3 at 2σ"
    )
    head = "".join(f" | {s:g}σ med/p90" for s in SHIFTS)
    print(f"{'signal':7} {'detector':16} | false/10k{head}")
    for kind, name, false, delays in rows(args.runs, args.seed):
        cells = "".join(f" | {med:6.1f} / {p90:4.0f}" for med, p90 in delays)
        print(f"{kind:7} {name:16} | {false:9.1f}{cells}")


if __name__ == "__main__":
    main()
