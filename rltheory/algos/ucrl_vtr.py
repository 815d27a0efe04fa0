"""UCRL-VTR and HF-UCRL-VTR+ on time-homogeneous linear mixture MDPs, and their proof-event monitor.

Both learners pool every step of every episode into value-targeted regressions on the known basis
``phi(s'|s,a)`` (homogeneity is what makes pooling valid), plan optimistically with the estimator
frozen at the start of the episode, and update only at episode ends; no trajectory is stored.

- ``ucrl-vtr`` (Ayoub, Jia, Szepesvári, Wang, Yang, ICML 2020): one unweighted ridge regression of
  ``V_{h+1}(s_{h+1})`` on ``phi_{V_{h+1}}(s_h, a_h)``; Hoeffding-type radius (the self-normalized
  bound of Abbasi-Yadkori et al. 2011 with values in [0, 1]).
- ``hf-ucrl-vtr-plus`` (Zhou & Gu, NeurIPS 2022): M moment levels, level m regressing
  ``V^(2^m)`` with weights from the high-order moment estimator
  (:func:`rltheory.algos._vtr.home_variances`) and the variance-aware radius ``beta_k``.

Setting: every trajectory's total reward is at most 1 (structure tag ``unit-total-reward``; the
``unit-total-reward`` transform rescales a per-step model), so values lie in [0, 1] and Q is
clipped to [0, 1].

Cost per episode for B seeds: planning O(B·H·S·A·(S·d + d²)); updates O(B·H·M·(S·d + d²)) by
Sherman–Morrison on the running inverses, plus a Cholesky refresh every ``refresh_every`` steps;
memory O(B·M·d² + S²·A·d). None of it grows with the episode index k.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos import _vtr
from rltheory.algos._linalg import cholesky_inverse, ridge_solve
from rltheory.algos.protocols import OnlineAlgorithm, Problem
from rltheory.algos.registry import register
from rltheory.algos.vtr_events import UCRL_VTR_MONITOR
from rltheory.mdp import Trajectories

AYOUB2020 = (
    "Ayoub, Jia, Szepesvári, Wang, Yang. Model-based reinforcement learning with value-targeted "
    "regression. ICML 2020 (arXiv:2006.01107), UCRL-VTR"
)
ZHOUGU2022 = (
    "Zhou, Gu. Computationally efficient horizon-free reinforcement learning for linear mixture "
    "MDPs. NeurIPS 2022 (arXiv:2205.11507), HF-UCRL-VTR+; HOME as in Zhao, Zhang et al. ICML "
    "2023 (arXiv:2303.10165), Alg. 5"
)


TIE_BREAKS = ("lowest", "unclipped", "random")


@dataclass(frozen=True)
class VTRConfig:
    """Shared hyperparameters. ``delta``: failure probability; ``beta_scale`` multiplies the radius
    (1 = theory; smaller = tuned mode, no guarantee); ``beta``: explicit radius (overrides the
    formula and ``beta_scale``); ``norm_bound``: B (None: the problem's); ``refresh_every``: steps
    between Cholesky refreshes of the running inverses; ``tie_break``: which maximizer of
    ``Q_{k,h}(s, .)`` to play (the papers allow any; ties are common while optimism saturates the
    clip at 1): ``"lowest"`` index (default), ``"unclipped"`` (the largest optimistic value
    before the clip, also a maximizer of the clipped Q), or ``"random"`` (uniform among exact
    ties, drawn once per episode from the seed's generator). Where ``V_{k,h+1} = 1`` everywhere,
    ``phi_V(s,a) = sum_s' phi(s'|s,a)``; on ``riverswim-mixture`` (every basis row a
    distribution) that is one vector for all (s, a), so the values before the clip tie as well,
    only the reward separates the actions ("left" wins at state 0) and no tie rule helps."""

    delta: float = 0.05
    beta_scale: float = 1.0
    beta: float | None = None
    norm_bound: float | None = None
    refresh_every: int = 1000
    tie_break: str = "lowest"

    def __post_init__(self) -> None:
        if self.tie_break not in TIE_BREAKS:
            raise ValueError(f"tie_break must be one of {TIE_BREAKS}, got {self.tie_break!r}")
        if not 0.0 < self.delta < 1.0:
            raise ValueError(f"delta must be in (0, 1), got {self.delta}")
        if not self.beta_scale >= 0:
            raise ValueError(f"beta_scale must be >= 0, got {self.beta_scale}")
        if self.beta is not None and not self.beta >= 0:
            raise ValueError(f"beta must be >= 0 (or None for the formula), got {self.beta}")
        if self.norm_bound is not None and not self.norm_bound > 0:
            raise ValueError(f"norm_bound must be > 0 (or None), got {self.norm_bound}")
        if isinstance(self.refresh_every, bool) or not isinstance(self.refresh_every, int):
            raise TypeError(f"refresh_every must be an int, got {self.refresh_every!r}")
        if self.refresh_every < 1:
            raise ValueError(f"refresh_every must be >= 1, got {self.refresh_every}")


class VTRCore(OnlineAlgorithm):
    """Value-targeted regression with M levels in G groups (shared state and loop).

    Subclasses choose the number of levels, the groups (G = 1: all steps pooled; G = H: one
    estimator per step, for time-inhomogeneous kernels), the ridge parameter, the per-step
    weights and the radius. State per seed and slot (group g, level m at slot ``g M + m``):
    running ``Sigma_tilde`` (Gram, inverse, target ``b``, ``log det``) and the copies frozen at
    the last episode end (``Sigma_hat``, ``theta_hat = Sigma_hat^{-1} b``), plus the plan
    ``Q_k``, ``V_k`` of the coming episode.
    """

    Config = VTRConfig

    def __init__(self, problem: Problem, config: VTRConfig, rngs: Sequence[np.random.Generator]):
        super().__init__(problem, config, rngs)
        if problem.mixture_basis is None:
            raise ValueError(f"{type(self).__name__} needs a linear-mixture basis phi(s'|s,a)")
        self.n_groups = int(self.groups(problem))
        if self.n_groups == 1 and not problem.time_homogeneous:
            raise ValueError(
                f"{type(self).__name__} pools all steps into one estimator and needs a "
                "time-homogeneous problem (one kernel and one reward table for every step)"
            )
        if problem.rewards is None:
            raise ValueError(f"{type(self).__name__} needs the known reward table")
        self.basis = np.asarray(problem.mixture_basis, dtype=float)
        self.n_states, self.n_actions, _, self.dim = self.basis.shape
        self.horizon = int(problem.horizon)
        self.rewards = np.asarray(problem.rewards, dtype=float)
        norm = config.norm_bound if config.norm_bound is not None else problem.norm_bound
        if norm is None or not norm > 0:
            raise ValueError(
                f"{type(self).__name__} needs a norm bound B > 0 on theta*: the model states none "
                "(metadata['norm_bound']); pass norm_bound in the algorithm's params"
            )
        self.norm_bound = float(norm)
        self.n_levels = int(self.levels())
        self.lam = float(self.ridge())
        self._psi_t = _vtr.integration_matrix(self.basis)
        shape = (self.n_seeds, self.n_groups * self.n_levels)
        eye = np.eye(self.dim)
        self._gram = np.broadcast_to(self.lam * eye, (*shape, self.dim, self.dim)).copy()
        self._inverse = np.broadcast_to(eye / self.lam, (*shape, self.dim, self.dim)).copy()
        self._target = np.zeros((*shape, self.dim))
        self._log_det = np.zeros(shape)  # log det Sigma_m - d log lam
        self._since_refresh = 0
        self._freeze()

    # ------------------------------------------------------------------ subclass choices
    def groups(self, problem: Problem) -> int:
        """Number of estimator groups G: 1 (all steps pooled) or H (one per step)."""
        return 1

    def levels(self) -> int:
        """Number of moment levels M."""
        return 1

    def ridge(self) -> float:
        """Ridge parameter lambda."""
        raise NotImplementedError

    def radius(self, k: int) -> np.ndarray:
        """Confidence radius ``beta_k`` of 1-based episode k per seed and group: ``[B, G]``."""
        raise NotImplementedError

    def weights(self, regressors: np.ndarray) -> np.ndarray:
        """Per-step weights ``sigma_bar^2 [B, M]`` for ``regressors [B, M, d]``."""
        return np.ones(regressors.shape[:2])

    # ------------------------------------------------------------------ state and planning
    def _freeze(self) -> None:
        """End of episode: freeze ``Sigma_hat_m``, solve ``theta_hat_m`` and plan ``Q_{k+1}``."""
        self._frozen_gram = self._gram.copy()
        self._frozen_inverse = self._inverse.copy()
        self._frozen_log_det = self._log_det.copy()
        self._theta = ridge_solve(self._frozen_inverse, self._target)
        self.radii = np.asarray(self.radius(self.episode + 1), dtype=float)  # [B, G]
        self.beta = self.radii[:, 0] if self.n_groups == 1 else self.radii
        level0 = slice(None, None, self.n_levels)  # level 0 of every group
        shape = (self.n_seeds, self.horizon, self.n_states, self.n_actions)
        keys = np.empty(shape) if self.config.tie_break == "unclipped" else None
        self._q, self._v = _vtr.optimistic_plan(
            self._psi_t,
            self.rewards,
            self._theta[:, level0],
            self._frozen_inverse[:, level0],
            self.radii,
            unclipped=keys,
        )
        if self.config.tie_break == "random":
            keys = np.stack([rng.random(self._q.shape[1:]) for rng in self.rngs])
        self._greedy = _vtr.greedy(self._q, keys)

    def _explicit_or(self, formula: float | np.ndarray) -> np.ndarray:
        cfg = self.config
        value = cfg.beta if cfg.beta is not None else cfg.beta_scale * formula
        shape = (self.n_seeds, self.n_groups)
        return np.broadcast_to(np.asarray(value, dtype=float), shape).copy()

    @property
    def estimates(self) -> np.ndarray:
        """Frozen ``theta_hat_m`` used in the coming episode: ``[B, M, d]`` (a copy)."""
        return self._theta.copy()

    @property
    def frozen_gram(self) -> np.ndarray:
        """``Sigma_hat_m`` frozen at the last episode end: ``[B, M, d, d]`` (a copy)."""
        return self._frozen_gram.copy()

    @property
    def frozen_inverse(self) -> np.ndarray:
        """``Sigma_hat_m^{-1}``: ``[B, M, d, d]`` (a copy)."""
        return self._frozen_inverse.copy()

    def q_values(self) -> np.ndarray:
        """Optimistic ``Q_{k,h}(s,a)`` of the coming episode (units of values in [0,1]):
        ``[B, H, S, A]`` (a copy)."""
        return self._q.copy()

    def values(self) -> np.ndarray:
        """``V_{k,h}(s)`` for ``h = 1..H+1``: ``[B, H+1, S]`` (a copy; ``V_{H+1} = 0``)."""
        return self._v.copy()

    def policy(self) -> np.ndarray:
        """Greedy ``argmax_a Q_{k,h}(s, a)`` (ties per ``tie_break``): ``int [B, H, S]``."""
        return self._greedy.copy()

    # ------------------------------------------------------------------ learning
    def update(self, trajectories: Trajectories) -> None:
        """Add episode k's H steps to every level (regressor ``phi_{V^(2^m)_{k,h+1}}(s_h,a_h)``,
        target ``V^(2^m)_{k,h+1}(s_{h+1})``), then freeze and plan episode k+1."""
        states, actions, _ = self.checked_trajectories(trajectories)
        seeds, levels = np.arange(self.n_seeds), self.n_levels
        for h in range(self.horizon):
            basis_sa = self.basis[states[:, h], actions[:, h]]  # [B, S', d]
            powers, regressors = _vtr.moment_regressors(basis_sa, self._v[:, h + 1], levels)
            targets = powers[seeds, :, states[:, h + 1]]  # [B, M]
            sigma2 = self.weights(regressors)
            group = 0 if self.n_groups == 1 else h
            slots = slice(group * levels, (group + 1) * levels)
            _vtr.weighted_update(
                self._gram[:, slots],
                self._inverse[:, slots],
                self._target[:, slots],
                self._log_det[:, slots],
                regressors,
                targets,
                sigma2,
            )
            self._since_refresh += 1
            if self._since_refresh >= self.config.refresh_every:
                self._inverse = cholesky_inverse(self._gram)
                self._log_det = np.linalg.slogdet(self._gram)[1] - self.dim * math.log(self.lam)
                self._since_refresh = 0
        self.episode += 1
        self._freeze()


@register(
    "ucrl-vtr",
    requires=("mixture", "finite-horizon", "unit-total-reward"),
    citation=AYOUB2020 + "; radius: Abbasi-Yadkori, Pál, Szepesvári, NeurIPS 2011, Thm 2",
    summary="UCRL-VTR: value-targeted ridge regression on phi_V plus an elliptical bonus, steps "
    "pooled (or one estimator per step: pooled = false); Hoeffding radius for values in [0,1]; "
    "lam = 1 and the radius constants are our choice",
    # on the conformance instance the theory radius saturates Q (one policy throughout) and a small
    # one is greedy-optimal from episode 1; at beta = 1.2 the estimate moves the policy
    smoke={"beta": 1.2},
    monitor=UCRL_VTR_MONITOR,
)
class UCRLVTR(VTRCore):
    """UCRL-VTR (Ayoub et al. 2020) on a linear mixture MDP with total reward <= 1.

    ``theta_hat = (lam I + sum phi_V phi_V^T)^{-1} sum phi_V V(s')`` over all steps so far
    (``pooled``, the default: needs a time-homogeneous kernel) or over step h's samples only
    (``pooled = False``: one estimator per step, the time-inhomogeneous setting of Zhou, Gu,
    Szepesvári 2021); plan with
    ``beta_k = 1/2 sqrt(2 log(1/delta) + log(det Sigma_hat / lam^d)) + sqrt(lam) B`` (per group).
    Not verified against the paper: its exact radius constants and lam (we use lam = 1 and the
    self-normalized radius for 1/2-sub-Gaussian targets); the paper plans over the ellipsoid,
    which for the linear value ``<theta, phi_V>`` is the closed-form bonus used here.
    """

    @dataclass(frozen=True)
    class Config(VTRConfig):
        """``lam``: ridge parameter (our default 1); ``pooled``: one estimator for all steps
        (True) or one per step (False)."""

        lam: float = 1.0
        pooled: bool = True

        def __post_init__(self) -> None:
            super().__post_init__()
            if not self.lam > 0:
                raise ValueError(f"lam must be > 0, got {self.lam}")

    def groups(self, problem: Problem) -> int:
        return 1 if self.config.pooled else int(problem.horizon)

    def ridge(self) -> float:
        return self.config.lam

    def radius(self, k: int) -> np.ndarray:
        formula = _vtr.hoeffding_radius(
            self._frozen_log_det, self.config.delta, self.lam, self.norm_bound
        )
        return self._explicit_or(formula)
