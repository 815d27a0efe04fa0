"""Tiny environment families and learners registered for the experiment-runner tests.

Specs name this module under ``imports`` so that every backend's workers (including spawned Dask
workers) register them too. In the test process the module is imported (and its registrations
removed again) by the module-scoped fixture in ``conftest.py``, never at collection, so these
test-only families never join the registry-wide conformance parametrization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory.algos import OnlineAlgorithm, register
from rltheory.envs import register_family
from rltheory.mdp import DenseTransitions, FiniteHorizonMDP, Trajectories


@register_family("toy-tabular", gym_name="ToyTabular", citation="test fixture")
def toy_tabular(
    rng: np.random.Generator, *, n_states: int = 3, horizon: int = 3, noise: float = 1.0
):
    """Random tabular MDP with Dirichlet(noise) rows and uniform rewards; no features."""
    n_actions = 2
    p = rng.dirichlet(np.full(n_states, noise), size=(n_states, n_actions))
    rewards = rng.uniform(size=(horizon, n_states, n_actions))
    return FiniteHorizonMDP(
        DenseTransitions(p[None]), rewards, np.full(n_states, 1.0 / n_states), name="toy-tabular"
    )


@register_family("toy-linear", gym_name="ToyLinear", citation="test fixture")
def toy_linear(rng: np.random.Generator, *, n_states: int = 3, horizon: int = 3):
    """The random tabular MDP with one-hot features phi(s,a) = e_{(s,a)} (a linear MDP)."""
    model = toy_tabular(rng, n_states=n_states, horizon=horizon)
    phi = np.eye(n_states * 2).reshape(n_states, 2, n_states * 2)
    return FiniteHorizonMDP(
        model.transitions,
        model.rewards,
        model.initial_distribution,
        features=phi,
        name="toy-linear",
    )


class _RandomPolicies(OnlineAlgorithm):
    """Plays a fresh uniformly random deterministic policy each episode, drawn from its rngs."""

    def policy(self) -> np.ndarray:
        p = self.problem
        draws = [rng.integers(p.n_actions, size=(p.horizon, p.n_states)) for rng in self.rngs]
        return np.stack(draws)

    def update(self, trajectories: Trajectories) -> None:
        self.episode += 1


@register("toy-random", requires=("finite-horizon",), citation="test fixture")
class ToyRandom(_RandomPolicies):
    """Random deterministic policies; ``beta`` is exposed as the learner's run value."""

    @dataclass(frozen=True)
    class Config:
        scale: float = 1.0
        flag: bool = False

    @property
    def beta(self) -> float:
        return 2.0 * self.config.scale


@register("toy-linear-random", requires=("finite-horizon", "features"), citation="test fixture")
class ToyLinearRandom(_RandomPolicies):
    """Random deterministic policies; declares the linear-feature requirement."""

    @dataclass(frozen=True)
    class Config:
        lam: float = 1.0
