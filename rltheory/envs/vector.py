"""Batched gymnasium environments: ``num_envs`` copies of one exact model stepped together.

:class:`ModelVectorEnv` is the ``vector_entry_point`` of every ``rltheory/<Name>-v0``, so
``gymnasium.make_vec(id, n, vectorization_mode="vector_entry_point")`` steps all ``n`` copies
with one batched call of the model's sampler per step (``sample_from_uniforms``) instead of
``n`` Python environments. Copy ``i`` has its own generator (``reset(seed=s)`` seeds copy ``i``
with ``s + i``, as :class:`gymnasium.vector.SyncVectorEnv` does) and consumes exactly the
uniforms a :class:`~rltheory.envs.gym.ModelEnv` consumes, so observations, rewards, termination
flags and infos equal the ``"sync"`` mode's bit for bit. All copies share the step index ``h``
and the episode index ``k`` (every copy of a finite-horizon model terminates after step H), and
finished episodes restart on the next ``step`` call (gymnasium's ``AutoresetMode.NEXT_STEP``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from rltheory.envs.gym import ModelEnv
from rltheory.envs.registry import get_family


class ModelVectorEnv(VectorEnv):
    """``num_envs`` copies of the model of a :class:`~rltheory.envs.gym.ModelEnv` (module doc)."""

    def __init__(self, model: Any, num_envs: int, render_mode: str | None = None):
        if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer):
            raise TypeError(f"num_envs must be an integer, got {num_envs!r}")
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self._single = ModelEnv(model, render_mode)  # validation, spaces, reward tables
        self.model = model
        self.num_envs = int(num_envs)
        self.render_mode = None
        self.metadata = {**self._single.metadata, "autoreset_mode": AutoresetMode.NEXT_STEP}
        self.single_observation_space = self._single.observation_space
        self.single_action_space = self._single.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._rngs: list[np.random.Generator] | None = None
        self._states: np.ndarray | None = None
        self._rewards: np.ndarray | None = None
        self._pending_reset = False
        self.episode, self.h = -1, 0

    def _infos(self) -> dict[str, Any]:
        """Infos as SyncVectorEnv stacks them: each key an array ``[n, ...]`` with a mask."""
        n = self.num_envs
        infos: dict[str, Any] = {"h": np.full(n, self.h), "_h": np.ones(n, dtype=bool)}
        infos |= {"episode": np.full(n, self.episode), "_episode": np.ones(n, dtype=bool)}
        features = self._single._dynamics.features
        if features is not None:
            infos |= {"features": features[self._states], "_features": np.ones(n, dtype=bool)}
        return infos

    def _seed(self, seed: int | list[int | None] | None) -> None:
        seeds = [None] * self.num_envs if seed is None else seed
        if isinstance(seeds, int | np.integer):
            seeds = [int(seeds) + i for i in range(self.num_envs)]
        if len(seeds) != self.num_envs:
            raise ValueError(f"got {len(seeds)} seeds for num_envs={self.num_envs}")
        if self._rngs is None:
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        else:
            self._rngs = [
                rng if s is None else seeding.np_random(s)[0]
                for rng, s in zip(self._rngs, seeds, strict=True)
            ]

    def reset(
        self,
        *,
        seed: int | list[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start episode ``k`` in every copy (0 after a seed, else the next; as ModelEnv)."""
        options = {} if options is None else dict(options)
        unknown = sorted(set(options) - {"episode"})
        if unknown:
            raise ValueError(f"unknown reset option(s) {unknown}; accepted: 'episode'")
        self._seed(seed)
        if "episode" in options:
            episode = int(options["episode"])
        else:
            episode = 0 if seed is not None else self.episode + 1
        limit = self._single.n_episodes
        if episode < 0 or (limit is not None and episode >= limit):
            raise IndexError(
                f"episode {episode} out of range: this environment has K={limit} episodes "
                "(reset with a seed to restart at episode 0)"
            )
        self._rewards = self._single._reward_table(episode)
        self.episode, self.h, self._pending_reset = episode, 0, False
        u = np.array([rng.random() for rng in self._rngs])
        self._states = np.searchsorted(self._single._initial_cdf, u, side="right").astype(np.int64)
        return self._states.copy(), self._infos()

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """One step of every copy: rewards ``r_h(s_i, a_i)``, ``s'_i ~ P_h(.|s_i, a_i)``."""
        if self._states is None:
            raise RuntimeError("call reset() before step()")
        n = self.num_envs
        if self._pending_reset:  # NEXT_STEP autoreset: this call only restarts the episode
            states, infos = self.reset()
            return states, np.zeros(n), np.zeros(n, bool), np.zeros(n, bool), infos
        a = np.asarray(actions)
        if a.shape != (n,) or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"actions must be {n} integers (one per copy), got {actions!r}")
        if a.min() < 0 or a.max() >= self._single._dynamics.n_actions:
            raise ValueError(f"actions {actions!r} are not in {self.action_space}")
        s = self._states
        table = self._rewards
        rewards = (table[s, a] if table.ndim == 2 else table[self.h, s, a]).astype(float)
        uniforms = np.stack([rng.random(2) for rng in self._rngs], axis=1)  # [2, n]
        transitions = self._single._dynamics.transitions
        self._states = transitions.sample_from_uniforms(self.h, s, a, uniforms).astype(np.int64)
        self.h += 1
        horizon = self._single._horizon
        done = horizon is not None and self.h == horizon
        self._pending_reset = done
        return self._states.copy(), rewards, np.full(n, done), np.zeros(n, bool), self._infos()


def make_family_vector_env(
    num_envs: int, family: str, seed: int = 0, render_mode: str | None = None, **params: Any
) -> ModelVectorEnv:
    """Vector entry point of ``rltheory/<Name>-v0``: ``num_envs`` copies of the model built with
    ``default_rng(seed)`` (the model ``gymnasium.make`` gives for that seed)."""
    model = get_family(family).build(np.random.default_rng(seed), **params)
    return ModelVectorEnv(model, num_envs, render_mode=render_mode)
