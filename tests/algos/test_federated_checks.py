"""Self-tests of the federated conformance checks: each catches a deliberately broken learner."""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.algos import get, register
from rltheory.algos.fedsarsa import FedSARSA
from rltheory.testing import scoped_registrations
from rltheory.testing.federated_checks import (
    FEDERATED_CHECKS,
    check_federated_batch_matches_single_seeds,
    check_federated_one_agent_ignores_rounds,
    check_federated_same_seed_same_run,
)

_SHARED = np.random.default_rng(0)


class SharedStream(FedSARSA):
    """Broken: actions from one generator shared by all seeds (and kept across runs)."""

    def act(self, states):
        actions = super().act(states)
        return (actions + _SHARED.integers(0, 2, size=actions.shape)) % 2


class DriftingServer(FedSARSA):
    """Broken: every server round adds a constant, so rounds matter even for one agent."""

    def aggregate(self):
        super().aggregate()
        self.theta = self.theta + 0.01


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        (SharedStream, check_federated_same_seed_same_run),
        (SharedStream, check_federated_batch_matches_single_seeds),
        (DriftingServer, check_federated_one_agent_ignores_rounds),
    ],
)
def test_federated_checks_catch_broken_learners(broken, check):
    with scoped_registrations():
        cls = register("broken-federated", citation="test fixture")(type("Broken", (broken,), {}))
        assert cls.protocol == "federated"
        with pytest.raises(AssertionError):
            check(get("broken-federated"))


def test_the_registered_learners_pass_every_federated_check():
    for algorithm in ("fedsarsa", "sarsa-linear"):
        for check in FEDERATED_CHECKS:
            check(get(algorithm))
