"""Confidence intervals over seeds: the jackknife-t interval of a statistic of the seeds, the
seed-mean band of curves and the log-log growth exponent of their seed mean.

Jackknife-t (Quenouille 1956, Tukey 1958; Efron & Tibshirani 1993, §11): with the
leave-one-seed-out replicates ``theta_(i)`` of a statistic over ``n`` seeds, the standard error
is ``se = sqrt((n-1)/n · sum_i (theta_(i) - mean theta_(.))^2)`` and the interval is
``theta(all seeds) ± t_{n-1, (1+confidence)/2} · se``. Deterministic (no resampling). For the
seed mean it is exactly the Student-t interval ``mean ± t · s / sqrt(n)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

Statistic = Callable[[np.ndarray], np.ndarray]
"""``statistic(index [m, k]) -> [..., m]``: the statistic of each of ``m`` sets of ``k`` seed
indices (the replicate axis last)."""


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval (NaN bounds when it cannot be computed)."""

    estimate: float
    low: float = np.nan
    high: float = np.nan

    def format(self, digits: int = 3) -> str:
        if not np.isfinite(self.estimate):
            return "n/a"
        if not np.isfinite(self.low):
            return f"{self.estimate:.{digits}g}"
        return f"{self.estimate:.{digits}g} [{self.low:.{digits}g}, {self.high:.{digits}g}]"


def leave_one_out(n: int) -> np.ndarray:
    """The ``[n, n-1]`` seed indices of the leave-one-seed-out sets (row ``i`` omits seed ``i``)."""
    return np.tile(np.arange(n), (n, 1))[~np.eye(n, dtype=bool)].reshape(n, n - 1)


def jackknife_t(
    statistic: Statistic, n_seeds: int, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(estimate, low, high)``: ``statistic`` of all ``n_seeds >= 2`` seeds and its
    jackknife-t interval (module docstring). A NaN replicate makes the interval NaN; the
    estimate is that of all seeds."""
    estimate = statistic(np.arange(n_seeds)[None, :])[..., 0]
    replicates = statistic(leave_one_out(n_seeds))
    spread = replicates - replicates.mean(axis=-1, keepdims=True)
    se = np.sqrt((n_seeds - 1) / n_seeds * np.sum(spread**2, axis=-1))
    half = stats.t.ppf((1.0 + confidence) / 2.0, n_seeds - 1) * se
    return estimate, estimate - half, estimate + half


def mean_band(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, low, high)`` over seeds of ``samples [n_seeds, n_points]``; the band is the
    jackknife-t interval of the mean, i.e. the Student-t interval (the mean with one seed)."""
    samples = np.asarray(samples, dtype=float)
    mean = samples.mean(axis=0)
    if samples.shape[0] < 2:
        return mean, mean.copy(), mean.copy()

    def statistic(index: np.ndarray) -> np.ndarray:
        return np.moveaxis(samples[index].mean(axis=-2), -1, 0)  # [n_points, m]

    _, low, high = jackknife_t(statistic, samples.shape[0], confidence)
    return mean, low, high


def log_slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``log y`` on ``log x``; ``y [..., n]`` may carry batch axes."""
    lx = np.log(np.asarray(x, dtype=float))
    ly = np.log(np.asarray(y, dtype=float))
    centred = lx - lx.mean()
    return (ly - ly.mean(axis=-1, keepdims=True)) @ centred / (centred @ centred)


def fit_exponent(x: np.ndarray, samples: np.ndarray, confidence: float) -> Interval:
    """Growth exponent of the seed-mean of ``samples [n_seeds, n]`` against ``x [n]`` (log-log
    least squares) with its jackknife-t interval over seeds (NaN bounds with one seed, or when
    a leave-one-out mean is not positive at every point). NaN when the mean is not positive at
    every point or fewer than two distinct x are given."""
    samples = np.asarray(samples, dtype=float)
    x = np.asarray(x, dtype=float)
    mean = samples.mean(axis=0)
    if np.unique(x).size < 2 or not np.all(mean > 0) or not np.all(x > 0):
        return Interval(np.nan)
    if samples.shape[0] < 2:
        return Interval(float(log_slope(x, mean)))

    def statistic(index: np.ndarray) -> np.ndarray:
        means = samples[index].mean(axis=-2)  # [m, n]
        with np.errstate(divide="ignore", invalid="ignore"):
            return log_slope(x, np.where(means > 0, means, np.nan))

    estimate, low, high = jackknife_t(statistic, samples.shape[0], confidence)
    return Interval(float(estimate), float(low), float(high))
