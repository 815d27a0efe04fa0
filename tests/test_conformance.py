"""Every registered environment family and algorithm passes the generic conformance checks.

Parametrized over (registry item x check) with ids ``<item>-<check>``, so a new registration is
checked automatically and ``pytest -k check_gym_env`` selects one check everywhere. Expected
failures must be listed in ``EXPECTED_FAILURES`` with a written reason. The second half checks
the checks themselves on deliberately broken items, and the regret accounting of the baselines.
"""

from __future__ import annotations

import subprocess
import sys
import unittest
from dataclasses import dataclass

import numpy as np
import pytest

from rltheory.algos import AlgorithmEntry, OnlineAlgorithm, entries, get
from rltheory.envs import FamilyEntry, families
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.mdp import DenseTransitions, FiniteHorizonMDP
from rltheory.testing import (
    check_algorithm,
    check_environment,
    tiny_model,
    yield_algorithm_checks,
    yield_environment_checks,
)
from rltheory.testing.checks import (
    check_batch_matches_single_seeds,
    check_config_defaults,
    check_episodes_are_additive,
    check_features_realize_model,
    check_model_is_valid,
    check_policies_are_valid,
    check_policy_changes,
    check_same_seed_same_run,
    check_sampling_matches_kernel,
    check_seed_determinism,
)

EXPECTED_FAILURES: dict[tuple[str, str], str] = {}
"""``(item id, check name) -> reason`` for known, explained failures (none at present)."""


def _cases(items, yield_checks):
    for item in items:
        for check in yield_checks(item):
            reason = EXPECTED_FAILURES.get((item.id, check.__name__))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            yield pytest.param(item, check, id=f"{item.id}-{check.__name__}", marks=marks)


COLLECTED_FAMILIES, COLLECTED_ALGORITHMS = families(), entries()
"""The registries as this module sees them at collection time."""


@pytest.mark.parametrize(
    ("entry", "check"), list(_cases(COLLECTED_FAMILIES, yield_environment_checks))
)
def test_environment_family(entry, check):
    check(entry)


@pytest.mark.parametrize(
    ("entry", "check"), list(_cases(COLLECTED_ALGORITHMS, yield_algorithm_checks))
)
def test_algorithm(entry, check):
    check(entry)


def test_the_parametrization_is_the_built_in_registry():
    """What a fresh interpreter registers on ``import rltheory`` is exactly what these tests are
    parametrized over: no collected conftest or test module (e.g. the experiment tests' toy
    plugins) adds test-only families or algorithms depending on which folders are collected."""
    code = (
        "import rltheory.algos, rltheory.envs; "
        "print(' '.join(e.id for e in rltheory.envs.families())); "
        "print(' '.join(e.id for e in rltheory.algos.entries()))"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout.splitlines()
    assert fresh[0].split() == [entry.id for entry in COLLECTED_FAMILIES]
    assert fresh[1].split() == [entry.id for entry in COLLECTED_ALGORITHMS]


def test_registries_are_not_empty():
    assert len(families()) >= 1
    assert {"oracle", "uniform"} <= {entry.id for entry in entries()}


# --- accounting: the oracle has zero regret, uniform play positive regret -----------------------

FINITE_FAMILIES = [entry.id for entry in families() if isinstance(entry.build(0), FiniteHorizonMDP)]


def _regret(algorithm_id: str, model: FiniteHorizonMDP, n_episodes: int, seeds=(0, 1)):
    entry = get(algorithm_id)
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    learner = make_online(entry, model, n_episodes, entry.make_config(), algo_rngs)
    return run_online(model, learner, n_episodes, env_rngs).regret


@pytest.mark.parametrize("family", FINITE_FAMILIES)
def test_oracle_regret_is_zero(family):
    model = next(e for e in families() if e.id == family).build(0)
    regret = _regret("oracle", model, 5)
    assert np.abs(regret).max() <= 1e-12


def test_uniform_regret_is_positive_on_a_nontrivial_env():
    model = tiny_model()
    regret = _regret("uniform", model, 5)
    # Exact: V*_1(0) - V^unif_1(0) on the tiny model (start state 0) is the same every episode.
    assert np.all(regret > 0.05)
    np.testing.assert_allclose(regret, regret[0, 0], rtol=0, atol=1e-12)


# --- the checks can fail: deliberately broken items --------------------------------------------


def _broken_entry(cls, requires=("finite-horizon",)) -> AlgorithmEntry:
    return AlgorithmEntry(cls.__name__, cls, cls.Config, "online", frozenset(requires), "test")


class _GlobalRandom(OnlineAlgorithm):
    """Draws from numpy's global RNG: not reproducible under a seed."""

    @dataclass(frozen=True)
    class Config:
        pass

    def policy(self):
        p = self.problem
        return np.random.randint(p.n_actions, size=(self.n_seeds, p.horizon, p.n_states))  # noqa: NPY002

    def update(self, trajectories):
        self.episode += 1


class _SharedStream(_GlobalRandom):
    """Draws every seed's policy from the first seed's generator: batch-dependent."""

    def policy(self):
        p = self.problem
        return self.rngs[0].integers(p.n_actions, size=(self.n_seeds, p.horizon, p.n_states))


class _WrongShape(_GlobalRandom):
    """Returns an [H, S] policy without the seed axis."""

    def policy(self):
        return np.zeros((self.problem.horizon, self.problem.n_states), dtype=int)


class _MutableConfig(_GlobalRandom):
    @dataclass
    class Config:
        step: float = 1.0


class _CountingGreedy(OnlineAlgorithm):
    """A correct little learner: greedy in the empirical mean reward of (h, s, a), 1 (optimistic)
    for untried pairs; per-seed counts carried from one update to the next."""

    @dataclass(frozen=True)
    class Config:
        pass

    def __init__(self, problem, config, rngs):
        super().__init__(problem, config, rngs)
        shape = (self.n_seeds, problem.horizon, problem.n_states, problem.n_actions)
        self.counts, self.sums = np.zeros(shape), np.zeros(shape)

    def policy(self):
        means = np.divide(
            self.sums, self.counts, out=np.ones_like(self.sums), where=self.counts > 0
        )
        return means.argmax(-1)

    def _add(self, counts, sums, trajectories):
        states, actions, rewards = self.checked_trajectories(trajectories)
        index = (
            np.arange(self.n_seeds)[:, None],
            np.arange(self.problem.horizon)[None, :],
            states[:, :-1],
            actions,
        )
        np.add.at(counts, index, 1.0)
        np.add.at(sums, index, rewards)

    def update(self, trajectories):
        self._add(self.counts, self.sums, trajectories)
        self.episode += 1


class _Frozen(_CountingGreedy):
    """State not carried between update calls: each update counts into a copy it then drops."""

    def update(self, trajectories):
        self._add(self.counts.copy(), self.sums.copy(), trajectories)
        self.episode += 1


class _ForgetsOnEpisodeZero(_CountingGreedy):
    """Drops its statistics whenever an update call says episode 0 (the loop's index restarts
    in every ``run_online`` call): a second run on the same learner starts from scratch."""

    def update(self, trajectories):
        if trajectories.episode == 0:
            self.counts[:], self.sums[:] = 0.0, 0.0
        super().update(trajectories)


class _PooledSeeds(_CountingGreedy):
    """Pools every seed's counts (a missing seed index): a batch learns from other seeds."""

    def update(self, trajectories):
        super().update(trajectories)
        self.counts[:] = self.counts.sum(0, keepdims=True) / self.n_seeds
        self.sums[:] = self.sums.sum(0, keepdims=True) / self.n_seeds


def test_a_correct_learner_passes_every_algorithm_check():
    """The self-tests below are not artefacts of the checks: the unbroken learner passes."""
    assert check_algorithm(_broken_entry(_CountingGreedy)) == []


@pytest.mark.parametrize(
    ("cls", "check", "message"),
    [
        (_GlobalRandom, check_same_seed_same_run, "differ"),
        (_SharedStream, check_batch_matches_single_seeds, "seed 10 in a batch vs alone"),
        (_Frozen, check_policy_changes, "seed 0 played one policy for all 4 episodes"),
        (_Frozen, check_batch_matches_single_seeds, "played one policy"),
        (_Frozen, check_episodes_are_additive, "played one policy"),
        (_ForgetsOnEpisodeZero, check_episodes_are_additive, "K \\+ K: the policies of episode"),
        (_PooledSeeds, check_batch_matches_single_seeds, "seed 10 in a batch vs alone: the pol"),
        (_WrongShape, check_policies_are_valid, r"policy shape \(3, 3\) != \(2, 3, 3\)"),
        (_MutableConfig, check_config_defaults, "is not frozen"),
    ],
)
def test_algorithm_checks_catch_broken_learners(cls, check, message):
    with pytest.raises((AssertionError, ValueError), match=message):
        check(_broken_entry(cls))


def test_check_algorithm_names_the_item_and_the_failed_checks():
    with pytest.raises(AssertionError) as info:
        check_algorithm(_broken_entry(_GlobalRandom))
    text = str(info.value)
    assert "algorithm '_GlobalRandom'" in text
    assert "check_same_seed_same_run" in text
    assert "check_config_defaults" not in text
    baseline = ["check_policy_changes: '{}' is declared a fixed-policy baseline"]
    assert check_algorithm("uniform") == [baseline[0].format("uniform")]
    assert check_algorithm(get("oracle").cls) == [baseline[0].format("oracle")]


class _ShiftedSampler(DenseTransitions):
    """Samples s' from the row of state s + 1: the kernel it claims is not the one it samples."""

    def sample_from_uniforms(self, h, states, actions, uniforms):
        shifted = (np.asarray(states) + 1) % self.n_states
        return super().sample_from_uniforms(h, shifted, actions, uniforms)


def _tabular(rng, n_states=4, n_actions=2, horizon=3, transitions_cls=DenseTransitions):
    kernel = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    return FiniteHorizonMDP(
        transitions_cls(kernel),
        rng.random((horizon, n_states, n_actions)),
        np.full(n_states, 1.0 / n_states),
        name="tabular",
    )


def _global_random_family(rng, *, n_states: int = 4):
    """Ignores its rng: two builds under one seed differ."""
    return _tabular(np.random.default_rng(np.random.randint(2**31)), n_states)  # noqa: NPY002


def test_environment_checks_catch_broken_models():
    broken = _tabular(np.random.default_rng(0), transitions_cls=_ShiftedSampler)
    with pytest.raises(AssertionError, match=r"total\s+variation"):
        check_sampling_matches_kernel(broken)
    with pytest.raises(AssertionError, match="check_sampling_matches_kernel") as info:
        check_environment(broken)
    assert "model 'tabular'" in str(info.value)
    entry = FamilyEntry("global-random", "GlobalRandom", _global_random_family, {}, "test", "")
    with pytest.raises(AssertionError, match="differs"):
        check_seed_determinism(entry)


def test_feature_check_catches_unnormalised_and_misspecified_features():
    model = _tabular(np.random.default_rng(1))
    one_hot = np.eye(8).reshape(4, 2, 8)
    scaled = FiniteHorizonMDP(
        model.transitions, model.rewards, model.initial_distribution, features=2 * one_hot
    )
    with pytest.raises(AssertionError, match=r"\|\|phi\(s,a\)\|\|_2 = 2 > 1"):
        check_features_realize_model(scaled)
    misspecified = FiniteHorizonMDP(
        model.transitions,
        model.rewards,
        model.initial_distribution,
        features=one_hot[..., :4],
        realizable=False,
    )
    with pytest.raises(unittest.SkipTest):
        check_features_realize_model(misspecified)
    assert check_environment(model) == [
        "check_features_realize_model: the model declares no realizable linear-MDP features"
    ]


def test_model_check_rejects_writeable_arrays():
    model = _tabular(np.random.default_rng(2))
    object.__setattr__(model, "rewards", np.array(model.rewards))  # bypass the frozen copy
    with pytest.raises(AssertionError, match="'rewards' is writeable"):
        check_model_is_valid(model)
