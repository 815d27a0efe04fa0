"""Exact planning on known models, vectorized over states, actions and a batch of policies.

Finite horizon: backward induction ``Q_h = r_h + P_h V_{h+1}``, ``V_{H} = 0`` (0-based steps).
Discounted: policy iteration with exact (linear-solve) evaluation. Policies are arrays:
deterministic ``int [..., H, S]`` or stochastic ``float [..., H, S, A]`` (``[..., S]`` /
``[..., S, A]`` for discounted models); any leading axes form a batch and are kept in results.
Ties in ``argmax``/``argmin`` go to the lowest action index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory.mdp.models import DiscountedMDP, FiniteHorizonMDP
from rltheory.mdp.transitions import TransitionOperator

Model = FiniteHorizonMDP | DiscountedMDP

_DENSE_SOLVE_LIMIT = 4000
"""Largest S for which discounted evaluation solves ``(I - gamma P_pi) v = r_pi`` densely."""


@dataclass(frozen=True)
class Solution:
    """Optimal (or best-in-hindsight) values and a greedy deterministic policy.

    ``q [H, S, A]``, ``v [H, S]``, ``policy [H, S]`` (ints) for finite-horizon models; the same
    without the H axis for discounted ones.
    """

    q: np.ndarray
    v: np.ndarray
    policy: np.ndarray


def backward_induction(
    transitions: TransitionOperator, rewards: np.ndarray, *, minimize: bool = False
) -> Solution:
    """Bellman optimality recursion ``Q_h = r_h + P_h V_{h+1}``, ``V_h = max_a Q_h`` (or min).

    ``rewards [H, S, A]``; returns q ``[H, S, A]``, v ``[H, S]``, policy ``[H, S]``.
    """
    horizon, n_states, n_actions = rewards.shape
    q = np.empty((horizon, n_states, n_actions))
    v = np.empty((horizon, n_states))
    policy = np.empty((horizon, n_states), dtype=np.int64)
    v_next = np.zeros(n_states)
    for h in range(horizon - 1, -1, -1):
        q_h = q[h]
        transitions.expect(v_next, h, out=q_h)  # written in place: no [S, A] temporaries
        q_h += rewards[h]
        policy[h] = q_h.argmin(-1) if minimize else q_h.argmax(-1)
        v[h] = np.take_along_axis(q_h, policy[h][:, None], -1)[:, 0]
        v_next = v[h]
    return Solution(q, v, policy)


def _policy_kind(policy: np.ndarray, shape: tuple[int, ...], n_actions: int) -> bool:
    """Validate a policy against ``shape`` (``(H, S)`` or ``(S,)``); True if deterministic."""
    policy = np.asarray(policy)
    if np.issubdtype(policy.dtype, np.integer):
        if policy.shape[policy.ndim - len(shape) :] != shape:
            raise ValueError(
                f"a deterministic policy must have shape [..., {', '.join(map(str, shape))}], "
                f"got {policy.shape}"
            )
        if policy.size and (policy.min() < 0 or policy.max() >= n_actions):
            outside = np.argwhere((policy < 0) | (policy >= n_actions))
            index = tuple(int(i) for i in outside[0])
            raise ValueError(
                f"deterministic policy has an action outside [0, {n_actions}) at index {index}: "
                f"{policy[index]}"
            )
        return True
    if not np.issubdtype(policy.dtype, np.floating):
        raise ValueError(
            f"policy must be an int (deterministic) or float array, got {policy.dtype}"
        )
    full = (*shape, n_actions)
    if policy.shape[policy.ndim - len(full) :] != full:
        raise ValueError(
            f"a stochastic policy must have shape [..., {', '.join(map(str, full))}], "
            f"got {policy.shape}"
        )
    if not np.all(np.isfinite(policy)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(policy))[0])
        raise ValueError(f"stochastic policy has a non-finite entry at index {index}")
    if policy.size and policy.min() < -1e-12:
        index = tuple(int(i) for i in np.unravel_index(policy.argmin(), policy.shape))
        raise ValueError(f"stochastic policy has a negative probability at index {index}")
    sums = policy.sum(-1)
    if np.any(np.abs(sums - 1) > 1e-8):
        index = tuple(int(i) for i in np.argwhere(np.abs(sums - 1) > 1e-8)[0])
        raise ValueError(f"stochastic policy rows must sum to 1; row {index} sums to {sums[index]}")
    return False


def _average(q: np.ndarray, pi: np.ndarray, deterministic: bool) -> np.ndarray:
    """``V(s) = Q(s, pi(s))`` or ``sum_a pi(a|s) Q(s, a)``, broadcasting leading axes."""
    if deterministic:
        if q.shape[:-1] != pi.shape:
            q, pi = np.broadcast_arrays(q, pi[..., None])
            pi = pi[..., 0]
        return np.take_along_axis(q, pi[..., None], -1)[..., 0]
    return np.einsum("...a,...a->...", q, pi)


def q_values(
    model: FiniteHorizonMDP, policy: np.ndarray, rewards: np.ndarray | None = None
) -> np.ndarray:
    """``Q^pi_h(s, a)`` for a finite-horizon model: ``[..., H, S, A]`` (batch axes from ``policy``).

    ``rewards`` overrides the model's rewards (``[..., H, S, A]``, broadcast against the batch):
    adversarial losses, or the episode-k loss ``l^k``.
    """
    if not isinstance(model, FiniteHorizonMDP):
        raise TypeError(f"q_values needs a FiniteHorizonMDP, got {type(model).__name__}")
    policy = np.asarray(policy)
    deterministic = _policy_kind(policy, (model.horizon, model.n_states), model.n_actions)
    r = model.rewards if rewards is None else np.asarray(rewards, dtype=float)
    if r.shape[-3:] != model.rewards.shape:
        raise ValueError(f"rewards must end with axes {model.rewards.shape}, got {r.shape}")
    batch = np.broadcast_shapes(
        policy.shape[: policy.ndim - (2 if deterministic else 3)], r.shape[:-3]
    )
    q = np.empty((*batch, model.horizon, model.n_states, model.n_actions))
    v_next = np.zeros((*batch, model.n_states))
    for h in range(model.horizon - 1, -1, -1):
        q[..., h, :, :] = r[..., h, :, :] + model.transitions.expect(v_next, h)
        pi_h = policy[..., h, :] if deterministic else policy[..., h, :, :]
        v_next = _average(q[..., h, :, :], pi_h, deterministic)
    return q


def evaluate(model: Model, policy: np.ndarray, rewards: np.ndarray | None = None) -> np.ndarray:
    """Exact value ``V^pi`` of a policy (batched over leading axes of ``policy``).

    Finite horizon: ``v [..., H, S]`` by backward recursion ``V_h = E_pi[r_h + P_h V_{h+1}]``.
    Discounted: ``v [..., S]`` solving ``(I - gamma P_pi) v = r_pi`` exactly.
    """
    if isinstance(model, DiscountedMDP):
        return _evaluate_discounted(model, policy, rewards)
    policy = np.asarray(policy)
    deterministic = _policy_kind(policy, (model.horizon, model.n_states), model.n_actions)
    q = q_values(model, policy, rewards)
    return _average(q, policy, deterministic)


def initial_value(model: Model, values: np.ndarray) -> np.ndarray:
    """``E_{s ~ mu0} V_1(s)`` from ``values [..., H, S]`` (or ``[..., S]`` for discounted)."""
    v1 = values[..., 0, :] if isinstance(model, FiniteHorizonMDP) else values
    return v1 @ model.initial_distribution


def optimal(model: Model) -> Solution:
    """Optimal ``Q*``, ``V*`` and a deterministic optimal policy ``pi*`` (lowest-index ties)."""
    if isinstance(model, DiscountedMDP):
        return _optimal_discounted(model)
    return backward_induction(model.transitions, model.rewards)


def occupancy(model: FiniteHorizonMDP, policy: np.ndarray) -> np.ndarray:
    """State-action occupancy ``q_h(s, a) = P^pi(s_h = s, a_h = a)``, ``[..., H, S, A]``.

    Forward recursion from ``d_0 = mu0``: ``q_h = d_h * pi_h``,
    ``d_{h+1}(s') = sum_{s,a} q_h(s,a) P_h(s'|s,a)``.
    """
    policy = np.asarray(policy)
    deterministic = _policy_kind(policy, (model.horizon, model.n_states), model.n_actions)
    if deterministic:
        policy = np.eye(model.n_actions)[policy]
    batch = policy.shape[:-3]
    out = np.empty((*batch, model.horizon, model.n_states, model.n_actions))
    state = np.broadcast_to(model.initial_distribution, (*batch, model.n_states))
    for h in range(model.horizon):
        out[..., h, :, :] = state[..., None] * policy[..., h, :, :]
        state = model.transitions.push(out[..., h, :, :], h)
    return out


def best_in_hindsight(model: FiniteHorizonMDP, losses: np.ndarray) -> Solution:
    """Best fixed policy for an oblivious loss sequence ``losses [K, H, S, A]``.

    ``V^{k,pi}_1 = <q^pi, l^k>`` is linear in the losses for fixed P, so
    ``min_pi sum_k V^{k,pi}_1 = min_pi V^pi_1(L)`` with ``L = sum_k l^k``: one backward induction
    on the summed loss (minimizing). The returned ``v`` is the summed loss-to-go.
    """
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 4 or losses.shape[1:] != model.rewards.shape:
        raise ValueError(
            f"losses must have shape [K, H, S, A] = [K, {', '.join(map(str, model.rewards.shape))}]"
            f", got {losses.shape}"
        )
    return backward_induction(model.transitions, losses.sum(axis=0), minimize=True)


# --- discounted models -------------------------------------------------------------------------


def _policy_matrix(model: DiscountedMDP, policy: np.ndarray, deterministic: bool) -> np.ndarray:
    """``P_pi [..., S, S']`` and is only used when S is small enough for dense algebra."""
    dense = model.transitions.dense()[0]  # [S, A, S]
    if deterministic:
        return dense[np.arange(model.n_states), policy]
    return np.einsum("...sa,sat->...st", policy, dense)


def _evaluate_discounted(
    model: DiscountedMDP, policy: np.ndarray, rewards: np.ndarray | None
) -> np.ndarray:
    policy = np.asarray(policy)
    deterministic = _policy_kind(policy, (model.n_states,), model.n_actions)
    r = model.rewards if rewards is None else np.asarray(rewards, dtype=float)
    r_pi = _average(r, policy, deterministic)
    if model.n_states <= _DENSE_SOLVE_LIMIT:
        p_pi = _policy_matrix(model, policy, deterministic)
        system = np.eye(model.n_states) - model.gamma * p_pi
        return np.linalg.solve(system, r_pi[..., None])[..., 0]
    # Large S: Richardson iteration v <- r_pi + gamma P_pi v, a gamma-contraction, to 1e-12.
    v = r_pi.copy()
    tol = 1e-12 * (1.0 - model.gamma)
    while True:
        v_new = r_pi + model.gamma * _average(model.transitions.expect(v), policy, deterministic)
        if np.max(np.abs(v_new - v)) <= tol:
            return v_new
        v = v_new


def _optimal_discounted(model: DiscountedMDP) -> Solution:
    """Policy iteration (Howard): exact evaluation, greedy improvement, stop when stable.

    Ties keep the incumbent action unless another improves by more than 1e-12, so the
    iteration cannot cycle on floating-point ties.
    """
    states = np.arange(model.n_states)
    policy = model.rewards.argmax(-1)
    while True:
        v = _evaluate_discounted(model, policy, None)
        q = model.rewards + model.gamma * model.transitions.expect(v)
        greedy = q.argmax(-1)
        improve = q[states, greedy] > q[states, policy] + 1e-12
        if not improve.any():
            best = q.argmax(-1)
            return Solution(q, q[states, best], best)
        policy = np.where(improve, greedy, policy)


def discounted_occupancy(model: DiscountedMDP, policy: np.ndarray) -> np.ndarray:
    """Discounted occupancy ``(1 - gamma) sum_t gamma^t P(s_t=s, a_t=a)``, ``[..., S, A]``."""
    policy = np.asarray(policy)
    deterministic = _policy_kind(policy, (model.n_states,), model.n_actions)
    if deterministic:
        policy = np.eye(model.n_actions)[policy]
    p_pi = _policy_matrix(model, policy, False)
    system = np.eye(model.n_states) - model.gamma * np.swapaxes(p_pi, -1, -2)
    rhs = np.broadcast_to((1 - model.gamma) * model.initial_distribution, p_pi.shape[:-1])
    state = np.linalg.solve(system, rhs[..., None])[..., 0]
    return state[..., None] * policy
