"""Distributionally robust baselines on d-rectangular uncertainty sets: DRPVI and DRVI-L.

Both run the pessimistic backward pass of :mod:`rltheory.algos._pessimism` with known rewards and
the d-rectangular penalty ``beta sum_i ||phi_i 1_i||_{Lambda_h^{-1}}``; only the estimate of the
worst-case next value differs (``hat mu_h = Lambda_h^{-1} sum_tau phi_tau e_{s'_tau}^T``):

- DRPVI (Liu & Xu, NeurIPS 2024; TV ball of radius ``rho_i``):
  ``hat w_{h,i} = max_{alpha in [0, H]} (hat mu_h [hat V_{h+1}]_alpha)_i - rho_i (alpha - min_s hat
  V_{h+1}(s))``, maximised exactly at a breakpoint (the authors of Tang et al. 2025 use
  Nelder-Mead from H/2, which is local);
- DRVI-L (Ma et al. 2022; KL ball of radius ``rho_i > 0``):
  ``hat w_{h,i} = sup_{alpha > 0} -alpha log max((hat mu_h e^{-hat V_{h+1}/alpha})_i, floor) -
  alpha rho_i``, by a log-grid scan and golden-section refinement.

``rho`` is a scalar, one radius per coordinate ``[d]``, or one row per step ``[H][d]`` (Tang et
al.'s simulated runs perturb only coordinate 4 at step 1). Not verified in the papers [D]:
``beta = 1`` (the authors' code value; no theory value is reproduced here), the ``alpha`` range of
DRVI-L, ``[1e-9 s, s / rho]`` with ``s`` the spread of ``hat V_{h+1}``, and its clip
``floor = 1e-6`` of the inner estimate (the authors' code).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory.algos._pessimism import Estimator, PessimisticLearner, StepStatistics, check_common
from rltheory.algos.registry import register
from rltheory.mdp import duals

LIUXU2024 = (
    "Liu & Xu. Minimax optimal and computationally efficient algorithms for distributionally "
    "robust offline reinforcement learning. NeurIPS 2024 (arXiv:2403.09621), DRPVI"
)
MA2022 = (
    "Ma, Liang, Blanchet, Liu, Wang, Zhou, Chen. Distributionally robust offline reinforcement "
    "learning with linear function approximation. arXiv:2209.06620 (2022), DRVI-L"
)


def _radii(rho, horizon: int, dim: int) -> np.ndarray:
    """``rho`` as ``[H, d]`` (from a scalar, ``[d]`` or ``[H][d]``)."""
    array = np.asarray(rho, dtype=float)
    if array.ndim == 0 or array.shape == (dim,):
        return np.broadcast_to(array, (horizon, dim))
    if array.shape == (horizon, dim):
        return array
    raise ValueError(
        f"rho must be a scalar, [d={dim}] or [H={horizon}][d={dim}]; got {array.shape}"
    )


@dataclass(frozen=True)
class RobustConfig:
    """``rho``: radius (scalar, [d] or [H][d]); ``beta``: penalty scale [D: authors' code value];
    ``ridge``: gamma; ``penalty``: penalty shape (Liu & Xu: d-rectangular); ``floor``: ``(.)^+``."""

    rho: float | tuple = 0.1
    beta: float = 1.0
    ridge: float = 1.0
    penalty: str = "d-rectangular"
    floor: bool = True

    def __post_init__(self) -> None:
        check_common(self)
        array = np.asarray(self.rho, dtype=float)
        if array.ndim > 2 or not np.all(np.isfinite(array)) or np.any(array < 0):
            raise ValueError(f"rho must be finite, >= 0, at most [H][d]; got {self.rho!r}")
        if isinstance(self.rho, list):  # TOML arrays: keep the config hashable
            object.__setattr__(self, "rho", _as_tuple(self.rho))


def _as_tuple(value):
    return tuple(_as_tuple(v) for v in value) if isinstance(value, list | tuple) else value


class _BallLearner(PessimisticLearner):
    def beta(self, n_data: int) -> float:
        return float(self.config.beta)

    def radii(self) -> np.ndarray:
        return _radii(self.config.rho, self.horizon, self.features.shape[-1])


@register(
    "drpvi",
    requires=("feature-map", "finite-horizon"),
    citation=LIUXU2024 + "; exact breakpoint maximiser; beta = 1 is not from the paper",
    summary="DRPVI: pessimistic LSVI on a d-rectangular TV uncertainty set (exact dual)",
)
class DRPVI(_BallLearner):
    """DRPVI (Liu & Xu 2024) with the exact breakpoint maximiser of the TV-ball dual."""

    @dataclass(frozen=True)
    class Config(RobustConfig):
        def __post_init__(self) -> None:
            super().__post_init__()
            if np.any(np.asarray(self.rho, dtype=float) > 1):
                raise ValueError(f"a TV radius rho lies in [0, 1], got {self.rho!r}")

    def estimator(self, statistics: StepStatistics) -> Estimator:
        rho, horizon = self.radii(), float(self.horizon)

        def estimate(h: int, v_next: np.ndarray) -> np.ndarray:
            return duals.tv_ball(statistics.measure[:, h], v_next, rho[h], lo=0.0, hi=horizon)

        return estimate


@register(
    "drvi-l",
    requires=("feature-map", "finite-horizon"),
    citation=MA2022 + "; 1-D solve by grid and golden section; beta, alpha range, clip [D]",
    summary="DRVI-L: pessimistic LSVI on a d-rectangular KL uncertainty set (1-D dual solve)",
)
class DRVIL(_BallLearner):
    """DRVI-L (Ma et al. 2022) with a vectorized 1-D solve of the KL-ball dual."""

    @dataclass(frozen=True)
    class Config(RobustConfig):
        """``floor``-clip ``inner_floor`` of the estimate ``hat mu_h e^{-V/alpha}`` [D]."""

        inner_floor: float = 1e-6

        def __post_init__(self) -> None:
            super().__post_init__()
            if np.any(np.asarray(self.rho, dtype=float) <= 0):
                raise ValueError(f"a KL radius rho must be > 0, got {self.rho!r}")
            if not 0 < self.inner_floor < 1:
                raise ValueError(f"inner_floor must be in (0, 1), got {self.inner_floor}")

    def estimator(self, statistics: StepStatistics) -> Estimator:
        rho, floor = self.radii(), self.config.inner_floor

        def estimate(h: int, v_next: np.ndarray) -> np.ndarray:
            return duals.kl_ball(statistics.measure[:, h], v_next, rho[h], floor)

        return estimate
