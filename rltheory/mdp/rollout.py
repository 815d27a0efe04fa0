"""Batched rollouts of a finite-horizon model: many seeds and episodes per call.

Each seed ``b`` has its own ``numpy.random.Generator``; all the uniforms one call needs for that
seed are drawn in one ``rng.random`` call, and every draw (initial state, action, next state)
is an inverse-CDF lookup of those uniforms. A seed's trajectories are therefore bit-identical
whether it is rolled out alone or in a batch with others. The only Python loop is over steps h.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.planning import _policy_kind


@dataclass(frozen=True)
class Trajectories:
    """Episodes of a finite-horizon model, with any leading batch axes ``[...]``.

    ``states [..., H+1]`` (``states[..., h]`` is ``s_h``; the last is the terminal state),
    ``actions [..., H]``, ``rewards [..., H]`` (mean rewards ``r_h(s_h, a_h)`` of the model, or
    the losses of an adversarial episode), and ``episode`` the 0-based index ``k`` of the first
    episode in the batch (episodes along a second axis are ``k, k+1, ...``).
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    episode: int = 0

    @property
    def horizon(self) -> int:
        return self.actions.shape[-1]


UNIFORMS_PER_STEP = 3
"""Uniforms one step consumes: action choice, then up to two for the transition."""


def draw_uniforms(rngs: Sequence[np.random.Generator], n_episodes: int, horizon: int) -> np.ndarray:
    """``[B, n_episodes, H + 1, 3]`` uniforms, one ``rng.random`` call per seed."""
    return np.stack([rng.random((n_episodes, horizon + 1, UNIFORMS_PER_STEP)) for rng in rngs])


def _categorical(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw from each row of ``probabilities [..., A]`` with ``u [...]``."""
    cdf = np.cumsum(probabilities, axis=-1)
    index = (cdf <= u[..., None]).sum(-1)
    return np.minimum(index, probabilities.shape[-1] - 1)


def rollout_from_uniforms(
    model: FiniteHorizonMDP,
    policy: np.ndarray,
    uniforms: np.ndarray,
    rewards: np.ndarray | None = None,
) -> Trajectories:
    """Roll out ``policy`` (``[B, H, S]`` ints or ``[B, H, S, A]`` floats) on pre-drawn uniforms.

    ``uniforms [B, n, H+1, 3]`` from :func:`draw_uniforms`. ``rewards`` (``[B, n, H, S, A]`` or
    broadcastable, optional) replaces the model's rewards in the returned trajectories, e.g. the
    per-episode losses of an adversarial sequence. Returns arrays of shape ``[B, n, ...]``.
    """
    policy = np.asarray(policy)
    deterministic = _policy_kind(policy, (model.horizon, model.n_states), model.n_actions)
    n_seeds, n_episodes = uniforms.shape[:2]
    if policy.shape[0] != n_seeds:
        raise ValueError(f"policy batch {policy.shape[0]} != number of seeds {n_seeds}")
    horizon = model.horizon
    seeds = np.arange(n_seeds)[:, None]
    states = np.empty((n_seeds, n_episodes, horizon + 1), dtype=np.int64)
    actions = np.empty((n_seeds, n_episodes, horizon), dtype=np.int64)
    states[..., 0] = _categorical(model.initial_distribution, uniforms[:, :, 0, 0])
    table = model.rewards if rewards is None else np.asarray(rewards, dtype=float)
    action_u = uniforms[:, :, 1:, 0]
    transition_u = np.moveaxis(uniforms[:, :, 1:, 1:], -1, 0)  # [2, B, n, H]
    for h in range(horizon):
        s = states[..., h]
        a = (
            policy[seeds, h, s]
            if deterministic
            else _categorical(policy[seeds, h, s], action_u[..., h])
        )
        actions[..., h] = a
        states[..., h + 1] = model.transitions.sample_from_uniforms(h, s, a, transition_u[..., h])
    steps = np.arange(horizon)
    if table.ndim == 3:  # one gather for all steps: r_h(s_h, a_h)
        gained = table[steps, states[..., :-1], actions]
    else:
        table = np.broadcast_to(table, (n_seeds, n_episodes, *table.shape[-3:]))
        episodes = np.arange(n_episodes)[None, :, None]
        gained = table[seeds[..., None], episodes, steps, states[..., :-1], actions]
    return Trajectories(states, actions, gained)


def rollout(
    model: FiniteHorizonMDP,
    policy: np.ndarray,
    rngs: Sequence[np.random.Generator],
    n_episodes: int = 1,
    rewards: np.ndarray | None = None,
) -> Trajectories:
    """Sample ``n_episodes`` episodes of ``policy[b]`` for every seed ``b`` (``[B, n, ...]``)."""
    if len(rngs) != np.asarray(policy).shape[0]:
        raise ValueError(
            f"need one Generator per policy in the batch: {len(rngs)} generators for a policy "
            f"batch of {np.asarray(policy).shape[0]}"
        )
    uniforms = draw_uniforms(rngs, n_episodes, model.horizon)
    return rollout_from_uniforms(model, policy, uniforms, rewards)
