"""Pure cores of policy optimization with bandit feedback (Luo, Wei, Lee 2021; Shani et al. 2020).

Notation (0-based steps ``h = 0..H-1``; losses minimized): a trajectory ``(s_h, a_h)`` with
losses ``c_h = l_h(s_h, a_h)``; ``u_bar_h(s)``, ``u_low_h(s)`` the upper/lower occupancy bounds
of :mod:`rltheory.algos._occupancy`; ``gamma`` the implicit-exploration parameter. Every
function is batched over a leading seed axis ``B`` and reduces only along trailing axes.
"""

from __future__ import annotations

import numpy as np

from rltheory.algos._occupancy import extreme_expectation


def realized_cost_to_go(losses: np.ndarray) -> np.ndarray:
    """``L_h = sum_{h' >= h} c_{h'}`` for ``losses [B, H]`` (the realized cost-to-go)."""
    return np.cumsum(losses[..., ::-1], axis=-1)[..., ::-1]


def visit_indicator_scatter(
    states: np.ndarray, actions: np.ndarray, values: np.ndarray, shape: tuple[int, int, int]
) -> np.ndarray:
    """``X_h(s, a) = values_h 1{(s_h, a_h) = (s, a)}``, ``[B, H, S, A]`` from ``[B, H]`` arrays."""
    n_seeds, horizon = actions.shape
    out = np.zeros((n_seeds, *shape))
    seeds = np.arange(n_seeds)[:, None]
    out[seeds, np.arange(horizon), states[:, :horizon], actions] = values
    return out


def importance_weighted_q(
    states: np.ndarray, actions: np.ndarray, losses: np.ndarray, denominator: np.ndarray
) -> np.ndarray:
    """``Q_hat_h(s,a) = L_h 1{(s_h,a_h) = (s,a)} / denominator_h(s,a)`` (Luo et al. 2021).

    ``denominator [B, H, S, A]`` is ``u_bar_h(s) pi_h(a|s) + gamma`` (no delay), or DAPO's
    ``max{u_bar^{pi_j}, u_bar^{pi_k}} pi + gamma`` for feedback of episode j used at time k.
    """
    seeds = np.arange(actions.shape[0])[:, None]
    steps = np.arange(actions.shape[1])
    visited = denominator[seeds, steps, states[:, :-1], actions]
    return visit_indicator_scatter(
        states, actions, realized_cost_to_go(losses) / visited, denominator.shape[1:]
    )


def importance_weighted_cost(
    states: np.ndarray, actions: np.ndarray, losses: np.ndarray, denominator: np.ndarray
) -> np.ndarray:
    """``c_hat_h(s,a) = c_h 1{(s_h,a_h) = (s,a)} / denominator_h(s,a)`` (per-step estimate)."""
    seeds = np.arange(actions.shape[0])[:, None]
    steps = np.arange(actions.shape[1])
    visited = denominator[seeds, steps, states[:, :-1], actions]
    return visit_indicator_scatter(states, actions, losses / visited, denominator.shape[1:])


def dilated_bonus(
    policy: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    p_hat: np.ndarray,
    radius: np.ndarray,
    gamma: float,
) -> np.ndarray:
    """Dilated bonus ``B [B, H, S, A]`` (Luo, Wei, Lee 2021; remembered form, unverified):

    ``b_h(s) = E_{a ~ pi_h(.|s)} [(3 gamma H + H (u_bar_h(s,a) - u_low_h(s,a))) /
    (u_bar_h(s,a) + gamma)]`` and ``B_H = 0``,
    ``B_h(s,a) = b_h(s) + (1 + 1/H) max_{P in set} E_{s' ~ P(.|s,a)} E_{a' ~ pi_{h+1}} B_{h+1}``.
    ``upper``/``lower`` are state bounds ``[B, H, S]``; state-action ones are ``u(s) pi(a|s)``.
    Pairs with ``u_bar + gamma = 0`` (unreachable under every kernel of the set) get ratio 0.
    """
    horizon = policy.shape[-3]
    upper_sa, lower_sa = upper[..., None] * policy, lower[..., None] * policy
    numerator = 3.0 * gamma * horizon + horizon * (upper_sa - lower_sa)
    denominator = upper_sa + gamma  # 0 only on pairs no kernel of the set reaches (gamma = 0)
    ratio = np.divide(numerator, denominator, out=np.zeros(policy.shape), where=denominator > 0)
    small_b = (policy * ratio).sum(-1)  # [B, H, S]
    bonus = np.empty(policy.shape)
    v_next = np.zeros(policy.shape[:-3] + policy.shape[-2:-1])
    for h in range(horizon - 1, -1, -1):
        optimistic = extreme_expectation(
            p_hat[..., h, :, :, :], radius[..., h, :, :], v_next[..., None, None, :]
        )
        bonus[..., h, :, :] = small_b[..., h, :, None] + (1.0 + 1.0 / horizon) * optimistic
        v_next = (policy[..., h, :, :] * bonus[..., h, :, :]).sum(-1)
    return bonus


def optimistic_backup(
    cost: np.ndarray, policy: np.ndarray, p_hat: np.ndarray, radius: np.ndarray, truncate: bool
) -> np.ndarray:
    """Model-backup Q-estimate (Shani et al. 2020 style, optimism over the L1 set) [M]:

    ``Q_h = c_hat_h + min_{P in set} P_h V_{h+1}``, ``V_h = <pi_h, Q_h>``, ``V_H = 0``;
    with ``truncate`` each ``Q_h`` is clipped to ``[0, H - h]``. Returns ``[B, H, S, A]``.
    """
    horizon = policy.shape[-3]
    q = np.empty(policy.shape)
    v_next = np.zeros(policy.shape[:-3] + policy.shape[-2:-1])
    for h in range(horizon - 1, -1, -1):
        backup = extreme_expectation(
            p_hat[..., h, :, :, :], radius[..., h, :, :], v_next[..., None, None, :], maximize=False
        )
        q_h = cost[..., h, :, :] + backup
        q[..., h, :, :] = np.clip(q_h, 0.0, horizon - h) if truncate else q_h
        v_next = (policy[..., h, :, :] * q[..., h, :, :]).sum(-1)
    return q


def softmax_policy(logits: np.ndarray) -> np.ndarray:
    """``pi(a|s) ∝ exp(logits(s, a))`` along the last axis (max subtracted for stability)."""
    shifted = np.exp(logits - logits.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)
