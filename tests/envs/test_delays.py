"""Delay processes, arrival schedules and the delayed-feedback gymnasium environment.

Statistical tests use fixed seeds; each states its false-failure probability (the chance over the
choice of seed that a correct sampler fails).
"""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from scipy import stats

import rltheory.envs as envs
from rltheory.envs.delays import DELAY_KINDS, arrivals, delays, total_delay
from rltheory.envs.gym import DelayedFeedbackEnv, ModelEnv


def _check_partition(d: np.ndarray) -> None:
    """Each episode's feedback arrives exactly once, at k + d_k, or never when k + d_k >= K."""
    K = d.size
    lists = arrivals(d)
    assert len(lists) == K
    seen = np.concatenate(lists)
    assert len(seen) == len(set(seen.tolist()))  # disjoint
    np.testing.assert_array_equal(np.sort(seen), np.flatnonzero(np.arange(K) + d < K))
    for j, arrived in enumerate(lists):
        assert np.all(arrived + d[arrived] == j)
        assert np.all(np.diff(arrived) > 0)


@pytest.mark.parametrize("kind", list(DELAY_KINDS))
def test_arrival_lists_partition_the_episodes(kind):
    for seed in range(3):
        d = delays(kind, 300, np.random.default_rng(seed))
        assert d.dtype == np.int64 and d.shape == (300,) and d.min() >= 0
        _check_partition(d)
        np.testing.assert_array_equal(d, delays(kind, 300, np.random.default_rng(seed)))


def test_zero_delay_reduces_to_no_delay():
    d = delays("fixed", 50, np.random.default_rng(0), delay=0)
    assert all(list(arrived) == [j] for j, arrived in enumerate(arrivals(d)))
    assert total_delay(d) == 0
    # the env: same trajectories as the undelayed env, each episode's feedback at its own end
    model = envs.make_model("riverswim", 0, horizon=6)
    delayed, plain = DelayedFeedbackEnv(model, d), ModelEnv(model)
    rng = np.random.default_rng(1)
    for episode in range(20):
        seed = 3 if episode == 0 else None
        s, _ = delayed.reset(seed=seed)
        s_plain, _ = plain.reset(seed=seed)
        assert s == s_plain
        states, rewards = [int(s)], []
        for _ in range(model.horizon):
            a = int(rng.integers(2))
            s, withheld, terminated, _, info = delayed.step(a)
            s_plain, reward, _, _, _ = plain.step(a)
            assert s == s_plain and withheld == 0.0
            states.append(int(s))
            rewards.append(reward)
        assert terminated
        (feedback,) = info["feedback"]
        assert feedback.episode == episode
        np.testing.assert_array_equal(feedback.states, states)
        np.testing.assert_array_equal(feedback.rewards, rewards)


def test_fixed_and_too_long_delays():
    d = delays("fixed", 40, np.random.default_rng(0), delay=7)
    assert np.all(d == 7)
    assert [list(a) for a in arrivals(d)] == [[]] * 7 + [[j] for j in range(33)]
    never = delays("fixed", 40, np.random.default_rng(0), delay=40)
    assert all(a.size == 0 for a in arrivals(never))
    assert total_delay(never) == 1600
    assert total_delay(never, truncated=True) == sum(39 - k for k in range(40))


def test_geometric_mean_and_atom_at_zero():
    """E d = mean and P(d = 0) = 1/(1+mean).

    Mean: |sample mean - 5| <= z_{1-alpha/2} sqrt(mean (mean+1) / K), alpha = 1e-3 (CLT; the
    variance of Geometric(p) - 1 is (1-p)/p^2 = mean (mean+1)). Atom: exact binomial test at
    level 1e-3. Family-wise false-failure probability <= 2e-3.
    """
    K, mean = 20000, 5.0
    d = delays("geometric", K, np.random.default_rng(2024), mean=mean)
    tolerance = stats.norm.isf(1e-3 / 2) * np.sqrt(mean * (mean + 1) / K)
    assert abs(d.mean() - mean) <= tolerance, (d.mean(), tolerance)
    assert stats.binomtest(int((d == 0).sum()), K, 1 / (1 + mean)).pvalue > 1e-3
    assert np.all(delays("geometric", 100, np.random.default_rng(0), mean=0) == 0)


def test_pareto_tail():
    """``P(d >= m) = (1 + m/scale)^(-alpha)``: exact binomial tests at m = 1, 10, 100, 1000,
    each at level 2.5e-4 (Bonferroni; family-wise false-failure probability <= 1e-3)."""
    K, alpha, scale = 20000, 1.2, 2.0
    d = delays("pareto", K, np.random.default_rng(7), alpha=alpha, scale=scale)
    for m in (1, 10, 100, 1000):
        tail = (1 + m / scale) ** (-alpha)
        assert stats.binomtest(int((d >= m).sum()), K, tail).pvalue > 1e-3 / 4, m
    # heavy tail: with alpha <= 1 the mean is infinite; the largest of 20000 draws is huge
    heavy = delays("pareto", K, np.random.default_rng(8), alpha=0.5)
    assert heavy.max() > 10**6  # P(max < 10^6) = (1 - (1 + 10^6)^(-1/2))^20000 < e^-19


def test_bursts_arrive_together():
    period, length, gap = 20, 6, 9
    d = delays(
        "bursts", 200, np.random.default_rng(3), period=period, length=length, gap=gap, base=1
    )
    arrival = np.arange(200) + d
    for block in range(10):
        episodes = np.arange(block * period, (block + 1) * period)
        burst = episodes[d[episodes] != 1]
        assert burst.size == length and np.all(np.diff(burst) == 1)  # consecutive
        assert np.all(arrival[burst] == burst[-1] + gap)  # the whole burst arrives at once
        assert d[burst].min() == gap and d[burst].max() == gap + length - 1
    _check_partition(d)


def test_invalid_parameters_are_named():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="did you mean 'pareto'"):
        delays("paretto", 10, rng)
    with pytest.raises(TypeError, match="'mean'"):
        delays("geometric", 10, rng, average=3)
    with pytest.raises(ValueError, match="'delay'"):
        delays("fixed", 10, rng, delay=-1)
    with pytest.raises(ValueError, match="'length'"):
        delays("bursts", 10, rng, period=5, length=6)
    with pytest.raises(ValueError, match="'alpha'"):
        delays("pareto", 10, rng, alpha=0.0)
    with pytest.raises(ValueError, match=">= 0"):
        arrivals(np.array([0, -1]))


def test_delayed_feedback_env_delivers_each_trajectory_at_its_arrival():
    """A full run through gymnasium: feedback lists equal ``arrivals(d)`` and carry the played
    trajectories with the model's rewards; every step reward is withheld (0.0)."""
    K = 80
    env = gymnasium.make(
        "rltheory/DelayedFeedback-v0", n_episodes=K, delay_params={"mean": 3.0}, seed=4
    )
    model = env.unwrapped.model
    assert env.unwrapped.metadata["reward_convention"] == "withheld"
    # the documented streams: model from default_rng(seed), delays from a spawned child
    expected_model = envs.make_model("riverswim", np.random.default_rng(4))
    np.testing.assert_array_equal(model.transitions.dense(), expected_model.transitions.dense())
    d = delays("geometric", K, np.random.default_rng(np.random.SeedSequence(4).spawn(1)[0]), mean=3)
    schedule = arrivals(d)
    rng = np.random.default_rng(5)
    played = {}
    for k in range(K):
        s, info = env.reset(seed=9) if k == 0 else env.reset()
        assert info["feedback"] == () and info["episode"] == k
        states, actions = [int(s)], []
        for _ in range(model.horizon):
            a = int(rng.integers(model.n_actions))
            s, reward, terminated, _, info = env.step(a)
            assert reward == 0.0 and not any("delay" in key for key in info)
            states.append(int(s))
            actions.append(a)
            if not terminated:
                assert info["feedback"] == ()
        played[k] = (np.array(states), np.array(actions))
        assert [f.episode for f in info["feedback"]] == list(schedule[k])
        for feedback in info["feedback"]:
            states_k, actions_k = played[feedback.episode]
            np.testing.assert_array_equal(feedback.states, states_k)
            np.testing.assert_array_equal(feedback.actions, actions_k)
            np.testing.assert_array_equal(
                feedback.rewards, model.rewards[np.arange(model.horizon), states_k[:-1], actions_k]
            )
    with pytest.raises(IndexError, match=f"K={K}"):
        env.reset()


def test_abandoned_episode_feedback_is_delivered_at_the_next_episode_end():
    model = envs.make_model("riverswim", 0, horizon=3)
    env = DelayedFeedbackEnv(model, np.zeros(5, dtype=np.int64))
    env.reset(seed=0)
    env.step(1)
    env.reset()  # abandons episode 0 after one step
    for _ in range(3):
        *_, info = env.step(1)
    assert [f.episode for f in info["feedback"]] == [0, 1]
    assert info["feedback"][0].actions.tolist() == [1] and info["feedback"][0].states.size == 2
    with pytest.raises(ValueError, match="episode"):
        env.reset(options={"episode": 3})


def test_delayed_feedback_over_an_adversarial_base_reports_minus_losses():
    env = gymnasium.make(
        "rltheory/DelayedFeedback-v0",
        base="adversarial-linear",
        delay="fixed",
        delay_params={"delay": 1},
        base_params={"n_episodes": 4},
    ).unwrapped
    adv = env.model
    assert env.n_episodes == 4
    trajectories = []
    for k in range(3):
        s, _ = env.reset(seed=1) if k == 0 else env.reset()
        states, actions = [int(s)], []
        for _ in range(adv.horizon):
            s, _, _, _, info = env.step(0)
            states.append(int(s))
            actions.append(0)
        trajectories.append((states, actions))
        assert [f.episode for f in info["feedback"]] == ([] if k == 0 else [k - 1])
    (feedback,) = info["feedback"]
    states, actions = trajectories[1]
    np.testing.assert_array_equal(
        feedback.rewards, -adv.losses[1, np.arange(adv.horizon), states[:-1], actions]
    )
    with pytest.raises(ValueError, match="K=4"):
        DelayedFeedbackEnv(adv, np.zeros(5, dtype=np.int64))
