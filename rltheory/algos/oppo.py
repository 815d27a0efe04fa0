"""OPPO: optimistic proximal policy optimization for adversarial linear mixture MDPs.

Paper: Q. Cai, Z. Yang, C. Jin, Z. Wang, "Provably Efficient Exploration in Policy
Optimization", ICML 2020 (arXiv:1912.05830). Setting (abstract, verified): episodic MDP with
linear function approximation, unknown transitions, adversarial rewards with full-information
feedback; regret ``O~(sqrt(d² H³ T))``. Kernel: a linear mixture
``P_h(s'|s,a) = <psi(s'|s,a), theta_h>`` with known basis ``psi`` (``Problem.mixture_basis``).
Losses are minimized here (costs ``l = 1 - r``); optimism lowers the estimated cost.

Algorithm (remembered form, UNVERIFIED [M]; 0-based steps). ``pi_0`` uniform. After episode
``j``'s feedback (trajectory and the whole loss table ``l^j``) arrives at the end of episode k,
one backward pass with the current policy ``pi_k`` and ``V_H = 0``, for ``h = H-1..0``:

1. ``phi_V(s,a) = sum_s' psi(s'|s,a) V_{h+1}(s')`` (the integration map, ``[S, A, d]``);
2. ``eta = phi_V(s^j_h, a^j_h)``, ``y = V_{h+1}(s^j_{h+1})``;
   ``Lambda_h += eta eta^T`` (``Lambda_h = lam I`` initially), ``b_h += eta y``;
3. ``theta_hat_h = Lambda_h^{-1} b_h``;
4. ``Q_h = clip(l^j_h + <phi_V, theta_hat_h> - beta ||phi_V||_{Lambda_h^{-1}}, 0, H - h)``;
5. ``V_h(s) = <pi_k,h(.|s), Q_h(s, .)>``;

then the mirror-descent (KL) step ``pi_{k+1,h}(.|s) ∝ pi_{k,h}(.|s) exp(-alpha Q_h(s, .))``,
once per arriving item (in arrival order). Without delays this is OPPO's per-episode
evaluate-then-improve loop; with delays each item is evaluated when it arrives.

Defaults: ``alpha = sqrt(2 log A / (H² K))`` ([M], remembered), ``lam = 1``,
``beta = d H sqrt(log(d H K / delta))`` ([M]: OPPO's confidence radius has this order; its
constant is unverified), ``delta = 0.1``. Cost per item: ``O(H (S² A d + S A d²))``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos._linalg import cholesky_inverse, elliptical_bonus
from rltheory.algos._po import softmax_policy
from rltheory.algos.po_events import OPPO_MONITOR
from rltheory.algos.protocols import AdversarialAlgorithm, Feedback, Problem
from rltheory.algos.registry import register


@dataclass(frozen=True)
class OPPOConfig:
    """Hyperparameters; None gives the default of the module docstring."""

    alpha: float | None = None
    beta: float | None = None
    lam: float = 1.0
    delta: float = 0.1

    def __post_init__(self) -> None:
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ValueError(f"parameter '{name}' must be >= 0, got {value}")
        if not self.lam > 0:
            raise ValueError(f"parameter 'lam' must be > 0, got {self.lam}")
        if not 0 < self.delta < 1:
            raise ValueError(f"parameter 'delta' must lie in (0, 1), got {self.delta}")


def integrate(basis: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``phi_V(s,a) = sum_s' psi(s'|s,a) V(s')``: ``basis [S, A, S, d]``, ``values [B, S]`` ->
    ``[B, S, A, d]`` (elementwise products and a last-axis sum: batch-independent rounding)."""
    return (basis[None] * values[:, None, None, :, None]).sum(-2)


def optimistic_evaluation(
    basis: np.ndarray,
    loss: np.ndarray,
    policy: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    gram: np.ndarray,
    target: np.ndarray,
    beta: float,
) -> np.ndarray:
    """One OPPO backward pass (steps 1-5 of the module docstring) for one arriving item.

    ``loss [H, S, A]``, ``policy [B, H, S, A]``, ``states [B, H+1]``, ``actions [B, H]``; the
    statistics ``gram [B, H, d, d]`` and ``target [B, H, d]`` are updated in place. Returns
    ``Q [B, H, S, A]``.
    """
    n_seeds, horizon = actions.shape
    seeds = np.arange(n_seeds)
    q = np.empty(policy.shape)
    v_next = np.zeros((n_seeds, basis.shape[0]))
    for h in range(horizon - 1, -1, -1):
        phi_v = integrate(basis, v_next)  # [B, S, A, d]
        eta = phi_v[seeds, states[:, h], actions[:, h]]  # [B, d]
        gram[:, h] += eta[:, :, None] * eta[:, None, :]
        target[:, h] += eta * v_next[seeds, states[:, h + 1]][:, None]
        linv = cholesky_inverse(gram[:, h])  # [B, d, d]
        theta = (linv @ target[:, h, :, None])[..., 0]  # [B, d]
        flat = phi_v.reshape(n_seeds, -1, phi_v.shape[-1])  # [B, S*A, d]
        quadratic = ((flat @ linv) * flat).sum(-1).reshape(phi_v.shape[:-1])
        mean = (phi_v * theta[:, None, None, :]).sum(-1)
        q_h = loss[h] + mean - elliptical_bonus(quadratic, beta)
        q[:, h] = np.clip(q_h, 0.0, horizon - h)
        v_next = (policy[:, h] * q[:, h]).sum(-1)
    return q


@register(
    "oppo",
    requires=("mixture",),
    citation="Cai, Yang, Jin, Wang 2020 (ICML), arXiv:1912.05830; algorithm box and constants "
    "unverified [M] (evaluation/update form, alpha, beta)",
    summary="optimistic PPO, full information, linear mixture: ridge value-targeted evaluation "
    "with an elliptical bonus, KL mirror-descent step",
    monitor=OPPO_MONITOR,
)
class OPPO(AdversarialAlgorithm):
    """OPPO (Cai et al. 2020) for full-information adversarial linear mixture MDPs."""

    Config = OPPOConfig
    full_information = True

    def __init__(self, problem: Problem, config: OPPOConfig, rngs: Sequence[np.random.Generator]):
        super().__init__(problem, config, rngs)
        if problem.mixture_basis is None:
            raise ValueError("OPPO needs a linear-mixture basis psi (Problem.mixture_basis)")
        p = problem
        dim = p.mixture_basis.shape[-1]
        k, h, a = p.n_episodes, p.horizon, p.n_actions
        self.alpha = (
            math.sqrt(2.0 * math.log(max(a, 2)) / (h * h * k))
            if config.alpha is None
            else float(config.alpha)
        )
        self.beta = (
            dim * h * math.sqrt(math.log(dim * h * k / config.delta))
            if config.beta is None
            else float(config.beta)
        )
        self.logits = np.zeros((self.n_seeds, h, p.n_states, a))
        self.last_evaluation: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        """``(Q, loss, policy)`` of the last evaluated item (for the proof-event monitor)."""
        self.gram = np.broadcast_to(config.lam * np.eye(dim), (self.n_seeds, h, dim, dim)).copy()
        self.target = np.zeros((self.n_seeds, h, dim))

    def policy(self) -> np.ndarray:
        return softmax_policy(self.logits)

    def estimates(self) -> np.ndarray:
        """Ridge estimates ``theta_hat_h = Lambda_h^{-1} b_h``: ``[B, H, d]``."""
        return np.linalg.solve(self.gram, self.target[..., None])[..., 0]

    def update(self, arrivals: Sequence[Feedback]) -> None:
        for item in self.checked_arrivals(arrivals):
            loss, policy = np.asarray(item.loss_table, dtype=float), softmax_policy(self.logits)
            q = optimistic_evaluation(
                self.problem.mixture_basis,
                loss,
                policy,
                np.asarray(item.states),
                np.asarray(item.actions),
                self.gram,
                self.target,
                self.beta,
            )
            self.last_evaluation = (q, loss, policy)
            self.logits -= self.alpha * q
