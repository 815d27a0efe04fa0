"""Exact evaluation of stochastic and batched policies; occupancy measures."""

from __future__ import annotations

import numpy as np
import pytest
from mdp_factories import brute_force_values, dense_mdp, lowrank_mdp, mixture_mdp

from rltheory.mdp import evaluate, initial_value, occupancy, occupancy_lp, q_values


def _models():
    rng = np.random.default_rng(11)
    return {
        "dense-homogeneous": dense_mdp(rng, 4, 3, 3),
        "dense-inhomogeneous": dense_mdp(rng, 4, 3, 3, layers=3),
        "lowrank-latent": lowrank_mdp(rng, 5, 3, 4, dim=3, layers=4),
        "lowrank-signed": lowrank_mdp(rng, 5, 3, 4, dim=3, signed=True),
        "mixture": mixture_mdp(rng, 4, 2, 3, dim=3),
    }


MODELS = _models()


def _stochastic(rng, batch, model):
    return rng.dirichlet(np.ones(model.n_actions), size=(*batch, model.horizon, model.n_states))


def _forward_occupancy(model, policy):
    """Independent forward recursion on the dense kernel for one stochastic policy."""
    dense = model.transitions.dense()
    state = model.initial_distribution
    out = []
    for h in range(model.horizon):
        out.append(state[:, None] * policy[h])
        state = np.einsum("sa,sat->t", out[-1], dense[model.transitions.layer(h)])
    return np.stack(out)


@pytest.mark.parametrize("name", list(MODELS))
def test_stochastic_value_equals_occupancy_inner_product(name):
    model = MODELS[name]
    policies = _stochastic(np.random.default_rng(1), (6,), model)
    values = evaluate(model, policies)  # [6, H, S]
    occ = occupancy(model, policies)  # [6, H, S, A]
    for b in range(len(policies)):
        np.testing.assert_allclose(occ[b], _forward_occupancy(model, policies[b]), atol=1e-14)
    inner = np.einsum("bhsa,hsa->b", occ, model.rewards)
    np.testing.assert_allclose(inner, initial_value(model, values), rtol=0, atol=1e-12)
    # Occupancies are distributions over (s, a) at every step.
    np.testing.assert_allclose(occ.sum((-1, -2)), 1.0, atol=1e-12)


@pytest.mark.parametrize("name", ["dense-inhomogeneous", "mixture"])
def test_stochastic_value_is_an_lp_feasible_point(name):
    """A policy's occupancy is LP-feasible, so its value is at most the LP optimum."""
    model = MODELS[name]
    policy = _stochastic(np.random.default_rng(2), (), model)
    value = float(initial_value(model, evaluate(model, policy)))
    lp = occupancy_lp(model)
    assert value <= lp.value + 1e-7
    # Minimizing the same objective gives the lower end; the policy lies in between.
    assert value >= occupancy_lp(model, minimize=True).value - 1e-7


@pytest.mark.parametrize("name", list(MODELS))
def test_batched_evaluation_equals_per_policy(name):
    model = MODELS[name]
    rng = np.random.default_rng(3)
    policies = _stochastic(rng, (2, 3), model)  # two batch axes
    batched = evaluate(model, policies)
    assert batched.shape == (2, 3, model.horizon, model.n_states)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(
                batched[i, j], evaluate(model, policies[i, j]), rtol=0, atol=1e-14
            )
    deterministic = rng.integers(model.n_actions, size=(4, model.horizon, model.n_states))
    batched = evaluate(model, deterministic)
    for b in range(4):
        np.testing.assert_allclose(
            batched[b], brute_force_values(model, deterministic[b]), rtol=0, atol=1e-12
        )


@pytest.mark.parametrize("name", list(MODELS))
def test_deterministic_policy_equals_its_one_hot_version(name):
    model = MODELS[name]
    policy = np.random.default_rng(4).integers(
        model.n_actions, size=(3, model.horizon, model.n_states)
    )
    one_hot = np.eye(model.n_actions)[policy]
    np.testing.assert_allclose(evaluate(model, policy), evaluate(model, one_hot), atol=1e-14)
    np.testing.assert_allclose(q_values(model, policy), q_values(model, one_hot), atol=1e-14)
    np.testing.assert_array_equal(occupancy(model, policy), occupancy(model, one_hot))


def test_reward_override_batches_over_loss_sequences():
    """``evaluate(model, pi, rewards=l[K])`` gives one value table per loss function."""
    model = MODELS["dense-inhomogeneous"]
    rng = np.random.default_rng(5)
    losses = rng.random((4, *model.rewards.shape))
    policy = rng.integers(model.n_actions, size=(model.horizon, model.n_states))
    values = evaluate(model, policy, rewards=losses)
    assert values.shape == (4, model.horizon, model.n_states)
    for k in range(4):
        np.testing.assert_allclose(
            values[k], brute_force_values(model, policy, losses[k]), rtol=0, atol=1e-12
        )
