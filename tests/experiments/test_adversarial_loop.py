"""The adversarial/delayed interaction loop: arrival bookkeeping, feedback contents, and the
learner base class's validation of what arrives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import rltheory.envs as envs
from rltheory.algos import AdversarialAlgorithm, Feedback
from rltheory.envs.delays import arrivals
from rltheory.experiments.adversarial_loop import adversarial_problem, run_adversarial


@dataclass(frozen=True)
class _Config:
    pass


class _Recorder(AdversarialAlgorithm):
    """Uniform learner that records every arrival."""

    Config = _Config

    def __init__(self, problem, config, rngs):
        super().__init__(problem, config, rngs)
        self.log: list[tuple[int, list[Feedback]]] = []

    def policy(self):
        p = self.problem
        return np.full((self.n_seeds, p.horizon, p.n_states, p.n_actions), 1.0 / p.n_actions)

    def update(self, arrivals):
        k = self.episode
        self.log.append((k, self.checked_arrivals(arrivals)))


def _adv():
    return envs.make_model(
        "adversarial-tabular", np.random.default_rng(0), kind="drifting", n_states=3,
        n_actions=2, horizon=3, n_episodes=25, period=7,
    )  # fmt: skip


def test_items_arrive_at_k_plus_d_with_their_own_trajectory_and_losses():
    adv = _adv()
    delays = np.array([0, 3, 3, 1, 0, 30] + [2] * 19, dtype=np.int64)
    learner = _Recorder(adversarial_problem(adv), _Config(), [None, None])
    run = run_adversarial(adv, learner, [np.random.default_rng(1), np.random.default_rng(2)],
                          feedback="full", delays=delays)  # fmt: skip
    due = arrivals(delays)
    assert [k for k, _ in learner.log] == list(range(25))
    for k, items in learner.log:
        assert [item.episode for item in items] == list(due[k])
        for item in items:
            steps = np.arange(3)
            np.testing.assert_array_equal(
                item.losses, adv.losses[item.episode][steps, item.states[:, :-1], item.actions]
            )
            np.testing.assert_array_equal(item.loss_table, adv.losses[item.episode])
    delivered = {item.episode for _, items in learner.log for item in items}
    assert delivered == {j for j in range(25) if j + delays[j] < 25}  # late ones never arrive
    assert len(learner.log[4][1]) == 3  # episodes 1, 2 and 3 arrive together at k = 4
    assert run.total_delay == int(delays.sum()) and run.arrivals_per_episode.sum() == len(delivered)


def test_bandit_feedback_hides_the_loss_table_and_batches_match_single_seeds():
    adv = _adv()
    learner = _Recorder(adversarial_problem(adv), _Config(), [None, None])
    together = run_adversarial(adv, learner, [np.random.default_rng(s) for s in (1, 2)])
    assert all(item.loss_table is None for _, items in learner.log for item in items)
    alone = _Recorder(adversarial_problem(adv), _Config(), [None])
    single = run_adversarial(adv, alone, [np.random.default_rng(2)])
    np.testing.assert_allclose(together.regret[1], single.regret[0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(together.realized_regret[1], single.realized_regret[0])


def test_the_base_class_refuses_impossible_arrivals():
    adv = _adv()
    learner = _Recorder(adversarial_problem(adv), _Config(), [None])
    item = Feedback(0, np.zeros((1, 4), dtype=np.int64), np.zeros((1, 3), dtype=np.int64),
                    np.zeros((1, 3)))  # fmt: skip
    with pytest.raises(ValueError, match="episode 1 cannot arrive"):
        learner.update([Feedback(1, item.states, item.actions, item.losses)])
    learner.update([item])
    with pytest.raises(ValueError, match="already delivered"):
        learner.update([item])
    with pytest.raises(ValueError, match=r"feedback\.losses of episode 1 must have shape"):
        learner.update([Feedback(1, item.states, item.actions, np.zeros((1, 2)))])
    with pytest.raises(ValueError, match="known initial distribution"):
        from dataclasses import replace

        _Recorder(replace(adversarial_problem(adv), initial_distribution=None), _Config(), [None])
