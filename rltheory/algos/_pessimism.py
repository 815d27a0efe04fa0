"""Shared core of pessimistic value iteration on offline data (R2PVI, PEVI, DRPVI, DRVI-L).

Per-step ridge statistics, the penalty shapes, the backward pass and the learner base class.

For each seed b and step h (0-based; paper step h+1), with ``phi_tau = phi(s_h^tau, a_h^tau)``:

    Lambda_h = gamma I + sum_tau phi_tau phi_tau^T                        (Alg. 1 line 3)
    hat mu_h = Lambda_h^{-1} sum_tau phi_tau e_{s_{h+1}^tau}^T   [d, S]
    hat theta_h = Lambda_h^{-1} sum_tau phi_tau r_h^tau           [d]

so every ridge regression of a function of the next state is one mat-vec,
``Lambda_h^{-1} sum_tau phi_tau g(s_{h+1}^tau) = hat mu_h g`` (exactly the paper's sums, grouped by
next state). With finite S the sums are grouped by visit counts: ``n_h(s, a)``,
``n_h(s, a, s')`` and the reward sums per ``(s, a)`` (integer counts, exact), so
``Lambda_h = gamma I + Phi^T diag(n_h) Phi`` and ``sum_tau phi_tau e_{s'}^T`` only touch the
observed ``(s, a, s')`` triples: O(K) to count plus O(S A d^2 + d^3 + d^2 S) per step and seed,
never O(K d^2). Every product is a stack of per-(seed, step) products and every accumulation runs
in a fixed key order, so a seed's numbers do not depend on the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltheory.algos._linalg import cholesky_inverse
from rltheory.algos.protocols import OfflineAlgorithm, Problem
from rltheory.mdp import Trajectories


@dataclass(frozen=True)
class StepStatistics:
    """``gram``/``gram_inverse [B, H, d, d]``, ``measure [B, H, d, S]`` (hat mu_h),
    ``reward_weights [B, H, d]`` (hat theta_h), ``next_visited bool [B, H, S]`` (next states that
    occur in the data) and ``n_data`` (K episodes per seed)."""

    gram: np.ndarray
    gram_inverse: np.ndarray
    measure: np.ndarray
    reward_weights: np.ndarray
    next_visited: np.ndarray
    n_data: int


def step_statistics(
    features: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    ridge: float,
) -> StepStatistics:
    """Statistics of ``states [B, K, H+1]``, ``actions [B, K, H]``, ``rewards [B, K, H]``."""
    if not ridge > 0:
        raise ValueError(f"ridge parameter gamma must be > 0, got {ridge}")
    n_seeds, n_data, horizon = actions.shape
    n_states, n_actions, dim = features.shape
    n_pairs = n_states * n_actions
    phi = features.reshape(n_pairs, dim)
    phi_t = np.ascontiguousarray(phi.T)
    cell = np.arange(n_seeds)[:, None, None] * horizon + np.arange(horizon)  # [B, 1, H]
    pair = cell * n_pairs + states[..., :-1] * n_actions + actions  # [B, K, H]
    size = n_seeds * horizon * n_pairs
    visits = np.bincount(pair.ravel(), minlength=size).reshape(n_seeds, horizon, n_pairs)
    reward_sums = np.bincount(pair.ravel(), weights=rewards.ravel(), minlength=size)
    reward_sums = reward_sums.reshape(n_seeds, horizon, 1, n_pairs)
    # sum_tau phi_tau e_{s'}^T over the observed (s, a, s') triples, in ascending key order.
    keys, counts = np.unique((pair * n_states + states[..., 1:]).ravel(), return_counts=True)
    sums = np.zeros((n_seeds * horizon, n_states, dim))
    np.add.at(
        sums,
        (keys // (n_pairs * n_states), keys % n_states),
        counts[:, None] * phi[keys // n_states % n_pairs],
    )
    next_visited = np.zeros(n_seeds * horizon * n_states, dtype=bool)
    next_visited[keys // (n_pairs * n_states) * n_states + keys % n_states] = True
    gram = (phi_t * visits[..., None, :]) @ phi + ridge * np.eye(dim)
    linv = cholesky_inverse(gram)
    sums = np.swapaxes(sums.reshape(n_seeds, horizon, n_states, dim), -1, -2)  # [B, H, d, S]
    reward_stat = (reward_sums @ phi)[..., 0, :]  # [B, H, d]
    return StepStatistics(
        gram=gram,
        gram_inverse=linv,
        measure=linv @ sums,
        reward_weights=(linv @ reward_stat[..., None])[..., 0],
        next_visited=next_visited.reshape(n_seeds, horizon, n_states),
        n_data=n_data,
    )


# --- penalties and the pessimistic backward pass ----------------------------------------------

PENALTIES = {
    "d-rectangular": "beta sum_i ||phi_i(s,a) 1_i||_{Lambda^-1} = beta sum_i |phi_i| Linv_ii^(1/2)",
    "l2-diagonal": "beta sqrt(sum_i phi_i^2 [Lambda^-1]_ii) (the R2PVI authors' code)",
    "elliptical": "beta sqrt(phi^T Lambda^-1 phi) (PEVI, Jin, Yang, Wang 2021)",
}
"""Penalty shapes ``Gamma_h(s, a)`` and their formulas."""


def penalty(features: np.ndarray, gram_inverse: np.ndarray, beta: float, kind: str) -> np.ndarray:
    """``Gamma_h(s, a)`` ``[B, H, S, A]`` of shape ``kind`` (see :data:`PENALTIES`)."""
    n_states, n_actions, dim = features.shape
    flat = features.reshape(-1, dim)
    diagonal = np.diagonal(gram_inverse, axis1=-2, axis2=-1)  # [B, H, d]
    if kind == "d-rectangular":
        out = (np.abs(flat) @ np.sqrt(diagonal)[..., None])[..., 0]
    elif kind == "l2-diagonal":
        out = np.sqrt(np.maximum((flat * flat) @ diagonal[..., None], 0.0))[..., 0]
    elif kind == "elliptical":  # phi^T Lambda^{-1} phi for all (s, a)
        left = flat @ gram_inverse
        out = np.sqrt(np.maximum(np.einsum("...nd,nd->...n", left, flat), 0.0))
    else:
        raise ValueError(f"unknown penalty {kind!r}; choose one of {list(PENALTIES)}")
    return beta * out.reshape(*gram_inverse.shape[:2], n_states, n_actions)


@dataclass(frozen=True)
class PessimisticFit:
    """Result of the backward pass, every seed: ``q [B, H, S, A]`` (hat Q_h), ``values [B, H, S]``
    (hat V_h), ``policy int [B, H, S]`` (greedy, lowest-index ties), ``weights [B, H, d]`` (the
    estimate ``hat w_h`` added to the reward) and ``penalty [B, H, S, A]`` (Gamma_h)."""

    q: np.ndarray
    values: np.ndarray
    policy: np.ndarray
    weights: np.ndarray
    penalty: np.ndarray


Estimator = Callable[[int, np.ndarray], np.ndarray]
"""``estimate(h, v_next [B, S]) -> hat w_h [B, d]`` (a dual or regression estimate)."""


def pessimistic_value_iteration(
    features: np.ndarray,
    rewards: np.ndarray,
    gamma: np.ndarray,
    estimate: Estimator,
    *,
    floor: bool = True,
) -> PessimisticFit:
    """Tang, Liu, Xu 2025, Algorithm 1 (and PEVI, Jin, Yang, Wang 2021, Algorithm 2).

    For h = H..1 (0-based ``h = H-1..0``), with ``hat V_{H+1} = 0``::

        hat w_h = estimate(h, hat V_{h+1})                                  (line 4)
        hat Q_h = min(r_h + <phi, hat w_h> - Gamma_h, H - h + 1)^+           (line 6)
        hat pi_h = argmax_a hat Q_h,  hat V_h = max_a hat Q_h               (line 7)

    ``rewards [H, S, A]`` are known (``r_h = <phi, theta_h>``; zeros when the estimate regresses
    them), ``gamma [B, H, S, A]``. ``floor=False`` drops the ``(.)^+`` (a named deviation).
    """
    n_seeds, horizon, n_states, n_actions = gamma.shape
    dim = features.shape[-1]
    phi_t = np.ascontiguousarray(features.reshape(-1, dim).T)  # [d, S·A]
    q = np.empty(gamma.shape)
    values = np.empty((n_seeds, horizon, n_states))
    policy = np.empty((n_seeds, horizon, n_states), dtype=np.int64)
    weights = np.empty((n_seeds, horizon, dim))
    v_next = np.zeros((n_seeds, n_states))
    for h in range(horizon - 1, -1, -1):
        w = estimate(h, v_next)
        q_h = (w[:, None, :] @ phi_t)[:, 0].reshape(n_seeds, n_states, n_actions)
        q_h += rewards[h] - gamma[:, h]
        np.minimum(q_h, float(horizon - h), out=q_h)
        if floor:
            np.maximum(q_h, 0.0, out=q_h)
        policy[:, h] = q_h.argmax(-1)
        values[:, h] = np.take_along_axis(q_h, policy[:, h, :, None], -1)[..., 0]
        q[:, h], weights[:, h] = q_h, w
        v_next = values[:, h]
    return PessimisticFit(q, values, policy, weights, gamma)


# --- the shared learner --------------------------------------------------------------------------


def check_common(config: Any) -> None:
    """Validate the fields every pessimistic learner has (``beta``, ``ridge``, ``penalty``)."""
    if config.beta is not None and not config.beta >= 0:
        raise ValueError(f"beta must be >= 0 (or None for the theory value), got {config.beta}")
    if not config.ridge > 0:
        raise ValueError(f"ridge (gamma) must be > 0, got {config.ridge}")
    if config.penalty not in PENALTIES:
        raise ValueError(f"unknown penalty {config.penalty!r}; choose one of {list(PENALTIES)}")


class PessimisticLearner(OfflineAlgorithm):
    """Pessimistic value iteration on an offline dataset, batched over B seeds (one dataset each).

    Subclasses give :meth:`beta` (the penalty scale) and :meth:`estimator` (line 4 of the
    algorithm). ``fit`` stores the full :class:`PessimisticFit` in ``self.result`` and the dataset
    statistics in ``self.statistics`` (for monitors and coverage diagnostics).
    """

    def __init__(self, problem: Problem, config: Any, rngs: Sequence[np.random.Generator]):
        super().__init__(problem, config, rngs)
        if problem.features is None or problem.horizon is None or problem.rewards is None:
            raise ValueError(
                f"{type(self).__name__} needs a finite-horizon problem with features phi [S, A, d] "
                "and the (known) reward table"
            )
        self.features = np.asarray(problem.features, dtype=float)
        self.horizon = int(problem.horizon)
        self.result: PessimisticFit | None = None
        self.statistics: StepStatistics | None = None

    def beta(self, n_data: int) -> float:
        raise NotImplementedError

    def estimator(self, statistics: StepStatistics) -> Estimator:
        raise NotImplementedError

    def known_rewards(self) -> np.ndarray:
        """The reward table added in line 6 (zeros for learners that regress rewards)."""
        return np.asarray(self.problem.rewards, dtype=float)

    def fit(self, dataset: Trajectories) -> np.ndarray:
        states, actions, rewards = self.checked_dataset(dataset)
        stats = step_statistics(self.features, states, actions, rewards, self.config.ridge)
        gamma = penalty(
            self.features, stats.gram_inverse, self.beta(stats.n_data), self.config.penalty
        )
        self.statistics = stats
        self.result = pessimistic_value_iteration(
            self.features,
            self.known_rewards(),
            gamma,
            self.estimator(stats),
            floor=getattr(self.config, "floor", True),
        )
        return self.result.policy.copy()
