"""Sampling: next-state frequencies (chi-square) and Monte-Carlo returns against exact values.

Statistical tests use fixed seeds, so they are deterministic; the stated false-failure
probability is over the choice of seed, i.e. the chance that a correct sampler fails.
"""

from __future__ import annotations

import numpy as np
import pytest
from mdp_factories import dense_mdp, lowrank_mdp, mixture_mdp
from scipy import stats

from rltheory.mdp import draw_uniforms, evaluate, rollout, rollout_from_uniforms

S, A, H = 5, 3, 2
N_DRAWS = 4000
"""Draws per (h, s, a) row; every P entry here is >= 0.3/S, so expected counts are >= 240."""

ALPHA = 1e-4
"""Family-wise false-failure probability of each chi-square test (Bonferroni over rows)."""


def _models():
    rng = np.random.default_rng(99)
    return {
        "dense": dense_mdp(rng, S, A, H, layers=H),
        "lowrank-latent": lowrank_mdp(rng, S, A, H, dim=3, layers=H),
        "lowrank-signed": lowrank_mdp(rng, S, A, H, dim=3, layers=H, signed=True),
        "mixture": mixture_mdp(rng, S, A, H, dim=3, layers=H),
    }


MODELS = _models()


@pytest.mark.parametrize("name", list(MODELS))
def test_next_state_frequencies_match_kernel(name):
    model = MODELS[name]
    transitions = model.transitions
    if name.startswith("lowrank"):
        assert transitions.latent is (name == "lowrank-latent")  # both sampling paths covered
    dense = transitions.dense()
    rng = np.random.default_rng(2024)
    states, actions = np.meshgrid(np.arange(S), np.arange(A), indexing="ij")  # [S, A]
    states = np.repeat(states[..., None], N_DRAWS, -1)
    actions = np.repeat(actions[..., None], N_DRAWS, -1)
    n_rows = H * S * A
    for h in range(H):
        drawn = transitions.sample(h, states, actions, rng)  # [S, A, N]
        assert drawn.shape == states.shape
        assert drawn.dtype.kind == "i" and drawn.min() >= 0 and drawn.max() < S
        counts = (drawn[..., None] == np.arange(S)).sum(-2)  # [S, A, S']
        for s in range(S):
            for a in range(A):
                expected = N_DRAWS * dense[transitions.layer(h), s, a]
                p_value = stats.chisquare(counts[s, a], expected).pvalue
                assert p_value > ALPHA / n_rows, (h, s, a, counts[s, a], expected)


@pytest.mark.parametrize("name", list(MODELS))
def test_sampling_is_a_function_of_the_uniforms(name):
    transitions = MODELS[name].transitions
    states = np.random.default_rng(0).integers(S, size=(3, 50))
    actions = np.random.default_rng(1).integers(A, size=(3, 50))
    drawn = transitions.sample(1, states, actions, np.random.default_rng(5))
    uniforms = np.random.default_rng(5).random((2, 3, 50))
    np.testing.assert_array_equal(
        drawn, transitions.sample_from_uniforms(1, states, actions, uniforms)
    )
    # Any sub-batch of the same uniforms gives the same draws.
    np.testing.assert_array_equal(
        drawn[1:2, 10:20],
        transitions.sample_from_uniforms(
            1, states[1:2, 10:20], actions[1:2, 10:20], uniforms[:, 1:2, 10:20]
        ),
    )


N_EPISODES = 40_000
Z = 5.0
"""Two-sided normal quantile: a correct sampler fails one comparison with probability 5.7e-7,
so the 8 comparisons of the test below fail together with probability below 5e-6."""


@pytest.mark.parametrize("name", list(MODELS))
def test_monte_carlo_returns_match_exact_values(name):
    model = MODELS[name]
    rng = np.random.default_rng(17)
    policies = [
        rng.dirichlet(np.ones(A), size=(1, H, S)),
        np.eye(A)[rng.integers(A, size=(1, H, S))],  # deterministic, as one-hot rows
    ]
    for policy in policies:
        gens = [np.random.default_rng(seed) for seed in (3, 4)]
        batch = rollout(model, np.repeat(policy, 2, axis=0), gens, n_episodes=N_EPISODES)
        s, a = batch.states[..., :-1], batch.actions
        np.testing.assert_array_equal(batch.rewards, model.rewards[np.arange(H), s, a])
        exact = evaluate(model, policy[0])[0] @ model.initial_distribution
        returns = batch.rewards.sum(-1)  # [2, N]
        half_width = Z * returns.std(axis=1, ddof=1) / np.sqrt(N_EPISODES)
        assert np.all(np.abs(returns.mean(axis=1) - exact) < half_width), (
            returns.mean(axis=1),
            exact,
            half_width,
        )


def test_batched_rollout_is_bit_identical_to_one_seed_at_a_time():
    model = MODELS["lowrank-latent"]
    rng = np.random.default_rng(8)
    policies = rng.dirichlet(np.ones(A), size=(3, H, S))
    together = rollout(model, policies, [np.random.default_rng(s) for s in range(3)], 20)
    for b in range(3):
        alone = rollout(model, policies[b : b + 1], [np.random.default_rng(b)], 20)
        np.testing.assert_array_equal(together.states[b], alone.states[0])
        np.testing.assert_array_equal(together.actions[b], alone.actions[0])
    uniforms = draw_uniforms([np.random.default_rng(s) for s in range(3)], 20, H)
    replay = rollout_from_uniforms(model, policies, uniforms)
    np.testing.assert_array_equal(replay.states, together.states)
