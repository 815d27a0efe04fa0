"""Reward noise: observed rewards drawn around the model's mean rewards.

The model keeps its mean rewards ``r_h(s,a)`` (pseudo-regret stays exact: it is computed on the
means); the online loop hands the learner noisy observations instead, drawn per seed from that
seed's environment generator (so batched and one-seed runs agree). A model carries its noise in
``metadata["reward_noise"]``; the transforms :data:`NOISE_TRANSFORMS` set it:

- ``bernoulli-rewards``: ``Bernoulli(r_h(s,a))`` in {0, 1}, mean exactly ``r`` (1/2-sub-Gaussian);
- ``gaussian-rewards``: ``r + sigma xi``, ``xi ~ N(0, 1)``, ``sigma = 0.1``, not clipped (mean
  exactly ``r``; observations may leave [0, 1]);
- ``gaussian-rewards-clipped``: ``clip(r + sigma xi, 0, 1)``, ``sigma = 0.1``: observations stay
  in [0, 1] but their mean differs from ``r`` near 0 and 1 (regret is still measured on ``r``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltheory.mdp.models import FiniteHorizonMDP

KINDS = ("bernoulli", "gaussian")
GAUSSIAN_SIGMA = 0.1


@dataclass(frozen=True)
class RewardNoise:
    """Observation noise of the rewards: ``kind`` (bernoulli or gaussian), ``sigma`` (gaussian
    standard deviation) and ``clip`` (gaussian observations clipped to [0, 1])."""

    kind: str
    sigma: float = 0.0
    clip: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"reward noise kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "gaussian" and not self.sigma > 0:
            raise ValueError(f"gaussian reward noise needs sigma > 0, got {self.sigma}")

    def sample(self, means: np.ndarray, rngs: Sequence[np.random.Generator]) -> np.ndarray:
        """Observations for mean rewards ``means [B, ...]``, seed b's from ``rngs[b]``."""
        means = np.asarray(means, dtype=float)
        if len(rngs) != means.shape[0]:
            raise ValueError(f"{len(rngs)} generators for {means.shape[0]} seeds of rewards")
        if self.kind == "bernoulli":
            draws = np.stack([rng.random(means.shape[1:]) for rng in rngs])
            return (draws < means).astype(float)
        noise = np.stack([rng.standard_normal(means.shape[1:]) for rng in rngs])
        observed = means + self.sigma * noise
        return np.clip(observed, 0.0, 1.0) if self.clip else observed

    def describe(self) -> str:
        if self.kind == "bernoulli":
            return "Bernoulli(r)"
        return f"r + N(0, {self.sigma:g}^2)" + (", clipped to [0, 1]" if self.clip else "")


def reward_noise(model: Any) -> RewardNoise | None:
    """The model's reward noise (None: observations are the mean rewards)."""
    spec = getattr(model, "metadata", {}).get("reward_noise")
    return None if spec is None else RewardNoise(**spec)


def with_noise(model: FiniteHorizonMDP, noise: RewardNoise) -> FiniteHorizonMDP:
    """The same model whose observed rewards carry ``noise`` (means unchanged)."""
    if not isinstance(model, FiniteHorizonMDP):
        raise TypeError(f"reward noise needs a FiniteHorizonMDP, got {type(model).__name__}")
    metadata = {**model.metadata, "reward_noise": dataclasses.asdict(noise)}
    return dataclasses.replace(model, metadata=metadata)


NOISE_TRANSFORMS = {
    "bernoulli-rewards": lambda model: with_noise(model, RewardNoise("bernoulli")),
    "gaussian-rewards": lambda model: with_noise(model, RewardNoise("gaussian", GAUSSIAN_SIGMA)),
    "gaussian-rewards-clipped": lambda model: with_noise(
        model, RewardNoise("gaussian", GAUSSIAN_SIGMA, clip=True)
    ),
}
"""Transforms by the names specs use (``transforms = ["bernoulli-rewards"]``)."""
