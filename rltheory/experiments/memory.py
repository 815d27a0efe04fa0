"""Memory a cell will need, estimated before anything is built, and the refusal of what won't fit.

A cell holds the exact model, the learner's batched arrays and the protocol's result arrays; the
driver holds every cell's description. Each part is estimated from declared sizes, never by
building:

- the model: the family's ``memory(**params)`` declaration (``register_family(..., memory=f)``
  returning the fields of a :class:`ModelSize`, see :mod:`rltheory.envs.sizes`), else
  :func:`generic_model_size` from the conventional parameter names (``n_states``,
  ``n_actions``, ``horizon``, ``dim``, ``homogeneous``: a dense kernel ``[L, S, A, S]``, rewards
  ``[H, S, A]``, features ``[S, A, d]``), adjusted for the transforms (:data:`TRANSFORM_SIZES`);
- the learner: its class's ``memory_bytes(size, config, n_seeds)`` where it declares one, else
  :func:`generic_learner_bytes` (value and policy arrays ``[B, H, S, A]``, plus Gram matrices,
  their inverses and next-state statistics ``[B, H, d, 2d + S]`` when it uses features);
- the protocol's arrays: :meth:`~rltheory.experiments.protocols.Protocol.memory` (for the online
  protocol the ``[B, K]`` regret, return and state arrays and the exact evaluation of B
  policies).

:func:`check_memory` refuses a spec with a cell whose estimate exceeds the limit (the memory
available now, or ``--max-memory``), with the estimate and the limit in the message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from rltheory.algos import get as get_algorithm
from rltheory.envs import get_family

FLOAT = 8
CELL_OVERHEAD = 4096
"""Bytes the driver holds per cell description, besides its seed indices."""
SEED_OVERHEAD = 40
"""Bytes per seed index held in a cell description (a Python int in a tuple)."""
MAX_CELLS = 1_000_000
"""Most cells a spec may expand into."""


@dataclass(frozen=True)
class ModelSize:
    """Sizes of a model and the bytes of its arrays: S, A, H, transition layers L (1 when
    time-homogeneous), feature dimension d (0 without features)."""

    S: int
    A: int
    H: int
    d: int
    layers: int
    bytes: int


def generic_model_size(params: Mapping[str, Any]) -> ModelSize:
    """Sizes from the conventional parameter names, arrays of a dense tabular model with features
    (an upper estimate for low-rank and mixture models of the same sizes)."""
    S = int(params.get("n_states", 1))
    A = int(params.get("n_actions", 2))
    H = int(params.get("horizon", 1))
    d = int(params.get("dim", 0))
    layers = 1 if params.get("homogeneous", True) else H
    return ModelSize(S, A, H, d, layers, FLOAT * (layers * S * A * S + H * S * A + S * A * d))


def _one_hot(size: ModelSize) -> ModelSize:
    d = size.S * size.A
    return replace(size, d=d, bytes=size.bytes + FLOAT * size.S * size.A * d)


def _unit_total(size: ModelSize) -> ModelSize:
    return replace(size, bytes=size.bytes + FLOAT * size.H * size.S * size.A)


TRANSFORM_SIZES: dict[str, Callable[[ModelSize], ModelSize]] = {
    "one-hot-features": _one_hot,
    "unit-total-reward": _unit_total,
}
"""Transform name -> the sizes of the transformed model (unknown transforms: unchanged)."""


def model_size(family_id: str, params: Mapping[str, Any], transforms: tuple[str, ...]) -> ModelSize:
    """The declared (else generic) sizes of family ``family_id`` at ``params``."""
    family = get_family(family_id)
    full = {**family.defaults, **params}
    declared = getattr(family, "memory", None)
    size = ModelSize(**declared(**full)) if declared is not None else generic_model_size(full)
    for name in transforms:
        size = TRANSFORM_SIZES.get(name, lambda s: s)(size)
    return size


def generic_learner_bytes(size: ModelSize, requires: frozenset[str], n_seeds: int) -> int:
    """Value, bonus and policy arrays ``[B, H, S, A]``; one Gram matrix, its inverse and
    next-state statistics per step ``[B, H, d, 2d + S]`` for learners using features."""
    total = 3 * FLOAT * n_seeds * size.H * size.S * size.A
    if "features" in requires:
        total += FLOAT * n_seeds * size.H * size.d * (2 * size.d + size.S + 1)
    return total


@dataclass(frozen=True)
class CellEstimate:
    """The estimated bytes of one cell: model, learner, protocol arrays."""

    where: str
    model: int
    learner: int
    protocol: int

    @property
    def total(self) -> int:
        return self.model + self.learner + self.protocol

    def describe(self) -> str:
        return (
            f"about {format_bytes(self.total)} (model {format_bytes(self.model)}, learner "
            f"{format_bytes(self.learner)}, results {format_bytes(self.protocol)})"
        )


def cell_estimates(spec: Any) -> list[CellEstimate]:
    """One estimate per (environment configuration, algorithm variant, run point) of ``spec``,
    for a full batch of seeds."""
    protocol = spec.protocol_object
    n_seeds = spec.batch_size
    out = []
    for env in spec.environments:
        for config in env.configurations():
            size = model_size(config.id, config.params, config.transforms)
            for algorithm in spec.algorithms:
                entry = get_algorithm(algorithm.id)
                for label, params in algorithm.variants():
                    declared = getattr(entry.cls, "memory_bytes", None)
                    if declared is not None:
                        learner = int(declared(size, entry.make_config(**params), n_seeds))
                    else:
                        learner = generic_learner_bytes(size, entry.requires, n_seeds)
                    for point in spec.points():
                        out.append(
                            CellEstimate(
                                f"{label} on {config.describe()}",
                                size.bytes,
                                learner,
                                int(protocol.memory(point, n_seeds, size)),
                            )
                        )
    return out


def n_cells(spec: Any) -> int:
    """The number of cells of ``spec``, computed without expanding them."""
    configs = sum(len(env.configurations()) for env in spec.environments)
    variants = sum(len(a.variants()) for a in spec.algorithms)
    return configs * variants * len(spec.points()) * math.ceil(spec.seeds / spec.batch_size)


def available_memory() -> int:
    """Bytes of memory available now (``MemAvailable`` on Linux, else physical memory)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}


def parse_bytes(text: str) -> int:
    """``"512M"``, ``"8G"``, ``"1.5GiB"``, ``"2TB"`` or a plain number of bytes (binary units)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGTP]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"expected a size such as 512M, 8G or 1.5GiB, got {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def limit_description(limit: int | None) -> tuple[int, str]:
    if limit is None:
        return available_memory(), "the memory available now; raise it with --max-memory"
    return limit, "set by --max-memory"


def check_memory(
    spec: Any, check: Any, limit: int | None = None, parallel: int = 1
) -> list[CellEstimate]:
    """Add a problem to ``check`` when the spec has too many cells, when the driver's cell
    descriptions, any one cell, or the ``parallel`` largest cells running at once (one per
    local worker) would not fit in ``limit`` bytes (None: available memory). Returns the
    estimates (empty when the cell count alone is refused)."""
    bound, why = limit_description(limit)
    count = n_cells(spec)
    if count > MAX_CELLS:
        check.fail("seeds", f"the spec expands into {count} cells, more than {MAX_CELLS}")
        return []
    driver = count * (CELL_OVERHEAD + SEED_OVERHEAD * spec.batch_size)
    if driver > bound:
        check.fail(
            "seeds",
            f"the {count} cell descriptions ({spec.seeds} seeds) need about "
            f"{format_bytes(driver)}, more than the limit {format_bytes(bound)} ({why})",
        )
        return []
    estimates = cell_estimates(spec)
    worst = max(estimates, key=lambda e: e.total, default=None)
    if worst is not None and worst.total > bound:
        over = sum(e.total > bound for e in estimates)
        check.fail(
            "",
            f"{over} of {len(estimates)} cell shape(s) would not fit in memory: {worst.where} "
            f"with {spec.batch_size} seed(s) needs {worst.describe()}, more than the limit "
            f"{format_bytes(bound)} ({why}); lower seed_batch, the sizes or the number of "
            "episodes",
        )
        return estimates
    at_once = min(parallel, count)
    if worst is not None and at_once > 1 and at_once * worst.total > bound:
        fits = max(bound // worst.total, 1)
        check.fail(
            "",
            f"{at_once} cells at a time (one per worker) need about "
            f"{format_bytes(at_once * worst.total)} ({worst.where}: {worst.describe()} each), "
            f"more than the limit {format_bytes(bound)} ({why}); run with --workers {fits}",
        )
    return estimates
