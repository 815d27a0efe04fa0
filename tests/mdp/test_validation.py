"""Validation on construction and on input: each error names the array and the offending index."""

from __future__ import annotations

import numpy as np
import pytest
from mdp_factories import lowrank_factors

from rltheory.mdp import (
    DenseTransitions,
    DiscountedMDP,
    FiniteHorizonMDP,
    LinearMixtureTransitions,
    LowRankTransitions,
    evaluate,
    occupancy,
    q_values,
)

S, A, H = 3, 2, 3


def _kernel(layers: int = 1) -> np.ndarray:
    return np.random.default_rng(0).dirichlet(np.ones(S), size=(layers, S, A))


def _rewards() -> np.ndarray:
    return np.random.default_rng(1).random((H, S, A))


MU0 = np.full(S, 1.0 / S)


def test_non_stochastic_row_names_array_and_index():
    p = _kernel(H)
    p[1, 2, 0, 1] += 0.1
    with pytest.raises(ValueError, match=r"P is not stochastic.*index \(1, 2, 0\).*1\.1"):
        DenseTransitions(p)
    with pytest.raises(ValueError, match=r"P is not stochastic.*index \(1, 2, 0\)"):
        FiniteHorizonMDP(p, _rewards(), MU0)


def test_negative_probability_names_index():
    p = _kernel()
    p[0, 1, 1] = [1.2, -0.2, 0.0]
    with pytest.raises(
        ValueError, match=r"P has a negative probability -0\.2 at index \(0, 1, 1, 1\)"
    ):
        DenseTransitions(p)


def test_non_finite_entry_names_index():
    p = _kernel()
    p[0, 2, 1, 0] = np.nan
    with pytest.raises(ValueError, match=r"P has a non-finite entry at index \(0, 2, 1, 0\)"):
        DenseTransitions(p)


@pytest.mark.parametrize("value", [1.5, -0.25])
def test_rewards_outside_unit_interval_name_index(value):
    rewards = _rewards()
    rewards[2, 1, 0] = value
    with pytest.raises(ValueError, match=r"rewards must lie in \[0, 1\]; rewards\[2, 1, 0\]"):
        FiniteHorizonMDP(_kernel(), rewards, MU0)
    discounted = rewards[2]
    with pytest.raises(ValueError, match=r"rewards\[1, 0\]"):
        DiscountedMDP(_kernel(), discounted, 0.9, MU0)


def test_initial_distribution_is_validated():
    with pytest.raises(ValueError, match=r"initial_distribution is not stochastic"):
        FiniteHorizonMDP(_kernel(), _rewards(), [0.5, 0.4, 0.0])
    with pytest.raises(ValueError, match=r"initial_distribution must have shape \(3,\)"):
        FiniteHorizonMDP(_kernel(), _rewards(), [0.5, 0.5])
    with pytest.raises(ValueError, match=r"initial_distribution has a negative probability"):
        FiniteHorizonMDP(_kernel(), _rewards(), [1.5, -0.5, 0.0])


def test_shape_mismatches_name_arrays():
    with pytest.raises(ValueError, match=r"rewards must have shape \[H, S, A\] = \[H, 3, 2\]"):
        FiniteHorizonMDP(_kernel(), np.zeros((H, S, A + 1)), MU0)
    with pytest.raises(ValueError, match=r"rewards must have shape \[H, S, A\]"):
        FiniteHorizonMDP(_kernel(), np.zeros((S, A)), MU0)
    with pytest.raises(ValueError, match=r"transitions have 2 layers; expected 1.*H=3"):
        FiniteHorizonMDP(_kernel(2), _rewards(), MU0)
    with pytest.raises(ValueError, match=r"P must have shape \[L, S, A, S\].*next-state axis 4"):
        DenseTransitions(np.full((1, S, A, 4), 0.25))
    with pytest.raises(ValueError, match=r"rewards must have shape \(3, 2\)"):
        DiscountedMDP(_kernel(), np.zeros((S, A + 1)), 0.9, MU0)
    phi, mu = lowrank_factors(np.random.default_rng(2), S, A, 2, 1)
    with pytest.raises(ValueError, match=r"mu must have shape \[L, d, S\] = \[L, 2, 3\]"):
        LowRankTransitions(phi, mu[:, :, :2])
    basis = np.moveaxis(np.random.default_rng(3).dirichlet(np.ones(S), size=(S, A, 2)), 2, 3)
    with pytest.raises(ValueError, match=r"theta must have shape \[L, d\] with d=2"):
        LinearMixtureTransitions(basis, np.ones((1, 3)) / 3)
    with pytest.raises(ValueError, match=r"features must have shape \[S, A, d\] = \[3, 2, d\]"):
        FiniteHorizonMDP(_kernel(), _rewards(), MU0, features=np.ones((S, A + 1, 2)))


def test_discounted_model_checks_gamma_and_layers():
    with pytest.raises(ValueError, match=r"gamma must lie in \[0, 1\), got 1\.0"):
        DiscountedMDP(_kernel(), _rewards()[0], 1.0, MU0)
    with pytest.raises(ValueError, match="time-homogeneous kernel; got 2 layers"):
        DiscountedMDP(_kernel(2), _rewards()[0], 0.9, MU0)


def test_lowrank_non_stochastic_and_negative_rows_name_index():
    phi, mu = lowrank_factors(np.random.default_rng(4), S, A, 2, 2)
    bad = phi.copy()
    bad[2, 1] *= 1.5
    with pytest.raises(ValueError, match=r"not stochastic.*\(h=0, s=2, a=1\)"):
        LowRankTransitions(bad, mu)
    # Signed factors whose product has a negative entry at (h=1, s'=0 | s=1, a=0).
    phi = np.zeros((S, A, 2))
    phi[..., 0] = 1.0
    phi[1, 0] = [2.0, -1.0]
    mu = np.array([[[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]], [[0.2, 0.3, 0.5], [0.5, 0.3, 0.2]]])
    with pytest.raises(ValueError, match=r"negative probability P\(s'=0\|s=1, a=0\).*h=1"):
        LowRankTransitions(phi, mu)


def _aliased_features() -> np.ndarray:
    """One-hot features of the first 5 pairs; pair (s=2, a=1) reuses the feature of (2, 0)."""
    phi = np.eye(S * A)[:, : S * A - 1].reshape(S, A, S * A - 1)
    phi[2, 1] = phi[2, 0]
    return phi


def test_features_that_do_not_reproduce_transitions_name_step_and_pair():
    p = _kernel(H)
    p[:, 2, 1] = p[:, 2, 0]  # realizable at every step ...
    p[1, 2, 1] = [1.0, 0.0, 0.0]  # ... except step 1
    rewards = _rewards()
    rewards[:, 2, 1] = rewards[:, 2, 0]
    with pytest.raises(
        ValueError, match=r"features do not reproduce the claimed transitions.*\(h=1, s=2, a="
    ):
        FiniteHorizonMDP(p, rewards, MU0, features=_aliased_features())
    p[1, 2, 1] = p[1, 2, 0]
    model = FiniteHorizonMDP(p, rewards, MU0, features=_aliased_features())
    assert model.dim == S * A - 1
    # Misspecified features are accepted only when declared so.
    p[1, 2, 1] = [1.0, 0.0, 0.0]
    FiniteHorizonMDP(p, rewards, MU0, features=_aliased_features(), realizable=False)


def test_features_that_do_not_reproduce_rewards_name_step_and_pair():
    p = _kernel(1)
    p[:, 2, 1] = p[:, 2, 0]
    rewards = _rewards()
    rewards[:, 2, 1] = rewards[:, 2, 0]
    rewards[2, 2, 1] = 1.0 - rewards[2, 2, 0]
    with pytest.raises(ValueError, match=r"do not reproduce the rewards.*\(h=2, s=2, a="):
        FiniteHorizonMDP(p, rewards, MU0, features=_aliased_features())


def test_reward_parameters_must_reproduce_rewards():
    phi, mu = lowrank_factors(np.random.default_rng(5), S, A, 2, 1)
    theta = np.array([[0.2, 0.4]] * H)
    rewards = np.einsum("sad,hd->hsa", phi, theta)
    model = FiniteHorizonMDP(LowRankTransitions(phi, mu), rewards, MU0, reward_parameters=theta)
    np.testing.assert_array_equal(model.features, phi)
    rewards[1, 0, 1] += 0.1
    with pytest.raises(ValueError, match=r"reward_parameters do not reproduce.*\(h=1, s=0, a=1\)"):
        FiniteHorizonMDP(LowRankTransitions(phi, mu), rewards, MU0, reward_parameters=theta)


def test_lowrank_factor_outside_feature_span_is_rejected():
    phi, mu = lowrank_factors(np.random.default_rng(6), S, A, 2, 1)
    rewards = np.zeros((H, S, A))
    features = phi.copy()
    features[0, 1] = [1.0, 0.0]
    features[1, 1] = [1.0, 0.0]
    features[..., 1] = 0.0  # rank 1: cannot span phi
    with pytest.raises(ValueError, match=r"kernel's factor phi leaves the feature span at \(s="):
        FiniteHorizonMDP(LowRankTransitions(phi, mu), rewards, MU0, features=features)


def _model() -> FiniteHorizonMDP:
    return FiniteHorizonMDP(_kernel(), _rewards(), MU0)


@pytest.mark.parametrize("function", [evaluate, q_values, occupancy])
def test_bad_policies_name_the_problem_and_index(function):
    model = _model()
    actions = np.zeros((2, H, S), dtype=int)
    actions[1, 2, 1] = A
    with pytest.raises(ValueError, match=r"action outside \[0, 2\) at index \(1, 2, 1\)"):
        function(model, actions)
    actions[1, 2, 1] = -1
    with pytest.raises(ValueError, match=r"action outside \[0, 2\) at index \(1, 2, 1\)"):
        function(model, actions)
    with pytest.raises(ValueError, match=r"deterministic policy must have shape \[\.\.\., 3, 3\]"):
        function(model, np.zeros((H, S + 1), dtype=int))
    stochastic = np.full((H, S, A), 1.0 / A)
    stochastic[1, 0] = [0.7, 0.7]
    with pytest.raises(ValueError, match=r"rows must sum to 1; row \(1, 0\) sums to 1\.4"):
        function(model, stochastic)
    stochastic[1, 0] = [1.5, -0.5]
    with pytest.raises(ValueError, match=r"negative probability at index \(1, 0, 1\)"):
        function(model, stochastic)
    stochastic[1, 0] = [np.nan, 0.5]
    with pytest.raises(ValueError, match=r"non-finite entry at index \(1, 0, 0\)"):
        function(model, stochastic)
    with pytest.raises(ValueError, match=r"stochastic policy must have shape \[\.\.\., 3, 3, 2\]"):
        function(model, np.full((H, S, A + 1), 1.0 / (A + 1)))
    with pytest.raises(ValueError, match=r"int .* or float array, got bool"):
        function(model, np.zeros((H, S), dtype=bool))


def test_bad_discounted_policy_is_rejected():
    model = DiscountedMDP(_kernel(), _rewards()[0], 0.9, MU0)
    with pytest.raises(ValueError, match=r"action outside \[0, 2\) at index \(2,\)"):
        evaluate(model, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"non-finite entry at index \(0, 1\)"):
        evaluate(model, np.array([[0.5, np.nan]] * S))


def test_models_are_immutable_and_copy_their_inputs():
    p, rewards = _kernel(), _rewards()
    model = FiniteHorizonMDP(p, rewards, MU0)
    rewards[0, 0, 0] = 0.123456
    assert model.rewards[0, 0, 0] != 0.123456
    for array in (model.rewards, model.initial_distribution, model.transitions.dense()):
        with pytest.raises(ValueError, match="read-only"):
            array[(0,) * array.ndim] = 0.5
