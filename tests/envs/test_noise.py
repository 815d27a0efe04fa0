"""Reward noise: observations around the model's means, per-seed streams, exact pseudo-regret."""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.algos import get
from rltheory.envs import get_family
from rltheory.envs.noise import RewardNoise, reward_noise
from rltheory.envs.transforms import TRANSFORMS
from rltheory.experiments.loops import make_online, run_online, seed_generators


def test_noise_draws_have_the_stated_law():
    """Fixed seed, 40000 draws per kind: sample means within 0.01 of the mean (more than 6
    standard errors; failure probability below 1e-8 for a correct sampler)."""
    means = np.full((1, 40000), 0.3)
    rng = [np.random.default_rng(0)]
    bernoulli = RewardNoise("bernoulli").sample(means, rng)
    assert set(np.unique(bernoulli)) == {0.0, 1.0}
    assert bernoulli.mean() == pytest.approx(0.3, abs=0.01)
    gaussian = RewardNoise("gaussian", 0.1).sample(means, rng)
    assert gaussian.mean() == pytest.approx(0.3, abs=0.01)
    assert gaussian.std() == pytest.approx(0.1, abs=0.01)
    edge = RewardNoise("gaussian", 0.1, clip=True).sample(np.full((1, 1000), 0.99), rng)
    assert edge.max() <= 1.0 and edge.min() >= 0.0 and edge.mean() < 0.99  # clipping biases
    with pytest.raises(ValueError, match="sigma > 0"):
        RewardNoise("gaussian")


def model_with(transform: str | None):
    model = get_family("random-linear").build(
        np.random.default_rng(2), n_states=6, n_actions=3, dim=3, horizon=3
    )
    return model if transform is None else TRANSFORMS[transform](model)


def run(model, algorithm: str, seeds: list[int], episodes: int = 30, **params):
    sequences = [np.random.SeedSequence(5, spawn_key=(i,)) for i in seeds]
    env_rngs, algo_rngs = seed_generators(sequences)
    entry = get(algorithm)
    learner = make_online(entry, model, episodes, entry.make_config(**params), algo_rngs)
    return run_online(model, learner, episodes, env_rngs)


def test_pseudo_regret_is_measured_on_the_means():
    """A learner whose policy ignores rewards has the same exact regret with and without noise,
    while its observed returns are Bernoulli sums (integers)."""
    noisy, clean = model_with("bernoulli-rewards"), model_with(None)
    assert reward_noise(noisy) == RewardNoise("bernoulli") and reward_noise(clean) is None
    a, b = run(noisy, "oracle", [0, 1]), run(clean, "oracle", [0, 1])
    np.testing.assert_array_equal(a.regret, b.regret)
    assert np.all(a.returns == np.round(a.returns)) and not np.all(b.returns == a.returns)


@pytest.mark.parametrize("transform", ["bernoulli-rewards", "gaussian-rewards-clipped"])
def test_noisy_batched_run_equals_each_seed_alone(transform):
    model = model_with(transform)
    """Observed returns (trajectories and noise) bit for bit; regret up to the rounding of the
    batched exact evaluation."""
    batched = run(model, "lsvi-ucb", [0, 1, 2], c=0.01)
    alone = [run(model, "lsvi-ucb", [i], c=0.01) for i in range(3)]
    np.testing.assert_array_equal(batched.returns, np.concatenate([r.returns for r in alone]))
    np.testing.assert_allclose(
        batched.regret, np.concatenate([r.regret for r in alone]), rtol=1e-12, atol=1e-12
    )
    clean = run(model_with(None), "lsvi-ucb", [0, 1, 2], c=0.01).regret
    assert not np.allclose(batched.regret, clean)  # the learner did see the noise
