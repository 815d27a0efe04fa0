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

``rho`` is one radius; ``rho_coordinate`` and ``rho_step`` (1-based, None = all) restrict it to
one coordinate and/or one step, the other radii being 0 (Tang et al.'s simulated runs perturb
only coordinate 4 at step 1: ``rho_coordinate = 4, rho_step = 1``). Not verified in the papers [D]:
``beta = 1`` (the authors' code value; no theory value is reproduced here), the ``alpha`` range of
DRVI-L, ``[1e-9 s, s / rho]`` with ``s`` the spread of ``hat V_{h+1}``, and its clip
``floor = 1e-6`` of the inner estimate (the authors' code).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory.algos._pessimism import Estimator, PessimisticLearner, StepStatistics, check_common
from rltheory.algos.registry import register
from rltheory.mdp import RobustMDP, duals
from rltheory.mdp.robust import robust_or_none as _robust_or_none

LIUXU2024 = (
    "Liu & Xu. Minimax optimal and computationally efficient algorithms for distributionally "
    "robust offline reinforcement learning. NeurIPS 2024 (arXiv:2403.09621), DRPVI"
)
MA2022 = (
    "Ma et al. Distributionally robust offline reinforcement learning with linear function "
    "approximation. arXiv:2209.06620 (2022), DRVI-L [M: reference from memory, not verified]"
)


@dataclass(frozen=True)
class RobustConfig:
    """``rho``: radius; ``rho_coordinate``/``rho_step``: restrict it to one coordinate / step
    (1-based; None = all); ``beta``: penalty scale [D: authors' code value]; ``ridge``: gamma;
    ``penalty``: penalty shape (Liu & Xu: d-rectangular); ``floor``: the ``(.)^+``."""

    rho: float = 0.1
    rho_coordinate: int | None = None
    rho_step: int | None = None
    beta: float = 1.0
    ridge: float = 1.0
    penalty: str = "d-rectangular"
    floor: bool = True

    def __post_init__(self) -> None:
        check_common(self)
        if not (np.isfinite(self.rho) and self.rho >= 0):
            raise ValueError(f"rho must be finite and >= 0, got {self.rho!r}")
        for name in ("rho_coordinate", "rho_step"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ValueError(f"{name} must be a 1-based index or None, got {value!r}")

    def radii(self, horizon: int, dim: int) -> np.ndarray:
        """The radius of every (step, coordinate): ``[H, d]``."""
        for name, value, size in (
            ("rho_step", self.rho_step, horizon),
            ("rho_coordinate", self.rho_coordinate, dim),
        ):
            if value is not None and value > size:
                raise ValueError(f"{name} = {value} exceeds {size}")
        rows = (
            np.ones(horizon, bool)
            if self.rho_step is None
            else np.arange(horizon) == self.rho_step - 1
        )
        cols = (
            np.ones(dim, bool)
            if self.rho_coordinate is None
            else np.arange(dim) == self.rho_coordinate - 1
        )
        return self.rho * (rows[:, None] & cols[None, :])


class _BallLearner(PessimisticLearner):
    def beta(self, n_data: int) -> float:
        return float(self.config.beta)

    def radii(self) -> np.ndarray:
        return self.config.radii(self.horizon, self.features.shape[-1])

    def criterion(self, model) -> RobustMDP | None:
        """The d-DRMDP whose exact robust value this learner targets (None when the radius
        differs across steps or is 0, or when the model is not d-rectangular)."""
        if self.config.rho_step is not None or self.config.rho == 0:
            return None
        radius = self.radii()[0] if self.config.rho_coordinate is not None else self.config.rho
        return _robust_or_none(model, self.divergence, radius, "constrained")


@register(
    "drpvi",
    requires=("feature-map", "finite-horizon"),
    citation=LIUXU2024 + "; exact breakpoint maximiser; beta = 1 is not from the paper",
    summary="DRPVI: pessimistic LSVI on a d-rectangular TV uncertainty set (exact dual)",
)
class DRPVI(_BallLearner):
    """DRPVI (Liu & Xu 2024) with the exact breakpoint maximiser of the TV-ball dual."""

    divergence = "tv"

    @dataclass(frozen=True)
    class Config(RobustConfig):
        def __post_init__(self) -> None:
            super().__post_init__()
            if self.rho > 1:
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

    divergence = "kl"

    @dataclass(frozen=True)
    class Config(RobustConfig):
        """``inner_floor``: lower clip of the estimate ``hat mu_h e^{-V/alpha}`` [D]."""

        inner_floor: float = 1e-6

        def __post_init__(self) -> None:
            super().__post_init__()
            if self.rho <= 0 or self.rho_coordinate is not None or self.rho_step is not None:
                raise ValueError(f"DRVI-L needs one radius rho > 0 everywhere, got {self.rho!r}")
            if not 0 < self.inner_floor < 1:
                raise ValueError(f"inner_floor must be in (0, 1), got {self.inner_floor}")

    def estimator(self, statistics: StepStatistics) -> Estimator:
        rho, floor = self.radii(), self.config.inner_floor

        def estimate(h: int, v_next: np.ndarray) -> np.ndarray:
            return duals.kl_ball(statistics.measure[:, h], v_next, rho[h], floor)

        return estimate
