"""Structure tags: what an environment offers and a protocol or an algorithm may require.

:func:`structures_of` derives the built-in tags from a model's type and arrays and adds those the
model declares itself in a ``structures`` attribute, so a new model kind joins by declaring its
tags; :func:`missing_structures` explains what is missing and how to obtain it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rltheory.mdp import DiscountedMDP, FiniteHorizonMDP

STRUCTURES: dict[str, str] = {
    "model": "the exact model itself (oracle baselines only)",
    "finite-horizon": "an episodic model with horizon H and fixed mean rewards r_h(s,a) in [0, 1]",
    "discounted": "a discounted model with factor gamma",
    "bandit": "horizon H = 1 (contextual linear bandit)",
    "tabular": "finite state and action sets with an exact kernel (visit counts estimate it)",
    "features": "linear-MDP features phi(s,a) that realize kernel and rewards",
    "feature-map": "a feature map phi(s,a), possibly misspecified (need not realize the model)",
    "mixture": "a linear-mixture basis psi(s'|s,a) (integration map V -> phi_V)",
    "time-homogeneous": "kernel and rewards that do not depend on the step h",
    "unit-total-reward": "every trajectory's total reward sum_h r_h is at most 1",
    "adversarial": "an oblivious loss sequence l^k_h(s,a) fixed before the run",
    "delayed": "an oblivious delay sequence d_k fixed before the run (delayed feedback)",
    "heterogeneous": "a family of N models sharing S, A and features (federated agents)",
    "perturbed": "a nominal model with exact perturbed test models (robust offline RL)",
    "offline-dataset": "a nominal model a behaviour policy can collect an offline dataset in",
}
"""Structure tags a protocol or an algorithm may require of an environment, and their meaning.

A model offers the tags :func:`structures_of` derives from its type and arrays, plus those it
declares itself in a ``structures`` attribute (e.g. a federated family declares
``"heterogeneous"``): new model kinds join without editing this module.
"""

STRUCTURE_HINTS: dict[str, str] = {
    "features": (
        "a tabular model gets one-hot linear-MDP features from transforms = "
        '["one-hot-features"], or use the tabular-as-linear family'
    ),
    "unit-total-reward": 'rescale rewards with transforms = ["unit-total-reward"]',
    "delayed": 'wrap an adversarial family in the "delayed-adversarial" family (delay = ...)',
    "finite-horizon": "episodic protocols need a FiniteHorizonMDP family",
}
"""How to obtain a missing structure, where the package offers a way (shown in errors)."""


def _total_reward_bound(model: Any) -> float | None:
    """``sum_h max_{s,a} r_h(s,a)``, an upper bound on every trajectory's total reward."""
    rewards = getattr(model, "rewards", None)
    if rewards is None or getattr(model, "horizon", None) is None:
        return None
    return float(np.asarray(rewards).reshape(rewards.shape[0], -1).max(axis=1).sum())


def structures_of(model: Any) -> frozenset[str]:
    """The structure tags (keys of :data:`STRUCTURES`) a model offers: derived from its type and
    arrays, plus any it declares in a ``structures`` attribute."""
    tags = {"model", *getattr(model, "structures", ())}
    if isinstance(model, FiniteHorizonMDP):
        tags |= {"finite-horizon", "tabular", "offline-dataset"}
        if model.metadata.get("perturbation") is not None:
            tags.add("perturbed")  # exact perturbed test models (rltheory.envs.perturbation)
        if model.horizon == 1:
            tags.add("bandit")
        if model.mixture_basis is not None:
            tags.add("mixture")
        if model.time_homogeneous:
            tags.add("time-homogeneous")
        if _total_reward_bound(model) <= 1.0 + 1e-12:
            tags.add("unit-total-reward")
    elif isinstance(model, DiscountedMDP):
        tags |= {"discounted", "tabular", "time-homogeneous"}
    features = getattr(model, "features", None)
    if features is not None:
        tags.add("feature-map")
        if getattr(model, "realizable", False):
            tags.add("features")
    return frozenset(tags)


def missing_structures(required: frozenset[str], model: Any) -> list[str]:
    """Required tags the model lacks, each as ``tag (meaning)`` plus how to get it if known."""
    missing = sorted(required - structures_of(model))
    return [
        f"{tag} ({STRUCTURES.get(tag, 'unknown structure tag')})"
        + (f"; hint: {STRUCTURE_HINTS[tag]}" if tag in STRUCTURE_HINTS else "")
        for tag in missing
    ]
