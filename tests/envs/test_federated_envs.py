"""Federated families as gymnasium environments: one agent's continuing MDP per instance."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import rltheory.envs  # noqa: F401  (registers the gymnasium ids)
from rltheory.envs import get_family


@pytest.mark.parametrize("family", ["fedsarsa-synthetic", "federated-garnet"])
def test_env_steps_the_selected_agents_mdp(family):
    entry = get_family(family)
    env = gymnasium.make(entry.gym_id, agent=1, n_agents=3)
    model = env.unwrapped.model
    agent = model.agents[1]
    assert env.unwrapped._dynamics is agent and model.dynamics is agent
    dense = agent.transitions.dense()[0]
    s, info = env.reset(seed=2)
    rng = np.random.default_rng(0)
    for h in range(50):  # continuing: never terminates
        np.testing.assert_array_equal(info["features"], agent.features[s])
        a = int(rng.integers(agent.n_actions))
        s_next, reward, terminated, truncated, info = env.step(a)
        assert reward == agent.rewards[s, a] and dense[s, a, s_next] > 0
        assert not terminated and not truncated and info["h"] == h + 1
        s = s_next
    with pytest.raises(ValueError, match="agent"):
        gymnasium.make(entry.gym_id, agent=3, n_agents=3)


@pytest.mark.parametrize("family", ["fedsarsa-synthetic", "federated-garnet"])
def test_vector_entry_point_equals_sync_for_a_continuing_agent(family):
    """One agent's continuing MDP: batched copies equal SyncVectorEnv bit for bit (no episode
    ever ends)."""
    gym_id = get_family(family).gym_id
    batched = gymnasium.make_vec(gym_id, 3, vectorization_mode="vector_entry_point", agent=1)
    synced = gymnasium.make_vec(gym_id, 3, vectorization_mode="sync", agent=1)
    outputs = [env.reset(seed=4) for env in (batched, synced)]
    np.testing.assert_array_equal(outputs[0][0], outputs[1][0])
    rng = np.random.default_rng(1)
    for _ in range(30):
        actions = rng.integers(batched.single_action_space.n, size=3)
        steps = [env.step(actions) for env in (batched, synced)]
        for a, b in zip(steps[0][:4], steps[1][:4], strict=True):
            np.testing.assert_array_equal(a, b)
        assert not steps[0][2].any() and not steps[0][3].any()
