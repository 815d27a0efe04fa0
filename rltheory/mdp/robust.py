"""d-rectangular robust MDPs on a nominal linear MDP, with exact robust values.

The nominal model is a linear MDP ``P0_h(.|s,a) = sum_i phi_i(s,a) mu0_{h,i}(.)`` with simplex
features and probability measures ``mu0_{h,i}`` (a :class:`LowRankTransitions` kernel with
``latent`` factors). The adversary perturbs each factor ``mu_{h,i}`` separately
(d-rectangularity), so the robust Bellman equation stays linear in the features:

    Q_h(s, a) = r_h(s, a) + <phi(s, a), nu_h>,   nu_{h,i} = inner_i(V_{h+1})

(Tang, Liu, Xu 2025, Prop. 4.1). Two kinds:

- ``"regularized"`` (d-RRMDP, Tang, Liu, Xu 2025):
  ``inner_i(V) = inf_mu E_mu V + lam D(mu || mu0_{h,i})``, ``D`` in {tv, kl, chi2}, ``level = lam``;
- ``"constrained"`` (d-DRMDP, Liu & Xu 2024; Ma et al. 2022): ``inner_i(V) = inf_{D(mu, mu0_{h,i})
  <= rho} E_mu V`` with ``D`` in {tv, kl} and ``level = rho`` (scalar or one radius per coordinate).

Each inner problem is solved exactly by :mod:`rltheory.mdp.duals`, for all coordinates and a batch
of policies at once; values come from backward induction (no truncation is needed: robust values
lie in ``[0, H - h]`` like nominal ones). Policies are arrays as in :mod:`rltheory.mdp.planning`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory.mdp import duals
from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.planning import Solution, _average, _policy_kind
from rltheory.mdp.transitions import LowRankTransitions

DIVERGENCES = {"regularized": ("tv", "kl", "chi2"), "constrained": ("tv", "kl")}
"""Divergences each kind supports."""


def inner_problem(
    kind: str, divergence: str, weights: np.ndarray, values: np.ndarray, level
) -> np.ndarray:
    """``nu [..., d]``: the exact per-coordinate dual for measures ``weights [d, S]``.

    ``values [..., S]`` is ``V_{h+1}``; TV thresholds use ``min_s V(s)`` over all states.
    """
    if kind == "regularized":
        if divergence == "tv":
            return duals.tv_regularized(weights, values, level)
        if divergence == "kl":
            return duals.kl_regularized(weights, values, level)
        return duals.chi2_regularized(weights, values, level)
    if divergence == "tv":
        return duals.tv_ball(weights, values, level)
    return duals.kl_ball(weights, values, level)


@dataclass(frozen=True, eq=False)
class RobustMDP:
    """A d-rectangular robust MDP: nominal linear MDP, divergence, kind and level (lam or rho).

    ``nominal`` must have a low-rank kernel with simplex features and probability measures
    ``mu0_{h,i}`` (Tang, Liu, Xu 2025, §3, "d-rectangular linear RRMDP"); rewards are the nominal
    model's.
    """

    nominal: FiniteHorizonMDP
    divergence: str
    level: float | np.ndarray
    kind: str = "regularized"

    def __post_init__(self) -> None:
        if self.kind not in DIVERGENCES:
            raise ValueError(f"kind must be one of {sorted(DIVERGENCES)}, got {self.kind!r}")
        allowed = DIVERGENCES[self.kind]
        if self.divergence not in allowed:
            raise ValueError(
                f"divergence {self.divergence!r} is not available for a {self.kind} robust MDP; "
                f"choose one of {list(allowed)}"
            )
        if not isinstance(self.nominal, FiniteHorizonMDP):
            raise TypeError(f"nominal must be a FiniteHorizonMDP, got {type(self.nominal)}")
        kernel = self.nominal.transitions
        if not (isinstance(kernel, LowRankTransitions) and kernel.latent):
            raise ValueError(
                "a d-rectangular robust MDP needs a nominal LowRankTransitions kernel with simplex "
                "features phi(s,a) and probability measures mu0_{h,i} (Tang, Liu, Xu 2025, §3)"
            )
        level = np.asarray(self.level, dtype=float)
        if level.ndim > 1 or (level.ndim == 1 and level.shape != (kernel.dim,)):
            raise ValueError(f"level must be a scalar or one value per coordinate [d={kernel.dim}]")
        if np.any(level <= 0) or not np.all(np.isfinite(level)):
            name = "lam" if self.kind == "regularized" else "rho"
            raise ValueError(f"level ({name}) must be finite and > 0, got {self.level}")
        if self.kind == "regularized" and level.ndim:
            raise ValueError("a regularized robust MDP takes one scalar lam")
        if self.kind == "constrained" and self.divergence == "tv" and np.any(level > 1):
            raise ValueError(f"a TV radius rho lies in (0, 1], got {self.level}")
        object.__setattr__(self, "level", float(level) if level.ndim == 0 else level)

    @property
    def horizon(self) -> int:
        return self.nominal.horizon

    def inner(self, values: np.ndarray, h: int) -> np.ndarray:
        """``nu_h [..., d]``: the exact inner problem at step ``h`` for ``values [..., S]``."""
        kernel = self.nominal.transitions
        weights = kernel.mu[kernel.layer(h)]
        return inner_problem(self.kind, self.divergence, weights, values, self.level)

    def backup(self, values: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Robust Bellman backup: ``(Q_h [..., S, A], nu_h [..., d])`` from ``V_{h+1} [..., S]``."""
        nu = self.inner(values, h)
        q = self.nominal.rewards[h] + np.einsum("sad,...d->...sa", self.nominal.features, nu)
        return q, nu


def robust_or_none(
    model: FiniteHorizonMDP, divergence: str, level, kind: str = "regularized"
) -> RobustMDP | None:
    """``RobustMDP(model, ...)`` when ``model`` is d-rectangular (simplex low-rank), else None."""
    kernel = model.transitions
    if not (isinstance(kernel, LowRankTransitions) and kernel.latent):
        return None
    return RobustMDP(model, divergence, level, kind)


def robust_q_values(robust: RobustMDP, policy: np.ndarray) -> np.ndarray:
    """Exact robust ``Q^{pi,lam}_h(s, a)`` ``[..., H, S, A]`` of a (batch of) policies.

    Backward induction on the robust Bellman equation (Tang, Liu, Xu 2025, eq. 3.6 / Prop. 4.1):
    ``Q_h = r_h + phi^T nu_h(V_{h+1})``, ``V_h(s) = E_{a ~ pi_h(.|s)} Q_h(s, a)``, ``V_{H+1} = 0``.
    """
    model = robust.nominal
    policy = np.asarray(policy)
    deterministic = _policy_kind(policy, (model.horizon, model.n_states), model.n_actions)
    batch = policy.shape[: policy.ndim - (2 if deterministic else 3)]
    q = np.empty((*batch, model.horizon, model.n_states, model.n_actions))
    v_next = np.zeros((*batch, model.n_states))
    for h in range(model.horizon - 1, -1, -1):
        q[..., h, :, :] = robust.backup(v_next, h)[0]
        pi_h = policy[..., h, :] if deterministic else policy[..., h, :, :]
        v_next = _average(q[..., h, :, :], pi_h, deterministic)
    return q


def robust_evaluate(robust: RobustMDP, policy: np.ndarray) -> np.ndarray:
    """Exact robust value ``V^{pi,lam}_h(s)`` ``[..., H, S]`` of a (batch of) policies."""
    policy = np.asarray(policy)
    model = robust.nominal
    deterministic = _policy_kind(policy, (model.horizon, model.n_states), model.n_actions)
    return _average(robust_q_values(robust, policy), policy, deterministic)


def robust_optimal(robust: RobustMDP) -> Solution:
    """Robust optimal ``Q^{*,lam}``, ``V^{*,lam}`` and a deterministic optimal policy.

    A deterministic Markov optimal policy exists (Tang, Liu, Xu 2025, Prop. 3.3): greedy backward
    induction on the robust Bellman optimality equation, ties to the lowest action index.
    """
    model = robust.nominal
    q = np.empty((model.horizon, model.n_states, model.n_actions))
    v = np.empty((model.horizon, model.n_states))
    policy = np.empty((model.horizon, model.n_states), dtype=np.int64)
    v_next = np.zeros(model.n_states)
    for h in range(model.horizon - 1, -1, -1):
        q[h] = robust.backup(v_next, h)[0]
        policy[h] = q[h].argmax(-1)
        v[h] = np.take_along_axis(q[h], policy[h][:, None], -1)[:, 0]
        v_next = v[h]
    return Solution(q, v, policy)
