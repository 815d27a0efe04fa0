"""Conformance checks of adversarial-protocol learners (run on every registered one).

Each check runs the learner for a few episodes on a tiny adversarial model (the linear-mixture
one when the learner needs a mixture basis) with full-information feedback under geometric
delays, which exercises late and simultaneous arrivals; bandit learners ignore the loss tables.
"""

from __future__ import annotations

import numpy as np

from rltheory.algos.registry import AlgorithmEntry
from rltheory.envs.adversarial import AdversarialMDP
from rltheory.envs.delays import delays as draw_delays
from rltheory.testing.checks import Check, check_config_defaults

TINY_EPISODES = 12


def tiny_adversarial(requires: frozenset[str]) -> AdversarialMDP:
    """A tiny adversarial model (S=3, A=2, H=3, K=12) with geometric delays (mean 2)."""
    from rltheory.envs import make_model

    family = "adversarial-mixture" if "mixture" in requires else "adversarial-tabular"
    model = make_model(
        family,
        np.random.default_rng(0),
        n_states=3,
        n_actions=2,
        horizon=3,
        n_episodes=TINY_EPISODES,
        kind="drifting",
        period=5,
    )
    drawn = draw_delays("geometric", TINY_EPISODES, np.random.default_rng(1), mean=2.0)
    return AdversarialMDP(model.dynamics, model.loss_parameters, model.name, delays=drawn)


def _run(entry: AlgorithmEntry, seeds: list[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(regret [B, K], policies per episode)`` of ``entry`` on the tiny model."""
    from rltheory.experiments.adversarial_loop import adversarial_problem, run_adversarial
    from rltheory.experiments.loops import seed_generators

    model = tiny_adversarial(entry.requires)
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    learner = entry.cls(adversarial_problem(model), entry.make_config(), algo_rngs)
    policies: list[np.ndarray] = []
    play = learner.policy

    def recorded() -> np.ndarray:
        policies.append(np.array(play(), copy=True))
        return policies[-1]

    learner.policy = recorded
    run = run_adversarial(model, learner, env_rngs, feedback="full", delays=model.delays)
    return run.regret, policies


def check_adversarial_policies_are_valid(entry: AlgorithmEntry) -> None:
    """Every policy is ``float [B, H, S, A]`` on the simplex; the run has K checkpoints."""
    regret, policies = _run(entry, [0, 1])
    assert len(policies) == TINY_EPISODES, f"policy() called {len(policies)} times"
    assert regret.shape == (2, TINY_EPISODES)
    for k, policy in enumerate(policies):
        assert policy.shape == (2, 3, 3, 2), f"episode {k}: policy shape {policy.shape}"
        assert np.all(np.isfinite(policy)) and policy.min() >= 0, f"episode {k}: not a policy"
        assert np.abs(policy.sum(-1) - 1).max() <= 1e-8, f"episode {k}: rows do not sum to 1"


def check_adversarial_batch_matches_single_seeds(entry: AlgorithmEntry) -> None:
    """Seeds run together give each seed's policies alone bit for bit (and its regret to 1e-12:
    the exact evaluation batches policies through one matrix product)."""
    seeds = [10, 11, 12]
    regret, policies = _run(entry, seeds)
    for b, seed in enumerate(seeds):
        alone_regret, alone = _run(entry, [seed])
        np.testing.assert_allclose(
            regret[b], alone_regret[0], rtol=0, atol=1e-12, err_msg=f"seed {seed}"
        )
        for k, (together, single) in enumerate(zip(policies, alone, strict=True)):
            np.testing.assert_array_equal(together[b], single[0], err_msg=f"seed {seed}, k={k}")


ADVERSARIAL_CHECKS: tuple[Check, ...] = (
    check_config_defaults,
    check_adversarial_policies_are_valid,
    check_adversarial_batch_matches_single_seeds,
)
