"""Conformance checks every algorithm of the offline protocol gets.

Each runs the learner on datasets of uniform episodes collected in the simulated linear MDP of
Liu & Xu (2024) (``liu-xu-linear``: d-rectangular, 5 states, 16 actions, H = 3), which offers
every structure the offline learners need. A check raises ``AssertionError`` naming what broke.
"""

from __future__ import annotations

import numpy as np

from rltheory.algos.protocols import Problem
from rltheory.algos.registry import AlgorithmEntry
from rltheory.mdp import Trajectories
from rltheory.testing.checks import check_config_defaults

OFFLINE_EPISODES = 30


def _model():
    from rltheory.envs import make_model

    return make_model("liu-xu-linear", 0)


def _data(model, seeds: list[int]) -> Trajectories:
    from rltheory.offline import collect

    rngs = [np.random.default_rng(s) for s in seeds]
    return collect(model, "uniform", OFFLINE_EPISODES, rngs).trajectories


def _fit(entry: AlgorithmEntry, model, data: Trajectories, seeds: list[int]) -> np.ndarray:
    rngs = [np.random.default_rng([s, 1]) for s in seeds]
    learner = entry.cls(Problem.from_model(model, data.actions.shape[1]), entry.make_config(), rngs)
    return np.asarray(learner.fit(data))


def check_offline_policy_is_valid(entry: AlgorithmEntry) -> None:
    """``fit`` returns ``int [B, H, S]`` actions in range or ``float [B, H, S, A]`` rows on the
    simplex, one policy per seed."""
    model = _model()
    policy = _fit(entry, model, _data(model, [0, 1]), [0, 1])
    shape = (2, model.horizon, model.n_states)
    if np.issubdtype(policy.dtype, np.integer):
        assert policy.shape == shape, f"policy shape {policy.shape} != {shape}"
        assert policy.min() >= 0 and policy.max() < model.n_actions, "actions out of range"
        return
    assert policy.shape == (*shape, model.n_actions), f"policy shape {policy.shape}"
    assert policy.min() >= 0 and np.abs(policy.sum(-1) - 1).max() <= 1e-8, "not a distribution"


def check_offline_batch_matches_single_seeds(entry: AlgorithmEntry) -> None:
    """Datasets fitted together give each seed's policy from fitting it alone."""
    model, seeds = _model(), [4, 5, 6]
    data = _data(model, seeds)
    together = _fit(entry, model, data, seeds)
    for b, seed in enumerate(seeds):
        alone = Trajectories(
            data.states[b : b + 1], data.actions[b : b + 1], data.rewards[b : b + 1]
        )
        np.testing.assert_array_equal(
            together[b], _fit(entry, model, alone, [seed])[0], err_msg=f"seed {seed}: policy"
        )


def check_offline_does_not_mutate_the_dataset(entry: AlgorithmEntry) -> None:
    """``fit`` leaves the dataset arrays untouched and the same data give the same policy."""
    model = _model()
    data = _data(model, [7])
    copies = [np.array(a, copy=True) for a in (data.states, data.actions, data.rewards)]
    first = _fit(entry, model, data, [7])
    for name, before, after in zip(
        ("states", "actions", "rewards"),
        copies,
        (data.states, data.actions, data.rewards),
        strict=True,
    ):
        np.testing.assert_array_equal(before, after, err_msg=f"dataset.{name} changed")
    np.testing.assert_array_equal(first, _fit(entry, model, data, [7]), err_msg="refit differs")


OFFLINE_CHECKS = (
    check_config_defaults,
    check_offline_policy_is_valid,
    check_offline_batch_matches_single_seeds,
    check_offline_does_not_mutate_the_dataset,
)
