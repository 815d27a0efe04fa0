"""Discounted planning: Bellman optimality, value iteration, and the large-S iterative path."""

from __future__ import annotations

import numpy as np
import pytest
from mdp_factories import discounted_mdp, lowrank_factors

import rltheory.mdp.planning as planning
from rltheory.mdp import (
    DiscountedMDP,
    LowRankTransitions,
    discounted_occupancy,
    evaluate,
    initial_value,
    optimal,
)


def _value_iteration(model: DiscountedMDP) -> np.ndarray:
    """``V <- max_a r + gamma P V`` on the dense kernel until successive iterates agree to 1e-14."""
    dense = model.transitions.dense()[0]
    v = np.zeros(model.n_states)
    while True:
        v_new = (model.rewards + model.gamma * dense @ v).max(-1)
        if np.max(np.abs(v_new - v)) <= 1e-14 * (1 - model.gamma):
            return v_new
        v = v_new


MODELS = {
    "S8-A3-gamma0.9": discounted_mdp(np.random.default_rng(0), 8, 3, 0.9),
    "S20-A4-gamma0.99": discounted_mdp(np.random.default_rng(1), 20, 4, 0.99),
    "S5-A2-gamma0": discounted_mdp(np.random.default_rng(2), 5, 2, 0.0),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_policy_iteration_satisfies_bellman_optimality(name):
    model = MODELS[name]
    solution = optimal(model)
    dense = model.transitions.dense()[0]
    backup = model.rewards + model.gamma * dense @ solution.v
    np.testing.assert_allclose(solution.q, backup, rtol=0, atol=1e-10)
    np.testing.assert_allclose(solution.v, backup.max(-1), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(solution.policy, solution.q.argmax(-1))
    np.testing.assert_allclose(solution.v, _value_iteration(model), rtol=0, atol=1e-10)
    np.testing.assert_allclose(evaluate(model, solution.policy), solution.v, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", list(MODELS))
def test_discounted_occupancy_inner_product_is_the_value(name):
    model = MODELS[name]
    policies = np.random.default_rng(3).dirichlet(np.ones(model.n_actions), (4, model.n_states))
    occ = discounted_occupancy(model, policies)  # [4, S, A], sums to 1
    np.testing.assert_allclose(occ.sum((-1, -2)), 1.0, atol=1e-12)
    inner = np.einsum("bsa,sa->b", occ, model.rewards) / (1 - model.gamma)
    np.testing.assert_allclose(
        inner, initial_value(model, evaluate(model, policies)), rtol=0, atol=1e-10
    )


def test_iterative_evaluation_matches_dense_solve(monkeypatch):
    rng = np.random.default_rng(4)
    phi, mu = lowrank_factors(rng, 30, 3, 4, 1)
    model = DiscountedMDP(
        LowRankTransitions(phi, mu),
        np.einsum("sad,d->sa", phi, rng.random(4)),
        0.95,
        np.full(30, 1 / 30),
    )
    deterministic = rng.integers(3, size=(3, 30))
    stochastic = rng.dirichlet(np.ones(3), size=(2, 30))
    dense_values = [evaluate(model, deterministic), evaluate(model, stochastic)]
    dense_optimal = optimal(model)
    monkeypatch.setattr(planning, "_DENSE_SOLVE_LIMIT", 10)
    monkeypatch.setattr(planning, "_policy_matrix", None)  # the dense path must not be taken
    np.testing.assert_allclose(evaluate(model, deterministic), dense_values[0], atol=1e-10)
    np.testing.assert_allclose(evaluate(model, stochastic), dense_values[1], atol=1e-10)
    iterative_optimal = optimal(model)
    np.testing.assert_allclose(iterative_optimal.v, dense_optimal.v, atol=1e-10)
    np.testing.assert_array_equal(iterative_optimal.policy, dense_optimal.policy)
