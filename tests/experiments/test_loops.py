"""The online loop: the learner plays the same episodes with and without exact accounting."""

import numpy as np

from rltheory import algos
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators


def _run(exact_regret: bool):
    model = make_model("riverswim", 0, n_states=4, horizon=5)
    entry = algos.get("lsvi-ucb")
    env_rngs, algo_rngs = seed_generators(
        [np.random.SeedSequence(3, spawn_key=(i,)) for i in range(2)]
    )
    learner = make_online(entry, model, 30, entry.make_config(c=0.05), algo_rngs)
    run = run_online(model, learner, 30, env_rngs, exact_regret=exact_regret)
    return run, learner.policy()


def test_skipping_the_accounting_leaves_the_learner_and_trajectories_unchanged():
    with_regret, policy = _run(True)
    without, policy_without = _run(False)
    np.testing.assert_array_equal(policy, policy_without)
    np.testing.assert_array_equal(with_regret.returns, without.returns)
    np.testing.assert_array_equal(with_regret.initial_states, without.initial_states)
    assert np.all(np.isfinite(with_regret.regret)) and np.all(with_regret.regret >= -1e-12)
    assert np.all(np.isnan(without.regret))
