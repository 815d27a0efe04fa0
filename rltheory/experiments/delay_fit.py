"""Fit DAPO's regret shape ``a sqrt K + b sqrt D_K + c`` (exponents unverified) by least squares.

DAPO's bound (Lancewicki, Rosenberg, Sotnikov 2023) could not be read; the shape
``a sqrt K + b sqrt D_K`` is our reading of "near-optimal" delayed-feedback regret. Fitting a and b
across delay profiles tests the shape: b should be stable across profiles (fixed, geometric,
heavy-tailed), and the no-skipping ablation should need a much larger b under heavy tails.
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
