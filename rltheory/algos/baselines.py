"""Reference learners that exercise the registry: uniform random play and the exact oracle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory.algos.protocols import OnlineAlgorithm
from rltheory.algos.registry import register
from rltheory.mdp import Trajectories, optimal


@register(
    "uniform",
    requires=("finite-horizon",),
    citation="baseline: pi(a|s) = 1/A at every step (linear regret)",
    learns=False,
)
class UniformRandom(OnlineAlgorithm):
    """Uniform-random policy; never learns. Its regret grows linearly in K."""

    @dataclass(frozen=True)
    class Config:
        pass

    def policy(self) -> np.ndarray:
        p = self.problem
        return np.full((self.n_seeds, p.horizon, p.n_states, p.n_actions), 1.0 / p.n_actions)

    def update(self, trajectories: Trajectories) -> None:
        """Nothing to learn."""


@register(
    "oracle",
    requires=("finite-horizon", "model"),
    citation="baseline: optimal policy of the known model by backward induction (zero regret)",
    learns=False,
)
class Oracle(OnlineAlgorithm):
    """Plays ``pi*`` computed on the exact model; its pseudo-regret is exactly 0."""

    @dataclass(frozen=True)
    class Config:
        pass

    def __init__(self, problem, config, rngs):
        super().__init__(problem, config, rngs)
        if problem.model is None:
            raise ValueError("the oracle needs the exact model (requirement 'model')")
        self._policy = np.broadcast_to(
            optimal(problem.model).policy, (self.n_seeds, problem.horizon, problem.n_states)
        )

    def policy(self) -> np.ndarray:
        return self._policy

    def update(self, trajectories: Trajectories) -> None:
        """Nothing to learn."""
