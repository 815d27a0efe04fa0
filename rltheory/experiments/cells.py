"""Cells, the units of work a spec expands into, and the seeds they derive.

A cell is one environment configuration × one algorithm variant × one run point of the protocol
(e.g. K episodes with their checkpoints) × one batch of seeds. Seed ``i`` of a spec is
``SeedSequence(entropy=base_seed, spawn_key=(i,))``, so a cell's numbers do not depend on how
seeds are batched, on the backend, or on the order of execution; each seed spawns an environment
and an algorithm stream (:func:`rltheory.experiments.loops.seed_generators`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltheory.envs import get_family


@dataclass(frozen=True)
class EnvironmentConfig:
    """One environment instance: family id, parameter values, instance seed, transforms."""

    id: str
    params: Mapping[str, Any]
    seed: int
    transforms: tuple[str, ...] = ()

    def build(self) -> Any:
        """The exact model; its random draws come from ``default_rng(seed)`` (the instance seed),
        the same for every algorithm and every learning seed."""
        model = get_family(self.id).build(np.random.default_rng(self.seed), **self.params)
        if self.transforms:
            from rltheory.envs.transforms import TRANSFORMS

            for name in self.transforms:
                model = TRANSFORMS[name](model)
        return model

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.params.items()] + [f"seed={self.seed}"]
        parts += [f"+{t}" for t in self.transforms]
        return f"{self.id}(" + ", ".join(parts) + ")"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "params": jsonable(self.params),
            "seed": self.seed,
            "transforms": list(self.transforms),
        }


@dataclass(frozen=True)
class Cell:
    """One unit of work: an environment configuration, an algorithm variant, the protocol and
    its run point ``run`` (JSON-able, e.g. ``{"episodes": K, "checkpoints": [...]}``), a batch of
    seed indices."""

    env: EnvironmentConfig
    algorithm: str
    label: str
    algo_params: Mapping[str, Any]
    seeds: tuple[int, ...]
    base_seed: int
    protocol: str
    run: Mapping[str, Any]
    imports: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env.to_dict(),
            "algorithm": self.algorithm,
            "label": self.label,
            "algo_params": jsonable(self.algo_params),
            "seeds": list(self.seeds),
            "base_seed": self.base_seed,
            "protocol": self.protocol,
            "run": jsonable(self.run),
            "imports": list(self.imports),
        }

    @property
    def key(self) -> str:
        """Content hash of the cell (names its result file)."""
        return digest(self.to_dict())[:16]

    def seed_sequences(self) -> list[np.random.SeedSequence]:
        """Seed ``i`` is ``SeedSequence(entropy=base_seed, spawn_key=(i,))``, independent of
        batching (equal to the i-th child of ``SeedSequence(base_seed).spawn``)."""
        return [np.random.SeedSequence(entropy=self.base_seed, spawn_key=(i,)) for i in self.seeds]


def jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter mappings with tuples as lists (the JSON/TOML form)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def digest(data: Any) -> str:
    """SHA-256 of the canonical JSON of ``data``."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
