"""Brute-force oracles for the environment-family tests (independent of the package's planners)."""

from __future__ import annotations

import itertools

import numpy as np

from rltheory.mdp import FiniteHorizonMDP


def max_trajectory_reward(model: FiniteHorizonMDP) -> float:
    """Largest total reward of any trajectory with positive probability (any policy).

    ``M_H = 0``; ``M_h(s) = max_a [r_h(s,a) + max_{s': P_h(s'|s,a) > 0} M_{h+1}(s')]``; the result
    is ``max_{s: mu0(s) > 0} M_0(s)``. This bounds the return surely, not only in expectation.
    """
    dense = model.transitions.dense()
    best = np.zeros(model.n_states)
    for h in range(model.horizon - 1, -1, -1):
        kernel = dense[0 if dense.shape[0] == 1 else h]
        reachable = np.where(kernel > 0, best[None, None, :], -np.inf).max(axis=-1)
        best = (model.rewards[h] + reachable).max(axis=-1)
    return float(best[model.initial_distribution > 0].max())


def max_mixture_feature_norm(basis: np.ndarray) -> float:
    """``max_{V in {0,1}^S} max_{s,a} ||phi_V(s,a)||_2`` by enumerating all vertices.

    ``V -> ||phi_V(s,a)||`` is convex, so its maximum over the box ``[0,1]^S`` is at a vertex.
    """
    n_states = basis.shape[0]
    vertices = np.array(list(itertools.product((0.0, 1.0), repeat=n_states)))
    phi_v = np.einsum("satd,vt->vsad", basis, vertices)
    return float(np.linalg.norm(phi_v, axis=-1).max())


def model_arrays(model: FiniteHorizonMDP) -> dict[str, np.ndarray]:
    """Every array that defines a model (for determinism checks)."""
    arrays = {
        "kernel": model.transitions.dense(),
        "rewards": model.rewards,
        "initial": model.initial_distribution,
    }
    for name in ("features", "reward_parameters", "mixture_basis"):
        value = getattr(model, name)
        if value is not None:
            arrays[name] = value
    for key, value in model.metadata.items():
        if isinstance(value, np.ndarray):
            arrays[f"metadata.{key}"] = value
    return arrays


def same_model(first: FiniteHorizonMDP, second: FiniteHorizonMDP) -> bool:
    """Bit-identical arrays (and the same array names)."""
    a, b = model_arrays(first), model_arrays(second)
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
