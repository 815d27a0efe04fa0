"""Statistics of tidy results: bootstrap bands over seeds, growth exponents, bound overlays.

Pure functions of arrays and of the tidy DataFrame (:mod:`rltheory.experiments.results`); plots
and reports draw what these return and never rerun anything. Every interval is a percentile
bootstrap over seeds (``scipy.stats.bootstrap``) with an explicit ``numpy.random.Generator``.

A curve is the protocol's bounded metric (``Metric.bounded``, e.g. cumulative regret) against its
axis (``Axis``, e.g. episode K). Exponent of a curve: the least-squares slope of
``log mean_seeds R(x)`` against ``log x`` over the tail ``x >= tail · x_max``; its interval
resamples seeds and refits. The same fit of the final value against a swept parameter (d, H,
...) gives the rate in that parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rltheory.bounds import Bound, bounds_for
from rltheory.experiments import results as R
from rltheory.experiments.protocols import Protocol
from rltheory.experiments.protocols.base import SEED, WALL_TIME


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


def _bootstrap(
    statistic: Any, n_seeds: int, confidence: float, resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap over seed indices of ``statistic(indices [..., n], axis=-1)``."""
    result = stats.bootstrap(
        (np.arange(n_seeds),),
        statistic,
        vectorized=True,
        n_resamples=resamples,
        confidence_level=confidence,
        method="percentile",
        random_state=rng,
    )
    return result.confidence_interval.low, result.confidence_interval.high


def mean_band(
    samples: np.ndarray, confidence: float, resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, low, high)`` over seeds of ``samples [n_seeds, n_points]``; the band is a
    bootstrap interval of the mean (equal to the mean with one seed)."""
    samples = np.asarray(samples, dtype=float)
    mean = samples.mean(axis=0)
    if samples.shape[0] < 2 or np.all(samples == samples[:1]):
        return mean, mean.copy(), mean.copy()

    def statistic(index: np.ndarray, axis: int = -1) -> np.ndarray:
        # scipy wants the resample axis last: [n_points, n_resamples]
        return np.moveaxis(samples[index].mean(axis=-2), -1, 0)

    low, high = _bootstrap(statistic, samples.shape[0], confidence, resamples, rng)
    return mean, low, high


def log_slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``log y`` on ``log x``; ``y [..., n]`` may carry batch axes."""
    lx = np.log(np.asarray(x, dtype=float))
    ly = np.log(np.asarray(y, dtype=float))
    centred = lx - lx.mean()
    return (ly - ly.mean(axis=-1, keepdims=True)) @ centred / (centred @ centred)


def fit_exponent(
    x: np.ndarray,
    samples: np.ndarray,
    confidence: float,
    resamples: int,
    rng: np.random.Generator,
) -> Interval:
    """Growth exponent of the seed-mean of ``samples [n_seeds, n]`` against ``x [n]`` (log-log
    least squares) with a bootstrap interval over seeds. NaN when the mean is not positive at
    every point or fewer than two distinct x are given."""
    samples = np.asarray(samples, dtype=float)
    x = np.asarray(x, dtype=float)
    mean = samples.mean(axis=0)
    if np.unique(x).size < 2 or not np.all(mean > 0) or not np.all(x > 0):
        return Interval(np.nan)
    estimate = float(log_slope(x, mean))
    if samples.shape[0] < 2:
        return Interval(estimate)

    def statistic(index: np.ndarray, axis: int = -1) -> np.ndarray:
        resampled = samples[index].mean(axis=-2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return log_slope(x, np.where(resampled > 0, resampled, np.nan))

    low, high = _bootstrap(statistic, samples.shape[0], confidence, resamples, rng)
    return Interval(estimate, float(low), float(high))


def tail_mask(episodes: np.ndarray, tail: float) -> np.ndarray:
    """Checkpoints in the tail ``K >= tail · K_max`` (at least the last two)."""
    episodes = np.asarray(episodes)
    mask = episodes >= tail * episodes.max()
    if mask.sum() < 2:
        mask[-min(2, episodes.size) :] = True
    return mask


def fitted_constant(measured: np.ndarray, shape: np.ndarray) -> float:
    """``C`` minimising ``sum (log measured - log(C · shape))^2``: ``exp(mean(log(measured /
    shape)))`` over points where both are positive (NaN if none)."""
    ok = (measured > 0) & (shape > 0)
    if not ok.any():
        return np.nan
    return float(np.exp(np.mean(np.log(measured[ok] / shape[ok]))))


@dataclass(frozen=True)
class BoundCurve:
    """A bound drawn beside a measured curve: ``values`` at the curve's axis points."""

    bound: Bound
    values: np.ndarray
    constant: float
    fitted: bool

    @property
    def label(self) -> str:
        name = self.bound.id
        if self.fitted:
            return f"{self.bound.kind} bound {name} (shape × fitted C={self.constant:.3g})"
        return f"{self.bound.kind} bound {name} (paper constant {self.constant:g})"


@dataclass(frozen=True)
class CurveSummary:
    """Statistics of one algorithm variant on one environment configuration."""

    setting: str
    label: str
    algorithm: str
    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_seeds: int
    exponent: Interval
    final: Interval
    seconds: float
    tail_start: int
    params: Mapping[str, Any]
    bounds: tuple[BoundCurve, ...] = ()
    skipped_bounds: tuple[str, ...] = field(default_factory=tuple)

    quantity: str = "K"

    @property
    def proven_exponent(self) -> float | None:
        """The axis exponent of the algorithm's main upper bound (None when none is known)."""
        return proven_exponent(self.algorithm, self.quantity, self.params)


def proven_exponent(algorithm: str, quantity: str, params: Mapping[str, Any]) -> float | None:
    """Exponent in ``quantity`` of the first upper bound listed for ``algorithm`` that applies
    to the run and states one (its main theorem first)."""
    uppers = (b for b in bounds_for(algorithm) if b.kind == "upper" and b.applies(params))
    return next((float(b.exponents[quantity]) for b in uppers if quantity in b.exponents), None)


RUN_PREFIX = "run."
"""Columns ``run.<name>`` record a quantity as the learner actually ran it (e.g. ``beta``)."""


def bound_params(rows: pd.DataFrame) -> dict[str, Any]:
    """Quantities a bound may read, from one curve's rows: model sizes ``S, A, H, d``, every
    algorithm config value (``c, lam, p, delta, ...``) and every ``run.<name>`` quantity as
    actually run (mean over seeds when per-seed)."""
    first = rows.iloc[0]
    params: dict[str, Any] = {}
    for column in rows.columns:
        if column.startswith(R.ALGO_PREFIX):
            value = first[column]
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                params[column.removeprefix(R.ALGO_PREFIX)] = value
    for name, column in R.MODEL_SIZES.items():
        if column in rows and np.isfinite(first[column]):
            params[name] = int(first[column])
    for column in rows.columns:
        if column.startswith(RUN_PREFIX) and rows[column].notna().all():
            params[column.removeprefix(RUN_PREFIX)] = float(rows[column].mean())
    return params


def overlay_bounds(
    algorithm: str,
    q: Mapping[str, Any],
    mean: np.ndarray,
    tail: np.ndarray,
) -> tuple[tuple[BoundCurve, ...], tuple[str, ...]]:
    """Each applicable bound of ``algorithm`` at the quantities ``q`` (the protocol's axis
    quantity an array): with the paper's constant when given; else, for upper bounds, its shape
    times the constant fitted to ``mean`` by least squares in log space over the ``tail`` (lower
    bounds need the paper's constant). Bounds not drawn are returned by id with the reason."""
    curves, skipped = [], []
    for bound in bounds_for(algorithm):
        if not bound.applies(q):
            continue
        try:
            shape = bound.shape_at(q)
        except (ValueError, KeyError, TypeError) as error:
            skipped.append(f"{bound.id}: {error}")
            continue
        if bound.constant is not None:
            curves.append(BoundCurve(bound, bound.constant * shape, bound.constant, False))
        elif bound.kind == "lower":
            # A lower bound scaled to the data by a fitted constant carries no information.
            skipped.append(f"{bound.id}: lower bound without a constant in the paper")
        else:
            constant = fitted_constant(mean[tail], shape[tail])
            if np.isfinite(constant):
                curves.append(BoundCurve(bound, constant * shape, constant, True))
            else:
                skipped.append(f"{bound.id}: no positive regret to fit a constant to")
    return tuple(curves), tuple(skipped)


def curve_samples(rows: pd.DataFrame, x: str, column: str):
    """``(x [n], seeds [B], samples [B, n])`` of one curve's rows: ``column`` against ``x``."""
    table = rows.pivot_table(index=SEED, columns=x, values=column, aggfunc="first")
    return table.columns.to_numpy(), table.index.to_numpy(), table.to_numpy(dtype=float)


def summarize(
    frame: pd.DataFrame,
    protocol: Protocol,
    *,
    tail: float,
    confidence: float,
    resamples: int,
    bootstrap_seed: int,
) -> list[CurveSummary]:
    """One :class:`CurveSummary` per (setting, label) of the protocol's bounded metric against
    its axis, in table order."""
    summaries = []
    axis, column = protocol.axis.column, protocol.metric.bounded
    for index, ((setting, label), rows) in enumerate(
        frame.groupby([R.SETTING, R.LABEL], sort=True)
    ):
        rng = np.random.default_rng([bootstrap_seed, index])
        x, _, samples = curve_samples(rows, axis, column)
        mean, low, high = mean_band(samples, confidence, resamples, rng)
        mask = tail_mask(x, tail)
        exponent = fit_exponent(x[mask], samples[:, mask], confidence, resamples, rng)
        final = Interval(mean[-1], low[-1], high[-1])
        last = rows[rows[axis] == x[-1]]
        seconds = float(last.groupby(R.CELL)[WALL_TIME].first().sum())
        params = bound_params(rows)
        algorithm = str(rows[R.ALGORITHM].iloc[0])
        q = protocol.quantities(x, params)
        curves, skipped = overlay_bounds(algorithm, q, mean, mask)
        summaries.append(
            CurveSummary(
                setting,
                label,
                algorithm,
                x,
                mean,
                low,
                high,
                samples.shape[0],
                exponent,
                final,
                seconds,
                int(x[mask][0]),
                params,
                curves,
                skipped,
                protocol.axis.quantity,
            )
        )
    return summaries


@dataclass(frozen=True)
class RateSummary:
    """Final regret against a swept quantity for one algorithm variant and its fitted rate."""

    parameter: str
    quantity: str
    group: str
    label: str
    algorithm: str
    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    exponent: Interval
    proven: float | None


def swept_quantity(frame: pd.DataFrame, parameter: str) -> tuple[str, str]:
    """``(column, name)`` of the x-axis for a swept env parameter: the model size (``d``,
    ``H``, ``S``, ``A``) that varies one-to-one with it when there is one (so the proven
    exponent in that size applies), else the parameter itself."""
    column = R.ENV_PREFIX + parameter
    n_values = frame[column].nunique()
    for name, size in R.MODEL_SIZES.items():
        per_value = frame.groupby(column)[size].nunique()
        if n_values > 1 and (per_value == 1).all() and frame[size].nunique() == n_values:
            return size, name
    return column, parameter


def rates(
    frame: pd.DataFrame,
    protocol: Protocol,
    parameters: Sequence[str],
    *,
    confidence: float,
    resamples: int,
    bootstrap_seed: int,
) -> list[RateSummary]:
    """For each swept env parameter: per (other settings, label) the protocol's bounded metric
    at the last axis point against the parameter's quantity, with the log-log exponent and its
    bootstrap interval (seeds resampled jointly across the parameter values). Parameters with
    non-numeric values (categorical sweeps) are skipped."""
    out = []
    axis, value = protocol.axis.column, protocol.metric.bounded
    final = frame[frame[axis] == frame.groupby(R.CELL)[axis].transform("max")]
    for parameter in parameters:
        column = R.ENV_PREFIX + parameter
        if column not in final:
            continue
        rows_with = final[final[column].notna()]
        if not pd.api.types.is_numeric_dtype(rows_with[column]):
            continue  # a categorical sweep (e.g. a delay kind) has no rate
        x_column, quantity = swept_quantity(rows_with, parameter)
        others = [
            c
            for c in rows_with.columns
            if c.startswith(R.ENV_PREFIX)
            and c != column
            and rows_with[c].notna().any()
            and (rows_with[c].astype(str) != "").any()
        ]
        group_key = (
            rows_with[R.ENV]
            .astype(str)
            .str.cat(
                [c.removeprefix(R.ENV_PREFIX) + "=" + rows_with[c].astype(str) for c in others],
                sep=" ",
            )
        )
        for index, ((group, label), rows) in enumerate(
            rows_with.groupby([group_key, R.LABEL], sort=True)
        ):
            table = rows.pivot_table(
                index=SEED, columns=x_column, values=value, aggfunc="first"
            ).dropna(axis=0)
            if table.shape[1] < 2 or table.shape[0] < 1:
                continue
            rng = np.random.default_rng([bootstrap_seed, 1000 + index])
            x = table.columns.to_numpy(dtype=float)
            samples = table.to_numpy(dtype=float)
            mean, low, high = mean_band(samples, confidence, resamples, rng)
            exponent = fit_exponent(x, samples, confidence, resamples, rng)
            algorithm = str(rows[R.ALGORITHM].iloc[0])
            proven = proven_exponent(algorithm, quantity, bound_params(rows))
            out.append(
                RateSummary(
                    parameter,
                    quantity,
                    group,
                    label,
                    algorithm,
                    x,
                    mean,
                    low,
                    high,
                    exponent,
                    proven,
                )
            )
    return out
