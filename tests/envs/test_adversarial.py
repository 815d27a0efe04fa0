"""Adversarial linear-MDP loss sequences: construction, exact hindsight comparator and regret.

Oracles: brute-force enumeration of all deterministic policies, the occupancy-measure LP (cvxpy),
per-prefix best-in-hindsight, and Monte-Carlo rollouts (fixed seeds; each statistical test states
its false-failure probability).
"""

from __future__ import annotations

import itertools

import gymnasium
import numpy as np
import pytest
from scipy import stats

import rltheory.envs as envs
from rltheory.envs.adversarial import (
    LOSS_KINDS,
    AdversarialMDP,
    adversarial_regret,
    episode_values,
    hindsight_comparator,
    loss_sequence,
    prefix_hindsight_values,
)
from rltheory.mdp import backward_induction, best_in_hindsight, initial_value, occupancy_lp, rollout

TINY = {"n_states": 3, "n_actions": 2, "dim": 3, "horizon": 3, "n_episodes": 40}


def _adversarial(kind: str, seed: int = 0, **params) -> AdversarialMDP:
    params = {**TINY, "switch_every": 5, "period": 13, **params}
    return envs.make_model("adversarial-linear", np.random.default_rng(seed), kind=kind, **params)


def _all_deterministic_policies(horizon: int, n_states: int, n_actions: int) -> np.ndarray:
    grid = itertools.product(range(n_actions), repeat=horizon * n_states)
    return np.array(list(grid), dtype=np.int64).reshape(-1, horizon, n_states)


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_losses_in_unit_interval_and_linear_in_features(kind):
    for seed in range(5):
        adv = _adversarial(kind, seed, n_states=6, n_actions=3, dim=4, horizon=4, n_episodes=60)
        assert adv.losses.shape == (60, 4, 6, 3)
        assert adv.losses.min() >= 0.0 and adv.losses.max() <= 1.0
        assert np.all(adv.loss_parameters >= 0) and np.all(adv.loss_parameters <= 1)
        np.testing.assert_allclose(
            adv.losses, np.einsum("sad,khd->khsa", adv.features, adv.loss_parameters), atol=0
        )
        phi = adv.features
        assert np.all(phi >= 0) and np.allclose(phi.sum(-1), 1.0)  # simplex features
        dense = adv.dynamics.transitions.dense()
        assert dense.shape[0] == adv.horizon  # time-inhomogeneous psi_h
        np.testing.assert_allclose(dense.sum(-1), 1.0)
        assert np.array_equal(adv.initial_distribution, np.eye(6)[0])


def test_sequence_kinds_follow_their_definitions():
    rng = np.random.default_rng(4)
    K, H, d, M, P = 60, 2, 4, 7, 11
    piecewise = loss_sequence("piecewise", rng, K, H, d, switch_every=M)
    block = np.arange(K) // M
    for k in range(K):
        np.testing.assert_array_equal(piecewise[k], piecewise[(block[k] % 2) * M])
    assert not np.array_equal(piecewise[0], piecewise[M])

    drifting = loss_sequence("drifting", np.random.default_rng(5), K, H, d, period=P)
    np.testing.assert_allclose(drifting[P], drifting[0], atol=1e-12)  # period P
    centred = drifting - 0.5  # 1/2 cos(2 pi k / P + phase): c_{k+1} + c_{k-1} = 2 cos(2 pi / P) c_k
    np.testing.assert_allclose(
        centred[2:] + centred[:-2], 2 * np.cos(2 * np.pi / P) * centred[1:-1], atol=1e-12
    )
    assert np.all(np.abs(centred) <= 0.5)

    anti = loss_sequence("anti-greedy", np.random.default_rng(6), K, H, d, switch_every=1)
    group = 2 * anti[0, 0]
    assert set(np.unique(group)) == {0.0, 1.0} and group.sum() == d // 2
    for k in range(1, K):
        np.testing.assert_array_equal(anti[k, 0], 1 - group if k % 2 else group)
    # follow-the-leader on the two groups is charged 1 in every episode after the first
    cumulative = np.cumsum(anti[:, 0], axis=0)
    for k in range(1, K):
        leader = np.argmin([cumulative[k - 1] @ group, cumulative[k - 1] @ (1 - group)])
        charged = anti[k, 0] @ (group if leader == 0 else 1 - group) / (d // 2)
        assert charged == 1.0

    iid = loss_sequence("iid", np.random.default_rng(7), 2000, 1, 1)
    # mean of 2000 U[0,1]: sd sqrt(1/12/2000) = 0.0065; |error| < 0.03 has probability < 1e-5
    assert abs(iid.mean() - 0.5) < 0.03

    with pytest.raises(ValueError, match="unknown loss sequence kind"):
        loss_sequence("greedy", rng, K, H, d)
    with pytest.raises(ValueError, match="dim >= 2"):
        loss_sequence("anti-greedy", rng, K, H, 1)


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_hindsight_comparator_equals_brute_force_and_occupancy_lp(kind):
    adv = _adversarial(kind, seed=1)
    comparator = hindsight_comparator(adv)
    best = float(initial_value(adv.dynamics, comparator.v))
    # the comparator's own per-episode values add up to the DP value
    np.testing.assert_allclose(episode_values(adv, comparator.policy).sum(), best, atol=1e-12)
    # brute force: every deterministic Markov policy (2^9 = 512 here)
    policies = _all_deterministic_policies(adv.horizon, adv.n_states, adv.n_actions)
    totals = episode_values(adv, policies[:, None]).sum(-1)  # [512]
    np.testing.assert_allclose(totals.min(), best, atol=1e-10)
    # occupancy-measure LP on the summed loss (independent solver)
    lp = occupancy_lp(adv.dynamics, rewards=adv.losses.sum(0), minimize=True)
    assert abs(lp.value - best) <= 1e-6


@pytest.mark.parametrize("stochastic", [False, True])
def test_comparator_regret_is_exactly_zero(stochastic):
    adv = _adversarial("piecewise", seed=2)
    comparator = hindsight_comparator(adv).policy
    if stochastic:
        comparator = np.eye(adv.n_actions)[comparator]
    played = np.broadcast_to(comparator, (3, adv.n_episodes, *comparator.shape))
    regret = adversarial_regret(adv, played)
    assert regret.shape == (3, adv.n_episodes)
    assert np.all(regret == 0.0)


def test_regret_of_every_policy_is_nonnegative_at_K_and_anytime_regret_is_exact():
    adv = _adversarial("anti-greedy", seed=3, n_episodes=30, switch_every=2)
    policies = _all_deterministic_policies(adv.horizon, adv.n_states, adv.n_actions)
    fixed = adversarial_regret(adv, policies[:, None])  # each fixed policy in every episode
    assert fixed[:, -1].min() >= -1e-12 and abs(fixed[:, -1].min()) <= 1e-12
    rng = np.random.default_rng(8)
    played = rng.dirichlet(np.ones(adv.n_actions), size=(4, adv.n_episodes, 3, 3))
    default = adversarial_regret(adv, played)
    anytime = adversarial_regret(adv, played, anytime=True)
    # anytime comparator: a best_in_hindsight per prefix (independent loop)
    prefix = [
        float(initial_value(adv.dynamics, best_in_hindsight(adv.dynamics, adv.losses[: k + 1]).v))
        for k in range(adv.n_episodes)
    ]
    np.testing.assert_allclose(prefix_hindsight_values(adv), prefix, atol=1e-12)
    learner = np.cumsum(episode_values(adv, played), axis=-1)
    np.testing.assert_allclose(anytime, learner - np.array(prefix), atol=1e-12)
    assert np.all(anytime >= default - 1e-12)
    np.testing.assert_allclose(anytime[:, -1], default[:, -1], atol=1e-12)


def test_stochastic_special_case_comparator_is_optimal_policy_of_the_loss():
    base = _adversarial("iid", seed=4, n_states=5, n_actions=3, horizon=4)
    theta = np.random.default_rng(9).uniform(size=(base.horizon, base.dim))
    K = 25
    adv = AdversarialMDP(base.dynamics, np.broadcast_to(theta, (K, *theta.shape)))
    single = backward_induction(adv.dynamics.transitions, adv.losses[0], minimize=True)
    comparator = hindsight_comparator(adv)
    np.testing.assert_array_equal(comparator.policy, single.policy)
    np.testing.assert_allclose(comparator.v, K * single.v, rtol=1e-12)
    np.testing.assert_allclose(
        episode_values(adv, comparator.policy), initial_value(adv.dynamics, single.v), rtol=1e-12
    )


def test_exact_values_match_monte_carlo_of_rollouts():
    """Realized losses of a per-episode policy sequence vs ``episode_values`` (pseudo-regret).

    Per seed, the realized total loss over K episodes; over B = 400 seeds the mean is within
    z_{1 - alpha/2} standard errors of the exact sum, alpha = 1e-3 (asymptotic, CLT).
    """
    adv = _adversarial("drifting", seed=5, n_episodes=20)
    rng = np.random.default_rng(10)
    n_seeds = 400
    played = rng.dirichlet(np.ones(adv.n_actions), size=(adv.n_episodes, adv.horizon, 3))
    rngs = [np.random.default_rng(np.random.SeedSequence(11, spawn_key=(b,))) for b in range(400)]
    realized = np.zeros(n_seeds)
    for k in range(adv.n_episodes):
        batch = rollout(
            adv.dynamics,
            np.broadcast_to(played[k], (n_seeds, *played[k].shape)),
            rngs,
            rewards=adv.losses[k],
        )
        realized += batch.rewards[:, 0].sum(-1)
    exact = episode_values(adv, played).sum()
    tolerance = stats.norm.isf(1e-3 / 2) * realized.std(ddof=1) / np.sqrt(n_seeds)
    assert abs(realized.mean() - exact) <= tolerance, (realized.mean(), exact, tolerance)


def test_gym_env_returns_minus_losses_over_the_sequence():
    """Stepping the whole sequence through gymnasium: rewards are ``-l^k_h(s,a)`` of episode k.

    Monte Carlo over R = 60 seeded passes of all K episodes with a fixed policy; the mean total
    reward is within z_{1-alpha/2} standard errors of ``-sum_k V^{k,pi}_1``, alpha = 1e-3.
    """
    env = gymnasium.make("rltheory/AdversarialLinear-v0", seed=6, **TINY, kind="iid").unwrapped
    adv = env.model
    assert env.metadata["reward_convention"] == "loss"
    policy = np.random.default_rng(12).integers(adv.n_actions, size=(adv.horizon, adv.n_states))
    passes = 60
    totals = np.empty(passes)
    for r in range(passes):
        total = 0.0
        for k in range(adv.n_episodes):
            s, info = env.reset(seed=100 + r) if k == 0 else env.reset()
            assert info["episode"] == k
            for h in range(adv.horizon):
                a = int(policy[h, s])
                s_next, reward, *_ = env.step(a)
                assert reward == -adv.losses[k, h, s, a]
                total += reward
                s = s_next
        totals[r] = total
    with pytest.raises(IndexError, match="K=40"):
        env.reset()
    exact = -episode_values(adv, policy).sum()
    tolerance = stats.norm.isf(1e-3 / 2) * totals.std(ddof=1) / np.sqrt(passes)
    assert abs(totals.mean() - exact) <= tolerance, (totals.mean(), exact, tolerance)


def test_invalid_constructions_are_rejected():
    adv = _adversarial("iid")
    with pytest.raises(ValueError, match="losses"):
        AdversarialMDP(adv.dynamics, 2.0 * np.ones((3, adv.horizon, adv.dim)))
    with pytest.raises(ValueError, match=r"\[K, 3, 3\]"):
        AdversarialMDP(adv.dynamics, np.ones((3, adv.horizon + 1, adv.dim)) / 2)
    no_features = envs.make_model("random-tabular", 0, n_states=3, n_actions=2, horizon=3)
    with pytest.raises(TypeError, match="features"):
        AdversarialMDP(no_features, np.ones((3, 3, 1)) / 2)
    with pytest.raises(ValueError, match="kind"):
        _adversarial("adaptive")
    with pytest.raises(IndexError, match="K=40"):
        adv.episode_rewards(40)
    np.testing.assert_array_equal(adv.episode_rewards(1), -adv.losses[1])
