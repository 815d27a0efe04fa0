"""Analysis: exponent fits recover known exponents; bands and fitted constants are exact."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rltheory.experiments.analysis import (
    fit_exponent,
    fitted_constant,
    log_slope,
    mean_band,
    tail_mask,
)


def synthetic(rng, exponent: float, n_seeds: int = 20, noise: float = 0.1):
    """Cumulative curves c_i K^exponent with multiplicative log-normal seed and point noise."""
    episodes = np.unique(np.rint(np.geomspace(1, 5000, 40))).astype(float)
    scale = 3.0 * np.exp(noise * rng.standard_normal((n_seeds, 1)))
    jitter = np.exp(noise * rng.standard_normal((n_seeds, episodes.size)))
    return episodes, scale * episodes**exponent * jitter


@pytest.mark.parametrize("exponent", [0.5, 1.0])
def test_exponent_recovered_within_interval(exponent):
    # Fixed seed. Nominal 95% interval: a correct fit misses it with probability about 0.05
    # per case; the point estimate must also be within 0.05 (noise 10% on 36 tail points).
    rng = np.random.default_rng(12345)
    episodes, samples = synthetic(rng, exponent)
    mask = tail_mask(episodes, 0.1)
    fit = fit_exponent(episodes[mask], samples[:, mask], 0.95, 2000, rng)
    assert fit.low <= exponent <= fit.high
    assert abs(fit.estimate - exponent) < 0.05
    assert fit.high - fit.low < 0.1


COVERAGE_RUNS, COVERAGE_ALPHA = 400, 1e-3


def _coverage_misses(n_seeds: int) -> int:
    """Misses of the true exponent 0.5 by the 90% interval over 400 independent synthetic
    experiments (fixed generator, so deterministic)."""
    rng = np.random.default_rng(7)
    misses = 0
    for _ in range(COVERAGE_RUNS):
        episodes, samples = synthetic(rng, 0.5, n_seeds=n_seeds, noise=0.3)
        fit = fit_exponent(episodes, samples, 0.9, 500, rng)
        misses += not fit.low <= 0.5 <= fit.high
    return misses


def test_interval_covers_the_truth_at_nominal_rate():
    """With 20 seeds the misses are Binomial(400, 0.1) when the 90% coverage is right; the
    two-sided exact binomial test rejects at level 1e-3 (a correct interval fails w.p. <= 1e-3
    over the choice of generator seed). At 80% true coverage (expected 80 misses) p < 1e-8:
    such an interval fails, as does the 72% the former "at most 11 of 40" check accepted."""
    misses = _coverage_misses(20)
    assert stats.binomtest(misses, COVERAGE_RUNS, 0.1).pvalue >= COVERAGE_ALPHA, misses


@pytest.mark.xfail(
    strict=True,
    reason="known: the percentile bootstrap over 10 seeds under-covers (about 80% at nominal "
    "90%); remove this mark when the interval method is fixed",
)
def test_interval_covers_the_truth_at_nominal_rate_with_ten_seeds():
    misses = _coverage_misses(10)
    assert stats.binomtest(misses, COVERAGE_RUNS, 0.1).pvalue >= COVERAGE_ALPHA, misses


def test_exponent_undefined_without_positive_regret():
    fit = fit_exponent(np.array([1.0, 2.0, 3.0]), np.zeros((4, 3)), 0.95, 100, None)
    assert np.isnan(fit.estimate) and fit.format() == "n/a"


def test_log_slope_is_exact_on_power_laws():
    x = np.array([1.0, 10.0, 100.0, 1000.0])
    y = np.stack([2.0 * x**0.5, 7.0 * x**1.5])
    np.testing.assert_allclose(log_slope(x, y), [0.5, 1.5])


def test_fitted_constant_least_squares_in_log_space():
    shape = np.array([1.0, 2.0, 4.0])
    measured = np.array([2.0, 8.0, 8.0])  # ratios 2, 4, 2: geometric mean 16^(1/3)
    assert fitted_constant(measured, shape) == pytest.approx(16 ** (1 / 3))
    assert fitted_constant(3.0 * shape, shape) == pytest.approx(3.0)


def test_mean_band_brackets_the_mean_and_collapses_without_spread():
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(30, 5)) + np.arange(5)
    mean, low, high = mean_band(samples, 0.95, 1000, rng)
    np.testing.assert_allclose(mean, samples.mean(axis=0))
    assert np.all(low < mean) and np.all(mean < high)
    # half-width close to the normal-theory 1.96 s / sqrt(n) (within 35%)
    width = (high - low) / 2
    normal = 1.96 * samples.std(axis=0, ddof=1) / np.sqrt(30)
    np.testing.assert_allclose(width, normal, rtol=0.35)
    flat = np.ones((5, 3))
    assert all(np.array_equal(part, np.ones(3)) for part in mean_band(flat, 0.95, 100, rng))


def test_tail_mask_keeps_the_last_decade_and_at_least_two_points():
    episodes = np.array([1, 2, 5, 10, 50, 100])
    np.testing.assert_array_equal(tail_mask(episodes, 0.1), [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(tail_mask(episodes, 0.99), [0, 0, 0, 0, 1, 1])
