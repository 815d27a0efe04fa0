"""Fit DAPO's regret shape ``a sqrt K + b sqrt D_K + c`` (exponents unverified) by least squares.

DAPO's bound (Lancewicki, Rosenberg, Sotnikov 2023) could not be read; the shape
``a sqrt K + b sqrt D_K`` is our reading of "near-optimal" delayed-feedback regret. Fitting a and b
across delay profiles tests the shape: b should be stable across profiles (fixed, geometric,
heavy-tailed), and the no-skipping ablation should need a much larger b under heavy tails.

Identifiability: for a stationary delay process ``D_K`` grows like ``mean delay · K``, so within
one profile ``sqrt D_K`` is nearly proportional to ``sqrt K`` and a per-profile fit cannot
separate a from b. :func:`fit_joint` fits one ``(a, b, c)`` across profiles with different mean
delays (the zero-delay profile pins a) and reports each profile's residual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls


@dataclass(frozen=True)
class DelayShapeFit:
    """Nonnegative coefficients of ``regret ~ a sqrt K + b sqrt D_K + c`` and the RMS residual."""

    a: float
    b: float
    c: float
    residual: float


def fit_delay_shape(
    episodes: np.ndarray, incurred: np.ndarray, regret: np.ndarray
) -> DelayShapeFit:
    """Nonnegative least squares of ``regret`` on ``[sqrt K, sqrt D_K, 1]`` (1-d arrays alike)."""
    episodes, incurred, regret = (np.asarray(x, dtype=float) for x in (episodes, incurred, regret))
    if not episodes.shape == incurred.shape == regret.shape or episodes.ndim != 1:
        raise ValueError(
            "episodes, incurred delay and regret must be 1-d arrays of one length, got "
            f"{episodes.shape}, {incurred.shape}, {regret.shape}"
        )
    design = np.stack([np.sqrt(episodes), np.sqrt(incurred), np.ones_like(episodes)], axis=1)
    coefficients, norm = nnls(design, regret)
    return DelayShapeFit(*map(float, coefficients), float(norm / np.sqrt(regret.size)))


def fit_profiles(frame: pd.DataFrame, group: str = "setting") -> pd.DataFrame:
    """One fit per (``group``, label) of a delayed-protocol frame (mean regret over seeds at each
    checkpoint against ``episode`` and ``delay_incurred``): columns a, b, c, residual."""
    rows = []
    for (key, label), part in frame.groupby([group, "label"], sort=True):
        mean = part.groupby("episode").agg(regret=("regret", "mean"), D=("delay_incurred", "first"))
        fit = fit_delay_shape(
            mean.index.to_numpy(), mean["D"].to_numpy(), mean["regret"].to_numpy()
        )
        rows.append({group: key, "label": label, **fit.__dict__})
    return pd.DataFrame(rows)


def _mean_curves(frame: pd.DataFrame, group: str):
    for (key, label), part in frame.groupby([group, "label"], sort=True):
        mean = part.groupby("episode").agg(regret=("regret", "mean"), D=("delay_incurred", "first"))
        yield key, label, mean.index.to_numpy(), mean["D"].to_numpy(), mean["regret"].to_numpy()


def fit_joint(frame: pd.DataFrame, group: str = "setting") -> tuple[pd.DataFrame, pd.DataFrame]:
    """One fit per label across all ``group`` values (shared a, b, c), and the RMS residual of
    each (group, label) curve under it: ``(coefficients, residuals)`` frames."""
    curves = list(_mean_curves(frame, group))
    coefficients, residuals = [], []
    for label in sorted({c[1] for c in curves}):
        mine = [c for c in curves if c[1] == label]
        stacked = [np.concatenate([c[i] for c in mine]) for i in (2, 3, 4)]
        fit = fit_delay_shape(*stacked)
        coefficients.append({"label": label, **fit.__dict__})
        for key, _, episodes, incurred, regret in mine:
            model = fit.a * np.sqrt(episodes) + fit.b * np.sqrt(incurred) + fit.c
            rms = float(np.sqrt(np.mean((model - regret) ** 2)))
            residuals.append({group: key, "label": label, "residual": rms})
    return pd.DataFrame(coefficients), pd.DataFrame(residuals)
