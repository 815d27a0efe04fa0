"""Rates across runs: the final bounded metric against a swept environment parameter (d, H,
...) or against K itself across a sweep of ``episodes`` (a minimax-rate sweep, one run per K on
K-dependent hard instances), with the log-log exponent, its jackknife-t interval over seeds, and
beside it the main bound's leading exponent and its local slope over the same points (the bound
evaluated at each run's own quantities, log factors included)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rltheory.bounds import Bound
from rltheory.experiments import results as R
from rltheory.experiments.analysis import (
    bound_params,
    main_bound,
    violated_assumptions,
    voided_by,
)
from rltheory.experiments.intervals import Interval, fit_exponent, log_slope, mean_band
from rltheory.experiments.protocols import Protocol
from rltheory.experiments.protocols.base import SEED


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
    bound_slope: float | None = None
    voided: str = ""
    bound_name: str = ""


def swept_quantity(frame: pd.DataFrame, parameter: str) -> tuple[str, str]:
    """``(column, name)`` of the x-axis for a swept env parameter: the model size (``d``,
    ``H``, ``S``, ``A``) that varies one-to-one with it when there is one (so the proven
    exponent in that size applies), else the parameter itself. When several do (``hf-hard``'s
    ``dim`` is d and sets A = 2^(d-1)), the size equal to the parameter's values wins."""
    column = R.ENV_PREFIX + parameter
    n_values = frame[column].nunique()
    one_to_one = [
        (size, name)
        for name, size in R.MODEL_SIZES.items()
        if n_values > 1
        and (frame.groupby(column)[size].nunique() == 1).all()
        and frame[size].nunique() == n_values
    ]
    for size, name in one_to_one:
        per_value = frame.groupby(column)[size].first()
        if np.array_equal(per_value.index.to_numpy(float), per_value.to_numpy(float)):
            return size, name
    return one_to_one[0] if one_to_one else (column, parameter)


def final_rows(frame: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """Each cell's rows at its last axis point."""
    axis = protocol.axis.column
    return frame[frame[axis] == frame.groupby(R.CELL)[axis].transform("max")]


def group_keys(rows: pd.DataFrame, exclude: Sequence[str]) -> pd.Series:
    """Environment id plus every env parameter column not in ``exclude`` (the curve's other
    settings)."""
    others = [
        c
        for c in rows.columns
        if c.startswith(R.ENV_PREFIX)
        and c not in exclude
        and rows[c].notna().any()
        and (rows[c].astype(str) != "").any()
    ]
    return (
        rows[R.ENV]
        .astype(str)
        .str.cat(
            [c.removeprefix(R.ENV_PREFIX) + "=" + rows[c].astype(str) for c in others], sep=" "
        )
    )


def sweep_slope(
    bound: Bound | None, protocol: Protocol, rows: pd.DataFrame, x_column: str, x: np.ndarray
) -> float | None:
    """Log-log slope against ``x`` of ``bound`` evaluated at each swept run's own quantities
    (its final axis point and parameters), log factors included."""
    if bound is None or x.size < 2:
        return None
    axis = protocol.axis.column
    values = []
    for value in x:
        run = rows[rows[x_column] == value]
        q = protocol.quantities(run[axis].to_numpy()[:1], bound_params(run))
        try:
            values.append(float(bound.shape_at(q).reshape(-1)[0]))
        except (ValueError, KeyError, TypeError):
            return None
    values = np.asarray(values)
    return float(log_slope(x, values)) if np.all(values > 0) else None


def _rate(
    rows: pd.DataFrame,
    protocol: Protocol,
    names: tuple[str, str, str, str],
    x_column: str,
    confidence: float,
) -> RateSummary | None:
    """The rate of one curve's final rows against ``x_column`` (``names`` = parameter,
    quantity, group, label)."""
    parameter, quantity, group, label = names
    table = rows.pivot_table(
        index=SEED, columns=x_column, values=protocol.metric.bounded, aggfunc="first"
    ).dropna(axis=0)
    if table.shape[1] < 2 or table.shape[0] < 1:
        return None
    x = table.columns.to_numpy(dtype=float)
    samples = table.to_numpy(dtype=float)
    mean, low, high = mean_band(samples, confidence)
    exponent = fit_exponent(x, samples, confidence)
    algorithm = str(rows[R.ALGORITHM].iloc[0])
    bound = main_bound(algorithm, quantity, bound_params(rows))
    proven = None if bound is None else float(bound.exponents[quantity])
    slope = sweep_slope(bound, protocol, rows, x_column, x)
    voided = voided_by(bound, violated_assumptions(rows))
    return RateSummary(
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
        slope,
        voided,
        "" if bound is None else bound.theorem,
    )


def rates(
    frame: pd.DataFrame,
    protocol: Protocol,
    parameters: Sequence[str],
    *,
    confidence: float,
) -> list[RateSummary]:
    """For each swept env parameter: per (other settings, label) the protocol's bounded metric
    at the last axis point against the parameter's quantity, with the log-log exponent and its
    jackknife-t interval (each seed left out jointly across the parameter values)."""
    out = []
    final = final_rows(frame, protocol)
    for parameter in parameters:
        column = R.ENV_PREFIX + parameter
        if column not in final:
            continue
        rows_with = final[final[column].notna()]
        if not pd.api.types.is_numeric_dtype(rows_with[column]):
            continue  # a categorical sweep (e.g. a delay kind) has no rate
        x_column, quantity = swept_quantity(rows_with, parameter)
        keys = group_keys(rows_with, [column])
        for (group, label), rows in rows_with.groupby([keys, R.LABEL]):
            names = (parameter, quantity, group, label)
            rate = _rate(rows, protocol, names, x_column, confidence)
            if rate is not None:
                out.append(rate)
    return out


def episode_rates(
    frame: pd.DataFrame,
    protocol: Protocol,
    tied: Sequence[str],
    *,
    confidence: float,
) -> list[RateSummary]:
    """Across a sweep of ``episodes`` (one run per K): per (environment and its untied
    parameters, label) the bounded metric at each run's last point against that run's K, the
    fitted exponent with its jackknife-t interval, and the main bound's leading exponent and its
    slope across the same K (each run's instance and iota at its own K) — what a sqrt(K)
    minimax bound predicts."""
    final = final_rows(frame, protocol)
    axis, quantity = protocol.axis.column, protocol.axis.quantity
    keys = group_keys(final, [R.ENV_PREFIX + name for name in tied])
    out = []
    for (group, label), rows in final.groupby([keys, R.LABEL]):
        names = ("episodes", quantity, group, label)
        rate = _rate(rows, protocol, names, axis, confidence)
        if rate is not None:
            out.append(rate)
    return out
