"""LSVI-UCB (Jin, Yang, Wang, Jordan, COLT 2020, Algorithm 1) and its bonus-free relatives.

Algorithm 1, for episode k and step h = H..1 (0-based ``h = H-1..0`` in arrays)::

    Lambda_h = lam I + sum_{tau<k} phi_h^tau phi_h^tau^T                              (line 4)
    w_h = Lambda_h^{-1} sum_{tau<k} phi_h^tau [r_h^tau + max_a Q_{h+1}(x_{h+1}^tau, a)]  (line 5)
    Q_h = min(w_h^T phi + beta ||phi||_{Lambda_h^{-1}}, H)                               (line 6)

then act greedily on Q_h (line 8; ties go to the lowest action index, or with
``tie_break="unclipped"`` to the largest value before the clip at H). ``beta = c d H sqrt(iota)``,
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
With ``pooled=True`` (one Gram matrix over all h, a named deviation) the episode's H rows enter
at once by the Woodbury identity (``_linalg.absorb_rows``), equal to H rank-one updates up to
rounding. The backward pass is the pure function :func:`lsvi_backward_pass`; the learner
:class:`LSVI` only keeps the state, and the variants (``lsvi-ucb``, ``lsvi-greedy``,
``lsvi-eps-greedy``) are configurations of it.

Per-episode cost for B seeds: planning O(B·H·(S·A·d + S·d + d²)), update O(B·H·(S·A·d + d²)),
plus every ``refresh_every`` rank-one updates a refresh O(B·H·(d³ + S·A·d²)); memory
O(B·H·(d² + S·d + S·A)). None of it grows with the episode index k.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos._linalg import (
    absorb_rank_one,
    absorb_rows,
    elliptical_bonus,
    max_last_axis,
    quadratic_forms,
    refresh_inverse,
)
from rltheory.algos.lsvi_ucb_events import LSVI_UCB_MONITOR
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


def lsvi_backward_pass(
    reward_stat: np.ndarray,
    next_stat: np.ndarray,
    linv: np.ndarray,
    bonus: np.ndarray | None,
    features: np.ndarray,
    clip: float,
    horizon: int,
    out: tuple[np.ndarray, np.ndarray] | None = None,
    unclipped: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lines 3-8 of Algorithm 1 for B seeds: ``(Q [H, B, S·A], w [H, B, d], greedy [H, B, S])``.

    Inputs per group g and seed (G = H per step, G = 1 pooled; group-major, so that each
    step's slice is contiguous): ``reward_stat [G, B, d]`` (``b_h = sum_tau phi_h^tau r_h^tau``),
    ``next_stat [G, B, d, S]`` (``M_h = sum_tau phi_h^tau e_{x_{h+1}^tau}^T``),
    ``linv [G, B, d, d]`` (``Lambda_h^{-1}``), ``bonus [G, B, S·A]``
    (``beta ||phi||_{Lambda_h^{-1}}``; None when ``beta = 0``), ``features [S·A, d]``, the
    clip (H in the paper). ``out = (q, w)`` are optional preallocated outputs. The greedy
    action is the first maximizer (lowest index on ties); given ``unclipped`` (like ``q``), the
    values before the clip are written there and the greedy action maximizes them instead, which
    is also a maximizer of the clipped ``Q_h`` (a tie-break, not a change of the algorithm).
    """
    groups, n_seeds, dim = reward_stat.shape
    n_states = next_stat.shape[-1]
    n_actions = features.shape[0] // n_states
    if out is None:
        out = (
            np.empty((horizon, n_seeds, n_states * n_actions)),
            np.empty((horizon, n_seeds, dim)),
        )
    q, w = out
    q_sa = q.reshape(horizon, n_seeds, n_states, n_actions)
    per_group = [
        (next_stat[g], reward_stat[g], linv[g], None if bonus is None else bonus[g])
        for g in range(groups)
    ]  # views, formed once per plan (one set when pooled)
    target = np.empty((n_seeds, dim, 1))
    target_flat = target[..., 0]
    v_col = np.zeros((n_seeds, n_states, 1))  # V_{H+1} = 0, then V_{h+1} for step h
    v_next = v_col[..., 0]
    for h in range(horizon - 1, -1, -1):
        m_h, b_h, linv_h, bonus_h = per_group[0 if groups == 1 else h]
        # line 5, target: sum_tau phi_h^tau [r_h^tau + max_a Q_{h+1}(x_{h+1}^tau, a)] = b + M V
        np.matmul(m_h, v_col, out=target)
        np.add(target_flat, b_h, out=target_flat)
        # line 5: w_h = Lambda_h^{-1} target
        w_h = w[h][..., None]
        np.matmul(linv_h, target, out=w_h)
        # line 6: Q_h = min(w_h^T phi + beta ||phi||_{Lambda_h^{-1}}, H)
        q_h = q[h]
        np.matmul(features, w_h, out=q_h[..., None])
        if bonus_h is not None:
            q_h += bonus_h
        if unclipped is not None:
            unclipped[h] = q_h
        np.minimum(q_h, clip, out=q_h)
        max_last_axis(q_sa[h], out=v_next)  # V_h(x) = max_a Q_h(x, a)
    keys = q if unclipped is None else unclipped
    greedy = keys.reshape(q_sa.shape).argmax(-1)  # line 8
    return q, w, greedy


@dataclass(frozen=True)
class LSVIConfig:
    """LSVI without bonus (``beta = 0``), played greedily: the ``lsvi-greedy`` configuration.

    ``lam``: ridge parameter (paper: 1). ``pooled``: one Gram matrix and one data pool over all
    steps, valid only for time-homogeneous MDPs (a named variant; not Jin's Algorithm 1).
    ``refresh_every``: rank-one updates between Cholesky refreshes of ``Lambda^{-1}``.
    ``clip``: upper truncation of Q (paper: H; None means H). Another value is only for the
    scale-equivariance identity (rewards r/H, beta/H, clip 1).
    ``tie_break``: which maximizer of ``Q_h(s, .)`` to play (the paper allows any):
    ``"lowest"`` index, or ``"unclipped"``, the largest value before the clip. While optimism
    saturates the clip, "lowest" can keep playing action 0 (RiverSwim's "left") where "right"
    ties with it, so "right" is never tried there.
    """

    lam: float = 1.0
    pooled: bool = False
    refresh_every: int = 1000
    clip: float | None = None
    tie_break: str = "lowest"

    def __post_init__(self) -> None:
        if self.tie_break not in ("lowest", "unclipped"):
            raise ValueError(f"tie_break must be 'lowest' or 'unclipped', got {self.tie_break!r}")
        if not self.lam > 0:
            raise ValueError(f"lam must be > 0, got {self.lam}")
        if isinstance(self.refresh_every, bool) or not isinstance(self.refresh_every, int):
            raise TypeError(f"refresh_every must be an int, got {self.refresh_every!r}")
        if self.refresh_every < 1:
            raise ValueError(f"refresh_every must be >= 1, got {self.refresh_every}")
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be > 0 (or None for H), got {self.clip}")

    def bonus_scale(self, problem: Problem) -> float:
        """``beta`` of line 6 (0: no optimism)."""
        return 0.0

    @property
    def exploration(self) -> float | None:
        """ε of ε-greedy play, or None for the deterministic greedy policy."""
        return None


@dataclass(frozen=True)
class LSVIUCBConfig(LSVIConfig):
    """LSVI-UCB (the ``lsvi-ucb`` configuration). ``c``: constant of ``beta = c d H sqrt(iota)``
    (theory mode 1; tuned mode ~1e-3..1e-1); ``p``: failure probability in
    ``iota = log(2dT/p)``; ``beta``: explicit override."""

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

    def bonus_scale(self, problem: Problem) -> float:
        if self.beta is not None:
            return self.beta
        return lsvi_ucb_beta(self.c, problem.dim, problem.horizon, problem.n_episodes, self.p)


@dataclass(frozen=True)
class LSVIEpsGreedyConfig(LSVIConfig):
    """LSVI with ``beta = 0`` and ε-greedy play (the ``lsvi-eps-greedy`` configuration):
    ``pi(a|s) = (1 - epsilon) 1[a = argmax Q_h(s, .)] + epsilon / A``; the exploration draw
    happens in the rollout, from the environment's uniforms, so the policy itself is exact.
    ``epsilon``: probability of a uniformly random action at every step."""

    epsilon: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {self.epsilon}")

    @property
    def exploration(self) -> float | None:
        return self.epsilon


@register(
    "lsvi-ucb",
    requires=("features", "finite-horizon"),
    citation=JIN2020,
    summary="LSVI-UCB: per-step ridge regression of Bellman targets plus an elliptical bonus",
    smoke={"beta": 0.5},  # the theory beta (~50 here) keeps one policy over a few episodes
    monitor=LSVI_UCB_MONITOR,
)
class LSVI(OnlineAlgorithm):
    """Least-squares value iteration with an elliptical bonus ``beta`` (Jin et al. 2020, Alg. 1).

    One learner for the LSVI family; the variants are configurations (:class:`LSVIUCBConfig`,
    :class:`LSVIConfig` for ``beta = 0``, :class:`LSVIEpsGreedyConfig`). It keeps the state
    (statistics, ``Lambda^{-1}``, cached quadratic forms); :func:`lsvi_backward_pass` plans.
    State arrays carry a leading group axis G (G = H per step, 1 pooled) and a seed axis B
    (group-major, so each step's block is contiguous); the accessors return ``[B, ...]``.
    """

    Config = LSVIUCBConfig

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
        self.beta = float(config.bonus_scale(problem))
        self._phi = features
        self._phi_flat = np.ascontiguousarray(features.reshape(-1, self.dim))
        self._phi_t = np.ascontiguousarray(self._phi_flat.T)
        groups = 1 if config.pooled else self.horizon
        batch = (groups, self.n_seeds)  # group-major: one contiguous block per step
        eye = np.eye(self.dim)
        self._gram = np.broadcast_to(config.lam * eye, (*batch, self.dim, self.dim)).copy()
        self._linv = np.broadcast_to(eye / config.lam, (*batch, self.dim, self.dim)).copy()
        self._quad = quadratic_forms(self._linv, self._phi_flat)
        self._bonus = self._bonus_of(self._quad)
        self._reward_stat = np.zeros((*batch, self.dim))
        self._next_stat = np.zeros((*batch, self.dim, self.n_states))
        self._since_refresh = 0
        n_pairs = self.n_states * self.n_actions
        self._q = np.zeros((self.horizon, self.n_seeds, n_pairs))
        self._weights = np.zeros((self.horizon, self.n_seeds, self.dim))
        self._greedy = np.zeros((self.horizon, self.n_seeds, self.n_states), dtype=np.int64)
        self._unclipped = np.zeros_like(self._q) if config.tie_break == "unclipped" else None
        self._seed_index = np.arange(self.n_seeds)
        self._step_index = np.arange(self.horizon)[:, None]
        self._planned = False

    # ----------------------------------------------------------------- planning (lines 3-8)
    def _plan(self) -> None:
        if self._planned:
            return
        _, _, self._greedy = lsvi_backward_pass(
            self._reward_stat,
            self._next_stat,
            self._linv,
            self._bonus,
            self._phi_flat,
            self.clip,
            self.horizon,
            out=(self._q, self._weights),
            unclipped=self._unclipped,
        )
        self._planned = True

    def q_values(self) -> np.ndarray:
        """``Q_h^k(s, a)`` of the coming episode for every seed: ``[B, H, S, A]`` (a copy)."""
        self._plan()
        q = self._q.reshape(self.horizon, self.n_seeds, self.n_states, self.n_actions)
        return q.swapaxes(0, 1).copy()

    @property
    def weights(self) -> np.ndarray:
        """Ridge weights ``w_h^k`` of the coming episode: ``[B, H, d]`` (a copy)."""
        self._plan()
        return self._weights.swapaxes(0, 1).copy()

    @property
    def gram_inverse(self) -> np.ndarray:
        """``Lambda_h^{-1}`` per seed and group: ``[B, G, d, d]`` (G = H, or 1 if pooled)."""
        return self._linv.swapaxes(0, 1).copy()

    @property
    def quadratic_forms(self) -> np.ndarray:
        """Cached ``phi(s,a)^T Lambda_h^{-1} phi(s,a)``: ``[B, G, S, A]``."""
        quad = self._quad.reshape(*self._quad.shape[:2], self.n_states, self.n_actions)
        return quad.swapaxes(0, 1).copy()

    def greedy_policy(self) -> np.ndarray:
        """``argmax_a Q_h^k(s, a)`` for all (h, s), ties per ``tie_break``: ``int [B, H, S]``."""
        self._plan()
        return self._greedy.swapaxes(0, 1).copy()

    def policy(self) -> np.ndarray:
        """Greedy (line 8), or ε-greedy ``[B, H, S, A]`` when the configuration explores."""
        eps = self.config.exploration
        if eps is None:
            return self.greedy_policy()
        greedy, n_actions = self.greedy_policy(), self.n_actions
        pi = np.full((*greedy.shape, n_actions), eps / n_actions)
        np.put_along_axis(pi, greedy[..., None], 1.0 - eps + eps / n_actions, axis=-1)
        return pi

    # ------------------------------------------------------------------ learning (after line 8)
    def update(self, trajectories: Trajectories) -> None:
        """Add episode k's transitions to the statistics (they enter Lambda only now)."""
        states, actions, rewards = self.checked_trajectories(trajectories)
        u = self._phi[states[:, :-1], actions]  # [B, H, d]
        nxt = states[:, 1:]
        seeds = self._seed_index
        if self.config.pooled:
            # Deviation from paper: one Gram matrix and data pool over all h (named option;
            # valid only for time-homogeneous MDPs, no theorem in Jin et al.). The H rows enter
            # together (Woodbury), equal to H rank-one updates up to rounding.
            absorb_rows(self._gram, self._linv, self._quad, u[None], self._phi_t)
            self._reward_stat += (rewards[None, :, None, :] @ u[None])[..., 0, :]
            np.add.at(self._next_stat[0], (seeds[:, None], slice(None), nxt), u)  # repeated x'
        else:
            u_steps = u.swapaxes(0, 1)  # [H, B, d], group-major like the state
            absorb_rank_one(self._gram, self._linv, self._quad, u_steps, self._phi_t)
            self._reward_stat += u_steps * rewards.T[..., None]
            self._next_stat[self._step_index, seeds, :, nxt.T] += u_steps  # (h, seed) distinct
        self._since_refresh += self.horizon if self.config.pooled else 1
        if self._since_refresh >= self.config.refresh_every:
            self._linv, self._quad = refresh_inverse(self._gram, self._phi_flat)
            self._since_refresh = 0
        self._bonus = self._bonus_of(self._quad)
        self._planned = False

    def _bonus_of(self, quad: np.ndarray) -> np.ndarray | None:
        """``beta ||phi||_{Lambda^{-1}}`` for every (s, a), or None when ``beta = 0``."""
        return elliptical_bonus(quad, self.beta) if self.beta != 0 else None


register(
    "lsvi-greedy",
    requires=("features", "finite-horizon"),
    citation=JIN2020 + " with beta = 0 (no optimism; ablation)",
    summary="LSVI without bonus (beta = 0), greedy: shows why optimism matters",
    config=LSVIConfig,
)(LSVI)

register(
    "lsvi-eps-greedy",
    requires=("features", "finite-horizon"),
    citation=JIN2020 + " with beta = 0 and epsilon-greedy exploration (ablation)",
    summary="LSVI without bonus, epsilon-greedy: undirected exploration",
    config=LSVIEpsGreedyConfig,
)(LSVI)
