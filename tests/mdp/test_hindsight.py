"""Best fixed policy in hindsight for an oblivious loss sequence: DP vs LP vs enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from mdp_factories import all_deterministic_policies, brute_force_values, dense_mdp, lowrank_mdp

from rltheory.mdp import best_in_hindsight, evaluate, initial_value, occupancy_lp

K = 6


def _cases():
    rng = np.random.default_rng(31)
    return {
        "dense-inhomogeneous": (dense_mdp(rng, 3, 2, 3, layers=3), rng.random((K, 3, 3, 2))),
        "lowrank": (lowrank_mdp(rng, 3, 2, 2, dim=2), rng.random((K, 2, 3, 2))),
    }


CASES = _cases()


@pytest.mark.parametrize("name", list(CASES))
def test_best_in_hindsight_equals_lp_and_enumeration(name):
    model, losses = CASES[name]
    comparator = best_in_hindsight(model, losses)
    total = losses.sum(axis=0)
    dp_value = float(initial_value(model, comparator.v))
    assert occupancy_lp(model, total, minimize=True).value == pytest.approx(dp_value, abs=1e-6)
    policies = all_deterministic_policies(model.n_actions, (model.horizon, model.n_states))
    cumulative = np.array(
        [
            sum(
                brute_force_values(model, pi, losses[k])[0] @ model.initial_distribution
                for k in range(K)
            )
            for pi in policies
        ]
    )
    assert cumulative.min() == pytest.approx(dp_value, abs=1e-12)
    # Every policy's regret against the comparator is >= 0 (the comparator is a minimizer).
    assert np.all(cumulative - dp_value >= -1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_comparator_regret_is_zero(name):
    model, losses = CASES[name]
    comparator = best_in_hindsight(model, losses)
    per_episode = initial_value(model, evaluate(model, comparator.policy, rewards=losses))  # [K]
    regret = per_episode.sum() - initial_value(model, comparator.v)
    assert abs(regret) <= 1e-12 * K


def test_best_in_hindsight_rejects_misshaped_losses():
    model, losses = CASES["lowrank"]
    with pytest.raises(ValueError, match=r"losses must have shape \[K, H, S, A\]"):
        best_in_hindsight(model, losses[:, :, :, :1])
    with pytest.raises(ValueError, match="losses"):
        best_in_hindsight(model, losses[0])
