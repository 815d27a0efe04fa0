"""Ridge LinUCB / OFUL (H = 1) against a direct recomputation of its index every round."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from rltheory.algos import get
from rltheory.algos.registry import StructureMismatchError
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators

LINUCB = get("linucb")


def bandit(seed=0, n_states=6, n_actions=4, dim=3):
    model = make_model(
        "random-linear",
        np.random.default_rng(seed),
        n_states=n_states,
        n_actions=n_actions,
        dim=dim,
        horizon=1,
    )
    return dataclasses.replace(model, initial_distribution=np.full(n_states, 1.0 / n_states))


@pytest.mark.parametrize("params", [{}, {"alpha": 0.4, "refresh_every": 5}])
def test_index_equals_direct_ridge_recompute(params):
    """Every round: theta_hat = (lam I + X^T X)^{-1} X^T y and
    alpha_k = R sqrt(2 log(1/delta) + log det V_k - d log lam) + sqrt(lam) S (OFUL, Thm 2),
    recomputed from the played history with np.linalg (slogdet, inv)."""
    model = bandit()
    phi, d = model.features, model.dim
    config = LINUCB.make_config(**params)
    env_rngs, algo_rngs = seed_generators(np.random.SeedSequence(1).spawn(2))
    agent = make_online(LINUCB, model, 60, config, algo_rngs)
    played = {b: [] for b in range(2)}
    checked = []

    def check(k, algorithm):
        for b in range(2):
            rows = np.array(played[b])
            x = phi[rows[:, 0], rows[:, 1]]
            y = model.rewards[0][rows[:, 0], rows[:, 1]]
            gram = config.lam * np.eye(d) + x.T @ x
            inverse = np.linalg.inv(gram)
            theta = inverse @ (x.T @ y)
            if config.alpha is None:
                log_ratio = np.linalg.slogdet(gram)[1] - d * math.log(config.lam)
                radius = config.noise * math.sqrt(2 * math.log(1 / config.delta) + log_ratio)
                alpha = radius + math.sqrt(config.lam) * math.sqrt(d)
            else:
                alpha = config.alpha
            norms = np.sqrt(np.einsum("sad,de,sae->sa", phi, inverse, phi))
            expected = phi @ theta + alpha * norms
            np.testing.assert_allclose(algorithm.ucb()[b], expected, rtol=0, atol=1e-9)
        checked.append(k)

    original_update = agent.update

    def update(trajectories):
        for b in range(2):
            played[b].append((trajectories.states[b, 0], trajectories.actions[b, 0]))
        original_update(trajectories)

    agent.update = update
    run = run_online(model, agent, 60, env_rngs, callback=check)
    assert len(checked) == 60
    assert run.regret.shape == (2, 60)


def test_ties_go_to_the_lowest_index_and_structure_is_checked():
    model = bandit()
    agent = make_online(
        LINUCB, model, 10, LINUCB.make_config(alpha=0.0), [np.random.default_rng(0)]
    )
    np.testing.assert_array_equal(agent.policy(), np.zeros((1, 1, model.n_states), dtype=int))
    episodic = make_model("random-linear", np.random.default_rng(0), horizon=3, n_states=5)
    with pytest.raises(StructureMismatchError, match="bandit"):
        LINUCB.check_compatible(episodic)
    with pytest.raises(ValueError, match="delta"):
        LINUCB.make_config(delta=0.0)
    with pytest.raises(ValueError, match="alpha"):
        LINUCB.make_config(alpha=-1.0)
