"""LSVI-UCB (Jin, Yang, Wang, Jordan, COLT 2020, Algorithm 1) and its bonus-free relatives.

Algorithm 1, for episode k and step h = H..1 (0-based ``h = H-1..0`` in arrays)::

    Lambda_h = lam I + sum_{tau<k} phi_h^tau phi_h^tau^T                              (line 4)
    w_h = Lambda_h^{-1} sum_{tau<k} phi_h^tau [r_h^tau + max_a Q_{h+1}(x_{h+1}^tau, a)]  (line 5)
    Q_h = min(w_h^T phi + beta ||phi||_{Lambda_h^{-1}}, H)                               (line 6)

then act greedily on Q_h (line 8; ties go to the lowest action index). ``beta = c d H sqrt(iota)``,
``iota = log(2 d T / p)``, ``T = K H`` (Thm 3.1; ``c`` is the paper's unspecified absolute
constant, ``c = 1`` is "theory mode"). Data of episode k enters only after the episode.

Finite-S implementation (same numbers as the paper's sums, different bookkeeping): for each h
we keep ``b_h = sum_tau phi_h^tau r_h^tau`` ``[d]`` and
``M_h = sum_tau phi_h^tau e_{x_{h+1}^tau}^T`` ``[d, S]``, so line 5's target is
``b_h + M_h V_{h+1}`` with the *current* ``V_{h+1}`` (all targets are recomputed every
episode, as the paper requires, at a cost independent of k);
``Lambda_h^{-1}`` follows Sherman–Morrison with a Cholesky refresh every ``refresh_every``
rank-one updates; the quadratic forms ``q_h(s,a) = phi(s,a)^T Lambda_h^{-1} phi(s,a)`` of all
(s,a) follow the rank-one identity ``q <- q - (phi^T g)^2 / (1 + u^T g)``, so bonuses cost no d².

Per-episode cost for B seeds: planning O(B·H·(S·A·d + S·d + d²)), update O(B·H·(S·A·d + d²)),
plus every ``refresh_every`` rank-one updates a refresh O(B·H·(d³ + S·A·d²)); memory
O(B·H·(d² + S·d + S·A)). None of it grows with the episode index k.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos._linalg import (
    cholesky_inverse,
    downdate_quadratic_forms,
    elliptical_bonus,
    quadratic_forms,
    ridge_solve,
    sherman_morrison,
)
from rltheory.algos.protocols import OnlineAlgorithm, Problem
from rltheory.algos.registry import register
from rltheory.mdp import Trajectories

JIN2020 = (
    "Jin, Yang, Wang, Jordan. Provably efficient reinforcement learning with linear function "
    "approximation. COLT 2020 (arXiv:1907.05388), Algorithm 1"
)


def lsvi_ucb_beta(c: float, d: int, horizon: int, n_episodes: int, p: float) -> float:
    """Thm 3.1's bonus scale ``beta = c·d·H·sqrt(iota)``, ``iota = log(2dT/p)``, ``T = KH``."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"failure probability p must be in (0, 1), got {p}")
    iota = math.log(2.0 * d * n_episodes * horizon / p)
    return c * d * horizon * math.sqrt(iota)


@dataclass(frozen=True)
class LSVIConfig:
    """Hyperparameters shared by the LSVI family.

    ``lam``: ridge parameter (paper: 1). ``pooled``: one Gram matrix and one data pool over all
    steps, valid only for time-homogeneous MDPs (a named variant; not Jin's Algorithm 1).
    ``refresh_every``: rank-one updates between Cholesky refreshes of ``Lambda^{-1}``.
    ``clip``: upper truncation of Q (paper: H; None means H). Another value is only for the
    scale-equivariance identity (rewards r/H, beta/H, clip 1).
    """

    lam: float = 1.0
    pooled: bool = False
    refresh_every: int = 1000
    clip: float | None = None

    def __post_init__(self) -> None:
        if not self.lam > 0:
            raise ValueError(f"lam must be > 0, got {self.lam}")
        if isinstance(self.refresh_every, bool) or not isinstance(self.refresh_every, int):
            raise TypeError(f"refresh_every must be an int, got {self.refresh_every!r}")
        if self.refresh_every < 1:
            raise ValueError(f"refresh_every must be >= 1, got {self.refresh_every}")
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be > 0 (or None for H), got {self.clip}")


class LSVICore(OnlineAlgorithm):
    """Least-squares value iteration with an elliptical bonus ``beta`` (shared core).

    Subclasses choose ``beta`` (:meth:`bonus_scale`) and how the greedy policy is played.
    State arrays carry a leading seed axis B and a group axis G (G = H per-step, 1 pooled).
    """

    Config = LSVIConfig

    def __init__(self, problem: Problem, config: LSVIConfig, rngs: Sequence[np.random.Generator]):
        super().__init__(problem, config, rngs)
        if problem.features is None:
            raise ValueError(f"{type(self).__name__} needs linear-MDP features phi [S, A, d]")
        if config.pooled and not problem.time_homogeneous:
            raise ValueError(
                "pooled=True shares one Gram matrix over all steps and needs a time-homogeneous "
                "problem; this one has step-dependent transitions or rewards"
            )
        features = np.asarray(problem.features, dtype=float)
        self.n_states, self.n_actions, self.dim = features.shape
        self.horizon = int(problem.horizon)
        # Deviation from paper (only if set): clip != H, for the scale-equivariance identity.
        self.clip = float(self.horizon if config.clip is None else config.clip)
        self.beta = float(self.bonus_scale())
        self._phi = features
        self._phi_flat = np.ascontiguousarray(features.reshape(-1, self.dim))
        self._phi_t = np.ascontiguousarray(self._phi_flat.T)
        groups = 1 if config.pooled else self.horizon
        batch = (self.n_seeds, groups)
        eye = np.eye(self.dim)
        self._gram = np.broadcast_to(config.lam * eye, (*batch, self.dim, self.dim)).copy()
        self._linv = np.broadcast_to(eye / config.lam, (*batch, self.dim, self.dim)).copy()
        self._quad = quadratic_forms(self._linv, self._phi_flat)
        self._bonus = elliptical_bonus(self._quad, self.beta)
        self._reward_stat = np.zeros((*batch, self.dim))
        self._next_stat = np.zeros((*batch, self.dim, self.n_states))
        self._since_refresh = 0
        self._weights = np.zeros((self.n_seeds, self.horizon, self.dim))
        self._q = np.zeros((self.n_seeds, self.horizon, self.n_states, self.n_actions))
        self._greedy = np.zeros((self.n_seeds, self.horizon, self.n_states), dtype=np.int64)
        self._row_starts = np.arange(self.n_seeds * self.n_states) * self.n_actions
        self._planned = False

    @abstractmethod
    def bonus_scale(self) -> float:
        """``beta`` of line 6 for this run."""

    # ----------------------------------------------------------------- planning (lines 3-6)
    def _group(self, h: int) -> int:
        return 0 if self.config.pooled else h

    def _plan(self) -> None:
        """Backward pass of Algorithm 1 (all seeds): weights ``w_h``, ``Q_h``, greedy actions."""
        if self._planned:
            return
        n_seeds, n_states, n_actions = self.n_seeds, self.n_states, self.n_actions
        v_next = np.zeros((n_seeds, n_states))
        for h in range(self.horizon - 1, -1, -1):
            g = self._group(h)
            target = self._reward_stat[:, g] + (self._next_stat[:, g] @ v_next[..., None])[..., 0]
            w = ridge_solve(self._linv[:, g], target)
            q = (self._phi_flat @ w[..., None])[..., 0]
            q += self._bonus[:, g]
            np.minimum(q, self.clip, out=q)
            greedy = q.reshape(-1, n_actions).argmax(-1)  # first maximizer: lowest index on ties
            self._weights[:, h] = w
            self._q[:, h] = q.reshape(n_seeds, n_states, n_actions)
            self._greedy[:, h] = greedy.reshape(n_seeds, n_states)
            v_next = q.reshape(-1)[self._row_starts + greedy].reshape(n_seeds, n_states)
        self._planned = True

    def q_values(self) -> np.ndarray:
        """``Q_h^k(s, a)`` of the coming episode for every seed: ``[B, H, S, A]`` (a copy)."""
        self._plan()
        return self._q.copy()

    @property
    def weights(self) -> np.ndarray:
        """Ridge weights ``w_h^k`` of the coming episode: ``[B, H, d]`` (a copy)."""
        self._plan()
        return self._weights.copy()

    @property
    def gram_inverse(self) -> np.ndarray:
        """``Lambda_h^{-1}`` per seed and group: ``[B, G, d, d]`` (G = H, or 1 if pooled)."""
        return self._linv.copy()

    @property
    def quadratic_forms(self) -> np.ndarray:
        """Cached ``phi(s,a)^T Lambda_h^{-1} phi(s,a)``: ``[B, G, S, A]``."""
        return self._quad.reshape(*self._quad.shape[:2], self.n_states, self.n_actions).copy()

    def greedy_policy(self) -> np.ndarray:
        """``argmax_a Q_h^k(s, a)`` for all (h, s), lowest index on ties: ``int [B, H, S]``."""
        self._plan()
        return self._greedy.copy()

    def policy(self) -> np.ndarray:
        return self.greedy_policy()

    # ------------------------------------------------------------------ learning (after line 8)
    def update(self, trajectories: Trajectories) -> None:
        """Add episode k's transitions to the statistics (they enter Lambda only now)."""
        states, actions, rewards = self.checked_trajectories(trajectories)
        u = self._phi[states[:, :-1], actions]  # [B, H, d]
        nxt = states[:, 1:]
        if self.config.pooled:
            # Deviation from paper: one Gram matrix and data pool over all h (named option;
            # valid only for time-homogeneous MDPs, no theorem in Jin et al.).
            for h in range(self.horizon):  # H sequential rank-one updates of the one matrix
                self._absorb(slice(0, 1), u[:, h : h + 1], rewards[:, h : h + 1], nxt[:, h : h + 1])
        else:
            self._absorb(slice(None), u, rewards, nxt)
        self._since_refresh += self.horizon if self.config.pooled else 1
        if self._since_refresh >= self.config.refresh_every:
            self._linv = cholesky_inverse(self._gram)
            self._quad = quadratic_forms(self._linv, self._phi_flat)
            self._since_refresh = 0
        self._bonus = elliptical_bonus(self._quad, self.beta)
        self._planned = False
        self.episode += 1

    def _absorb(self, groups: slice, u: np.ndarray, r: np.ndarray, nxt: np.ndarray) -> None:
        """One rank-one update per seed and group in ``groups`` (``u [B, G', d]``)."""
        self._gram[:, groups] += u[..., :, None] * u[..., None, :]
        linv, g, den = sherman_morrison(self._linv[:, groups], u)
        self._linv[:, groups] = linv
        self._quad[:, groups] = downdate_quadratic_forms(self._quad[:, groups], self._phi_t, g, den)
        self._reward_stat[:, groups] += u * r[..., None]
        seeds = np.arange(self.n_seeds)[:, None]
        steps = np.arange(u.shape[1])[None, :]
        self._next_stat[:, groups][seeds, steps, :, nxt] += u  # (seed, group) pairs are distinct


@register(
    "lsvi-ucb",
    requires=("features", "finite-horizon"),
    citation=JIN2020,
    summary="LSVI-UCB: per-step ridge regression of Bellman targets plus an elliptical bonus",
)
class LSVIUCB(LSVICore):
    """LSVI-UCB, Jin et al. 2020 Algorithm 1 (``beta = c d H sqrt(iota)`` unless given)."""

    @dataclass(frozen=True)
    class Config(LSVIConfig):
        """``c``: constant of ``beta = c d H sqrt(iota)`` (theory mode 1; tuned mode ~1e-3..1e-1);
        ``p``: failure probability in ``iota = log(2dT/p)``; ``beta``: explicit override."""

        c: float = 1.0
        p: float = 0.05
        beta: float | None = None

        def __post_init__(self) -> None:
            super().__post_init__()
            if not self.c >= 0:
                raise ValueError(f"c must be >= 0, got {self.c}")
            if not 0.0 < self.p < 1.0:
                raise ValueError(f"p must be in (0, 1), got {self.p}")
            if self.beta is not None and not self.beta >= 0:
                raise ValueError(f"beta must be >= 0 (or None for the formula), got {self.beta}")

    def bonus_scale(self) -> float:
        cfg = self.config
        if cfg.beta is not None:
            return cfg.beta
        return lsvi_ucb_beta(cfg.c, self.dim, self.horizon, self.problem.n_episodes, cfg.p)


@register(
    "lsvi-greedy",
    requires=("features", "finite-horizon"),
    citation=JIN2020 + " with beta = 0 (no optimism; ablation)",
    summary="LSVI without bonus (beta = 0), greedy: shows why optimism matters",
)
class LSVIGreedy(LSVICore):
    """Least-squares value iteration with ``beta = 0`` played greedily."""

    Config = LSVIConfig

    def bonus_scale(self) -> float:
        return 0.0


@register(
    "lsvi-eps-greedy",
    requires=("features", "finite-horizon"),
    citation=JIN2020 + " with beta = 0 and epsilon-greedy exploration (ablation)",
    summary="LSVI without bonus, epsilon-greedy: undirected exploration",
)
class LSVIEpsGreedy(LSVIGreedy):
    """Least-squares value iteration with ``beta = 0`` and ε-greedy play (stochastic policy).

    ``pi(a|s) = (1 - epsilon) 1[a = argmax Q_h(s, .)] + epsilon / A``; the exploration draw
    happens in the rollout, from the environment's uniforms, so the policy itself is exact.
    """

    @dataclass(frozen=True)
    class Config(LSVIConfig):
        """``epsilon``: probability of a uniformly random action at every step."""

        epsilon: float = 0.1

        def __post_init__(self) -> None:
            super().__post_init__()
            if not 0.0 <= self.epsilon <= 1.0:
                raise ValueError(f"epsilon must be in [0, 1], got {self.epsilon}")

    def policy(self) -> np.ndarray:
        greedy = self.greedy_policy()
        eps, n_actions = self.config.epsilon, self.n_actions
        pi = np.full((*greedy.shape, n_actions), eps / n_actions)
        np.put_along_axis(pi, greedy[..., None], 1.0 - eps + eps / n_actions, axis=-1)
        return pi
