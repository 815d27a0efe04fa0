"""HF-UCRL-VTR+ (Zhou & Gu 2022) and the proof-event monitor of the value-targeted learners.

Algorithm (Zhou & Gu 2022, Alg. 1, with HOME as reproduced in Zhao et al. 2023, Alg. 5): M moment
levels share one data stream; at step h of episode k level m receives the regressor
``phi_{k,h,m} = phi_{V_{k,h+1}^(2^m)}(s_h, a_h)``, the target ``V_{k,h+1}(s_{h+1})^(2^m)`` and the
weight ``1/sigma_bar^2_{k,h,m}`` of :func:`rltheory.algos._vtr.home_variances`; all H steps go
into the same M estimators, which are frozen (``Sigma_hat_m``, ``theta_hat_m``) at episode ends.
Planning uses level 0:
``Q = clip_[0,1](r + <theta_hat_0, phi_V> + beta_k ||phi_V||_{Sigma_hat_0^-1})``.

Hyperparameters and their status (each a named ``Config`` field; None = the default below):

- ``gamma = d^(-1/4)``, ``lam = d / B^2``: Zhao et al. 2023 (the thesis theorem), same as Zhou &
  Gu 2022 by recollection only (unverified).
- ``xi`` (variance floor): default ``H^(-1/2)``, Zhao et al.'s alpha; Zhou & Gu's own value
  (recalled as ``sqrt(d/(K H))``) is unverified.
- ``n_levels`` (M): default ``ceil(log(7 K H) / log 2)`` (Zhao et al.); Zhou & Gu's
  (recalled as ``ceil(log2(4 K H))``) is unverified.
- ``beta_k``: :func:`rltheory.algos._vtr.bernstein_radius` (Zhao et al.'s constants), times
  ``beta_scale``. The theorem holds with probability at least ``1 - delta``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos import _vtr
from rltheory.algos.protocols import Problem
from rltheory.algos.registry import register
from rltheory.algos.ucrl_vtr import ZHOUGU2022, VTRConfig, VTRCore
from rltheory.algos.vtr_events import HF_UCRL_VTR_MONITOR
from rltheory.mdp import FiniteHorizonMDP, optimal


@register(
    "hf-ucrl-vtr-plus",
    requires=("mixture", "finite-horizon", "time-homogeneous", "unit-total-reward"),
    citation=ZHOUGU2022,
    summary="HF-UCRL-VTR+: M levels of variance- and uncertainty-weighted VTR (HOME weights), "
    "horizon-free; unverified defaults: xi = H^-1/2, M = ceil(log2(7KH)) (Zhao et al. 2023 "
    "values), gamma = d^-1/4, lam = d/B^2",
    # on the conformance instance every unsaturated radius is greedy-optimal from episode 1, so
    # the policy changes only among the saturated ties: the batch and additivity checks then
    # exercise the generator state; the estimator is checked in tests/algos/test_ucrl_vtr.py
    smoke={"beta": 5.0, "tie_break": "random"},
    monitor=HF_UCRL_VTR_MONITOR,
)
class HFUCRLVTRPlus(VTRCore):
    """HF-UCRL-VTR+ (Zhou & Gu 2022) on a time-homogeneous linear mixture MDP, values in [0, 1].

    With ``n_levels = 1`` and ``gamma = 0`` every weight is ``max(1, xi^2) = 1`` and the learner
    is UCRL-VTR with the same radius (tests/algos/test_ucrl_vtr.py checks this bit for bit).
    """

    @dataclass(frozen=True)
    class Config(VTRConfig):
        """``xi``, ``gamma``, ``lam``, ``n_levels``: see the module docstring (None = default)."""

        xi: float | None = None
        gamma: float | None = None
        lam: float | None = None
        n_levels: int | None = None

        def __post_init__(self) -> None:
            super().__post_init__()
            if self.xi is not None and not 0 < self.xi <= 1:
                raise ValueError(f"xi must be in (0, 1] (or None), got {self.xi}")
            if self.gamma is not None and not self.gamma >= 0:
                raise ValueError(f"gamma must be >= 0 (or None), got {self.gamma}")
            if self.lam is not None and not self.lam > 0:
                raise ValueError(f"lam must be > 0 (or None for d/B^2), got {self.lam}")
            if self.n_levels is not None and (
                isinstance(self.n_levels, bool)
                or not isinstance(self.n_levels, int)
                or self.n_levels < 1
            ):
                raise ValueError(f"n_levels must be an int >= 1 (or None), got {self.n_levels}")
            if self.gamma == 0 and self.beta is None:
                raise ValueError("gamma = 0 needs an explicit beta (beta_k divides by gamma^2)")

    def __init__(self, problem: Problem, config: Config, rngs: Sequence[np.random.Generator]):
        horizon, dim = problem.horizon or 1, problem.mixture_dim or 1
        self.xi = 1.0 / math.sqrt(horizon) if config.xi is None else float(config.xi)
        self.gamma = dim**-0.25 if config.gamma is None else float(config.gamma)
        super().__init__(problem, config, rngs)

    def levels(self) -> int:
        if self.config.n_levels is not None:
            return self.config.n_levels
        return math.ceil(math.log(7.0 * self.problem.n_episodes * self.horizon) / math.log(2.0))

    def ridge(self) -> float:
        return self.dim / self.norm_bound**2 if self.config.lam is None else self.config.lam

    def radius(self, k: int) -> np.ndarray:
        if self.config.beta is not None:
            return self._explicit_or(0.0)  # the explicit beta
        formula = _vtr.bernstein_radius(
            k,
            dim=self.dim,
            horizon=self.horizon,
            xi=self.xi,
            gamma=self.gamma,
            lam=self.lam,
            norm_bound=self.norm_bound,
            delta=self.config.delta,
        )
        return self._explicit_or(formula)

    def weights(self, regressors: np.ndarray) -> np.ndarray:
        return _vtr.home_variances(
            regressors,
            self._theta,
            self._frozen_inverse,
            self._inverse,
            self.beta,
            self.xi,
            self.gamma,
        )


# ---------------------------------------------------------------------------- proof events
def monitor(model: FiniteHorizonMDP, learner: VTRCore) -> dict[str, np.ndarray]:
    """The events Zhou & Gu's proof conditions on, evaluated exactly on ``model`` for the learner's
    state before its next episode (every entry ``[B]``):

    - ``confidence_ratio``: ``max_m ||theta_hat_m - theta*||_{Sigma_hat_m} / beta_k``;
      ``confidence``: that ratio <= 1 (theta* in every level's ellipsoid);
    - ``optimism_gap``: ``min_{h,s,a} Q_{k,h}(s,a) - Q*_h(s,a)``;
      ``optimistic``: gap >= -1e-9;
    - ``variance_gap``: ``min_{h,s,a,m<M-1} (Vbar_m + E_m) - Var[V_{k,h+1}^(2^m)(s')]`` with
      ``s' ~ P(.|s,a)``
      (the learner's variance estimate against the exact variance under the true kernel; +inf
      when M = 1); ``variance_covered``: gap >= -1e-9. On the confidence event it holds surely.
    """
    theta_star = np.asarray(model.transitions.theta)
    if theta_star.shape[0] != 1 or learner.n_groups != 1:
        raise ValueError(
            "monitor needs a time-homogeneous linear mixture model (one theta) and a pooled learner"
        )
    error = learner.estimates - theta_star[0]  # [B, M, d]
    quad = (error[..., None, :] @ learner.frozen_gram @ error[..., :, None])[..., 0, 0]
    distance = np.sqrt(np.maximum(quad, 0.0)).max(-1)
    beta = learner.beta
    ratio = np.divide(distance, beta, out=np.where(distance > 0, np.inf, 0.0), where=beta > 0)
    q_star = optimal(model).q
    gap = (learner.q_values() - q_star).reshape(learner.n_seeds, -1).min(-1)
    return {
        "confidence_ratio": ratio,
        "confidence": ratio <= 1.0,
        "optimism_gap": gap,
        "optimistic": gap >= -1e-9,
        **_variance_events(model, learner),
    }


def _variance_events(model: FiniteHorizonMDP, learner: VTRCore) -> dict[str, np.ndarray]:
    n_seeds, n_levels, dim = learner.n_seeds, learner.n_levels, learner.dim
    if n_levels == 1:
        gap = np.full(n_seeds, np.inf)
        return {"variance_gap": gap, "variance_covered": np.ones(n_seeds, dtype=bool)}
    values = learner.values()
    theta = learner.estimates[:, None]  # [B, 1, M, d]
    inverse = learner.frozen_inverse[:, None]  # [B, 1, M, d, d]
    beta = learner.beta[:, None]
    gap = np.full(n_seeds, np.inf)
    for h in range(learner.horizon):
        powers = _vtr.value_powers(values[:, h + 1], n_levels)  # [B, M, S]
        flat = powers.reshape(n_seeds * n_levels, -1)
        regressors = _vtr.integrate(learner._psi_t, flat, dim)  # [B·M, S·A, d]
        regressors = np.swapaxes(regressors.reshape(n_seeds, n_levels, -1, dim), 1, 2)
        estimate = _vtr.variance_upper_estimate(regressors, theta, inverse, beta)  # [B, SA, M-1]
        mean = model.transitions.expect(powers).reshape(n_seeds, n_levels, -1)  # [B, M, S·A]
        true = mean[:, 1:] - mean[:, :-1] ** 2
        slack = estimate - np.swapaxes(true, 1, 2)
        gap = np.minimum(gap, slack.reshape(n_seeds, -1).min(-1))
    return {"variance_gap": gap, "variance_covered": gap >= -1e-9}
