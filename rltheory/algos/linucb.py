"""Ridge-regression LinUCB (OFUL) for linear contextual bandits, the H = 1 case of LSVI-UCB.

Round k sees a context ``s ~ mu0`` and plays ``argmax_a <theta_hat, phi(s,a)> + alpha_k
||phi(s,a)||_{V_k^{-1}}`` (lowest index on ties), with ``V_k = lam I + sum_{tau<k} phi_tau
phi_tau^T`` and ``theta_hat = V_k^{-1} sum_{tau<k} phi_tau r_tau`` (Li, Chu, Langford, Schapire
2010; Abbasi-Yadkori, Pál, Szepesvári 2011). The width is a fixed ``alpha`` when given, else the
self-normalized radius of Abbasi-Yadkori et al. 2011, Thm 2:
``alpha_k = R sqrt(2 log(1/delta) + log(det V_k / lam^d)) + sqrt(lam) S``, with ``log det V_k``
maintained by the matrix-determinant lemma.

Per-round cost for B seeds: O(B·(S·A·d + d²)) (Sherman–Morrison, cached quadratic forms of all
(s,a)), plus a Cholesky refresh O(B·(d³ + S·A·d²)) every ``refresh_every`` rounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos._linalg import (
    absorb_rank_one,
    elliptical_bonus,
    quadratic_forms,
    refresh_inverse,
    ridge_solve,
)
from rltheory.algos.linucb_events import LINUCB_MONITOR
from rltheory.algos.protocols import OnlineAlgorithm, Problem
from rltheory.algos.registry import register
from rltheory.mdp import Trajectories


@register(
    "linucb",
    requires=("features", "bandit"),
    citation=(
        "Li, Chu, Langford, Schapire. A contextual-bandit approach to personalized news article "
        "recommendation. WWW 2010; confidence radius: Abbasi-Yadkori, Pál, Szepesvári. Improved "
        "algorithms for linear stochastic bandits. NeurIPS 2011, Thm 2"
    ),
    summary="ridge LinUCB / OFUL on linear-MDP features with horizon 1",
    monitor=LINUCB_MONITOR,
)
class LinUCB(OnlineAlgorithm):
    """Ridge LinUCB for horizon-1 problems (contexts = states, arms = actions)."""

    @dataclass(frozen=True)
    class Config:
        """``lam``: ridge parameter; ``alpha``: fixed confidence width (None: OFUL radius with
        failure probability ``delta``, sub-Gaussian noise scale ``noise`` = R and parameter norm
        bound ``theta_norm`` = S, None meaning sqrt(d) as in Jin et al.'s normalization);
        ``refresh_every``: rounds between Cholesky refreshes of ``V^{-1}``."""

        lam: float = 1.0
        alpha: float | None = None
        delta: float = 0.05
        noise: float = 0.5
        theta_norm: float | None = None
        refresh_every: int = 1000

        def __post_init__(self) -> None:
            if not self.lam > 0:
                raise ValueError(f"lam must be > 0, got {self.lam}")
            if self.alpha is not None and not self.alpha >= 0:
                raise ValueError(f"alpha must be >= 0 (or None: OFUL radius), got {self.alpha}")
            if not 0.0 < self.delta < 1.0:
                raise ValueError(f"delta must be in (0, 1), got {self.delta}")
            if not self.noise >= 0:
                raise ValueError(f"noise must be >= 0, got {self.noise}")
            if self.theta_norm is not None and not self.theta_norm >= 0:
                raise ValueError(f"theta_norm must be >= 0 (or None), got {self.theta_norm}")
            if isinstance(self.refresh_every, bool) or not isinstance(self.refresh_every, int):
                raise TypeError(f"refresh_every must be an int, got {self.refresh_every!r}")
            if self.refresh_every < 1:
                raise ValueError(f"refresh_every must be >= 1, got {self.refresh_every}")

    def __init__(self, problem: Problem, config: Config, rngs: Sequence[np.random.Generator]):
        super().__init__(problem, config, rngs)
        if problem.horizon != 1:
            raise ValueError(f"LinUCB needs a horizon-1 (bandit) problem, got H={problem.horizon}")
        if problem.features is None:
            raise ValueError("LinUCB needs features phi [S, A, d]")
        features = np.asarray(problem.features, dtype=float)
        self.n_states, self.n_actions, self.dim = features.shape
        self._phi = features
        self._phi_flat = np.ascontiguousarray(features.reshape(-1, self.dim))
        self._phi_t = np.ascontiguousarray(self._phi_flat.T)
        eye = np.eye(self.dim)
        shape = (self.n_seeds, self.dim, self.dim)
        self._gram = np.broadcast_to(config.lam * eye, shape).copy()
        self._linv = np.broadcast_to(eye / config.lam, shape).copy()
        self._quad = quadratic_forms(self._linv, self._phi_flat)  # [B, S·A]
        self._reward_stat = np.zeros((self.n_seeds, self.dim))
        self._log_det_ratio = np.zeros(self.n_seeds)  # log det V_k - d log lam
        self._since_refresh = 0

    @property
    def gram(self) -> np.ndarray:
        """``V_k = lam I + sum_{tau<k} phi_tau phi_tau^T`` per seed: ``[B, d, d]`` (a copy)."""
        return self._gram.copy()

    @property
    def theta_hat(self) -> np.ndarray:
        """Ridge estimate ``theta_hat_k = V_k^{-1} sum_{tau<k} phi_tau r_tau``: ``[B, d]``."""
        return ridge_solve(self._linv, self._reward_stat)

    def width(self) -> np.ndarray:
        """Confidence width ``alpha_k`` per seed: ``[B]``."""
        cfg = self.config
        if cfg.alpha is not None:
            return np.full(self.n_seeds, float(cfg.alpha))
        norm = math.sqrt(self.dim) if cfg.theta_norm is None else cfg.theta_norm
        radius = cfg.noise * np.sqrt(2.0 * math.log(1.0 / cfg.delta) + self._log_det_ratio)
        return radius + math.sqrt(cfg.lam) * norm

    def ucb(self) -> np.ndarray:
        """Upper confidence indices ``<theta_hat, phi(s,a)> + alpha_k ||phi||``: ``[B, S, A]``."""
        theta = ridge_solve(self._linv, self._reward_stat)
        mean = (self._phi_flat @ theta[..., None])[..., 0]
        width = self.width()[:, None]
        index = mean + elliptical_bonus(self._quad, 1.0) * width
        return index.reshape(self.n_seeds, self.n_states, self.n_actions)

    def policy(self) -> np.ndarray:
        return self.ucb().argmax(-1)[:, None, :]

    def update(self, trajectories: Trajectories) -> None:
        states, actions, rewards = self.checked_trajectories(trajectories)
        u = self._phi[states[:, 0], actions[:, 0]]  # [B, d]
        den = absorb_rank_one(self._gram, self._linv, self._quad, u, self._phi_t)
        self._log_det_ratio += np.log(den)  # matrix-determinant lemma
        self._reward_stat += u * rewards[:, :1]
        self._since_refresh += 1
        if self._since_refresh >= self.config.refresh_every:
            self._linv, self._quad = refresh_inverse(self._gram, self._phi_flat)
            log_det = np.linalg.slogdet(self._gram)[1]
            self._log_det_ratio = log_det - self.dim * math.log(self.config.lam)
            self._since_refresh = 0
