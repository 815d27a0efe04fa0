"""Gymnasium environments for every registered family, over the exact models.

:class:`ModelEnv` steps a model with the model's own operators: the initial state is drawn from
``initial_distribution`` and next states with ``transitions.sample``, all from ``self.np_random``
(seeded by ``reset(seed=...)``). The observation is the state index (``Discrete(S)``), actions are
``Discrete(A)``, ``info["h"]`` is the step index of the observed state (0 after ``reset``, H at the
end of an episode), ``info["episode"]`` the episode index ``k``, and ``info["features"]`` is
``phi(s, .)`` ``[A, d]`` when the model has features. A finite-horizon episode ends with
``terminated=True`` after step H; a discounted model never terminates.

Rewards: the mean reward ``r_h(s, a)`` of the model (the one its values are computed from). For an
:class:`~rltheory.envs.adversarial.AdversarialMDP` the reward is ``-l^k_h(s, a)`` (losses are
minimized, rewards maximized); each ``reset`` advances the episode index ``k`` of the loss
sequence. The exception is :class:`DelayedFeedbackEnv`, which withholds rewards (see there).

Every family ``f`` is registered as ``rltheory/<f.gym_name>-v0`` when it is registered
(:func:`~rltheory.envs.registry.register_family`; ``import rltheory`` registers the built-in
ones), with keyword arguments ``seed`` (the construction rng ``numpy.random.default_rng(seed)``,
default 0) and the family's parameters::

    import gymnasium, rltheory
    env = gymnasium.make("rltheory/RiverSwim-v0", n_states=6)
    env.unwrapped.model  # the exact FiniteHorizonMDP
    envs = gymnasium.make_vec("rltheory/RiverSwim-v0", 8, vectorization_mode="vector_entry_point")

``make_vec`` builds a :class:`~rltheory.envs.vector.ModelVectorEnv` (all copies stepped in one
batched call, each with its own generator; bit-identical to the ``"sync"`` mode).
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import gymnasium
import numpy as np

from rltheory.envs.adversarial import AdversarialMDP
from rltheory.envs.delays import delays as draw_delays
from rltheory.envs.registry import get_family
from rltheory.mdp.federated import FederatedMDP
from rltheory.mdp.models import DiscountedMDP, FiniteHorizonMDP

REWARD_CONVENTIONS = {
    "reward": "the model's mean reward r_h(s, a); returns are maximized",
    "loss": "-l^k_h(s, a), minus the loss of episode k (losses are minimized, rewards maximized)",
    "withheld": "0.0 on every step; the rewards arrive later in info['feedback'] (delayed)",
}
"""Meaning of the reward an env returns, by ``metadata["reward_convention"]``."""


class ModelEnv(gymnasium.Env):
    """A gymnasium view of a FiniteHorizonMDP, DiscountedMDP or AdversarialMDP (module docstring),
    or of one agent's MDP (``model.dynamics``) of a FederatedMDP.

    ``reset(options={"episode": k})`` starts episode ``k`` (the adversarial loss ``l^k``); a
    seeded ``reset`` restarts at episode 0, so the same seed and actions give the same
    trajectory and rewards; otherwise each ``reset`` starts the next episode. An
    AdversarialMDP has K episodes: starting episode ``K`` raises ``IndexError``.
    """

    def __init__(self, model: Any, render_mode: str | None = None):
        if render_mode is not None:
            raise ValueError(
                f"rltheory environments do not render; got render_mode={render_mode!r}"
            )
        if isinstance(model, AdversarialMDP):
            dynamics, convention, limit = model.dynamics, "loss", model.n_episodes
        elif isinstance(model, FiniteHorizonMDP | DiscountedMDP):
            dynamics, convention, limit = model, "reward", None
        elif isinstance(model, FederatedMDP):  # one agent's MDP per environment
            dynamics, convention, limit = model.dynamics, "reward", None
        else:
            raise TypeError(
                "ModelEnv needs a FiniteHorizonMDP, DiscountedMDP, FederatedMDP or AdversarialMDP, "
                "got "
                f"{type(model).__name__}"
            )
        self.model = model
        self.render_mode = None
        self.metadata = {"render_modes": [], "reward_convention": convention}
        self.observation_space = gymnasium.spaces.Discrete(dynamics.n_states)
        self.action_space = gymnasium.spaces.Discrete(dynamics.n_actions)
        self.n_episodes = limit
        self._dynamics = dynamics
        self._horizon = dynamics.horizon if isinstance(dynamics, FiniteHorizonMDP) else None
        cdf = np.cumsum(dynamics.initial_distribution)
        self._initial_cdf = cdf / cdf[-1]  # exactly 1 at the end: u < 1 never overshoots
        self._rewards: np.ndarray | None = None
        self.episode = -1
        self.h = 0
        self.state: int | None = None

    def _reward_table(self, episode: int) -> np.ndarray:
        """Rewards the env returns in ``episode``: ``[H, S, A]`` (``[S, A]`` discounted)."""
        if isinstance(self.model, AdversarialMDP):
            return self.model.episode_rewards(episode)
        return self._dynamics.rewards

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"h": self.h, "episode": self.episode}
        if self._dynamics.features is not None:
            info["features"] = self._dynamics.features[self.state].copy()
        return info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.int64, dict[str, Any]]:
        super().reset(seed=seed)
        options = {} if options is None else dict(options)
        unknown = sorted(set(options) - {"episode"})
        if unknown:
            raise ValueError(f"unknown reset option(s) {unknown}; accepted: 'episode'")
        if "episode" in options:
            episode = int(options["episode"])
        else:
            episode = 0 if seed is not None else self.episode + 1
        if episode < 0 or (self.n_episodes is not None and episode >= self.n_episodes):
            raise IndexError(
                f"episode {episode} out of range: this environment has K={self.n_episodes} "
                "episodes (reset with a seed to restart at episode 0)"
            )
        self._rewards = self._reward_table(episode)
        self.episode, self.h = episode, 0
        u = self.np_random.random()
        self.state = int(np.searchsorted(self._initial_cdf, u, side="right"))
        return np.int64(self.state), self._info()

    def step(self, action: Any) -> tuple[np.int64, float, bool, bool, dict[str, Any]]:
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        if self._horizon is not None and self.h >= self._horizon:
            raise RuntimeError(f"the episode ended after step H={self._horizon}; call reset()")
        try:
            a = operator.index(action)  # ints, numpy ints and 0-d integer arrays
        except TypeError:
            a = -1
        if not 0 <= a < self._dynamics.n_actions:
            raise ValueError(f"action {action!r} is not in {self.action_space}")
        s = self.state
        if self._horizon is None:
            reward = float(self._rewards[s, a])
        else:
            reward = float(self._rewards[self.h, s, a])
        next_state = self._dynamics.transitions.sample(self.h, s, a, self.np_random)
        self.state, self.h = int(next_state), self.h + 1
        terminated = self._horizon is not None and self.h == self._horizon
        return np.int64(self.state), reward, terminated, False, self._info()


class Feedback(NamedTuple):
    """The delayed feedback of one episode: ``states [H+1]``, ``actions [H]``, ``rewards [H]``.

    ``rewards`` follow the env's reward convention before withholding (mean rewards, or
    ``-loss`` for adversarial models). An episode abandoned by ``reset`` before step H has a
    shorter trajectory. A named tuple, so gymnasium compares infos holding it by value.
    """

    episode: int
    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray


class DelayedFeedbackEnv(ModelEnv):
    """Episodes of a finite-horizon (or adversarial) model with delayed bandit feedback.

    EXCEPTION to the reward rule of :mod:`rltheory.envs.gym`: ``step`` returns reward ``0.0``.
    The feedback of episode ``k`` (:class:`Feedback`: its states, actions and rewards) is
    delivered in ``info["feedback"]`` (a tuple, empty on other steps) of the step that ends
    episode ``k + d_k``, together with all other feedback due by then, ordered by arrival time and
    episode (exactly :func:`rltheory.envs.delays.arrivals` when no episode is abandoned; feedback
    due at the end of an abandoned episode is delivered at the next episode end). Feedback due
    after the last of the K = ``len(delays)`` episodes never arrives. The delays themselves are
    never exposed through observations or ``info``. ``env.unwrapped.model`` is the model.
    """

    def __init__(self, model: Any, delays: np.ndarray, render_mode: str | None = None):
        super().__init__(model, render_mode)
        if self._horizon is None:
            raise TypeError("delayed feedback needs episodes: a discounted model has none")
        d = np.asarray(delays)
        if d.ndim != 1 or d.size == 0 or not np.issubdtype(d.dtype, np.integer) or d.min() < 0:
            raise ValueError(f"delays must be a non-empty 1-d array of ints >= 0, got {d!r}")
        if self.n_episodes is not None and d.size != self.n_episodes:
            raise ValueError(
                f"delays has {d.size} entries but the loss sequence has K={self.n_episodes}"
            )
        self.n_episodes = d.size
        self.metadata = {**self.metadata, "reward_convention": "withheld"}
        arrival = np.arange(d.size, dtype=np.int64) + d
        self._order = np.argsort(arrival, kind="stable")
        self._arrival = arrival[self._order]
        self._delays = d.astype(np.int64)
        self._records: dict[int, Feedback] = {}
        self._delivered = 0
        self._trajectory: tuple[list[int], list[int], list[float]] | None = None

    def _info(self) -> dict[str, Any]:
        return {**super()._info(), "feedback": ()}

    def _close_episode(self) -> None:
        """Record the current episode's (possibly partial) trajectory."""
        states, actions, rewards = self._trajectory
        self._records[self.episode] = Feedback(
            self.episode,
            np.array(states, dtype=np.int64),
            np.array(actions, dtype=np.int64),
            np.array(rewards, dtype=float),
        )
        self._trajectory = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.int64, dict[str, Any]]:
        if options and "episode" in options:
            raise ValueError("DelayedFeedbackEnv plays episodes in order; 'episode' is not allowed")
        if seed is None and self._trajectory is not None:
            self._close_episode()
        observation, info = super().reset(seed=seed, options=options)
        if seed is not None:
            self._records, self._delivered = {}, 0
        self._trajectory = ([self.state], [], [])
        return observation, info

    def step(self, action: Any) -> tuple[np.int64, float, bool, bool, dict[str, Any]]:
        if self._trajectory is None:
            raise RuntimeError("call reset() before step()")
        observation, reward, terminated, truncated, info = super().step(action)
        states, actions, rewards = self._trajectory
        actions.append(int(action))
        rewards.append(reward)
        states.append(int(observation))
        if terminated:
            self._close_episode()
            end = np.searchsorted(self._arrival, self.episode, side="right")
            due = self._order[self._delivered : end]
            self._delivered = int(end)
            info["feedback"] = tuple(self._records.pop(int(k)) for k in due)
        return observation, 0.0, terminated, truncated, info


def make_family_env(
    family: str, seed: int = 0, render_mode: str | None = None, **params: Any
) -> ModelEnv:
    """Entry point of ``rltheory/<Name>-v0``: build ``family`` with ``default_rng(seed)``."""
    model = get_family(family).build(np.random.default_rng(seed), **params)
    return ModelEnv(model, render_mode=render_mode)


def make_delayed_feedback_env(
    base: str = "riverswim",
    seed: int = 0,
    delay: str = "geometric",
    n_episodes: int | None = None,
    delay_params: dict[str, Any] | None = None,
    base_params: dict[str, Any] | None = None,
    render_mode: str | None = None,
) -> DelayedFeedbackEnv:
    """Entry point of ``rltheory/DelayedFeedback-v0``: family ``base`` with delayed feedback.

    The model is ``make_model(base, default_rng(seed), **base_params)`` (the same model as
    ``rltheory/<Base>-v0`` with that seed); the delays
    ``delays(delay, n_episodes, rng, **delay_params)`` use an independent stream spawned from
    ``seed``. ``n_episodes`` defaults to K of an adversarial base, else 1000.
    """
    model = get_family(base).build(np.random.default_rng(seed), **(base_params or {}))
    if n_episodes is None:
        n_episodes = model.n_episodes if isinstance(model, AdversarialMDP) else 1000
    delay_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    drawn = draw_delays(delay, n_episodes, delay_rng, **(delay_params or {}))
    return DelayedFeedbackEnv(model, drawn, render_mode=render_mode)


DELAYED_FEEDBACK_ID = "rltheory/DelayedFeedback-v0"

if DELAYED_FEEDBACK_ID not in gymnasium.registry:
    gymnasium.register(
        DELAYED_FEEDBACK_ID, entry_point="rltheory.envs.gym:make_delayed_feedback_env"
    )
