"""PEVI: pessimistic value iteration for offline linear MDPs (Jin, Yang, Wang, ICML 2021).

Algorithm 2 (linear MDP), for h = H..1 (0-based in arrays)::

    Lambda_h = lam I + sum_tau phi_tau phi_tau^T
    hat w_h = Lambda_h^{-1} sum_tau phi_tau (r_h^tau + hat V_{h+1}(s_{h+1}^tau))
    Gamma_h = beta (phi^T Lambda_h^{-1} phi)^{1/2}
    hat Q_h = min(<phi, hat w_h> - Gamma_h, H - h + 1)^+,   hat V_h = max_a hat Q_h

with ``lam = 1`` and ``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / p)`` (Theorem 4.4; ``c``
is the paper's unspecified absolute constant [M], ``c = 1`` here). Named options: ``reward="known"``
adds the known reward table and regresses only ``hat V_{h+1}`` (the reward handling of R2PVI, so
that R2PVI with ``lam -> infinity`` can be compared with the same penalty), and the penalty shapes
of :data:`rltheory.algos._pessimism.PENALTIES`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rltheory.algos._pessimism import Estimator, PessimisticLearner, StepStatistics, check_common
from rltheory.algos.registry import register
from rltheory.mdp import duals

JIN2021 = (
    "Jin, Yang, Wang. Is pessimism provably efficient for offline RL? ICML 2021 "
    "(arXiv:2012.15085), Algorithm 2 and Theorem 4.4"
)


def pevi_beta(c: float, d: int, horizon: int, n_data: int, p: float) -> float:
    """Theorem 4.4's ``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / p)``."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"failure probability p must be in (0, 1), got {p}")
    return c * d * horizon * math.sqrt(math.log(2 * d * horizon * n_data / p))


@register(
    "pevi",
    requires=("feature-map", "finite-horizon"),
    citation=JIN2021 + " [M: numbering from memory]; c = 1 in beta (the constant is not given)",
    summary="PEVI: pessimistic LSVI with an elliptical penalty (non-robust baseline)",
)
class PEVI(PessimisticLearner):
    """PEVI, Jin, Yang, Wang 2021, Algorithm 2 (rewards regressed unless ``reward="known"``)."""

    @dataclass(frozen=True)
    class Config:
        """``beta`` (None: Theorem 4.4 with ``c`` and ``p``); ``ridge``: lam (paper: 1);
        ``penalty``: "elliptical" (paper) | "d-rectangular" | "l2-diagonal"; ``reward``:
        "regressed" (paper) | "known"; ``floor``: the ``(.)^+`` (paper: True)."""

        beta: float | None = None
        c: float = 1.0
        p: float = 0.05
        ridge: float = 1.0
        penalty: str = "elliptical"
        reward: str = "regressed"
        floor: bool = True

        def __post_init__(self) -> None:
            check_common(self)
            if self.reward not in ("regressed", "known"):
                raise ValueError(f"reward must be 'regressed' or 'known', got {self.reward!r}")
            if not 0.0 < self.p < 1.0:
                raise ValueError(f"p must be in (0, 1), got {self.p}")

    def beta(self, n_data: int) -> float:
        cfg = self.config
        if cfg.beta is not None:
            return float(cfg.beta)
        return pevi_beta(cfg.c, self.features.shape[-1], self.horizon, n_data, cfg.p)

    def criterion(self, model) -> None:
        """PEVI targets the nominal value (no robust criterion)."""
        return None

    def known_rewards(self) -> np.ndarray:
        if self.config.reward == "known":
            return super().known_rewards()
        return np.zeros((self.horizon, *self.features.shape[:2]))

    def estimator(self, statistics: StepStatistics) -> Estimator:
        regressed = self.config.reward == "regressed"

        def estimate(h: int, v_next: np.ndarray) -> np.ndarray:
            w = duals.expectation(statistics.measure[:, h], v_next)
            return w + statistics.reward_weights[:, h] if regressed else w

        return estimate
