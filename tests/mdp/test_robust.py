"""Exact duals and robust values of d-rectangular robust MDPs against independent oracles.

Oracles: cvxpy solves of the primal inner problems (``inf_mu E_mu V + lam D`` or the ball
constraint) and a dense grid over ``alpha`` for the chi2 objective, including ridge-like signed
weights and the clipping of Tang, Liu, Xu 2025 (Algorithm 4).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from rltheory.mdp import (
    FiniteHorizonMDP,
    LowRankTransitions,
    RobustMDP,
    duals,
    evaluate,
    optimal,
    robust_evaluate,
    robust_optimal,
    robust_q_values,
)

# --- primal oracles ----------------------------------------------------------------------------


def primal(values: np.ndarray, mu0: np.ndarray, level: float, divergence: str, ball: bool):
    """``inf_mu E_mu V + lam D(mu, mu0)`` (or ``s.t. D <= rho``) over the simplex, by cvxpy."""
    mu = cp.Variable(len(values), nonneg=True)
    if divergence == "tv":
        div = 0.5 * cp.norm1(mu - mu0)
    elif divergence == "kl":
        div = cp.sum(cp.rel_entr(mu, mu0))
    else:
        div = cp.sum(cp.multiply(cp.square(mu - mu0), 1.0 / mu0))
    constraints = [cp.sum(mu) == 1]
    if ball:
        objective = mu @ values
        constraints.append(div <= level)
    else:
        objective = mu @ values + level * div
    problem = cp.Problem(cp.Minimize(objective), constraints)
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return problem.value


def _case(rng, n_states, full_support=True):
    values = rng.uniform(0.0, 3.0, n_states)
    mu0 = rng.dirichlet(np.ones(n_states))
    if not full_support:
        mu0[rng.integers(n_states)] = 0.0
        mu0 /= mu0.sum()
    return values, mu0


@pytest.mark.parametrize("divergence", ["tv", "kl", "chi2"])
def test_regularized_duals_equal_the_primal(divergence):
    rng = np.random.default_rng(11)
    for trial in range(12):
        values, mu0 = _case(rng, int(rng.integers(3, 7)), full_support=divergence != "tv")
        lam = float(rng.uniform(0.05, 3.0))
        fn = {
            "tv": duals.tv_regularized,
            "kl": duals.kl_regularized,
            "chi2": duals.chi2_regularized,
        }[divergence]
        dual = fn(mu0[None], values, lam)[0]
        assert dual == pytest.approx(primal(values, mu0, lam, divergence, False), abs=1e-6), trial


@pytest.mark.parametrize("divergence", ["tv", "kl"])
def test_ball_duals_equal_the_primal(divergence):
    rng = np.random.default_rng(12)
    for trial in range(12):
        values, mu0 = _case(rng, int(rng.integers(3, 7)))
        rho = float(rng.uniform(0.02, 0.8))
        fn = duals.tv_ball if divergence == "tv" else duals.kl_ball
        dual = fn(mu0[None], values, rho)[0]
        assert dual == pytest.approx(primal(values, mu0, rho, divergence, True), abs=1e-6), trial


def test_tv_dual_uses_the_global_minimum_over_states():
    """A state outside supp(mu0) with a low value still attracts the adversary (TV is not abs.
    continuous): the closed form with the global min matches the primal, the support min not."""
    values = np.array([0.0, 2.0, 3.0])
    mu0 = np.array([0.0, 0.5, 0.5])
    exact = primal(values, mu0, 0.5, "tv", False)
    assert duals.tv_regularized(mu0[None], values, 0.5)[0] == pytest.approx(exact, abs=1e-7)
    support_only = duals.tv_regularized(mu0[None], values, 0.5, v_min=np.float64(2.0))[0]
    assert support_only > exact + 0.1


# --- chi2 maximiser against a dense grid (signed weights, clipping) ----------------------------


def _chi2_grid(w, y, lam, lo, hi, clip):
    alphas = np.linspace(lo, hi, 20001)
    capped = np.minimum(y[:, None], alphas[None])
    z1, z2 = w @ capped, w @ capped**2
    if clip is not None:
        z1, z2 = np.clip(z1, 0, clip[0]), np.clip(z2, 0, clip[1])
    return (z1 + (z1**2 - z2) / (4 * lam)).max(-1)


@pytest.mark.parametrize("clip", [None, (3.0, 9.0)])
def test_chi2_maximiser_beats_a_dense_grid(clip):
    rng = np.random.default_rng(3)
    for _ in range(60):
        n, d = int(rng.integers(4, 30)), 3
        y = rng.uniform(0.0, 3.0, n)
        lam = float(rng.uniform(0.05, 3.0))
        if rng.random() < 0.5:
            w = rng.dirichlet(np.ones(n), size=d)
        else:  # ridge-like signed rows, mass near (or above) one
            w = rng.normal(1.0 / n, 1.5 / n, (d, n))
        exact = duals.chi2_regularized(w, y, lam, y.min(), y.max(), clip)
        grid = _chi2_grid(w, y, lam, y.min(), y.max(), clip)
        assert np.all(exact >= grid - 1e-9), (exact, grid)
        assert np.all(exact - grid < 1e-3)


def test_chi2_dual_is_positive_on_positive_values():
    """Regression for a sign error (minimising instead of maximising the chi2 dual objective gives
    about 0): the sup is at least its value at alpha = V_min, which is V_min > 0."""
    rng = np.random.default_rng(5)
    values = rng.uniform(0.5, 3.0, (50, 6))
    mu0 = rng.dirichlet(np.ones(6), size=4)
    nu = duals.chi2_regularized(mu0, values, 0.3)
    assert np.all(nu >= values.min(-1)[:, None] - 1e-12)
    assert np.all(nu > 0.4)


def test_duals_batch_over_values_and_coordinates():
    rng = np.random.default_rng(6)
    values = rng.uniform(0, 2, (5, 7))
    mu0 = rng.dirichlet(np.ones(7), size=3)
    for fn, level in [
        (duals.tv_regularized, 0.4),
        (duals.kl_regularized, 0.4),
        (duals.chi2_regularized, 0.4),
        (duals.tv_ball, 0.3),
        (duals.kl_ball, 0.3),
    ]:
        batched = fn(mu0, values, level)
        single = np.stack([fn(mu0, v, level) for v in values])
        np.testing.assert_allclose(batched, single, rtol=0, atol=1e-13)


def test_kl_dual_is_stable_for_tiny_lam():
    """``-lam log E exp(-V/lam)`` -> min over the support; naive exponentials underflow to 0."""
    values = np.array([1.0, 2.0, 3.0])
    mu0 = np.array([[0.0, 0.3, 0.7]])
    assert duals.kl_regularized(mu0, values, 1e-4)[0] == pytest.approx(2.0 - 1e-4 * np.log(0.3))


# --- robust MDPs -------------------------------------------------------------------------------


def small_linear_mdp(rng, n_states=4, n_actions=3, dim=3, horizon=3):
    phi = rng.dirichlet(np.ones(dim), size=(n_states, n_actions))
    mu = rng.dirichlet(np.ones(n_states), size=(horizon, dim))
    theta = rng.uniform(0, 1, (horizon, dim))
    rewards = np.einsum("sad,hd->hsa", phi, theta)
    initial = np.full(n_states, 1.0 / n_states)
    return FiniteHorizonMDP(LowRankTransitions(phi, mu), rewards, initial, reward_parameters=theta)


def _primal_robust_values(model, policy, divergence, level, ball):
    """Backward induction whose every inner problem is a cvxpy primal solve (oracle)."""
    mu = model.transitions.mu
    v_next = np.zeros(model.n_states)
    values = np.empty((model.horizon, model.n_states))
    for h in range(model.horizon - 1, -1, -1):
        nu = np.array(
            [primal(v_next, mu[h, i], level, divergence, ball) for i in range(mu.shape[1])]
        )
        q = model.rewards[h] + model.features @ nu
        values[h] = q[np.arange(model.n_states), policy[h]]
        v_next = values[h]
    return values


@pytest.mark.parametrize(
    ("divergence", "kind", "level"),
    [("tv", "regularized", 0.3), ("kl", "regularized", 0.3), ("chi2", "regularized", 0.5),
     ("tv", "constrained", 0.2), ("kl", "constrained", 0.2)],
)  # fmt: skip
def test_robust_evaluation_matches_primal_backward_induction(divergence, kind, level):
    rng = np.random.default_rng(21)
    model = small_linear_mdp(rng)
    policy = rng.integers(model.n_actions, size=(model.horizon, model.n_states))
    robust = RobustMDP(model, divergence, level, kind)
    exact = robust_evaluate(robust, policy)
    oracle = _primal_robust_values(model, policy, divergence, level, kind == "constrained")
    np.testing.assert_allclose(exact, oracle, atol=1e-6)


def test_robust_values_batch_over_policies_and_accept_stochastic_policies():
    rng = np.random.default_rng(22)
    model = small_linear_mdp(rng)
    robust = RobustMDP(model, "chi2", 0.4)
    policies = rng.integers(model.n_actions, size=(4, model.horizon, model.n_states))
    batched = robust_evaluate(robust, policies)
    for b in range(4):
        np.testing.assert_allclose(batched[b], robust_evaluate(robust, policies[b]), atol=1e-13)
    one_hot = np.eye(model.n_actions)[policies[0]]
    np.testing.assert_allclose(robust_evaluate(robust, one_hot), batched[0], atol=1e-13)


@pytest.mark.parametrize("divergence", ["tv", "kl", "chi2"])
def test_robust_optimum_dominates_every_deterministic_policy(divergence):
    rng = np.random.default_rng(23)
    model = small_linear_mdp(rng, n_states=3, n_actions=2, horizon=2)
    robust = RobustMDP(model, divergence, 0.3)
    best = robust_optimal(robust)
    grids = np.stack(np.meshgrid(*[range(2)] * 6, indexing="ij"), -1).reshape(-1, 2, 3)
    values = robust_evaluate(robust, grids)[:, 0]
    np.testing.assert_allclose(values.max(0), best.v[0], atol=1e-12)
    np.testing.assert_allclose(robust_evaluate(robust, best.policy), best.v, atol=1e-12)


def test_tv_with_lam_at_least_h_is_the_nominal_model():
    rng = np.random.default_rng(24)
    model = small_linear_mdp(rng)
    policy = rng.integers(model.n_actions, size=(2, model.horizon, model.n_states))
    robust = RobustMDP(model, "tv", float(model.horizon))
    np.testing.assert_allclose(robust_evaluate(robust, policy), evaluate(model, policy), atol=1e-13)
    np.testing.assert_allclose(robust_optimal(robust).v, optimal(model).v, atol=1e-13)


@pytest.mark.parametrize("divergence", ["kl", "chi2"])
def test_large_lam_tends_to_the_nominal_model(divergence):
    rng = np.random.default_rng(25)
    model = small_linear_mdp(rng)
    gaps = [
        np.abs(robust_optimal(RobustMDP(model, divergence, lam)).v - optimal(model).v).max()
        for lam in (1e2, 1e4)
    ]
    assert gaps[1] < 1e-3 and gaps[1] < gaps[0] / 50  # O(1/lam)


@pytest.mark.parametrize("divergence", ["tv", "kl", "chi2"])
def test_small_lam_gives_the_worst_case(divergence):
    """lam -> 0: TV moves all mass to argmin_s V (global); KL/chi2 to the support minimum."""
    rng = np.random.default_rng(26)
    model = small_linear_mdp(rng)
    mu = model.transitions.mu.copy()
    mu[:, 0, 0] = 0.0  # coordinate 0 never reaches state 0
    mu[:, 0] /= mu[:, 0].sum(-1, keepdims=True)
    model = FiniteHorizonMDP(
        LowRankTransitions(model.features, mu), model.rewards, model.initial_distribution
    )
    v_next, worst = np.zeros(model.n_states), []
    for h in range(model.horizon - 1, -1, -1):
        if divergence == "tv":
            nu = np.full(mu.shape[1], v_next.min())
        else:
            nu = np.where(mu[h] > 0, v_next, np.inf).min(-1)
        v_next = (model.rewards[h] + model.features @ nu).max(-1)
        worst.append(v_next)
    robust = robust_optimal(RobustMDP(model, divergence, 1e-7))
    np.testing.assert_allclose(robust.v[0], worst[-1], atol=1e-5)


@pytest.mark.parametrize("divergence", ["tv", "kl", "chi2"])
def test_robust_value_is_monotone_in_lam(divergence):
    rng = np.random.default_rng(27)
    model = small_linear_mdp(rng)
    lams = [0.01, 0.05, 0.2, 0.5, 1.0, 3.0]
    v = np.stack([robust_optimal(RobustMDP(model, divergence, lam)).v for lam in lams])
    assert np.all(np.diff(v, axis=0) >= -1e-12)
    policy = rng.integers(model.n_actions, size=(model.horizon, model.n_states))
    q = np.stack([robust_q_values(RobustMDP(model, divergence, lam), policy) for lam in lams])
    assert np.all(np.diff(q, axis=0) >= -1e-12)


@pytest.mark.parametrize("divergence", ["tv", "kl"])
def test_constrained_value_decreases_in_the_radius(divergence):
    rng = np.random.default_rng(28)
    model = small_linear_mdp(rng)
    v = [robust_optimal(RobustMDP(model, divergence, r, "constrained")).v for r in (0.01, 0.1, 0.5)]
    assert np.all(np.diff(np.stack(v), axis=0) <= 1e-12)
    assert np.all(v[0] <= optimal(model).v + 1e-12)


def test_robust_mdp_refuses_invalid_input():
    rng = np.random.default_rng(29)
    model = small_linear_mdp(rng)
    with pytest.raises(ValueError, match="not available for a constrained"):
        RobustMDP(model, "chi2", 0.1, "constrained")
    with pytest.raises(ValueError, match="must be finite and > 0"):
        RobustMDP(model, "kl", 0.0)
    with pytest.raises(ValueError, match="TV radius"):
        RobustMDP(model, "tv", 1.5, "constrained")
    tabular = FiniteHorizonMDP(model.transitions.dense(), model.rewards, model.initial_distribution)
    with pytest.raises(ValueError, match="LowRankTransitions"):
        RobustMDP(tabular, "tv", 0.1)
