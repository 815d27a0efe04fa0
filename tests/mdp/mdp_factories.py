"""Small random models for the model-layer tests, and brute-force oracles independent of planning.

The oracles here use only ``transitions.dense()`` and explicit numpy algebra, so they check the
package's planners without sharing code with them.
"""

from __future__ import annotations

import itertools

import numpy as np

from rltheory.mdp import (
    DenseTransitions,
    DiscountedMDP,
    FiniteHorizonMDP,
    LinearMixtureTransitions,
    LowRankTransitions,
)


def _simplex(rng: np.random.Generator, shape: tuple[int, ...], floor: float = 0.0) -> np.ndarray:
    """Rows on the simplex (last axis), each entry at least ``floor / n`` when ``floor > 0``."""
    x = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    return (1.0 - floor) * x + floor / shape[-1]


def dense_mdp(
    rng: np.random.Generator, n_states: int, n_actions: int, horizon: int, *, layers: int = 1
) -> FiniteHorizonMDP:
    """Random tabular model with ``layers`` kernels (1 = homogeneous, H = inhomogeneous)."""
    p = _simplex(rng, (layers, n_states, n_actions, n_states), floor=0.3)
    return FiniteHorizonMDP(
        DenseTransitions(p),
        rng.random((horizon, n_states, n_actions)),
        _simplex(rng, (n_states,)),
        name="random dense",
    )


def lowrank_factors(
    rng: np.random.Generator, n_states: int, n_actions: int, dim: int, layers: int
) -> tuple[np.ndarray, np.ndarray]:
    """Simplex factors ``phi [S, A, d]``, ``mu [L, d, S]`` (Jin et al. Example 2.2)."""
    return _simplex(rng, (n_states, n_actions, dim)), _simplex(
        rng, (layers, dim, n_states), floor=0.3
    )


def signed_factors(phi: np.ndarray, mu: np.ndarray, rng: np.random.Generator):
    """The same kernel through signed factors ``phi M`` and ``M^{-1} mu_h`` (non-latent path)."""
    dim = phi.shape[-1]
    mixing = np.eye(dim) + rng.normal(scale=0.5, size=(dim, dim))
    return phi @ mixing, np.linalg.solve(mixing, mu)


def lowrank_mdp(
    rng: np.random.Generator,
    n_states: int,
    n_actions: int,
    horizon: int,
    dim: int,
    *,
    layers: int = 1,
    signed: bool = False,
) -> FiniteHorizonMDP:
    """Random linear MDP with rewards ``<phi, theta_h>`` (latent or signed factorization)."""
    phi, mu = lowrank_factors(rng, n_states, n_actions, dim, layers)
    theta = rng.random((horizon, dim))
    rewards = np.einsum("sad,hd->hsa", phi, theta)
    if signed:
        phi, mu = signed_factors(phi, mu, rng)
    return FiniteHorizonMDP(
        LowRankTransitions(phi, mu), rewards, _simplex(rng, (n_states,)), name="random low-rank"
    )


def mixture_mdp(
    rng: np.random.Generator,
    n_states: int,
    n_actions: int,
    horizon: int,
    dim: int,
    *,
    layers: int = 1,
) -> FiniteHorizonMDP:
    """Random linear mixture: ``psi_j(.|s,a)`` distributions, ``theta_h`` on the simplex."""
    basis = np.moveaxis(_simplex(rng, (n_states, n_actions, dim, n_states), floor=0.3), 2, 3)
    theta = _simplex(rng, (layers, dim))
    return FiniteHorizonMDP(
        LinearMixtureTransitions(basis, theta),
        rng.random((horizon, n_states, n_actions)),
        _simplex(rng, (n_states,)),
        name="random mixture",
    )


def discounted_mdp(
    rng: np.random.Generator, n_states: int, n_actions: int, gamma: float
) -> DiscountedMDP:
    """Random tabular discounted model."""
    return DiscountedMDP(
        DenseTransitions(_simplex(rng, (n_states, n_actions, n_states), floor=0.2)),
        rng.random((n_states, n_actions)),
        gamma,
        _simplex(rng, (n_states,)),
    )


def all_deterministic_policies(n_actions: int, shape: tuple[int, ...]) -> np.ndarray:
    """Every deterministic policy of the given shape: ``[A**prod(shape), *shape]`` ints."""
    size = int(np.prod(shape))
    grid = np.array(list(itertools.product(range(n_actions), repeat=size)), dtype=np.int64)
    return grid.reshape(-1, *shape)


def brute_force_values(
    model: FiniteHorizonMDP, policy: np.ndarray, rewards: np.ndarray | None = None
) -> np.ndarray:
    """``V^pi [H, S]`` of one deterministic policy by explicit dense matrix-vector products."""
    dense = model.transitions.dense()
    r = model.rewards if rewards is None else rewards
    states = np.arange(model.n_states)
    values = np.zeros((model.horizon + 1, model.n_states))
    for h in range(model.horizon - 1, -1, -1):
        kernel = dense[model.transitions.layer(h)][states, policy[h]]  # [S, S']
        values[h] = r[h][states, policy[h]] + kernel @ values[h + 1]
    return values[:-1]


def brute_force_discounted(model: DiscountedMDP, policy: np.ndarray) -> np.ndarray:
    """``V^pi [S]`` of a stationary deterministic policy by an explicit linear solve."""
    states = np.arange(model.n_states)
    kernel = model.transitions.dense()[0][states, policy]
    rhs = model.rewards[states, policy]
    return np.linalg.solve(np.eye(model.n_states) - model.gamma * kernel, rhs)
