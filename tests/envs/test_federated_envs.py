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
