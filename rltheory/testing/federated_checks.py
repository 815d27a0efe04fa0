"""Conformance checks every algorithm of the federated protocol gets.

Each runs the learner a few rounds on a tiny heterogeneous federated model built here
(:func:`tiny_federated_model`: two alternating Garnet types, S = 4, A = 2, one-hot features) and
raises ``AssertionError`` on a broken contract.
"""

from __future__ import annotations

import numpy as np

from rltheory.algos.registry import AlgorithmEntry
from rltheory.mdp.continuing import ContinuingChains
from rltheory.mdp.federated import FederatedMDP
from rltheory.testing.checks import check_config_defaults

TINY_STEPS = 24
TINY_LOCAL_STEPS = 4


def tiny_federated_model(n_agents: int = 3) -> FederatedMDP:
    """Deterministic tiny federated model (does not depend on any seed passed to a check)."""
    from rltheory.envs import make_model

    return make_model(
        "federated-garnet",
        np.random.default_rng(0),
        n_agents=n_agents,
        n_states=4,
        n_actions=2,
        branching=2,
        gamma=0.8,
    )


def _run(entry: AlgorithmEntry, seeds: list[int], n_agents: int = 3, local_steps: int = 4):
    """Outputs ``[rounds, B, N, d]`` of the learner under ``seeds`` on the tiny model."""
    from rltheory.experiments.federated import make_federated

    model = tiny_federated_model(n_agents)
    env = [np.random.default_rng([s, 0]) for s in seeds]
    algo = [np.random.default_rng([s, 1]) for s in seeds]
    learner = make_federated(entry, model, TINY_STEPS, entry.make_config(), algo)
    chains = ContinuingChains(model, env)
    outputs = []
    for t in range(TINY_STEPS):
        states = chains.states
        actions = learner.act(states)
        assert actions.shape == states.shape, f"act returned shape {actions.shape}"
        rewards, next_states = chains.step(actions)
        learner.observe(states, actions, rewards, next_states)
        if (t + 1) % local_steps == 0:
            learner.aggregate()
            out = np.array(learner.output(), copy=True)
            assert out.shape == (len(seeds), n_agents, model.dim), f"output shape {out.shape}"
            assert np.all(np.isfinite(out)), "non-finite output"
            outputs.append(out)
    return np.array(outputs)


def check_federated_same_seed_same_run(entry: AlgorithmEntry) -> None:
    """The same seeds give identical outputs at every round."""
    np.testing.assert_array_equal(_run(entry, [5, 6]), _run(entry, [5, 6]))


def check_federated_batch_matches_single_seeds(entry: AlgorithmEntry) -> None:
    """Seeds run together give each seed's outputs from running it alone, bit for bit."""
    together = _run(entry, [10, 11, 12])
    for b, seed in enumerate([10, 11, 12]):
        np.testing.assert_array_equal(together[:, b], _run(entry, [seed])[:, 0], err_msg=f"{seed}")


def check_federated_one_agent_ignores_rounds(entry: AlgorithmEntry) -> None:
    """With N = 1 a server round changes nothing: the final output does not depend on K."""
    every = _run(entry, [3], n_agents=1, local_steps=1)
    rarely = _run(entry, [3], n_agents=1, local_steps=TINY_STEPS)
    np.testing.assert_array_equal(every[-1], rarely[-1])


FEDERATED_CHECKS = (
    check_config_defaults,
    check_federated_same_seed_same_run,
    check_federated_batch_matches_single_seeds,
    check_federated_one_agent_ignores_rounds,
)
