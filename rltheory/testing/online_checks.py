"""Conformance checks of the online protocol: every online learner runs a few episodes on a tiny
model (:func:`tiny_model`) that offers every structure it may require, at its registry entry's
``smoke`` hyperparameters. Unless the entry declares ``learns=False`` the run must change the
policy of every seed, and the batch and additivity checks compare the policies of every episode
bit for bit, so they test the learning state, not one fixed policy.
"""

from __future__ import annotations

import dataclasses
import unittest

import numpy as np

from rltheory.algos.registry import AlgorithmEntry
from rltheory.mdp import FiniteHorizonMDP, LinearMixtureTransitions
from rltheory.testing.checks import (
    Check,
    _arrays,
    _assert_same_arrays,
    check_config_defaults,
)

TINY_EPISODES = 4
TINY_SEEDS = 3


def tiny_model(requires: frozenset[str] | set[str] = frozenset()) -> FiniteHorizonMDP:
    """A 3-state, 2-action, time-homogeneous model offering every finite-horizon structure.

    The kernel is a linear mixture of two fixed bases (``mixture``); the features
    ``phi(s, a) = (e_(s,a) + 1/sqrt(6)) / 2`` (``d = 6``) are an invertible mix of one-hot and a
    shared direction, so they realize any kernel and reward (``features``) while a ridge
    estimate from one pair moves the values of all others (a greedy learner changes its policy);
    ``||phi||_2 <= 1``. ``H = 3``, or ``H = 1`` when ``bandit`` is required; rewards are divided
    by H when ``unit-total-reward`` is required. ``metadata["norm_bound"]`` states
    ``B = ||theta||_2``. Deterministic: it does not depend on any seed.
    """
    if "discounted" in requires:
        raise unittest.SkipTest("the online checks need a finite-horizon model")
    n_states, n_actions = 3, 2
    horizon = 1 if "bandit" in requires else 3
    nxt = (np.arange(n_states)[:, None] + np.arange(n_actions)[None, :]) % n_states
    towards = np.eye(n_states)[nxt]  # psi_1: move to s + a (mod S)
    spread = np.full((n_states, n_actions, n_states), 1.0 / n_states)  # psi_2: uniform
    basis = np.stack([towards, spread], axis=-1)  # [S, A, S', 2]
    theta = np.array([0.7, 0.3])
    transitions = LinearMixtureTransitions(basis, theta)
    rewards = np.array([[0.1, 0.4], [0.0, 0.6], [0.9, 0.2]])
    dim = n_states * n_actions
    phi = 0.5 * (np.eye(dim) + np.full((dim, dim), 1.0 / np.sqrt(dim)))
    if "unit-total-reward" in requires:
        rewards = rewards / horizon
    return FiniteHorizonMDP(
        transitions,
        np.broadcast_to(rewards, (horizon, n_states, n_actions)),
        np.array([1.0, 0.0, 0.0]),
        features=phi.reshape(n_states, n_actions, -1),
        name=f"tiny(S=3, A=2, H={horizon})",
        metadata={"norm_bound": float(np.linalg.norm(theta))},
    )


def _online_only(entry: AlgorithmEntry) -> None:
    if entry.protocol != "online":
        raise unittest.SkipTest(f"no generic run checks for the {entry.protocol} protocol yet")


def _run(
    entry: AlgorithmEntry,
    seeds: list[int],
    n_episodes: int = TINY_EPISODES,
    chunks: tuple[int, ...] | None = None,
):
    """Run ``entry`` at its smoke hyperparameters on the tiny model, in ``chunks`` of episodes
    (consecutive ``run_online`` calls on one learner); return (regret [B, K], policies [K][B, ...],
    learner)."""
    from rltheory.experiments.loops import make_online, run_online, seed_generators

    model = tiny_model(entry.requires)
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    algorithm = make_online(entry, model, n_episodes, entry.make_config(**entry.smoke), algo_rngs)
    policies: list[np.ndarray] = []
    play = algorithm.policy

    def recorded() -> np.ndarray:
        policies.append(np.array(play(), copy=True))
        _check_policy(policies[-1], model, len(seeds), len(policies) - 1)
        return policies[-1]

    algorithm.policy = recorded
    regrets = [run_online(model, algorithm, k, env_rngs).regret for k in chunks or (n_episodes,)]
    return np.concatenate(regrets, axis=1), policies, algorithm


def _assert_learns(entry: AlgorithmEntry, policies: list[np.ndarray], seeds: list[int]) -> None:
    """Every seed's policy changes at least once during the run (unless ``learns=False``)."""
    if not entry.learns:
        return
    for b, seed in enumerate(seeds):
        if all(np.array_equal(policy[b], policies[0][b]) for policy in policies[1:]):
            raise AssertionError(
                f"seed {seed} played one policy for all {len(policies)} episodes at smoke "
                f"parameters {dict(entry.smoke)}: the run exercises no learning state (declare a "
                "smoke configuration under which the learner learns, or learns=False)"
            )


def _assert_same_policies(first: list[np.ndarray], second: list[np.ndarray], what: str) -> None:
    assert len(first) == len(second), f"{what}: {len(first)} vs {len(second)} episodes"
    for k, (a, b) in enumerate(zip(first, second, strict=True)):
        if a.dtype != b.dtype or not np.array_equal(a, b):
            raise AssertionError(f"{what}: the policies of episode {k} differ")


def _check_policy(policy: np.ndarray, model: FiniteHorizonMDP, n_seeds: int, k: int) -> None:
    """``int [B, H, S]`` with actions in range, or ``float [B, H, S, A]`` on the simplex."""
    shape = (n_seeds, model.horizon, model.n_states)
    if np.issubdtype(policy.dtype, np.integer):
        assert policy.shape == shape, f"episode {k}: policy shape {policy.shape} != {shape}"
        assert policy.min() >= 0 and policy.max() < model.n_actions, (
            f"episode {k}: actions outside [0, {model.n_actions})"
        )
        return
    assert np.issubdtype(policy.dtype, np.floating), f"episode {k}: policy dtype {policy.dtype}"
    full = (*shape, model.n_actions)
    assert policy.shape == full, f"episode {k}: policy shape {policy.shape} != {full}"
    assert np.all(np.isfinite(policy)) and policy.min() >= 0, f"episode {k}: not a distribution"
    assert np.abs(policy.sum(-1) - 1).max() <= 1e-8, f"episode {k}: rows do not sum to 1"


def check_policies_are_valid(entry: AlgorithmEntry) -> None:
    """Each episode's policy is ``int [B, H, S]`` in range or ``float [B, H, S, A]`` stochastic,
    and ``policy()`` is called once per episode."""
    _online_only(entry)
    regret, policies, algorithm = _run(entry, [0, 1])
    assert len(policies) == TINY_EPISODES, f"policy() called {len(policies)} times"
    assert regret.shape == (2, TINY_EPISODES)
    assert algorithm.n_seeds == 2


def check_policy_changes(entry: AlgorithmEntry) -> None:
    """At the smoke hyperparameters every seed's policy changes during the run: the learner
    learns, so the determinism, batch and additivity checks see its learning state."""
    _online_only(entry)
    if not entry.learns:
        raise unittest.SkipTest(f"'{entry.id}' is declared a fixed-policy baseline")
    seeds = [0, 1, 2]
    _, policies, _ = _run(entry, seeds)
    _assert_learns(entry, policies, seeds)


def check_same_seed_same_run(entry: AlgorithmEntry) -> None:
    """The same seeds give identical policies (bit for bit) and regret."""
    _online_only(entry)
    first, second = _run(entry, [5, 6]), _run(entry, [5, 6])
    _assert_same_policies(first[1], second[1], "two runs under seeds [5, 6]")
    np.testing.assert_array_equal(first[0], second[0], err_msg="regret differs under one seed")


def check_batch_matches_single_seeds(entry: AlgorithmEntry) -> None:
    """Seeds run together in one batch give each seed's policies (bit for bit) and regret from
    running it alone."""
    _online_only(entry)
    seeds = list(range(10, 10 + TINY_SEEDS))
    regret, policies, _ = _run(entry, seeds)
    _assert_learns(entry, policies, seeds)
    for b, seed in enumerate(seeds):
        alone_regret, alone_policies, _ = _run(entry, [seed])
        _assert_same_policies(
            [p[b : b + 1] for p in policies], alone_policies, f"seed {seed} in a batch vs alone"
        )
        # regret to 1e-12 only: the exact evaluation is batched through BLAS (model layer)
        np.testing.assert_allclose(
            regret[b], alone_regret[0], rtol=0, atol=1e-12, err_msg=f"seed {seed}: regret"
        )


def check_episodes_are_additive(entry: AlgorithmEntry) -> None:
    """Running K episodes then K more on one learner equals running 2K at once (rlberry's
    ``fit`` additivity): the same policy in every episode, bit for bit."""
    _online_only(entry)
    seeds = [21, 22]
    once = _run(entry, seeds, 2 * TINY_EPISODES)
    twice = _run(entry, seeds, 2 * TINY_EPISODES, chunks=(TINY_EPISODES, TINY_EPISODES))
    _assert_learns(entry, once[1], seeds)
    _assert_same_policies(once[1], twice[1], "2K episodes at once vs K + K")
    np.testing.assert_array_equal(once[0], twice[0], err_msg="regret differs")


def check_does_not_mutate_problem(entry: AlgorithmEntry) -> None:
    """The learner leaves the Problem's (read-only) arrays and the model untouched."""
    _online_only(entry)
    model = tiny_model(entry.requires)
    before = {name: array.copy() for name, array in _arrays(model).items()}
    _, _, algorithm = _run(entry, [3])
    problem = algorithm.problem
    for field in dataclasses.fields(problem):
        value = getattr(problem, field.name)
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, f"Problem.{field.name} is writeable"
    fresh = tiny_model(entry.requires)
    _assert_same_arrays(before, _arrays(fresh), "tiny model rebuilt")
    if problem.model is not None:
        _assert_same_arrays(before, _arrays(problem.model), "the model after the run")
    for name in ("features", "mixture_basis", "rewards"):
        value = getattr(problem, name)
        if value is not None:
            np.testing.assert_array_equal(
                value, getattr(fresh, name), err_msg=f"Problem.{name} changed"
            )


ALGORITHM_CHECKS: tuple[Check, ...] = (
    check_config_defaults,
    check_policies_are_valid,
    check_policy_changes,
    check_same_seed_same_run,
    check_batch_matches_single_seeds,
    check_episodes_are_additive,
    check_does_not_mutate_problem,
)
