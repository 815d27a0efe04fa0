"""The offline conformance checks catch deliberately broken learners."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from rltheory.algos import AlgorithmEntry, OfflineAlgorithm
from rltheory.testing.offline_checks import (
    check_offline_batch_matches_single_seeds,
    check_offline_does_not_mutate_the_dataset,
    check_offline_policy_is_valid,
)


class _SharedStream(OfflineAlgorithm):
    """Draws every seed's policy from the first seed's generator: batch-dependent."""

    @dataclass(frozen=True)
    class Config:
        pass

    def fit(self, dataset):
        p = self.problem
        return self.rngs[0].integers(p.n_actions, size=(self.n_seeds, p.horizon, p.n_states))


class _NoSeedAxis(_SharedStream):
    def fit(self, dataset):
        return np.zeros((self.problem.horizon, self.problem.n_states), dtype=int)


class _Mutating(_SharedStream):
    def fit(self, dataset):
        dataset.actions[...] = 0  # overwrites the caller's data
        return np.zeros((self.n_seeds, self.problem.horizon, self.problem.n_states), dtype=int)


def _entry(cls) -> AlgorithmEntry:
    return AlgorithmEntry(cls.__name__, cls, cls.Config, "offline", frozenset(), "test")


@pytest.mark.parametrize(
    ("cls", "check", "message"),
    [
        (_SharedStream, check_offline_batch_matches_single_seeds, "seed 5: policy"),
        (_NoSeedAxis, check_offline_policy_is_valid, r"policy shape \(3, 5\)"),
        (_Mutating, check_offline_does_not_mutate_the_dataset, "dataset.actions changed"),
    ],
)
def test_offline_checks_catch_broken_learners(cls, check, message):
    with pytest.raises(AssertionError, match=message):
        check(_entry(cls))
