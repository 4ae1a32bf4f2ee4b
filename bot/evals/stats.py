"""Fix validation for probabilistic AI fixes: did the failure rate really go down?"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from statistics import NormalDist

from bot.errors import BadInput
from bot.vocabulary import IncidentType, Severity

# Below this expected count in any cell the normal approximation is poor; use Fisher's exact test.
MIN_EXPECTED_COUNT = 5.0
DEFAULT_POWER = 0.8

ALWAYS_VALIDATED = frozenset(
    {
        IncidentType.QUALITY_REGRESSION,
        IncidentType.HALLUCINATION,
        IncidentType.SAFETY_VIOLATION,
        IncidentType.PROMPT_INJECTION,
        IncidentType.RETRIEVAL_CONTEXT,
        IncidentType.DISTRIBUTION_SHIFT,
    }
)
ALL_SEVERITIES = frozenset(Severity)
DEFAULT_VALIDATION_POLICY: Mapping[str, frozenset[Severity]] = {
    **{t: ALL_SEVERITIES for t in ALWAYS_VALIDATED},
    IncidentType.AVAILABILITY_LATENCY: frozenset({Severity.P1, Severity.P2}),
    IncidentType.PIPELINE_INFRASTRUCTURE: frozenset({Severity.P1, Severity.P2}),
}


@dataclass(frozen=True)
class ProportionTest:
    """One-sided test that the failure rate after a fix is lower than before it."""

    fail_before: int
    n_before: int
    fail_after: int
    n_after: int
    rate_before: float
    rate_after: float
    z: float
    p_value: float
    alpha: float
    significant: bool
    exact: bool
    min_sample_per_group: int | None

    @property
    def improved(self) -> bool:
        """Whether the observed failure rate went down at all."""
        return self.n_before > 0 and self.n_after > 0 and self.rate_after < self.rate_before


def two_proportion_test(
    fail_before: int,
    n_before: int,
    fail_after: int,
    n_after: int,
    *,
    alpha: float = 0.05,
    power: float = DEFAULT_POWER,
) -> ProportionTest:
    """Test whether the failure rate went down; exact test when counts are too small for z."""
    _check_counts(fail_before, n_before, "before")
    _check_counts(fail_after, n_after, "after")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise BadInput("alpha and power must be between 0 and 1", field="alpha")
    counts = (fail_before, n_before, fail_after, n_after)
    z = _z_statistic(*counts)
    exact = _needs_exact(*counts)
    p_value = _fisher_one_sided(*counts) if exact else _normal_p(z)
    rate_before = fail_before / n_before if n_before else 0.0
    rate_after = fail_after / n_after if n_after else 0.0
    improved = bool(n_before and n_after) and rate_after < rate_before
    return ProportionTest(
        *counts,
        rate_before=rate_before,
        rate_after=rate_after,
        z=z or 0.0,
        p_value=p_value,
        alpha=alpha,
        # Exact tests on tiny tables land on p == alpha (e.g. 1/20); float noise must not pass it.
        significant=improved and p_value < alpha * (1 - 1e-9),
        exact=exact,
        min_sample_per_group=(
            min_sample_per_group(rate_before, rate_after, alpha, power) if improved else None
        ),
    )


def _check_counts(failures: int, total: int, side: str) -> None:
    """Reject negative counts and more failures than samples."""
    if total < 0 or not 0 <= failures <= total:
        raise BadInput(f"need 0 ≤ failures ≤ samples, got {failures}/{total}", field=side)


def _z_statistic(fail_before: int, n_before: int, fail_after: int, n_after: int) -> float | None:
    """Return the pooled z (positive when the rate went down); None without data or spread."""
    if not n_before or not n_after:
        return None
    pooled = (fail_before + fail_after) / (n_before + n_after)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_before + 1 / n_after))
    if se == 0:
        return None
    return (fail_before / n_before - fail_after / n_after) / se


def _normal_p(z: float | None) -> float:
    """Return the upper-tail normal probability; 1.0 when there is no statistic."""
    return 1.0 if z is None else 0.5 * math.erfc(z / math.sqrt(2))


def _needs_exact(fail_before: int, n_before: int, fail_after: int, n_after: int) -> bool:
    """Whether any expected cell count is too small for the normal approximation."""
    total = n_before + n_after
    failures = fail_before + fail_after
    if not n_before or not n_after or failures in (0, total):
        return False
    smallest = min(n_before, n_after) * min(failures, total - failures) / total
    return smallest < MIN_EXPECTED_COUNT


def _fisher_one_sided(fail_before: int, n_before: int, fail_after: int, n_after: int) -> float:
    """Return P(at most `fail_after` failures after) under the hypergeometric null."""
    total = n_before + n_after
    failures = fail_before + fail_after
    low = max(0, n_after - (total - failures))
    log_all = _log_comb(total, n_after)
    terms = (
        _log_comb(failures, k) + _log_comb(total - failures, n_after - k) - log_all
        for k in range(low, fail_after + 1)
    )
    return min(1.0, math.fsum(math.exp(t) for t in terms))


def _log_comb(n: int, k: int) -> float:
    """Return log(n choose k)."""
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def min_sample_per_group(
    rate_before: float, rate_after: float, alpha: float = 0.05, power: float = DEFAULT_POWER
) -> int | None:
    """Return the equal per-group size that detects this drop (one-sided alpha, given power)."""
    drop = rate_before - rate_after
    if drop <= 0:
        return None
    z_alpha = NormalDist().inv_cdf(1 - alpha)
    z_beta = NormalDist().inv_cdf(power)
    mean = (rate_before + rate_after) / 2
    null_part = z_alpha * math.sqrt(2 * mean * (1 - mean))
    alt_part = z_beta * math.sqrt(rate_before * (1 - rate_before) + rate_after * (1 - rate_after))
    return max(1, math.ceil((null_part + alt_part) ** 2 / drop**2))


def explain(test: ProportionTest) -> str:
    """Say in plain words what the fix validation shows."""
    counts = (
        f"{test.fail_after}/{test.n_after} failures after vs "
        f"{test.fail_before}/{test.n_before} before"
    )
    if not test.n_before or not test.n_after:
        return f"{counts}: no samples on one side, so the fix cannot be validated"
    if not test.improved:
        return f"{counts}: the failure rate did not go down"
    method = " (exact test)" if test.exact else ""
    head = f"{counts}, {format_p(test.p_value)}{method}"
    if test.significant:
        return f"{head}: improvement is significant"
    needed = _friendly_count(test.min_sample_per_group or 0)
    return (
        f"{head}: not significant — about {needed} samples per side "
        "would be needed to show a drop this size"
    )


def format_p(p_value: float) -> str:
    """Format a p-value the way people read them: 'p = 0.015', 'p < 0.001'."""
    if p_value < 0.001:
        return "p < 0.001"
    if p_value < 0.1:
        return f"p = {p_value:.2g}"
    return f"p = {p_value:.2f}"


def _friendly_count(n: int) -> str:
    """Round a sample size up to two significant digits, e.g. 1234 → '1,300'."""
    if n < 100:
        return str(n)
    step = 10 ** (len(str(n)) - 2)
    return f"{math.ceil(n / step) * step:,}"


def validation_required(
    incident_type: IncidentType,
    severity: Severity,
    policy: Mapping[str, bool | Collection[str]] | None = None,
) -> bool:
    """Whether a fix must be validated statistically before the incident can resolve."""
    rule = (policy or {}).get(incident_type)
    if rule is None:
        return severity in DEFAULT_VALIDATION_POLICY.get(incident_type, ALL_SEVERITIES)
    if isinstance(rule, bool):
        return rule
    return severity in ((rule,) if isinstance(rule, str) else rule)
