"""Exact planning against independent oracles: brute-force enumeration and the occupancy LP."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mdp_factories import (
    all_deterministic_policies,
    brute_force_discounted,
    brute_force_values,
    dense_mdp,
    discounted_mdp,
    lowrank_mdp,
    mixture_mdp,
)

from rltheory.mdp import (
    DenseTransitions,
    FiniteHorizonMDP,
    evaluate,
    initial_value,
    occupancy,
    occupancy_lp,
    optimal,
)

LP_TOL = 1e-6
"""Interior-point LP solutions are accurate to about 1e-8 relative; values here are <= H <= 3."""


def _finite_models():
    rng = np.random.default_rng(20240601)
    return {
        "dense-S2-H2-homogeneous": dense_mdp(rng, 2, 2, 2),
        "dense-S3-H3-inhomogeneous": dense_mdp(rng, 3, 2, 3, layers=3),
        "lowrank-S3-H3": lowrank_mdp(rng, 3, 2, 3, dim=2, layers=3),
        "mixture-S3-H2": mixture_mdp(rng, 3, 2, 2, dim=2),
    }


FINITE = _finite_models()


@pytest.mark.parametrize("name", list(FINITE))
def test_optimal_matches_enumeration_of_all_deterministic_policies(name):
    model = FINITE[name]
    policies = all_deterministic_policies(model.n_actions, (model.horizon, model.n_states))
    values = np.stack([brute_force_values(model, pi) for pi in policies])  # [N, H, S]
    solution = optimal(model)
    # V*_h(s) = max over Markov deterministic policies, simultaneously for every (h, s).
    np.testing.assert_allclose(solution.v, values.max(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        brute_force_values(model, solution.policy), solution.v, rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        solution.q.max(-1), solution.v, rtol=0, atol=0
    )  # v is the greedy value of q
    # Batched evaluation of all policies at once equals the per-policy oracle.
    np.testing.assert_allclose(evaluate(model, policies), values, rtol=0, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.5, 0.9])
@pytest.mark.parametrize("n_states", [2, 3])
def test_discounted_optimal_matches_enumeration(n_states, gamma):
    model = discounted_mdp(np.random.default_rng(n_states), n_states, 2, gamma)
    policies = all_deterministic_policies(2, (n_states,))
    values = np.stack([brute_force_discounted(model, pi) for pi in policies])
    solution = optimal(model)
    np.testing.assert_allclose(solution.v, values.max(axis=0), rtol=0, atol=1e-10)
    np.testing.assert_allclose(evaluate(model, policies), values, rtol=0, atol=1e-10)
    assert solution.policy.shape == (n_states,)
    assert solution.q.shape == (n_states, 2)


@pytest.mark.parametrize("name", list(FINITE))
def test_optimal_value_equals_occupancy_lp(name):
    model = FINITE[name]
    lp = occupancy_lp(model)
    v_star = float(initial_value(model, optimal(model).v))
    assert lp.value == pytest.approx(v_star, abs=LP_TOL)
    # The LP's optimal occupancy is feasible for the flow constraints of the model.
    np.testing.assert_allclose(lp.occupancy[0].sum(-1), model.initial_distribution, atol=LP_TOL)
    dense = model.transitions.dense()
    for h in range(model.horizon - 1):
        inflow = np.einsum("sa,sat->t", lp.occupancy[h], dense[model.transitions.layer(h)])
        np.testing.assert_allclose(lp.occupancy[h + 1].sum(-1), inflow, atol=LP_TOL)


@pytest.mark.parametrize("gamma", [0.5, 0.9])
def test_discounted_optimal_value_equals_occupancy_lp(gamma):
    model = discounted_mdp(np.random.default_rng(7), 4, 3, gamma)
    lp = occupancy_lp(model)
    v_star = float(initial_value(model, optimal(model).v))
    assert lp.value == pytest.approx(v_star, abs=LP_TOL / (1 - gamma))


@st.composite
def tabular_models(draw):
    """Small tabular MDPs with entries drawn by hypothesis (zeros and exact ties included)."""
    n_states = draw(st.integers(1, 3))
    n_actions = draw(st.integers(1, 2))
    horizon = draw(st.integers(1, 3))
    layers = draw(st.sampled_from([1, horizon]))
    weights = st.integers(0, 4)
    raw = np.array(
        draw(
            st.lists(
                weights,
                min_size=layers * n_states * n_actions * n_states,
                max_size=layers * n_states * n_actions * n_states,
            )
        ),
        dtype=float,
    ).reshape(layers, n_states, n_actions, n_states)
    raw[..., 0] += raw.sum(-1) == 0  # an all-zero row becomes a point mass on state 0
    rewards = np.array(
        draw(
            st.lists(
                st.sampled_from([0.0, 0.25, 0.5, 1.0]),
                min_size=horizon * n_states * n_actions,
                max_size=horizon * n_states * n_actions,
            )
        ),
    ).reshape(horizon, n_states, n_actions)
    mu0 = np.array(draw(st.lists(weights, min_size=n_states, max_size=n_states)), dtype=float)
    mu0[0] += mu0.sum() == 0
    return FiniteHorizonMDP(
        DenseTransitions(raw / raw.sum(-1, keepdims=True)), rewards, mu0 / mu0.sum()
    )


@settings(max_examples=40, derandomize=True, deadline=None)
@given(tabular_models())
def test_hypothesis_optimal_dominates_every_policy_and_matches_lp(model):
    policies = all_deterministic_policies(model.n_actions, (model.horizon, model.n_states))
    values = np.stack([brute_force_values(model, pi) for pi in policies])
    solution = optimal(model)
    np.testing.assert_allclose(solution.v, values.max(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(evaluate(model, solution.policy), solution.v, rtol=0, atol=1e-12)
    occ = occupancy(model, solution.policy)
    assert float(np.sum(occ * model.rewards)) == pytest.approx(
        float(initial_value(model, solution.v)), abs=1e-12
    )
    assert occupancy_lp(model).value == pytest.approx(
        float(initial_value(model, solution.v)), abs=LP_TOL
    )
