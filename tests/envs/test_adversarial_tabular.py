"""Tabular and linear-mixture adversarial families: loss tables, dynamics, exact comparator.

Oracles: the loss tables equal the one-hot loss parameters; brute force over all deterministic
policies for the best fixed policy; the stochastic kind's empirical mean (binomial bound).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import rltheory.envs as envs
from rltheory.envs.adversarial import LOSS_KINDS, episode_values, hindsight_comparator


@pytest.mark.parametrize("family", ["adversarial-tabular", "adversarial-mixture"])
@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_loss_tables_are_the_one_hot_parameters(family, kind):
    adv = envs.make_model(
        family,
        np.random.default_rng(3),
        kind=kind,
        n_states=4,
        n_actions=2,
        horizon=3,
        n_episodes=30,
        switch_every=4,
        period=7,
    )
    assert adv.losses.shape == (30, 3, 4, 2)
    assert adv.losses.min() >= 0 and adv.losses.max() <= 1
    np.testing.assert_array_equal(adv.losses.reshape(30, 3, 8), adv.loss_parameters)
    np.testing.assert_allclose(adv.dynamics.transitions.dense().sum(-1), 1.0)
    assert np.all(adv.dynamics.rewards == 0)
    if family == "adversarial-mixture":
        assert adv.dynamics.mixture_basis.shape == (4, 2, 4, 4)
    else:
        assert adv.dynamics.mixture_basis is None


def test_unknown_kind_is_rejected_before_drawing():
    with pytest.raises(ValueError, match="kind"):
        envs.make_model("adversarial-tabular", 0, kind="sinusoid")


def test_stochastic_kind_has_a_fixed_bernoulli_mean():
    """Binomial check: 4000 draws per entry; |mean - p| > 5 sd has probability < 1e-6 per entry."""
    adv = envs.make_model(
        "adversarial-tabular",
        np.random.default_rng(0),
        kind="stochastic",
        n_states=2,
        n_actions=2,
        horizon=2,
        n_episodes=4000,
    )
    assert set(np.unique(adv.losses)) <= {0.0, 1.0}
    rng = np.random.default_rng(0)
    envs.get_family("random-tabular").builder(
        rng, n_states=2, n_actions=2, horizon=2, homogeneous=False
    )
    mean = rng.uniform(0.0, 1.0, size=(2, 4)).reshape(2, 2, 2)  # the same draw order
    sd = np.sqrt(mean * (1 - mean) / 4000)
    assert np.all(np.abs(adv.losses.mean(0) - mean) <= 5 * sd + 1e-12)


def test_comparator_is_the_brute_force_best_fixed_policy():
    adv = envs.make_model(
        "adversarial-tabular",
        np.random.default_rng(1),
        kind="anti-greedy",
        n_states=3,
        n_actions=2,
        horizon=2,
        n_episodes=25,
        switch_every=3,
    )
    grid = itertools.product(range(2), repeat=2 * 3)
    policies = np.array(list(grid), dtype=np.int64).reshape(-1, 2, 3)
    totals = episode_values(adv, policies[:, None]).sum(-1)
    best = hindsight_comparator(adv)
    assert best.v[0] @ adv.initial_distribution == pytest.approx(totals.min(), abs=1e-12)
