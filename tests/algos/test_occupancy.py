"""Occupancy bounds over the L1 confidence set against exact oracles.

Oracles: a cvxpy LP over the same set (occupancy measures ``q_h(s,a,s')`` with the policy and L1
constraints, Jin et al. 2020 §4), a scipy LP for the inner maximum over one L1 ball,
and the exact occupancy when the radius is 0. Each oracle is shown to catch a broken input.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from rltheory.algos._occupancy import (
    empirical_kernel,
    extreme_expectation,
    l1_radius,
    occupancy_bounds,
)
from rltheory.mdp import FiniteHorizonMDP, occupancy


def _instance(seed: int, n_states: int = 3, n_actions: int = 2, horizon: int = 3):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 6, size=(horizon, n_states, n_actions, n_states))
    counts[0, 0, 0] = 0  # an unvisited row
    p_hat = empirical_kernel(counts)
    radius = rng.uniform(0.0, 0.8, size=(horizon, n_states, n_actions))
    radius[0, 0, 0] = 2.0
    policy = rng.dirichlet(np.ones(n_actions), size=(horizon, n_states))
    initial = rng.dirichlet(np.ones(n_states))
    return policy, p_hat, radius, initial


def lp_reach(policy, p_hat, radius, initial, step, target, maximize):
    """``max``/``min`` of ``P(s_step = target)`` over the L1 set, as one LP (cvxpy)."""
    import cvxpy as cp

    horizon, n_states, n_actions = policy.shape
    q = [cp.Variable((n_states * n_actions, n_states), nonneg=True) for _ in range(horizon)]
    cons = []
    for h in range(horizon):
        qsa = cp.sum(q[h], axis=1)  # q_h(s, a), flattened s*A + a
        inflow = initial if h == 0 else cp.sum(q[h - 1], axis=0)
        state = cp.hstack(
            [cp.sum(qsa[s * n_actions : (s + 1) * n_actions]) for s in range(n_states)]
        )
        cons.append(state == inflow)
        pi = policy[h].reshape(-1)
        for s in range(n_states):
            for a in range(n_actions):
                cons.append(qsa[s * n_actions + a] == pi[s * n_actions + a] * state[s])
        p = p_hat[h].reshape(n_states * n_actions, n_states)
        eps = radius[h].reshape(-1)
        dev = cp.Variable((n_states * n_actions, n_states), nonneg=True)
        cons += [dev >= q[h] - cp.multiply(p, qsa[:, None] @ np.ones((1, n_states)))]
        cons += [dev >= cp.multiply(p, qsa[:, None] @ np.ones((1, n_states))) - q[h]]
        cons += [cp.sum(dev, axis=1) <= cp.multiply(eps, qsa)]
    reach = cp.sum(q[step - 1], axis=0)[target]
    problem = cp.Problem(cp.Maximize(reach) if maximize else cp.Minimize(reach), cons)
    problem.solve(solver="CLARABEL")
    return problem.value


@pytest.mark.parametrize("seed", [0, 1])
def test_bounds_equal_the_lp_over_the_confidence_set(seed):
    policy, p_hat, radius, initial = _instance(seed)
    upper, lower = occupancy_bounds(policy, p_hat, radius, initial)
    np.testing.assert_array_equal(upper[0], initial)
    for step in (1, 2):
        for x in range(3):
            hi = lp_reach(policy, p_hat, radius, initial, step, x, True)
            lo = lp_reach(policy, p_hat, radius, initial, step, x, False)
            assert upper[step, x] == pytest.approx(hi, abs=1e-6)
            assert lower[step, x] == pytest.approx(lo, abs=1e-6)
    # The oracle catches a broken bound: halving the radius changes the maximum.
    broken, _ = occupancy_bounds(policy, p_hat, radius / 2, initial)
    assert abs(broken[2] - upper[2]).max() > 1e-3


def test_zero_radius_gives_the_exact_occupancy():
    policy, p_hat, radius, initial = _instance(2)
    upper, lower = occupancy_bounds(policy, p_hat, np.zeros_like(radius), initial)
    model = FiniteHorizonMDP(p_hat, np.zeros(policy.shape), initial)
    exact = occupancy(model, policy).sum(-1)
    np.testing.assert_allclose(upper, exact, atol=1e-13)
    np.testing.assert_allclose(lower, exact, atol=1e-13)


def _ball_lp_max(p_hat, radius, values):
    """Oracle: ``max <p, v>`` over simplex ∩ L1 ball, an LP in ``(p, t)``, ``t >= |p - p_hat|``."""
    n = p_hat.size
    eye = np.eye(n)
    a_ub = np.block([[eye, -eye], [-eye, -eye], [np.zeros((1, n)), np.ones((1, n))]])
    b_ub = np.concatenate([p_hat, -p_hat, [radius]])
    a_eq = np.concatenate([np.ones(n), np.zeros(n)])[None]
    result = linprog(
        np.concatenate([-values, np.zeros(n)]),
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=[1.0],
        bounds=[(0, None)] * (2 * n),
        method="highs",
    )
    return -result.fun


def test_extreme_expectation_matches_brute_force_and_catches_a_broken_direction():
    rng = np.random.default_rng(5)
    for _ in range(20):
        p = rng.dirichlet(np.ones(4))
        v = rng.uniform(size=4)
        eps = rng.uniform(0, 2.2)
        got = extreme_expectation(p, np.float64(eps), v)
        assert got == pytest.approx(_ball_lp_max(p, eps, v), abs=1e-9)
        low = extreme_expectation(p, np.float64(eps), v, maximize=False)
        assert low == pytest.approx(-_ball_lp_max(p, eps, -v), abs=1e-9)
        assert low <= p @ v <= got
    p, v = np.array([0.5, 0.5, 0.0]), np.array([0.0, 1.0, 2.0])
    assert extreme_expectation(p, np.float64(0.4), v) == pytest.approx(0.5 + 0.4)
    assert extreme_expectation(p, np.float64(0.4), v) != pytest.approx(p @ v)


def test_batched_bounds_equal_each_item_alone_bit_for_bit():
    items = [_instance(seed) for seed in range(3)]
    policy = np.stack([i[0] for i in items])
    p_hat = np.stack([i[1] for i in items])
    radius = np.stack([i[2] for i in items])
    initial = items[0][3]
    upper, lower = occupancy_bounds(policy, p_hat, radius, initial)
    for b, (pi, p, r, _) in enumerate(items):
        u, low = occupancy_bounds(pi, p, r, initial)
        assert np.array_equal(upper[b], u) and np.array_equal(lower[b], low)


def test_radius_shrinks_with_counts_and_is_capped():
    eps = l1_radius(np.array([0, 1, 100, 10**6]), 5, 2, 3, 100, 0.1)
    assert eps[0] == eps[1] == 2.0 and eps[2] > eps[3] > 0
