"""Statistics of tidy results: bands over seeds, growth exponents, bound overlays.

Pure functions of arrays and of the tidy DataFrame (:mod:`rltheory.experiments.results`); plots
and reports draw what these return and never rerun anything. Every interval is a jackknife-t
interval over seeds (:mod:`rltheory.experiments.intervals`), deterministic given the results.

A curve is the protocol's bounded metric (``Metric.bounded``, e.g. cumulative regret) against its
axis (``Axis``, e.g. episode K). Exponent of a curve: the least-squares slope of
``log mean_seeds R(x)`` against ``log x`` over the tail ``x >= tail · x_max``; its interval
refits with each seed left out in turn. The same fit of the final value against a swept
parameter (d, H, ...) gives the rate in that parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rltheory.bounds import Bound, bounds_for
from rltheory.experiments import results as R
from rltheory.experiments.intervals import Interval, fit_exponent, log_slope, mean_band
from rltheory.experiments.protocols import Protocol
from rltheory.experiments.protocols.base import SEED, WALL_TIME


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
    """A bound drawn beside a measured curve with its stated constant: ``values`` at the
    curve's axis points."""

    bound: Bound
    values: np.ndarray
    constant: float

    @property
    def whose(self) -> str:
        """Whose constant: the paper's or this project's own."""
        return "project's own" if self.bound.constant_source == "project" else "paper"

    @property
    def short_label(self) -> str:
        """Kind, theorem and whose constant (for legends)."""
        return f"{self.bound.kind}: {self.bound.theorem} ({self.whose} constant {self.constant:g})"

    @property
    def label(self) -> str:
        return (
            f"{self.bound.kind} bound {self.bound.theorem} ({self.bound.id}; {self.whose} "
            f"constant {self.constant:g})"
        )


@dataclass(frozen=True)
class BoundRatio:
    """Measured mean over a bound's shape (a bound without a stated constant), scaled by the
    constant fitted on the tail so the tail sits near 1: flat ⇔ the measured rate is the
    bound's."""

    bound: Bound
    ratio: np.ndarray
    constant: float

    @property
    def label(self) -> str:
        return f"mean / shape of {self.bound.theorem} ({self.bound.id}; no constant stated)"


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
    ratios: tuple[BoundRatio, ...] = ()
    quantile: np.ndarray | None = None
    """The ``quantile_level`` quantile over seeds of the curve at each point (high-probability
    bounds hold for that quantile, not for the mean)."""
    quantile_level: float = 0.95

    quantity: str = "K"
    bound_slope: float | None = None
    """Local log-log slope of the main upper bound's shape (log factors included) over the
    same tail window as :attr:`exponent`: the like-for-like "proven" exponent."""
    voided: str = ""
    """The model's violated assumptions that void the main bound (empty if none)."""
    bound_name: str = ""
    """The main bound's theorem (author, year, theorem number)."""

    @property
    def proven_exponent(self) -> float | None:
        """The leading axis exponent of the algorithm's main upper bound (logs ignored; None
        when none is known)."""
        return proven_exponent(self.algorithm, self.quantity, self.params)


def main_bound(algorithm: str, quantity: str, params: Mapping[str, Any]) -> Bound | None:
    """The first upper bound listed for ``algorithm`` that applies to the run and states an
    exponent in ``quantity`` (its main theorem first)."""
    uppers = (b for b in bounds_for(algorithm) if b.kind == "upper" and b.applies(params))
    return next((b for b in uppers if quantity in b.exponents), None)


def proven_exponent(algorithm: str, quantity: str, params: Mapping[str, Any]) -> float | None:
    """Leading exponent in ``quantity`` of the algorithm's main upper bound (logs ignored)."""
    bound = main_bound(algorithm, quantity, params)
    return None if bound is None else float(bound.exponents[quantity])


def bound_slope(bound: Bound | None, x: np.ndarray, q: Mapping[str, Any]) -> float | None:
    """Least-squares log-log slope of ``bound``'s shape at the quantities ``q`` against ``x``
    (log factors included): the exponent the theorem predicts over exactly that window."""
    if bound is None or np.unique(x).size < 2:
        return None
    try:
        shape = bound.shape_at(q)
    except (ValueError, KeyError, TypeError):
        return None
    if shape.shape != np.shape(x) or not np.all(shape > 0):
        return None
    return float(log_slope(x, shape))


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


VIOLATED = "assumptions.violated"
"""Column listing the model's violated normalisations (:mod:`rltheory.envs.assumptions`)."""


def violated_assumptions(rows: pd.DataFrame) -> frozenset[str]:
    """Ids of the assumptions the curve's model violates (from its rows)."""
    if VIOLATED not in rows:
        return frozenset()
    return frozenset(i for text in rows[VIOLATED].dropna().unique() for i in text.split(",") if i)


def voided_by(bound: Bound | None, violated: frozenset[str]) -> str:
    """The violated assumptions that void ``bound`` (comma-separated; empty if none)."""
    return "" if bound is None else ",".join(sorted(set(bound.assumes) & violated))


def overlay_bounds(
    algorithm: str,
    q: Mapping[str, Any],
    mean: np.ndarray,
    tail: np.ndarray,
    violated: frozenset[str] = frozenset(),
) -> tuple[tuple[BoundCurve, ...], tuple[BoundRatio, ...], tuple[str, ...]]:
    """Each applicable bound of ``algorithm`` at the quantities ``q`` (the protocol's axis
    quantity an array): drawn with its stated constant when it has one; else, for upper
    bounds, the ratio ``mean / (C shape)`` with ``C`` fitted on the ``tail`` (never a shape with
    a fitted constant drawn through the data; lower bounds without a constant say nothing).
    A bound whose assumption the model ``violated`` is void and not drawn. Bounds not drawn
    are returned by id with the reason."""
    curves, ratios, skipped = [], [], []
    for bound in bounds_for(algorithm):
        if not bound.applies(q):
            continue
        if voided_by(bound, violated):
            skipped.append(f"{bound.id}: void, the model violates {voided_by(bound, violated)}")
            continue
        try:
            shape = bound.shape_at(q)
        except (ValueError, KeyError, TypeError) as error:
            skipped.append(f"{bound.id}: {error}")
            continue
        if bound.constant is not None:
            curves.append(BoundCurve(bound, bound.constant * shape, bound.constant))
        elif bound.kind == "lower":
            skipped.append(f"{bound.id}: lower bound without a constant in the paper")
        else:
            constant = fitted_constant(mean[tail], shape[tail])
            if np.isfinite(constant):
                ratios.append(BoundRatio(bound, mean / (constant * shape), constant))
            else:
                skipped.append(f"{bound.id}: no positive regret to compare the shape with")
    return tuple(curves), tuple(ratios), tuple(skipped)


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
) -> list[CurveSummary]:
    """One :class:`CurveSummary` per (setting, label) of the protocol's bounded metric against
    its axis, in table order."""
    summaries = []
    axis, column = protocol.axis.column, protocol.metric.bounded
    for (setting, label), rows in frame.groupby([R.SETTING, R.LABEL], sort=True):
        x, _, samples = curve_samples(rows, axis, column)
        mean, low, high = mean_band(samples, confidence)
        mask = tail_mask(x, tail)
        exponent = fit_exponent(x[mask], samples[:, mask], confidence)
        final = Interval(mean[-1], low[-1], high[-1])
        last = rows[rows[axis] == x[-1]]
        seconds = float(last.groupby(R.CELL)[WALL_TIME].first().sum())
        params = bound_params(rows)
        algorithm = str(rows[R.ALGORITHM].iloc[0])
        q = protocol.quantities(x, params)
        violated = violated_assumptions(rows)
        curves, ratios, skipped = overlay_bounds(algorithm, q, mean, mask, violated)
        level = 1.0 - failure_probability(params)
        main = main_bound(algorithm, protocol.axis.quantity, params)
        slope = bound_slope(main, x[mask], protocol.quantities(x[mask], params))
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
                ratios=ratios,
                quantile=np.quantile(samples, level, axis=0),
                quantile_level=level,
                quantity=protocol.axis.quantity,
                bound_slope=slope,
                voided=voided_by(main, violated),
                bound_name="" if main is None else main.theorem,
            )
        )
    return summaries


FAILURE_PROBABILITIES = ("p", "delta")
"""Config names of a high-probability bound's failure probability (first found is used)."""


def failure_probability(params: Mapping[str, Any]) -> float:
    """The run's failure probability p (``p`` or ``delta`` in its config), else 0.05."""
    for name in FAILURE_PROBABILITIES:
        value = params.get(name)
        if isinstance(value, int | float) and 0.0 < float(value) < 1.0:
            return float(value)
    return 0.05
