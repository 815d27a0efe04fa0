"""A plugin module: importing it registers one family (and so its gymnasium id).

Used by ``test_gym.py`` to show that a family registered after ``import rltheory.envs`` (here,
and in a freshly spawned worker process) is ``gymnasium.make``-able.
"""

from __future__ import annotations

import numpy as np

from rltheory.envs import register_family
from rltheory.mdp import FiniteHorizonMDP

GYM_ID = "rltheory/TestPluginChain-v0"


@register_family("test-plugin-chain", gym_name="TestPluginChain", citation="test fixture")
def plugin_chain(rng: np.random.Generator, *, n_states: int = 3, horizon: int = 2):
    """A random chain: Dirichlet rows from ``rng``, rewards 1/2 everywhere."""
    p = rng.dirichlet(np.ones(n_states), size=(n_states, 2))
    rewards = np.full((horizon, n_states, 2), 0.5)
    return FiniteHorizonMDP(p, rewards, np.full(n_states, 1.0 / n_states), name="plugin-chain")
