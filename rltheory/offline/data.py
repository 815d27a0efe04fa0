"""Offline datasets: K episodes collected in the nominal model by a named behaviour policy.

Behaviour policies (stochastic ``[H, S, A]`` arrays):

- ``"uniform"``: every action with probability ``1/A`` (Tang, Liu, Xu 2025, simulated MDP);
- ``"never-exercise"``: always action 0 (hold, for the American put; the authors' behaviour);
- ``"epsilon-optimal"``: ``(1 - epsilon) pi* + epsilon uniform``, ``pi*`` the nominal optimal
  policy (lowest-index ties) -- a coverage knob: small ``epsilon`` covers ``pi*`` only.

Collection is a batched rollout: seed ``b`` draws only from ``rngs[b]``, so each seed's dataset is
bit-identical whether it is collected alone or with others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory._names import unknown_id_message
from rltheory.mdp import FiniteHorizonMDP, Trajectories, optimal, rollout

BEHAVIOURS = {
    "uniform": "every action with probability 1/A",
    "never-exercise": "always action 0 (hold)",
    "epsilon-optimal": "(1 - epsilon) pi* + epsilon uniform, pi* optimal in the nominal model",
}
"""Named behaviour policies and what each does."""


@dataclass(frozen=True)
class OfflineDataset:
    """Episodes ``[B, K, ...]`` (one dataset of K episodes per seed) and how they were collected.

    ``trajectories.states [B, K, H+1]``, ``actions [B, K, H]``, ``rewards [B, K, H]``;
    ``behaviour`` (a key of :data:`BEHAVIOURS`), ``epsilon`` (for ``epsilon-optimal``),
    ``seeds`` (the seed of each dataset) and ``model`` (the name of the model they come from).
    """

    trajectories: Trajectories
    behaviour: str
    seeds: tuple[int, ...]
    model: str = ""
    epsilon: float | None = None

    @property
    def n_episodes(self) -> int:
        return self.trajectories.actions.shape[1]


def behaviour_policy(
    model: FiniteHorizonMDP, name: str, *, epsilon: float | None = None
) -> np.ndarray:
    """The stochastic behaviour policy ``[H, S, A]`` called ``name`` (module docstring)."""
    if name not in BEHAVIOURS:
        raise ValueError(unknown_id_message("behaviour policy", name, BEHAVIOURS))
    shape = (model.horizon, model.n_states, model.n_actions)
    if name != "epsilon-optimal" and epsilon is not None:
        raise ValueError(f"behaviour '{name}' takes no epsilon (got {epsilon})")
    if name == "uniform":
        return np.full(shape, 1.0 / model.n_actions)
    if name == "never-exercise":
        policy = np.zeros(shape)
        policy[..., 0] = 1.0
        return policy
    if epsilon is None or not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"behaviour 'epsilon-optimal' needs epsilon in [0, 1], got {epsilon}")
    greedy = np.eye(model.n_actions)[optimal(model).policy]
    return (1.0 - epsilon) * greedy + epsilon / model.n_actions


def collect(
    model: FiniteHorizonMDP,
    behaviour: str,
    n_episodes: int,
    rngs: Sequence[np.random.Generator],
    *,
    seeds: Sequence[int] | None = None,
    epsilon: float | None = None,
) -> OfflineDataset:
    """``n_episodes`` episodes per seed of the behaviour policy in ``model`` (seeds batched)."""
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, int | np.integer):
        raise TypeError(f"n_episodes must be an integer, got {n_episodes!r}")
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be >= 1, got {n_episodes}")
    policy = behaviour_policy(model, behaviour, epsilon=epsilon)
    batch = np.broadcast_to(policy, (len(rngs), *policy.shape))
    trajectories = rollout(model, batch, rngs, int(n_episodes))
    seeds = tuple(range(len(rngs))) if seeds is None else tuple(int(s) for s in seeds)
    if len(seeds) != len(rngs):
        raise ValueError(f"{len(seeds)} seeds for {len(rngs)} generators")
    return OfflineDataset(trajectories, behaviour, seeds, model.name, epsilon)
