"""Every seed's policies and optimistic values (Q, or LinUCB's index) are bit-identical whether
it runs alone or in a batch of B seeds, at
B in {1, 2, 32, 64, 128}, for the batched learners (LSVI-UCB per step and pooled, UCBVI with
both bonuses, LinUCB). The batch sizes cross the size thresholds at which numpy/BLAS switch
kernels (and at which ``max_last_axis`` switches path), which is where a batched computation
could round differently from a single one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rltheory.algos import get
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators

BATCH_SIZES = (1, 2, 32, 64, 128)
N_EPISODES = 6

CASES = {
    "lsvi-ucb": ("lsvi-ucb", {"beta": 0.5, "refresh_every": 4}, 3),
    "lsvi-ucb-pooled": ("lsvi-ucb", {"beta": 0.5, "pooled": True, "refresh_every": 9}, 3),
    "ucbvi-hoeffding": ("ucbvi", {"c": 0.01}, 3),
    "ucbvi-bernstein": ("ucbvi", {"bonus": "bernstein", "c": 0.001, "known_rewards": False}, 3),
    "linucb": ("linucb", {"refresh_every": 4}, 1),
}


def model_for(horizon: int):
    sizes = {"n_states": 20, "n_actions": 5, "dim": 10, "horizon": horizon}
    model = make_model("random-linear", np.random.default_rng(2), **sizes)
    return dataclasses.replace(model, initial_distribution=np.full(20, 1.0 / 20))


def values(learner) -> np.ndarray:
    """The learner's current optimistic values: ``Q`` (LSVI, UCBVI) or the UCB index (LinUCB)."""
    if hasattr(learner, "q_values"):
        return learner.q_values()
    return learner.ucb() if hasattr(learner, "ucb") else learner.q.copy()


def played(algorithm: str, params: dict, horizon: int, seeds: range) -> np.ndarray:
    """Per-episode policies and values, flattened per seed: ``[B, K, ...]``, one batched run."""
    model = model_for(horizon)
    entry = get(algorithm)
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    learner = make_online(entry, model, N_EPISODES, entry.make_config(**params), algo_rngs)

    def record(k: int, agent) -> None:
        n_seeds = agent.n_seeds
        pi, q = np.asarray(agent.policy(), float), values(agent)
        seen.append(np.concatenate([pi.reshape(n_seeds, -1), q.reshape(n_seeds, -1)], axis=1))

    seen: list[np.ndarray] = []
    record(-1, learner)
    run_online(model, learner, N_EPISODES - 1, env_rngs, callback=record, exact_regret=False)
    return np.stack(seen, axis=1)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_seed_in_a_batch_plays_as_it_does_alone(case):
    algorithm, params, horizon = CASES[case]
    alone = np.concatenate(
        [played(algorithm, params, horizon, range(s, s + 1)) for s in range(max(BATCH_SIZES))]
    )
    assert len({alone[:, k].tobytes() for k in range(N_EPISODES)}) > 1  # policies change
    for n_seeds in BATCH_SIZES:
        batched = played(algorithm, params, horizon, range(n_seeds))
        for seed in range(n_seeds):
            assert np.array_equal(batched[seed], alone[seed]), f"B={n_seeds}, seed {seed}"
