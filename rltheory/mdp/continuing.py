"""Batched continuing sampler: N agents x B seeds, each on its own never-reset Markov chain.

One call to :meth:`ContinuingChains.step` advances every chain by one transition: a reward
gather and one inverse-CDF draw per chain (:meth:`~rltheory.mdp.StackedKernels.sample`). Seed b's
uniforms come only from ``rngs[b]``, in blocks (:class:`UniformStream`) whose size does not change
the numbers: the uniform of step t, slot j is the ``(t·width + j)``-th double of ``rngs[b]``, so a
seed's chain is bit-identical alone or batched, and for any block size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rltheory.mdp.federated import FederatedMDP, StackedKernels

BLOCK = 256
"""Steps of uniforms drawn per generator call."""


class UniformStream:
    """``next() -> [B, width]`` uniforms per step, seed b's row from ``rngs[b]`` only."""

    def __init__(self, rngs: Sequence[np.random.Generator], width: int, block: int = BLOCK):
        self.rngs, self.width, self.block = list(rngs), int(width), int(block)
        self._buffer = np.empty((0, len(self.rngs), self.width))
        self._position = 0

    def next(self) -> np.ndarray:
        if self._position == self._buffer.shape[0]:
            drawn = [rng.random((self.block, self.width)) for rng in self.rngs]
            self._buffer = np.stack(drawn, axis=1)  # [block, B, width]
            self._position = 0
        row = self._buffer[self._position]
        self._position += 1
        return row


def chain_step(
    kernels: StackedKernels,
    rewards: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    uniforms: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One transition of every chain: ``r_i(s, a)`` and ``s' ~ P^(i)(.|s, a)``.

    ``rewards [N, S, A]``; ``states, actions, uniforms [B, N]``. Returns ``(r [B, N], s' [B, N])``.
    """
    agents = np.arange(rewards.shape[0])
    return rewards[agents, states, actions], kernels.sample(states, actions, uniforms)


def categorical(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw from each row of ``probabilities [..., A]`` with ``u [...]``."""
    cdf = np.cumsum(probabilities, axis=-1)
    return np.minimum((cdf <= u[..., None]).sum(-1), probabilities.shape[-1] - 1)


class ContinuingChains:
    """The N agents' chains for B seeds: ``states [B, N]``, advanced by :meth:`step`.

    Initial states ``s_0 ~ mu0`` use the first uniforms of each seed's stream. Chains are never
    reset (federated synchronisation does not touch them).
    """

    def __init__(self, model: FederatedMDP, rngs: Sequence[np.random.Generator]):
        self.model = model
        self.stream = UniformStream(rngs, model.n_agents)
        initial = np.broadcast_to(model.initial_distribution, (model.n_agents, model.n_states))
        self.states = categorical(initial, self.stream.next())
        self.steps = 0

    @property
    def n_seeds(self) -> int:
        return len(self.stream.rngs)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Play ``actions [B, N]``; return ``(rewards [B, N], next_states [B, N])``."""
        actions = np.asarray(actions)
        shape = (self.n_seeds, self.model.n_agents)
        if actions.shape != shape or not np.issubdtype(actions.dtype, np.integer):
            raise ValueError(
                f"actions must be an int array of shape {list(shape)}, got "
                f"{actions.dtype} {list(actions.shape)}"
            )
        if actions.min() < 0 or actions.max() >= self.model.n_actions:
            raise ValueError(f"actions outside [0, {self.model.n_actions})")
        rewards, self.states = chain_step(
            self.model.kernels, self.model.rewards, self.states, actions, self.stream.next()
        )
        self.steps += 1
        return rewards, self.states


__all__ = ["ContinuingChains", "UniformStream", "categorical", "chain_step"]
