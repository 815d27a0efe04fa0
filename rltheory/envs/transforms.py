"""Model-to-model transforms that specs can name (``TRANSFORMS``).

- ``one-hot-features``: tabular-as-linear for any model (Jin et al. 2020, Example 2.1):
  ``phi(s,a) = e_(s,a)``, ``d = S·A``, ``theta_h = vec(r_h)``.
- ``unit-total-reward``: rewards divided by H, so every trajectory's total reward is <= 1
  (the horizon-free normalisation of Zhou & Gu 2022).
- ``bernoulli-rewards``, ``gaussian-rewards``, ``gaussian-rewards-clipped``: noisy reward
  observations around the model's means (:mod:`rltheory.envs.noise`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from rltheory.envs.noise import NOISE_TRANSFORMS
from rltheory.mdp.models import DiscountedMDP, FiniteHorizonMDP

Model = FiniteHorizonMDP | DiscountedMDP


def one_hot_features(model: Model) -> Model:
    """The same model with one-hot features ``phi(s,a) = e_(s,a)`` (``d = S·A``).

    Every kernel and reward is linear in one-hot features (``e_(s,a)^T mu_h = P_h(.|s,a)``,
    ``e_(s,a)^T theta_h = r_h(s,a)``), so the model stays a realizable linear MDP; for a finite-
    horizon model ``reward_parameters`` is set to ``theta_h = vec(r_h)`` (``[H, S·A]``). Existing
    features are replaced; ``metadata["features"]`` records the encoding.
    """
    if not isinstance(model, FiniteHorizonMDP | DiscountedMDP):
        raise TypeError(f"one_hot_features needs an MDP model, got {type(model).__name__}")
    n_pairs = model.n_states * model.n_actions
    features = np.eye(n_pairs).reshape(model.n_states, model.n_actions, n_pairs)
    metadata = {**model.metadata, "features": "one-hot e_(s,a), d = S*A"}
    changes: dict = {"features": features, "realizable": True, "metadata": metadata}
    if isinstance(model, FiniteHorizonMDP):
        changes["reward_parameters"] = model.rewards.reshape(model.horizon, n_pairs)
    return dataclasses.replace(model, **changes)


def unit_total_reward(model: FiniteHorizonMDP) -> FiniteHorizonMDP:
    """Rewards ``r_h / H`` (and ``theta_h / H``): every trajectory's total reward is <= 1.

    Per-step rewards lie in [0, 1], so any H-step trajectory collects at most H; after the map it
    collects at most 1 surely, not only in expectation. Values and regrets scale by
    ``1/H``; ``metadata["reward_scale"]`` accumulates the factor.
    """
    if not isinstance(model, FiniteHorizonMDP):
        raise TypeError(f"unit_total_reward needs a FiniteHorizonMDP, got {type(model).__name__}")
    scale = 1.0 / model.horizon
    theta = model.reward_parameters
    metadata = {
        **model.metadata,
        "reward_scale": model.metadata.get("reward_scale", 1.0) * scale,
        "total_reward_bound": 1.0,
    }
    return dataclasses.replace(
        model,
        rewards=model.rewards * scale,
        reward_parameters=None if theta is None else theta * scale,
        metadata=metadata,
    )


TRANSFORMS: dict[str, Callable[..., Model]] = {
    "one-hot-features": one_hot_features,
    "unit-total-reward": unit_total_reward,
    **NOISE_TRANSFORMS,
}
"""Transforms by the names specs use."""

__all__ = ["TRANSFORMS", "one_hot_features", "unit_total_reward"]
